"""Pen trajectories drawn on a canvas exactly as the app's drawing pad draws them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from digitpad.data import check_shipped

CANVAS_SIZE = 400  # the drawing pad's canvas, in canvas pixels (square)
BRUSH_WIDTH = 28  # the pad's brush diameter, in canvas pixels
DIGIT_HEIGHT = 0.6  # a typical digit is drawn this tall, as a share of the canvas
MAX_DIGIT_WIDTH = 0.9
SUPERSAMPLE = 4  # drawn larger then reduced, for the browser canvas's antialiased edges
READ_SCALE = 0.5  # drawings are read at half size: 20 px survive preprocessing, 200 are plenty
# What the pad may send. A pen-drawn digit has 1-6 strokes and 600-1,250 canvas pixels of line,
# and the pad keeps at most a point per canvas pixel moved: a densely scribbled digit has a few
# thousand points. Each point and each pixel of line costs drawing time: the dearest drawing
# allowed, 3,000 points in 50 strokes with 58,600 px of line, takes 25 ms to check, draw and read
# at best and 40 ms median on 2 cores at a load of 3-5 (bench/predict_speed.py); without
# MAX_LENGTH, 3,000 points from corner to corner of the canvas took 110-140 ms.
MAX_STROKES = 50
MAX_POINTS = 3_000
MAX_LENGTH = 60_000  # canvas pixels of line: 48 of the longest digits; ~290 random points

Strokes = list[np.ndarray]  # each stroke an (n, 2) float array of (x, y) points


class BadStrokes(ValueError):
    """The drawing pad sent something that is not a list of strokes."""


NOT_ON_CANVAS = "A stroke's points are [x, y] canvas pixels: finite numbers of a sensible size."


def load_strokes(path: str | Path) -> list[dict]:
    """A JSON (or .json.gz) list of {"label", "strokes", ...} records; the shipped set's hash is
    checked first (MnistError if it is damaged)."""
    path = Path(path)
    check_shipped(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return json.load(f)


def fit_to_canvas(strokes: list, canvas_size: int = CANVAS_SIZE,
                  digit_height: float = DIGIT_HEIGHT) -> Strokes:
    """Scale and move a digit's strokes so it is drawn at a typical size, centred on the canvas."""
    arrays = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes if len(s)]
    points = np.concatenate(arrays)
    low, high = points.min(axis=0), points.max(axis=0)
    width, height = np.maximum(high - low, 1e-9)
    factor = min(digit_height * canvas_size / height, MAX_DIGIT_WIDTH * canvas_size / width)
    centre = (low + high) / 2
    return [(a - centre) * factor + canvas_size / 2 for a in arrays]


def pad_strokes(value: Any) -> Strokes:
    """The pad's value, a list of strokes each a list of [x, y] canvas pixels, checked.

    Anyone can send anything to the app's events, so the shape and the counts are checked on the
    lists before anything is converted, then the numbers and the length of line.
    """
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_STROKES:
        raise BadStrokes(f"A drawing is a list of at most {MAX_STROKES} strokes.")
    if not all(isinstance(stroke, list) and stroke for stroke in value):
        raise BadStrokes("A stroke is a non-empty list of [x, y] points.")
    if sum(map(len, value)) > MAX_POINTS:
        raise BadStrokes(f"A drawing has at most {MAX_POINTS:,} points.")
    if not all(is_point(point) for stroke in value for point in stroke):
        raise BadStrokes("A stroke is a non-empty list of [x, y] points.")
    try:
        strokes = [np.array(stroke, dtype=np.float64) for stroke in value]
    except OverflowError as e:  # an int too large for a float, such as 10**400
        raise BadStrokes(NOT_ON_CANVAS) from e
    if not all(np.isfinite(stroke).all() for stroke in strokes):
        raise BadStrokes(NOT_ON_CANVAS)
    strokes = [np.clip(stroke, -CANVAS_SIZE, 2 * CANVAS_SIZE) for stroke in strokes]
    if line_length(strokes) > MAX_LENGTH:
        raise BadStrokes(f"A drawing has at most {MAX_LENGTH:,} canvas pixels of strokes.")
    return strokes


def is_point(value: Any) -> bool:
    """Whether value is [x, y], two ints or floats; by exact type, as bools are ints to Python
    and NumPy would read "12" as a number."""
    return (type(value) is list and len(value) == 2
            and type(value[0]) in (int, float) and type(value[1]) in (int, float))


def line_length(strokes: Strokes) -> float:
    """The strokes' total length of line in canvas pixels: what drawing them costs."""
    return sum(float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum()) for stroke in strokes)


def render(strokes: Strokes, canvas_size: int = CANVAS_SIZE, brush_width: float = BRUSH_WIDTH,
           scale: float = 1.0) -> np.ndarray:
    """An RGB uint8 canvas, white paper, black ink, round caps and joins as a browser draws;
    scale < 1 gives the same picture with fewer pixels."""
    big = round(canvas_size * scale) * SUPERSAMPLE
    image = Image.new("L", (big, big), 255)
    draw = ImageDraw.Draw(image)
    radius = brush_width * scale * SUPERSAMPLE / 2
    for stroke in strokes:
        points = [tuple(p) for p in (np.asarray(stroke) * scale * SUPERSAMPLE)]
        if len(points) > 1:
            draw.line(points, fill=0, width=round(2 * radius))
        # round joins: a disc at every inner point, a pixel smaller as Pillow's joint="curve"
        # draws them, which costs 7x as much
        for x, y in points[1:-1]:
            draw.ellipse((x - radius + 1, y - radius + 1, x + radius - 1, y + radius - 1), fill=0)
        for x, y in points[:1] + points[-1:]:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    gray = image.reduce(SUPERSAMPLE)
    return np.asarray(gray.convert("RGB"))


def render_to_read(strokes: Strokes) -> np.ndarray:
    """The pad's strokes as the app reads them: drawn at READ_SCALE, as RGB."""
    return render(strokes, scale=READ_SCALE)
