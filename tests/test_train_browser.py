"""The Train tab in a real Chromium: a short run streams its progress and curves, ends with
scores, and its model reads this session's drawings while other sessions keep the shipped one;
Stop keeps what was trained; a learning rate far too high stops itself with a plain message."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from digitpad.views.train import RUN_COLUMNS
from tests.harness.browser import (
    VIEWPORT,
    WAIT,
    clear_canvas,
    draw_strokes,
    mark_input,
    one_strokes,
    open_app,
    probabilities,
    result_html,
    upload_image,
    wait_for_prediction,
)
from tests.harness.server import REPO

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 180  # seconds for a short run to train and be scored on a busy 2-core machine


@pytest.fixture(scope="module")
def app_server(busy_app):
    """This file's tests train and watch who waits: the busy app."""
    return busy_app


def open_train_tab(page) -> None:
    page.get_by_role("tab", name="Train").click()
    page.wait_for_selector("#train", timeout=WAIT * 1000)


def set_number(page, elem_id: str, value: float) -> None:
    """Type a value into a slider's number box, as a person does for an exact value."""
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def progress_done(page) -> int:
    return int(page.locator("#progress .dp-progress").get_attribute("data-done"))


def curve_points(page, plot: str) -> int:
    """How many points the chart's lines hold."""
    return page.locator(f"#{plot} polyline").evaluate_all(
        "lines => lines.reduce((n, l) => n + l.points.numberOfItems, 0)")


def wait_for_scores(page) -> str:
    page.wait_for_selector("#status .dp-scores", timeout=RUN_TIMEOUT * 1000)
    return page.locator("#status").inner_text()


def percent(text: str, name: str) -> float:
    return float(re.search(rf"{name}\s+([0-9.]+)%", text)[1]) / 100


def test_short_run_streams_then_its_model_reads_this_sessions_drawings(page, browser,
                                                                         app_server):
    start_run(page, 200)
    seen = []  # (iterations done, loss points, accuracy points) while the run is going
    deadline = time.monotonic() + RUN_TIMEOUT
    while not page.locator("#status .dp-scores").count() and time.monotonic() < deadline:
        seen.append((progress_done(page), curve_points(page, "loss-plot"),
                     curve_points(page, "accuracy-plot")))
        page.wait_for_timeout(100)
    during = [s for s in seen if 0 < s[0] < 200]
    assert during, f"no progress shown before the end: {seen[-5:]}"
    assert any(loss > 0 and accuracy > 0 for _, loss, accuracy in during), during
    report = wait_for_scores(page)
    assert progress_done(page) == 200
    assert 0.5 < percent(report, "test accuracy") <= 1.0, report
    assert curve_points(page, "loss-plot") >= 2
    # the runs table follows the scores once the click's runs are over
    page.wait_for_function("() => document.querySelector('#runs').innerText"
                           ".split('512-256-128').length == 2", timeout=WAIT * 1000)
    page.get_by_text("Where the last run fails").click()
    page.wait_for_selector("#run-confusion table", timeout=WAIT * 1000)
    confusion = page.locator("#run-confusion tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.querySelectorAll('td')].map(c => +c.innerText))")
    assert sum(map(sum, confusion)) == 10_000
    correct = sum(row[i] for i, row in enumerate(confusion))
    assert abs(correct / 10_000 - percent(report, "test accuracy")) < 1e-4
    page.locator("#run-mistakes img").nth(11).wait_for(state="attached", timeout=WAIT * 1000)

    page.click("#use")
    page.get_by_role("tab", name="Draw", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#active').innerText.includes('run 1')",
        timeout=WAIT * 1000)
    before = result_html(page)
    draw_strokes(page, one_strokes())
    wait_for_prediction(page, before)
    own = probabilities(page)

    other = open_app(browser.new_context(viewport=VIEWPORT).new_page(), app_server)
    try:
        assert "shipped model" in other.locator("#active").inner_text()
        assert not other.locator("#shipped").is_visible()
        before = result_html(other)
        draw_strokes(other, one_strokes())
        assert wait_for_prediction(other, before) == 1
        shipped = probabilities(other)
    finally:
        other.context.close()
    assert max(abs(own[d] - shipped[d]) for d in range(10)) > 1e-3, (own, shipped)

    page.click("#shipped")
    page.wait_for_function(
        "() => document.querySelector('#active').innerText.includes('shipped model')",
        timeout=WAIT * 1000)
    page.locator("#shipped").wait_for(state="hidden", timeout=WAIT * 1000)
    clear_canvas(page)
    before = result_html(page)
    draw_strokes(page, one_strokes())
    wait_for_prediction(page, before)
    assert probabilities(page) == pytest.approx(shipped, abs=1e-4)

    # with the pad empty, the upload shown is read again by each model chosen
    clear_canvas(page)
    before = result_html(page)
    upload_image(page, REPO / "assets" / "example-3-paper.png")
    wait_for_prediction(page, before)
    shipped = probabilities(page)
    readings = []  # by run 1, then by the shipped model again
    for button, tab in (("#use", "Train"), ("#shipped", "Draw")):
        page.get_by_role("tab", name=tab, exact=True).click()
        before = result_html(page)
        mark_input(page)
        page.click(button)
        page.get_by_role("tab", name="Draw", exact=True).click()
        wait_for_prediction(page, before)
        readings.append(probabilities(page))
    assert readings[0] != pytest.approx(shipped, abs=1e-3)
    assert readings[1] == pytest.approx(shipped, abs=1e-4)


