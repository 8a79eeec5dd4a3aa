"""The Draw tab in a real Chromium: mouse, touch and pen strokes on the drawing pad, the answer,
undo, clear, uploads, and real pen trajectories read the same in the browser as offline."""

from __future__ import annotations

import json
import re
import time

import httpx
import numpy as np
import pytest

from digitpad.evaluate import main as evaluate
from digitpad.model import load_model, make_predictor
from digitpad.reading import read_drawing
from digitpad.strokes import fit_to_canvas, load_strokes, render
from tests.harness.browser import (
    RESULT,
    VIEWPORT,
    WAIT,
    clear_canvas,
    draw_strokes,
    is_empty,
    last_strokes,
    mark_input,
    one_strokes,
    pad_pixels,
    probabilities,
    result_html,
    traffic,
    undo,
    upload_image,
    wait_for_prediction,
    zero_strokes,
)
from tests.harness.server import MODEL, REPO

pytestmark = pytest.mark.browser

PENDIGITS = REPO / "data" / "pendigits-dev.json.gz"
OPENINGS = 3  # page loads, each a newcomer of its own
LOAD_ANSWERED = 10  # seconds for a page's load event to be answered on a busy machine
PER_DIGIT = 1  # the first record of each digit in the file, replayed point by point
MIN_CORRECT = 9


def seven_bar() -> list[np.ndarray]:
    """The top bar that, added to one_strokes' vertical, makes a 7."""
    return [np.array([[110.0, 80.0], [150.0, 80.0], [200.0, 80.0]])]


def ink(rgb_or_rgba: np.ndarray) -> np.ndarray:
    """Where a white canvas has dark ink."""
    return rgb_or_rgba[..., :3].mean(axis=-1) < 128


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def draw_and_read(page, strokes) -> int:
    before = result_html(page)
    draw_strokes(page, strokes)
    return wait_for_prediction(page, before)


def assert_ten_bars_summing_to_one(page) -> None:
    p = probabilities(page)
    assert sorted(p) == list(range(10))
    assert sum(p.values()) == pytest.approx(1.0, abs=2e-3)
    assert page.locator(f"{RESULT} .dp-winner").count() == 1


def test_opens_with_an_empty_pad_and_a_calm_empty_state(page):
    assert page.locator("#pad .dp-hint").is_visible()
    assert not ink(pad_pixels(page)).any()
    assert is_empty(page)
    assert page.locator(f"{RESULT} .dp-digit").inner_text() == "?"
    assert page.locator(f"{RESULT} .dp-verdict").inner_text() == "Draw a digit"
    assert page.locator(f"{RESULT} .dp-bar").count() == 10
    assert page.locator(f"{RESULT} .dp-winner").count() == 0
    assert page.locator("#seen img").count() == 0


def test_the_page_has_one_load_event_and_each_load_is_answered(browser, app_server):
    """With three load events Gradio's page sometimes missed one's answer, its outputs never
    shown and its queue stream left open: one load event, and every load's requests end."""
    config = httpx.get(app_server + "config", timeout=30).json()
    loads = [d["api_name"] for d in config["dependencies"]
             if any(trigger == "load" for _, trigger in d["targets"])]
    assert loads == ["open_session"]
    for _ in range(OPENINGS):
        context = browser.new_context(viewport=VIEWPORT)  # nothing cached, as a newcomer's
        try:
            page = context.new_page()
            flow = traffic(page)
            with page.expect_request(lambda r: "/gradio_api/queue/data" in r.url,
                                     timeout=WAIT * 1000):
                page.goto(app_server)
            deadline = time.monotonic() + LOAD_ANSWERED
            while flow.pending and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            assert not flow.pending, sorted(set(flow.pending.values()))
        finally:
            context.close()


@pytest.mark.parametrize("digit, strokes", [(1, one_strokes), (0, zero_strokes)],
                         ids=["one-vertical-stroke", "zero-ellipse"])
def test_drawn_digit_is_read_with_ten_bars_and_what_the_network_sees(page, digit, strokes):
    assert draw_and_read(page, strokes()) == digit
    assert_ten_bars_summing_to_one(page)
    assert page.locator(f'{RESULT} .dp-bar[data-digit="{digit}"]').get_attribute(
        "class").split() == ["dp-bar", "dp-winner"]
    assert not is_empty(page)
    seen = page.locator("#seen img")
    seen.wait_for(state="visible", timeout=15_000)
    width, height, shown, rendering = seen.evaluate(
        "img => [img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width, "
        "getComputedStyle(img).imageRendering]")
    assert (width, height) == (28, 28)  # the network's own input ...
    assert shown >= 5 * 28 and rendering == "pixelated"  # ... enlarged with square pixels


def test_pad_sends_the_strokes_drawn_and_shows_what_render_draws(page):
    """The app gets the mouse's path in canvas pixels, and the pad shows the ink that
    digitpad.strokes.render (the offline evaluator's drawing) puts there."""
    strokes = one_strokes() + seven_bar()
    assert draw_and_read(page, strokes) == 7
    assert page.locator("#pad .dp-hint").is_hidden()
    sent = last_strokes(page)
    assert len(sent) == len(strokes)
    for got, drawn in zip(sent, strokes, strict=True):
        assert np.abs(np.array(got)[[0, -1]] - drawn[[0, -1]]).max() <= 0.5
    browser_ink = ink(pad_pixels(page))
    offline_ink = ink(render(strokes))
    assert browser_ink.shape == offline_ink.shape

    def box(mask):
        ys, xs = np.nonzero(mask)
        return np.array([xs.min(), xs.max(), ys.min(), ys.max()])

    assert np.abs(box(browser_ink) - box(offline_ink)).max() <= 1, (
        f"ink box browser {box(browser_ink)} vs offline {box(offline_ink)} "
        "(x0, x1, y0, y1 in canvas pixels)")
    assert overlap(browser_ink, offline_ink) >= 0.97


