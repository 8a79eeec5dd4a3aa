"""Turn whatever a person hands us (canvas, upload, array) into an MNIST-style 28x28 digit.

MNIST's procedure: crop to the ink, scale the longer side to 20 px with antialiasing, and place
the result on 28x28 so that its centre of mass sits at the centre. Ink is 1.0, paper 0.0.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE

Image.MAX_IMAGE_PIXELS = 40_000_000  # Pillow's decompression-bomb guard, at a 40 MP ceiling
DIGIT_BOX = 20
SIDE = 28
WORK_SIDE = 256  # larger inputs are box-reduced to about this size first: 12x the 20 px output
INK_LEVEL = 0.25  # contrast above which a pixel counts as ink
PAPER_NOISE = 0.05  # contrast below this is the paper's own grain
MIN_EXTENT = 0.04  # ink spanning less than this share of the image is a speck, not a digit
CANVAS_MIN_EXTENT = 2 * BRUSH_WIDTH / CANVAS_SIZE  # on the sketchpad, one brush tap is no digit
SPECK_EXTENT = 0.2  # a blob smaller than this share of the largest blob's extent ...
SPECK_MASS = 0.1  # ... holding less than this share of the ink is a stray speck
GRID = 48


class NoInk(ValueError):
    """The image holds no digit to read (empty, blank, or only a speck)."""


class BadImage(ValueError):
    """The input is not an image we can read."""


def to_gray(image: Any) -> np.ndarray:
    """Any supported input as a float32 HxW array in [0, 1], 0 black; RGBA over white."""
    if isinstance(image, dict):
        image = image.get("composite")
        if image is None:
            raise NoInk("The canvas is empty: draw a digit.")
    if isinstance(image, io.IOBase):  # an image file's bytes in memory, as an HTTP body brings
        image = open_image(image)
    if isinstance(image, (str, os.PathLike)):
        image = open_image(Path(image))
    if isinstance(image, np.ndarray):
        image = array_to_pil(image)
    if not isinstance(image, Image.Image):
        raise BadImage(f"Cannot read a {type(image).__name__} as an image.")
    if image.width == 0 or image.height == 0:
        raise NoInk("The image is empty.")
    return pil_to_gray(image)


def open_image(path: Path | BinaryIO) -> Image.Image:
    """Open an image file fully (first frame of an animation); BadImage if it is not one."""
    name = path.name if isinstance(path, Path) else "This file"
    try:
        with Image.open(path) as im:
            im.seek(0)
            im.load()
            return ImageOps.exif_transpose(im)
    except Image.DecompressionBombError as e:
        raise BadImage(f"{name} is too large ({e}).") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise BadImage(f"{name} is not a readable image.") from e


def array_to_pil(array: np.ndarray) -> Image.Image:
    """An HxW, HxWx3 or HxWx4 array (uint8 0-255, or float 0-1) as a PIL image."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise BadImage(f"An image array must be HxW, HxWx3 or HxWx4, not {array.shape}.")
    if array.dtype != np.uint8:
        array = np.asarray(array, dtype=np.float32)
        array = np.nan_to_num(array)
        scale = 255.0 if array.max(initial=0) <= 1.0 else 1.0
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    return Image.fromarray(array)


