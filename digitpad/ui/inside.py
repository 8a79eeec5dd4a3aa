"""The Look inside tab: why this answer, what the first layer learned, what it saw, and where
it fails."""

from __future__ import annotations

from typing import Any

import gradio as gr
import numpy as np

from digitpad.explain import first_layer_images
from digitpad.preprocess import NoInk
from digitpad.reading import read_drawing
from digitpad.sessions import Lab
from digitpad.strokes import BadStrokes
from digitpad.ui.context import Shared
from digitpad.views.common import message_html
from digitpad.views.draw import verdict
from digitpad.views.inside import (
    CAPTIONS,
    confusion_html,
    digit_grid,
    saliency_image,
    weights_mosaic,
    worst_mistakes,
)

MISTAKES = 12  # surest mistakes shown per data set
SAMPLES = 24  # MNIST training digits in "What it saw"
UNITS = 32  # first-layer units shown for an MLP
WEIGHTS_ALT = "The first layer's weights, one square per neuron: red excites it, blue inhibits it"
WHY_NOTE = ("{verdict}. Each map shows what would change the network's certainty for one digit, "
            "surest first.")


class InsideTab:
    """For the drawing on the Draw tab and the model in use; read when the tab is opened."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        with gr.Tab("Look inside", elem_id="inside-tab") as self.tab:
            self.using = gr.HTML(elem_id="using")
            with gr.Accordion("Why this answer", open=True):
                self.why_note = gr.HTML(elem_id="why-note")
                # hidden while there are no maps: Gradio's empty gallery is a nameless box
                self.why = gr.Gallery(label=CAPTIONS["saliency"], columns=5, height="auto",
                                      object_fit="contain", visible=False, elem_id="why")
            with gr.Accordion("What it learned", open=True):
                gr.Markdown(CAPTIONS["weights"])
                self.weights = gr.Image(show_label=False, interactive=False, elem_id="weights",
                                        buttons=["download"], alt_text=WEIGHTS_ALT)
            with gr.Accordion("What it saw", open=False):
                gr.Markdown(CAPTIONS["samples"])
                more = gr.Button("Another sample", size="sm", interactive=shared.data is not None)
                self.samples = gr.Gallery(show_label=False, columns=8, height="auto",
                                          elem_id="samples")
            with gr.Accordion("Where it fails", open=True):
                gr.Markdown(CAPTIONS["confusion"] + " On the 10,000 MNIST test digits:")
                self.confusion = gr.HTML(elem_id="confusion")
                gr.Markdown(CAPTIONS["mistakes"])
                self.mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                           elem_id="mistakes")
                gr.Markdown("The same on real pen-drawn digits:")
                self.drawn_confusion = gr.HTML(elem_id="drawn-confusion")
                self.drawn_mistakes = gr.Gallery(show_label=False, columns=6, height="auto",
                                                 elem_id="drawn-mistakes")
        more.click(self.sample, None, self.samples, api_visibility="private")

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.using, self.why, self.why_note, self.weights, self.confusion, self.mistakes,
                self.drawn_confusion, self.drawn_mistakes]

    def sample(self) -> list:
        data = self.shared.data
        return digit_grid(data.x_train, data.y_train, SAMPLES, np.random.default_rng())

    def why_this_answer(self, strokes: Any, lab: Lab) -> dict:
        """A saliency map per digit for the pad's drawing, surest first."""
        reader = self.shared.reader(lab)
        try:
            reading = read_drawing(strokes, reader.predict)
        except (NoInk, BadStrokes) as e:
            return {self.why: gr.Gallery(value=[], visible=False), self.why_note: message_html(
                f"{e} Then come back here to see why it answers as it does.")}
        gradients = reader.explain(reading.digit)
        order = np.argsort(-reading.probabilities)
        maps = [(saliency_image(reading.digit, gradients[d]),
                 f"{d}: {reading.probabilities[d]:.1%}") for d in order]
        return {self.why: gr.Gallery(value=maps, visible=True),
                self.why_note: message_html(WHY_NOTE.format(verdict=verdict(reading).rstrip("?.")))}

    def where_it_fails(self, lab: Lab) -> dict:
        """Confusions and surest mistakes of the model in use, on MNIST test and the drawings."""
        test, drawn = self.shared.scores(lab)
        data, drawings = self.shared.data, self.shared.drawings.drawings
        return {
            self.confusion: (confusion_html(test.confusion) if test
                             else message_html(self.shared.data_problem)),
            self.mistakes: (worst_mistakes(data.x_test, data.y_test, test.probabilities,
                                           MISTAKES) if test else []),
            self.drawn_confusion: confusion_html(drawn.confusion) if drawn else "",
            self.drawn_mistakes: (worst_mistakes(drawings.images, drawings.labels,
                                                 drawn.probabilities, MISTAKES) if drawn else []),
        }

    def look(self, strokes: Any, lab: Lab) -> dict:
        """Everything on the tab, for the pad's drawing and the model this session uses."""
        reader = self.shared.reader(lab)
        images, captions = first_layer_images(reader.model, UNITS)
        return {self.using: message_html(f"Looking inside {reader.name}."),
                self.weights: weights_mosaic(images, captions,
                                             columns=8 if len(images) > 10 else 5),
                **self.why_this_answer(strokes, lab), **self.where_it_fails(lab)}
