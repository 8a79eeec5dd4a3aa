"""Every language in a real Chromium: each tab, after a drawing and a correction, shows none of
the catalogue's English sentences; Arabic lays the page out right to left, but not the pad or the
bars; the language menu (?lang=) overrides the browser's, for the app's own words and for
Gradio's (its gr.I18n labels and built-in text). One app server for all languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio
import pytest
from playwright.sync_api import expect

from digitpad.i18n import CATALOGUES, ENGLISH, LANGUAGES
from tests.harness.browser import (
    RESULT,
    VIEWPORT,
    WAIT,
    draw_strokes,
    one_strokes,
    open_app,
    result_html,
    wait_for_prediction,
)
from tests.harness.server import START_TIMEOUT

pytestmark = pytest.mark.browser

BROWSER_LOCALES = {"es": "es-ES", "fr": "fr-FR", "de": "de-DE", "pt": "pt-BR", "zh-CN": "zh-CN",
                   "ar": "ar"}  # as a browser sends them: the app picks the language itself
TABS = {"tab.train": "#progress .dp-progress", "tab.inside": "#why img",
        "tab.class": ".dp-class-total"}  # each tab, and what shows once it has answered
GRADIO_ASSETS = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
SHOWN = ("document.body.innerText + '\\n' + [...document.querySelectorAll("
         "'#pad [aria-label], #correct [aria-label], #examples [aria-label]')]"
         ".map((e) => e.getAttribute('aria-label')).join('\\n')")


def catalogue_pieces(source: str, lang: str) -> list[re.Pattern]:
    """What would betray a sentence left in source: each of source's sentences said otherwise in
    lang, whole if it has no placeholders, else its runs of two words or more between them."""
    pieces = set()
    for key, text in CATALOGUES[source].items():
        if text in CATALOGUES[lang][key]:
            continue  # the same word in both (Dropout, NaN, "الإسقاط (Dropout)")
        literal = [part.strip() for part in re.split(r"\{[^}]*\}", text)]
        if len(literal) == 1 and re.search(r"[A-Za-z]{3}", literal[0]):
            pieces.add(literal[0])
        pieces.update(part for part in literal
                      if len(part.split()) >= 2 and len(part) >= 8 and len(literal) > 1)
    return [re.compile(rf"(?<![\w-]){re.escape(piece)}(?![\w-])") for piece in pieces]


def untranslated(page, lang: str, source: str = ENGLISH) -> list[str]:
    """The sentences of source's catalogue the page shows, where lang says them otherwise."""
    shown = page.evaluate(SHOWN)
    return sorted({found.group() for pattern in catalogue_pieces(source, lang)
                   for found in [pattern.search(shown)] if found})


