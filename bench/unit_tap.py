"""How fast a tap on a unit of the view inside the network answers, while a class draws.

    python -m bench.unit_tap [--students 30] [--tappers 5] [--seconds 30] [--runs 3]

Starts the app on a free port (127.0.0.1 only), waits until it is idle, then in each run:
the tappers alone, each tapping a random unit of a random layer every 500 ms (/api/unit: its
weights and nine top digits), as the reference; then the same tappers while --students draw on
the pad with the view open (bench.load --pad's students, a stroke every 500 ms each). Prints
each run's p50/p95 of taps and strokes, the medians over the runs, the taps' p95 with the
class as a ratio of their p95 alone, and the targets: a tap p95 <= 150 ms, a stroke p95 <=
100 ms, with the class drawing. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from functools import partial

from tests.harness.classroom import (
    PadStudent,
    Stats,
    TapStudent,
    pad_drawings,
    report,
    run_class,
    unit_counts,
)
from tests.harness.server import app_pid, running_app, settle
from tests.harness.timing import machine

TARGET_TAP_P95 = 0.150
TARGET_PAD_P95 = 0.100
START_TIMEOUT = 300  # seconds for the app to answer on a busy machine


def tappers(url: str, units: list[int]):
    """What makes one tapper, each with its own random units."""
    count = iter(range(10_000))
    return lambda: TapStudent(url, units, seed=next(count))


def one_run(url: str, args: argparse.Namespace, pids: list[int]) -> tuple[Stats, Stats, Stats]:
    """Taps alone, then taps and strokes together."""
    units = unit_counts(url)
    alone = run_class(url, tappers(url, units), args.tappers, args.seconds, pids)
    drawn: dict[str, Stats] = {}
    drawing = threading.Thread(target=lambda: drawn.setdefault("pad", run_class(
        url, partial(PadStudent, url, pad_drawings()), args.students, args.seconds, pids)))
    drawing.start()
    with_class = run_class(url, tappers(url, units), args.tappers, args.seconds, pids)
    drawing.join()
    return alone, with_class, drawn["pad"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--tappers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(machine())
    with running_app(timeout=START_TIMEOUT) as url:
        print(f"app idle after {settle(url):.0f} s")
        pids = [app_pid(url)]
        runs = []
        for number in range(1, args.runs + 1):
            alone, with_class, pad = one_run(url, args, pids)
            print(f"run {number}: taps alone (reference):")
            report(alone)
            print(f"run {number}: taps while {args.students} students draw:")
            report(with_class, TARGET_TAP_P95)
            print(f"run {number}: the students' strokes, view open:")
            report(pad, TARGET_PAD_P95)
            runs.append((alone.p(95), with_class.p(95), pad.p(95)))
    alone, tapped, drawn = (statistics.median(column) for column in zip(*runs, strict=True))
    print(f"median of {args.runs} runs: tap p95 alone {1000 * alone:.0f} ms, with the class "
          f"{1000 * tapped:.0f} ms ({tapped / alone:.1f} times; target <= "
          f"{1000 * TARGET_TAP_P95:.0f} ms: {'met' if tapped <= TARGET_TAP_P95 else 'NOT met'}); "
          f"stroke p95 {1000 * drawn:.0f} ms (target <= {1000 * TARGET_PAD_P95:.0f} ms: "
          f"{'met' if drawn <= TARGET_PAD_P95 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
