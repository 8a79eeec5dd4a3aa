"""A classroom at once: N students each sending a drawing every 500 ms (/predict, or the pad).

    python bench/load.py [--students 30] [--seconds 60] [--pad] [--train] [--knee]

Starts the app on a free port (127.0.0.1 only) and runs one gradio_client per student in its
own thread; each uploads the same canvas-sized PNG of a drawn digit and waits for the ten
probabilities, then waits for its next 500 ms tick. --pad makes each student do instead what
the Draw tab's pad makes the browser do: send the strokes of a 4, then of a 1, in turn, through
the pad's change event (raw HTTP, one session per student) and wait for the result panel's
HTML. Prints throughput, p50/p95/p99 latency and errors next to the targets (30 students for
60 s: p95 <= 250 ms, no errors; with a training running at the same time: p95 <= 500 ms).
--train runs one /train call of 2000 iterations alongside; --knee steps the class size up and
reports the first size whose p95 exceeds 1 s. Both combine with --pad. --noop runs the class
against bench/noop_app.py, whose /predict reads nothing: what Gradio's own protocol allows.
Measuring starts once the app is idle (it loads drawings in the background after it answers).
The students run on the same machine as the app, so they share its cores; each run prints the
CPU used by the app, by the students and by everything else. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from app_fixtures import MODEL, pad_event, running_app, send_strokes  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

from digitpad.strokes import fit_to_canvas, render  # noqa: E402

PERIOD = 0.5  # seconds between a student's drawings
TARGET_P95 = 0.250
TARGET_P95_TRAINING = 0.500
KNEE_P95 = 1.0
KNEE_STEPS = (10, 20, 30, 45, 60, 80, 100, 130, 160)
SETTLE_CORES = 0.15  # the app counts as idle below this CPU use ...
SETTLE_WINDOW = 2.0  # ... over this many seconds
SETTLE_TIMEOUT = 120.0
REQUEST_TIMEOUT = 30.0  # a student gives up on an answer after this long
TRAIN_ARGS = (1e-3, 0.5, 2000, 128, "512-256-128", False, 0)  # the --train run
FOUR = [[[0.6, 0.0], [0.1, 0.65], [0.8, 0.65]], [[0.55, 0.3], [0.55, 1.0]]]
ONE = [[[0.5, 0.0], [0.5, 1.0]]]  # --pad alternates it with FOUR, so the answer changes


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


def app_pid(url: str) -> int:
    """The pid of this process's `python ... --port PORT` child, found in /proc."""
    port = str(urlparse(url).port)
    mine = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if parent == mine and port.encode() in argv:
            return int(proc.name)
    raise RuntimeError(f"no app child listening on port {port}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(url: str) -> float:
    """Wait until the app is idle (it loads drawings in the background after it answers);
    the seconds waited, at most SETTLE_TIMEOUT."""
    pid, began = app_pid(url), time.monotonic()
    while time.monotonic() - began < SETTLE_TIMEOUT:
        before = cpu_seconds(pid)
        time.sleep(SETTLE_WINDOW)
        if cpu_seconds(pid) - before < SETTLE_CORES * SETTLE_WINDOW:
            break
    return time.monotonic() - began


def own_cpu_seconds() -> float:
    """User plus system CPU time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine (all cores, not idle or waiting), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def canvas_png(folder: Path) -> Path:
    """A "4" as the drawing pad draws it, saved as a 400x400 PNG."""
    path = folder / "canvas.png"
    Image.fromarray(render(fit_to_canvas(FOUR))).save(path)
    return path


def connect(url: str, timeout: float = REQUEST_TIMEOUT) -> Client:
    """A gradio_client for the local app, without certificate checks.

    gradio_client makes a new httpx client for every request; with checks on, each one loads
    the CA bundle (about 50 ms of CPU), so on two cores the bench would time the students'
    own overhead. The app is plain http on 127.0.0.1: there is no certificate to check.
    """
    return Client(url, verbose=False, analytics_enabled=False, ssl_verify=False,
                  httpx_kwargs={"timeout": timeout})


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


def pad_drawings() -> list[list]:
    """The pad's values for a 4 and a 1: lists of [x, y] canvas pixels, to 0.1 px as sent."""
    return [[np.round(s, 1).tolist() for s in fit_to_canvas(shape)] for shape in (FOUR, ONE)]


@dataclass
class PadStudent:
    """Sends strokes through the pad's change event as the page does after each stroke: one
    POST that returns the answer (the event skips the queue: it is quick and needs no turn)."""

    url: str
    event: tuple[int, int]  # from pad_event
    drawings: list[list]
    session: str = field(default_factory=lambda: secrets.token_hex(8))
    sent: int = 0
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(verify=False, timeout=REQUEST_TIMEOUT))

    def draw(self) -> None:
        drawing = self.drawings[self.sent % len(self.drawings)]
        self.sent += 1
        answer = send_strokes(self.client, self.url, self.event, drawing, self.session)
        answer.raise_for_status()
        if "dp-winner" not in answer.json()["data"][0]:
            raise ValueError(f"no answer: {answer.text[:300]}")

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


