"""Drawings as the pad sends them, up to the dearest ones its checks allow."""

from __future__ import annotations

import numpy as np

from digitpad.strokes import CANVAS_SIZE, MAX_LENGTH, MAX_POINTS, MAX_STROKES


def as_sent(strokes: list[np.ndarray]) -> list:
    """The pad's value for these strokes: lists of [x, y] canvas pixels to 0.1 px."""
    return [np.round(s, 1).tolist() for s in strokes]


def densest(stroke: np.ndarray) -> np.ndarray:
    """The stroke as the pad records it at its densest: a point every canvas pixel along it."""
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))])
    steps = np.append(np.arange(0, along[-1]), along[-1])
    return np.column_stack([np.interp(steps, along, stroke[:, i]) for i in (0, 1)])


def scattered() -> list:
    """Random points all over the canvas, the dearest line per point, as many as MAX_LENGTH
    lets (less 1% for rounding to 0.1 px)."""
    points = np.random.default_rng(0).uniform(0, CANVAS_SIZE, (MAX_POINTS, 2))
    lengths = np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))
    return as_sent([points[:1 + np.searchsorted(lengths, 0.99 * MAX_LENGTH)]])


def most_points_and_line() -> list:
    """MAX_POINTS points in MAX_STROKES strokes, walking all over the canvas in random directions
    with steps that add up to 99% of MAX_LENGTH: the most points and line allowed at once."""
    rng = np.random.default_rng(1)
    each = MAX_POINTS // MAX_STROKES
    step = 0.99 * MAX_LENGTH / (MAX_POINTS - MAX_STROKES)  # leaves room for rounding to 0.1 px
    strokes = []
    for _ in range(MAX_STROKES):
        angles = rng.uniform(0, 2 * np.pi, each - 1)
        walk = np.cumsum(step * np.column_stack([np.cos(angles), np.sin(angles)]), axis=0)
        start = rng.uniform(0, CANVAS_SIZE, 2)
        # folded back at the edges, which only shortens steps: the line stays within MAX_LENGTH
        folded = np.abs((start + np.vstack([[0, 0], walk])) % (2 * CANVAS_SIZE) - CANVAS_SIZE)
        strokes.append(CANVAS_SIZE - folded)
    return as_sent(strokes)
