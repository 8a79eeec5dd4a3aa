"""Look inside: saliency, first-layer weights, samples, confusions and mistakes, on real data."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from digitpad.explain import first_layer_images, saliency
from digitpad.model import SHIPPED_MODEL, build_mlp, load_model, make_predictor
from digitpad.preprocess import preprocess
from digitpad.scoring import confusion_matrix
from digitpad.strokes import fit_to_canvas, render
from digitpad.views.inside import (
    CAPTIONS,
    digit_grid,
    saliency_image,
    weights_mosaic,
    worst_mistakes,
)
from digitpad.views.inside import confusion_html as confusion_table

MISTAKE = re.compile(r"true (\d) → read (\d) \((\d+)%\)")


@pytest.fixture(scope="module")
def shipped():
    return load_model(SHIPPED_MODEL)


@pytest.fixture(scope="module")
def explain(shipped):
    return saliency(shipped)


@pytest.fixture(scope="module")
def drawn_one():
    """A one with a flag and a base, drawn on the app's canvas, as the app sees it. The model
    reads it surely, but not so surely that its gradients shrink to float32 rounding, as a
    bare stroke's do."""
    return preprocess(render(fit_to_canvas([[[0.35, 0.1], [0.5, 0], [0.5, 1]],
                                            [[0.35, 1], [0.65, 1]]])))


@pytest.fixture(scope="module")
def test_probabilities(shipped, mnist):
    return make_predictor(shipped)(mnist.x_test.astype(np.float32) / 255.0)


