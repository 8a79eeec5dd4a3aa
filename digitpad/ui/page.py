"""The whole page: the three tabs, the links between them, and the /predict and /train APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import gradio as gr
from gradio import FileData

from digitpad.gradio_locale import label
from digitpad.knobs import ConfigError
from digitpad.preprocess import BadImage, NoInk
from digitpad.reading import read_digit
from digitpad.scheduler import QUEUE_LIMIT, Refused
from digitpad.sessions import Lab, Run, app_config
from digitpad.ui.context import SESSION_SECONDS, Shared
from digitpad.ui.draw import DrawTab
from digitpad.ui.follow import RunFailed, Training, train_and_follow
from digitpad.ui.gallery import GalleryTab
from digitpad.ui.inside import InsideTab
from digitpad.ui.language import language_menu, speaking
from digitpad.ui.train import TrainTab
from digitpad.views.train import active_model_html


def build(shared: Shared, cache_seconds: int = 3600) -> gr.Blocks:
    """Draw (pad, answer, what the network sees), Train (sliders, curves), Look inside and,
    when drawings are collected, Class drawings. Gradio's cached files (uploads, pictures) are
    deleted once cache_seconds old."""
    with gr.Blocks(title="digitpad",
                   delete_cache=(max(5, cache_seconds // 4), cache_seconds)) as demo:
        # a value, not a function: Gradio copies it for each session, where a function would
        # add a load event of its own, and an API endpoint
        state = gr.State(Lab(), time_to_live=SESSION_SECONDS, delete_callback=Lab.close)
        with gr.Row(elem_id="header"):
            gr.Markdown("# digitpad\n" + label("page.subtitle"), elem_id="title")
            language = language_menu()
        draw = DrawTab(shared, state)
        training = TrainTab(shared, state)
        inside = InsideTab(shared)
        if shared.classdata is not None:
            GalleryTab(shared, state)
        link_tabs(draw, training, inside, state)

        def open_session(lab: Lab, request: gr.Request) -> dict:
            """Every later event gets this Lab; the page speaks its language from now on. The
            page's one load event: with several, Gradio's page sometimes missed one's answer."""
            lab = shared.open_lab(request.session_hash, lab)
            speaking(lab, request)
            return {state: lab, language: lab.lang, **draw.speak(lab), **training.speak(lab),
                    **inside.opening()}

        def close_session(request: gr.Request) -> None:
            shared.close_lab(request.session_hash)

        demo.load(open_session, state,
                  [state, language, *draw.spoken, *training.spoken, inside.samples],
                  api_visibility="private")
        demo.unload(close_session)
        add_api(shared)
    return demo


def link_tabs(draw: DrawTab, training: TrainTab, inside: InsideTab, state: gr.State) -> None:
    """Use for drawing and Back switch the session's model and re-read the pad, or the upload
    shown, with it; opening Look inside reads the pad's drawing."""

    def use_run(lab: Lab, number: int | None, request: gr.Request) -> dict:
        speaking(lab, request)
        lab.active = lab.find(number)
        if lab.active:  # each unit's favourite digits found now, so a tap answers at once
            lab.active.reader.traced(("unit_digits",))
        shown = (active_model_html(lab.active.name, lab.active.summary(), lab.active.id, lab.lang)
                 if lab.active else active_model_html(None, lang=lab.lang))
        return {draw.active: shown, draw.back: gr.Button(visible=lab.active is not None),
                state: lab}

    def use_shipped(lab: Lab, request: gr.Request) -> dict:
        speaking(lab, request)
        lab.active = None
        return {draw.active: active_model_html(None, lang=lab.lang),
                draw.back: gr.Button(visible=False), state: lab}

    switched = [draw.active, draw.back, state]
    # the pad reads its drawing again with the model now named: through the pad, whose newest
    # answer wins, so a stroke drawn meanwhile is not answered over by the drawing before it
    read_again = "() => { window.dispatchEvent(new CustomEvent('digitpad:resend')); }"
    for switch in (training.use.click(use_run, [state, training.chosen], switched,
                                      api_visibility="private"),
                   draw.back.click(use_shipped, state, switched, api_visibility="private")):
        switch.then(None, js=read_again).then(
            draw.read_upload_again, [draw.pad, state], draw.answers, show_progress="hidden",
            api_visibility="private")
    inside.tab.select(inside.look, [draw.pad, state], inside.outputs, api_visibility="private")


def api_answer(step: Training | Run) -> dict:
    """What /train sends: {"status": ...} while its run waits or trains, then the run's scores
    and settings."""
    if isinstance(step, Training):
        return {"status": step.status}
    return {key: value for key, value in step.summary().items() if key not in ("run", "id")}


def add_api(shared: Shared) -> None:
    """The two API endpoints, for programs rather than the page."""

    def predict(image: FileData) -> dict[str, float]:
        """Ten probabilities, "0" to "9", for one image file of a handwritten digit."""
        if not image:
            raise gr.Error("No image: send an image file of one handwritten digit.")
        try:
            reading = read_digit(image["path"], shared.shipped.predict)
        except (NoInk, BadImage) as e:
            raise gr.Error(str(e)) from e
        return {str(d): round(float(p), 6) for d, p in enumerate(reading.probabilities)}

    async def train_model(learning_rate: float, dropout: float, iterations: int,
                          batch_size: int, network: str, augment: bool, seed: int,
                          request: gr.Request, pen_digits: bool = False) -> AsyncIterator[dict]:
        """Train a fresh network on MNIST with these settings, and with half the pen-drawn
        digits' writers if pen_digits; its scores and time as JSON. While it waits or trains,
        it sends {"status": ...}; the last answer is the summary."""
        if shared.trainer is None:
            raise gr.Error(shared.data_problem)
        try:
            config = app_config(learning_rate, dropout, iterations, batch_size, network,
                                augment, seed, pen_digits)
            mixed = await asyncio.to_thread(shared.class_set, False)  # scored, not trained on
            async for step in train_and_follow(shared, request.session_hash, config, mixed, 0):
                yield api_answer(step)
        except (ConfigError, Refused, RunFailed) as e:
            raise gr.Error(str(e)) from e

    gr.api(predict, api_name="predict")
    gr.api(train_model, api_name="train", concurrency_limit=QUEUE_LIMIT, concurrency_id="train")
