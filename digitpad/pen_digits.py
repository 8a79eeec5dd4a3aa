"""Pen-drawn digits as training digits: each writer's trajectories, redrawn with distorted strokes
as another hand might draw them, and read into 28x28 by the pad's own drawing_digit."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from digitpad.data import SHIPPED_DRAWINGS, Mnist, as_uint8
from digitpad.knobs import TrainConfig
from digitpad.preprocess import NoInk
from digitpad.reading import drawing_digit
from digitpad.scoring import of_writers
from digitpad.strokes import DIGIT_HEIGHT, Strokes, fit_to_canvas, load_strokes
from digitpad.training import mix_in

MAX_ROTATION = math.radians(12)
MAX_SHEAR = 0.3  # x moved by up to this share of y from the digit's centre
AXIS_SCALE = (0.8, 1.2)  # width and height each stretched or squeezed
STROKE_SHIFT = 0.04  # each stroke moved by up to this share of the digit's height
JITTER = 0.006  # each point moved by about this share of the digit's height (normal)
# How tall the digit is drawn on the canvas, with the pad's fixed brush: once scaled to 20 px,
# a small digit's line is thick and a large one's thin, as with people who draw small or large.
DRAWN_HEIGHT = (0.35, 0.8)


def distort(strokes: Strokes, rng: np.random.Generator, strength: float = 1.0) -> Strokes:
    """The strokes rotated, sheared and stretched about the digit's centre, each stroke moved a
    little and each point jittered; strength scales every range (0: unchanged)."""
    points = np.concatenate(strokes)
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    height = max(float(np.ptp(points[:, 1])), float(np.ptp(points[:, 0])), 1e-9)
    angle = rng.uniform(-MAX_ROTATION, MAX_ROTATION) * strength
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR) * strength
    scale = 1 + (rng.uniform(*AXIS_SCALE, size=2) - 1) * strength
    cos, sin = math.cos(angle), math.sin(angle)
    # x right, y down: rotate(shear(scale(p))), as a matrix acting on row vectors
    matrix = (np.diag(scale) @ np.array([[1.0, 0.0], [shear, 1.0]])
              @ np.array([[cos, sin], [-sin, cos]]))
    moved = []
    for stroke in strokes:
        shift = rng.uniform(-1, 1, 2) * STROKE_SHIFT * height * strength
        jitter = rng.normal(0, JITTER * height * strength, stroke.shape)
        moved.append((stroke - centre) @ matrix + centre + shift + jitter)
    return moved


def pen_digit(strokes: list, drawn_height: float = DIGIT_HEIGHT) -> np.ndarray:
    """A pen trajectory (any units) placed on the pad's canvas at drawn_height and read as the
    pad reads a drawing: a 28x28 uint8 digit, ink 255. NoInk when it is no digit."""
    on_canvas = fit_to_canvas(strokes, digit_height=drawn_height)
    return as_uint8(drawing_digit([stroke.tolist() for stroke in on_canvas]))


def pen_training_digits(records: list[dict], copies: int, seed: int,
                        strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """copies 28x28 uint8 digits of each record, with their labels: the first as written, the
    others with distorted strokes drawn at a random height; a copy that is no digit is left out."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for record in records:
        strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in record["strokes"] if len(s)]
        for copy in range(copies):
            drawn = strokes if copy == 0 else distort(strokes, rng, strength)
            height = DIGIT_HEIGHT if copy == 0 else rng.uniform(*DRAWN_HEIGHT)
            try:
                images.append(pen_digit(drawn, height))
            except NoInk:
                continue
            labels.append(record["label"])
    return (np.array(images, np.uint8).reshape(-1, 28, 28), np.array(labels, np.uint8))


@functools.lru_cache(maxsize=4)
def writers_digits(path: str, writers: str, copies: int, seed: int,
                   strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """pen_training_digits of one half of a strokes file's writers, kept for the next run: the
    30 writers' 7,494 digits take 1.5 to 4 ms each to draw, by the load."""
    return pen_training_digits(of_writers(load_strokes(path), writers), copies, seed, strength)


def with_pen_digits(data: Mnist, config: TrainConfig,
                    path: str | Path = SHIPPED_DRAWINGS) -> Mnist:
    """MNIST with the config's pen writers' digits mixed into its training digits at pen_share
    of every minibatch (mix_in, as the class's drawings); data itself for no pen writers."""
    if config.pen_writers == "none":
        return data
    seed = config.seed if config.pen_copies > 1 else 0  # one copy, as written: no randomness
    images, labels = writers_digits(str(path), config.pen_writers, config.pen_copies, seed,
                                    config.pen_distortion)
    return mix_in(data, images, labels, config.pen_share)


def unseen_half(pen_writers: str) -> str | None:
    """The writer half a run learned nothing from, to score it on people it never saw: B after
    A, A after B, both ("all") after none, and none after all."""
    return {"A": "B", "B": "A", "none": "all"}.get(pen_writers)
