"""A whole class presses Train in the same minute, while others draw on the pad.

    python -m bench.class_train [--people 30] [--drawers 10] [--pad-seconds 150]
                                [--train-workers N] [--no-reference]

Starts the app on a free port and has each person press Train within 5 s of the others, through
the Train button's own event (join the queue, read its event stream), each in their own session.
Settings are mixed: learning rates from 1e-4 to 1e-2, dropout from 0 to 0.5, 1000 iterations of
128, mostly 512-256-128 with some softmax regressions and 1500-unit networks. Meanwhile
--drawers people draw on the pad every 500 ms. Prints, per person, the time from pressing Train
to the first moving curve and to the finished result; the p95 of the first, the median and last
of the second; the pad's latency; the memory of the app and its training workers, idle and at
its peak while the class trains (sampled each second); and, as the reference, the same runs one
after another in this process. Targets: first curve p95 <= 3 s, median finish <= 80 s, last <=
150 s, pad p95 <= 250 ms.
Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import re
import secrets
import threading
import time
from dataclasses import dataclass
from functools import partial

import httpx
import numpy as np

from digitpad.data import load_mnist
from digitpad.sessions import DEFAULT_NETWORK, app_config
from digitpad.training import train
from tests.harness.classroom import PadStudent, pad_drawings, report, run_class
from tests.harness.server import (
    app_pid,
    page_event,
    queued_event,
    resident_mb,
    running_app,
    settle,
)
from tests.harness.timing import machine

SPREAD = 5.0  # seconds over which the class presses Train
ITERATIONS, BATCH = 1000, 128
TARGET_FIRST_P95, TARGET_MEDIAN, TARGET_LAST, TARGET_PAD_P95 = 3.0, 80.0, 150.0, 0.250
DONE = re.compile(r'data-done="(\d+)"')


@dataclass
class Person:
    """One person's settings and what they saw."""

    rate_exponent: float
    dropout: float
    network: str
    pressed: float = 0.0
    first_curve: float | None = None
    finished: float | None = None
    problem: str | None = None


def class_settings(people: int, seed: int = 0) -> list[Person]:
    """Mixed settings: rates 1e-4 to 1e-2, dropout 0 to 0.5, a tenth each of the other nets."""
    rng = np.random.default_rng(seed)
    networks = [DEFAULT_NETWORK] * people
    for i in range(0, people, 10):
        networks[i] = "softmax regression"
        if i + 5 < people:
            networks[i + 5] = "one hidden layer of 1500"
    return [Person(round(float(rng.uniform(-4, -2)), 1), round(float(rng.uniform(0, 0.5)), 2),
                   network) for network in networks]


def press_train(url: str, event: tuple[int, int], person: Person, delay: float) -> None:
    """Wait delay seconds, press Train with the person's settings, follow the stream."""
    time.sleep(delay)
    data = [None, [], person.rate_exponent, person.dropout, ITERATIONS, BATCH, person.network,
            False, 0, False]
    with httpx.Client(timeout=30) as client:
        person.pressed = time.monotonic()
        for kind, outputs in queued_event(client, url, event, data, secrets.token_hex(8)):
            progress = outputs[0] if outputs and isinstance(outputs[0], str) else ""
            found = DONE.search(progress)
            if found and int(found.group(1)) > 0 and person.first_curve is None:
                person.first_curve = time.monotonic() - person.pressed
            if kind == "process_completed":
                person.finished = time.monotonic() - person.pressed
                status = outputs[1] if outputs and isinstance(outputs[1], str) else ""
                if "dp-scores" not in status:
                    person.problem = re.sub(r"<[^>]+>", "", status)[:120] or "no result"


def reference(people: list[Person]) -> list[float]:
    """The same runs one after another in this process: each one's finish time."""
    data, finishes, began = load_mnist(), [], time.monotonic()
    for person in people:
        train(app_config(10.0 ** person.rate_exponent, person.dropout, ITERATIONS, BATCH,
                         person.network, False, 0), data)
        finishes.append(time.monotonic() - began)
    return finishes


def sample_memory(pid: int, until: threading.Event, samples: list[float]) -> None:
    """The app's and its workers' resident MB, once a second until told to stop."""
    while not until.wait(1.0):
        samples.append(resident_mb(pid))


def summary(name: str, values: list[float], target: float, q: float) -> str:
    figure = float(np.percentile(values, q)) if values else float("inf")
    verdict = "met" if figure <= target else "not met"
    return f"{name} {figure:.1f} s (target <= {target:.0f} s: {verdict})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--drawers", type=int, default=10)
    parser.add_argument("--pad-seconds", type=float, default=150.0,
                        help="how long the drawers draw, from the first press of Train")
    parser.add_argument("--train-workers", type=int, help="the app's --train-workers")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the one-after-another reference")
    args = parser.parse_args(argv)
    print(machine())
    people = class_settings(args.people)
    extra = ("--train-workers", str(args.train_workers)) if args.train_workers else ()
    with running_app(args=extra) as url:
        print(f"app idle after {settle(url):.0f} s; {args.people} people press Train within "
              f"{SPREAD:.0f} s, {args.drawers} others draw")
        event = page_event(url, "train", "click")
        pid, memory, sampling = app_pid(url), [], threading.Event()
        idle_mb = resident_mb(pid)
        threading.Thread(target=sample_memory, args=(pid, sampling, memory), daemon=True).start()
        delays = np.random.default_rng(1).uniform(0, SPREAD, len(people))
        threads = [threading.Thread(target=press_train, args=(url, event, p, d), daemon=True)
                   for p, d in zip(people, delays, strict=True)]
        for thread in threads:
            thread.start()
        drawers = partial(PadStudent, url, pad_drawings())
        pad = run_class(url, drawers, args.drawers, args.pad_seconds) if args.drawers else None
        for thread in threads:
            thread.join(timeout=600)
        sampling.set()
    for i, person in enumerate(people):
        print(f"person {i + 1:2d} {person.network:>24} lr 1e{person.rate_exponent:+.1f} "
              f"dropout {person.dropout:.2f}: first curve {person.first_curve or float('nan'):5.1f}"
              f" s, finished {person.finished or float('nan'):6.1f} s"
              + (f" ({person.problem})" if person.problem else ""))
    firsts = [p.first_curve for p in people if p.first_curve is not None]
    finishes = [p.finished for p in people if p.finished is not None and not p.problem]
    print(summary("first curve p95", firsts, TARGET_FIRST_P95, 95))
    print(summary("finish median", finishes, TARGET_MEDIAN, 50))
    print(summary("last finish", finishes, TARGET_LAST, 100))
    print(f"finished with a result: {len(finishes)} of {len(people)}")
    print(f"memory of the app and its training workers: {idle_mb:.0f} MB idle, "
          f"peak {max(memory, default=idle_mb):.0f} MB while the class trained")
    if pad is not None:
        print(f"the pad, for the first {args.pad_seconds:.0f} s:")
        report(pad, TARGET_PAD_P95)
    if not args.no_reference:
        alone = reference(people)
        print(f"reference, one after another in one process: median finish "
              f"{np.median(alone):.1f} s, last {alone[-1]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
