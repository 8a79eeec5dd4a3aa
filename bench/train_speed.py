"""Training speed of seed 000's default run: 1000 iterations of 128, the 784-512-256-128-10 MLP.

    python bench/train_speed.py [--runs 5] [--data-dir DIR] [--no-fit]

Prints the median train_seconds of digitpad.training.train over several runs and samples/s,
beside two references measured in the same run: the pure arithmetic of those steps at this
machine's NumPy float32 matmul speed, and plain Keras `model.fit` on the same 1000 x 128.
Target: median <= 3.0 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402

from digitpad.data import load_mnist  # noqa: E402
from digitpad.model import build_mlp  # noqa: E402
from digitpad.training import TrainConfig, train  # noqa: E402

SIZES = (784, *TrainConfig().hidden, 10)


def step_flops(batch: int) -> float:
    """Multiply-adds x2 of one step: forward, weight gradients, and input gradients of all
    layers but the first (nothing needs the gradient of the pixels)."""
    pairs = [a * b for a, b in zip(SIZES, SIZES[1:], strict=False)]
    return 2.0 * batch * (3 * sum(pairs) - pairs[0])


def matmul_gflops(batch: int, seconds: float = 2.0) -> float:
    """NumPy float32 matmul speed on the first layer's shape, the arithmetic's best case."""
    a = np.random.rand(batch, SIZES[0]).astype(np.float32)
    b = np.random.rand(SIZES[0], SIZES[1]).astype(np.float32)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2.0 * batch * SIZES[0] * SIZES[1] * count / (time.perf_counter() - start) / 1e9


def keras_fit_seconds(data, config: TrainConfig) -> float:
    """Wall time of plain `model.fit` for the same steps: same MLP, Adam, batch, count."""
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config.hidden, config.dropout)
    model.compile(keras.optimizers.Adam(config.learning_rate),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    samples = config.iterations * config.batch_size
    x = data.x_train[:samples].astype(np.float32) / 255.0
    y = data.y_train[:samples]
    start = time.perf_counter()
    model.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir")
    parser.add_argument("--no-fit", action="store_true", help="skip the model.fit reference")
    args = parser.parse_args()
    config = TrainConfig()
    gflops = matmul_gflops(config.batch_size)
    data = load_mnist(args.data_dir)
    train(TrainConfig(iterations=20), data)  # warm up TensorFlow's kernels and thread pools
    seconds = [train(config, data).train_seconds for _ in range(args.runs)]
    median = float(np.median(seconds))
    samples = config.iterations * config.batch_size
    arithmetic = config.iterations * step_flops(config.batch_size) / (gflops * 1e9)
    print(f"train(): {config.iterations} iterations x {config.batch_size}, runs "
          + " ".join(f"{s:.2f}" for s in seconds))
    print(f"train() median: {median:.2f} s, {samples / median:,.0f} samples/s (target <= 3.0 s)")
    print(f"arithmetic: {step_flops(config.batch_size) / 1e9:.3f} GFLOP/step at {gflops:.0f} "
          f"GFLOP/s (NumPy matmul, now) = {arithmetic:.2f} s; train() takes "
          f"{median / arithmetic:.2f}x that")
    if not args.no_fit:
        fit = keras_fit_seconds(data, config)
        print(f"keras model.fit: {fit:.2f} s, {samples / fit:,.0f} samples/s; "
              f"fit / train() = {fit / median:.2f}")


if __name__ == "__main__":
    main()
