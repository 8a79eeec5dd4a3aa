"""POST /api/predict on the app's own port: images and strokes read as /predict and the pad read
them, each bad request refused with its status and a plain sentence, oversized bodies refused
before they are read whole, a flood answered "busy", models by id, and the OpenAPI schema."""

from __future__ import annotations

import io
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from tests.harness.browser import VIEWPORT, WAIT, open_app, zero_strokes
from tests.harness.server import REPO, send_strokes

SEVEN = REPO / "assets" / "example-7-paper.png"
THREE = REPO / "assets" / "example-3-paper.png"
MAX_BODY = 10 * 1024 * 1024
TECHNICAL = re.compile(r"Traceback|[A-Z]\w+(Error|Exception)\b|/tmp/|/work/|site-packages|\.py\b")
RUN_TIMEOUT = 180  # seconds for a 100-iteration run to train and be scored on a busy machine


@pytest.fixture(scope="module")
def app_server(busy_app):
    """This file's tests flood the server: the busy app."""
    return busy_app


@pytest.fixture(scope="module")
def api(app_server):
    with httpx.Client(base_url=app_server, timeout=30) as client:
        yield client


def post(api: httpx.Client, body: bytes, content_type: str | None = "image/png",
         **params) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return api.post("/api/predict", content=body, headers=headers, params=params)


