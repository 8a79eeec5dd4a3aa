"""A real Chromium driving the page: drawing with mouse, finger or pen at canvas pixels, and
reading the answer once the page has gone quiet."""

from __future__ import annotations

import base64
import io
import os
import time
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from digitpad.strokes import CANVAS_SIZE
from tests.harness.server import START_TIMEOUT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
WAIT = 15  # seconds for anything in the page: a prediction, the empty state
QUIET = 0.6  # seconds without network traffic or a change of the answer before it counts
SETTLE = 5  # seconds at most for a loaded page's requests to end: when Gradio's queue
# stream stays open (now and then), waiting 15 or 90 s did not close it

CANVAS = "#pad canvas"
CLEAR = "#pad .dp-clear"
UNDO = "#pad .dp-undo"
RESULT = "#result .dp-result"
# how the page asks the app for something: a queued event (uploads, training), a straight one,
# or the pad's strokes to /api/pad
EVENT_PATHS = ("/gradio_api/queue/join", "/gradio_api/run/predict", "/api/pad")
UPLOAD_INPUT = "#upload input[type=file]"
UPLOAD_ACCORDION = "Or upload a photo or scan of a digit"


def launch_chromium(playwright):
    """Debian's Chromium, headless, through Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_app(page, url: str):
    """Load the app and wait until the drawing pad and the answer panel are there and the page's
    load events have answered, so a test's first drawing is the only thing the page awaits."""
    flow = traffic(page)
    page.goto(url)
    page.wait_for_selector(CANVAS, timeout=START_TIMEOUT * 1000)
    page.wait_for_selector(RESULT, timeout=WAIT * 1000)
    deadline = time.monotonic() + SETTLE
    while (flow.pending or time.monotonic() - flow.last < QUIET) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    if flow.pending:
        warnings.warn(f"open_app waited {SETTLE} s on requests still open: "
                      f"{sorted(set(flow.pending.values()))}", stacklevel=2)
    return page


# -- what the page is doing on the network ---------------------------------------------------

class Traffic:
    """Requests to the app's API from one page: which are open, how many events were sent."""

    def __init__(self, page):
        self.pending = {}  # open requests to the app's API: request -> its path
        self.events = 0  # events sent to the app (one per prediction the page asks for)
        self.mark = 0  # events when the last input (stroke, undo, upload) was made
        self.last = time.monotonic()
        self.sent = []  # the data of each event sent to the app, newest last
        self.paths = []  # the path of each event sent to the app, oldest first
        page.on("request", self.started)
        page.on("requestfinished", self.ended)
        page.on("requestfailed", self.ended)

    @staticmethod
    def ours(request) -> bool:
        path = urlparse(request.url).path
        return ("/gradio_api/" in path or path.endswith(EVENT_PATHS)) and "heartbeat" not in path

    def started(self, request) -> None:
        if self.ours(request):
            self.pending[request] = urlparse(request.url).path
            if request.method == "POST" and urlparse(request.url).path.endswith(EVENT_PATHS):
                self.events += 1
                self.paths.append(urlparse(request.url).path)
                body = request.post_data_json or {}  # an event's data, or the pad's strokes
                self.sent = [*self.sent[-29:], body.get("data", [body.get("strokes")])]
            self.last = time.monotonic()

    def ended(self, request) -> None:
        if self.ours(request):
            self.pending.pop(request, None)
            self.last = time.monotonic()

    def awaited(self) -> list[str]:
        """The open requests the answer to the last input waits on: strokes are answered by
        /api/pad alone, so then the queue's stream (another event's, say a load event's)
        does not count."""
        strokes = all(path.endswith("/api/pad") for path in self.paths[self.mark:])
        return [path for path in self.pending.values()
                if not (strokes and path.endswith("/queue/data"))]


_TRAFFIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def traffic(page) -> Traffic:
    if page not in _TRAFFIC:
        _TRAFFIC[page] = Traffic(page)
    return _TRAFFIC[page]


def is_strokes(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(s, list) and all(isinstance(p, list) and len(p) == 2 for p in s)
        for s in value)


def last_strokes(page) -> list:
    """The strokes the page last sent to the app: lists of [x, y] canvas pixels."""
    for data in reversed(traffic(page).sent):
        if data and is_strokes(data[0]):
            return data[0]
    raise AssertionError("the page has not sent a drawing to the app")


def pad_pixels(page) -> np.ndarray:
    """What the drawing pad shows, as RGB on white, one pixel per canvas pixel."""
    url = page.locator(CANVAS).evaluate("c => c.toDataURL('image/png')")
    rgba = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
    white = Image.new("RGBA", rgba.size, "white")
    canvas = Image.alpha_composite(white, rgba).convert("RGB")
    return np.asarray(canvas.resize((CANVAS_SIZE, CANVAS_SIZE), Image.Resampling.BOX))


# -- drawing and reading the answer ----------------------------------------------------------

