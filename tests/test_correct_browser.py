"""Correcting the network in a real Chromium: draw, tap the digit it really was, see "Saved: thank
you", and find the drawing counted under its digit in Class drawings."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.harness.browser import (
    QUIET,
    WAIT,
    clear_canvas,
    draw_strokes,
    mark_input,
    one_strokes,
    result_html,
    traffic,
    upload_image,
    wait_for_prediction,
    zero_strokes,
)
from tests.harness.server import REPO

pytestmark = pytest.mark.browser

BUTTONS = "#correct button[data-digit]"


def seven_bar() -> list[np.ndarray]:
    """The top bar that, added to one_strokes' vertical, makes a 7."""
    return [np.array([[110.0, 80.0], [150.0, 80.0], [200.0, 80.0]])]


def draw_and_read(page, strokes) -> int:
    before = result_html(page)
    draw_strokes(page, strokes)
    return wait_for_prediction(page, before)


def open_tab(page, name: str) -> None:
    """Open a tab and wait until what opening it asked of the app has come back."""
    flow = traffic(page)
    mark_input(page)
    page.get_by_role("tab", name=name, exact=True).click()
    deadline = time.monotonic() + WAIT
    while flow.pending or time.monotonic() - flow.last < QUIET or (
            name == "Class drawings" and flow.events == flow.mark):
        assert time.monotonic() < deadline, f"{name} did not settle"
        page.wait_for_timeout(100)


def counted(page, digit: int) -> int:
    """The count under a digit on Class drawings, refreshed by opening the tab."""
    open_tab(page, "Class drawings")
    page.locator("#class-gallery .dp-class").wait_for(timeout=WAIT * 1000)
    section = page.locator(f'#class-gallery .dp-class-digit[data-digit="{digit}"]')
    count = int(section.get_attribute("data-count")) if section.count() else 0
    if not count:  # a digit nobody has drawn is named on one line, or there are none yet
        empty = page.locator("#class-gallery .dp-class-total").inner_text()
        assert (empty.startswith("No drawings yet")
                or str(digit) in page.locator("#class-gallery .dp-class-missing").inner_text())
    open_tab(page, "Draw")
    return count


def tap(page, digit: int) -> str:
    """Tap a digit under the answer; what the buttons then say."""
    page.click(f'{BUTTONS}[data-digit="{digit}"]')
    page.wait_for_function("() => !document.querySelector('#correct .dp-ask')"
                           ".innerText.startsWith('What did you draw')", timeout=WAIT * 1000)
    return page.locator("#correct .dp-ask").inner_text().strip()


def test_a_tap_saves_the_drawing_and_class_drawings_counts_it(page):
    ones_before = counted(page, 1)
    assert draw_and_read(page, one_strokes()) == 1
    assert page.locator(BUTTONS).count() == 10
    right = page.locator("#correct .dp-right")
    assert right.count() == 1 and right.get_attribute("data-digit") == "1"  # confirming: one tap
    assert tap(page, 1) == "Saved as 1 — undo"
    assert page.locator(f"{BUTTONS}:disabled").count() == 10  # quiet until the next drawing
    assert counted(page, 1) == ones_before + 1
    tiles = page.locator('#class-gallery .dp-class-digit[data-digit="1"] img')
    assert tiles.count() == ones_before + 1
    assert tiles.first.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [28, 28]


def test_the_next_drawing_wakes_the_buttons_and_a_wrong_answer_is_corrected(page):
    sevens_before = counted(page, 7)
    assert draw_and_read(page, zero_strokes()) == 0
    assert tap(page, 0) == "Saved as 0 — undo"
    clear_canvas(page)
    assert page.locator(BUTTONS).count() == 0  # an empty pad has nothing to correct
    assert draw_and_read(page, one_strokes()) == 1
    assert page.locator(f"{BUTTONS}:disabled").count() == 0
    assert tap(page, 7) == "Saved as 7 — undo"  # "that was a 7"
    assert counted(page, 7) == sevens_before + 1
    misread = page.locator('#class-gallery .dp-class-digit[data-digit="7"] img.dp-misread')
    assert misread.count() >= 1  # the model in use still reads it as 1


def test_no_buttons_without_a_drawing_or_for_an_upload(page):
    assert page.locator(BUTTONS).count() == 0
    before = result_html(page)
    upload_image(page, REPO / "assets" / "example-3-paper.png")
    assert wait_for_prediction(page, before) == 3
    assert page.locator(BUTTONS).count() == 0
    assert draw_and_read(page, one_strokes() + seven_bar()) == 7
    assert page.locator(BUTTONS).count() == 10
