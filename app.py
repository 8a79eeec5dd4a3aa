"""digitpad: draw a digit and watch a neural network read it; retrain it live with sliders.

    python app.py [--host 127.0.0.1] [--port 7860] [--model model/digitpad.keras] [--share]
                  [--data-dir MNIST_FOLDER] [--drawings pendigits-dev.json.gz]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import keras
import numpy as np
from gradio import FileData

from digitpad.data import Mnist, MnistError, load_mnist
from digitpad.explain import (
    CAPTIONS,
    confusion_html,
    first_layer_images,
    saliency_image,
    sample_grid,
    weights_mosaic,
    worst_mistakes,
)
from digitpad.lab import (
    BATCH_SIZE,
    DEFAULT_NETWORK,
    DROPOUT,
    ITERATIONS,
    NETWORKS,
    DrawingsLoader,
    Job,
    Lab,
    Reader,
    Scores,
    app_config,
    drawing_scores,
    mnist_scores,
    score,
)
from digitpad.model import SHIPPED_MODEL, ModelError, load_model
from digitpad.preprocess import BadImage, NoInk
from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE, BadStrokes
from digitpad.training import ConfigError, Diverged, TrainConfig, train
from digitpad.views import (
    Reading,
    active_model_html,
    line_chart,
    message_html,
    progress_html,
    read_digit,
    read_drawing,
    result_html,
    run_report_html,
    runs_table,
    seen_html,
)

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
DRAWINGS = HERE.parent / "shared" / "pendigits" / "pendigits-dev.json.gz"
MAX_UPLOAD = "10mb"
CSS = (ASSETS / "app.css").read_text()
PAD_JS = (ASSETS / "pad.js").read_text()
CANVAS_BOX = 440  # on-screen size of the drawing pad, CSS pixels
SESSION_SECONDS = 2 * 3600  # a session's trained models are freed this long after its last run
POLL_SECONDS = 0.25  # how often the Train tab looks at a running job
DRAWINGS_WAIT = 60  # seconds Look inside waits for the real drawings still loading at start
DEFAULTS = TrainConfig()
PAD = f"""<div class="dp-pad">
  <canvas data-size="{CANVAS_SIZE}" data-brush="{BRUSH_WIDTH}" tabindex="0"
          aria-label="Drawing pad: draw one digit"></canvas>
  <div class="dp-hint">Draw a digit here</div>
</div>
<div class="dp-pad-tools">
  <button class="dp-undo" type="button">Undo</button>
  <button class="dp-clear" type="button">Clear</button>
</div>"""


def show(read: Callable[..., Reading], source: Any,
         predict: Callable[[np.ndarray], np.ndarray]) -> tuple[str, str]:
    """The result panel and what the network sees, for the pad's strokes or an upload."""
    try:
        reading = read(source, predict)
    except NoInk as e:
        return result_html(None, str(e)), seen_html(None)
    except BadStrokes as e:
        return result_html(None, f"{e} Clear the pad and draw again."), seen_html(None)
    except BadImage as e:
        return result_html(None, f"{e} Try a PNG or JPEG of one digit."), seen_html(None)
    return result_html(reading), seen_html(reading.digit)


