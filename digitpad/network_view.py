"""The network as it reads one drawing: each layer's activations as one byte a unit, the
strongest paths into the winning digit, and the training digits each unit answers most.

Maths only (arrays in, arrays out); `digitpad.views.network` turns these into the page's view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digitpad.data import Mnist

Weights = list[tuple[np.ndarray, np.ndarray]]  # each Dense layer's (kernel, bias), input first
SAMPLE_SIZE = 3000  # the first training digits, the fixed sample each unit's favourites come from
TOP_DIGITS = 9  # the digits shown for a unit
PATH_UNITS = 10  # units of the last hidden layer on the strongest paths into the winner ...
PATH_FEEDERS = 3  # ... and, for each, the units of the layer before it feeding it most


@dataclass(frozen=True)
class Paths:
    """The strongest paths into the winning digit: units of layer `layer` adding most to its
    score, and for each the units of layer `layer - 1` adding most to it (none for the input)."""

    layer: int
    units: np.ndarray  # (k,) unit indices, strongest first
    feeders: list[np.ndarray]  # per unit, (f,) indices in the layer before, strongest first


def grid_shape(units: int) -> tuple[int, int]:
    """Rows and columns for a layer's units: as square as the count's divisors allow and at
    most about twice as wide as tall (2048 as 32x64, 1500 as 30x50, 784 as 28x28); a count
    with no such divisor gets a square grid with its last row part-filled."""
    side = math.sqrt(units)
    columns = next(c for c in range(math.ceil(side), units + 1) if units % c == 0)
    if columns > 2 * side + 1:
        columns = math.ceil(side)
    return math.ceil(units / columns), columns


def layer_scale(values: np.ndarray) -> float:
    """The layer's own scale: its largest activation, so its most active unit is the brightest
    whatever the layer's range; 1 when nothing is active."""
    top = float(np.max(values)) if len(values) else 0.0
    return top if top > 0 else 1.0


def quantised(values: np.ndarray, scale: float) -> np.ndarray:
    """Activations as uint8, 0 to 255 over [0, scale]: what the page needs to draw brightness."""
    return np.round(np.clip(np.asarray(values) / scale, 0.0, 1.0) * 255).astype(np.uint8)


def top_indices(values: np.ndarray, count: int) -> np.ndarray:
    """The indices of the count largest positive values, largest first (fewer if fewer are)."""
    count = min(count, len(values))
    chosen = np.argpartition(-values, count - 1)[:count]
    chosen = chosen[np.argsort(-values[chosen], kind="stable")]
    return chosen[values[chosen] > 0]


def strongest_paths(weights: Weights, layers: list[np.ndarray], winner: int,
                    units: int = PATH_UNITS, feeders: int = PATH_FEEDERS) -> Paths:
    """The units of the layer before the outputs whose activation times weight adds most to the
    winner's score; for each, the units of the layer before adding most to its input."""
    last = len(layers) - 2
    strongest = top_indices(layers[last] * weights[-1][0][:, winner], units)
    if last == 0:
        return Paths(0, strongest, [np.zeros(0, int) for _ in strongest])
    kernel = weights[-2][0]
    return Paths(last, strongest, [top_indices(layers[last - 1] * kernel[:, unit], feeders)
                                   for unit in strongest])


def top_digits(weights: Weights, images: np.ndarray, count: int = TOP_DIGITS) -> list[np.ndarray]:
    """For each layer after the input, (units, count) indices of the images that drive each unit
    highest, highest first: by its input w.x + b (the ReLU keeps that order; the outputs' own
    score, before the softmax squeezes the surest ones together at 1)."""
    units = np.asarray(images, np.float32).reshape(len(images), -1).T / 255.0  # (784, images)
    found = []
    for kernel, bias in weights:
        scores = kernel.T @ units + bias[:, None]  # (units, images): each unit's row contiguous
        chosen = np.argpartition(-scores, count - 1, axis=1)[:, :count]
        order = np.argsort(-np.take_along_axis(scores, chosen, axis=1), axis=1, kind="stable")
        found.append(np.take_along_axis(chosen, order, axis=1).astype(np.int32))
        units = np.maximum(scores, 0.0)
    return found


def unit_sample(data: Mnist | None) -> np.ndarray | None:
    """The fixed sample of training digits (uint8) each unit's favourites are found in; None
    when MNIST is not there."""
    return None if data is None else data.x_train[:SAMPLE_SIZE]
