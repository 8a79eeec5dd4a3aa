"""The Draw tab: our drawing pad, the answer with ten bars, what the network sees, and uploads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from digitpad.classdata import FULL, NotSaved
from digitpad.preprocess import NoInk
from digitpad.reading import Reading, read_digit, read_drawing, reading_or_why
from digitpad.sessions import Lab
from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE, BadStrokes, pad_strokes
from digitpad.ui import ASSETS
from digitpad.ui.context import Shared
from digitpad.views.draw import (
    NOTHING_DRAWN,
    answer_panels,
    correction_html,
    result_html,
    seen_html,
)
from digitpad.views.network import TEXT, network_template
from digitpad.views.train import active_model_html

PAD_JS = (ASSETS / "pad.js").read_text()
NETWORK_JS = (ASSETS / "network.js").read_text()
CANVAS_BOX = 440  # on-screen size of the drawing pad, CSS pixels
PAD = f"""<div class="dp-pad">
  <canvas data-size="{CANVAS_SIZE}" data-brush="{BRUSH_WIDTH}" tabindex="0"
          aria-label="Drawing pad: draw one digit"></canvas>
  <div class="dp-hint">Draw a digit here</div>
</div>
<div class="dp-pad-tools">
  <button class="dp-undo" type="button">Undo</button>
  <button class="dp-clear" type="button">Clear</button>
</div>"""
# a tap on a digit greys all ten at once (no second save while the first is on its way) and
# sends the digit as the click's event data
CORRECT_JS = """element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-digit]');
  if (!button || button.disabled) return;
  element.querySelectorAll('button[data-digit]').forEach((b) => { b.disabled = true; });
  trigger('click', { digit: Number(button.dataset.digit) });
});"""


def shows_pad_answers(panel: str) -> str:
    """JS for an answer panel: show the panel's part of each answer the pad fetches (pad.js)."""
    return ("window.addEventListener('digitpad:answer', "
            f"(event) => {{ props.value = event.detail.{panel}; }});")


def file_as_sent(payload: FileData | None) -> str | None:
    """An upload's own file, unopened. gr.Image opens it with Pillow before the app sees it: a
    file that is not an image then fails with a bare "Error", and odd modes are converted, so the
    Draw tab would read some images differently from /predict."""
    return None if payload is None else payload.path


class DrawTab:
    """The pad on the left, the answer on the right; which model reads, and uploads below."""

    def __init__(self, shared: Shared, state: gr.State) -> None:
        self.shared, self.state = shared, state
        with gr.Tab("Draw"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=0, min_width=CANVAS_BOX, elem_id="pad-column"):
                    self.pad = gr.HTML([], html_template=PAD, js_on_load=PAD_JS,
                                       apply_default_css=False, elem_id="pad")
                with gr.Column(scale=1):
                    self.result = gr.HTML(result_html(None), elem_id="result",
                                          js_on_load=shows_pad_answers("result"))
                    self.correct = (gr.HTML("", elem_id="correct",
                                            js_on_load=CORRECT_JS + shows_pad_answers("correct"))
                                    if shared.classdata is not None else None)
                    self.seen = gr.HTML(seen_html(None), elem_id="seen",
                                        js_on_load=shows_pad_answers("seen"))
            with gr.Row():
                self.active = gr.HTML(active_model_html(None), elem_id="active")
                self.back = gr.Button("Back to the shipped model", size="sm", scale=0,
                                      visible=False, elem_id="shipped")
            with gr.Accordion(TEXT["title"], open=False, elem_id="network-fold"):
                # lit by the pad's answers (network.js): no Gradio event per stroke
                gr.HTML([], html_template=network_template(), js_on_load=NETWORK_JS,
                        apply_default_css=False, elem_id="network")
            with gr.Accordion("Or upload a photo or scan of a digit", open=False):
                self.upload = gr.Image(type="filepath", sources=["upload", "clipboard"],
                                       label="Photo or scan", height=240, elem_id="upload")
                self.upload.preprocess = file_as_sent
                gr.Examples(sorted(str(p) for p in ASSETS.glob("example-*.png")), self.upload,
                            label="Examples")
        # the pad fetches its answers from /api/pad itself (pad.js): no Gradio event per stroke
        self.upload.change(self.read_upload, [self.upload, state], self.answers,
                           show_progress="hidden", api_visibility="private")
        if self.correct is not None:  # its own tiny write, beside the pad's event, not in it
            self.correct.click(self.save, [self.pad, state], self.correct, queue=False,
                               show_progress="hidden", api_visibility="private")

    @property
    def answers(self) -> list[gr.components.Component]:
        """What reading the pad or an upload updates: the answer, the network's view and the
        correction buttons (when drawings are collected)."""
        return [self.result, self.seen, *([self.correct] if self.correct is not None else [])]

    def answer(self, read: Callable[..., Reading], source: Any, lab: Lab,
               correctable: bool = False) -> dict:
        """The answer panel and what the network sees, or a plain message saying what to do;
        the correction buttons only under an answer for a drawing on the pad."""
        return self.show(answer_panels(
            reading_or_why(read, source, self.shared.reader(lab).predict), correctable))

    def show(self, panels: dict[str, str]) -> dict:
        return {self.result: panels["result"], self.seen: panels["seen"],
                **({self.correct: panels["correct"]} if self.correct is not None else {})}

    def read_pad(self, strokes: Any, lab: Lab) -> dict:
        """The pad's drawing read again, once the session switches model."""
        return self.answer(read_drawing, strokes, lab, correctable=True)

    def read_upload(self, path: str | None, lab: Lab) -> dict:
        if not path:
            return self.show(answer_panels(NOTHING_DRAWN, correctable=False))
        return self.answer(read_digit, path, lab)

    def save(self, strokes: Any, lab: Lab, event: gr.EventData, request: gr.Request) -> str:
        """Keep the pad's drawing with the digit tapped, read again by this session's model;
        the buttons go quiet once it is saved, until the next drawing."""
        # EventData gives the page's data as attributes but fails on a request sent without any
        tapped = event._data.get("digit") if isinstance(event._data, dict) else None
        reader = self.shared.reader(lab)
        try:
            reading = read_drawing(strokes, reader.predict)
        except (NoInk, BadStrokes):
            return correction_html(None, "Draw a digit first, then tap what it is.")
        try:
            note = self.shared.classdata.save(request.session_hash, pad_strokes(strokes), tapped,
                                              reading, reader.name)
        except NotSaved as e:
            return correction_html(reading.best, str(e), quiet=str(e) == FULL)
        return correction_html(reading.best, note, quiet=True)
