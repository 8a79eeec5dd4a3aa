"""The Look inside tab in a real Chromium: after a drawing, every picture is there and shows
something (screenshots checked for non-blank pixels), and the tables count what they should."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.harness.browser import (
    WAIT,
    draw_strokes,
    result_html,
    wait_for_prediction,
    zero_strokes,
)

pytestmark = pytest.mark.browser

LOOK_TIMEOUT = 120  # seconds: the first look scores the shipped model on 10,000 test digits


def pixels(locator) -> np.ndarray:
    """What the element shows on screen, as greys."""
    locator.scroll_into_view_if_needed()
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), np.float32)


def assert_pictures(page, gallery: str, count: int) -> None:
    images = page.locator(f"#{gallery} img")
    images.nth(count - 1).wait_for(state="attached", timeout=WAIT * 1000)
    assert images.count() == count
    for i in (0, count - 1):
        picture = images.nth(i)
        picture.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=picture.element_handle(), timeout=WAIT * 1000)
        assert pixels(picture).std() > 10, f"#{gallery} picture {i} is blank"


def confusion_counts(page, table: str) -> np.ndarray:
    rows = page.locator(f"#{table} tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.querySelectorAll('td')].map(c => +c.innerText))")
    return np.array(rows)


def test_every_picture_shows_for_a_drawing(page):
    before = result_html(page)
    draw_strokes(page, zero_strokes())
    assert wait_for_prediction(page, before) == 0
    page.get_by_role("tab", name="Look inside").click()
    page.wait_for_selector("#confusion table", timeout=LOOK_TIMEOUT * 1000)
    assert "shipped model" in page.locator("#using").inner_text()

    assert_pictures(page, "why", 10)
    assert page.locator("#why").inner_text().index("0:") < page.locator("#why").inner_text().index(
        "1:")  # the surest digit, the drawn 0, comes first
    weights = page.locator("#weights img")
    weights.wait_for(timeout=WAIT * 1000)
    assert pixels(weights).std() > 10

    mnist = confusion_counts(page, "confusion")
    assert mnist.shape == (10, 10) and mnist.sum() == 10_000
    assert np.trace(mnist) / 10_000 >= 0.99
    assert_pictures(page, "mistakes", 12)

    drawn = confusion_counts(page, "drawn-confusion")
    assert drawn.shape == (10, 10) and drawn.sum() == 1_000
    assert_pictures(page, "drawn-mistakes", 12)

    page.get_by_text("What it saw").click()
    assert_pictures(page, "samples", 24)
