"""Two copies of the app behind nginx, started by deploy/run_copies.py as a teacher would: new
visitors spread over both copies and each stays on its own by its cookie; in a real Chromium, a
session trains a model through nginx and draws with it while a second person keeps the shipped
model."""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import httpx
import pytest

from deploy.processes import AppDidNotStart, free_port
from deploy.run_copies import NGINX, Copies, running_copies
from digitpad.classdata import session_id
from digitpad.classset import is_held_out
from tests.harness.browser import (
    VIEWPORT,
    WAIT,
    draw_strokes,
    one_strokes,
    open_app,
    probabilities,
    result_html,
    wait_for_prediction,
)
from tests.harness.server import gallery_counts

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 180  # seconds for a 100-iteration run to train and be scored on a busy machine
LOG_WAIT = 30  # seconds for nginx to log a request it has answered (it logs after the response)
VISITORS = 20  # new visitors at most until both copies have had one: each lands on either


@pytest.fixture(scope="module")
def copies(postgres):
    """Two copies and nginx in front, sharing one PostgreSQL store of the class's drawings; a
    missing nginx fails the run under CI, and skips elsewhere."""
    if not NGINX.is_file():
        message = f"{NGINX} not found: install Debian's nginx to run the copies' tests"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        app_args = ("--db", postgres.new_database(), "--train-workers", "1")  # a core each
        with running_copies(2, free_port(), app_args) as running:
            yield running
    except AppDidNotStart as e:
        pytest.fail(str(e), pytrace=False)


def served_by(copies: Copies, cookie: str, requests: int) -> Counter:
    """How many of the visitor's requests each copy served, from nginx's log, once all of them
    are logged: nginx writes a line after its response has gone out."""
    deadline = time.monotonic() + LOG_WAIT
    while True:
        lines = copies.access_log.read_text().splitlines()
        where = Counter(re.search(r" upstream=(\S+)", line)[1] for line in lines
                        if f" copy={cookie} " in line)
        if sum(where.values()) >= requests or time.monotonic() > deadline:
            return where
        time.sleep(0.05)


def copy_address(url: str) -> str:
    return url.removeprefix("http://").rstrip("/")


def test_new_visitors_spread_over_both_copies_and_each_stays_on_its_own(copies):
    seen = set()
    for _ in range(VISITORS):
        with httpx.Client(base_url=copies.url, timeout=30) as visitor:
            visitor.get("/").raise_for_status()
            cookie = visitor.cookies["digitpad_copy"]
            for path in ("config", "gradio_api/info", "/"):
                again = visitor.get(path)
                again.raise_for_status()
                assert "set-cookie" not in again.headers  # the cookie is set once
        where = served_by(copies, cookie, requests=4)
        assert len(where) == 1 and sum(where.values()) == 4, where
        seen |= set(where)
        if len(seen) == 2:
            break
    assert seen == {copy_address(url) for url in copies.copy_urls}


def train_softmax_regression(page, iterations: int) -> None:
    """Train a run of softmax regression on the Train tab and wait for its scores."""
    page.get_by_role("tab", name="Train").click()
    page.wait_for_selector("#train", timeout=WAIT * 1000)
    page.locator("#network").get_by_label("softmax regression").check()
    box = page.locator("#iterations input[type=number]")
    box.fill(str(iterations))
    box.press("Enter")
    page.click("#train")
    page.wait_for_selector("#status .dp-scores", timeout=RUN_TIMEOUT * 1000)


def draw_a_one(page) -> dict[int, float]:
    before = result_html(page)
    draw_strokes(page, one_strokes())
    assert wait_for_prediction(page, before) in range(10)
    return probabilities(page)


def copy_cookie(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "digitpad_copy")


def test_a_session_trains_and_draws_with_its_model_another_keeps_the_shipped(browser, copies):
    trainer = open_app(browser.new_context(viewport=VIEWPORT).new_page(), copies.url)
    other = open_app(browser.new_context(viewport=VIEWPORT).new_page(), copies.url)
    try:
        train_softmax_regression(trainer, 100)
        trainer.click("#use")
        trainer.get_by_role("tab", name="Draw", exact=True).click()
        trainer.wait_for_function(
            "() => document.querySelector('#active').innerText.includes('Reading with your run 1')",
            timeout=WAIT * 1000)
        own = draw_a_one(trainer)
        assert "shipped model" in other.locator("#active").inner_text()
        shipped = draw_a_one(other)
        assert max(shipped, key=shipped.get) == 1, shipped
        assert max(abs(own[d] - shipped[d]) for d in range(10)) > 1e-3, (own, shipped)
        for page in (trainer, other):
            where = served_by(copies, copy_cookie(page), requests=6)
            assert len(where) == 1 and sum(where.values()) > 5, where
    finally:
        trainer.context.close()
        other.context.close()


def test_a_drawing_saved_through_one_copy_is_in_the_others_gallery_and_runs(browser, copies):
    first, second = copies.copy_urls
    people = [f"student-{i}" for i in range(10)]
    held = [is_held_out(session_id("api:" + person)) for person in people]
    assert any(held) and not all(held)
    for i, person in enumerate(people):
        saved = httpx.post(first + "api/correct", timeout=30, json={
            "strokes": [[[200.0 + 5 * i, 80.0], [200.0 + 5 * i, 320.0]]], "label": 1,
            "session": person})
        assert saved.status_code == 200, saved.text
    assert gallery_counts(second)[1] == len(people)

    page = open_app(browser.new_context(viewport=VIEWPORT).new_page(), second)
    try:
        page.get_by_role("tab", name="Train").click()
        box = page.locator("#with-class")
        box.get_by_text(f"Include the class's drawings ({len(people)})").wait_for(
            timeout=WAIT * 1000)
        box.locator("input[type=checkbox]").check()
        train_softmax_regression(page, 100)
        report = page.locator("#status .dp-scores").inner_text()
        assert f"{held.count(True)} held out; trained with the rest" in report, report
    finally:
        page.context.close()
