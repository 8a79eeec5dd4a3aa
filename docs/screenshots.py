"""Regenerate the README's screenshots: the Draw tab on a desktop, a projector and a phone, the
Train tab after a short run, Class drawings after a few corrections, and the view inside the
network on a desktop, a phone and a projector.

    python -m docs.screenshots [--only draw,projector,phone,train,class,network,
                                       network-phone,network-projector]
                               [--model model/digitpad.keras]

Starts the app on a free port, keeping corrections in a temporary database, and drives Debian's
Chromium as the browser tests do; each view draws a real pen-drawn digit (a 3 from the pendigits
set; with a finger on the phone); "class" draws two of each digit and taps what each one is.
The network views open the view after drawing and move to a unit of the first hidden layer
with the arrow keys, showing what it looks for. Writes docs/screenshot-{name}.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from digitpad.data import SHIPPED_DRAWINGS
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
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
VIEWS = {  # name: browser context options
    "draw": {"viewport": VIEWPORT},
    "projector": PROJECTOR,
    "phone": PHONE,
    "train": {"viewport": VIEWPORT},
    "class": {"viewport": VIEWPORT},
    "network": {"viewport": VIEWPORT},
    "network-phone": PHONE,
    "network-projector": PROJECTOR,
}
NETWORK_TITLE = "Inside the network, as you draw"
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


def train_view(page) -> None:
    """A short run on the Train tab, shown once its scores are in."""
    page.get_by_role("tab", name="Train").click()
    box = page.locator("#iterations input[type=number]")
    box.fill(str(TRAIN_ITERATIONS))
    box.press("Enter")
    page.click("#train")
    page.wait_for_selector("#status .dp-scores", timeout=TRAIN_TIMEOUT * 1000)
    page.wait_for_timeout(500)  # the runs table and curves arrive with the scores


def network_view(page, name: str, strokes: list, path: Path) -> None:
    """Draw the digit, open the view inside the network, move to the first hidden layer's most
    active unit with the arrow keys, and photograph the view."""
    draw_view(page, name, strokes)
    page.get_by_text(NETWORK_TITLE).click()
    page.locator("#network .dp-net-layer canvas").nth(1).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#network .dp-unit-digits img", timeout=WAIT * 1000)
    page.wait_for_timeout(500)
    page.locator("#network-fold").screenshot(path=str(path))


def class_view(page) -> None:
    """Draw CLASS_PER_DIGIT pen-drawn digits of each kind, tap what each is, then open Class
    drawings."""
    records = load_strokes(PENDIGITS)
    chosen = [r for d in range(10) for r in [r for r in records
                                             if r["label"] == d][:CLASS_PER_DIGIT]]
    for i, record in enumerate(chosen):
        if i:
            clear_canvas(page)
        draw_view(page, "class", fit_to_canvas(record["strokes"]))
        page.click(f'#correct button[data-digit="{record["label"]}"]')
        page.wait_for_selector("#correct .dp-quiet", timeout=WAIT * 1000)
    page.get_by_role("tab", name="Class drawings").click()
    page.wait_for_selector(".dp-class-tiles img", timeout=WAIT * 1000)
    page.wait_for_timeout(500)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(VIEWS),
                        help="comma-separated views to make: " + ", ".join(VIEWS))
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - set(VIEWS)
    if unknown:
        parser.error(f"unknown views: {', '.join(sorted(unknown))}")
    strokes = pen_digit()
    from playwright.sync_api import sync_playwright

    with (tempfile.TemporaryDirectory() as folder,
          running_app(args.model, args=("--db", f"{folder}/class.db")) as url,
          sync_playwright() as playwright):
        chromium = launch_chromium(playwright)
        for name in names:
            context = chromium.new_context(**VIEWS[name])
            page = open_app(context.new_page(), url)
            path = DOCS / f"screenshot-{name}.png"
            if name.startswith("network"):  # the view alone
                network_view(page, name, strokes, path)
            else:
                if name == "train":
                    train_view(page)
                elif name == "class":
                    class_view(page)
                else:
                    draw_view(page, name, strokes)
                page.screenshot(path=str(path), full_page=name in ("phone", "train", "class"))
            print(f"wrote {path.relative_to(REPO)}")
            context.close()
        chromium.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
