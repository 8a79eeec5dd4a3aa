"""Careless and hostile requests while a class draws: does anyone else notice?

    python -m bench.abuse [--drawers 10] [--cache-seconds 30] [--cache-mb 200]

Starts the app on a free port with its Gradio cache in a temporary folder, lets --drawers people
draw on the pad every 500 ms, and meanwhile runs the battery, one attack after another:
trainings abandoned by their page and by a /train program, 50 /train calls from one session (one
of them huge), an animated GIF of 8,000 frames and a 79-megapixel PNG on the Draw tab's upload,
uploads of 5 MB as fast as a script can send them for 60 s (from 100 addresses, as through the
proxy, so that the cache's budget rather than one client's rate holds them; then 10 s from one),
one client sending the dearest drawings the pad allows as fast as it can for 20 s, a 42 MB stroke
list, and a coordinate of 1e400. The cache's largest size during the flood is printed against
--cache-mb. Prints the drawers' latency, the server's
memory (the app and its training workers) and Gradio's cache before and after, and the training
workers' CPU 10 s after the last training's client left. Targets: drawers p95 <= 250 ms, memory
within 300 MB of the start, the cache within its budget during the flood and back within 50 MB of
the start once cleaned, no training left running. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from tests.harness.classroom import PadStudent, pad_drawings, report, run_class
from tests.harness.drawings import most_points_and_line
from tests.harness.server import (
    REPO,
    api_event,
    app_pid,
    cpu_seconds,
    page_event,
    queued_event,
    resident_mb,
    running_app,
    send_strokes,
    settle,
    upload,
)
from tests.harness.timing import machine

TARGET_P95, TARGET_MEMORY_MB, TARGET_CACHE_MB = 0.250, 300, 50
LONG_RUN = [None, [], -3.0, 0.2, 20_000, 128, "512-256-128", False, 0, False, False]
HUGE_API_RUN = [1e-3, 0.2, 20_000, 1024, "one hidden layer of 1500", True, 0]
API_RUN = [1e-3, 0.2, 20_000, 128, "512-256-128", False, 0]
SEVEN = REPO / "assets" / "example-7-paper.png"


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def leave_after(url: str, event: tuple, data: list, messages: int) -> None:
    """Start an event as a page or program would, read a few messages, and go away."""
    with httpx.Client(timeout=60) as client:
        stream = queued_event(client, url, event, data, secrets.token_hex(8))
        for _ in range(messages):
            next(stream, None)
        stream.close()


def abandoned_trainings(url: str, http: httpx.Client, folder: Path) -> None:
    for _ in range(3):
        leave_after(url, page_event(url, "train", "click"), LONG_RUN, 3)
    leave_after(url, api_event(url, "train"), API_RUN, 3)


def fifty_train_calls(url: str, http: httpx.Client, folder: Path) -> None:
    session, event = secrets.token_hex(8), api_event(url, "train")
    for i in range(50):
        http.post(url + "gradio_api/queue/join", json={
            "data": HUGE_API_RUN if i == 0 else API_RUN, "fn_index": event[0],
            "session_hash": session, "event_data": None})
    with http.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session},
                     timeout=30) as stream:
        for n, _ in enumerate(stream.iter_lines()):
            if n > 200:
                break


def upload_event(url: str, http: httpx.Client, path: Path) -> None:
    for _ in queued_event(http, url, page_event(url, "upload", "change"),
                          [upload(http, url, path), None], secrets.token_hex(8)):
        pass


def big_images(url: str, http: httpx.Client, folder: Path) -> None:
    seven = Image.open(SEVEN).convert("L")
    gif = folder / "frames.gif"
    seven.save(gif, save_all=True, append_images=[Image.new("L", seven.size, 255)] * 7999,
               duration=20)
    png = folder / "huge.png"
    Image.new("1", (8900, 8900), 1).save(png)
    for path in (gif, png):
        upload_event(url, http, path)


def cache_sampler(cache: Path, largest: list[float], stop: threading.Event) -> None:
    while not stop.wait(0.25):
        largest[0] = max(largest[0], folder_mb(cache))


def flood(url: str, http: httpx.Client, files: list[bytes], clients: int,
          seconds: float) -> dict[int, int]:
    """Upload the files in turn as fast as one script can, from clients addresses in turn
    (forwarded, as nginx does); how many answers of each status."""
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    for sent in itertools.count():
        if time.monotonic() >= deadline:
            return statuses
        answer = http.post(url + "gradio_api/upload",
                           files={"files": (f"noise-{sent}.png", files[sent % len(files)])},
                           headers={"X-Forwarded-For": f"10.1.{sent % clients // 250}."
                                                       f"{sent % clients % 250}"})
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1


def upload_flood(url: str, http: httpx.Client, folder: Path) -> None:
    """5 MB noise PNGs for 60 s from 100 addresses, then 10 s from one; the cache's largest size
    meanwhile, into FLOOD."""
    files = []
    for seed in range(8):
        out = io.BytesIO()
        pixels = np.random.default_rng(seed).integers(0, 256, (1290, 1290, 3), np.uint8)
        Image.fromarray(pixels).save(out, "PNG", compress_level=0)
        files.append(out.getvalue())
    largest, stop = [0.0], threading.Event()
    sampler = threading.Thread(target=cache_sampler, daemon=True,
                               args=(Path(os.environ["GRADIO_TEMP_DIR"]), largest, stop))
    sampler.start()
    FLOOD["many clients"] = flood(url, http, files, 100, 60)
    FLOOD["one client"] = flood(url, http, files, 1, 10)
    stop.set()
    sampler.join()
    FLOOD["largest cache MB"] = largest[0]


def dearest_drawings(url: str, http: httpx.Client, folder: Path) -> None:
    drawing = most_points_and_line()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        send_strokes(http, url, drawing)


def absurd_drawings(url: str, http: httpx.Client, folder: Path) -> None:
    huge = [[[float(i % 400), float(i // 400 % 400)] for i in range(1_400_000)]]
    send_strokes(http, url, huge)
    http.post(url + "api/pad", headers={"Content-Type": "application/json"},
              content='{"strokes": [[[1e400, 5], [10, 20]]]}')


FLOOD: dict[str, object] = {}  # what upload_flood saw
BATTERY: list[Callable[[str, httpx.Client, Path], None]] = [
    abandoned_trainings, fifty_train_calls, big_images, upload_flood, dearest_drawings,
    absurd_drawings]


def run_battery(url: str, log: list[str]) -> None:
    with httpx.Client(timeout=120) as http, tempfile.TemporaryDirectory() as folder:
        for attack in BATTERY:
            began = time.monotonic()
            try:
                attack(url, http, Path(folder))
                log.append(f"{attack.__name__}: {time.monotonic() - began:.1f} s")
            except Exception as e:  # reported: the bench measures the class either way
                log.append(f"{attack.__name__}: failed after {time.monotonic() - began:.1f} s "
                           f"({type(e).__name__}: {str(e)[:120]})")


def workers_cpu(pid: int, seconds: float = 5.0) -> float:
    """Cores the app's children (its training workers) use over a few seconds."""
    before = cpu_seconds(pid, children_only=True)
    time.sleep(seconds)
    return (cpu_seconds(pid, children_only=True) - before) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drawers", type=int, default=10)
    parser.add_argument("--cache-seconds", type=int, default=30)
    parser.add_argument("--cache-mb", type=int, default=200)
    args = parser.parse_args(argv)
    print(machine())
    with tempfile.TemporaryDirectory() as cache:
        os.environ["GRADIO_TEMP_DIR"] = cache
        with running_app(args=("--cache-seconds", str(args.cache_seconds),
                               "--cache-mb", str(args.cache_mb))) as url:
            pid = app_pid(url)
            print(f"app idle after {settle(url):.0f} s")
            memory, cached = resident_mb(pid), folder_mb(Path(cache))
            own = resident_mb(pid, children=False)
            log: list[str] = []
            battery = threading.Thread(target=run_battery, args=(url, log), daemon=True)
            battery.start()
            drawers = partial(PadStudent, url, pad_drawings())
            seconds = 0.0
            while battery.is_alive() or seconds == 0.0:
                stats = run_class(url, drawers, args.drawers, 30.0)
                seconds += stats.seconds
                print(f"{args.drawers} people drawing, {seconds:.0f} s into the battery:")
                report(stats, TARGET_P95)
            print("\n".join(log))
            print(f"upload flood: answers by status, from 100 addresses for 60 s "
                  f"{FLOOD.get('many clients')}, from one for 10 s {FLOOD.get('one client')}; "
                  f"the cache at most {FLOOD.get('largest cache MB', 0):.0f} MB "
                  f"({cached:.1f} MB at the start)")
            within = FLOOD.get("largest cache MB", 0) - cached <= args.cache_mb * 1.048576
            print(f"  target: the cache within --cache-mb {args.cache_mb} (MiB) besides what it "
                  f"held at the start: {'met' if within else 'NOT met'}")
            time.sleep(10)
            orphans = workers_cpu(pid)
            time.sleep(2 * args.cache_seconds)
            grown, cache_now = resident_mb(pid) - memory, folder_mb(Path(cache))
            own_grown = resident_mb(pid, children=False) - own
    print(f"memory: {memory:.0f} MB at the start, {memory + grown:.0f} MB at the end "
          f"({grown:+.0f} MB; target within {TARGET_MEMORY_MB} MB); the app alone "
          f"{own_grown:+.0f} MB, its training workers {grown - own_grown:+.0f} MB")
    print(f"Gradio's cache: {cached:.1f} MB at the start, {cache_now:.1f} MB once cleaned "
          f"(target within {TARGET_CACHE_MB} MB)")
    print(f"training workers 10 s after the last client left: {orphans:.2f} cores "
          f"({'none running' if orphans < 0.1 else 'a training is still running'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
