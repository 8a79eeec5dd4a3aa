"""MNIST digits redrawn the way the pad draws: thinned to their skeleton, then traced again
with a round pen of one even width, so training sees canvas-like strokes as well as scanned ink."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from digitpad.pen_styles import INK, renormalize, upscale
from digitpad.preprocess import DIGIT_BOX

# The pad's 28 px brush on a 400 px canvas, for digits drawn 120 to 340 px tall, is 1.5 to 3.5
# px wide once the digit is scaled to DIGIT_BOX.
PEN_WIDTH = (1.5, 3.5)


def pen_radius(skeleton: np.ndarray, width: float) -> float:
    """The radius, in the skeleton's pixels, of a pen that ends width px wide on a DIGIT_BOX
    digit: the pen adds its own width to the skeleton's extent."""
    rows, cols = np.flatnonzero(skeleton.any(axis=1)), np.flatnonzero(skeleton.any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return width * extent / (2 * (DIGIT_BOX - width))


def redraw(digit: np.ndarray, width: float) -> np.ndarray:
    """A uint8 28x28 digit thinned to its skeleton and traced with a round, antialiased pen
    (ink falls off over one pixel at the pen's edge), normalised the MNIST way again."""
    skeleton = skeletonize(upscale(digit) > INK)
    if not skeleton.any():
        return digit
    distance = ndimage.distance_transform_edt(~skeleton)
    ink = np.clip(pen_radius(skeleton, width) + 0.5 - distance, 0.0, 1.0).astype(np.float32)
    return renormalize(ink)


def redraw_all(images: np.ndarray, seed: int) -> np.ndarray:
    """Every uint8 digit redrawn with a pen of random width in PEN_WIDTH."""
    widths = np.random.default_rng(seed).uniform(*PEN_WIDTH, size=len(images))
    return np.stack([redraw(digit, width) for digit, width in zip(images, widths, strict=True)])