def start_run(page, iterations: int) -> None:
    """Press Train on the Train tab for a run of this many iterations."""
    open_train_tab(page)
    set_number(page, "iterations", iterations)
    page.click("#train")


def start_long_run(page) -> None:
    """Start a 20,000-iteration run and wait until it has made progress."""
    start_run(page, 20000)
    page.wait_for_function(
        "() => +document.querySelector('#progress .dp-progress').dataset.done > 0",
        timeout=RUN_TIMEOUT * 1000)


def test_stop_keeps_the_model_trained_so_far(page):
    start_long_run(page)
    page.click("#homework-dropout")  # refused: this session has a run training
    page.wait_for_selector("#status .dp-problem", timeout=WAIT * 1000)
    assert "already have a run training" in page.locator("#status").inner_text()
    page.wait_for_timeout(1000)
    assert page.locator("#stop").is_enabled()  # Stop still reaches the run that trains
    page.click("#stop")
    report = wait_for_scores(page)
    assert "stopped early" in report
    assert 0 < progress_done(page) < 20000
    page.wait_for_selector("#use:enabled", timeout=WAIT * 1000)


def test_learning_rate_far_too_high_stops_with_a_plain_message(page):
    open_train_tab(page)
    set_number(page, "rate", 0)  # 10^0 = 1.0
    set_number(page, "dropout", 0)
    page.click("#train")
    page.wait_for_selector("#status .dp-problem", timeout=RUN_TIMEOUT * 1000)
    message = page.locator("#status").inner_text()
    assert re.search(r"learning rate too high: the loss became (NaN|infinite|too large) at "
                     r"iteration \d+", message), message
    assert page.locator("#status .dp-scores").count() == 0


def session_folders(temp: Path) -> set[Path]:
    """The folders where the app's sessions keep their trained models for download."""
    return set(temp.glob("digitpad-session-*"))


def test_closing_the_tab_frees_the_sessions_models(browser, app_server, busy_temp):
    before = session_folders(busy_temp)
    context = browser.new_context(viewport=VIEWPORT)
    page = open_app(context.new_page(), app_server)
    start_run(page, 100)
    wait_for_scores(page)
    mine = session_folders(busy_temp) - before
    assert len(mine) == 1 and any(next(iter(mine)).glob("*.keras"))
    context.close()
    deadline = time.monotonic() + 60  # the server notices a closed tab within its heartbeat
    while next(iter(mine)).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not next(iter(mine)).exists(), "the closed session's models were kept"


def test_second_training_waits_behind_one_with_less_left_and_says_so(page, browser, app_server):
    """A worker trains the run with the least left first: a second run as long as the first
    waits behind it, and goes on once the first is stopped."""
    start_long_run(page)
    other = open_app(browser.new_context(viewport=VIEWPORT).new_page(), app_server)
    try:
        start_run(other, 20000)
        other.wait_for_function(
            "() => /waiting: 1 run ahead of yours/.test("
            "document.querySelector('#progress').innerText)", timeout=WAIT * 1000)
        page.wait_for_function(
            "() => /training · 1 other run on the server/.test("
            "document.querySelector('#progress').innerText)", timeout=WAIT * 1000)
        waited = progress_done(other)
        page.click("#stop")
        assert "stopped early" in wait_for_scores(page)
        other.wait_for_function(
            f"() => +document.querySelector('#progress .dp-progress').dataset.done > {waited}",
            timeout=RUN_TIMEOUT * 1000)
        other.click("#stop")
        assert "stopped early" in wait_for_scores(other)
    finally:
        other.context.close()


def test_pen_comparison_trains_mnist_only_then_with_pen_drawn_digits(page):
    open_train_tab(page)
    set_number(page, "iterations", 100)
    page.click("#homework-pen")
    page.wait_for_function("() => document.querySelector('#runs').innerText"
                           ".split('512-256-128').length == 3", timeout=2 * RUN_TIMEOUT * 1000)
    rows = page.locator("#runs tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.innerText.trim()))")
    column = RUN_COLUMNS.index("pen_digits")
    assert [row[column] for row in rows] == ["no", "yes"], rows
    assert "pen-drawn by 15 people no run here learns from" in page.locator("#status").inner_text()
