"""Pen styles drawn onto real MNIST digits: the stroke lands where the style puts it, the digit
stays MNIST-normalised, and the styled set repeats for a seed and touches only its classes."""

import numpy as np
import pytest

from digitpad.pen_styles import SHARE, add_pen_styles, curl_nine, flag_one


def box(digit: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right) of the ink above half strength."""
    rows = np.flatnonzero((digit > 127).any(axis=1))
    cols = np.flatnonzero((digit > 127).any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def first(mnist, label: int, n: int = 50) -> np.ndarray:
    return mnist.x_train[np.flatnonzero(mnist.y_train == label)[:n]]


@pytest.mark.parametrize("style,label", [(flag_one, 1), (curl_nine, 9)])
def test_styled_digit_is_mnist_normalised(mnist, style, label):
    rng = np.random.default_rng(0)
    for digit in first(mnist, label, 20):
        styled = style(digit, rng)
        top, bottom, left, right = box(styled)
        assert styled.dtype == np.uint8 and styled.shape == (28, 28)
        assert 18 <= max(bottom - top, right - left) <= 21  # the longer side is scaled to 20 px
        rows, cols = np.indices(styled.shape)
        centre = np.array([(rows * styled).sum(), (cols * styled).sum()]) / styled.sum()
        assert np.all(np.abs(centre - 13.5) <= 1.0)  # centred by mass


def test_flag_widens_the_top_of_a_one_to_the_left(mnist):
    rng = np.random.default_rng(0)
    ones = first(mnist, 1)
    flagged = np.stack([flag_one(d, rng) for d in ones])
    width = lambda d: box(d)[3] - box(d)[2]  # noqa: E731
    assert np.mean([width(f) - width(o) for f, o in zip(flagged, ones, strict=True)]) >= 3
    # the new ink is up and to the left: the top third's ink lies left of the bottom third's
    def lean(d):
        top, bottom, _, _ = box(d)
        third = (bottom - top) // 3
        cols = np.arange(28)
        upper, lower = d[top:top + third].sum(axis=0), d[bottom - third:bottom].sum(axis=0)
        return (cols * upper).sum() / upper.sum() - (cols * lower).sum() / lower.sum()
    assert np.mean([lean(f) - lean(o) for f, o in zip(flagged, ones, strict=True)]) <= -1.5


def test_curl_brings_a_nines_tail_back_to_the_left(mnist):
    rng = np.random.default_rng(0)
    nines = first(mnist, 9)
    curled = np.stack([curl_nine(d, rng) for d in nines])

    def tail_left(d):  # leftmost ink of the bottom fifth, from the digit's right edge
        top, bottom, _, right = box(d)
        part = d[bottom - max(1, (bottom - top) // 5):bottom]
        return right - np.flatnonzero((part > 127).any(axis=0))[0]

    assert np.mean([tail_left(c) - tail_left(n) for c, n in zip(curled, nines, strict=True)]) >= 2


def test_add_pen_styles_repeats_and_touches_only_its_classes(mnist):
    images, labels = mnist.x_train[:6000], mnist.y_train[:6000]
    before = images.copy()
    styled = add_pen_styles(images, labels, seed=1)
    assert np.array_equal(images, before)  # the input is left alone
    assert np.array_equal(styled, add_pen_styles(images, labels, seed=1))
    assert not np.array_equal(styled, add_pen_styles(images, labels, seed=2))
    changed = (styled != images).any(axis=(1, 2))
    assert not changed[~np.isin(labels, list(SHARE))].any()
    for label, share in SHARE.items():
        assert abs(changed[labels == label].mean() - share) < 0.06
