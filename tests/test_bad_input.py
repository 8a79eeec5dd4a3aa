"""Whatever a classroom throws at the app: hostile or odd files through /predict, and odd
drawings through the reading functions and the pad's own event. Each gets a clear error or a
sane answer, and the server answers a good request right after. (Text named .png, a PNG cut
after 300 bytes and a 0-byte file are in test_api.py.)"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from digitpad.model import load_model, make_predictor
from digitpad.preprocess import NoInk
from digitpad.reading import read_drawing
from digitpad.strokes import (
    BRUSH_WIDTH,
    CANVAS_SIZE,
    MAX_POINTS,
    MAX_STROKES,
    BadStrokes,
    fit_to_canvas,
    render,
)
from tests.harness.server import REPO, send_strokes

SEVEN = REPO / "assets" / "example-7-paper.png"  # a real MNIST 7 on photographed paper
UPLOAD_LIMIT = 10 * 1024 * 1024  # app.py's max_file_size="10mb"
BOMB_SIDE = 20_000


@pytest.fixture(scope="module")
def app_server(busy_app):
    """This file's tests upload much: the busy app."""
    return busy_app


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False, ssl_verify=False)


@pytest.fixture(scope="module")
def seven_gray() -> Image.Image:
    with Image.open(SEVEN) as image:
        return image.convert("L")


@pytest.fixture(scope="module")
def seven_answer(client) -> dict[str, float]:
    """The app's answer for the plain 8-bit PNG: the reference for the same 7 in other forms."""
    answer = predict(client, SEVEN)
    assert best(answer) == "7", answer
    return answer


def predict(client: Client, path: Path | None) -> dict[str, float]:
    return client.predict(None if path is None else handle_file(str(path)), api_name="/predict")


def best(answer: dict[str, float]) -> str:
    return max(answer, key=answer.get)


def assert_ten_probabilities(answer: dict[str, float]) -> None:
    assert sorted(answer) == [str(d) for d in range(10)]
    assert all(0.0 <= p <= 1.0 for p in answer.values())
    assert sum(answer.values()) == pytest.approx(1.0, abs=1e-4)


def assert_server_carries_on(client: Client) -> None:
    assert best(predict(client, SEVEN)) == "7"


def refused(client: Client, path: Path | None, kind: type[Exception] = AppError) -> str:
    """The error message the app gives for path, then check that the server still answers."""
    with pytest.raises(kind) as error:
        predict(client, path)
    assert_server_carries_on(client)
    return str(error.value)


# -- files that must be refused ---------------------------------------------------------------

def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def bomb_png(path: Path, side: int = BOMB_SIDE) -> Path:
    """A valid 1-bit side x side PNG of white paper, written row by row: a few tens of KB on
    disk, side*side pixels (400 million) once decoded."""
    row = b"\x00" + b"\xff" * -(-side // 8)  # filter byte, then 1 bit per pixel
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
                     + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b""))
    return path


