"""Pen trajectories drawn on a canvas exactly as the app's sketchpad draws them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 400  # the sketchpad's canvas, in canvas pixels (square)
BRUSH_WIDTH = 28  # the sketchpad's brush diameter, in canvas pixels
DIGIT_HEIGHT = 0.6  # a typical digit is drawn this tall, as a share of the canvas
MAX_DIGIT_WIDTH = 0.9
SUPERSAMPLE = 4  # drawn larger then reduced, for the browser canvas's antialiased edges

Strokes = list[np.ndarray]  # each stroke an (n, 2) float array of (x, y) points


def load_strokes(path: str | Path) -> list[dict]:
    """A JSON (or .json.gz) list of {"label", "strokes", ...} records."""
    path = Path(path)
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


def render(strokes: Strokes, canvas_size: int = CANVAS_SIZE,
           brush_width: float = BRUSH_WIDTH) -> np.ndarray:
    """An RGB uint8 canvas, white paper, black ink, round caps and joins as a browser draws."""
    big = canvas_size * SUPERSAMPLE
    image = Image.new("L", (big, big), 255)
    draw = ImageDraw.Draw(image)
    radius = brush_width * SUPERSAMPLE / 2
    for stroke in strokes:
        points = [tuple(p) for p in (np.asarray(stroke) * SUPERSAMPLE)]
        if len(points) > 1:
            draw.line(points, fill=0, width=round(2 * radius), joint="curve")
        for x, y in points[:1] + points[-1:]:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    gray = image.reduce(SUPERSAMPLE)
    return np.asarray(gray.convert("RGB"))
