"""Pen styles that many people use and MNIST barely has, drawn onto MNIST digits for training.

Flagged ones (a stroke down-left from the top) and nines whose tail curls back to the left are
common on a canvas and rare in MNIST, so an MNIST-only network reads them as sevens and threes.
Each styled digit is re-normalised the MNIST way, as a drawing with that stroke would be.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitpad.preprocess import center_by_mass, ink_box, scale_to_box

UPSCALE = 4  # strokes are added on a 112x112 copy, so they are as smooth as MNIST's own
INK = 0.5  # a pixel this strong is part of a stroke when measuring the digit
FLAG_LENGTH = (0.3, 0.7)  # of the digit's height
FLAG_ANGLE = (15.0, 50.0)  # degrees below the horizontal
CURL_WIDTH = (0.2, 0.5)  # how far left the tail's end comes back, of the digit's height
CURL_BEND = (0.05, 0.125)  # the curve's pull to the left ...
CURL_DROP = (0.05, 0.15)  # ... and below the old end
CURL_RISE = (-0.02, 0.15)  # how far above the old end the curl ends
SHARE = {1: 0.8, 9: 0.8}  # share of each class given its pen style


def upscale(digit: np.ndarray) -> np.ndarray:
    """A uint8 28x28 digit as float ink in [0, 1] at UPSCALE times the size."""
    side = digit.shape[0] * UPSCALE
    big = Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)
    return np.asarray(big, dtype=np.float32) / 255.0


def stroke_width(ink: np.ndarray) -> float:
    """The pen's width: the median run of ink across a row (rows with ink)."""
    runs = (ink > INK).sum(axis=1)
    return float(np.median(runs[runs > 0]))


def end_point(ink: np.ndarray, row: int) -> tuple[float, float]:
    """(x, y) of the middle of the ink on one row."""
    return float(np.flatnonzero(ink[row] > INK).mean()), float(row)


def draw_stroke(ink: np.ndarray, points: np.ndarray, width: float) -> np.ndarray:
    """The ink with a round-capped stroke through points added, antialiased by 2x drawing."""
    canvas = Image.new("L", (ink.shape[1] * 2, ink.shape[0] * 2), 0)
    draw = ImageDraw.Draw(canvas)
    path = [(2 * x, 2 * y) for x, y in points]
    draw.line(path, fill=255, width=max(1, round(2 * width)), joint="curve")
    for x, y in (path[0], path[-1]):
        draw.ellipse((x - width, y - width, x + width, y + width), fill=255)
    stroke = np.asarray(canvas.reduce(2), dtype=np.float32) / 255.0
    return np.maximum(ink, stroke)


def renormalize(ink: np.ndarray) -> np.ndarray:
    """MNIST's normalisation again (crop, 20 px, centre of mass), back to uint8 28x28."""
    top, bottom, left, right = ink_box(ink)
    digit = center_by_mass(scale_to_box(ink[top:bottom, left:right]))
    return np.round(digit * 255).astype(np.uint8)


def flag_one(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A one with a flag: a straight stroke from the top of the stem down to the left."""
    ink = upscale(digit)
    rows = np.flatnonzero((ink > INK).any(axis=1))
    x, y = end_point(ink, rows[0])
    length = (rows[-1] - rows[0]) * rng.uniform(*FLAG_LENGTH)
    angle = np.radians(rng.uniform(*FLAG_ANGLE))
    tip = (x - length * np.cos(angle), y + length * np.sin(angle))
    return renormalize(draw_stroke(ink, np.array([(x, y), tip]), stroke_width(ink)))


def curl_nine(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A nine whose tail curls back to the left: a curve on from the tail's end, down then left."""
    ink = upscale(digit)
    rows = np.flatnonzero((ink > INK).any(axis=1))
    height = rows[-1] - rows[0]
    start = np.array(end_point(ink, rows[-1]))
    control = start + height * np.array([-rng.uniform(*CURL_BEND), rng.uniform(*CURL_DROP)])
    end = start + height * np.array([-rng.uniform(*CURL_WIDTH), -rng.uniform(*CURL_RISE)])
    t = np.linspace(0, 1, 12)[:, None]
    curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t ** 2 * end
    return renormalize(draw_stroke(ink, curve, 0.85 * stroke_width(ink)))


STYLES = {1: flag_one, 9: curl_nine}


def add_pen_styles(images: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """A copy of uint8 MNIST images with SHARE of each styled class given its pen style."""
    rng = np.random.default_rng(seed)
    styled = images.copy()
    for label, style in STYLES.items():
        for i in np.flatnonzero(labels == label):
            if rng.random() < SHARE[label]:
                styled[i] = style(images[i], rng)
    return styled
