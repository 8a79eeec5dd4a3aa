"""A whole class presses Train in the same minute, while others draw on the pad.

    python -m bench.class_train [--people 30] [--drawers 10] [--pad-seconds 150]
                                [--stoppers 0] [--train-workers N] [--no-reference]

Starts the app on a free port and has each person press Train within 5 s of the others, through
the Train button's own event (join the queue, read its event stream), each in their own session,
then, as the page does, the event that follows it (the runs' table, the download, the mistakes).
Settings are mixed: learning rates from 1e-4 to 1e-2, dropout from 0 to 0.5, 1000 iterations of
128, mostly 512-256-128 with some softmax regressions and 1500-unit networks. Meanwhile
--drawers people draw on the pad every 500 ms, and --stoppers of the people (every third, from
the first) press Stop STOP_AFTER seconds after their first curve point. Prints, per person, the
time from pressing Train to the first moving curve and to the finished result; the p95 of the
first, the median and last of the second, the last as a multiple of the class's floor; the
pad's latency; the CPU time of the training workers and of the app; their memory, idle and at
its peak (sampled each second); and, unless --no-reference, the same runs one after another in
this process.

The class's floor, measured in the same run once the class is over: for each run, NumPy's
one-core float32 products of its step's shapes (forward and backward) over the iterations it
trained, a sample of SAMPLE iterations timed and scaled up; summed over the runs; divided by the
cores the workers may use. Targets: last finish <= 1.6x the floor (aim 1.3x), median finish
<= 0.6x the last, first curve p95 <= 3 s, pad p95 <= 100 ms.
Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial

import httpx
import numpy as np

from digitpad.data import load_mnist
from digitpad.sessions import DEFAULT_NETWORK, NETWORKS, app_config
from digitpad.training import train
from tests.harness.classroom import PadStudent, pad_drawings, report, run_class
from tests.harness.server import (
    app_pid,
    cpu_seconds,
    page_event,
    queued_event,
    resident_mb,
    running_app,
    settle,
    then_event,
)
from tests.harness.timing import machine, products_seconds

SPREAD = 5.0  # seconds over which the class presses Train
ITERATIONS, BATCH = 1000, 128
TARGET_FIRST_P95, TARGET_PAD_P95 = 3.0, 0.100
TARGET_LAST, AIM_LAST, TARGET_MEDIAN = 1.6, 1.3, 0.6  # x the floor, x the floor, x the last
SAMPLE = 50  # iterations of each run timed for the floor
STOP_AFTER = 5.0  # seconds after their first curve point that the stoppers press Stop
ONE_CORE = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DONE = re.compile(r'data-done="(\d+)"')
RUNS_OVER = "the class's runs are over after"  # bench.worker_profile stops sampling here


@dataclass
class Person:
    """One person's settings and what they saw."""

    rate_exponent: float
    dropout: float
    network: str
    stops: bool = False
    done: int = 0  # iterations, as the last panel said
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


def press_stop(url: str, event: tuple[int, int], session: str) -> None:
    """Press the session's Stop, as the page does (not queued)."""
    fn_index, trigger = event
    httpx.post(url + "gradio_api/run/predict", timeout=30, json={
        "data": [None], "fn_index": fn_index, "trigger_id": trigger, "session_hash": session,
        "event_data": None}).raise_for_status()


def press_train(url: str, events: dict[str, tuple[int, int]], person: Person,
                delay: float) -> None:
    """Wait delay seconds, press Train with the person's settings, follow the stream; a
    stopper presses Stop STOP_AFTER seconds after the first curve point."""
    time.sleep(delay)
    data = [None, [], person.rate_exponent, person.dropout, ITERATIONS, BATCH, person.network,
            False, 0, False, False]
    session = secrets.token_hex(8)
    with httpx.Client(timeout=30) as client:
        person.pressed = time.monotonic()
        for kind, outputs in queued_event(client, url, events["train"], data, session):
            progress = outputs[0] if outputs and isinstance(outputs[0], str) else ""
            found = DONE.search(progress)
            person.done = int(found.group(1)) if found else person.done
            if person.done > 0 and person.first_curve is None:
                person.first_curve = time.monotonic() - person.pressed
                if person.stops:
                    threading.Timer(STOP_AFTER, press_stop,
                                    (url, events["stop"], session)).start()
            if kind == "process_completed":
                person.finished = time.monotonic() - person.pressed
                status = outputs[1] if outputs and isinstance(outputs[1], str) else ""
                if "dp-scores" not in status:
                    person.problem = re.sub(r"<[^>]+>", "", status)[:120] or "no result"
        for _ in queued_event(client, url, events["after train"], [None], session):
            pass  # the page then shows the runs' table, the download and where the run fails


