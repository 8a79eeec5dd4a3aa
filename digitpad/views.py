"""What the Draw tab shows: pure functions from a model's reading to HTML and images."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from digitpad.preprocess import preprocess

UNSURE = 0.5  # below this top probability the app says it is not sure
ENLARGE = 10  # "what the network sees" is shown at 280x280, square pixels


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


def read_digit(image: Any, predict: Callable[[np.ndarray], np.ndarray]) -> Reading:
    """Preprocess any input and run the model on it; NoInk or BadImage when there is no digit."""
    digit = preprocess(image)
    return Reading(predict(digit[None])[0], digit)


def enlarge(digit: np.ndarray, factor: int = ENLARGE) -> np.ndarray:
    """The 28x28 digit as a large uint8 image with square pixels, dark ink on white."""
    pixels = (255 * (1.0 - digit)).astype(np.uint8)
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


def verdict(reading: Reading) -> str:
    """One line in plain words: the answer, or that it is unsure and what else it might be."""
    p = reading.probabilities
    if p[reading.best] < UNSURE:
        return (f"Not sure: maybe {reading.best} ({p[reading.best]:.0%}) "
                f"or {reading.runner_up} ({p[reading.runner_up]:.0%})")
    return f"It's a {reading.best} ({p[reading.best]:.0%} sure)"


def result_html(reading: Reading | None, message: str = "Draw a digit") -> str:
    """The big answer and ten bars, 0 to 9 in order, winner highlighted; calm when empty."""
    if reading is None:
        return (f'<div class="dp-result dp-empty"><div class="dp-digit">?</div>'
                f'<div class="dp-verdict">{html.escape(message)}</div>'
                f'<div class="dp-bars">{bars(np.zeros(10), None)}</div></div>')
    unsure = reading.probabilities[reading.best] < UNSURE
    return (f'<div class="dp-result{" dp-unsure" if unsure else ""}">'
            f'<div class="dp-digit">{reading.best}</div>'
            f'<div class="dp-verdict">{html.escape(verdict(reading))}</div>'
            f'<div class="dp-bars">{bars(reading.probabilities, reading.best)}</div></div>')


def bars(probabilities: np.ndarray, best: int | None) -> str:
    """Ten vertical bars with their percentage above and the digit below."""
    cells = []
    for digit, p in enumerate(probabilities):
        winner = " dp-winner" if digit == best else ""
        label = f"{p:.0%}" if best is not None else ""
        cells.append(f'<div class="dp-bar{winner}" data-digit="{digit}" data-p="{p:.4f}">'
                     f'<span class="dp-pct">{label}</span>'
                     f'<span class="dp-fill" style="height:{100 * p:.1f}%"></span>'
                     f'<span class="dp-label">{digit}</span></div>')
    return "".join(cells)
