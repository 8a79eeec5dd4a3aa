"""The view inside the network in a real Chromium: drawing lights every layer from the answer's
own pass, another stroke changes them, a tapped unit shows its weights and favourite digits,
arrow keys move between units, Clear empties the view, and a softmax-regression run shown with
Use for drawing has no hidden layer."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.harness.browser import (
    WAIT,
    clear_canvas,
    draw_strokes,
    one_strokes,
    probabilities,
    result_html,
    wait_for_prediction,
    zero_strokes,
)

pytestmark = pytest.mark.browser

VIEW = "#network"
TITLE = "Inside the network, as you draw"
SHIPPED_LAYERS = [784, 2048, 1024, 512, 10]
RUN_TIMEOUT = 180  # seconds for a short run to train and be scored on a busy 2-core machine


def open_view(page) -> None:
    page.get_by_text(TITLE).click()
    page.locator(f"{VIEW} .dp-net").wait_for(state="visible", timeout=WAIT * 1000)


def draw(page, strokes) -> int:
    before = result_html(page)
    draw_strokes(page, strokes)
    return wait_for_prediction(page, before)


def layer_sizes(page) -> list[int]:
    """The units the view shows in each layer, from its canvases and output boxes."""
    return page.locator(f"{VIEW} .dp-net-layer").evaluate_all(
        "figures => figures.map(f => f.querySelector('canvas') ? "
        "(f.querySelector('canvas').width * f.querySelector('canvas').height / 64) : "
        "f.querySelectorAll('.dp-net-out').length)")


def wait_for_layers(page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('{VIEW} .dp-net-layer').length === {count}",
        timeout=WAIT * 1000)


def pictures(page) -> list[str]:
    """What each hidden layer's canvas shows, as PNG data."""
    return page.locator(f"{VIEW} .dp-net-layer canvas").evaluate_all(
        "canvases => canvases.slice(1).map(c => c.toDataURL())")


def view_outputs(page) -> dict[int, float]:
    outputs = page.locator(f"{VIEW} .dp-net-out").evaluate_all(
        "boxes => boxes.map(b => [b.dataset.unit, b.dataset.p, b.dataset.q])")
    return {int(digit): (float(p), int(q)) for digit, p, q in outputs}


def test_drawing_lights_every_layer_and_its_outputs_are_the_bars(page):
    open_view(page)
    assert page.locator(f"{VIEW} .dp-net-empty").is_visible()
    assert draw(page, zero_strokes()) == 0
    wait_for_layers(page, len(SHIPPED_LAYERS))
    assert layer_sizes(page) == SHIPPED_LAYERS
    captions = page.locator(f"{VIEW} .dp-net-layer figcaption").all_inner_texts()
    assert "2048 units" in captions[1] and "512 units" in captions[3]
    bars, outputs = probabilities(page), view_outputs(page)
    assert {d: p for d, (p, _) in outputs.items()} == bars  # the same numbers, not near ones
    for p, q in outputs.values():
        assert abs(q / 255 - p) <= 1 / 255  # and its brightness is that probability
    winner = page.locator(f"{VIEW} .dp-net-out.dp-net-winner")
    assert winner.get_attribute("data-unit") == "0"
    assert page.locator(f"{VIEW} .dp-net-paths line").count() >= 10  # the strongest paths


def test_another_stroke_changes_the_layers(page):
    open_view(page)
    assert draw(page, one_strokes()) == 1
    wait_for_layers(page, len(SHIPPED_LAYERS))
    one = pictures(page)
    assert draw(page, [np.array([[110.0, 80.0], [150.0, 80.0], [200.0, 80.0]])]) == 7
    page.wait_for_function(
        f"() => document.querySelector('{VIEW} .dp-net-out.dp-net-winner')?.dataset.unit"
        " === '7'", timeout=WAIT * 1000)
    two = pictures(page)
    assert len(two) == len(one) == 3
    assert all(a != b for a, b in zip(one, two, strict=True))


