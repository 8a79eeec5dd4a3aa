"""Timing for the speed benches: medians of many calls, and their common flags."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

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
