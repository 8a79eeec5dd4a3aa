"""The Draw tab's view inside the network: every layer's activations for the pad's drawing, as
the page draws them (assets/network.js), and what one unit looks for when it is tapped.

Every sentence the view shows is in TEXT, so it is translated in one place."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

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

TEXT = {
    "title": "Inside the network, as you draw",
    "empty": "Draw a digit: each layer of the network lights up as it reads it.",
    "help": ("Brighter squares are more active units, on one scale per layer. Orange marks the "
             "strongest paths into the answer. Tap a unit, or use the arrow keys, to see what it "
             "looks for."),
    "input": "Input: {rows}x{columns} pixels",
    "hidden": "Hidden layer {number}: {units} units",
    "outputs": "Outputs: the ten digits",
    "hidden unit": "Hidden layer {number}, unit {unit} of {units}",
    "output unit": "The output for the digit {digit}",
    "weights": "Its weights over the 28x28 pixels: red excites it, blue inhibits it.",
    "digits": "The {count} training digits that drive it highest:",
    "no digits": "The training digits are not on this server.",
    "now": "On your drawing: {value}, number {rank} of {count} in its layer.",
    "silent": "On your drawing: silent (0), as {silent} of the {count} units in its layer are.",
    "no unit": "There is no such unit in this network.",
}


def layer_name(index: int, count: int, units: int) -> str:
    """The caption of layer index of count: the input, a hidden layer or the outputs."""
    if index == 0:
        return TEXT["input"].format(rows=28, columns=28)
    if index == count - 1:
        return TEXT["outputs"]
    return TEXT["hidden"].format(number=index, units=units)


def network_json(reading: Reading, weights: Weights) -> dict:
    """What the view needs for one drawing: each layer's units as one byte each (base64), on its
    own scale, its grid and caption; the ten probabilities as the bars show them; the strongest
    paths into the winner."""
    count = len(reading.layers)
    layers = []
    for index, values in enumerate(reading.layers):
        scale = 1.0 if index in (0, count - 1) else layer_scale(values)
        rows, columns = (1, 10) if index == count - 1 else grid_shape(len(values))
        layers.append({"name": layer_name(index, count, len(values)), "units": len(values),
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


def unit_html(reader: Reader, layer: int, unit: int) -> str:
    """What a unit looks for: its incoming weights (first hidden layer), the sample's digits
    that drive it highest, and a place for its activation on the drawing (filled by the page)."""
    units = len(reader.weights[layer - 1][1])
    title = (TEXT["output unit"].format(digit=unit) if layer == len(reader.weights)
             else TEXT["hidden unit"].format(number=layer, unit=unit, units=units))
    parts = [f'<h4>{html.escape(title)}</h4>',
             '<p class="dp-unit-now"></p>']
    if layer == 1:  # its weights are over the pixels: a picture
        incoming = reader.weights[0][0][:, unit].reshape(28, 28)
        colours = diverging(incoming, float(np.abs(incoming).max())).round().astype(np.uint8)
        parts.append(f'<figure class="dp-unit-weights"><img src="{png_source(colours)}" '
                     f'width="28" height="28" alt=""><figcaption>'
                     f'{html.escape(TEXT["weights"])}</figcaption></figure>')
    if reader.unit_digits is None:
        parts.append(f'<p>{html.escape(TEXT["no digits"])}</p>')
    else:
        chosen = reader.unit_digits[layer - 1][unit]
        images = "".join(f'<img src="{png_source(enlarge(reader.sample[i] / 255.0, 1))}" '
                         f'width="28" height="28" alt="">' for i in chosen)
        parts.append(f'<p>{html.escape(TEXT["digits"].format(count=len(chosen)))}</p>'
                     f'<div class="dp-unit-digits">{images}</div>')
    return (f'<div class="dp-unit" data-layer="{layer}" data-unit="{unit}">'
            f'{"".join(parts)}</div>')


def network_template() -> str:
    """The view's frame before any drawing; the page fills its layers in for every answer."""
    now, silent = (html.escape(TEXT[key], quote=True) for key in ("now", "silent"))
    return (f'<div class="dp-net" data-now="{now}" data-silent="{silent}">'
            f'<div class="dp-net-layers" data-empty="{html.escape(TEXT["empty"], quote=True)}">'
            f'<p class="dp-net-empty">{html.escape(TEXT["empty"])}</p></div>'
            f'<aside class="dp-net-unit" aria-live="polite">'
            f'<p class="dp-net-help">{html.escape(TEXT["help"])}</p></aside></div>')
