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
MAX_STROKES = 500
MAX_POINTS = 50_000

Strokes = list[np.ndarray]  # each stroke an (n, 2) float array of (x, y) points


class BadStrokes(ValueError):
    """The drawing pad sent something that is not a list of strokes."""


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

    Anyone can send anything to the app's events, so shape, size and numbers are all checked.
    """
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_STROKES:
        raise BadStrokes(f"A drawing is a list of at most {MAX_STROKES} strokes.")
    strokes = []
    for stroke in value:
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise BadStrokes("A stroke is a list of [x, y] points.") from e
        if points.ndim != 2 or points.shape[1:] != (2,) or not np.isfinite(points).all():
            raise BadStrokes("A stroke is a non-empty list of [x, y] points.")
        strokes.append(np.clip(points, -CANVAS_SIZE, 2 * CANVAS_SIZE))
    if sum(len(s) for s in strokes) > MAX_POINTS:
        raise BadStrokes(f"A drawing has at most {MAX_POINTS} points.")
    return strokes


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
            draw.line(points, fill=0, width=round(2 * radius), joint="curve")
        for x, y in points[:1] + points[-1:]:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    gray = image.reduce(SUPERSAMPLE)
    return np.asarray(gray.convert("RGB"))


def render_to_read(strokes: Strokes) -> np.ndarray:
    """The pad's strokes as the app reads them: drawn at READ_SCALE, as RGB."""
    return render(strokes, scale=READ_SCALE)