def test_tapping_a_unit_shows_its_weights_and_top_digits(page):
    open_view(page)
    draw(page, zero_strokes())
    wait_for_layers(page, len(SHIPPED_LAYERS))
    first = page.locator(f"{VIEW} .dp-net-layer canvas").nth(1)
    box = first.bounding_box()
    first.click(position={"x": box["width"] * 32.5 / 64, "y": box["height"] * 16.5 / 32})
    unit = page.locator(f"{VIEW} .dp-unit[data-layer='1']")
    unit.wait_for(timeout=WAIT * 1000)
    assert page.locator(f"{VIEW} .dp-unit-weights img").count() == 1
    assert page.locator(f"{VIEW} .dp-unit-digits img").count() == 9
    assert "2048" in page.locator(f"{VIEW} .dp-unit-now").inner_text()  # its rank, or silent
    # the tapped unit: the middle of row 16 of 32, column 32 of 64
    assert unit.get_attribute("data-unit") == str(16 * 64 + 32)

    page.locator(f"{VIEW} .dp-net-layer canvas").nth(2).focus()  # arrow keys, second layer
    page.keyboard.press("ArrowRight")
    second = page.locator(f"{VIEW} .dp-unit[data-layer='2']")
    second.wait_for(timeout=WAIT * 1000)
    start = int(second.get_attribute("data-unit"))
    page.keyboard.press("ArrowRight" if start % 32 < 31 else "ArrowLeft")
    moved = start + (1 if start % 32 < 31 else -1)
    page.locator(f"{VIEW} .dp-unit[data-unit='{moved}']").wait_for(timeout=WAIT * 1000)
    assert page.locator(f"{VIEW} .dp-unit-weights img").count() == 0  # not over the pixels
    assert page.locator(f"{VIEW} .dp-unit-digits img").count() == 9


def test_clear_empties_the_view(page):
    open_view(page)
    draw(page, one_strokes())
    wait_for_layers(page, len(SHIPPED_LAYERS))
    clear_canvas(page)
    wait_for_layers(page, 0)
    assert page.locator(f"{VIEW} .dp-net-empty").is_visible()
    assert page.locator(f"{VIEW} .dp-unit").count() == 0


def test_a_unit_the_network_lacks_gets_a_plain_sentence(app_server):
    with httpx.Client(timeout=30) as client:
        for body in ({"layer": 9, "unit": 0}, {"layer": 1, "unit": 2048}, {"layer": "x"}):
            answer = client.post(app_server + "api/unit", json=body)
            assert answer.status_code == 400
            assert "Traceback" not in answer.text and answer.json()["error"].endswith(".")
        answer = client.post(app_server + "api/unit", json={"layer": 3, "unit": 511})
        assert answer.status_code == 200 and answer.json()["html"].count("<img") == 9


def test_a_softmax_regression_run_has_no_hidden_layer(page):
    open_view(page)
    draw(page, one_strokes())
    wait_for_layers(page, len(SHIPPED_LAYERS))
    page.get_by_role("tab", name="Train").click()
    page.get_by_label("softmax regression").check()
    iterations = page.locator("#iterations input[type=number]")
    iterations.fill("200")
    iterations.press("Enter")
    page.click("#train")
    page.wait_for_selector("#status .dp-scores", timeout=RUN_TIMEOUT * 1000)
    page.click("#use")
    page.get_by_role("tab", name="Draw", exact=True).click()
    wait_for_layers(page, 2)  # the pad's drawing read again by the run: input and outputs
    assert layer_sizes(page) == [784, 10]
    page.locator(f"{VIEW} .dp-net-out").nth(3).click()
    page.locator(f"{VIEW} .dp-unit[data-layer='1']").wait_for(timeout=WAIT * 1000)
    assert page.locator(f"{VIEW} .dp-unit-weights img").count() == 1  # a digit's template
    assert page.locator(f"{VIEW} .dp-unit-digits img").count() == 9
