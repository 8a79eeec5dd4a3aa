"""Timing for the speed benches: medians of many calls, and their common flags."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digitpad.model import SHIPPED_MODEL


def median_ms(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of fn over runs calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def speed_args(description: str) -> argparse.Namespace:
    """The speed benches' flags: which model, how many timed calls."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


def cpu_model() -> str:
    """The machine's CPU, as /proc/cpuinfo names it: every figure is printed beside it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def machine() -> str:
    """The line every bench prints first: the CPU it ran on and its cores."""
    return f"CPU: {cpu_model()}, {os.cpu_count()} cores"
