"""Class drawings: the class's drawings by digit, as the network sees them, misreadings marked."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from digitpad.i18n import ENGLISH, localize, number, percent, translate

CLASS_SHOWN = 30  # newest drawings shown per digit in "Class drawings"; counts are over all


def digit_png(digit: np.ndarray) -> str:
    """A 28x28 uint8 digit (ink 255) as an inline PNG data URL, dark on white."""
    png = io.BytesIO()
    Image.fromarray(255 - digit).save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def class_tile(digit: np.ndarray, label: int, read: int, lang: str = ENGLISH) -> str:
    """One drawing as the network sees it; marked when the model misreads it."""
    misread = ' class="dp-misread"' if read != label else ""
    alt = html.escape(translate("class.tile", lang, label=label, read=read))
    return (f'<img src="{digit_png(digit)}" width="28" height="28" alt="{alt}" '
            f'title="{html.escape(translate("class.read_as", lang, read=read))}"{misread}>')


def class_drawings_html(labels: np.ndarray, images: np.ndarray, read: np.ndarray,
                        model: str, shown: int = CLASS_SHOWN, lang: str = ENGLISH) -> str:
    """The class's drawings by digit, newest first: counts and how many the model reads right,
    over all of them; the newest few as the 28x28 images the network sees, misread ones marked."""
    right = read == labels
    total = (translate("class.total_one" if len(labels) == 1 else "class.total", lang,
                       count=number(len(labels), lang), model=localize(model, lang),
                       percent=percent(float(right.mean()), lang))
             if len(labels) else translate("class.none", lang))
    parts = [f'<div class="dp-class-total">{html.escape(total)}</div>']
    missing = [str(d) for d in range(10) if not (labels == d).any()]
    if missing and len(labels):
        nobody = translate("class.nobody_yet", lang, digits=", ".join(missing))
        parts.append(f'<p class="dp-class-missing">{html.escape(nobody)}</p>')
    for d in range(10):
        mine = np.flatnonzero(labels == d)
        if not len(mine):
            continue
        count = translate("class.digit_one" if len(mine) == 1 else "class.digit", lang,
                          count=number(len(mine), lang),
                          percent=percent(float(right[mine].mean()), lang))
        tiles = "".join(class_tile(images[i], d, int(read[i]), lang) for i in mine[:shown])
        parts.append(f'<section class="dp-class-digit" data-digit="{d}" '
                     f'data-count="{len(mine)}">'
                     f'<h3><span class="dp-class-label">{d}</span> {html.escape(count)}</h3>'
                     f'<div class="dp-class-tiles">{tiles}</div></section>')
    return f'<div class="dp-class">{"".join(parts)}</div>'
