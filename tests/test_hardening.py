"""One person's requests, careless or hostile, do not stall, fill or exhaust the server: through
the real server, each the way the page or a program sends it."""

from __future__ import annotations

import gc
import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from deploy.processes import AppDidNotStart
from digitpad.preprocess import MAX_PIXELS
from digitpad.sessions import Lab
from digitpad.strokes import MAX_POINTS
from digitpad.ui.context import Shared
from tests.harness.server import (
    REPO,
    api_event,
    join,
    page_event,
    queued_event,
    running_app,
    send_strokes,
    session_messages,
    upload,
)
from tests.test_uploads import FORMS

SEVEN = REPO / "assets" / "example-7-paper.png"
CACHE_SECONDS = 10
LONG_RUN = [None, [], -3.0, 0.2, 20_000, 128, "512-256-128", False, 0, False, False]  # Train's data
SHORT_RUN = [None, [], -3.0, 0.2, 300, 64, "softmax regression", False, 0, False, False]
STOPPED_WITHIN = 5.0  # seconds for a run to stop once nobody watches it (the bound)
NOISE = 10.0  # more seconds allowed on a shared, busy test machine
BARS = re.compile(r'data-digit="(\d)" data-p="([0-9.]+)"')


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gradio-cache")


@pytest.fixture(scope="module")
def url(cache: Path) -> Iterator[str]:
    """The app with its Gradio cache in a folder of the test's, cleaned every few seconds."""
    try:
        with running_app(args=("--cache-seconds", str(CACHE_SECONDS), "--train-workers", "1"),
                         env={"GRADIO_TEMP_DIR": str(cache)}) as address:
            with httpx.Client(timeout=60) as http:  # until the trainer has started
                train_stream(http, address, SHORT_RUN, secrets.token_hex(8), messages=1000)
            yield address
    except AppDidNotStart as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


def read_upload(http: httpx.Client, url: str, path: Path) -> tuple[str, float]:
    """The Draw tab's answer panel for an uploaded file, as the page asks for it; and the time."""
    began = time.monotonic()
    value = upload(http, url, path)
    final = None
    for kind, outputs in queued_event(http, url, page_event(url, "upload", "change"),
                                      [value, None], secrets.token_hex(8)):
        if kind == "process_completed":
            final = outputs
    assert final is not None, "the upload event did not complete"
    return final[0], time.monotonic() - began


def probabilities_shown(panel: str) -> np.ndarray:
    return np.array([float(p) for _, p in sorted(BARS.findall(panel))])


def plain(message: str) -> bool:
    """No path, traceback or exception class name."""
    return not re.search(r"/|\\\\|Traceback|Error\b|Exception", message)


def train_stream(http: httpx.Client, url: str, data: list, session: str, messages: int) -> list:
    """Press Train as the page does and read a few messages of the stream, then leave."""
    seen = []
    for kind, outputs in queued_event(http, url, page_event(url, "train", "click"), data, session):
        seen.append((kind, outputs))
        if len(seen) >= messages:
            break
    return seen


def last_status(stream: list) -> str:
    progress = [outputs[0] for kind, outputs in stream if outputs and isinstance(outputs[0], str)]
    return re.sub(r"<[^>]+>", " ", progress[-1]) if progress else ""


def alone_within(http: httpx.Client, url: str, seconds: float) -> str:
    """Press Train on a short run, again each time it ends, until one trains with no other run on
    the server; its status. That must happen within seconds."""
    deadline = time.monotonic() + seconds
    status = "no run pressed"
    while time.monotonic() < deadline:
        for kind, outputs in queued_event(http, url, page_event(url, "train", "click"),
                                          SHORT_RUN, secrets.token_hex(8)):
            status = last_status([(kind, outputs)]) or status
            if "training" in status and "other run" not in status:
                return status
    raise AssertionError(f"other runs still there after {seconds:.0f} s: {status}")


def test_an_abandoned_training_stops_and_frees_the_trainer(url, http):
    for _ in range(3):
        train_stream(http, url, LONG_RUN, secrets.token_hex(8), messages=4)
    alone_within(http, url, STOPPED_WITHIN + NOISE)


def test_one_session_has_one_run_at_a_time(url, http):
    """Train again from a page whose run still trains: refused. Both events' messages come on
    the session's one stream, as the page reads them."""
    session, train = secrets.token_hex(8), page_event(url, "train", "click")
    first = join(http, url, train, LONG_RUN, session)
    messages = session_messages(http, url, session)
    for message in messages:
        if message.get("event_id") == first and "iteration" in last_status(
                [(message["msg"], (message.get("output") or {}).get("data"))]):
            break  # the first run is queued or training, and its page is still open
    second = join(http, url, train, SHORT_RUN, session)
    answer = []
    for message in messages:
        if message.get("event_id") == second:
            answer.append(message)
            if message["msg"] == "process_completed":
                break
    messages.close()
    assert "already have a run training" in json.dumps(answer), answer[-1]