def jpeg_of(path) -> bytes:
    out = io.BytesIO()
    with Image.open(path) as image:
        image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def assert_answer(response: httpx.Response, digit: int) -> list[float]:
    """A 200 with the digit, its confidence and ten probabilities summing to 1; the ten."""
    assert response.status_code == 200, response.text
    answer = response.json()
    assert sorted(answer) == ["confidence", "digit", "probabilities"]
    assert answer["digit"] == digit, answer
    assert len(answer["probabilities"]) == 10
    assert sum(answer["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert answer["confidence"] == max(answer["probabilities"])
    return answer["probabilities"]


def assert_refused(response: httpx.Response, status: int, words: str) -> None:
    """The status and a JSON error naming the problem, with no path, class name or traceback."""
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert re.search(words, message, re.IGNORECASE), message
    assert not TECHNICAL.search(message), message


@pytest.mark.parametrize("path, digit", [(SEVEN, 7), (THREE, 3)], ids=["7", "3"])
@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_image_is_read_as_predict_reads_the_same_file(api, app_server, tmp_path, path, digit,
                                                      kind):
    body = path.read_bytes() if kind == "png" else jpeg_of(path)
    file = tmp_path / f"digit.{kind}"
    file.write_bytes(body)
    ours = assert_answer(post(api, body, f"image/{kind}"), digit)
    client = Client(app_server, verbose=False)
    try:
        theirs = client.predict(handle_file(str(file)), api_name="/predict")
    finally:
        client.close()
    assert ours == pytest.approx([theirs[str(d)] for d in range(10)], abs=1e-6)


def pad_probabilities(app_server: str, strokes: list) -> list[float]:
    """The ten bars the pad shows for these strokes (4 decimals)."""
    with httpx.Client(timeout=30) as client:
        html = send_strokes(client, app_server, strokes).json()["result"]
    bars = dict(re.findall(r'data-digit="(\d)" data-p="([0-9.]+)"', html))
    return [float(bars[str(d)]) for d in range(10)]


@pytest.mark.parametrize("digit", [0, 1])
def test_strokes_are_read_as_the_pad_reads_them(api, app_server, digit):
    shape = zero_strokes() if digit == 0 else [np.array([[200.0, 80.0], [200.0, 320.0]])]
    strokes = [np.round(s, 1).tolist() for s in shape]
    ours = assert_answer(api.post("/api/predict", json={"strokes": strokes}), digit)
    assert ours == pytest.approx(pad_probabilities(app_server, strokes), abs=6e-5)


BAD = {
    "not-an-image": (b"a shopping list, not a picture of a digit\n", "image/png", 400,
                     r"not a readable image"),
    "truncated-png": (SEVEN.read_bytes()[:300], "image/png", 400, r"not a readable image"),
    "empty-body": (b"", "image/png", 400, r"empty"),
    "blank-image": (None, "image/png", 400, r"empty|draw a digit"),
    "no-ink-strokes": (b'{"strokes": []}', "application/json", 400, r"empty|draw a digit"),
    "one-tap": (b'{"strokes": [[[200, 200]]]}', "application/json", 400, r"speck|draw a digit"),
    "bad-strokes": (b'{"strokes": [[[1, "x"], [2, 3]]]}', "application/json", 400,
                    r"stroke|points"),
    "strokes-not-a-list": (b'{"strokes": "a 7"}', "application/json", 400, r"strokes|list"),
    "bad-json": (b'{"strokes": [[[200, 80', "application/json", 400, r"not valid JSON"),
    "json-not-a-drawing": (b'[1, 2, 3]', "application/json", 400, r'"strokes"'),
    "deeply-nested-json": (b"[" * 100_000, "application/json", 400, r"not valid JSON"),
    "wrong-content-type": (SEVEN.read_bytes(), "text/plain", 415, r"image file.*JSON"),
    "no-content-type": (SEVEN.read_bytes(), None, 415, r"image file.*JSON"),
}


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (400, 400), 255).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("name", list(BAD))
def test_bad_request_gets_its_status_and_a_plain_message(api, name):
    body, content_type, status, words = BAD[name]
    assert_refused(post(api, blank_png() if body is None else body, content_type), status, words)
    assert_answer(post(api, SEVEN.read_bytes()), 7)


PAD_REFUSALS = {
    "bad-json": (b'{"strokes": [[[200, 80', 400, r"not valid JSON"),
    "an-image": (SEVEN.read_bytes(), 415, r"strokes"),
    "a-model-gone": (b'{"strokes": [[[200, 80], [200, 320]]]}', 404, r"Back to the shipped"),
}


@pytest.mark.parametrize("name", list(PAD_REFUSALS))
def test_the_pad_is_refused_with_its_sentence_in_the_answer_panel(app_server, name):
    body, status, words = PAD_REFUSALS[name]
    kind = "image/png" if name == "an-image" else "application/json"
    with httpx.Client(timeout=30) as client:
        answer = client.post(app_server + "api/pad", content=body, headers={"Content-Type": kind},
                             params={"model": "gone" if name == "a-model-gone" else "shipped"})
    assert answer.status_code == status, answer.text[:300]
    shown = re.sub(r"<[^>]+>", " ", answer.json()["result"])
    assert re.search(words, shown) and "dp-empty" in answer.json()["result"], shown
    assert not re.search(r"Traceback|Error\b|/tmp|\.py", shown), shown


def test_unknown_model_id_is_404(api):
    for model in ("no-such-model", "../model/digitpad.keras", "/etc/passwd", ""):
        assert_refused(post(api, SEVEN.read_bytes(), model=model), 404, r"no model with that id")
    assert_answer(post(api, SEVEN.read_bytes(), model="shipped"), 7)


def raw_post(url: str, headers: str, parts: list[bytes]) -> tuple[int, bytes, float]:
    """POST by hand on a socket: the status and body of the answer, and the seconds it took.
    The parts are sent as far as the server lets them in; the connection is left open after
    them, so an answer can only come from a server that did not wait for the body's end."""
    where = urlparse(url)
    began = time.monotonic()
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(f"POST /api/predict HTTP/1.1\r\nHost: {where.netloc}\r\n"
                     f"Content-Type: image/png\r\nConnection: close\r\n{headers}\r\n".encode())
        try:
            for part in parts:
                sock.sendall(part)
        except OSError:  # the server refused and closed while the body was still coming
            pass
        received = b""
        while chunk := sock.recv(65536):  # until the server closes, as asked
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, time.monotonic() - began


def test_body_declared_over_the_limit_is_refused_before_it_is_sent(app_server, api):
    status, body, _ = raw_post(app_server, f"Content-Length: {12 * 2**20}\r\n", [])
    assert status == 413, body
    assert b"larger than 10 MB" in body
    assert_answer(post(api, SEVEN.read_bytes()), 7)


def test_chunked_body_over_the_limit_is_refused_once_it_passes_it(app_server, api):
    """10 MB and one byte of a 12 MB chunked body, and no end: the server answers 413 anyway.
    (The byte over comes in a chunk of its own: a server that stops reading with bytes left
    unread resets the connection, and the answer can be lost before it is read.)"""
    chunk = b"\0" * 65536
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (MAX_BODY // len(chunk)) + [b"1\r\n\0\r\n"]
    status, body, _ = raw_post(app_server, "Transfer-Encoding: chunked\r\n", parts)
    assert status == 413, body
    assert b"larger than 10 MB" in body
    assert_answer(post(api, SEVEN.read_bytes()), 7)


def test_a_flood_is_answered_busy_not_queued_without_end(app_server, api):
    """200 large images at once: some are refused with 503, every other one is read."""
    out = io.BytesIO()
    with Image.open(SEVEN) as seven:
        seven.convert("L").resize((2500, 2500)).save(out, "PNG")  # small to send, slow to read
    body = out.getvalue()

    def send(_: int) -> httpx.Response:
        return httpx.post(app_server + "api/predict", content=body, timeout=120,
                          headers={"Content-Type": "image/png"})

    with ThreadPoolExecutor(200) as pool:
        responses = list(pool.map(send, range(200)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses and 200 in statuses, statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert_refused(busy, 503, r"busy.*try again")
    assert all(r.json()["digit"] == 7 for r in responses if r.status_code == 200)
    assert_answer(post(api, SEVEN.read_bytes()), 7)


def test_openapi_schema_lists_the_route(api):
    schema = api.get("/openapi.json").json()
    route = schema["paths"]["/api/predict"]["post"]
    assert {"image/png", "image/jpeg", "application/json"} <= set(route["requestBody"]["content"])
    assert {"200", "400", "404", "413", "415", "503"} <= set(route["responses"])
    assert route["parameters"][0]["name"] == "model"


@pytest.mark.browser
def test_a_sessions_run_is_read_by_its_id_until_the_session_closes(browser, app_server, api):
    """Train 100 iterations of softmax regression at a rate of 0.01 (enough to read a clear 7)
    on the Train tab; the run report's id reads with that model (other probabilities than the
    shipped one's); closing the tab frees it."""
    context = browser.new_context(viewport=VIEWPORT)
    page = open_app(context.new_page(), app_server)
    page.get_by_role("tab", name="Train").click()
    page.wait_for_selector("#train", timeout=WAIT * 1000)
    page.locator("#network").get_by_label("softmax regression").check()
    for elem_id, value in (("iterations", "100"), ("rate", "-2")):
        box = page.locator(f"#{elem_id} input[type=number]")
        box.fill(value)
        box.press("Enter")
    page.get_by_role("button", name="For programs").click()  # the fold that shows the id
    page.click("#train")
    page.wait_for_selector("#model-id .dp-run-id code", timeout=RUN_TIMEOUT * 1000)
    model = page.locator("#model-id .dp-run-id code").inner_text()
    assert re.fullmatch(r"[\w-]{20,}", model), model
    own = assert_answer(post(api, SEVEN.read_bytes(), model=model), 7)
    shipped = assert_answer(post(api, SEVEN.read_bytes()), 7)
    assert max(abs(a - b) for a, b in zip(own, shipped, strict=True)) > 1e-3, (own, shipped)
    context.close()
    deadline = time.monotonic() + 60  # the server notices a closed tab within its heartbeat
    while post(api, SEVEN.read_bytes(), model=model).status_code == 200:
        assert time.monotonic() < deadline, "the closed session's model still answers"
        time.sleep(0.5)
    assert_refused(post(api, SEVEN.read_bytes(), model=model), 404, r"no model with that id")


def test_a_good_request_still_works_after_all_that(api):
    assert_answer(post(api, SEVEN.read_bytes()), 7)
    assert_answer(post(api, jpeg_of(THREE), "image/jpeg"), 3)


def test_a_correction_is_saved_once_and_answers_its_id(api):
    one = {"strokes": [[[200, 80], [200, 320]]], "label": 1, "session": "robot"}
    first = api.post("/api/correct", json=one)
    assert first.status_code == 200, first.text
    again = api.post("/api/correct", json=one)  # the same drawing again: nothing more is saved
    assert again.json() == first.json() and isinstance(first.json()["id"], int)
    other = api.post("/api/correct", json={**one, "strokes": [[[180, 80], [190, 320]]]})
    assert other.json()["id"] == first.json()["id"] + 1


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"strokes": [[[200, 80], [200, 320]]], "label": 12}, 400, "Tap one of the ten digits"),
    ({"strokes": [[[200, 80], [200, 320]]]}, 400, '"label": 7'),
    ({"strokes": [[[200, 200]]], "label": 1}, 400, "digit"),
    ({"strokes": "none", "label": 1}, 400, "strokes"),
])
def test_a_bad_correction_is_refused_plainly(api, body, status, words):
    assert_refused(api.post("/api/correct", json=body), status, words)
