import numpy as np
from scipy import ndimage

from digitpad.model import load_model, make_predictor
from digitpad.redraw import PEN_WIDTH, redraw, redraw_all
from digitpad.scoring import predict_labels


def test_a_redrawn_digit_is_normalised_like_mnist(mnist):
    for digit in mnist.x_test[:20]:
        drawn = redraw(digit, 2.5)
        assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
        rows = np.flatnonzero((drawn > 64).any(axis=1))
        cols = np.flatnonzero((drawn > 64).any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
        cy, cx = ndimage.center_of_mass(drawn.astype(float))
        assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0


def test_the_pen_sets_the_width_whatever_the_digit_was_written_with(mnist):
    digits = mnist.x_test[:50]
    thick = np.stack([ndimage.grey_dilation(d, size=(3, 3)) for d in digits])
    ink = lambda images: images.astype(float).sum(axis=(1, 2))  # noqa: E731
    assert np.median(ink(thick) / ink(digits)) > 1.4
    redrawn_ratio = ink(redraw_all(thick, 0)) / ink(redraw_all(digits, 0))
    assert 0.85 < np.median(redrawn_ratio) < 1.15
    assert np.all(ink(np.stack([redraw(d, PEN_WIDTH[1]) for d in digits]))
                  > ink(np.stack([redraw(d, PEN_WIDTH[0]) for d in digits])))


def test_redrawn_digits_are_still_the_same_digits(mnist):
    predict = make_predictor(load_model())
    images = redraw_all(mnist.x_test[:500], 0).astype(np.float32) / 255.0
    assert np.mean(predict_labels(predict, images) == mnist.y_test[:500]) > 0.95


def test_an_empty_image_stays_empty():
    blank = np.zeros((28, 28), np.uint8)
    assert np.array_equal(redraw(blank, 2.0), blank)
