"""A class at once: N students in threads, each drawing every PERIOD seconds through the pad's
event, the /predict API or the plain HTTP API, with latency percentiles and the CPU each side
used."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np
from gradio_client import Client, handle_file

from digitpad.strokes import fit_to_canvas
from tests.harness.server import (
    REQUEST_TIMEOUT,
    app_pid,
    connect,
    cpu_seconds,
    machine_cpu_seconds,
    own_cpu_seconds,
    send_strokes,
)

PERIOD = 0.5  # seconds between a student's drawings
FOUR = [[[0.6, 0.0], [0.1, 0.65], [0.8, 0.65]], [[0.55, 0.3], [0.55, 1.0]]]
ONE = [[[0.5, 0.0], [0.5, 1.0]]]  # students alternate it with FOUR, so the answer changes


@dataclass
class Stats:
    """What one run of a class measured."""

    students: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    app_cpu: float = 0.0  # CPU seconds the app used during the run
    students_cpu: float = 0.0  # CPU seconds the students (this process) used
    machine_cpu: float = 0.0  # CPU seconds all processes on the machine used
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(latency)
            else:
                self.errors.append(error)

    def p(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("inf")


class Student(Protocol):
    """One student's connection to the app; draw() raises on any failure it sees."""

    def draw(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class ApiStudent:
    """Uploads the PNG to the documented /predict API with gradio_client."""

    url: str
    image: Path
    client: Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = connect(self.url)

    def draw(self) -> None:
        probabilities = self.client.predict(handle_file(str(self.image)), api_name="/predict")
        if len(probabilities) != 10:
            raise ValueError(f"{len(probabilities)} probabilities")

    def close(self) -> None:
        self.client.close()


@dataclass
class RestStudent:
    """POSTs the PNG's bytes to the plain HTTP API, /api/predict: one request, one answer."""

    url: str
    image: bytes
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(verify=False, timeout=REQUEST_TIMEOUT))

    def draw(self) -> None:
        answer = self.client.post(self.url + "api/predict", content=self.image,
                                  headers={"Content-Type": "image/png"})
        answer.raise_for_status()
        if len(answer.json()["probabilities"]) != 10:
            raise ValueError(f"no answer: {answer.text[:300]}")

    def close(self) -> None:
        self.client.close()


def pad_drawings() -> list[list]:
    """The pad's values for a 4 and a 1: lists of [x, y] canvas pixels, to 0.1 px as sent."""
    return [[np.round(s, 1).tolist() for s in fit_to_canvas(shape)] for shape in (FOUR, ONE)]


@dataclass
class PadStudent:
    """Sends strokes to /api/pad as the page does after each stroke: one POST that returns the
    answer, and the layers the view inside the network shows (open in every session)."""

    url: str
    drawings: list[list]
    sent: int = 0
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(verify=False, timeout=REQUEST_TIMEOUT))

    def draw(self) -> None:
        drawing = self.drawings[self.sent % len(self.drawings)]
        self.sent += 1
        answer = send_strokes(self.client, self.url, drawing)
        answer.raise_for_status()
        panels = answer.json()
        if "dp-winner" not in panels["result"] or len(panels["network"]["layers"]) < 2:
            raise ValueError(f"no answer: {answer.text[:300]}")

    def close(self) -> None:
        self.client.close()


def unit_counts(url: str) -> list[int]:
    """The units of each layer after the input of the app's shipped network, as the pad's
    answer shows them."""
    with httpx.Client(timeout=REQUEST_TIMEOUT) as client:
        answer = send_strokes(client, url, pad_drawings()[0])
    return [layer["units"] for layer in answer.json()["network"]["layers"][1:]]


@dataclass
class TapStudent:
    """Taps units of the view inside the network as a person exploring it does: a random unit
    of a random layer, one POST to /api/unit, answered with its weights and top digits."""

    url: str
    units: list[int]  # unit_counts
    seed: int = 0
    random: np.random.Generator = field(init=False)
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(verify=False, timeout=REQUEST_TIMEOUT))

    def __post_init__(self) -> None:
        self.random = np.random.default_rng(self.seed)

    def draw(self) -> None:
        layer = int(self.random.integers(len(self.units)))
        unit = int(self.random.integers(self.units[layer]))
        answer = self.client.post(self.url + "api/unit", json={"layer": layer + 1, "unit": unit})
        answer.raise_for_status()
        if answer.json()["html"].count("<img") < 9:
            raise ValueError(f"no top digits: {answer.text[:300]}")

    def close(self) -> None:
        self.client.close()