def build(model: keras.Model, data: Mnist | None, data_problem: str | None,
          drawings: DrawingsLoader) -> gr.Blocks:
    """The page: Draw (drawing pad, answer, what the network sees), Train (sliders, curves) and
    Look inside (why this answer, what it learned, what it saw, where it fails)."""
    shipped = Reader("the shipped model", model)
    shipped_scores: dict[str, Scores | None] = {}  # filled on the first look inside
    open_labs: dict[str, Lab] = {}  # by session, so closing a tab frees its models at once

    def on_open(lab: Lab, request: gr.Request) -> Lab:
        open_labs[request.session_hash] = lab
        return lab  # stored now, so every later event of this session gets this very Lab

    def on_close(request: gr.Request) -> None:
        lab = open_labs.pop(request.session_hash, None)
        if lab is not None:
            lab.close()

    def reader(lab: Lab) -> Reader:
        return lab.active.reader if lab.active else shipped

    def on_canvas(strokes: list | None, lab: Lab) -> tuple[str, str]:
        return show(read_drawing, strokes, reader(lab).predict)

    def on_upload(path: str | None, lab: Lab) -> tuple[str, str]:
        if not path:
            return result_html(None), seen_html(None)
        return show(read_digit, path, reader(lab).predict)

    def predict_file(image: FileData) -> dict[str, float]:
        """Ten probabilities, "0" to "9", for one image file of a handwritten digit."""
        if not image:
            raise gr.Error("No image: send an image file of one handwritten digit.")
        try:
            reading = read_digit(image["path"], shipped.predict)
        except (NoInk, BadImage) as e:
            raise gr.Error(str(e)) from e
        return {str(d): round(float(p), 6) for d, p in enumerate(reading.probabilities)}

    def train_file(learning_rate: float, dropout: float, iterations: int, batch_size: int,
                   network: str, augment: bool, seed: int) -> dict:
        """Train a fresh network on MNIST with these settings; its scores and time as JSON."""
        if data is None:
            raise gr.Error(data_problem)
        try:
            config = app_config(learning_rate, dropout, iterations, batch_size, network,
                                augment, seed)
            summary = score(0, train(config, data), data, drawings.drawings).summary()
        except (ConfigError, Diverged) as e:
            raise gr.Error(str(e)) from e
        return {key: value for key, value in summary.items() if key != "run"}

    def watch(configs: list[TrainConfig], lab: Lab, shown: list[str]) -> Iterator[dict]:
        """Run configs one after another in this session, streaming progress and curves."""
        for config in configs:
            job = lab.job = Job(config, data).start()
            name = f"run {lab.next_number()}"
            others = [(r.name, r.result.history) for r in lab.runs if r.name in shown]
            while not job.wait(POLL_SECONDS):
                done = job.progress[-1] if job.progress else None
                yield {progress: progress_html(done.iteration if done else 0, config.iterations,
                                               done.seconds if done else 0.0,
                                               "training" if done else "starting"),
                       **plots([*others, (name, list(job.progress))])}
            lab.job = None
            if job.error is not None:
                kind = "problem" if isinstance(job.error, Diverged | ConfigError) else "error"
                yield {status: message_html(str(job.error), kind)}
                return
            yield {status: message_html("Testing on 10,000 MNIST digits…")}
            run = lab.add(score(lab.next_number(), job.result, data, drawings.drawings))
            shown = [*shown, run.name]
            yield {**plots([*others, (run.name, run.result.history)]),
                   progress: progress_html(run.result.iterations_done, config.iterations,
                                           run.result.train_seconds,
                                           "stopped" if run.result.stopped_early else "done"),
                   status: run_report_html(run.summary()),
                   runs: runs_table([r.summary() for r in lab.runs]),
                   compare: gr.CheckboxGroup(choices=[r.name for r in lab.runs], value=shown),
                   chosen: gr.Dropdown(choices=[r.name for r in lab.runs], value=run.name),
                   use: gr.Button(interactive=True), download: gr.DownloadButton(
                       value=lab.download(run), interactive=True),
                   run_confusion: confusion_html(run.test.confusion),
                   run_mistakes: worst_mistakes(data.x_test, data.y_test,
                                                run.test.probabilities, 12),
                   state: lab}

    def settings(rate_exponent: float, dropout_: float, iterations_: int, batch: int,
                 network_: str, augment_: bool, seed_: int) -> TrainConfig:
        return app_config(10.0 ** rate_exponent, dropout_, iterations_, batch, network_,
                          augment_, seed_)

    def trains(plan: Callable[[TrainConfig], list[TrainConfig]]) -> Callable:
        """An event handler training plan(the sliders' settings), one run after another."""
        def on_click(lab: Lab, shown: list[str], rate_exponent: float, dropout_: float,
                     iterations_: int, batch: int, network_: str, augment_: bool, seed_: int,
                     request: gr.Request) -> Iterator[dict]:
            open_labs[request.session_hash] = lab  # the Lab that will own these runs
            try:
                configs = plan(settings(rate_exponent, dropout_, iterations_, batch, network_,
                                        augment_, seed_))
            except ConfigError as e:
                yield {status: message_html(str(e), "problem")}
                return
            yield from watch(configs, lab, shown)
        return on_click

    def on_stop(lab: Lab) -> None:
        if lab.job is not None:
            lab.job.stop.set()

    def plots(runs_: list[tuple[str, list]]) -> dict:
        return {loss_plot: line_chart(runs_, "loss", "Minibatch loss"),
                accuracy_plot: line_chart(runs_, "val_accuracy", "Validation accuracy")}

    def on_compare(lab: Lab, shown: list[str]) -> dict:
        return plots([(r.name, r.result.history) for r in lab.runs if r.name in shown])

    def on_use(lab: Lab, name: str | None) -> tuple[str, gr.Button, Lab]:
        lab.active = lab.find(name)
        return (active_model_html(name if lab.active else None,
                                  lab.active.summary() if lab.active else None),
                gr.Button(visible=lab.active is not None), lab)

    def on_shipped(lab: Lab) -> tuple[str, gr.Button, Lab]:
        lab.active = None
        return active_model_html(None), gr.Button(visible=False), lab

    def on_choose(lab: Lab, name: str | None) -> gr.DownloadButton:
        run = lab.find(name)
        return gr.DownloadButton(value=lab.download(run) if run else None,
                                 interactive=run is not None)

    def scores_of(lab: Lab) -> tuple[Scores | None, Scores | None]:
        """MNIST test and real-drawing scores of the model in use; the shipped one's once."""
        if lab.active:
            return lab.active.test, lab.active.drawings
        if "test" not in shipped_scores and data is not None:
            shipped_scores["test"] = mnist_scores(shipped, data)
        if shipped_scores.get("drawings") is None:
            drawings.ready.wait(DRAWINGS_WAIT)
            shipped_scores["drawings"] = drawing_scores(shipped, drawings.drawings)
        return shipped_scores.get("test"), shipped_scores["drawings"]

    def on_why(strokes: list | None, lab: Lab) -> tuple[list, str]:
        try:
            reading = read_drawing(strokes, reader(lab).predict)
        except (NoInk, BadStrokes) as e:
            return [], message_html(f"{e} Then come back here to see why it answers as it does.")
        gradients = reader(lab).explain(reading.digit)
        order = np.argsort(-reading.probabilities)
        return ([(saliency_image(reading.digit, gradients[d]),
                  f"{d}: {reading.probabilities[d]:.1%}") for d in order],
                message_html(f"Read as {reading.best}. Each map shows what would change the "
                             "network's certainty for one digit, surest first."))

    def on_inside(strokes: list | None, lab: Lab) -> tuple:
        current = reader(lab)
        images, captions = first_layer_images(current.model, 32)
        test, drawn = scores_of(lab)
        why, why_note = on_why(strokes, lab)
        return (message_html(f"Looking inside {current.name}."), why, why_note,
                weights_mosaic(images, captions, columns=8 if len(images) > 10 else 5),
                confusion_html(test.confusion) if test else message_html(data_problem),
                worst_mistakes(data.x_test, data.y_test, test.probabilities, 12) if test else [],
                confusion_html(drawn.confusion) if drawn else "",
                worst_mistakes(drawings.drawings.images, drawings.drawings.labels,
                               drawn.probabilities, 12) if drawn else [])

    def on_samples() -> list:
        return sample_grid(data.x_train, data.y_train, 24, np.random.default_rng())

    with gr.Blocks(title="digitpad") as demo:
        state = gr.State(lambda: Lab(), time_to_live=SESSION_SECONDS, delete_callback=Lab.close)
        gr.Markdown("# digitpad\nDraw a digit and watch a neural network read it.")
        with gr.Tab("Draw"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=0, min_width=CANVAS_BOX, elem_id="pad-column"):
                    pad = gr.HTML([], html_template=PAD, js_on_load=PAD_JS,
                                  apply_default_css=False, elem_id="pad")
                with gr.Column(scale=1):
                    result = gr.HTML(result_html(None), elem_id="result")
                    seen = gr.HTML(seen_html(None), elem_id="seen")
            with gr.Row():
                active = gr.HTML(active_model_html(None), elem_id="active")
                back = gr.Button("Back to the shipped model", size="sm", scale=0,
                                 visible=False, elem_id="shipped")
            with gr.Accordion("Or upload a photo or scan of a digit", open=False):
                upload = gr.Image(type="filepath", sources=["upload", "clipboard"],
                                  label="Photo or scan", height=240, elem_id="upload")
                gr.Examples(sorted(str(p) for p in ASSETS.glob("example-*.png")), upload,
                            label="Examples")
        with gr.Tab("Train", elem_id="train-tab"):
            gr.Markdown("Retrain the network on MNIST's 55,000 training digits and watch it "
                        "learn. Then press *Use for drawing* and try it on the Draw tab.")
            if data_problem:
                gr.HTML(message_html(data_problem, "problem"), elem_id="no-data")
            with gr.Row():
                with gr.Column(scale=1, min_width=300):
                    rate = gr.Slider(-5, 0, value=float(np.log10(DEFAULTS.learning_rate)),
                                     step=0.1, label="Learning rate, as a power of ten",
                                     info="-4 is 0.0001 (the seed's); -1 is 0.1",
                                     elem_id="rate")
                    dropout = gr.Slider(*DROPOUT, value=DEFAULTS.dropout, step=0.05,
                                        label="Dropout", elem_id="dropout")
                    iterations = gr.Slider(*ITERATIONS, value=DEFAULTS.iterations, step=100,
                                           label="Iterations", elem_id="iterations")
                    batch_size = gr.Slider(*BATCH_SIZE, value=DEFAULTS.batch_size, step=16,
                                           label="Batch size", elem_id="batch")
                    network = gr.Radio(list(NETWORKS), value=DEFAULT_NETWORK, label="Network",
                                       elem_id="network")
                    augment = gr.Checkbox(DEFAULTS.augment, elem_id="augment",
                                          label="Augment: distort digits, flag ones and curl "
                                                "nines, as people draw them")
                    seed = gr.Number(DEFAULTS.seed, precision=0, minimum=0, label="Seed",
                                     elem_id="seed")
                    with gr.Row():
                        start = gr.Button("Train", variant="primary", elem_id="train",
                                          interactive=data is not None)
                        stop = gr.Button("Stop", variant="stop", elem_id="stop")
                        reset = gr.Button("Reset", elem_id="reset")
                    gr.Markdown("The seeds' homework, one click each:")
                    with gr.Row():
                        with_without = gr.Button("Dropout 0.5 vs none", size="sm",
                                                 elem_id="homework-dropout",
                                                 interactive=data is not None)
                        softmax_mlp = gr.Button("Softmax regression vs MLP", size="sm",
                                                elem_id="homework-network",
                                                interactive=data is not None)
                with gr.Column(scale=2):
                    progress = gr.HTML(progress_html(0, DEFAULTS.iterations, 0.0,
                                                     "press Train to start"),
                                       elem_id="progress")
                    status = gr.HTML(elem_id="status")
                    with gr.Row():
                        loss_plot = gr.HTML(line_chart([], "loss", "Minibatch loss"),
                                            elem_id="loss-plot")
                        accuracy_plot = gr.HTML(line_chart([], "val_accuracy",
                                                           "Validation accuracy"),
                                                elem_id="accuracy-plot")
                    with gr.Row():
                        chosen = gr.Dropdown([], label="Run", scale=1, elem_id="chosen")
                        use = gr.Button("Use for drawing", interactive=False, scale=0,
                                        elem_id="use")
                        download = gr.DownloadButton("Download .keras", interactive=False,
                                                     scale=0, elem_id="download")
                    compare = gr.CheckboxGroup([], label="Runs on the curves",
                                               elem_id="compare")
                    runs = gr.Dataframe(runs_table([]), label="Your runs", interactive=False,
                                        elem_id="runs")
                    with gr.Accordion("Where the last run fails", open=False):
                        gr.Markdown(CAPTIONS["confusion"])
                        run_confusion = gr.HTML(elem_id="run-confusion")
                        gr.Markdown(CAPTIONS["mistakes"])
                        run_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                                  elem_id="run-mistakes")

        with gr.Tab("Look inside", elem_id="inside-tab") as inside_tab:
            using = gr.HTML(elem_id="using")
            with gr.Accordion("Why this answer", open=True):
                why_note = gr.HTML(elem_id="why-note")
                why = gr.Gallery(label=CAPTIONS["saliency"], columns=5, height="auto",
                                 object_fit="contain", elem_id="why")
            with gr.Accordion("What it learned", open=True):
                gr.Markdown(CAPTIONS["weights"])
                weights = gr.Image(show_label=False, interactive=False, elem_id="weights",
                                   buttons=["download"])
            with gr.Accordion("What it saw", open=False):
                gr.Markdown(CAPTIONS["samples"])
                more = gr.Button("Another sample", size="sm", interactive=data is not None)
                samples = gr.Gallery(show_label=False, columns=8, height="auto",
                                     elem_id="samples")
            with gr.Accordion("Where it fails", open=True):
                gr.Markdown(CAPTIONS["confusion"] + " On the 10,000 MNIST test digits:")
                confusion = gr.HTML(elem_id="confusion")
                gr.Markdown(CAPTIONS["mistakes"])
                mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                      elem_id="mistakes")
                gr.Markdown("The same on real pen-drawn digits (when they are on this machine):")
                drawn_confusion = gr.HTML(elem_id="drawn-confusion")
                drawn_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                            elem_id="drawn-mistakes")

        # a stroke's answer skips the queue: it takes milliseconds, and queueing costs more
        pad.change(on_canvas, [pad, state], [result, seen], queue=False,
                   trigger_mode="always_last", show_progress="hidden", api_visibility="private")
        upload.change(on_upload, [upload, state], [result, seen], show_progress="hidden",
                      api_visibility="private")
        controls = [rate, dropout, iterations, batch_size, network, augment, seed]
        live = [progress, status, loss_plot, accuracy_plot, runs, compare, chosen, use,
                download, run_confusion, run_mistakes, state]
        train_events = dict(concurrency_limit=1, concurrency_id="train", show_progress_on=progress,
                            api_visibility="private")
        inputs = [state, compare, *controls]
        start.click(trains(lambda c: [c]), inputs, live, **train_events)
        with_without.click(trains(lambda c: [replace(c, dropout=0.5), replace(c, dropout=0.0)]),
                           inputs, live, **train_events)
        softmax_mlp.click(trains(lambda c: [replace(c, hidden=()),
                                            replace(c, hidden=NETWORKS[DEFAULT_NETWORK])]),
                          inputs, live, **train_events)
        stop.click(on_stop, state, None, queue=False, api_visibility="private")
        reset.click(lambda: [float(np.log10(DEFAULTS.learning_rate)), DEFAULTS.dropout,
                             DEFAULTS.iterations, DEFAULTS.batch_size, DEFAULT_NETWORK,
                             DEFAULTS.augment, DEFAULTS.seed], None, controls,
                    queue=False, api_visibility="private")
        compare.input(on_compare, [state, compare], [loss_plot, accuracy_plot],
                      api_visibility="private")
        chosen.input(on_choose, [state, chosen], download, api_visibility="private")
        use.click(on_use, [state, chosen], [active, back, state],
                  api_visibility="private").then(
            on_canvas, [pad, state], [result, seen], api_visibility="private")
        back.click(on_shipped, state, [active, back, state], api_visibility="private").then(
            on_canvas, [pad, state], [result, seen], api_visibility="private")
        inside_tab.select(on_inside, [pad, state],
                          [using, why, why_note, weights, confusion, mistakes, drawn_confusion,
                           drawn_mistakes], api_visibility="private")
        more.click(on_samples, None, samples, api_visibility="private")
        demo.load(on_open, state, state, api_visibility="private")
        demo.unload(on_close)
        if data is not None:
            demo.load(on_samples, None, samples, api_visibility="private")
        gr.api(predict_file, api_name="predict")
        gr.api(train_file, api_name="train", concurrency_limit=1, concurrency_id="train")
    return demo


def load_training_data(data_dir: str | None) -> tuple[Mnist | None, str | None]:
    """MNIST for the Train tab, or a plain message saying why training is off."""
    try:
        return load_mnist(data_dir), None
    except MnistError as e:
        return None, f"Training is off: {e}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 lets other machines in")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--share", action="store_true", help="also open a public share link")
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files (else "
                                           "$MNIST_DIR, the Keras cache, or a download)")
    parser.add_argument("--drawings", default=str(DRAWINGS),
                        help="pen-drawn digits (JSON) each run is also scored on, if present")
    args = parser.parse_args(argv)
    try:
        model = load_model(args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.host == "0.0.0.0":
        print(f"warning: listening on all interfaces; students open http://<this machine's "
              f"address>:{args.port}", file=sys.stderr)
    # Gradio rebuilds a pandas table of its last 10,000 events after every event, for its
    # /monitoring page: 7% of the server's time a minute into a class drawing, more as events
    # pile up. Rebuild it rarely.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    data, problem = load_training_data(args.data_dir)
    demo = build(model, data, problem, DrawingsLoader(Path(args.drawings)))
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, css=CSS,
                max_file_size=MAX_UPLOAD, show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
