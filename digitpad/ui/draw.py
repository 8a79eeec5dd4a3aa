"""The Draw tab: our drawing pad, the answer with ten bars, what the network sees, and uploads."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from digitpad.classdata import FULL, NotSaved
from digitpad.gradio_locale import label
from digitpad.i18n import ENGLISH, LANGUAGES, translate
from digitpad.preprocess import NoInk
from digitpad.reading import Reading, read_digit, read_drawing, read_seen, reading_or_why, said
from digitpad.sessions import Lab
from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE, BadStrokes, pad_strokes
from digitpad.ui import ASSETS
from digitpad.ui.context import Shared
from digitpad.ui.language import speaking
from digitpad.uploads import CACHE
from digitpad.views.draw import (
    NOTHING_DRAWN,
    answer_panels,
    correction_html,
    result_html,
    seen_html,
)
from digitpad.views.network import network_template
from digitpad.views.train import active_model_html

PAD_JS = (ASSETS / "pad.js").read_text()
NETWORK_JS = (ASSETS / "network.js").read_text()
CANVAS_BOX = 440  # on-screen size of the drawing pad, CSS pixels
PAD_TEXT = {"name": "draw.pad_name", "hint": "draw.pad_hint", "how": "draw.pad_how",
            "undo": "draw.undo", "clear": "draw.clear"}  # what pad.js says, in the page's language
PAD_TEXTS = html.escape(json.dumps({lang: {part: translate(key, lang)
                                           for part, key in PAD_TEXT.items()}
                                    for lang in LANGUAGES}), quote=True)
PAD = f"""<div class="dp-pad" data-texts="{PAD_TEXTS}">
  <canvas data-size="{CANVAS_SIZE}" data-brush="{BRUSH_WIDTH}" tabindex="0" role="img"
          aria-label="{translate('draw.pad_name')}" aria-describedby="dp-pad-how"></canvas>
  <div class="dp-hint" aria-hidden="true">{translate('draw.pad_hint')}</div>
</div>
<p id="dp-pad-how" class="dp-sr-only">{translate('draw.pad_how')}</p>
<div class="dp-pad-tools">
  <button class="dp-undo" type="button">{translate('draw.undo')}</button>
  <button class="dp-clear" type="button">{translate('draw.clear')}</button>
</div>"""
# a tap on a digit greys all ten at once (no second save while the first is on its way) and
# sends the digit as the click's event data; "undo" sends {undo: true}
CORRECT_JS = """element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-digit], button[data-undo]');
  if (!button || button.disabled) return;
  element.querySelectorAll('button').forEach((b) => { b.disabled = true; });
  trigger('click', button.dataset.undo ? { undo: true } : { digit: Number(button.dataset.digit) });
});"""

# Each new answer is announced once, politely, in one live region of the page (not the panel,
# which is redrawn with every answer); an answer to an upload or an example takes the focus
# from the upload section, so a keyboard user lands on it.
ANNOUNCE_JS = """const say = document.getElementById('dp-say') || document.body.appendChild(
  Object.assign(document.createElement('div'), { id: 'dp-say', className: 'dp-sr-only' }));
say.setAttribute('role', 'status');
say.setAttribute('aria-live', 'polite');
let said = element.querySelector('.dp-result')?.dataset.say;
new MutationObserver(() => {
  const shown = element.querySelector('.dp-result');
  if (!shown || shown.dataset.say === said) return;
  said = shown.dataset.say;
  say.textContent = said;
  if (document.activeElement?.closest('#upload-section')) shown.focus();
}).observe(element, { childList: true, subtree: true });"""

EXAMPLES = sorted(ASSETS.glob("example-*.png"))  # example-<digit>-<surface>.png


def example_name(path: Path, lang: str = ENGLISH) -> str:
    """What a screen reader says for an example's thumbnail: "an example 7, on paper"."""
    _, digit, surface = path.stem.split("-")
    return translate("draw.example", lang, digit=digit,
                     surface=translate(f"draw.surface.{surface}", lang))


