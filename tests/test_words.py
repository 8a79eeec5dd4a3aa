"""What the page says in words: a guess worded as a guess, one time estimate, what was saved."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.reading import Reading
from digitpad.views.draw import (
    LOOKS_LIKE_NOTHING,
    SURE,
    correction_html,
    result_html,
    spoken,
    verdict,
)
from digitpad.views.gallery import class_drawings_html
from digitpad.views.train import model_id_html, progress_html


def reading(best: int, top: float, runner_up: int, second: float) -> Reading:
    """A reading whose two likeliest digits have these probabilities, the rest sharing what is
    left evenly."""
    p = np.full(10, (1.0 - top - second) / 8)
    p[best], p[runner_up] = top, second
    return Reading(p.astype(np.float32), np.zeros((28, 28), np.float32))


def test_a_sure_answer_names_the_digit_in_large_type():
    sure = reading(7, 0.96, 1, 0.02)
    assert verdict(sure) == "It's a 7 (96% sure)"
    assert verdict(reading(8, 0.9, 3, 0.05)) == "It's an 8 (90% sure)"
    assert '<div class="dp-digit" aria-hidden="true">7</div>' in result_html(sure)
    assert spoken(sure) == "Read as 7, 96 percent sure."


@pytest.mark.parametrize("top", [SURE - 0.01, LOOKS_LIKE_NOTHING])
def test_an_unsure_answer_is_two_guesses_without_the_big_digit(top):
    unsure = reading(2, top, 7, 0.3)
    assert verdict(unsure) == "Not sure: maybe 2, maybe 7"
    shown = result_html(unsure)
    assert "dp-digit" not in shown and "Not sure: maybe 2, maybe 7" in shown
    assert 'data-best="2"' in shown and shown.count("dp-winner") == 1  # the bars still show it


def test_a_drawing_like_no_digit_says_so():
    scribble = reading(4, LOOKS_LIKE_NOTHING - 0.01, 9, 0.2)
    assert verdict(scribble).startswith("This barely looks like any digit.")
    assert spoken(scribble) == "This barely looks like any digit."
    assert "dp-digit" not in result_html(scribble)


def test_a_saved_correction_says_what_was_saved_and_offers_undo():
    saved = correction_html(1, quiet=True, saved=7)
    assert "Saved as 7 —" in saved and 'data-undo="1"' in saved
    assert saved.count(" disabled") == 10
    asking = correction_html(1)
    assert "data-undo" not in asking and " disabled" not in asking


def test_progress_carries_one_time_estimate_only():
    shown = progress_html(100, 1000, 3.0, "training · about 30 s left")
    assert shown.count("left") == 1
    assert "iteration 100 of 1,000 · 3.0 s · training · about 30 s left" in shown


def test_the_model_id_says_what_it_is_for():
    shown = model_id_html({"run": 3, "id": "abc123"})
    assert "POST /api/predict?model=abc123" in shown and "run 3" in shown.lower()
    assert "<code" in shown


def test_digits_nobody_drew_are_named_on_one_line():
    labels = np.array([1, 1, 7])
    images = np.zeros((3, 28, 28), np.uint8)
    shown = class_drawings_html(labels, images, labels, "the shipped model")
    assert "Nobody has drawn these yet: 0, 2, 3, 4, 5, 6, 8, 9." in shown
    assert shown.count("dp-class-digit") == 2 and "none yet" not in shown
    assert "Nobody has drawn" not in class_drawings_html(np.arange(10), np.zeros((10, 28, 28),
                                                         np.uint8), np.arange(10), "m")