def dilate(mask):
    """mask grown by one pixel in all eight directions."""
    padded = np.pad(mask, 1)
    return np.max([padded[1 + dy:29 + dy, 1 + dx:29 + dx]
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)


def find_digit(shown, images):
    """Index of the MNIST image that a dark-on-white enlarged gallery picture shows."""
    factor = shown.shape[0] // 28
    ink = 255 - shown[::factor, ::factor].astype(np.int16)
    distance = np.abs(images.astype(np.int16) - ink).max(axis=(1, 2))
    assert distance.min() <= 1, "the picture is not one of the images"
    return int(distance.argmin())


def test_captions_are_one_plain_line():
    assert set(CAPTIONS) == {"saliency", "weights", "samples", "confusion", "mistakes"}
    for text in CAPTIONS.values():
        assert text.strip() and "\n" not in text and "<" not in text


@pytest.mark.parametrize("which", ["drawn", "mnist"])
def test_saliency_is_each_class_probability_gradient(shipped, explain, drawn_one, mnist, which):
    digit = drawn_one if which == "drawn" else mnist.x_test[0].astype(np.float32) / 255.0
    grads = explain(digit)
    assert grads.shape == (10, 28, 28) and grads.dtype == np.float32
    x = tf.constant(digit[None])
    eager = []
    for k in range(10):  # the Bern tutorial's ten gradients, one class at a time
        with tf.GradientTape() as tape:
            tape.watch(x)
            probability = shipped(x, training=False)[0, k]
        eager.append(tape.gradient(probability, x)[0].numpy())
    scale = np.abs(grads).max()
    assert scale > 0
    np.testing.assert_allclose(grads, np.stack(eager), atol=0.02 * scale)
    # the ten probabilities sum to one, so their gradients sum to zero
    np.testing.assert_allclose(grads.sum(axis=0), 0, atol=0.02 * scale)


def test_saliency_of_a_drawn_one_lies_along_its_ink(shipped, explain, drawn_one):
    assert make_predictor(shipped)(drawn_one[None])[0].argmax() == 1
    grad = explain(drawn_one)[1]
    ink = dilate(drawn_one > 0.25)
    assert 20 < ink.sum() < 200
    # more of the same ink makes the network surer it is a 1 ...
    assert np.sum(grad * drawn_one) > 0
    # ... and per pixel, the map pushes towards "1" on the stroke, several times more than off it,
    # where it is near zero on average
    assert grad[ink].mean() > 5 * abs(grad[~ink].mean())


def test_saliency_image_colours_on_a_symmetric_scale():
    grad = np.zeros((28, 28), np.float32)
    grad[3, 3], grad[10, 10] = 2.0, -1.0
    digit = np.zeros((28, 28), np.float32)
    digit[20, 20] = 1.0
    picture = saliency_image(digit, grad)
    assert picture.shape == (280, 280, 3) and picture.dtype == np.uint8
    blocks = picture.reshape(28, 10, 28, 10, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()  # square pixels, 10x10 each
    cells = blocks[:, 0, :, 0].astype(int)
    red, blue, white, ink = cells[3, 3], cells[10, 10], cells[0, 0], cells[20, 20]
    assert red[0] > 150 and red[2] < 80  # the largest value is deep red
    assert blue[2] > blue[0] + 40  # negative is blue ...
    assert blue.sum() > 3 * 150  # ... and pale: -1 is half of the scale's end, not its end
    assert (white == 255).all()
    assert (ink == ink[0]).all() and 150 < ink[0] < 255  # ink on zero saliency: faint grey


def test_first_layer_images_of_softmax_regression_are_ten_templates():
    model = build_mlp(hidden=())
    images, captions = first_layer_images(model)
    assert images.shape == (10, 28, 28)
    assert captions == [str(d) for d in range(10)]
    kernel = model.layers[-1].get_weights()[0]
    for d in range(10):
        np.testing.assert_array_equal(images[d], kernel[:, d].reshape(28, 28))


@pytest.mark.parametrize(("hidden", "count", "expected"), [((64, 32), 16, 16), ((8,), 32, 8)])
def test_first_layer_images_of_an_mlp_are_its_most_important_units(hidden, count, expected):
    model = build_mlp(hidden)
    images, captions = first_layer_images(model, count)
    assert images.shape == (expected, 28, 28) and len(captions) == expected
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    incoming, outgoing = dense[0].get_weights()[0], dense[1].get_weights()[0]
    units = [int(c.removeprefix("unit ")) for c in captions]
    assert len(set(units)) == expected
    for unit, image in zip(units, images, strict=True):
        np.testing.assert_array_equal(image, incoming[:, unit].reshape(28, 28))
    importance = [np.sqrt((incoming[:, u] ** 2).sum() * (outgoing[u] ** 2).sum())
                  for u in range(hidden[0])]
    chosen = [importance[u] for u in units]
    assert chosen == sorted(chosen, reverse=True)
    others = [importance[u] for u in range(hidden[0]) if u not in units]
    assert not others or min(chosen) >= max(others)


def test_first_layer_images_of_the_shipped_model(shipped):
    images, captions = first_layer_images(shipped)
    assert images.shape == (32, 28, 28) and len(captions) == 32


def test_weights_mosaic_uses_one_scale_and_has_a_legend():
    images = np.zeros((5, 28, 28), np.float32)
    images[0], images[1], images[2] = 1.0, -1.0, 0.1
    captions = ["strong", "negative", "weak", "zero", "zero"]
    mosaic = weights_mosaic(images, captions, columns=3)
    assert mosaic.ndim == 3 and mosaic.shape[2] == 3 and mosaic.dtype == np.uint8
    spread = mosaic.max(axis=2).astype(int) - mosaic.min(axis=2)
    coloured_rows = np.flatnonzero((spread > 60).any(axis=1))
    # the tiles, from the top: a deep red, a deep blue and a pale one in the first row
    tile_row = mosaic[coloured_rows[0] + 5].astype(int)
    tiles = tile_row[spread[coloured_rows[0] + 5] > 0]
    assert tiles[0][0] > 150 and tiles[0][2] < 80
    middle = tile_row[mosaic.shape[1] // 2]
    assert middle[2] > middle[0] + 40
    weak = tile_row[np.flatnonzero((tile_row != 255).any(axis=1))[-1]]
    assert weak[0] >= weak[2] and weak.min() > 200  # pale red: 0.1 on a scale to 1
    # the legend: the lowest coloured row spans the width, blue to white to red
    legend = mosaic[coloured_rows[-1]].astype(int)
    assert (legend != 255).any(axis=1).sum() > 0.8 * mosaic.shape[1]
    painted = np.flatnonzero((legend != 255).any(axis=1))
    assert legend[painted[0]][2] > legend[painted[0]][0] + 80
    assert legend[painted[-1]][0] > legend[painted[-1]][2] + 80
    assert legend[mosaic.shape[1] // 2].min() > 230
    # its labels say the scale: doubling every weight changes the labels and nothing else
    doubled = weights_mosaic(2 * images, captions, columns=3)
    differs = np.flatnonzero((doubled != mosaic).any(axis=(1, 2)))
    assert differs.size and differs.min() > coloured_rows[-1]


def test_digit_grid_draws_fresh_labelled_training_digits(mnist):
    first = digit_grid(mnist.x_train, mnist.y_train, 12, np.random.default_rng(1))
    again = digit_grid(mnist.x_train, mnist.y_train, 12, np.random.default_rng(1))
    other = digit_grid(mnist.x_train, mnist.y_train, 12, np.random.default_rng(2))
    assert len(first) == 12
    found = []
    for picture, label in first:
        assert picture.dtype == np.uint8 and picture.ndim == 2 and picture.shape[0] >= 56
        index = find_digit(picture, mnist.x_train)
        assert label == str(mnist.y_train[index])
        found.append(index)
    assert len(set(found)) == 12
    assert [c for _, c in again] == [c for _, c in first]
    assert any((a[0] != b[0]).any() for a, b in zip(first, other, strict=True))


def test_confusion_of_the_shipped_model_on_mnist_test(shipped, mnist, test_probabilities):
    matrix = confusion_matrix(mnist.y_test, test_probabilities.argmax(axis=1))
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(mnist.y_test, minlength=10))
    # accuracy through Keras's own predict, not the compiled predictor
    keras_read = shipped.predict(mnist.x_test.astype(np.float32) / 255.0, batch_size=1000,
                                 verbose=0).argmax(axis=1)
    assert np.trace(matrix) / len(mnist.y_test) == np.mean(keras_read == mnist.y_test)
    table = confusion_table(matrix)
    counts = [int(c) for c in re.findall(r"<td[^>]*>(\d+)</td>", table)]
    assert counts == matrix.ravel().tolist()  # rows true digit, columns read, all visible
    cells = re.findall(r"<td[^>]*>", table)
    diagonal = [cells[11 * d] for d in range(10)]
    assert all("font-weight:700" in cell for cell in diagonal)
    assert sum("font-weight:700" in cell for cell in cells) == 10
    alpha = np.array([float(a) for a in re.findall(r"rgba\([\d,]+,([\d.]+)\)", table)])
    shares = matrix / matrix.sum(axis=1, keepdims=True)
    order = np.argsort(shares.ravel(), kind="stable")
    assert (np.diff(alpha[order]) >= 0).all()  # darker where the share of the row is larger


def test_worst_mistakes_of_the_shipped_model(mnist, test_probabilities):
    mistakes = worst_mistakes(mnist.x_test, mnist.y_test, test_probabilities, 12)
    assert len(mistakes) == 12
    read = test_probabilities.argmax(axis=1)
    confidences = []
    for picture, caption in mistakes:
        true, shown_read, percent = map(int, MISTAKE.fullmatch(caption).groups())
        index = find_digit(picture, mnist.x_test)
        assert true == mnist.y_test[index] != read[index] == shown_read
        confidence = test_probabilities[index, read[index]]
        assert percent == round(100 * confidence)
        confidences.append(confidence)
    assert confidences == sorted(confidences, reverse=True)
    wrong = read != mnist.y_test
    assert min(confidences) >= np.sort(test_probabilities.max(axis=1)[wrong])[-13]


def test_worst_mistakes_skip_confident_right_answers():
    images = np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28) % 251
    labels = np.array([3, 3, 5, 7])
    probabilities = np.full((4, 10), 0.01)
    probabilities[0, 3] = 0.91  # right, and the surest of all
    probabilities[1, 8] = 0.61  # wrong
    probabilities[2, 2] = 0.71  # wrong, surer
    probabilities[3, 7] = 0.50  # right
    mistakes = worst_mistakes(images, labels, probabilities, 10)
    assert [c for _, c in mistakes] == ["true 5 → read 2 (71%)", "true 3 → read 8 (61%)"]
    assert [find_digit(p, images) for p, _ in mistakes] == [2, 1]
