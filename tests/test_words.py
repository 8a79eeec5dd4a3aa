"""What the page says in words: a guess worded as a guess, one time estimate, what was saved."""

from __future__ import annotations

import re

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
from digitpad.views.inside import CAPTIONS, confusion_html, luminance, readable_ink
from digitpad.views.train import RUN_COLUMNS, model_id_html, progress_html, runs_table


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


def contrast(ink: str, background: np.ndarray) -> float:
    lighter, darker = sorted([luminance(np.full(3, 255.0 if ink == "white" else 0.0)),
                              luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_count_of_the_confusion_table_reads_at_4_5_to_1():
    rng = np.random.default_rng(0)
    spread = rng.integers(0, 300, (10, 10)) + np.diag(rng.integers(0, 1000, 10))
    for matrix in (spread, np.eye(10, dtype=int) * 980 + 2):
        shown = confusion_html(matrix)
        cells = re.findall(r"background:rgba\((\d+),(\d+),(\d+),([0-9.]+)\);color:(\w+)", shown)
        assert len(cells) == 100
        for *rgb, alpha, ink in cells:
            background = 255 + float(alpha) * (np.array(rgb, float) - 255)
            assert contrast(ink, background) >= 4.5, (rgb, alpha, ink)
    for alpha in np.linspace(0, 1, 101):  # every shade of both colours, not just these tables
        for rgb in ((34, 139, 34), (200, 40, 40)):
            background = 255 + alpha * (np.array(rgb, float) - 255)
            assert contrast(readable_ink(rgb, alpha), background) >= 4.5, (rgb, alpha)


def test_the_runs_table_is_a_scrolling_region_with_the_run_named_per_row():
    summary = {"run": 2, "network": "512-256-128", "learning_rate": 0.001, "dropout": 0.25,
               "iterations_done": 1200, "batch_size": 64, "augment": True,
               "with_class_drawings": False, "test_accuracy": 0.9712, "train_seconds": 12.34}
    shown = runs_table([summary])
    assert 'role="region"' in shown and 'tabindex="0"' in shown
    assert 'aria-label="Your runs"' in shown
    assert shown.count('<th scope="col">') == len(RUN_COLUMNS)
    assert '<th scope="row">run 2</th>' in shown
    assert "<td>97.12%</td>" in shown and "<td>1,200</td>" in shown and "<td>0.001</td>" in shown
    assert "<table" not in runs_table([]) and "listed here" in runs_table([])


def test_look_inside_says_why_weights_look_like_noise_and_what_bright_means():
    assert "noise" in CAPTIONS["weights"] and "short run" in CAPTIONS["weights"]
    assert "brighter" in CAPTIONS["saliency"] and "pale means it hardly matters" in (
        CAPTIONS["saliency"])
