"""Timing for the speed benches: medians of many calls, and their common flags."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


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
    from digitpad.model import SHIPPED_MODEL  # here, not above: it loads TensorFlow, which
    # bench.start_time, timing the app's start beside this process, must not
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--runs", type=int, default=200)
    return parser.parse_args()


def products_seconds(sizes: tuple[int, ...], batch: int, iterations: int) -> float:
    """Seconds of NumPy's float32 matrix products of a training step's shapes, over iterations:
    forward, weight gradients, and input gradients of all layers but the first (nothing needs
    the gradient of the pixels). The floor under any training of that network."""
    rng = np.random.default_rng(0)
    kernels = [rng.random((a, b), np.float32) for a, b in zip(sizes, sizes[1:], strict=False)]
    units = [rng.random((batch, size), np.float32) for size in sizes]
    start = time.perf_counter()
    for _ in range(iterations):
        for layer, kernel in enumerate(kernels):
            units[layer] @ kernel
            units[layer].T @ units[layer + 1]
            if layer:
                units[layer + 1] @ kernel.T
    return time.perf_counter() - start


def cpu_model() -> str:
    """The machine's CPU, as /proc/cpuinfo names it: every figure is printed beside it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def machine() -> str:
    """The line every bench prints first: the CPU it ran on and its cores."""
    return f"CPU: {cpu_model()}, {os.cpu_count()} cores"
