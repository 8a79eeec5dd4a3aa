"""Gradio's cache of uploads under a disk budget, on a real server: the oldest uploads go first
past --cache-mb, an upload that is not an image is gone at once, one the Draw tab has read soon
after, and a client uploading too much in a minute is refused plainly."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from deploy.processes import AppDidNotStart
from digitpad.uploads import READ_SECONDS, SWEEP_SECONDS, UPLOAD_MB_PER_MINUTE, UploadCache
from tests.harness.server import page_event, queued_event, running_app

CACHE_MB = 20
MB = 1024 * 1024
SEVEN = Path(__file__).resolve().parent.parent / "assets" / "example-7-paper.png"
GONE_WITHIN = READ_SECONDS + 4 * SWEEP_SECONDS + 10  # seconds, with room for a busy machine


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gradio-cache")


@pytest.fixture(scope="module")
def url(cache: Path) -> Iterator[str]:
    """The app with its Gradio cache in a folder of the test's, under a 20 MB budget."""
    try:
        with running_app(args=("--cache-mb", str(CACHE_MB), "--db", "", "--train-workers", "1"),
                         env={"GRADIO_TEMP_DIR": str(cache)}) as address:
            yield address
    except AppDidNotStart as e:
        pytest.fail(str(e), pytrace=False)


def noise_png(folder: Path, seed: int, side: int = 1000) -> Path:
    """A real PNG of random pixels, hardly compressed: side * side * 3 bytes."""
    path = folder / f"noise-{seed}.png"
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), np.uint8)
    Image.fromarray(pixels).save(path, compress_level=0)
    return path


def send(url: str, path: Path, client: str) -> httpx.Response:
    """Upload a file as the page does, from client (the address nginx would forward)."""
    with path.open("rb") as f:
        return httpx.post(url + "gradio_api/upload", files={"files": (path.name, f)},
                          headers={"X-Forwarded-For": client}, timeout=60)


def cached_bytes(cache: Path, besides: set[Path]) -> int:
    return sum(f.stat().st_size for f in cache.rglob("*") if f.is_file() and f not in besides)


def wait_gone(path: Path, seconds: float) -> float:
    """Seconds until path is deleted; fails after seconds."""
    began = time.monotonic()
    while path.exists():
        assert time.monotonic() - began < seconds, f"{path.name} still cached after {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - began


def test_the_cache_stays_within_its_budget_the_oldest_going_first(url, cache, tmp_path):
    already = {f for f in cache.rglob("*") if f.is_file()}  # the examples: kept
    stored = []
    for seed in range(12):  # 12 uploads of 3 MB into a 20 MB budget
        answer = send(url, noise_png(tmp_path, seed), "10.0.0.1")
        assert answer.status_code == 200, answer.text
        stored.append(Path(answer.json()[0]))
        assert cached_bytes(cache, already) <= CACHE_MB * MB, seed
    assert cached_bytes(cache, already) > (CACHE_MB - 2 * 3) * MB  # filled, not emptied
    assert not stored[0].exists() and stored[-1].exists()
    assert all(f.exists() for f in already)


def test_an_upload_that_is_no_image_is_gone_at_once(url, tmp_path):
    text = tmp_path / "digit.png"
    text.write_bytes(b"a shopping list, not a picture of a digit\n" * 1000)
    answer = send(url, text, "10.0.0.2")
    assert answer.status_code == 200, answer.text
    wait_gone(Path(answer.json()[0]), 5)
    kept = send(url, SEVEN, "10.0.0.2")  # an image stays until it is read
    time.sleep(2 * SWEEP_SECONDS)
    assert Path(kept.json()[0]).exists()


def test_an_upload_the_draw_tab_has_read_is_deleted_soon_after(url):
    with SEVEN.open("rb") as f, httpx.Client(timeout=60) as http:
        path = http.post(url + "gradio_api/upload", files={"files": ("seven.png", f)}).json()[0]
        value = {"path": path, "orig_name": "seven.png", "meta": {"_type": "gradio.FileData"}}
        shown = [outputs for kind, outputs in queued_event(
            http, url, page_event(url, "upload", "change"), [value, None], secrets.token_hex(8))
            if kind == "process_completed"]
    assert shown and 'data-digit="7"' in shown[0][0]
    assert Path(path).exists()  # still there for the page's preview
    assert wait_gone(Path(path), GONE_WITHIN) > 0


def test_a_client_uploading_too_much_in_a_minute_is_refused_plainly(url, tmp_path):
    big = noise_png(tmp_path, 99, side=1800)  # 9.7 MB: six fill a minute's allowance
    answers = [send(url, big, "10.0.0.3") for _ in range(2 * UPLOAD_MB_PER_MINUTE // 9)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:5] == [200] * 5 and 429 in statuses, statuses
    assert set(statuses) == {200, 429}, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert "wait a little" in refused.json()["error"]
    assert send(url, SEVEN, "10.0.0.4").status_code == 200  # everyone else goes on


def test_uploads_under_way_at_once_each_get_room_within_the_budget(tmp_path):
    """Two uploads let in together: the second's room counts the first's bytes, still to come."""
    cache = UploadCache()
    cache.folder, cache.budget = tmp_path, 10 * MB
    for n in range(4):
        (tmp_path / f"old-{n}.png").write_bytes(bytes(2 * MB))
        time.sleep(0.01)  # distinct modification times: the oldest goes first
    cache.make_room(3 * MB)
    cache.make_room(3 * MB)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["old-2.png", "old-3.png"], left  # 4 MB kept + 6 MB under way: 10 MB
    cache.landed(3 * MB)
    cache.landed(3 * MB)
    cache.make_room(3 * MB)  # 4 MB kept + 3 MB under way: nothing more to delete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old-2.png", "old-3.png"]


def test_a_file_older_than_the_cache_seconds_is_deleted_even_if_no_event_used_it(tmp_path):
    cache = UploadCache()
    cache.folder, cache.max_age, cache.budget = tmp_path, 60, MB
    (tmp_path / "example.png").write_bytes(b"kept")
    cache.kept = {str(tmp_path / "example.png")}
    for name, age in (("old.png", 61), ("new.png", 59), ("example.png", 3600)):
        path = tmp_path / name
        path.write_bytes(b"png")
        os.utime(path, (time.time() - age, time.time() - age))
    cache.make_room(0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.png", "new.png"]