def pil_to_gray(image: Image.Image) -> np.ndarray:
    """Grey levels in [0, 1]; transparency composited over white, 16-bit and CMYK converted."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.float32) / 257).clip(0, 255)
                                .astype(np.uint8))
    if has_alpha(image) and image.mode != "RGBA":
        image = image.convert("RGBA")
    # NumPy's min of the alpha band is three times faster than Pillow's getextrema
    transparent = has_alpha(image) and np.asarray(image.getchannel("A")).min() < 255
    factor = max(image.size) // WORK_SIDE
    if factor > 1:
        image = image.convert("RGBA" if transparent else "L").reduce(factor)
    if transparent:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        gray = Image.alpha_composite(white, rgba).convert("L")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
        gray_array = np.asarray(gray, dtype=np.float32) / 255
        if np.ptp(gray_array) < INK_LEVEL and np.ptp(alpha) >= INK_LEVEL:
            # light ink on a transparent background vanishes over white: the alpha is the ink
            return 1.0 - alpha
        return gray_array
    return np.asarray(image.convert("L"), dtype=np.float32) / 255


def has_alpha(image: Image.Image) -> bool:
    """Whether the image carries transparency."""
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def to_ink(gray: np.ndarray) -> np.ndarray:
    """Ink strength in [0, 1] from grey levels, for dark-on-light and light-on-dark alike.

    The paper is the border's median grey; ink is what differs from it, stretched so the
    strongest ink is 1.
    """
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    contrast = np.abs(gray - paper)
    marked = contrast[contrast > PAPER_NOISE]
    # the ink's own strong end, not the image's: a thin digit on a big page is few pixels
    peak = float(np.percentile(marked, 95)) if marked.size else 0.0
    if peak < INK_LEVEL:
        return np.zeros_like(gray)
    return np.clip(contrast / peak, 0.0, 1.0)


def ink_cells(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Ink mass per cell of a coarse grid (GRID cells on the longer side), and the cell size."""
    cell = max(1, -(-max(ink.shape) // GRID))
    # a product, not np.where, and Pillow's box filter, not padding and a NumPy sum: 4x faster
    strong = (ink * (ink > INK_LEVEL)).astype(np.float32, copy=False)
    means = np.asarray(Image.fromarray(strong).reduce(cell))
    # Pillow averages the cut-short last row and column of cells over the pixels they hold
    heights = np.minimum(cell, ink.shape[0] - cell * np.arange(means.shape[0]))
    widths = np.minimum(cell, ink.shape[1] - cell * np.arange(means.shape[1]))
    return means * np.outer(heights, widths), cell


def touching(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (both ways round) of the cells at (rows, cols) that are 8-neighbours."""
    index = np.full((rows.max() + 2, cols.max() + 3), -1)
    index[rows + 1, cols + 1] = np.arange(rows.size)
    # each pair once: every cell with its neighbours above and on its left
    ends = np.concatenate([index[rows + 1 + dy, cols + 1 + dx]
                           for dy, dx in ((-1, -1), (-1, 0), (-1, 1), (0, -1))])
    starts = np.tile(np.arange(rows.size), 4)[ends >= 0]
    ends = ends[ends >= 0]
    return np.concatenate([starts, ends]), np.concatenate([ends, starts])


def blob_roots(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """For each cell (row-major, as np.nonzero lists them), its 8-connected blob's first cell.

    NumPy and Pillow have no component labelling and a Python search costs a millisecond, so each
    round hooks every root onto the smallest root touching its tree, then halves the paths.
    """
    cell, neighbour = touching(rows, cols)
    roots = np.arange(rows.size)
    while True:
        hooked = roots.copy()
        np.minimum.at(hooked, roots[cell], roots[neighbour])
        hooked = hooked[hooked]
        if np.array_equal(hooked, roots):
            return roots
        roots = hooked


def blob_extents(rows: np.ndarray, cols: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """Each blob's extent in cells (its box's longer side) at its root's index, 0 elsewhere."""
    extent = np.zeros(rows.size, dtype=int)
    for coords in (rows, cols):
        low, high = np.full(rows.size, coords.max() + 1), np.zeros(rows.size, dtype=int)
        np.minimum.at(low, roots, coords)
        np.maximum.at(high, roots, coords)
        extent = np.maximum(extent, high - low + 1)
    return extent


def kept_cells(cells: np.ndarray) -> np.ndarray:
    """The cells of the blobs that are no stray speck, by the SPECK_EXTENT and SPECK_MASS rule."""
    rows, cols = np.nonzero(cells)
    roots = blob_roots(rows, cols)
    extent = blob_extents(rows, cols, roots)
    mass = np.bincount(roots, weights=cells[rows, cols], minlength=rows.size)
    kept = (extent >= SPECK_EXTENT * extent.max()) | (mass >= SPECK_MASS * mass.sum())
    keep = np.zeros(cells.shape, dtype=bool)
    keep[rows, cols] = kept[roots]
    return keep


def remove_specks(ink: np.ndarray) -> np.ndarray:
    """The ink without stray specks: small blobs far from the digit that hold little ink."""
    cells, cell = ink_cells(ink)
    if not cells.any():
        raise NoInk("The canvas is empty: draw a digit.")
    keep = kept_cells(cells).repeat(cell, axis=0).repeat(cell, axis=1)
    return ink * keep[:ink.shape[0], :ink.shape[1]]  # a product: np.where is 4x slower


def ink_box(ink: np.ndarray, min_extent: float = MIN_EXTENT) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right) of the ink; NoInk if it is only a speck."""
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    if rows.size == 0:
        raise NoInk("The canvas is empty: draw a digit.")
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if max(bottom - top, right - left) < min_extent * max(ink.shape):
        raise NoInk("Only a speck: draw a digit.")
    return top, bottom, left, right


def scale_to_box(ink: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Scale so the longer side is box pixels, keeping the aspect ratio, with antialiasing."""
    height, width = ink.shape
    factor = box / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS),
                      dtype=np.float32).clip(0.0, 1.0)


def center_by_mass(digit: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Place digit on a side x side field with its centre of mass at the centre (whole pixels)."""
    height, width = digit.shape
    mass = digit.sum()
    ys, xs = np.indices(digit.shape)
    cy = (ys * digit).sum() / mass if mass > 0 else (height - 1) / 2
    cx = (xs * digit).sum() / mass if mass > 0 else (width - 1) / 2
    top = int(np.clip(round((side - 1) / 2 - cy), 0, side - height))
    left = int(np.clip(round((side - 1) / 2 - cx), 0, side - width))
    field = np.zeros((side, side), dtype=np.float32)
    field[top:top + height, left:left + width] = digit
    return field


def preprocess(image: Any, min_extent: float | None = None) -> np.ndarray:
    """A 28x28 float32 MNIST-style digit from any supported input; NoInk if there is none.

    min_extent: the smallest ink that is a digit, as a share of the image; by default one
    brush tap on a sketchpad's canvas (a dict), else MIN_EXTENT.
    """
    if min_extent is None:
        min_extent = CANVAS_MIN_EXTENT if isinstance(image, dict) else MIN_EXTENT
    ink = remove_specks(to_ink(to_gray(image)))
    top, bottom, left, right = ink_box(ink, min_extent)
    return center_by_mass(scale_to_box(ink[top:bottom, left:right]))
