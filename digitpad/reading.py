"""Reading a digit: a model made ready to read and explain, and its answer for one drawing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import keras
import numpy as np

from digitpad.explain import saliency
from digitpad.model import make_frozen_predictor
from digitpad.preprocess import CANVAS_MIN_EXTENT, BadImage, NoInk, preprocess
from digitpad.strokes import BadStrokes, pad_strokes, render_to_read


@dataclass(frozen=True)
class Reading:
    """A model's answer for one image, and the 28x28 digit it looked at."""

    probabilities: np.ndarray  # (10,) summing to 1
    digit: np.ndarray  # (28, 28) float32, ink 1.0

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

    @cached_property
    def predict(self) -> Callable[[np.ndarray], np.ndarray]:
        return make_frozen_predictor(self.model)

    @cached_property
    def explain(self) -> Callable[[np.ndarray], np.ndarray]:
        return saliency(self.model)

    def traced(self) -> Reader:
        """Trace both now, not on someone's first stroke or look inside."""
        for name in ("predict", "explain"):
            getattr(self, name)
        return self


def read_digit(image: Any, predict: Callable[[np.ndarray], np.ndarray],
               min_extent: float | None = None) -> Reading:
    """Preprocess any input and run the model on it; NoInk or BadImage when there is no digit."""
    digit = preprocess(image, min_extent)
    return Reading(predict(digit[None])[0], digit)


def drawing_digit(strokes: Any) -> np.ndarray:
    """The drawing pad's strokes as the 28x28 digit (float32, ink 1.0) the network reads, drawn
    as the offline evaluator draws them; one tap is no digit (NoInk). BadStrokes when the value
    is not strokes. The app reads, saves and trains on this one digit."""
    return preprocess(render_to_read(pad_strokes(strokes)), CANVAS_MIN_EXTENT)


def read_drawing(strokes: Any, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """Read the drawing pad's strokes (drawing_digit)."""
    digit = drawing_digit(strokes)
    return Reading(predict(digit[None])[0], digit)


def reading_or_why(read: Callable[..., Reading], source: Any,
                   predict: Callable[[np.ndarray], np.ndarray]) -> Reading | str:
    """The reading, or the plain sentence a person sees when there is no digit to read."""
    try:
        return read(source, predict)
    except BadStrokes as e:
        return f"{e} Clear the pad and draw again."
    except (NoInk, BadImage) as e:
        return str(e)