def test_decompression_bomb_is_refused_plainly(client, tmp_path):
    bomb = bomb_png(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200_000
    with pytest.raises(Image.DecompressionBombError):  # Pillow too sees 400 million pixels
        Image.open(bomb)
    message = refused(client, bomb)
    assert bomb.name not in message and "/" not in message, message
    assert re.search(r"megapixels; the limit is", message, re.IGNORECASE), message


def test_png_cut_in_its_pixel_data_is_refused(client, tmp_path, seven_gray):
    whole = tmp_path / "whole.png"
    seven_gray.save(whole)
    cut = tmp_path / "half.png"
    cut.write_bytes(whole.read_bytes()[:whole.stat().st_size // 2])
    message = refused(client, cut)
    assert cut.name not in message and "/" not in message, message
    assert re.search(r"not a readable image", message, re.IGNORECASE), message


def test_file_over_the_upload_limit_is_refused(app_server, client, tmp_path):
    path = tmp_path / "huge.png"
    noise = np.random.default_rng(0).integers(0, 256, (2000, 2000, 3), np.uint8)
    Image.fromarray(noise).save(path, compress_level=0)
    assert path.stat().st_size > UPLOAD_LIMIT
    message = refused(client, path, ValueError)  # gradio_client checks the app's limit first
    assert re.search(r"maximum file size", message, re.IGNORECASE), message
    with path.open("rb") as f:  # any other client: the server itself refuses the upload
        response = httpx.post(app_server + "gradio_api/upload", timeout=60,
                              files={"files": (path.name, f, "image/png")})
    assert response.status_code == 413, response.text
    assert "larger than" in response.json()["error"], response.text
    assert_server_carries_on(client)


def test_no_file_is_refused_plainly(client):
    message = refused(client, None)
    assert re.search(r"no (image|file)|missing|send an image", message, re.IGNORECASE), message
    assert "NoneType" not in message, message


@pytest.mark.parametrize("size", [(1, 1), (1, 400), (3, 3)], ids=["1x1", "1x400", "3x3"])
def test_tiny_image_has_no_digit(client, tmp_path, size):
    path = tmp_path / "tiny.png"
    Image.new("L", size, 0).save(path)
    message = refused(client, path)
    assert re.search(r"empty|speck|draw a digit", message, re.IGNORECASE), message


# -- odd but honest files of a real digit: read as the same digit -----------------------------

def sixteen_bit_png(folder: Path, gray: Image.Image) -> Path:
    path = folder / "seven16.png"
    Image.fromarray(np.asarray(gray, np.uint16) * 257).save(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I;16")  # really 16 bits per pixel on disk
    return path


def cmyk_jpeg(folder: Path, gray: Image.Image) -> Path:
    path = folder / "seven-cmyk.jpg"
    gray.convert("CMYK").save(path, quality=95)
    with Image.open(path) as image:
        assert image.mode == "CMYK"
    return path


def animated_gif(folder: Path, gray: Image.Image) -> Path:
    """The 7 as the first frame, then a blank and an inverted frame."""
    path = folder / "seven.gif"
    frames = [gray, Image.new("L", gray.size, 255), Image.eval(gray, lambda v: 255 - v)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    with Image.open(path) as image:
        assert image.n_frames == 3
    return path


def white_ink_on_transparent(folder: Path, gray: Image.Image) -> Path:
    """Light ink whose only trace is the alpha channel: white over white once composited."""
    path = folder / "seven-transparent.png"
    ink = np.asarray(gray, np.float32)
    alpha = np.clip((ink.max() - ink) / max(float(np.ptp(ink)), 1.0) * 255, 0, 255)
    rgba = np.dstack([np.full((*ink.shape, 3), 255, np.uint8), alpha.astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def palette_png(folder: Path, gray: Image.Image) -> Path:
    path = folder / "seven-palette.png"
    gray.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(path)
    return path


@pytest.mark.parametrize("make", [sixteen_bit_png, cmyk_jpeg, animated_gif,
                                  white_ink_on_transparent, palette_png],
                         ids=["16-bit", "cmyk-jpeg", "animated-gif", "transparent",
                              "palette"])
def test_odd_format_of_a_real_digit_is_read(client, tmp_path, seven_gray, seven_answer, make):
    answer = predict(client, make(tmp_path, seven_gray))
    assert_ten_probabilities(answer)
    assert best(answer) == "7", answer
    assert answer["7"] == pytest.approx(seven_answer["7"], abs=0.1), (answer, seven_answer)


def test_sixteen_bit_reads_exactly_as_eight_bit(client, tmp_path, seven_gray, seven_answer):
    answer = predict(client, sixteen_bit_png(tmp_path, seven_gray))
    assert answer == pytest.approx(seven_answer, abs=1e-4)


# -- drawings as the pad sends them ----------------------------------------------------------

@pytest.fixture(scope="module")
def model_predict():
    return make_predictor(load_model())


def as_sent(strokes: list[np.ndarray]) -> list:
    """The pad's value for these strokes: lists of [x, y] canvas pixels."""
    return [np.round(s, 1).tolist() for s in strokes]


def painted_over() -> list[np.ndarray]:
    """A brush zigzag over every row of the canvas: all of it inked."""
    rows = np.arange(0, CANVAS_SIZE + BRUSH_WIDTH, BRUSH_WIDTH / 2)
    xs = np.where(np.arange(rows.size) % 2, CANVAS_SIZE + BRUSH_WIDTH, -BRUSH_WIDTH)
    return [np.column_stack([xs, rows])]


def scribble() -> list[np.ndarray]:
    """Forty random strokes from edge to edge: ink over the whole canvas."""
    rng = np.random.default_rng(6)
    return [rng.uniform(0, CANVAS_SIZE, (6, 2)) for _ in range(40)]


def row_of_digits() -> list[np.ndarray]:
    """A 1, a 4, a 7, a 1 and a 4 side by side across the canvas, each 60 px wide."""
    shapes = [[[[0.5, 0.0], [0.5, 1.0]]],
              [[[0.6, 0.0], [0.1, 0.65], [0.8, 0.65]], [[0.55, 0.3], [0.55, 1.0]]],
              [[[0.0, 0.0], [1.0, 0.0], [0.4, 1.0]]]]
    strokes = []
    for i, shape in enumerate(shapes + shapes[:2]):
        for stroke in fit_to_canvas(shape, 60, 0.8):
            strokes.append(stroke + np.array([20 + 75 * i, 170]))
    return strokes


@pytest.mark.parametrize("value", [None, [], as_sent(painted_over())],
                         ids=["nothing", "no-strokes", "fully-black"])
def test_blank_pad_says_draw_a_digit(model_predict, value):
    if value:
        assert (render(painted_over()) < 128).all()  # really inked all over
    with pytest.raises(NoInk, match=r"(?i)draw a digit|empty"):
        read_drawing(value, model_predict)


def test_one_dot_is_not_a_digit(model_predict):
    with pytest.raises(NoInk, match=r"(?i)speck|draw a digit"):
        read_drawing([[[200.0, 200.0]]], model_predict)  # one tap of the brush


@pytest.mark.parametrize("strokes", [scribble(), row_of_digits()], ids=["scribble", "row"])
def test_crowded_pad_gives_a_reading_or_a_refusal(model_predict, strokes):
    assert (255 - render(strokes)[..., 0]).mean() > 10  # plenty of ink really is there
    try:
        reading = read_drawing(as_sent(strokes), model_predict)
    except NoInk as e:
        assert re.search(r"(?i)draw a digit|one digit", str(e)), str(e)
        return
    assert reading.probabilities.shape == (10,)
    assert np.isfinite(reading.probabilities).all()
    assert reading.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert reading.digit.shape == (28, 28) and reading.digit.max() > 0.5


NOT_STROKES = {
    "text": "a 7",
    "object": {"strokes": []},
    "flat-list": [1, 2, 3],
    "empty-stroke": [[]],
    "three-numbers": [[[1, 2, 3]]],
    "words": [[["x", "y"]]],
    "nan": [[[float("nan"), 1.0]]],
    "infinite": [[[float("inf"), 1.0]]],
    "too-many-strokes": [[[1.0, 1.0]]] * (MAX_STROKES + 1),
    "too-many-points": [[[1.0, 1.0]] * (MAX_POINTS + 1)],
}


@pytest.mark.parametrize("value", NOT_STROKES.values(), ids=NOT_STROKES.keys())
def test_what_is_not_strokes_gets_a_clear_message(model_predict, value):
    with pytest.raises(BadStrokes, match=r"(?i)stroke|points"):
        read_drawing(value, model_predict)


def send_to_pad(url: str, value) -> str:
    """Send value as the pad's strokes the way the page does; the result panel's HTML."""
    with httpx.Client(timeout=30) as http:
        answer = send_strokes(http, url, value)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


@pytest.mark.parametrize("value", ["a 7", [[[1, 2, 3]]], [[[1.0, 1.0]]] * (MAX_STROKES + 1)],
                         ids=["text", "three-numbers", "too-many-strokes"])
def test_server_answers_garbage_strokes_calmly_and_goes_on(app_server, value, client,
                                                           seven_answer):
    shown = send_to_pad(app_server, value)
    assert "dp-empty" in shown and "Clear the pad" in shown, shown
    drawn = send_to_pad(app_server, as_sent([np.array([[200.0, 80.0], [200.0, 320.0]])]))
    assert "dp-sure" in drawn and 'data-best="1"' in drawn, drawn
    assert predict(client, SEVEN) == seven_answer
