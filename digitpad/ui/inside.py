"""The Look inside tab: why this answer, what the first layer learned, what it saw, and where
it fails."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np

from digitpad.explain import first_layer_images
from digitpad.gradio_locale import label
from digitpad.i18n import localize, percent, translate
from digitpad.preprocess import NoInk
from digitpad.reading import read_drawing, said
from digitpad.sessions import Lab
from digitpad.strokes import BadStrokes
from digitpad.ui.context import Shared
from digitpad.ui.language import speaking
from digitpad.views.common import message_html
from digitpad.views.draw import verdict
from digitpad.views.inside import (
    confusion_html,
    digit_grid,
    saliency_image,
    weights_mosaic,
    worst_mistakes,
)

MISTAKES = 12  # surest mistakes shown per data set
SAMPLES = 24  # MNIST training digits in "What it saw"
UNITS = 32  # first-layer units shown for an MLP


class InsideTab:
    """For the drawing on the Draw tab and the model in use; read when the tab is opened."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        with gr.Tab(label("tab.inside"), elem_id="inside-tab") as self.tab:
            self.using = gr.HTML(elem_id="using")
            with gr.Accordion(label("inside.why"), open=True):
                self.why_note = gr.HTML(elem_id="why-note")
                # hidden while there are no maps: Gradio's empty gallery is a nameless box
                self.why = gr.Gallery(label=label("caption.saliency"), columns=5, height="auto",
                                      object_fit="contain", visible=False, elem_id="why")
            with gr.Accordion(label("inside.learned"), open=True):
                gr.Markdown(label("caption.weights"))
                self.weights = gr.Image(show_label=False, interactive=False, elem_id="weights",
                                        buttons=["download"],
                                        alt_text=translate("inside.weights_alt"))
            with gr.Accordion(label("inside.saw"), open=False):
                gr.Markdown(label("caption.samples"))
                more = gr.Button(label("inside.another"), size="sm",
                                 interactive=shared.data is not None)
                self.samples = gr.Gallery(show_label=False, columns=8, height="auto",
                                          elem_id="samples")
            with gr.Accordion(label("inside.fails"), open=True):
                gr.Markdown(label("caption.confusion"))
                gr.Markdown(label("inside.on_test"))
                self.confusion = gr.HTML(elem_id="confusion")
                gr.Markdown(label("caption.mistakes"))
                self.mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                           elem_id="mistakes")
                gr.Markdown(label("inside.on_drawings"))
                self.drawn_confusion = gr.HTML(elem_id="drawn-confusion")
                self.drawn_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                                 elem_id="drawn-mistakes")
        more.click(self.sample, None, self.samples, api_visibility="private")

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.using, self.why, self.why_note, self.weights, self.confusion, self.mistakes,
                self.drawn_confusion, self.drawn_mistakes]

    def opening(self) -> dict:
        """What the tab shows from the page's load: some of MNIST's training digits."""
        return {} if self.shared.data is None else {self.samples: self.sample()}

    def sample(self) -> list:
        data = self.shared.data
        return digit_grid(data.x_train, data.y_train, SAMPLES, np.random.default_rng())

    def why_this_answer(self, strokes: Any, lab: Lab) -> dict:
        """A saliency map per digit for the pad's drawing, surest first."""
        reader, lang = self.shared.reader(lab), lab.lang
        try:
            reading = read_drawing(strokes, reader.predict)
        except (NoInk, BadStrokes) as e:
            return {self.why: gr.Gallery(value=[], visible=False), self.why_note: message_html(
                translate("problem.come_back", lang, problem=said(e, lang)))}
        gradients = reader.explain(reading.digit)
        order = np.argsort(-reading.probabilities)
        note = translate("inside.why_note", lang, verdict=verdict(reading, lang).rstrip("?.？؟"))
        maps = [(saliency_image(reading.digit, gradients[d]),
                 f"{d}: {percent(float(reading.probabilities[d]), lang, 1)}") for d in order]
        return {self.why: gr.Gallery(value=maps, visible=True), self.why_note: message_html(note)}

    def where_it_fails(self, lab: Lab) -> dict:
        """Confusions and surest mistakes of the model in use, on MNIST test and the drawings."""
        test, drawn = self.shared.scores(lab)
        data, drawings, lang = self.shared.data, self.shared.drawings.drawings, lab.lang
        return {
            self.confusion: (confusion_html(test.confusion, lang) if test
                             else message_html(said(self.shared.data_problem, lang))),
            self.mistakes: (worst_mistakes(data.x_test, data.y_test, test.probabilities,
                                           MISTAKES, lang) if test else []),
            self.drawn_confusion: confusion_html(drawn.confusion, lang) if drawn else "",
            self.drawn_mistakes: (worst_mistakes(drawings.images, drawings.labels,
                                                 drawn.probabilities, MISTAKES, lang)
                                  if drawn else []),
        }

    def look(self, strokes: Any, lab: Lab, request: gr.Request) -> dict:
        """Everything on the tab, for the pad's drawing and the model this session uses."""
        reader = self.shared.reader(lab)
        speaking(lab, request)
        images, captions = first_layer_images(reader.model, UNITS)
        captions = [localize(caption, lab.lang) for caption in captions]
        using = translate("inside.using", lab.lang, name=localize(reader.name, lab.lang))
        return {self.using: message_html(using),
                self.weights: gr.Image(weights_mosaic(images, captions,
                                                      columns=8 if len(images) > 10 else 5),
                                       alt_text=translate("inside.weights_alt", lab.lang)),
                **self.why_this_answer(strokes, lab), **self.where_it_fails(lab)}