# Gradio's example thumbnails are buttons holding an image with an empty alt: they get a name
# from their file, in the page's language, whenever Gradio draws them (the upload section draws
# them once opened).
NAME_EXAMPLES_JS = "\nconst exampleNames = " + json.dumps(
    {lang: {path.name: example_name(path, lang) for path in EXAMPLES} for lang in LANGUAGES}) + """;
const nameExamples = () => document.querySelectorAll('#examples button').forEach((button) => {
  const names = exampleNames[document.documentElement.lang] || exampleNames.en;
  const name = names[button.querySelector('img')?.src.split('/').pop()];
  if (name && button.getAttribute('aria-label') !== name) button.setAttribute('aria-label', name);
});
new MutationObserver(nameExamples).observe(document.body, { childList: true, subtree: true });
window.addEventListener('digitpad:lang', nameExamples);
nameExamples();"""


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
        with gr.Tab(label("tab.draw")):
            with gr.Row(equal_height=False):
                with gr.Column(scale=0, min_width=CANVAS_BOX, elem_id="pad-column"):
                    self.pad = gr.HTML([], html_template=PAD, js_on_load=PAD_JS + NAME_EXAMPLES_JS,
                                       apply_default_css=False, elem_id="pad")
                with gr.Column(scale=1):
                    with gr.Row(elem_id="model-row"):  # which model reads, beside its answer
                        self.active = gr.HTML(active_model_html(None), elem_id="active")
                        self.back = gr.Button(label("draw.back"), size="sm", scale=0, visible=False,
                                              elem_id="shipped")
                    self.result = gr.HTML(result_html(None), elem_id="result",
                                          js_on_load=ANNOUNCE_JS + shows_pad_answers("result"))
                    self.correct = (gr.HTML("", elem_id="correct",
                                            js_on_load=CORRECT_JS + shows_pad_answers("correct"))
                                    if shared.classdata is not None else None)
                    self.seen = gr.HTML(seen_html(None), elem_id="seen",
                                        js_on_load=shows_pad_answers("seen"))
            with gr.Accordion(label("net.title"), open=False, elem_id="network-fold"):
                # lit by the pad's answers (network.js): no Gradio event per stroke
                gr.HTML([], html_template=network_template(), js_on_load=NETWORK_JS,
                        apply_default_css=False, elem_id="network")
            with gr.Accordion(label("draw.upload_section"), open=False, elem_id="upload-section"):
                self.upload = gr.Image(type="filepath", sources=["upload", "clipboard"],
                                       label=label("draw.photo"), height=240, elem_id="upload")
                self.upload.preprocess = file_as_sent
                gr.Examples([str(path) for path in EXAMPLES], self.upload,
                            label=label("draw.examples"), elem_id="examples")
        # the pad fetches its answers from /api/pad itself (pad.js): no Gradio event per stroke
        self.upload.change(self.read_upload, [self.upload, state], self.answers,
                           show_progress="hidden", api_visibility="private")
        if self.correct is not None:  # its own tiny write, beside the pad's event, not in it
            self.correct.click(self.save, [self.pad, state], self.correct, queue=False,
                               show_progress="hidden", api_visibility="private")

    @property
    def spoken(self) -> list[gr.components.Component]:
        """What the tab renders itself before any answer, in the session's language (speak)."""
        return [self.result, self.seen, self.active]

    def speak(self, lab: Lab) -> dict:
        return {self.result: result_html(None, lang=lab.lang),
                self.seen: seen_html(None, lab.lang),
                self.active: active_model_html(None, lang=lab.lang)}

    @property
    def answers(self) -> list[gr.components.Component]:
        """What reading the pad or an upload updates: the answer, the network's view and the
        correction buttons (when drawings are collected)."""
        return [self.result, self.seen, *([self.correct] if self.correct is not None else [])]

    def answer(self, read: Callable[..., Reading], source: Any, lab: Lab) -> dict:
        """An upload's answer panel and what the network sees, or a plain message saying what to
        do; no correction buttons: the pad's own answers (/api/pad) carry those."""
        reading = reading_or_why(read, source, self.shared.reader(lab).predict, lab.lang)
        lab.upload = reading.digit if isinstance(reading, Reading) else None
        return self.show(answer_panels(reading, False, lab.lang))

    def show(self, panels: dict[str, str]) -> dict:
        return {self.result: panels["result"], self.seen: panels["seen"],
                **({self.correct: panels["correct"]} if self.correct is not None else {})}

    def read_upload(self, path: str | None, lab: Lab, request: gr.Request) -> dict:
        speaking(lab, request)
        if not path:
            lab.upload = None
            return self.show(answer_panels(translate(NOTHING_DRAWN, lab.lang), False, lab.lang))
        try:
            return self.answer(read_digit, path, lab)
        finally:
            CACHE.read(path)  # kept a few seconds more, for the page's preview

    def read_upload_again(self, strokes: Any, lab: Lab) -> dict:
        """After the model is switched, the upload shown is read by the one now named, unless
        the pad holds a drawing: the pad reads that again itself, and its answer is shown."""
        if strokes or lab.upload is None:
            return {}
        return self.answer(read_seen, lab.upload, lab)

    def save(self, strokes: Any, lab: Lab, event: gr.EventData, request: gr.Request) -> str:
        """Keep the pad's drawing with the digit tapped, read again by this session's model, or
        take it back (undo); the buttons go quiet once it is saved, until the next drawing."""
        # EventData gives the page's data as attributes but fails on a request sent without any
        data = event._data if isinstance(event._data, dict) else {}
        reader, lang = self.shared.reader(lab), speaking(lab, request)
        try:
            reading = read_drawing(strokes, reader.predict)
        except (NoInk, BadStrokes):
            return correction_html(None, translate("draw.first", lang))
        if data.get("undo") is True:
            undone = self.shared.classdata.forget(request.session_hash, pad_strokes(strokes))
            return correction_html(reading.best, translate(
                "draw.undone" if undone else "draw.too_late", lang), quiet=not undone, lang=lang)
        tapped = data.get("digit")
        try:
            self.shared.classdata.save(request.session_hash, pad_strokes(strokes), tapped,
                                       reading, reader.name)
        except NotSaved as e:
            return correction_html(reading.best, said(e, lang), quiet=str(e) == FULL, lang=lang)
        return correction_html(reading.best, quiet=True, saved=tapped, lang=lang)