def student(make: Callable[[], Student], stats: Stats, offset: float, clock: dict[str, float],
            ready: threading.Barrier) -> None:
    """One student: connect, wait for the class, then draw every PERIOD seconds (bounded)."""
    pupil = make()
    try:
        ready.wait(timeout=120)
        next_tick, stop = clock["start"] + offset, clock["stop"]
        for _ in range(int((stop - next_tick) / PERIOD) + 1):
            time.sleep(max(0.0, next_tick - time.monotonic()))
            if time.monotonic() >= stop:
                break
            began = time.monotonic()
            try:
                pupil.draw()
                stats.add(time.monotonic() - began)
            except Exception as e:  # every failure a student sees counts, whatever its kind
                stats.add(None, f"{type(e).__name__}: {e}"[:200])
            next_tick = max(next_tick + PERIOD, time.monotonic())
    finally:
        pupil.close()


def run_class(url: str, make: Callable[[], Student], students: int, seconds: float,
              pids: list[int] | None = None) -> Stats:
    """students threads drawing for seconds, staggered across one period; the app's CPU is that
    of pids (default: the app at url; several copies behind a proxy give theirs).

    Everyone connects first, so connecting is not timed; the clock starts once all have.
    """
    stats = Stats(students)
    ready = threading.Barrier(students + 1)
    offsets = np.random.default_rng(0).uniform(0, PERIOD, students)
    clock: dict[str, float] = {}
    threads = [threading.Thread(target=student, daemon=True,
                                args=(make, stats, offsets[i], clock, ready))
               for i in range(students)]
    for thread in threads:
        thread.start()
    pids = pids or [app_pid(url)]
    clock["start"] = time.monotonic() + 0.2
    clock["stop"] = clock["start"] + seconds
    ready.wait(timeout=120)
    app_cpu, own_cpu, machine_cpu = apps_cpu(pids), own_cpu_seconds(), machine_cpu_seconds()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    stats.seconds = time.monotonic() - clock["start"]
    stats.app_cpu = apps_cpu(pids) - app_cpu
    stats.students_cpu = own_cpu_seconds() - own_cpu
    stats.machine_cpu = machine_cpu_seconds() - machine_cpu
    return stats


def apps_cpu(pids: list[int]) -> float:
    return sum(map(cpu_seconds, pids))


def report(stats: Stats, target_p95: float | None = None) -> None:
    """One block of figures, with the target beside p95 and errors."""
    ok, failed = len(stats.latencies), len(stats.errors)
    print(f"students={stats.students} seconds={stats.seconds:.1f} requests={ok + failed} "
          f"throughput={ok / stats.seconds:.1f}/s (asked for {stats.students / PERIOD:.0f}/s)")
    print(f"  latency p50={1000 * stats.p(50):.0f} ms  p95={1000 * stats.p(95):.0f} ms  "
          f"p99={1000 * stats.p(99):.0f} ms  max={1000 * stats.p(100):.0f} ms")
    if target_p95 is not None:
        print(f"  target p95 <= {1000 * target_p95:.0f} ms: "
              f"{'met' if stats.p(95) <= target_p95 else 'NOT met'}; "
              f"target errors = 0: {'met' if failed == 0 else 'NOT met'}")
    print(f"  errors={failed}" + (f" (first: {stats.errors[0]})" if failed else ""))
    others = stats.machine_cpu - stats.app_cpu - stats.students_cpu
    print(f"  CPU: app {stats.app_cpu / stats.seconds:.2f} cores, students "
          f"{stats.students_cpu / stats.seconds:.2f}, other processes "
          f"{max(0.0, others) / stats.seconds:.2f}, of {os.cpu_count()}")


