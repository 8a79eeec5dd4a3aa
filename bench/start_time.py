"""How long the app takes to start, against the floor of any start: a fresh Python importing
TensorFlow and Gradio, timed in the same run.

    python -m bench.start_time [--runs 5]

Prints, as medians over the runs, the seconds until the terminal says the page is ready and
until it says training is ready, each also as a multiple of the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from deploy.processes import free_port
from tests.harness.server import REPO
from tests.harness.timing import machine

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "GRADIO_ANALYTICS_ENABLED": "False",
       "PYTHONUNBUFFERED": "1"}
FLOOR = "from digitpad.quiet import import_tensorflow_quietly; import_tensorflow_quietly(); " \
        "import gradio"
PAGE_READY, TRAINING_READY = "digitpad is ready", "Training ready."


def floor_seconds() -> float:
    """A fresh interpreter importing what every start imports."""
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", FLOOR], cwd=REPO, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - began


def start_seconds() -> tuple[float, float]:
    """Seconds from `python app.py` to the page being ready, and to training being ready."""
    began = time.monotonic()
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(free_port()), "--db", ""],
                           cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
    page = None
    try:
        for line in app.stdout:
            if line.startswith(PAGE_READY):
                page = time.monotonic() - began
            if line.startswith(TRAINING_READY):
                return page, time.monotonic() - began
        raise SystemExit("the app ended before saying training is ready")
    finally:
        app.terminate()
        app.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(machine())
    floors, pages, trainings = [], [], []
    for _ in range(runs):  # taken in turns, so a change in the machine's speed touches all three
        floors.append(floor_seconds())
        page, training = start_seconds()
        pages.append(page)
        trainings.append(training)
    floor = statistics.median(floors)
    print(f"floor (import TensorFlow and Gradio): {floor:.2f} s")
    for name, times in (("page ready", pages), ("training ready", trainings)):
        median = statistics.median(times)
        print(f"{name}: {median:.2f} s = {median / floor:.2f}x the floor "
              f"(runs: {', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    main()
