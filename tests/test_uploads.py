"""What people send, read as pure functions: image files in every form a phone, a scanner or an
editor writes them, files too large to read cheaply, and the drawing pad's strokes. Each is read
as the same digit or refused with one plain sentence, before any costly work."""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from digitpad.preprocess import MAX_JPEG_PIXELS, MAX_PIXELS, BadImage, NoInk, preprocess
from digitpad.strokes import (
    CANVAS_SIZE,
    MAX_LENGTH,
    MAX_POINTS,
    MAX_STROKES,
    BadStrokes,
    line_length,
    pad_strokes,
)

SEVEN = Path(__file__).resolve().parent.parent / "assets" / "example-7-paper.png"
PAPER = 220  # grey levels above this are paper: over a third of the photo
NOT_PLAIN = re.compile(r"Error|Exception|Warning|Traceback|[/\\]|\.png|\.jpe?g|\.gif")


@pytest.fixture(scope="module")
def seven() -> Image.Image:
    """The 7 on photographed paper, plain 8-bit RGB."""
    with Image.open(SEVEN) as image:
        assert image.mode == "RGB"
        return image.copy()


@pytest.fixture(scope="module")
def expected(seven) -> np.ndarray:
    return preprocess(SEVEN)


# -- odd but honest files: each reads as its plain 8-bit RGB counterpart -----------------------

