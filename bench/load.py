"""A classroom at once: N students each sending a drawing every 500 ms (/predict, or the pad).

    python -m bench.load [--students 30] [--seconds 60] [--pad] [--train] [--knee]

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
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image

from digitpad.harness.classroom import (
    FOUR,
    ApiStudent,
    PadStudent,
    Student,
    pad_drawings,
    report,
    run_class,
)
from digitpad.harness.server import MODEL, connect, has_train, pad_event, running_app, settle
from digitpad.strokes import fit_to_canvas, render

TARGET_P95 = 0.250
TARGET_P95_TRAINING = 0.500
KNEE_P95 = 1.0
KNEE_STEPS = (10, 20, 30, 45, 60, 80, 100, 130, 160)
TRAIN_ARGS = (1e-3, 0.5, 2000, 128, "512-256-128", False, 0)  # the --train run


def canvas_png(folder: Path) -> Path:
    """A "4" as the drawing pad draws it, saved as a 400x400 PNG."""
    path = folder / "canvas.png"
    Image.fromarray(render(fit_to_canvas(FOUR))).save(path)
    return path


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
