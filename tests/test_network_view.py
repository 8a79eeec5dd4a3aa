"""The view inside the network, without a browser: the layers the pad's reading keeps are the
real network's, quantised faithfully; the strongest paths and each unit's favourite digits are
what their definitions say, checked by brute force on the shipped model and real MNIST."""

from __future__ import annotations

import base64

import keras
import numpy as np
import pytest

from digitpad.model import build_mlp, load_model
from digitpad.network_view import (
    TOP_DIGITS,
    grid_shape,
    strongest_paths,
    top_digits,
    unit_sample,
)
from digitpad.reading import Reader
from digitpad.views.network import network_json, unit_html
from tests.harness.classroom import pad_drawings
from tests.harness.server import MODEL, REPO


@pytest.fixture(scope="module")
def shipped(mnist) -> Reader:
    return Reader("the shipped model", load_model(REPO / MODEL), unit_sample(mnist))


@pytest.fixture(scope="module")
def four(shipped):
    return shipped.read_layers(pad_drawings()[0])


def unpacked(layer: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(layer["q"]), np.uint8)


def test_grids_are_near_square_and_hold_every_unit():
    assert [grid_shape(n) for n in (2048, 1024, 512, 1500, 784, 128)] == [
        (32, 64), (32, 32), (16, 32), (30, 50), (28, 28), (8, 16)]
    rows, columns = grid_shape(1009)  # a prime: a square, its last row part-filled
    assert rows * columns >= 1009 > (rows - 1) * columns and rows == columns


def test_the_pads_reading_keeps_the_networks_own_layers(shipped, four):
    """One pass gives the answer and the view: its last layer is the probabilities, and each
    hidden layer is what Keras computes for that layer."""
    assert four.probabilities is four.layers[-1]
    assert four.best == 4
    dense = [layer for layer in shipped.model.layers if isinstance(layer, keras.layers.Dense)]
    assert [len(layer) for layer in four.layers] == [784, *(d.units for d in dense)]
    units = four.digit.reshape(1, 784)
    for layer, values in zip(dense, four.layers[1:], strict=True):
        units = layer(units).numpy()
        np.testing.assert_allclose(values, units[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(four.probabilities, shipped.model(four.digit[None]).numpy()[0],
                               atol=1e-6)


def test_view_sends_each_layer_as_bytes_on_its_own_scale(shipped, four):
    view = network_json(four, shipped.weights)
    assert view["outputs"] == [round(float(p), 4) for p in four.probabilities]
    assert view["winner"] == four.best
    for layer, values in zip(view["layers"], four.layers, strict=True):
        q = unpacked(layer)
        assert len(q) == layer["units"] == len(values) <= layer["rows"] * layer["columns"]
        np.testing.assert_allclose(q / 255 * layer["scale"], values,
                                   atol=layer["scale"] / 510 + 1e-4)
    hidden = view["layers"][1:-1]
    assert all(unpacked(layer).max() == 255 for layer in hidden)  # each its own brightest
    assert [layer["scale"] for layer in hidden] == [round(float(v.max()), 4)
                                                    for v in four.layers[1:-1]]


def test_strongest_paths_add_most_to_the_winner(shipped, four):
    weights, layers = shipped.weights, list(four.layers)
    paths = strongest_paths(weights, layers, four.best)
    assert paths.layer == len(layers) - 2
    into_winner = layers[-2] * weights[-1][0][:, four.best]
    assert list(paths.units) == list(np.argsort(-into_winner)[:10])
    for unit, feeders in zip(paths.units, paths.feeders, strict=True):
        into_unit = layers[-3] * weights[-2][0][:, unit]
        assert list(feeders) == list(np.argsort(-into_unit)[:3])


def test_softmax_regression_paths_are_the_pixels_adding_most():
    model = build_mlp(hidden=(), seed=1)
    reader = Reader("softmax regression", model)
    reading = reader.read_layers(pad_drawings()[1])
    view = network_json(reading, reader.weights)
    assert [layer["units"] for layer in view["layers"]] == [784, 10]
    assert view["paths"]["layer"] == 0 and view["paths"]["feeders"] == [[]] * len(
        view["paths"]["units"])
    into_winner = reading.layers[0] * reader.weights[0][0][:, reading.best]
    assert view["paths"]["units"] == [int(u) for u in np.argsort(-into_winner)[:10]
                                      if into_winner[u] > 0]


def test_top_digits_of_a_first_layer_unit_drive_its_relu_highest(shipped):
    """Brute force: ReLU(w.x + b) for every sample digit; the nine chosen have the nine
    largest values."""
    images = shipped.sample
    kernel, bias = shipped.weights[0]
    chosen = shipped.unit_digits[0]
    assert chosen.shape == (kernel.shape[1], TOP_DIGITS)
    x = images.reshape(len(images), 784).astype(np.float32) / 255.0
    for unit in (0, 37, 1024, 2047):
        relu = np.maximum(x @ kernel[:, unit] + bias[unit], 0.0)
        np.testing.assert_allclose(relu[chosen[unit]], np.sort(relu)[::-1][:TOP_DIGITS],
                                   rtol=1e-5)
        assert list(relu[chosen[unit]]) == sorted(relu[chosen[unit]], reverse=True)


def test_top_digits_of_deeper_layers_follow_the_layers_below(shipped):
    """A second-layer unit's favourites are found from the first layer's ReLU outputs."""
    images = shipped.sample[:500]
    found = top_digits(shipped.weights, images)
    (k1, b1), (k2, b2) = shipped.weights[:2]
    hidden = np.maximum(images.reshape(500, 784).astype(np.float32) / 255.0 @ k1 + b1, 0.0)
    scores = hidden @ k2[:, 5] + b2[5]
    np.testing.assert_allclose(scores[found[1][5]], np.sort(scores)[::-1][:TOP_DIGITS],
                               rtol=1e-4)
    assert [len(f) for f in found] == [len(b) for _, b in shipped.weights]


def test_a_units_panel_shows_its_weights_and_nine_digits(shipped):
    first = unit_html(shipped, 1, 37)
    assert first.count("<img") == 1 + TOP_DIGITS and "red excites" in first
    output = unit_html(shipped, len(shipped.weights), 3)
    assert output.count("<img") == TOP_DIGITS and "digit 3" in output
    without = unit_html(Reader("no sample", shipped.model), 2, 0)
    assert "<img" not in without and "not on this server" in without