def canvas_transform(page) -> tuple[float, float, float]:
    """(left, top, scale): where canvas pixel (0, 0) is on the screen, and CSS px per canvas px.
    The pad's canvas is square and stretched to its box."""
    box = page.locator(CANVAS).bounding_box()
    return box["x"], box["y"], box["width"] / CANVAS_SIZE


def draw_strokes(page, strokes: Sequence[np.ndarray], pointer: str = "mouse") -> None:
    """Draw pen strokes, each an (n, 2) array of (x, y) canvas pixels, as drags of a mouse,
    a finger ("touch": touch events, needs a context with has_touch) or a pen ("pen")."""
    left, top, scale = canvas_transform(page)
    drag = {"mouse": mouse_drag, "touch": touch_drag, "pen": pen_drag}[pointer]
    mark_input(page)
    for stroke in strokes:
        drag(page, [(left + x * scale, top + y * scale) for x, y in np.asarray(stroke, float)])


def mouse_drag(page, points: list[tuple[float, float]]) -> None:
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
    page.mouse.up()


def touch_drag(page, points: list[tuple[float, float]]) -> None:
    """One finger: touchStart, touchMove per point, touchEnd, as a touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points, strict=True):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def pen_drag(page, points: list[tuple[float, float]]) -> None:
    """A stylus: pointer events with pointerType "pen", pressed from the first point to the last."""
    cdp = page.context.new_cdp_session(page)
    kinds = ["mousePressed"] + ["mouseMoved"] * (len(points) - 1) + ["mouseReleased"]
    for kind, (x, y) in zip(kinds, [*points, points[-1]], strict=True):
        cdp.send("Input.dispatchMouseEvent", {
            "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1,
            "buttons": 0 if kind == "mouseReleased" else 1, "pointerType": "pen"})
    cdp.detach()


def mark_input(page) -> None:
    """Note that an input is about to be made: the answer must come from a later event."""
    flow = traffic(page)
    flow.mark = flow.events


def result_html(page) -> str:
    return page.locator(RESULT).evaluate("e => e.outerHTML")


def wait_for_prediction(page, previous_html: str | None = None, timeout: float = WAIT) -> int:
    """The digit the page shows once it has answered the last input and gone quiet.

    The answer must differ from previous_html (if given), come from an event sent after the
    last input, and stay put with no request open for QUIET seconds: a drawing of several
    strokes gets an answer after each stroke, and only the last one counts.
    """
    flow = traffic(page)
    deadline = time.monotonic() + timeout
    html, changed = None, time.monotonic()
    while True:
        page.wait_for_timeout(100)
        now = time.monotonic()
        current = result_html(page)
        if current != html:
            html, changed = current, now
        answered = ("dp-winner" in html and html != previous_html and flow.events > flow.mark
                    and not flow.awaited())
        if answered and now - max(changed, flow.last) >= QUIET:
            return int(page.locator(RESULT).get_attribute("data-best"))
        if now > deadline:
            raise AssertionError(
                f"no new prediction within {timeout:.0f} s (events sent since the input: "
                f"{flow.events - flow.mark}, requests open: {sorted(flow.pending.values())}, "
                f"awaited: {flow.awaited()}); "
                f"showing:\n{html}")


def probabilities(page) -> dict[int, float]:
    """The ten bars' probabilities, by digit."""
    bars = page.locator(f"{RESULT} .dp-bar").evaluate_all(
        "bars => bars.map(b => [b.dataset.digit, b.dataset.p])")
    return {int(digit): float(p) for digit, p in bars}


def is_empty(page) -> bool:
    return page.locator(f"{RESULT}.dp-empty").count() == 1


def clear_canvas(page) -> None:
    """Press "Clear" and wait for the calm empty state and a quiet network."""
    flow = traffic(page)
    page.click(CLEAR)
    page.wait_for_selector(f"{RESULT}.dp-empty", timeout=WAIT * 1000)
    deadline = time.monotonic() + WAIT
    while flow.awaited() or time.monotonic() - flow.last < QUIET / 2:
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)


def undo(page) -> None:
    mark_input(page)
    page.click(UNDO)


def upload_image(page, path: str | os.PathLike) -> None:
    """Open the upload accordion and put a file into the image input."""
    if not page.locator(UPLOAD_INPUT).count() or not page.locator("#upload").is_visible():
        page.get_by_text(UPLOAD_ACCORDION).click()
    page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=WAIT * 1000)
    mark_input(page)
    page.set_input_files(UPLOAD_INPUT, str(path))


# -- shapes in canvas pixels -----------------------------------------------------------------

def one_strokes() -> list[np.ndarray]:
    """A "1": one vertical stroke, 60% of the canvas tall."""
    y = np.linspace(80, 320, 9)
    return [np.column_stack([np.full_like(y, 200.0), y])]


def zero_strokes(points: int = 25) -> list[np.ndarray]:
    """A "0": one closed ellipse, 60% of the canvas tall."""
    t = np.linspace(0, 2 * np.pi, points)
    return [np.column_stack([200 + 75 * np.sin(t), 200 - 120 * np.cos(t)])]