def sixteen_bit(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    gray = seven.convert("L")
    path = folder / "seven16.png"
    Image.fromarray(np.asarray(gray, np.uint16) * 257).save(path)
    return path, gray


def white_on_transparent(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    """White ink whose only trace is the alpha channel; its counterpart is that alpha as ink."""
    ink = np.asarray(seven.convert("L"), np.float32)
    alpha = np.clip((ink.max() - ink) / np.ptp(ink) * 255, 0, 255).astype(np.uint8)
    path = folder / "seven-white.png"
    Image.fromarray(np.dstack([np.full((*ink.shape, 3), 255, np.uint8), alpha]), "RGBA").save(path)
    return path, Image.fromarray(255 - alpha)


def cmyk_jpeg(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    path = folder / "seven-cmyk.jpg"
    seven.convert("CMYK").save(path, quality=95)
    with Image.open(path) as image:
        return path, image.convert("RGB")


def palette(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    path = folder / "seven-palette.png"
    seven.convert("L").convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(path)
    with Image.open(path) as image:
        return path, image.convert("RGB")


def palette_with_transparency(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    """Greys, and the paper in a transparent entry whose own colour is black: read without its
    transparency, the paper would be black."""
    gray = np.asarray(seven.convert("L"))
    paper = gray > PAPER
    image = Image.fromarray(np.where(paper, 255, gray).astype(np.uint8), "P")
    image.putpalette([*np.repeat(np.arange(255), 3), 0, 0, 0])
    path = folder / "seven-palette-transparent.png"
    image.save(path, transparency=255)
    return path, Image.fromarray(np.where(paper, 255, gray).astype(np.uint8))


def exif_rotated(tag: int, method: Image.Transpose):
    """A JPEG stored sideways with the EXIF orientation tag that turns it upright."""
    def make(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
        exif = Image.Exif()
        exif[0x0112] = tag
        path = folder / f"seven-exif-{tag}.jpg"
        seven.transpose(method).save(path, quality=95, exif=exif)
        with Image.open(path) as image:
            return path, ImageOps.exif_transpose(image)
    return make


def one_bit(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    black_and_white = seven.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1")
    path = folder / "seven-1bit.png"
    black_and_white.save(path)
    return path, black_and_white


def animated_gif(folder: Path, seven: Image.Image) -> tuple[Path, Image.Image]:
    """The 7 as the first frame, then a blank and an inverted frame."""
    gray = seven.convert("L")
    path = folder / "seven.gif"
    frames = [gray, Image.new("L", gray.size, 255), Image.eval(gray, lambda v: 255 - v)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    return path, gray


FORMS = {  # how to write the 7, the mode it must have on disk, and how near the 7 it must read
    "16-bit": (sixteen_bit, "I;16", 1e-6),
    "white-on-transparent": (white_on_transparent, "RGBA", 0.15),
    "cmyk-jpeg": (cmyk_jpeg, "CMYK", 0.1),
    "palette": (palette, "P", 1e-6),
    "palette-transparent": (palette_with_transparency, "P", 0.1),
    "exif-6": (exif_rotated(6, Image.Transpose.ROTATE_90), "RGB", 0.1),
    "exif-8": (exif_rotated(8, Image.Transpose.ROTATE_270), "RGB", 0.1),
    "1-bit": (one_bit, "1", 0.5),  # every grey made black or white: the edges move
    "animated-gif": (animated_gif, "P", 1e-6),
}


@pytest.mark.parametrize(("make", "mode", "near"), FORMS.values(), ids=FORMS.keys())
def test_odd_file_reads_as_its_plain_rgb_counterpart(tmp_path, seven, expected, make, mode, near):
    path, counterpart = make(tmp_path, seven)
    with Image.open(path) as image:
        assert image.mode == mode  # really stored in that form
    plain = tmp_path / "plain.png"
    counterpart.convert("RGB").save(plain)
    digit = preprocess(path)
    np.testing.assert_allclose(digit, preprocess(plain), atol=1e-6)
    assert np.abs(digit - expected).max() <= near  # still the 7, nearly pixel for pixel


def test_exif_tag_is_what_turns_the_digit_upright(tmp_path, seven, expected):
    sideways = tmp_path / "sideways.jpg"
    seven.transpose(Image.Transpose.ROTATE_90).save(sideways, quality=95)
    assert np.abs(preprocess(sideways) - expected).mean() > 0.1


def test_only_the_first_frame_is_read(tmp_path, seven, expected):
    path, _ = animated_gif(tmp_path, seven)
    data = path.read_bytes()
    second_frame = data.index(b"\x21\xf9", data.index(b"\x21\xf9") + 1)  # its control block
    cut = tmp_path / "cut.gif"
    cut.write_bytes(data[:second_frame + 30])
    with Image.open(cut) as image, pytest.raises((EOFError, OSError, IndexError, ValueError)):
        image.seek(1)  # the second frame is cut short
        image.load()
    np.testing.assert_allclose(preprocess(cut), expected, atol=1e-6)


# -- too large to read cheaply: refused from the header, before any pixel is decoded -----------

def png_saying(folder: Path, width: int, height: int) -> Path:
    """A PNG whose header says width x height over an 8x8 image's data: decoding it would fail,
    so only a refusal from the header can name its size."""
    small = folder / "small.png"
    Image.new("1", (8, 8), 1).save(small)
    data = small.read_bytes()
    header = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + header
    path = folder / f"{width}x{height}.png"
    path.write_bytes(data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:])
    return path


def jpeg_saying(folder: Path, seven: Image.Image, width: int, height: int) -> Path:
    """A JPEG whose header says width x height over the 224x224 7's data."""
    small = folder / "small.jpg"
    seven.save(small, quality=90)
    data = small.read_bytes()
    frame = data.index(b"\xff\xc0") + 5  # the baseline frame's height and width
    path = folder / f"{width}x{height}.jpg"
    path.write_bytes(data[:frame] + struct.pack(">HH", height, width) + data[frame + 4:])
    return path


def refusal(path: Path) -> str:
    with pytest.raises(BadImage) as error:
        preprocess(path)
    return str(error.value)


@pytest.mark.parametrize(("width", "height", "megapixels"), [
    (4001, 4000, "16.1"), (6000, 4000, "24"), (8000, 8000, "64")])
def test_png_over_the_limit_is_refused_from_its_header(tmp_path, width, height, megapixels):
    assert width * height > MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # Pillow's, over 50 MP
        message = refusal(png_saying(tmp_path, width, height))
    assert message == (f"This image is {megapixels} megapixels; the limit is 16 (50 for a "
                       "JPEG). Send a smaller photo.")


def outcome(path: Path) -> str:
    """What reading the file comes to: "read", or the message it is refused with."""
    try:
        preprocess(path)
    except (BadImage, NoInk) as e:
        return str(e)
    return "read"


def test_png_at_the_limit_is_decoded(tmp_path):
    assert 4000 * 4000 == MAX_PIXELS
    assert outcome(png_saying(tmp_path, 4000, 4000)).startswith("This file is not a readable")


def test_jpeg_up_to_its_own_limit_is_decoded(tmp_path, seven):
    for width, height in [(6000, 4000), (8164, 6123)]:
        assert MAX_PIXELS < width * height <= MAX_JPEG_PIXELS
        assert "megapixels" not in outcome(jpeg_saying(tmp_path, seven, width, height))
    with pytest.warns(Image.DecompressionBombWarning):  # Pillow's guard too sees it, and warns
        assert "is 50.1 megapixels" in outcome(jpeg_saying(tmp_path, seven, 8165, 6132))


def test_pillows_own_guard_gives_the_same_plain_refusal(tmp_path):
    over_twice = png_saying(tmp_path, 10_001, 10_000)  # Pillow itself refuses at 100 MP
    assert refusal(over_twice).startswith("This image is over 50 megapixels; the limit is 16")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # as under python -W error
        message = refusal(png_saying(tmp_path, 8000, 8000))
    assert message.startswith("This image is over 50 megapixels; the limit is 16")


def test_largest_png_and_a_big_jpeg_still_read_the_digit(tmp_path, seven, expected):
    side = int(MAX_PIXELS ** 0.5)
    png = tmp_path / "largest.png"
    seven.convert("L").resize((side, side)).save(png, compress_level=1)
    jpeg = tmp_path / "big.jpg"
    seven.resize((4900, 4900)).save(jpeg, quality=90)  # 24 MP: read at 1/8 scale
    for path in (png, jpeg):
        assert np.abs(preprocess(path) - expected).max() < 0.1


# -- what is not an image: one plain sentence, no file name, no exception's name ---------------

def not_images(folder: Path, seven: Image.Image) -> list[Path]:
    text = folder / "notes.png"
    text.write_text("a shopping list, not a picture of a digit\n")
    whole = folder / "whole.png"
    seven.save(whole)
    cut = folder / "cut-in-its-pixels.png"
    cut.write_bytes(whole.read_bytes()[:whole.stat().st_size // 2])
    empty = folder / "nothing.png"
    empty.write_bytes(b"")
    targa = folder / "seven.tga"  # a picture Pillow reads, but not a format the app takes
    seven.save(targa)
    return [text, cut, empty, targa, folder / "missing.png"]


def test_what_is_not_an_image_gets_one_plain_sentence(tmp_path, seven):
    for path in not_images(tmp_path, seven):
        message = refusal(path)
        assert message == ("This file is not a readable image (PNG, JPEG, WebP, GIF, BMP or "
                           "TIFF)."), (path.name, message)
        assert not NOT_PLAIN.search(message) and path.stem not in message, message


# -- the pad's strokes ----------------------------------------------------------------------

def test_strokes_as_the_pad_sends_them():
    strokes = pad_strokes([[[10, 20.5], [30.25, 40]], [[200, 200]]])
    assert [s.tolist() for s in strokes] == [[[10.0, 20.5], [30.25, 40.0]], [[200.0, 200.0]]]
    assert all(s.dtype == np.float64 for s in strokes)
    assert pad_strokes(None) == [] and pad_strokes([]) == []


def test_points_far_off_the_canvas_are_brought_near_it():
    strokes = pad_strokes([[[-1e300, 5], [1e300, 10**300]]])
    assert strokes[0].tolist() == [[-CANVAS_SIZE, 5.0], [2 * CANVAS_SIZE, 2 * CANVAS_SIZE]]


NOT_STROKES = {
    "text": ("a 7", "list of at most"),
    "object": ({"strokes": []}, "list of at most"),
    "flat-list": ([1, 2, 3], "stroke is a non-empty list"),
    "empty-stroke": ([[]], "stroke is a non-empty list"),
    "three-numbers": ([[[1, 2, 3]]], "stroke is a non-empty list"),
    "one-number": ([[[1]]], "stroke is a non-empty list"),
    "words": ([[["x", "y"]]], "stroke is a non-empty list"),
    "number-as-text": ([[["12", "30"]]], "stroke is a non-empty list"),
    "bools": ([[[True, False]]], "stroke is a non-empty list"),
    "none": ([[[None, 1.0]]], "stroke is a non-empty list"),
    "nested": ([[[[1, 2], [3, 4]]]], "stroke is a non-empty list"),
    "tuple-point": ([[(1.0, 2.0)]], "stroke is a non-empty list"),
    "nan": ([[[float("nan"), 1.0]]], "finite numbers"),
    "infinite": ([[[float("inf"), 1.0]]], "finite numbers"),
    "huge-int": ([[[10**400, 1]]], "finite numbers"),
    "too-many-strokes": ([[[1.0, 1.0]]] * (MAX_STROKES + 1), f"at most {MAX_STROKES} strokes"),
    "too-many-points": ([[[1.0, 1.0]] * (MAX_POINTS + 1)], f"at most {MAX_POINTS:,} points"),
}


@pytest.mark.parametrize(("value", "says"), NOT_STROKES.values(), ids=NOT_STROKES.keys())
def test_what_is_not_strokes_gets_one_plain_sentence(value, says):
    with pytest.raises(BadStrokes) as error:
        pad_strokes(value)
    message = str(error.value)
    assert says in message and not NOT_PLAIN.search(message), message


def test_counts_are_checked_before_any_point_is():
    # 4 million points of junk, 32 MB as JSON, are refused by their count alone: a point-by-point
    # check would stop at the first one with another message
    junk = [[["x", "y"]] * 4_000_000]
    with pytest.raises(BadStrokes, match=f"at most {MAX_POINTS:,} points"):
        pad_strokes(junk)
    with pytest.raises(BadStrokes, match=f"at most {MAX_STROKES} strokes"):
        pad_strokes(junk * (MAX_STROKES + 1))


def test_the_most_points_allowed_are_taken_and_one_more_is_not():
    each = MAX_POINTS // MAX_STROKES
    strokes = [[[float(i % 2), float(s)] for i in range(each)] for s in range(MAX_STROKES)]
    assert sum(len(s) for s in pad_strokes(strokes)) == MAX_POINTS
    strokes[0].append([0.0, 0.0])
    with pytest.raises(BadStrokes, match="points"):
        pad_strokes(strokes)


def test_the_most_line_allowed_is_taken_and_more_is_not():
    crossings = MAX_LENGTH // CANVAS_SIZE  # from edge to edge of the canvas and back
    zigzag = [[float(x), 0.0] for x in np.tile([0, CANVAS_SIZE], crossings)]
    assert line_length(pad_strokes([zigzag[:crossings + 1]])) == MAX_LENGTH
    with pytest.raises(BadStrokes, match=f"at most {MAX_LENGTH:,} canvas pixels"):
        pad_strokes([zigzag[:crossings + 2]])
