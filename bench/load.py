"""A classroom at once: N students each sending a drawing every 500 ms (/predict, the pad, or
the plain HTTP API).

    python -m bench.load [--students 30] [--seconds 60] [--pad | --rest [--runs 3]] [--train]
                         [--knee] [--nginx COPIES]

Starts the app on a free port (127.0.0.1 only) and runs one gradio_client per student in its
own thread; each uploads the same canvas-sized PNG of a drawn digit and waits for the ten
probabilities, then waits for its next 500 ms tick. --pad makes each student do instead what
the Draw tab's pad makes the browser do: send the strokes of a 4, then of a 1, in turn, to
/api/pad (one POST per stroke) and wait for the answer panels' HTML and the layers of the view
inside the network, as with that view open in every session (target p95 <= 100 ms). Prints
throughput, p50/p95/p99 latency and errors next to the targets (30 students for 60 s: p95 <=
250 ms, no errors; with a training running at the same time: p95 <= 500 ms).
--rest makes each student POST an 800x800 PNG of the drawn digit to /api/predict instead (plain
HTTP, one request, one answer: no upload, queue or event stream; target p95 <= 100 ms). As the
machine may be shared, each of --runs runs also measures the same class drawing strokes on
/api/pad just before, and prints the ratio of the two p95s; then the medians over the runs.
--train runs one /train call of 2000 iterations alongside; --knee steps the class size up and
reports the first size whose p95 exceeds 1 s. Both combine with --pad and --rest. --noop runs the
class against bench/noop_app.py, whose /predict reads nothing: what Gradio's own protocol allows.
--nginx COPIES runs that many copies of the app behind nginx (deploy/run_copies.py) and sends
the class through nginx; the app's CPU is then that of all the copies.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from deploy.processes import free_port
from deploy.run_copies import running_copies
from digitpad.strokes import fit_to_canvas, render
from tests.harness.classroom import (
    FOUR,
    ApiStudent,
    PadStudent,
    RestStudent,
    Stats,
    Student,
    pad_drawings,
    report,
    run_class,
)
from tests.harness.server import (
    MODEL,
    app_pid,
    connect,
    has_train,
    running_app,
    settle,
)
from tests.harness.timing import machine

TARGET_P95 = 0.250
TARGET_P95_REST = 0.100  # one plain request per drawing, no upload, queue or stream
TARGET_P95_PAD = 0.100  # the pad's answer with the view inside the network open
TARGET_P95_TRAINING = 0.500
KNEE_P95 = 1.0
KNEE_STEPS = (10, 20, 30, 45, 60, 80, 100, 130, 160, 200, 250)
TRAIN_ARGS = (1e-3, 0.5, 2000, 128, "512-256-128", False, 0)  # the --train run


REST_SIDE = 800  # pixels: the size of the PNG a --rest student sends, as a phone's photo might be


def canvas_png(folder: Path, scale: float = 1.0) -> Path:
    """A "4" as the drawing pad draws it, saved as a PNG of 400x400 pixels times scale."""
    path = folder / f"canvas-{scale:g}.png"
    Image.fromarray(render(fit_to_canvas(FOUR), scale=scale)).save(path)
    return path


def rest_against_pad(url: str, students: int, seconds: float, runs: int, folder: Path,
                     pids: list[int]) -> None:
    """The class POSTing 800x800 PNGs to /api/predict, each run just after the same class
    drawing strokes on /api/pad as the reference; medians over the runs, and of the ratios."""
    image = canvas_png(folder, REST_SIDE / 400).read_bytes()
    pads: list[Stats] = []
    images: list[Stats] = []
    for run in range(1, runs + 1):
        print(f"run {run} of {runs}: students draw strokes on the pad (/api/pad), the reference")
        pads.append(run_class(url, partial(PadStudent, url, pad_drawings()), students, seconds,
                              pids))
        report(pads[-1])
        print(f"run {run} of {runs}: students POST an {REST_SIDE}x{REST_SIDE} PNG to /api/predict")
        images.append(run_class(url, partial(RestStudent, url, image), students, seconds, pids))
        report(images[-1], TARGET_P95_REST)
    image_p95 = float(np.median([s.p(95) for s in images]))
    pad_p95 = float(np.median([s.p(95) for s in pads]))
    ratio = float(np.median([i.p(95) / p.p(95) for i, p in zip(images, pads, strict=True)]))
    print(f"medians of {runs} runs: images p95={1000 * image_p95:.0f} ms, strokes p95="
          f"{1000 * pad_p95:.0f} ms, images/strokes p95 ratio {ratio:.2f}")
    print(f"  target images p95 <= {1000 * TARGET_P95_REST:.0f} ms: "
          f"{'met' if image_p95 <= TARGET_P95_REST else 'NOT met'}; errors "
          f"{sum(len(s.errors) for s in images)} (target 0)")


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


def with_training(url: str, make: Callable[[], Student], students: int, seconds: float,
                  pids: list[int]) -> None:
    """The class drawing while one training runs; skipped if the app has no /train yet."""
    if not has_train(url):
        print("--train: this app has no /train endpoint yet; skipped")
        return
    outcome: dict = {}
    trainer = threading.Thread(target=train_alongside, args=(url, outcome), daemon=True)
    trainer.start()
    time.sleep(1.0)  # let the training get going before the class starts
    stats = run_class(url, make, students, seconds, pids)
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


def knee(url: str, make: Callable[[], Student], seconds: float, pids: list[int]) -> None:
    """Grow the class step by step; the first size whose p95 exceeds KNEE_P95."""
    for students in KNEE_STEPS:
        stats = run_class(url, make, students, seconds, pids)
        report(stats)
        if stats.p(95) > KNEE_P95 or stats.errors:
            print(f"knee: p95 > {1000 * KNEE_P95:.0f} ms or errors first at {students} students "
                  f"(p95={1000 * stats.p(95):.0f} ms, errors={len(stats.errors)})")
            return
    print(f"knee: p95 stayed <= {1000 * KNEE_P95:.0f} ms up to {KNEE_STEPS[-1]} students")


@contextmanager
def serving(args: argparse.Namespace) -> Iterator[tuple[str, list[int]]]:
    """The app, or --nginx copies of it behind nginx, once idle: the URL and the apps' pids."""
    if args.nginx:
        with running_copies(args.nginx, free_port(), ("--model", args.model)) as copies:
            waited = max(settle(url) for url in copies.copy_urls)
            print(f"{args.nginx} copies behind nginx, idle after {waited:.0f} s")
            yield copies.url, copies.pids
        return
    with running_app(args.model, script="bench/noop_app.py" if args.noop else "app.py") as url:
        print(f"app idle after {settle(url):.0f} s")
        yield url, [app_pid(url)]


