"""Regenerate the README's screenshots: every tab on a laptop and on a phone, and the Draw tab
on a projector.

    python -m docs.screenshots [--only laptop,phone,projector] [--model model/digitpad.keras]
    python -m docs.screenshots --languages en,de,ar --only laptop,phone

Starts the app on a free port, keeping corrections in a temporary database, and drives Debian's
Chromium as the browser tests do. On each device: the Draw tab after a real pen-drawn digit (a 3
from the pendigits set; with a finger on the phone), Look inside for it, the Train tab after a
short run, and Class drawings (the laptop first draws two of each digit and taps what each is).
The view inside the network is opened on the drawing and shot alone, on each device
(docs/screenshot-network{,-phone,-projector}.png). Writes
docs/screenshot-{draw,inside,train,class}.png for the laptop,
docs/screenshot-phone{,-inside,-train,-class}.png for the phone, docs/screenshot-projector.png.
With --languages, the browser speaks each language in turn and every shot is written as
docs/screens/<language>-<tab>-<device>.png instead (the class's drawings corrected once).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from digitpad.data import SHIPPED_DRAWINGS
from digitpad.i18n import CATALOGUES, ENGLISH
from digitpad.strokes import fit_to_canvas, load_strokes
from tests.harness.browser import (
    VIEWPORT,
    WAIT,
    clear_canvas,
    draw_strokes,
    launch_chromium,
    open_app,
    result_html,
    wait_for_prediction,
)
from tests.harness.server import MODEL, REPO, running_app

DOCS = Path(__file__).resolve().parent

PENDIGITS = SHIPPED_DRAWINGS
DIGIT = 3
TRAIN_ITERATIONS = 300
TRAIN_TIMEOUT = 600  # seconds for the short run to train and be scored on a busy machine
DEVICES = {  # name: browser context options
    "laptop": {"viewport": VIEWPORT},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "projector": {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1},
}
SHOTS = {  # (device, tab): file name
    ("laptop", "draw"): "screenshot-draw.png", ("laptop", "inside"): "screenshot-inside.png",
    ("laptop", "train"): "screenshot-train.png", ("laptop", "class"): "screenshot-class.png",
    ("phone", "draw"): "screenshot-phone.png", ("phone", "inside"): "screenshot-phone-inside.png",
    ("phone", "train"): "screenshot-phone-train.png",
    ("phone", "class"): "screenshot-phone-class.png",
    ("projector", "draw"): "screenshot-projector.png",
    ("laptop", "network"): "screenshot-network.png",
    ("phone", "network"): "screenshot-network-phone.png",
    ("projector", "network"): "screenshot-network-projector.png",
}
BROWSER_LOCALES = {"en": "en-US", "es": "es-ES", "fr": "fr-FR", "de": "de-DE", "pt": "pt-BR",
                   "zh-CN": "zh-CN", "ar": "ar"}  # a language as the browser asks for it
TABS = {"inside": "tab.inside", "class": "tab.class", "train": "tab.train"}
CLASS_PER_DIGIT = 2  # pen-drawn digits of each kind corrected for the "class" view


def pen_digit() -> list:
    """The first DIGIT in the pen-drawn set, fitted to the canvas."""
    record = next(r for r in load_strokes(PENDIGITS) if r["label"] == DIGIT)
    return fit_to_canvas(record["strokes"])


def draw_view(page, name: str, strokes: list) -> None:
    """Draw the digit (a finger on the phone, the mouse elsewhere) and wait for the bars."""
    before = result_html(page)
    draw_strokes(page, strokes, pointer="touch" if name.endswith("phone") else "mouse")
    wait_for_prediction(page, before)


def said(page, key: str) -> str:
    """One of the page's words in the language it speaks."""
    lang = page.evaluate("document.documentElement.lang") or ENGLISH
    return CATALOGUES.get(lang, CATALOGUES[ENGLISH])[key]


def train_view(page) -> None:
    """A short run on the Train tab, shown once its scores are in."""
    page.get_by_role("tab", name=said(page, TABS["train"]), exact=True).click()
    box = page.locator("#iterations input[type=number]")
    box.fill(str(TRAIN_ITERATIONS))
    box.press("Enter")
    page.click("#train")
    page.wait_for_selector("#status .dp-scores", timeout=TRAIN_TIMEOUT * 1000)
    page.wait_for_selector("#runs .dp-runs tbody tr", timeout=WAIT * 1000)
    page.wait_for_timeout(500)  # the curves arrive with the scores


