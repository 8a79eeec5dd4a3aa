"""Every student, in a real Chromium: axe-core finds no serious or critical problem on any tab,
empty or in use; the keyboard reaches a digit without drawing; a screen reader hears each answer
once; reduced motion stops movement; on a phone the pad, the answer and the bars fit one screen
and a finger draws without scrolling the page."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from digitpad.classdata.__main__ import main as classdata_command
from tests.harness.browser import (
    RESULT,
    UPLOAD_ACCORDION,
    WAIT,
    draw_strokes,
    mark_input,
    one_strokes,
    open_app,
    result_html,
    wait_for_prediction,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
INSIDE_TIMEOUT = 180  # seconds for Look inside's first opening: it scores the model on MNIST
RUN_TIMEOUT = 600  # seconds for a short run to wait for its worker, train and be scored
TABS = ["Draw", "Train", "Look inside", "Class drawings"]
AXE = Axe()


def serious_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, with where."""
    found = AXE.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in found if v["impact"] in ("serious", "critical")]


def draw_one(page) -> int:
    before = result_html(page)
    draw_strokes(page, one_strokes())
    return wait_for_prediction(page, before)


def open_tab(page, name: str, ready: str, timeout: float = WAIT) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_selector(ready, timeout=timeout * 1000)
    page.wait_for_timeout(500)