def test_the_train_api_refuses_a_huge_run_and_a_second_one(url):
    client = Client(url, verbose=False, ssl_verify=False)
    try:
        with pytest.raises(AppError, match="minutes here"):
            client.predict(1e-3, 0.2, 20_000, 1024, "one hidden layer of 1500", True, 0,
                           api_name="/train")
        job = client.submit(1e-3, 0.2, 20_000, 128, "512-256-128", False, 0,
                            api_name="/train")
        time.sleep(3)
        with pytest.raises(AppError, match="already have a run"):
            client.predict(1e-3, 0.2, 100, 64, "softmax regression", False, 0,
                           api_name="/train")
        job.cancel()
    finally:
        client.close()


def test_a_train_api_client_that_leaves_stops_its_run(url, http):
    with httpx.Client(timeout=60) as client:
        stream = queued_event(client, url, api_event(url, "train"),
                              [1e-3, 0.2, 20_000, 128, "512-256-128", False, 0],
                              secrets.token_hex(8))
        for _, outputs in stream:
            if outputs and "status" in outputs[0]:
                break  # it waits or trains; now the program goes away
        stream.close()
    alone_within(http, url, STOPPED_WITHIN + NOISE)


def test_a_gif_of_thousands_of_frames_is_read_from_its_first(url, http, tmp_path):
    seven = Image.open(SEVEN).convert("L")
    blank = Image.new("L", seven.size, 255)
    path = tmp_path / "many.gif"
    seven.save(path, save_all=True, append_images=[blank] * 3000, duration=20)
    panel, seconds = read_upload(http, url, path)
    assert seconds < 5, seconds
    assert "dp-winner" in panel and probabilities_shown(panel).argmax() == 7


def test_a_huge_image_is_refused_plainly_and_fast(url, http, tmp_path):
    side = int(np.sqrt(MAX_PIXELS)) + 2000
    path = tmp_path / "huge.png"
    Image.new("1", (side, side), 1).save(path)
    panel, seconds = read_upload(http, url, path)
    text = re.sub(r"<[^>]+>", " ", panel)
    assert "megapixels" in text and plain(text), text
    assert seconds < 5, seconds


@pytest.mark.parametrize("form", ["16-bit", "white-on-transparent", "cmyk-jpeg", "palette",
                                  "exif-6"])
def test_the_draw_tab_reads_an_upload_as_predict_does(url, http, tmp_path, form):
    make = FORMS[form][0]
    path, _ = make(tmp_path, Image.open(SEVEN))
    panel, _ = read_upload(http, url, path)
    client = Client(url, verbose=False, ssl_verify=False)
    try:
        api = client.predict(handle_file(str(path)), api_name="/predict")
    finally:
        client.close()
    shown = probabilities_shown(panel)
    assert shown.argmax() == 7
    assert np.allclose(shown, [api[str(d)] for d in range(10)], atol=1e-3)


def test_a_non_image_on_the_draw_tab_gets_a_plain_sentence(url, http, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all\n")
    panel, _ = read_upload(http, url, path)
    text = re.sub(r"<[^>]+>", " ", panel)
    assert "not a readable image" in text and plain(text), text


def test_gradios_cache_is_cleaned(url, http, cache, tmp_path):
    sent = 0
    for seed in range(5):  # five different files: Gradio keeps one copy of identical ones
        noise = tmp_path / f"noise-{seed}.png"
        pixels = np.random.default_rng(seed).integers(0, 256, (1200, 1200, 3), np.uint8)
        Image.fromarray(pixels).save(noise, compress_level=0)
        upload(http, url, noise)
        sent += noise.stat().st_size
    filled = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    assert filled >= sent
    deadline = time.monotonic() + 6 * CACHE_SECONDS
    while sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) > 1_000_000:
        assert time.monotonic() < deadline, "Gradio's cache was not cleaned"
        time.sleep(1)


def test_pad_refuses_oversized_and_absurd_drawings_plainly_and_fast(url, http):
    many = [[[float(i % 400), float(i // 400)] for i in range(MAX_POINTS + 1)]]
    answer = send_strokes(http, url, many)
    assert answer.status_code == 200, answer.text[:300]
    assert "at most" in answer.text and plain(re.sub(r"<[^>]+>", " ", answer.json()["result"]))
    huge = [[[float(i % 400), float(i // 400 % 400)] for i in range(1_400_000)]]  # ~30 MB
    began = time.monotonic()
    answer = send_strokes(http, url, huge)
    assert time.monotonic() - began < 5
    assert answer.status_code == 413 and "larger than" in answer.json()["error"]
    answer = http.post(url + "api/pad", content='{"strokes": [[[1e400, 5], [10, 20]]]}',
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text[:300]
    assert "Clear the pad" in answer.text and plain(re.sub(r"<[^>]+>", " ", answer.json()[
        "result"]))
    good = send_strokes(http, url, [[[200, 80], [200, 320]]])
    assert "dp-winner" in good.json()["result"]


def test_a_session_gradio_forgets_is_freed_with_its_files():
    shared = Shared(None, None, None, None, None)
    lab = shared.open_lab("gone", Lab())
    folder = lab.files()
    (folder / "model.keras").write_bytes(b"weights")
    assert "gone" in shared.labs
    del lab
    gc.collect()
    assert "gone" not in shared.labs
    assert not folder.exists()
