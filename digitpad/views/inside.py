"""Look inside: saliency, the first layer's weights, training digits, confusions and the
surest mistakes."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digitpad.i18n import ENGLISH, percent, translate
from digitpad.views.common import ENLARGE, enlarge

# A diverging colour map (ColorBrewer RdBu: blue, white, red), hand-written because matplotlib
# is not a dependency: anchors at -1, -0.5, 0, 0.5, 1, linearly interpolated.
DIVERGING_STOPS = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
DIVERGING_RGB = np.array([[33, 102, 172], [146, 197, 222], [255, 255, 255],
                          [244, 165, 130], [178, 24, 43]], dtype=np.float64)
INK_SHADE = 0.3  # the drawing darkens the saliency map by up to this share, to stay readable
TILE = 4  # weight images are enlarged 4x in the mosaic
GALLERY_ENLARGE = 4  # gallery digits are 112x112
PAD = 6  # pixels between mosaic tiles
FONT_SIZE = 12
LEGEND_HEIGHT = 14


CAPTIONS = {key: translate(f"caption.{key}")  # in English; caption.* in every language
            for key in ("saliency", "weights", "samples", "confusion", "mistakes")}



def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """values coloured on the symmetric scale [-limit, +limit] as float RGB in [0, 255]."""
    scaled = np.clip(np.asarray(values, np.float64) / max(limit, 1e-12), -1.0, 1.0)
    return np.stack([np.interp(scaled, DIVERGING_STOPS, DIVERGING_RGB[:, c]) for c in range(3)],
                    axis=-1)


def saliency_image(digit: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """One class's saliency as a 280x280 RGB image, zero white, its scale symmetric about zero."""
    colours = diverging(grad, float(np.abs(grad).max()))
    colours *= 1.0 - INK_SHADE * np.clip(digit, 0.0, 1.0)[..., None]
    pixels = colours.round().astype(np.uint8)
    return pixels.repeat(ENLARGE, axis=0).repeat(ENLARGE, axis=1)


def weights_mosaic(images: np.ndarray, captions: Sequence[str], columns: int) -> np.ndarray:
    """A captioned grid of weight images on one symmetric colour scale, with its legend below.

    One scale for all tiles, so a pale tile really has small weights.
    """
    limit = float(np.abs(images).max())
    font = ImageFont.load_default(size=FONT_SIZE)
    side = 28 * TILE
    rows = -(-len(images) // columns)
    cell_w, cell_h = side + PAD, side + FONT_SIZE + 4 + PAD
    width = PAD + columns * cell_w
    legend_top = PAD + rows * cell_h
    canvas = Image.new("RGB", (width, legend_top + LEGEND_HEIGHT + FONT_SIZE + 2 * PAD), "white")
    draw = ImageDraw.Draw(canvas)
    tiles = diverging(images, limit).round().astype(np.uint8)
    for i, (tile, caption) in enumerate(zip(tiles, captions, strict=True)):
        left, top = PAD + (i % columns) * cell_w, PAD + (i // columns) * cell_h
        big = tile.repeat(TILE, axis=0).repeat(TILE, axis=1)
        canvas.paste(Image.fromarray(big), (left, top))
        draw.text((left + side / 2, top + side + 2), caption, fill="black", font=font, anchor="ma")
    bar = np.linspace(-limit, limit, width - 2 * PAD)
    strip = diverging(np.tile(bar, (LEGEND_HEIGHT, 1)), limit).round().astype(np.uint8)
    canvas.paste(Image.fromarray(strip), (PAD, legend_top))
    label_y = legend_top + LEGEND_HEIGHT + 2
    for x, text, anchor in ((PAD, f"-{limit:.3g}", "la"), (width / 2, "0", "ma"),
                            (width - PAD, f"+{limit:.3g}", "ra")):
        draw.text((x, label_y), text, fill="black", font=font, anchor=anchor)
    return np.asarray(canvas)


def as_unit(images: np.ndarray) -> np.ndarray:
    """MNIST images (uint8 0-255 or float 0-1) as float32 ink in [0, 1]."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return np.asarray(images, np.float32)


def digit_grid(images: np.ndarray, labels: np.ndarray, count: int,
                rng: np.random.Generator) -> list[tuple[np.ndarray, str]]:
    """count different random digits, dark on white with square pixels, captioned by label."""
    chosen = rng.choice(len(images), size=count, replace=False)
    return [(enlarge(as_unit(images[i]), GALLERY_ENLARGE), str(labels[i])) for i in chosen]


def luminance(rgb: np.ndarray) -> float:
    """WCAG's relative luminance of an sRGB colour given as 0-255 values."""
    c = np.asarray(rgb, np.float64) / 255.0
    linear = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def readable_ink(rgb: tuple[int, int, int], alpha: float) -> str:
    """"white" or "black", whichever stands out more against rgb at alpha over white: one of the
    two always reaches 4.5:1."""
    shade = luminance(255.0 + alpha * (np.asarray(rgb, np.float64) - 255.0))
    return "white" if (1.05 / (shade + 0.05)) > ((shade + 0.05) / 0.05) else "black"


def confusion_html(matrix: np.ndarray, lang: str = ENGLISH) -> str:
    """A 10x10 table of counts, shaded by share of the row: right answers green, mistakes red,
    each count in black or white, whichever reads better on its shade.

    HTML so the counts stay sharp on a projector; shading grows as the square root of the
    share, so that a 1% confusion is still visible next to a 99% diagonal.
    """
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    cell = "padding:4px 8px;text-align:right;border:1px solid #ddd"
    head = "".join(f'<th style="{cell}">{d}</th>' for d in range(10))
    rows = []
    for true, (counts, row_shares) in enumerate(zip(matrix, shares, strict=True)):
        cells = []
        for read, (count, share) in enumerate(zip(counts, row_shares, strict=True)):
            rgb, weight = ((34, 139, 34), 700) if read == true else ((200, 40, 40), 400)
            alpha = float(np.sqrt(share))
            title = translate("inside.cell", lang, true=true, read=read,
                              percent=percent(share, lang, 1))
            cells.append(f'<td style="{cell};background:rgba({",".join(map(str, rgb))},'
                         f'{alpha:.3f});color:{readable_ink(rgb, alpha)};font-weight:{weight}" '
                         f'title="{html.escape(title)}">{count}</td>')
        rows.append(f'<tr><th style="{cell}">{true}</th>{"".join(cells)}</tr>')
    table = "border-collapse:collapse;font-variant-numeric:tabular-nums"
    return (f'<table class="dp-confusion" style="{table}">'
            f'<tr><th style="{cell}">{translate("inside.true_read", lang)}</th>{head}</tr>'
            f'{"".join(rows)}</table>')


def worst_mistakes(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray,
                   count: int, lang: str = ENGLISH) -> list[tuple[np.ndarray, str]]:
    """The count misreadings made with the highest confidence, surest first, captioned."""
    read = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(read)), read]
    wrong = np.flatnonzero(read != labels)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")[:count]]
    return [(enlarge(as_unit(images[i]), GALLERY_ENLARGE),
             translate("inside.mistake", lang, label=labels[i], read=read[i],
                       percent=percent(float(confidence[i]), lang))) for i in worst]
