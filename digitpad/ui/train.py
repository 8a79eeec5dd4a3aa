"""The Train tab: sliders, live curves, the runs of this session, and where the last run fails."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import gradio as gr

from digitpad.classdata import Unreachable
from digitpad.knobs import KNOBS, ConfigError, TrainConfig
from digitpad.model import SEED_HIDDEN
from digitpad.scheduler import QUEUE_LIMIT, Refused, Ticket
from digitpad.sessions import (
    DEFAULT_NETWORK,
    NETWORKS,
    PAGE_PEN_WRITERS,
    Lab,
    Run,
    app_config,
)
from digitpad.training import Progress
from digitpad.ui.context import Shared
from digitpad.ui.follow import RunFailed, train_and_follow
from digitpad.views.common import message_html
from digitpad.views.inside import CAPTIONS, confusion_html, worst_mistakes
from digitpad.views.train import (
    FOR_PROGRAMS,
    YOUR_RUNS,
    line_chart,
    model_id_html,
    progress_html,
    run_report_html,
    runs_table,
)

DEFAULTS = TrainConfig()
RATE_EXPONENTS = tuple(math.log10(rate) for rate in KNOBS["learning_rate"].page)
DEFAULT_RATE = math.log10(DEFAULTS.learning_rate)
DONE, STOPPED = "done", "stopped"  # the progress bar's last word on a click's last run
NEXT_RUN = "this run is done; the next one starts"
PEN_LABEL = (f"Include pen-drawn digits: 15 of the 30 writers', as 1 in "
             f"{round(1 / DEFAULTS.pen_share)} of each minibatch; the real drawings are always "
             "the other 15's")
Curves = list[tuple[int, list[Progress]]]  # (run number, its reports) per line on a chart


class TrainTab:
    """Sliders and buttons on the left; progress, curves, runs and their failures on the right."""

    def __init__(self, shared: Shared, state: gr.State) -> None:
        self.shared, self.state = shared, state
        with gr.Tab("Train", elem_id="train-tab") as self.tab:
            gr.Markdown("Retrain the network on MNIST's 55,000 training digits and watch it "
                        "learn. Then press *Use for drawing* and try it on the Draw tab.")
            if shared.data_problem:
                gr.HTML(message_html(shared.data_problem, "problem"), elem_id="no-data")
            with gr.Row():
                with gr.Column(scale=1, min_width=300):
                    self.build_controls(can_train=shared.data is not None)
                with gr.Column(scale=2):
                    self.build_results()
        self.wire()

    def build_controls(self, can_train: bool) -> None:
        self.rate = gr.Slider(*RATE_EXPONENTS, value=DEFAULT_RATE, step=0.1,
                              label="Learning rate, as a power of ten",
                              info="-4 is 0.0001 (the original tutorial's); -1 is 0.1",
                              elem_id="rate")
        self.dropout = knob_slider("dropout", step=0.05, elem_id="dropout")
        self.iterations = knob_slider("iterations", step=100, elem_id="iterations")
        self.batch_size = knob_slider("batch_size", step=16, elem_id="batch")
        self.network = gr.Radio(list(NETWORKS), value=DEFAULT_NETWORK, label="Network",
                                elem_id="network")
        self.augment = gr.Checkbox(DEFAULTS.augment, elem_id="augment",
                                   label="Augment: distort digits, flag ones and curl nines, "
                                         "as people draw them")
        self.seed = gr.Number(DEFAULTS.seed, precision=0, minimum=KNOBS["seed"].page[0],
                              label="Random seed", elem_id="seed")
        self.with_class = gr.Checkbox(False, label=self.class_label(),
                                      visible=self.shared.classdata is not None,
                                      elem_id="with-class")
        self.pen_digits = gr.Checkbox(False, label=PEN_LABEL, elem_id="pen-digits")
        with gr.Row():
            self.start = gr.Button("Train", variant="primary", elem_id="train",
                                   interactive=can_train)
            self.stop = gr.Button("Stop", variant="stop", elem_id="stop", interactive=False)
            self.reset = gr.Button("Reset", elem_id="reset")
        gr.Markdown("Classic comparisons, one click each:")
        with gr.Row():
            self.dropout_pair = gr.Button("Dropout 0.5 vs none", size="sm",
                                          elem_id="homework-dropout", interactive=can_train)
            self.network_pair = gr.Button("Softmax regression vs MLP", size="sm",
                                          elem_id="homework-network", interactive=can_train)
            self.pen_pair = gr.Button("MNIST only vs with pen-drawn digits", size="sm",
                                      elem_id="homework-pen", interactive=can_train)

    def build_results(self) -> None:
        self.progress = gr.HTML(progress_html(0, DEFAULTS.iterations, 0.0,
                                              "press Train to start"), elem_id="progress")
        self.status = gr.HTML(elem_id="status")
        with gr.Row():
            self.loss_plot = gr.HTML(line_chart([], "loss", "Minibatch loss"),
                                     elem_id="loss-plot")
            self.accuracy_plot = gr.HTML(line_chart([], "val_accuracy", "Validation accuracy"),
                                         elem_id="accuracy-plot")
        with gr.Row():
            self.chosen = gr.Dropdown([], label="Run", scale=1, elem_id="chosen")
            self.use = gr.Button("Use for drawing", interactive=False, scale=0, elem_id="use")
            self.download = gr.DownloadButton("Download .keras", interactive=False, scale=0,
                                              elem_id="download")
        self.compare = gr.CheckboxGroup([], label="Runs on the curves", elem_id="compare")
        gr.Markdown(f"**{YOUR_RUNS}**")
        self.runs = gr.HTML(runs_table([]), elem_id="runs")
        with gr.Accordion(FOR_PROGRAMS, open=False, elem_id="programs"):
            self.model_id = gr.HTML(elem_id="model-id")
        with gr.Accordion("Where the last run fails", open=False):
            gr.Markdown(CAPTIONS["confusion"])
            self.run_confusion = gr.HTML(elem_id="run-confusion")
            gr.Markdown(CAPTIONS["mistakes"])
            self.run_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                           elem_id="run-mistakes")

    def plots(self, curves: Curves) -> dict:
        return {self.loss_plot: line_chart(curves, "loss", "Minibatch loss"),
                self.accuracy_plot: line_chart(curves, "val_accuracy", "Validation accuracy")}

    def running(self, ticket: Ticket, number: int, others: Curves, status: str) -> dict:
        progress = list(ticket.progress)
        done = progress[-1] if progress else None
        return {self.progress: progress_html(done.iteration if done else 0,
                                             ticket.config.iterations,
                                             done.seconds if done else 0.0, status),
                self.stop: gr.Button(interactive=True),
                **self.plots([*others, (number, progress)])}

    def finished(self, run: Run, lab: Lab, shown: list[int], last: bool) -> dict:
        """The run joins the session: its scores and curves; last_run shows the rest. "done"
        only after the click's last run; Stop stays on while another is to come."""
        result = lab.add(run).result
        note = (STOPPED if result.stopped_early else DONE) if last else NEXT_RUN
        return {**self.plots(shown_curves(lab, shown)),
                self.progress: progress_html(result.iterations_done, result.config.iterations,
                                             result.train_seconds, note),
                self.stop: gr.Button(interactive=not last),
                self.status: run_report_html(run.summary()),
                self.compare: gr.CheckboxGroup(choices=run_choices(lab), value=shown),
                self.state: lab}

    def last_run(self, lab: Lab) -> dict:
        """The session's runs and its latest one, once a click's runs are over: table, choice,
        download, where it fails."""
        if not lab.runs:
            return {}
        run, data = lab.runs[-1], self.shared.data
        return {self.runs: runs_table([r.summary() for r in lab.runs]),
                self.chosen: gr.Dropdown(choices=run_choices(lab), value=run.number),
                self.use: gr.Button(interactive=True),
                self.download: gr.DownloadButton(value=lab.download(run), interactive=True),
                self.model_id: model_id_html(run.summary()),
                self.run_confusion: confusion_html(run.test.confusion),
                self.run_mistakes: worst_mistakes(data.x_test, data.y_test,
                                                  run.test.probabilities, 12)}

    def class_label(self) -> str:
        """The box's label, with how many drawings the class has corrected so far."""
        try:
            count = f"{len(self.shared.classdata.drawings()) if self.shared.classdata else 0:,}"
        except Unreachable:
            count = "unreachable right now"
        return f"Include the class's drawings ({count}), as 1 in 8 of each minibatch"

    async def watch(self, configs: list[TrainConfig], lab: Lab, shown: list[int],
                    owner: str, with_class: bool) -> AsyncIterator[dict]:
        """Run configs one after another for this session, streaming progress and curves."""
        mixed = await asyncio.to_thread(self.shared.class_set, with_class)
        for i, config in enumerate(configs):
            number, others, sent = lab.next_number(), shown_curves(lab, shown), None
            try:
                async for step in train_and_follow(self.shared, owner, config, mixed, number):
                    if isinstance(step, Run):
                        lab.ticket, shown = None, [*shown, number]
                        yield await asyncio.to_thread(self.finished, step, lab, shown,
                                                      i == len(configs) - 1)
                        continue
                    lab.ticket = step.ticket  # for Stop
                    # a new curve point or status line is sent, not the same panel again:
                    # thirty people's tabs would otherwise cost the server a core in charts
                    now = (len(step.ticket.progress), step.status)
                    if now != sent:
                        sent = now
                        yield self.running(step.ticket, number, others, step.status)
            except Refused as e:  # Stop stays on if this session's earlier run still trains
                yield {self.status: message_html(str(e), "problem"),
                       self.stop: gr.Button(interactive=lab.ticket is not None)}
                return
            except RunFailed as e:
                lab.ticket = None
                yield {self.status: message_html(str(e), e.kind),
                       self.stop: gr.Button(interactive=False)}
                return

    def trains(self, plan: Callable[[TrainConfig], list[TrainConfig]]) -> Callable:
        """An event handler training plan(the sliders' settings), one run after another."""
        async def on_click(lab: Lab, shown: list[int], rate_exponent: float, dropout: float,
                           iterations: int, batch_size: int, network: str, augment: bool,
                           seed: int, with_class: bool, pen_digits: bool,
                           request: gr.Request) -> AsyncIterator[dict]:
            self.shared.open_lab(request.session_hash, lab)  # the Lab that will own these runs
            try:
                config = app_config(10.0 ** rate_exponent, dropout, iterations, batch_size,
                                    network, augment, seed, pen_digits is True)
            except ConfigError as e:
                yield {self.status: message_html(str(e), "problem")}
                return
            async for update in self.watch(plan(config), lab, shown, request.session_hash,
                                           with_class is True):
                yield update
        return on_click

    def reset_controls(self) -> dict:
        return {self.rate: DEFAULT_RATE, self.dropout: DEFAULTS.dropout,
                self.iterations: DEFAULTS.iterations, self.batch_size: DEFAULTS.batch_size,
                self.network: DEFAULT_NETWORK, self.augment: DEFAULTS.augment,
                self.seed: DEFAULTS.seed, self.pen_digits: False}

    def choose(self, lab: Lab, number: int | None) -> gr.DownloadButton:
        run = lab.find(number)
        return gr.DownloadButton(value=lab.download(run) if run else None,
                                 interactive=run is not None)

    def wire(self) -> None:
        controls = [self.rate, self.dropout, self.iterations, self.batch_size, self.network,
                    self.augment, self.seed]
        # Streamed while training: only what changes then. Gradio rebuilds every output a
        # yield leaves out (1 to 3 ms each for a table or gallery), thirty people several times a
        # second; the rest follows once, when the click's runs are over.
        live = [self.progress, self.status, self.loss_plot, self.accuracy_plot, self.compare,
                self.stop, self.state]
        after = [self.runs, self.chosen, self.use, self.download, self.model_id,
                 self.run_confusion, self.run_mistakes]
        training = dict(concurrency_limit=QUEUE_LIMIT, concurrency_id="train",
                        show_progress_on=self.progress, api_visibility="private")
        inputs = [self.state, self.compare, *controls, self.with_class, self.pen_digits]
        plans = {self.start: lambda c: [c],
                 self.dropout_pair: lambda c: [replace(c, dropout=0.5), replace(c, dropout=0.0)],
                 self.network_pair: lambda c: [replace(c, hidden=()),
                                               replace(c, hidden=SEED_HIDDEN)],
                 self.pen_pair: lambda c: [replace(c, pen_writers="none"),
                                           replace(c, pen_writers=PAGE_PEN_WRITERS)]}
        for button, plan in plans.items():
            button.click(self.trains(plan), inputs, live, **training).then(
                self.last_run, self.state, after, show_progress="hidden",
                api_visibility="private")
        self.stop.click(stop_run, self.state, None, queue=False, api_visibility="private")
        self.reset.click(self.reset_controls, None, [*controls, self.pen_digits], queue=False,
                         api_visibility="private")
        self.compare.input(lambda lab, shown: self.plots(shown_curves(lab, shown)),
                           [self.state, self.compare], [self.loss_plot, self.accuracy_plot],
                           api_visibility="private")
        self.chosen.input(self.choose, [self.state, self.chosen], self.download,
                          api_visibility="private")
        self.tab.select(lambda: gr.Checkbox(label=self.class_label()), None, self.with_class,
                        queue=False, api_visibility="private")


def knob_slider(name: str, step: float, elem_id: str) -> gr.Slider:
    """A slider over the range the page offers of a knob, at its default."""
    knob = KNOBS[name]
    return gr.Slider(*knob.page, value=knob.default, step=step, label=knob.label,
                     elem_id=elem_id)


def run_choices(lab: Lab) -> list[tuple[str, int]]:
    """The session's runs as (name, number) choices."""
    return [(r.name, r.number) for r in lab.runs]


def shown_curves(lab: Lab, shown: list[int]) -> Curves:
    """The finished runs a person ticked to lay side by side."""
    return [(r.number, r.result.history) for r in lab.runs if r.number in shown]


def stop_run(lab: Lab) -> None:
    if lab.ticket is not None:
        lab.ticket.stop()