def students(args: argparse.Namespace, url: str, folder: Path) -> Callable[[], Student]:
    """What makes one student of the kind asked for, and says which kind it is."""
    if args.pad:
        print("students draw on the pad (/api/pad)")
        return partial(PadStudent, url, pad_drawings())
    if args.rest:
        print(f"students POST an {REST_SIDE}x{REST_SIDE} PNG to /api/predict")
        return partial(RestStudent, url, canvas_png(folder, REST_SIDE / 400).read_bytes())
    print("students upload a PNG to /predict"
          + (" of bench/noop_app.py, which reads nothing" if args.noop else ""))
    return partial(ApiStudent, url, canvas_png(folder))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the class draws (each step of --knee: a third of it)")
    parser.add_argument("--pad", action="store_true",
                        help="draw through /api/pad, as the page does")
    parser.add_argument("--train", action="store_true", help="one /train run at the same time")
    parser.add_argument("--knee", action="store_true", help="step the class size up")
    parser.add_argument("--rest", action="store_true",
                        help="POST an 800x800 PNG to the plain HTTP API, /api/predict")
    parser.add_argument("--runs", type=int, default=3,
                        help="--rest alone: runs, each with the pad's strokes as reference")
    parser.add_argument("--noop", action="store_true",
                        help="against bench/noop_app.py: Gradio's own cost, no reading at all")
    parser.add_argument("--nginx", type=int, metavar="COPIES",
                        help="this many copies of the app behind nginx")
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args(argv)
    print(machine())
    with tempfile.TemporaryDirectory() as folder, serving(args) as (url, pids):
        if args.rest and not (args.knee or args.train):
            rest_against_pad(url, args.students, args.seconds, args.runs, Path(folder), pids)
            return 0
        make = students(args, url, Path(folder))
        if args.knee:
            knee(url, make, max(10.0, args.seconds / 3), pids)
        elif args.train:
            with_training(url, make, args.students, args.seconds, pids)
        else:
            target = (TARGET_P95_REST if args.rest else TARGET_P95_PAD if args.pad
                      else TARGET_P95)
            report(run_class(url, make, args.students, args.seconds, pids), target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