def reference(people: list[Person]) -> list[float]:
    """The same runs one after another in this process: each one's finish time."""
    data, finishes, began = load_mnist(), [], time.monotonic()
    for person in people:
        train(app_config(10.0 ** person.rate_exponent, person.dropout, ITERATIONS, BATCH,
                         person.network, False, 0), data)
        finishes.append(time.monotonic() - began)
    return finishes


def floor_seconds(people: list[Person]) -> float:
    """One core's NumPy products of every run's step shapes over the iterations it trained, in
    a process whose NumPy is held to one thread."""
    runs = [(NETWORKS[person.network], person.done or ITERATIONS) for person in people]
    env = {**os.environ, **dict.fromkeys(ONE_CORE, "1")}
    done = subprocess.run([sys.executable, "-m", "bench.class_train", "--floor-of",
                           json.dumps(runs)], env=env, check=True, capture_output=True,
                          text=True)
    return float(done.stdout.splitlines()[-1])


def one_core_floor(runs: list[tuple[list[int], int]]) -> float:
    """floor_seconds' work, in its own process: a sample of each run's iterations, scaled."""
    products_seconds((784, 512, 10), BATCH, SAMPLE)  # warm NumPy up
    return sum(products_seconds((784, *hidden, 10), BATCH, SAMPLE) * iterations / SAMPLE
               for hidden, iterations in runs)