def gradio_says(lang: str, key: str) -> str:
    """One of Gradio's built-in sentences (its key, as drop_image) in lang, from Gradio's own
    translations in its page's scripts."""
    for chunk in sorted(GRADIO_ASSETS.glob(f"{lang}-*.js")):
        found = re.search(rf"\b{key}:`([^`]*)`", chunk.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    raise LookupError(f"Gradio says no {key} in {lang}")


@contextmanager
def opened(browser, url: str, locale: str) -> Iterator:
    """The app open in a fresh browser context that speaks locale; the context closed after."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    try:
        yield open_app(context.new_page(), url)
    finally:
        context.close()


def open_upload(page) -> None:
    """Open the Draw tab's upload section: the image input, with Gradio's own drop text."""
    page.click("#upload-section > button")
    page.wait_for_selector("#upload", timeout=WAIT * 1000)


def open_tab(page, lang: str, key: str) -> None:
    page.get_by_role("tab", name=CATALOGUES[lang][key], exact=True).click()
    page.wait_for_selector(TABS[key], timeout=START_TIMEOUT * 1000)
    page.wait_for_timeout(500)


def draw_and_correct(page) -> None:
    """A drawing read, its network view open, and the correction saved."""
    before = result_html(page)
    draw_strokes(page, one_strokes())
    wait_for_prediction(page, before)
    page.click("#network-fold > button")
    page.wait_for_selector("#network .dp-net-layer", timeout=WAIT * 1000)
    page.click('#correct button[data-digit="1"]')
    page.wait_for_selector("#correct .dp-quiet", timeout=WAIT * 1000)


@pytest.mark.parametrize("lang", list(BROWSER_LOCALES))
def test_every_tab_speaks_the_browsers_language(browser, app_server, lang):
    with opened(browser, app_server, BROWSER_LOCALES[lang]) as page:
        assert page.evaluate("document.documentElement.lang") == lang
        draw_and_correct(page)
        assert page.get_by_text(CATALOGUES[lang]["net.title"]).count()
        left = {"draw": untranslated(page, lang)}
        for key in TABS:
            open_tab(page, lang, key)
            left[key] = untranslated(page, lang)
        assert not any(left.values()), f"English left in {lang}: {left}"


def test_arabic_is_right_to_left_but_the_pad_and_bars_are_not(browser, app_server):
    with opened(browser, app_server, "ar") as page:
        before = result_html(page)
        draw_strokes(page, one_strokes())
        wait_for_prediction(page, before)
        assert page.evaluate("document.documentElement.dir") == "rtl"
        direction = "(s) => getComputedStyle(document.querySelector(s)).direction"
        assert page.evaluate(direction, "#result .dp-verdict") == "rtl"
        assert page.evaluate(direction, ".dp-pad") == "ltr"
        assert page.evaluate(direction, f"{RESULT} .dp-bars") == "ltr"
        lefts = page.locator(f"{RESULT} .dp-bar").evaluate_all(
            "bars => bars.map((b) => [Number(b.dataset.digit), b.getBoundingClientRect().x])")
        assert [digit for digit, _ in sorted(lefts, key=lambda bar: bar[1])] == list(range(10))
        pad, answer = (page.locator(s).bounding_box() for s in ("#pad", "#result"))
        assert pad["x"] > answer["x"]  # the page is mirrored: the pad on the right


def test_the_language_menu_overrides_the_browser(browser, app_server):
    with opened(browser, app_server, "en-US") as page:
        assert page.evaluate("document.documentElement.lang") == ENGLISH
        with page.expect_navigation():
            page.select_option("#language select", "fr")
        open_app(page, page.url)
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") \
            == ["fr", "ltr"]
        before = result_html(page)
        draw_strokes(page, one_strokes())
        wait_for_prediction(page, before)
        assert page.locator(f"{RESULT} .dp-verdict").inner_text().startswith("C'est un 1")
        page.click('#correct button[data-digit="1"]')  # an event of Gradio's, not the pad's
        page.wait_for_selector("#correct .dp-quiet", timeout=WAIT * 1000)
        assert "Enregistré comme 1" in page.locator("#correct").inner_text()
        assert set(LANGUAGES) == set(page.locator("#language option").evaluate_all(
            "options => options.map((o) => o.value)"))


def test_the_language_menu_switches_gradios_words_too(browser, app_server):
    with opened(browser, app_server, "de-DE") as page:
        with page.expect_navigation():
            page.select_option("#language select", "es")
        open_app(page, page.url)
        open_upload(page)
        spanish = CATALOGUES["es"]
        expect(page.get_by_role("tab", name=spanish["tab.train"], exact=True)).to_be_visible()
        expect(page.locator("#upload")).to_contain_text(spanish["draw.photo"])
        expect(page.locator("#upload")).to_contain_text(gradio_says("es", "drop_image"))
        assert gradio_says("de", "drop_image") not in page.evaluate(SHOWN)
        left = untranslated(page, "es", "de")
        assert not left, f"German left beside Spanish: {left}"


def test_arabic_from_the_address_in_an_english_browser(browser, app_server):
    with opened(browser, app_server + "?lang=ar", "en-US") as page:
        open_upload(page)
        arabic = CATALOGUES["ar"]
        expect(page.get_by_role("tab", name=arabic["tab.train"], exact=True)).to_be_visible()
        expect(page.locator("#upload")).to_contain_text(arabic["draw.photo"])
        expect(page.locator("#upload")).to_contain_text(gradio_says("ar", "drop_image"))
        assert page.evaluate("document.documentElement.dir") == "rtl"
        left = untranslated(page, "ar")
        assert not left, f"English left beside Arabic: {left}"
