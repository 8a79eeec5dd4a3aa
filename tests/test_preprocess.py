"""Preprocessing: any drawing or upload becomes an MNIST-style 28x28 digit, or a clear refusal."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad.preprocess import BadImage, NoInk, blob_roots, preprocess, remove_specks
from digitpad.strokes import CANVAS_SIZE, fit_to_canvas, render

PENDIGITS = Path(__file__).resolve().parents[1] / "data" / "pendigits-dev.json.gz"
SAMPLES = range(16)  # the first pen-drawn digits of the file: every digit 0-9 is among them


@pytest.fixture(scope="module")
def records():
    if not PENDIGITS.is_file():
        pytest.fail(f"pen-drawn digits not found at {PENDIGITS}", pytrace=False)
    with gzip.open(PENDIGITS, "rt") as f:
        return json.load(f)[:max(SAMPLES) + 1]


@pytest.fixture(scope="module")
def canvas(records):
    """A real pen-drawn 2 as the app's drawing pad draws it: 400x400 RGB, black on white."""
    assert records[1]["label"] == 2
    return render(fit_to_canvas(records[1]["strokes"]))


@pytest.fixture(scope="module")
def expected(canvas):
    return preprocess(canvas)


def centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def box_sides(image):
    rows = np.flatnonzero((image > 0).any(axis=1))
    cols = np.flatnonzero((image > 0).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def moved(strokes, scale, offset):
    """The strokes drawn scale times as large (brush too) and offset canvas pixels away."""
    centre = CANVAS_SIZE / 2
    return [(s - centre) * scale + centre + np.asarray(offset) for s in strokes]


def shift_tolerant_difference(a, b):
    """Mean absolute difference after the best whole-pixel shift of at most one pixel."""
    return min(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def test_mnist_style_output(records):
    labels = set()
    for index in SAMPLES:
        labels.add(records[index]["label"])
        digit = preprocess(render(fit_to_canvas(records[index]["strokes"])))
        assert digit.dtype == np.float32
        assert digit.shape == (28, 28)
        assert digit.min() >= 0.0 and digit.max() <= 1.0
        assert digit.max() > 0.9  # the strongest ink is full ink
        row, col = centre_of_mass(digit)
        assert abs(row - 13.5) <= 1.0 and abs(col - 13.5) <= 1.0, (index, row, col)
        assert max(box_sides(digit)) == 20, (index, box_sides(digit))
    assert labels == set(range(10))


def test_translation_gives_the_same_digit(records):
    for index in SAMPLES:
        strokes = fit_to_canvas(records[index]["strokes"])
        reference = preprocess(render(moved(strokes, 0.5, (0, 0)), brush_width=10))
        for offset in [(-95, -90), (97, 93), (-80, 85)]:
            digit = preprocess(render(moved(strokes, 0.5, offset), brush_width=10))
            assert np.abs(digit - reference).mean() < 0.01, (index, offset)


def test_size_and_place_give_nearly_the_same_digit(records):
    # MNIST centres by whole pixels, so when the centre of mass sits near a half pixel a
    # slightly different drawing of the same digit may land one pixel away: each drawing must
    # match within that shift, and on average even without it.
    differences = []
    for index in SAMPLES:
        strokes = fit_to_canvas(records[index]["strokes"])
        reference = preprocess(render(strokes))
        for scale, offset in [(0.4, (-110, -100)), (0.6, (70, 60)), (0.8, (-30, 30))]:
            digit = preprocess(render(moved(strokes, scale, offset), brush_width=20 * scale))
            difference = shift_tolerant_difference(digit, reference)
            assert difference < 0.05, (index, scale, offset, difference)
            differences.append(np.abs(digit - reference).mean())
    assert np.mean(differences) < 0.05


def test_different_digits_differ(records):
    one, zero = (preprocess(render(fit_to_canvas(records[i]["strokes"]))) for i in (2, 7))
    assert (records[2]["label"], records[7]["label"]) == (1, 0)
    assert shift_tolerant_difference(one, zero) > 0.1


def test_black_ink_on_transparent_background(canvas, expected):
    rgba = np.zeros((*canvas.shape[:2], 4), np.uint8)
    rgba[..., 3] = 255 - canvas[..., 0]
    np.testing.assert_allclose(preprocess(rgba), expected, atol=1e-6)


@pytest.mark.parametrize("colour", [(255, 255, 255), (255, 230, 40)], ids=["white", "yellow"])
def test_light_ink_on_transparent_background(canvas, expected, colour):
    rgba = np.zeros((*canvas.shape[:2], 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255 - canvas[..., 0]
    np.testing.assert_allclose(preprocess(rgba), expected, atol=1e-6)


def test_inverted_polarity(canvas, expected):
    np.testing.assert_allclose(preprocess(255 - canvas), expected, atol=1e-6)


@pytest.mark.parametrize("image", [
    np.full((400, 400), 255, np.uint8),
    np.zeros((400, 400), np.uint8),
    np.zeros((400, 400, 4), np.uint8),
    np.full((400, 400, 3), 255, np.uint8),
], ids=["white", "black", "transparent", "white-rgb"])
def test_blank_canvas_has_no_ink(image):
    with pytest.raises(NoInk):
        preprocess(image)


@pytest.mark.parametrize("side", [4, 12])
def test_speck_alone_has_no_ink(side):
    image = np.full((400, 400), 255, np.uint8)
    image[150:150 + side, 220:220 + side] = 0
    with pytest.raises(NoInk):
        preprocess(image)


def test_far_speck_is_ignored(canvas, expected):
    for top, left in [(8, 370), (380, 10), (385, 385)]:
        specked = canvas.copy()
        specked[top:top + 10, left:left + 10] = 0
        np.testing.assert_allclose(preprocess(specked), expected, atol=1e-6)


def ink_of(*boxes):
    """A 400x400 ink image (cells of 9 px) with full ink in each (top, bottom, left, right) box."""
    ink = np.zeros((400, 400), np.float32)
    for top, bottom, left, right in boxes:
        ink[top:bottom, left:right] = 1.0
    return ink


ONE = (60, 340, 190, 210)  # a tall stroke: 32 cells high, so blobs under 6.4 cells are small
SPECK_FAR = (10, 20, 360, 370)  # 2 cells, 100 px of ink
FOUR_LEFT = [(80, 220, 120, 140), (200, 220, 120, 280)]  # the 4's open corner
FOUR_RIGHT = (60, 330, 300, 320)  # its upright, one empty cell column to the right
SMUDGE = (250, 310, 20, 80)  # 7 cells: big enough to be part of the drawing
DOT = (20, 60, 20, 60)  # 5 cells, but 1600 px: more than a tenth of the ink


@pytest.mark.parametrize(("boxes", "kept"), [
    ([ONE, SPECK_FAR], [ONE]),
    ([*FOUR_LEFT, FOUR_RIGHT], [*FOUR_LEFT, FOUR_RIGHT]),
    ([*FOUR_LEFT, FOUR_RIGHT, SPECK_FAR], [*FOUR_LEFT, FOUR_RIGHT]),
    ([ONE, SMUDGE], [ONE, SMUDGE]),
    ([(60, 340, 195, 200), DOT], [(60, 340, 195, 200), DOT]),
    ([(60, 340, 195, 200), DOT, SPECK_FAR], [(60, 340, 195, 200), DOT]),
], ids=["digit+speck", "split 4", "split 4+speck", "digit+smudge", "thin digit+heavy dot",
        "thin digit+heavy dot+speck"])
def test_remove_specks_keeps_exactly_the_blobs_the_rule_keeps(boxes, kept):
    np.testing.assert_array_equal(remove_specks(ink_of(*boxes)), ink_of(*kept))


def test_remove_specks_drops_faint_ink_outside_kept_cells():
    ink = ink_of(ONE)
    ink[100:110, 300:310] = 0.2  # below INK_LEVEL: no blob of its own, so not kept
    ink[200:210, 210:216] = 0.2  # beside the stroke, in the cells it reaches (207-215): kept
    expected = ink_of(ONE)
    expected[200:210, 210:216] = 0.2
    np.testing.assert_array_equal(remove_specks(ink), expected)


def test_blob_roots_follow_long_winding_blobs():
    # a serpentine through the whole grid is one blob however far apart its ends are; two
    # interleaved combs, one cell apart everywhere, are two
    snake = np.zeros((15, 15), bool)
    snake[::2] = True
    snake[1::4, -1] = snake[3::4, 0] = True
    assert (blob_roots(*np.nonzero(snake)) == 0).all()
    top, bottom = np.zeros((15, 15), bool), np.zeros((15, 15), bool)
    top[0, :13] = top[:13, :13:4] = True
    bottom[14, 2:] = bottom[2:, 2::4] = True
    rows, cols = np.nonzero(top | bottom)
    roots = blob_roots(rows, cols)
    assert len(set(roots)) == 2
    np.testing.assert_array_equal(roots == 0, top[rows, cols])


def test_input_types(canvas, expected, tmp_path):
    gray = canvas[..., 0]
    path = tmp_path / "digit.png"
    Image.fromarray(gray).save(path)
    inputs = {
        "PIL": Image.fromarray(canvas),
        "HxW uint8": gray,
        "HxWx3 uint8": canvas,
        "HxWx1 uint8": gray[..., None],
        "float [0, 1]": gray.astype(np.float64) / 255.0,
        "path": path,
        "str path": str(path),
    }
    for name, image in inputs.items():
        np.testing.assert_allclose(preprocess(image), expected, atol=1e-6, err_msg=name)


def test_sixteen_bit_png(canvas, expected, tmp_path):
    path = tmp_path / "digit16.png"
    Image.fromarray(canvas[..., 0].astype(np.uint16) * 257).save(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I")  # really stored with 16 bits per pixel
    np.testing.assert_allclose(preprocess(path), expected, atol=1e-6)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "digit.png"
    path.write_text("this is not an image\n")
    with pytest.raises(BadImage, match=r"^This file is not a readable image \(PNG, JPEG"):
        preprocess(path)


def test_missing_file(tmp_path):
    with pytest.raises(BadImage, match=r"^This file is not a readable image \(PNG, JPEG"):
        preprocess(tmp_path / "nothing.png")


def test_unreadable_inputs():
    with pytest.raises(BadImage):
        preprocess(12345)
    with pytest.raises(BadImage):  # the old sketchpad's value is no longer read
        preprocess({"composite": np.zeros((400, 400, 4), np.uint8)})
    with pytest.raises(BadImage):
        preprocess(np.zeros((4, 4, 2), np.uint8))


def test_thin_digit_on_a_large_scan(records):
    # A pen-drawn 2, 320 px tall (9% of the page height) in a 4 px black pen, on a white
    # A4 page scanned at 300 dpi: plainly a digit, so it must be read, not called empty.
    small = render(fit_to_canvas(records[1]["strokes"], 400, 0.8), 400, brush_width=4)
    page = np.full((3508, 2480), 255, np.uint8)
    page[1554:1954, 1040:1440] = small[..., 0]
    alone = preprocess(small)
    try:
        digit = preprocess(page)
    except NoInk as e:
        pytest.fail(f"a clearly visible digit on a 2480x3508 page raised NoInk: {e}")
    assert shift_tolerant_difference(digit, alone) < 0.1