def workers_cores(train_workers: int | None) -> int:
    """The cores the app's training workers may use: --train-workers (default: a worker per
    core, at most 4) of cores // workers threads each, at most the machine's cores."""
    cores = os.cpu_count() or 1
    workers = train_workers or min(cores, 4)
    return min(cores, workers * max(1, cores // workers))


def sample_memory(pid: int, until: threading.Event, samples: list[float]) -> None:
    """The app's and its workers' resident MB, once a second until told to stop."""
    while not until.wait(1.0):
        samples.append(resident_mb(pid))


def verdict(figure: float, target: float) -> str:
    return "met" if figure <= target else "not met"


def finishes_report(people: list[Person], floor: float) -> None:
    """The first curves' p95, and the finishes as multiples of the class's floor."""
    firsts = [p.first_curve for p in people if p.first_curve is not None]
    finishes = [p.finished for p in people if p.finished is not None and not p.problem]
    first = float(np.percentile(firsts, 95)) if firsts else float("inf")
    median, last = (float(np.median(finishes)), max(finishes)) if finishes else (np.inf, np.inf)
    print(f"first curve p95 {first:.1f} s (target <= {TARGET_FIRST_P95:.0f} s: "
          f"{verdict(first, TARGET_FIRST_P95)})")
    print(f"last finish {last:.1f} s = {last / floor:.2f}x the floor (target <= "
          f"{TARGET_LAST}x: {verdict(last / floor, TARGET_LAST)}; aim {AIM_LAST}x)")
    print(f"median finish {median:.1f} s = {median / floor:.2f}x the floor = "
          f"{median / last:.2f}x the last (target <= {TARGET_MEDIAN}x the last: "
          f"{verdict(median / last, TARGET_MEDIAN)})")
    print(f"finished with a result: {len(finishes)} of {len(people)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--drawers", type=int, default=10)
    parser.add_argument("--pad-seconds", type=float, default=150.0,
                        help="how long the drawers draw, from the first press of Train")
    parser.add_argument("--stoppers", type=int, default=0,
                        help="how many people press Stop soon after their first curve point")
    parser.add_argument("--train-workers", type=int, help="the app's --train-workers")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the one-after-another reference")
    parser.add_argument("--floor-of", help="time the floor of these networks (JSON) and print "
                                           "it (used by the bench itself)")
    return parser.parse_args(argv)


def run_the_class(url: str, people: list[Person], args: argparse.Namespace) -> dict:
    """Everyone presses Train while the drawers draw; what the app and its workers used."""
    events = {name: page_event(url, name, "click") for name in ("train", "stop")}
    events["after train"] = then_event(url, events["train"])
    pid, memory, sampling = app_pid(url), [], threading.Event()
    idle_mb = resident_mb(pid)
    threading.Thread(target=sample_memory, args=(pid, sampling, memory), daemon=True).start()
    delays = np.random.default_rng(1).uniform(0, SPREAD, len(people))
    threads = [threading.Thread(target=press_train, args=(url, events, p, d), daemon=True)
               for p, d in zip(people, delays, strict=True)]
    workers_cpu, all_cpu, began = cpu_seconds(pid, True), cpu_seconds(pid), time.monotonic()
    for thread in threads:
        thread.start()
    drawers, pad = partial(PadStudent, url, pad_drawings()), {}
    drawing = threading.Thread(target=lambda: pad.update(stats=run_class(
        url, drawers, args.drawers, args.pad_seconds)), daemon=True)
    if args.drawers:
        drawing.start()
    for thread in threads:
        thread.join(timeout=600)
    print(f"{RUNS_OVER} {time.monotonic() - began:.0f} s", flush=True)
    workers_cpu = cpu_seconds(pid, True) - workers_cpu
    app_cpu = cpu_seconds(pid) - all_cpu - workers_cpu
    seconds = time.monotonic() - began
    if args.drawers:
        drawing.join()
    sampling.set()
    return {"pad": pad.get("stats"), "idle_mb": idle_mb, "peak_mb": max(memory, default=idle_mb),
            "workers_cpu": workers_cpu, "app_cpu": app_cpu, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.floor_of:
        print(one_core_floor(json.loads(args.floor_of)))
        return 0
    print(machine())
    people = class_settings(args.people)
    for person in people[::3][:args.stoppers]:
        person.stops = True
    extra = ("--train-workers", str(args.train_workers)) if args.train_workers else ()
    with running_app(args=extra) as url:
        print(f"app idle after {settle(url):.0f} s; {args.people} people press Train within "
              f"{SPREAD:.0f} s, {args.drawers} others draw")
        used = run_the_class(url, people, args)
    cores = workers_cores(args.train_workers)
    one_core = floor_seconds(people)
    for i, person in enumerate(people):
        print(f"person {i + 1:2d} {person.network:>24} lr 1e{person.rate_exponent:+.1f} "
              f"dropout {person.dropout:.2f}: first curve {person.first_curve or float('nan'):5.1f}"
              f" s, finished {person.finished or float('nan'):6.1f} s"
              + (f", stopped at {person.done}" if person.stops else "")
              + (f" ({person.problem})" if person.problem else ""))
    print(f"the class's floor: {one_core / cores:.1f} s ({one_core:.1f} s of one core's NumPy "
          f"products of the runs' step shapes, over the {cores} cores the workers may use)")
    finishes_report(people, one_core / cores)
    seconds = used["seconds"]
    print(f"CPU until the runs were over, {seconds:.0f} s: training workers "
          f"{used['workers_cpu']:.0f} s "
          f"({used['workers_cpu'] / seconds:.2f} cores; {used['workers_cpu'] / one_core:.2f}x "
          f"the floor's), the app {used['app_cpu']:.0f} s ({used['app_cpu'] / seconds:.2f} "
          "cores)")
    print(f"memory of the app and its training workers: {used['idle_mb']:.0f} MB idle, "
          f"peak {used['peak_mb']:.0f} MB while the class trained")
    if used["pad"] is not None:
        print(f"the pad, for the first {args.pad_seconds:.0f} s:")
        report(used["pad"], TARGET_PAD_P95)
    if not args.no_reference:
        alone = reference(people)
        print(f"reference, one after another in one process: median finish "
              f"{np.median(alone):.1f} s, last {alone[-1]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