@pytest.mark.parametrize("pointer", ["touch", "pen"])
def test_one_drawn_with_a_finger_or_a_pen_is_read(touch_page, pointer):
    """The canvas draws for touch events and for a stylus's pointer events, not only a mouse."""
    before = result_html(touch_page)
    draw_strokes(touch_page, one_strokes(), pointer=pointer)
    assert wait_for_prediction(touch_page, before) == 1
    assert_ten_bars_summing_to_one(touch_page)


def test_clear_returns_the_empty_state(page):
    assert draw_and_read(page, one_strokes()) == 1
    clear_canvas(page)
    assert is_empty(page)
    assert not ink(pad_pixels(page)).any()
    assert page.locator("#pad .dp-hint").is_visible()
    assert page.locator(f"{RESULT} .dp-digit").inner_text() == "?"
    assert "draw a digit" in page.locator(f"{RESULT} .dp-verdict").inner_text().lower()
    assert page.locator(f"{RESULT} .dp-winner").count() == 0
    assert page.locator("#seen img").count() == 0


def test_draws_again_after_clear(page):
    """After "Clear" the next stroke draws and is read alone, as on a fresh page."""
    assert draw_and_read(page, one_strokes()) == 1
    clear_canvas(page)
    assert draw_and_read(page, zero_strokes()) == 0
    assert len(last_strokes(page)) == 1


@pytest.mark.parametrize("how", ["button", "keyboard"])
def test_undo_after_two_strokes_gives_back_the_one_stroke_answer(page, how):
    assert draw_and_read(page, one_strokes()) == 1
    one_stroke = result_html(page)
    assert draw_and_read(page, seven_bar()) == 7
    two_strokes = result_html(page)
    if how == "button":
        undo(page)
    else:
        mark_input(page)
        page.keyboard.press("Control+z")
    assert wait_for_prediction(page, two_strokes) == 1
    assert result_html(page) == one_stroke  # the same canvas, so the same probabilities


def test_uploaded_photo_is_read(page):
    before = result_html(page)
    upload_image(page, REPO / "assets" / "example-3-paper.png")
    assert wait_for_prediction(page, before) == 3
    assert_ten_bars_summing_to_one(page)


# -- real pen trajectories ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def pen_digits() -> list[dict]:
    """Pen-drawn digits, PER_DIGIT of each, fitted to the canvas."""
    if not PENDIGITS.is_file():
        pytest.fail(f"{PENDIGITS} not found", pytrace=False)
    records = load_strokes(PENDIGITS)
    chosen = [r for digit in range(10) for r in [r for r in records
                                                 if r["label"] == digit][:PER_DIGIT]]
    return [{**r, "strokes": [s.tolist() for s in fit_to_canvas(r["strokes"])]}
            for r in chosen]


@pytest.fixture(scope="module")
def offline_predict():
    return make_predictor(load_model(REPO / MODEL))


def test_pen_trajectories_read_in_browser_as_offline(page, pen_digits, offline_predict,
                                                     tmp_path, capsys):
    """Replay real pen strokes with the mouse; the browser reads them as the offline drawing
    (digitpad.strokes.render, digitpad.evaluate) does, and reads nearly all correctly."""
    rows, mismatches = [], []
    for i, record in enumerate(pen_digits):
        strokes = [np.array(s) for s in record["strokes"]]
        offline = read_drawing(record["strokes"], offline_predict).best
        if i:
            clear_canvas(page)
        read = draw_and_read(page, strokes)
        rows.append((record["label"], read, offline))
        if read != offline:
            sent = last_strokes(page)
            mismatches.append(
                f"label {record['label']} writer {record['writer']}: browser {read}, "
                f"offline {offline}, offline on the strokes the page sent "
                f"{read_drawing(sent, offline_predict).best}; ink pixels differing "
                f"{int((ink(render(sent)) != ink(render(strokes))).sum())}")
    labels, in_browser, offline = (np.array(column) for column in zip(*rows, strict=True))
    assert not mismatches, "browser and offline disagree:\n" + "\n".join(mismatches)
    correct = int((in_browser == labels).sum())
    assert correct >= MIN_CORRECT, f"browser read {correct} of {len(labels)}: {rows}"

    data = tmp_path / "pen_digits.json"
    data.write_text(json.dumps(pen_digits))
    capsys.readouterr()
    assert evaluate(["strokes", str(data), "--model", str(REPO / MODEL)]) == 0
    printed = capsys.readouterr()
    summary = re.search(r"^accuracy=([0-9.]+) n=(\d+)$", printed.out, re.MULTILINE)
    assert summary, printed
    assert int(summary[2]) == len(labels)
    assert summary[1] == f"{(offline == labels).mean():.4f}" == f"{correct / len(labels):.4f}"