def tab_to(page, test: str, presses: int = 60) -> None:
    """Press Tab until the focused element passes test (JS taking the element)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_draw_tab_empty_drawn_and_with_uploads_open_has_no_serious_problems(page):
    assert serious_problems(page) == []
    assert draw_one(page) == 1
    assert serious_problems(page) == []
    page.get_by_role("button", name=UPLOAD_ACCORDION).click()
    page.get_by_role("button", name="an example 7, on paper").wait_for(timeout=WAIT * 1000)
    assert serious_problems(page) == []


def test_look_inside_and_class_drawings_before_any_drawing_have_no_serious_problems(
        page, app_database, capsys):
    assert classdata_command(["--db", str(app_database), "clear", "--yes"]) == 0  # a new class
    assert "deleted" in capsys.readouterr().out
    open_tab(page, "Look inside", "#weights img", INSIDE_TIMEOUT)
    assert "draw a digit" in page.locator("#why-note").inner_text().lower()
    assert not page.locator("#why").is_visible()  # no maps yet, and no empty box
    assert serious_problems(page) == []
    open_tab(page, "Class drawings", "#class-gallery .dp-class-total")
    assert "No drawings yet" in page.locator("#class-gallery").inner_text()
    assert serious_problems(page) == []


def test_look_inside_and_class_drawings_in_use_have_no_serious_problems(page):
    assert draw_one(page) == 1
    page.click('#correct button[data-digit="1"]')
    page.wait_for_selector("#correct .dp-quiet", timeout=WAIT * 1000)
    open_tab(page, "Look inside", "#why img", INSIDE_TIMEOUT)
    assert serious_problems(page) == []
    open_tab(page, "Class drawings", "#class-gallery .dp-class-tiles img")
    assert serious_problems(page) == []


def test_train_tab_before_and_after_a_run_has_no_serious_problems(page):
    open_tab(page, "Train", "#train")
    assert serious_problems(page) == []
    assert page.locator("#stop").is_disabled()  # no run of yours yet
    page.locator("#network").get_by_label("softmax regression").check()
    box = page.locator("#iterations input[type=number]")
    box.fill("100")
    box.press("Enter")
    page.evaluate("""() => { window.stopOn = false; setInterval(() => {
      if (document.querySelector('#stop')?.disabled === false) window.stopOn = true; }, 50); }""")
    page.click("#train")
    page.wait_for_selector("#status .dp-scores", timeout=RUN_TIMEOUT * 1000)
    assert page.evaluate("() => window.stopOn")  # while the run waited or trained
    progress = page.locator("#progress .dp-progress-text").inner_text()
    assert progress.endswith("· done") and progress.count("left") == 0, progress
    assert page.locator("#stop").is_disabled()
    page.get_by_role("button", name="For programs").click()
    page.wait_for_selector("#model-id .dp-run-id", timeout=WAIT * 1000)
    assert "POST /api/predict?model=" in page.locator("#model-id").inner_text()
    page.get_by_role("button", name="Where the last run fails").click()
    page.locator("#run-mistakes img").nth(11).wait_for(timeout=WAIT * 1000)
    page.wait_for_timeout(500)
    assert serious_problems(page) == []


def test_the_runs_table_scrolls_inside_its_panel_with_the_run_name_pinned(page):
    open_tab(page, "Train", "#train")
    page.locator("#network").get_by_label("softmax regression").check()
    box = page.locator("#iterations input[type=number]")
    box.fill("100")
    box.press("Enter")
    page.click("#train")
    page.wait_for_selector("#runs .dp-runs th[scope=row]", timeout=RUN_TIMEOUT * 1000)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(300)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        region = page.get_by_role("region", name="Your runs")
        panel = page.locator("#runs").bounding_box()
        shown = region.bounding_box()
        assert shown["x"] >= panel["x"] - 1 and shown["x"] + shown["width"] <= (
            panel["x"] + panel["width"] + 1), (shown, panel)
    assert region.evaluate("r => r.scrollWidth > r.clientWidth")  # a phone: it scrolls
    name = page.locator("#runs th[scope=row]").first
    region.evaluate("r => { r.scrollLeft = 300; }")
    page.wait_for_timeout(200)
    assert region.evaluate("r => r.scrollLeft") >= 100
    pinned, shown = name.bounding_box(), region.bounding_box()
    assert shown["x"] - 1 <= pinned["x"] <= shown["x"] + 20, (pinned, shown)  # still in view
    assert name.inner_text() == "run 1"


def test_the_pad_says_how_to_draw_and_shows_a_focus_ring(page):
    pad = page.get_by_role("img", name="Drawing pad")
    assert pad.count() == 1
    described = pad.get_attribute("aria-describedby")
    assert "Draw one digit" in page.locator(f"#{described}").inner_text()
    outline = "() => getComputedStyle(document.querySelector('#pad .dp-pad')).outlineStyle"
    assert page.evaluate(outline) == "none"
    tab_to(page, "e => e.matches('#pad canvas')")
    assert page.evaluate(outline) == "solid"


def test_each_new_answer_is_announced_once_politely(page):
    region = page.locator("#dp-say")
    assert region.get_attribute("aria-live") == "polite"
    page.evaluate("""() => { const say = document.getElementById('dp-say'); window.said = [];
      new MutationObserver(() => window.said.push(say.textContent))
        .observe(say, { childList: true, characterData: true, subtree: true }); }""")
    assert draw_one(page) == 1
    said = page.evaluate("() => window.said")
    assert len(said) == 1 and re.fullmatch(r"Read as 1, \d+ percent sure\.", said[0]), said
    assert page.locator("#result [aria-live]").count() == 0  # not the bars, not per bar


def test_keyboard_alone_reads_an_example_and_lands_on_its_answer(page):
    tab_to(page, f"e => e.matches('#upload-section button') && "
                 f"e.textContent.includes('{UPLOAD_ACCORDION}')")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="an example 7, on paper").wait_for(timeout=WAIT * 1000)
    before = result_html(page)
    tab_to(page, "e => e.getAttribute('aria-label') === 'an example 7, on paper'")
    mark_input(page)
    page.keyboard.press("Enter")
    assert wait_for_prediction(page, before) == 7
    page.wait_for_function("() => document.activeElement.matches('#result .dp-result')",
                           timeout=WAIT * 1000)
    assert page.locator("#dp-say").inner_text().startswith("Read as 7")


def motion_seconds(page) -> float:
    """The longest transition or animation on the answer, the progress bar and the curves."""
    return page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '#result *, #progress *, #loss-plot *, #accuracy-plot *')].flatMap((e) => {
          const style = getComputedStyle(e);
          return [style.transitionDuration, style.animationDuration]
            .flatMap((d) => d.split(',')).map((d) => parseFloat(d) * (d.includes('ms') ? 1e-3 : 1));
        }))""")


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_with_reduced_motion_nothing_animates(browser, app_server, motion):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion=motion)
    try:
        page = open_app(context.new_page(), app_server)
        assert draw_one(page) == 1
        page.get_by_role("tab", name="Train", exact=True).click()
        page.wait_for_selector("#progress .dp-progress-fill", state="attached",
                               timeout=WAIT * 1000)
        if motion == "reduce":
            assert motion_seconds(page) <= 0.001
        else:
            assert motion_seconds(page) >= 0.1  # the progress bar glides when motion is fine
    finally:
        context.close()


@pytest.fixture
def phone(browser, app_server):
    context = browser.new_context(**PHONE)
    try:
        yield open_app(context.new_page(), app_server)
    finally:
        context.close()


def test_on_a_phone_a_finger_draws_and_the_answer_fits_one_screen(phone):
    height = PHONE["viewport"]["height"]
    for name in TABS:  # none folded away behind a menu
        assert phone.get_by_role("tab", name=name, exact=True).is_visible(), name
    before = result_html(phone)
    draw_strokes(phone, one_strokes(), pointer="touch")
    assert wait_for_prediction(phone, before) == 1
    assert phone.evaluate("() => window.scrollY") == 0  # the stroke did not scroll the page
    boxes = [phone.locator(sel).bounding_box() for sel in
             ("#pad canvas", "#active", f"{RESULT} .dp-verdict", f"{RESULT} .dp-bars")]
    assert all(0 <= b["y"] and b["y"] + b["height"] <= height for b in boxes), boxes
    fixes = phone.locator("#correct .dp-fixes").bounding_box()
    assert fixes["y"] + fixes["height"] <= 1.5 * height  # one short scroll away
