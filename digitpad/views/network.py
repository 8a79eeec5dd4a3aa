"""The Draw tab's view inside the network: every layer's activations for the pad's drawing, as
the page draws them (assets/network.js), and what one unit looks for when it is tapped.

Every sentence the view shows is in the catalogues (net.*), in every language."""

from __future__ import annotations

import base64
import html
import io
import json

import numpy as np
from PIL import Image

from digitpad.i18n import ENGLISH, LANGUAGES, translate
from digitpad.network_view import (
    Weights,
    grid_shape,
    layer_scale,
    quantised,
    strongest_paths,
)
from digitpad.reading import Reader, Reading
from digitpad.views.common import enlarge
from digitpad.views.inside import diverging

PAGE_TEXT = ("now", "silent", "empty", "help")  # what network.js says itself, by language


def text(key: str, lang: str = ENGLISH, **values: object) -> str:
    """One of the view's sentences (net.* in the catalogues)."""
    return translate(f"net.{key}", lang, **values)


def layer_name(index: int, count: int, units: int, lang: str = ENGLISH) -> str:
    """The caption of layer index of count: the input, a hidden layer or the outputs."""
    if index == 0:
        return text("input", lang, rows=28, columns=28)
    if index == count - 1:
        return text("outputs", lang)
    return text("hidden", lang, number=index, units=units)


def network_json(reading: Reading, weights: Weights, lang: str = ENGLISH) -> dict:
    """What the view needs for one drawing: each layer's units as one byte each (base64), on its
    own scale, its grid and caption; the ten probabilities as the bars show them; the strongest
    paths into the winner."""
    count = len(reading.layers)
    layers = []
    for index, values in enumerate(reading.layers):
        scale = 1.0 if index in (0, count - 1) else layer_scale(values)
        rows, columns = (1, 10) if index == count - 1 else grid_shape(len(values))
        layers.append({"name": layer_name(index, count, len(values), lang), "units": len(values),
                       "rows": rows, "columns": columns, "scale": round(scale, 4),
                       "q": base64.b64encode(quantised(values, scale).tobytes()).decode()})
    view = {"layers": layers, "winner": reading.best,
            "outputs": [round(float(p), 4) for p in reading.probabilities]}
    if weights:
        paths = strongest_paths(weights, list(reading.layers), reading.best)
        view["paths"] = {"layer": paths.layer, "units": paths.units.tolist(),
                         "feeders": [f.tolist() for f in paths.feeders]}
    return view


def png_source(pixels: np.ndarray) -> str:
    """An image as an inline PNG data URL: a few hundred bytes, no file written."""
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def unit_html(reader: Reader, layer: int, unit: int, lang: str = ENGLISH) -> str:
    """What a unit looks for: its incoming weights (first hidden layer), the sample's digits
    that drive it highest, and a place for its activation on the drawing (filled by the page)."""
    units = len(reader.weights[layer - 1][1])
    title = (text("output_unit", lang, digit=unit) if layer == len(reader.weights)
             else text("hidden_unit", lang, number=layer, unit=unit, units=units))
    parts = [f'<h4>{html.escape(title)}</h4>',
             '<p class="dp-unit-now"></p>']
    if layer == 1:  # its weights are over the pixels: a picture
        incoming = reader.weights[0][0][:, unit].reshape(28, 28)
        colours = diverging(incoming, float(np.abs(incoming).max())).round().astype(np.uint8)
        parts.append(f'<figure class="dp-unit-weights"><img src="{png_source(colours)}" '
                     f'width="28" height="28" alt=""><figcaption>'
                     f'{html.escape(text("weights", lang))}</figcaption></figure>')
    if reader.unit_digits is None:
        parts.append(f'<p>{html.escape(text("no_digits", lang))}</p>')
    else:
        chosen = reader.unit_digits[layer - 1][unit]
        images = "".join(f'<img src="{png_source(enlarge(reader.sample[i] / 255.0, 1))}" '
                         f'width="28" height="28" alt="">' for i in chosen)
        parts.append(f'<p>{html.escape(text("digits", lang, count=len(chosen)))}</p>'
                     f'<div class="dp-unit-digits">{images}</div>')
    return (f'<div class="dp-unit" data-layer="{layer}" data-unit="{unit}">'
            f'{"".join(parts)}</div>')


def network_template() -> str:
    """The view's frame before any drawing; the page fills its layers in for every answer, and
    says its own sentences (data-texts, by language) in the page's language (network.js)."""
    said = {lang: {key: text(key, lang) for key in PAGE_TEXT} for lang in LANGUAGES}
    return (f'<div class="dp-net" data-texts="{html.escape(json.dumps(said), quote=True)}">'
            f'<div class="dp-net-layers"><p class="dp-net-empty">{html.escape(text("empty"))}'
            f'</p></div><aside class="dp-net-unit" aria-live="polite">'
            f'<p class="dp-net-help">{html.escape(text("help"))}</p></aside></div>')
