"""Turn whatever a person hands us (canvas, upload, array) into an MNIST-style 28x28 digit.

MNIST's procedure: crop to the ink, scale the longer side to 20 px with antialiasing, and place
the result on 28x28 so that its centre of mass sits at the centre. Ink is 1.0, paper 0.0.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps

from digitpad.strokes import BRUSH_WIDTH, CANVAS_SIZE

# Images are refused from their header, before decoding, above these pixel counts. Measured with
# a fresh process for each file (2 cores at a load of 3): at 16 MP the dearest formats take
# 0.4-0.65 s and 120 MB (RGBA or 16-bit PNG), or 0.5 s and 250 MB (WebP); a JPEG decodes at 1/8
# scale (Image.draft), so one of 50 MP takes 0.03-0.4 s and under 10 MB. bench/predict_speed.py
# times the largest PNG and JPEG allowed.
MAX_PIXELS = 16_000_000  # a 16 MP phone photo (4608x3456) is read
MAX_JPEG_PIXELS = 50_000_000  # so is a 24 MP (5712x4284) or 50 MP (8160x6120) phone JPEG
# Pillow's own guard, behind ours: a warning above this (an error where warnings are errors), an
# error at twice this
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
NOT_AN_IMAGE = "This file is not a readable image (PNG, JPEG, WebP, GIF, BMP or TIFF)."
# what Pillow's own fuzz tests expect a broken file to raise, and a frame larger than its image
UNREADABLE = (OSError, SyntaxError, ValueError, NotImplementedError, OverflowError, MemoryError,
              *BOMB)
DIGIT_BOX = 20
SIDE = 28
WORK_SIDE = 256  # larger inputs are box-reduced to about this size first: 12x the 20 px output
INK_LEVEL = 0.25  # contrast above which a pixel counts as ink
PAPER_NOISE = 0.05  # contrast below this is the paper's own grain
MIN_EXTENT = 0.04  # ink spanning less than this share of the image is a speck, not a digit
CANVAS_MIN_EXTENT = 2 * BRUSH_WIDTH / CANVAS_SIZE  # on the drawing pad, one brush tap is no digit
SPECK_EXTENT = 0.2  # a blob smaller than this share of the largest blob's extent ...
SPECK_MASS = 0.1  # ... holding less than this share of the ink is a stray speck
GRID = 48


class NoInk(ValueError):
    """The image holds no digit to read (empty, blank, or only a speck)."""


class BadImage(ValueError):
    """The input is not an image we can read."""


def to_gray(image: Any) -> np.ndarray:
    """Any supported input as a float32 HxW array in [0, 1], 0 black; RGBA over white."""
    if isinstance(image, io.IOBase):  # an image file's bytes in memory, as an HTTP body brings
        return file_to_gray(image)
    if isinstance(image, (str, os.PathLike)):
        return file_to_gray(Path(image))
    if isinstance(image, np.ndarray):
        image = array_to_pil(image)
    if not isinstance(image, Image.Image):
        raise BadImage("This is not an image that can be read.")
    if image.width == 0 or image.height == 0:
        raise NoInk("The image is empty.")
    return pil_to_gray(image)


def open_image(path: Path | BinaryIO) -> Image.Image:
    """The file opened lazily, its header read and no pixel decoded; BadImage if it is no image
    or too large to read cheaply."""
    try:
        image = Image.open(path, formats=FORMATS)
    except BOMB as e:
        raise BadImage(too_large(MAX_JPEG_PIXELS, "over ")) from e
    except UNREADABLE as e:
        raise BadImage(NOT_AN_IMAGE) from e
    limit = MAX_JPEG_PIXELS if image.format in ("JPEG", "MPO") else MAX_PIXELS
    if image.width * image.height > limit:
        image.close()
        raise BadImage(too_large(image.width * image.height))
    return image


def file_to_gray(path: Path | BinaryIO) -> np.ndarray:
    """Grey levels of an image file's first frame, upright, decoding only what the digit needs."""
    with open_image(path) as image:
        try:
            image.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG only: decode at 1/2, 1/4 or 1/8 size
            ImageOps.exif_transpose(image, in_place=True)  # loads the first frame only
            return pil_to_gray(image)
        except UNREADABLE as e:
            raise BadImage(NOT_AN_IMAGE) from e


def too_large(pixels: int, over: str = "") -> str:
    """The refusal of an image of this many pixels, in megapixels rounded up."""
    return (f"This image is {over}{math.ceil(pixels / 100_000) / 10:g} megapixels; the limit is "
            f"{MAX_PIXELS // 1_000_000} ({MAX_JPEG_PIXELS // 1_000_000} for a JPEG). "
            "Send a smaller photo.")


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
    if image.mode.startswith("I"):  # 16-bit grey: its high byte, without a float copy
        image = Image.fromarray((np.asarray(image) >> 8).clip(0, 255).astype(np.uint8))
    if has_alpha(image) and image.mode != "RGBA":
        image = image.convert("RGBA")
    # NumPy's min of the alpha band is three times faster than Pillow's getextrema
    transparent = has_alpha(image) and np.asarray(image.getchannel("A")).min() < 255
    factor = max(image.size) // WORK_SIDE
    if factor > 1:
        mode = "RGBA" if transparent else "L"  # convert copies even to the same mode
        image = (image if image.mode == mode else image.convert(mode)).reduce(factor)
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

    min_extent: the smallest ink that is a digit, as a share of the image (MIN_EXTENT if None).
    """
    ink = remove_specks(to_ink(to_gray(image)))
    top, bottom, left, right = ink_box(ink, MIN_EXTENT if min_extent is None else min_extent)
    return center_by_mass(scale_to_box(ink[top:bottom, left:right]))