def correct_class(page) -> None:
    """Draw CLASS_PER_DIGIT pen-drawn digits of each kind and tap what each is."""
    records = load_strokes(PENDIGITS)
    chosen = [r for d in range(10) for r in [r for r in records
                                             if r["label"] == d][:CLASS_PER_DIGIT]]
    for record in chosen:
        clear_canvas(page)
        draw_view(page, "class", fit_to_canvas(record["strokes"]))
        page.click(f'#correct button[data-digit="{record["label"]}"]')
        page.wait_for_selector("#correct .dp-quiet", timeout=WAIT * 1000)
    clear_canvas(page)


def open_tab(page, tab: str, ready: str) -> None:
    page.get_by_role("tab", name=said(page, TABS[tab]), exact=True).click()
    page.wait_for_selector(ready, timeout=TRAIN_TIMEOUT * 1000)  # Look inside scores first
    page.wait_for_timeout(800)


def network_view(page, device: str, lang: str | None) -> None:
    """Open the view inside the network on the drawing, move to a unit of the first hidden layer
    with the arrow keys, and photograph the view alone."""
    page.get_by_text(said(page, "net.title")).click()
    page.locator("#network .dp-net-layer canvas").nth(1).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#network .dp-unit-digits img", timeout=WAIT * 1000)
    page.wait_for_timeout(500)
    path = shot_path(device, "network", lang)
    page.locator("#network-fold").screenshot(path=str(path))
    print(f"wrote {path.relative_to(REPO)}")
    page.get_by_text(said(page, "net.title")).click()  # folded again for the other shots


def shot_path(device: str, tab: str, lang: str | None) -> Path:
    """The README's shot, or with a language, docs/screens/<language>-<tab>-<device>.png."""
    if lang is None:
        return DOCS / SHOTS[(device, tab)]
    (DOCS / "screens").mkdir(exist_ok=True)
    return DOCS / "screens" / f"{lang}-{tab}-{device}.png"


def shoot(page, device: str, tab: str, lang: str | None) -> None:
    path = shot_path(device, tab, lang)
    page.screenshot(path=str(path), full_page=device == "phone" or tab != "draw")
    print(f"wrote {path.relative_to(REPO)}")


def tour(page, device: str, strokes: list, lang: str | None = None,
         correct: bool = True) -> None:
    """Every tab this device is shot on, in an order that gives each something to show; the
    class's drawings corrected first on the laptop, when correct."""
    if device == "laptop" and correct:
        correct_class(page)
    draw_view(page, device, strokes)
    shoot(page, device, "draw", lang)
    network_view(page, device, lang)
    if device == "projector":
        return
    open_tab(page, "inside", "#why img")
    shoot(page, device, "inside", lang)
    open_tab(page, "class", ".dp-class-tiles img")
    shoot(page, device, "class", lang)
    train_view(page)
    shoot(page, device, "train", lang)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(DEVICES),
                        help="comma-separated devices to shoot on: " + ", ".join(DEVICES))
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--languages", default="",
                        help="comma-separated languages to shoot in: " + ", ".join(BROWSER_LOCALES))
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - set(DEVICES)
    if unknown:
        parser.error(f"unknown devices: {', '.join(sorted(unknown))}")
    languages = [lang for lang in args.languages.split(",") if lang]
    unknown = set(languages) - set(BROWSER_LOCALES)
    if unknown:
        parser.error(f"unknown languages: {', '.join(sorted(unknown))}")
    strokes = pen_digit()
    from playwright.sync_api import sync_playwright

    with (tempfile.TemporaryDirectory() as folder,
          running_app(args.model, args=("--db", f"{folder}/class.db")) as url,
          sync_playwright() as playwright):
        chromium = launch_chromium(playwright)
        for lang in languages or [None]:
            for name in names:
                locale = {"locale": BROWSER_LOCALES[lang]} if lang else {}
                context = chromium.new_context(**DEVICES[name], **locale)
                tour(open_app(context.new_page(), url), name, strokes, lang,
                     correct=lang == (languages or [None])[0])
                context.close()
        chromium.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
