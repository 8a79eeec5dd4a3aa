"""Reading a digit: a model made ready to read and explain, and its answer for one drawing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import keras
import numpy as np

from digitpad.explain import saliency
from digitpad.i18n import ENGLISH, localize, translate
from digitpad.model import forward_layers, frozen_weights, make_frozen_predictor
from digitpad.network_view import Weights, top_digits
from digitpad.preprocess import CANVAS_MIN_EXTENT, BadImage, NoInk, preprocess
from digitpad.strokes import BadStrokes, pad_strokes, render_to_read


@dataclass(frozen=True)
class Reading:
    """A model's answer for one image, and the 28x28 digit it looked at."""

    probabilities: np.ndarray  # (10,) summing to 1
    digit: np.ndarray  # (28, 28) float32, ink 1.0
    layers: tuple[np.ndarray, ...] = ()  # every layer's activations, when read layer by layer

    @property
    def best(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2])


@dataclass
class Reader:
    """A model made ready to read and explain digits, each traced once, when first needed: most
    of a class's runs are never drawn with."""

    name: str
    model: keras.Model
    sample: np.ndarray | None = None  # training digits (uint8) to find each unit's favourites in

    @cached_property
    def predict(self) -> Callable[[np.ndarray], np.ndarray]:
        return make_frozen_predictor(self.model)

    @cached_property
    def weights(self) -> Weights:
        """The frozen weights the pad reads layer by layer; none for a model not shaped as
        build_mlp makes them, whose layers the page does not show."""
        return frozen_weights(self.model) or []

    def layers(self, digit: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations for one digit: the input, each hidden layer, the ten
        probabilities; only the input and probabilities for a model without weights."""
        if self.weights:
            return forward_layers(self.weights, digit)
        return [digit.reshape(-1), self.predict(digit[None])[0]]

    def read_layers(self, strokes: Any) -> Reading:
        """Read the pad's strokes (drawing_digit) layer by layer: the answer and the network's
        view of it come from this one pass."""
        digit = drawing_digit(strokes)
        layers = self.layers(digit)
        return Reading(layers[-1], digit, tuple(layers))

    @cached_property
    def unit_digits(self) -> list[np.ndarray] | None:
        """For each layer after the input, the sample's digits that drive each unit highest."""
        if self.sample is None or not self.weights:
            return None
        return top_digits(self.weights, self.sample)

    @cached_property
    def explain(self) -> Callable[[np.ndarray], np.ndarray]:
        return saliency(self.model)

    def traced(self, parts: tuple[str, ...] = ("predict", "explain")) -> Reader:
        """Trace both now (or the parts named), not on someone's first stroke or look inside."""
        for name in parts:
            getattr(self, name)
        return self

    def finding_unit_digits(self) -> Reader:
        """Find each unit's favourite digits on a thread of their own, so the server answers
        meanwhile; a tap on a unit that comes first waits for them."""
        threading.Thread(target=self.traced, args=(("unit_digits",),), daemon=True).start()
        return self


def read_seen(digit: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """Read a digit already as the network sees it (28x28): an upload again, by another model."""
    return Reading(predict(digit[None])[0], digit)


def read_digit(image: Any, predict: Callable[[np.ndarray], np.ndarray],
               min_extent: float | None = None) -> Reading:
    """Preprocess any input and run the model on it; NoInk or BadImage when there is no digit."""
    return read_seen(preprocess(image, min_extent), predict)


def drawing_digit(strokes: Any) -> np.ndarray:
    """The drawing pad's strokes as the 28x28 digit (float32, ink 1.0) the network reads, drawn
    as the offline evaluator draws them; one tap is no digit (NoInk). BadStrokes when the value
    is not strokes. The app reads, saves and trains on this one digit."""
    return preprocess(render_to_read(pad_strokes(strokes)), CANVAS_MIN_EXTENT)


def read_drawing(strokes: Any, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """Read the drawing pad's strokes (drawing_digit)."""
    return read_seen(drawing_digit(strokes), predict)


def said(problem: Exception | str, lang: str = ENGLISH) -> str:
    """A failure as the person reads it, in their language: the app's exceptions and status
    lines carry a catalogue sentence in English (the HTTP API's JSON keeps it so)."""
    return localize(str(problem), lang)


def reading_or_why(read: Callable[..., Reading], source: Any,
                   predict: Callable[[np.ndarray], np.ndarray] | Reader,
                   lang: str = ENGLISH) -> Reading | str:
    """The reading, or the plain sentence a person sees when there is no digit to read."""
    try:
        return read(source, predict)
    except BadStrokes as e:
        return translate("problem.clear_pad", lang, problem=said(e, lang))
    except (NoInk, BadImage) as e:
        return said(e, lang)