def run_class(url: str, make: Callable[[], Student], students: int, seconds: float) -> Stats:
    """students threads drawing for seconds, staggered across one period.

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
    pid = app_pid(url)
    clock["start"] = time.monotonic() + 0.2
    clock["stop"] = clock["start"] + seconds
    ready.wait(timeout=120)
    app_cpu, own_cpu, machine_cpu = cpu_seconds(pid), own_cpu_seconds(), machine_cpu_seconds()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    stats.seconds = time.monotonic() - clock["start"]
    stats.app_cpu = cpu_seconds(pid) - app_cpu
    stats.students_cpu = own_cpu_seconds() - own_cpu
    stats.machine_cpu = machine_cpu_seconds() - machine_cpu
    return stats


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


def has_train(url: str) -> bool:
    """Whether the running app offers the /train API yet."""
    client = connect(url)
    try:
        return "/train" in client.view_api(print_info=False, return_format="dict")[
            "named_endpoints"]
    finally:
        client.close()


def train_alongside(url: str, outcome: dict) -> None:
    """One /train call (2000 iterations) while the class draws; its result or error into outcome."""
    client = connect(url, timeout=600)
    began = time.monotonic()
    try:
        outcome["result"] = client.predict(*TRAIN_ARGS, api_name="/train")
    except Exception as e:  # reported, not raised: the bench measures the class either way
        outcome["error"] = f"{type(e).__name__}: {e}"[:300]
    finally:
        outcome["seconds"] = time.monotonic() - began
        client.close()


def with_training(url: str, make: Callable[[], Student], students: int,
                  seconds: float) -> None:
    """The class drawing while one training runs; skipped if the app has no /train yet."""
    if not has_train(url):
        print("--train: this app has no /train endpoint yet; skipped")
        return
    outcome: dict = {}
    trainer = threading.Thread(target=train_alongside, args=(url, outcome), daemon=True)
    trainer.start()
    time.sleep(1.0)  # let the training get going before the class starts
    stats = run_class(url, make, students, seconds)
    print("with one training (2000 iterations of 512-256-128) running at the same time:")
    report(stats, TARGET_P95_TRAINING)
    trainer.join(timeout=600)
    if "error" in outcome:
        print(f"  training failed after {outcome['seconds']:.1f} s: {outcome['error']}")
    elif "result" in outcome:
        result = outcome["result"]
        print(f"  training took {outcome['seconds']:.1f} s (train_seconds="
              f"{result.get('train_seconds')}, test_accuracy={result.get('test_accuracy')})")
    else:
        print("  training still running after 600 s")


def knee(url: str, make: Callable[[], Student], seconds: float) -> None:
    """Grow the class step by step; the first size whose p95 exceeds KNEE_P95."""
    for students in KNEE_STEPS:
        stats = run_class(url, make, students, seconds)
        report(stats)
        if stats.p(95) > KNEE_P95 or stats.errors:
            print(f"knee: p95 > {1000 * KNEE_P95:.0f} ms or errors first at {students} students "
                  f"(p95={1000 * stats.p(95):.0f} ms, errors={len(stats.errors)})")
            return
    print(f"knee: p95 stayed <= {1000 * KNEE_P95:.0f} ms up to {KNEE_STEPS[-1]} students")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the class draws (each step of --knee: a third of it)")
    parser.add_argument("--pad", action="store_true",
                        help="draw through the pad's change event, as the page does")
    parser.add_argument("--train", action="store_true", help="one /train run at the same time")
    parser.add_argument("--knee", action="store_true", help="step the class size up")
    parser.add_argument("--noop", action="store_true",
                        help="against bench/noop_app.py: Gradio's own cost, no reading at all")
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args(argv)
    script = "bench/noop_app.py" if args.noop else "app.py"
    with (tempfile.TemporaryDirectory() as folder,
          running_app(args.model, script=script) as url):
        make = (partial(PadStudent, url, pad_event(url), pad_drawings()) if args.pad
                else partial(ApiStudent, url, canvas_png(Path(folder))))
        print(f"app idle after {settle(url):.0f} s")
        print("students draw on the pad (its change event)" if args.pad
              else "students upload a PNG to /predict"
              + (" of bench/noop_app.py, which reads nothing" if args.noop else ""))
        if args.knee:
            knee(url, make, max(10.0, args.seconds / 3))
        elif args.train:
            with_training(url, make, args.students, args.seconds)
        else:
            report(run_class(url, make, args.students, args.seconds), TARGET_P95)
    return 0


if __name__ == "__main__":
    sys.exit(main())
