"""Where one training worker's time goes while a class trains, from py-spy's samples of it.

    python -m bench.worker_profile [--py-spy PATH] [--rate 20] [class_train's flags]

Runs `python -m bench.class_train --no-reference` (and the flags given), attaches py-spy
(requirements-dev.txt) to the app's first training worker as the class presses Train, samples
every thread of it, waiting or not, until the class's runs are over, and sorts each sample of a
run's thread by what it was doing: training steps, the curve's validation digits at each
report, scoring a finished run, starting a run (its model, Adam's slots, its minibatch source,
a first trace of a shape), Python between steps, sending to the app. Samples of a run waiting
for its turn are not counted; the worker is waiting on the app for the rest of the time, when
no run computes.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.class_train import RUNS_OVER
from tests.harness.timing import machine

KINDS = (  # the first whose marks a sample's stack holds names it
    ("scoring a finished run", ("score (",)),
    ("the curve's validation digits", ("accuracy (",)),
    ("starting a run: model, Adam, digits, trace", (
        "build_mlp (", "make_adam (", "step_settings (", "mix_in (", "training_digits (",
        "func_graph_from_py_func (")),
    ("training steps", ("polymorphic_function.py",)),
    ("Python between steps", ("train (",)),
)
SENDING = "sending to the app (pickling, the pipe)"


def kind_of(stack: str) -> str | None:
    """What one of a worker's threads was doing in one sample; None when it waited (for its
    turn, for a message, for something to send) or is the main thread, which only listens."""
    thread, *frames = stack.split(";")
    if "MainThread" in thread or not frames or frames[-1].startswith("wait ("):
        return None
    if "QueueFeederThread" in thread:
        return SENDING
    if "take (" in stack:
        return None
    for kind, marks in KINDS:
        if any(mark in stack for mark in marks):
            return kind
    return SENDING if "Outcome" in stack or "send (" in stack else "other"


def breakdown(samples: Path) -> tuple[Counter, int]:
    """Samples of each kind in py-spy's raw output (one stack and its count a line), and all
    the samples taken (the main thread's: it is sampled at every tick)."""
    kinds: Counter = Counter()
    ticks = 0
    for line in samples.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        ticks += int(count) if "MainThread" in stack.split(";")[0] else 0
        kind = kind_of(stack)
        if kind is not None:
            kinds[kind] += int(count)
    return kinds, ticks


def first_worker(parent: int, timeout: float = 300) -> int:
    """The pid of the first training worker under parent (the class bench and its app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                command = entry.read_bytes()
                ancestors = lineage(int(entry.parent.name))
            except (OSError, ValueError):
                continue
            if b"--multiprocessing-fork" in command and parent in ancestors:
                return int(entry.parent.name)
        time.sleep(0.5)
    raise TimeoutError("no training worker started")


def lineage(pid: int) -> list[int]:
    """A process's parent, grandparent and so on."""
    parents = []
    while pid > 1:
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        parents.append(pid)
    return parents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--rate", type=int, default=20, help="samples a second")
    args, class_flags = parser.parse_known_args()
    print(machine())
    bench = subprocess.Popen([sys.executable, "-m", "bench.class_train", "--no-reference",
                              *class_flags], stdout=subprocess.PIPE, text=True)
    worker = first_worker(bench.pid)
    samples = Path(tempfile.mkdtemp(prefix="worker-profile-")) / "samples.txt"
    for line in bench.stdout:
        print(line, end="", flush=True)
        if line.startswith("app idle after"):  # the class presses Train now
            break
    spy = subprocess.Popen([args.py_spy, "record", "--pid", str(worker), "--idle", "--threads",
                            "--nonblocking", "--format", "raw", "--rate", str(args.rate),
                            "-o", str(samples)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for line in bench.stdout:
        print(line, end="", flush=True)
        if line.startswith(RUNS_OVER):
            spy.send_signal(signal.SIGINT)  # it writes what it sampled and ends
    bench.wait()
    spy.wait()
    kinds, ticks = breakdown(samples)
    print(f"one training worker, from the first press of Train until every run was over "
          f"({ticks / args.rate:.0f} s), {args.rate} samples a second:")
    for kind, count in kinds.most_common():
        print(f"  {kind:45s} {count / ticks:6.1%}  ({count / args.rate:5.1f} s)")
    computing = sum(kinds[kind] for kind, _ in KINDS) + kinds["other"]
    print(f"  {'no run computing: waiting on the app':45s} {1 - computing / ticks:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
