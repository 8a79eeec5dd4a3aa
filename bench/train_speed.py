"""Training speed of the tutorial's run: 1000 iterations of 128, the 784-512-256-128-10 MLP.

    python -m bench.train_speed [--runs 3] [--data-dir DIR] [--fit]

Times, --runs times in turn, so that load from elsewhere on the machine falls on all of them alike,
and prints the median of each:
- the first run in a fresh process, as `python train.py` gives it: a new Python process that loads
  MNIST and times train(TrainConfig()), its compiled steps on disk from an earlier process (once
  before, with none on disk: the compile included);
- a warm run: train(TrainConfig(), data) in this process after one untimed run of the shape;
- the reference: the tutorial's TF1 graph (tf.compat.v1, the same layers with the ReLUs this
  project adds, dropout 0.5, Adam 1e-4, feed_dict minibatches of 128 from the same 55,000
  digits), timed whole and its loop alone;
- the floor: NumPy float32 products of the step's matrix shapes, forward and backward;
- with --fit, once: plain Keras `model.fit` over the same 1000 x 128.
Each run is printed as a ratio to the TF1 graph's median time in the same run, with the CPU.
Targets: the first run in a fresh process at least 1.3x the TF1 graph's speed, a warm run 1.8x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

from digitpad.compile_cache import CACHE_ENV
from digitpad.data import load_mnist
from digitpad.model import build_mlp
from digitpad.training import TrainConfig, train
from tests.harness.timing import machine, products_seconds

SIZES = (784, *TrainConfig().hidden, 10)
v1 = tf.compat.v1


def step_flops(batch: int) -> float:
    """Multiply-adds x2 of one step: forward, weight gradients, and input gradients of all
    layers but the first."""
    pairs = [a * b for a, b in zip(SIZES, SIZES[1:], strict=False)]
    return 2.0 * batch * (3 * sum(pairs) - pairs[0])


def reference_graph(seed: int) -> tuple[tf.Graph, dict]:
    """The tutorial's TF1 graph as it wrote it (reference variables, v1 Adam), with ReLUs
    added."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        x = v1.placeholder("float", [None, SIZES[0]])
        y = v1.placeholder("float", [None, SIZES[-1]])
        keep_prob = v1.placeholder(tf.float32)
        layer = x
        for depth, (a, b) in enumerate(zip(SIZES, SIZES[1:], strict=False)):
            weights = v1.Variable(v1.truncated_normal([a, b], stddev=0.1), use_resource=False)
            bias = v1.Variable(v1.constant(0.1, shape=[b]), use_resource=False)
            if depth == len(SIZES) - 2:
                layer = tf.nn.dropout(layer, rate=1 - keep_prob)
            layer = tf.add(tf.matmul(layer, weights), bias)
            if depth < len(SIZES) - 2:
                layer = tf.nn.relu(layer)
        cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
            labels=y, logits=layer))
        train_step = v1.train.AdamOptimizer(1e-4).minimize(cross_entropy)
        correct = tf.equal(tf.argmax(layer, 1), tf.argmax(y, 1))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        init = v1.global_variables_initializer()
    return graph, {"x": x, "y": y, "keep_prob": keep_prob, "step": train_step,
                   "loss": cross_entropy, "accuracy": accuracy, "init": init}


def reference_run(data, config: TrainConfig) -> tuple[float, float, float]:
    """Seconds for the whole run and for its loop, and validation accuracy, of the tutorial's
    TF1 graph: feed_dict minibatches, the minibatch loss every 100 iterations, then the
    validation set."""
    start = time.perf_counter()
    x = data.x_train.reshape(-1, 784).astype(np.float32) / 255.0
    y = np.eye(10, dtype=np.float32)[data.y_train]
    graph, t = reference_graph(config.seed)
    session = v1.Session(graph=graph)
    session.run(t["init"])
    rng = np.random.default_rng(config.seed)
    loop = time.perf_counter()
    for i in range(config.iterations):
        index = rng.integers(0, len(x), config.batch_size)
        feed = {t["x"]: x[index], t["y"]: y[index]}
        session.run(t["step"], feed_dict={**feed, t["keep_prob"]: 1 - config.dropout})
        if i % 100 == 0:
            session.run([t["loss"], t["accuracy"]], feed_dict={**feed, t["keep_prob"]: 1.0})
    loop = time.perf_counter() - loop
    val = session.run(t["accuracy"], feed_dict={
        t["x"]: data.x_val.reshape(-1, 784) / np.float32(255),
        t["y"]: np.eye(10, dtype=np.float32)[data.y_val], t["keep_prob"]: 1.0})
    session.close()
    return time.perf_counter() - start, loop, float(val)


def keras_fit_seconds(data, config: TrainConfig) -> float:
    """Wall time of plain `model.fit` for the same steps: same MLP, Adam, batch, count."""
    model = build_mlp(config.hidden, config.dropout, config.seed)
    model.compile(keras.optimizers.Adam(config.learning_rate),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    index = np.random.default_rng(config.seed).integers(
        0, len(data.x_train), config.iterations * config.batch_size)
    x, y = data.x_train[index] / np.float32(255), data.y_train[index]
    start = time.perf_counter()
    model.fit(x, y, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


def project_run(data, config: TrainConfig) -> tuple[float, float, float]:
    """Seconds for the whole train() call and for its training steps, and validation accuracy."""
    start = time.perf_counter()
    result = train(config, data)
    return time.perf_counter() - start, result.step_seconds, result.val_accuracy


def fresh_run(data_dir: str | None, cache: str) -> tuple[float, float, float]:
    """project_run in a new Python process, as `python train.py` makes one, with compiled
    steps kept in the folder cache."""
    command = [sys.executable, "-m", "bench.train_speed", "--fresh-run"]
    command += ["--data-dir", data_dir] if data_dir else []
    env = {**os.environ, CACHE_ENV: cache}
    env.pop("TF_XLA_FLAGS", None)  # this process's, naming its own cache
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return tuple(json.loads(done.stdout.splitlines()[-1]))


def show(name: str, runs: list[tuple[float, float, float]], reference: float) -> float:
    """Print one contender's medians (and each run) as times and as speed against the TF1
    graph's median time; return its median total."""
    total, steps, val = (float(np.median([r[k] for r in runs])) for k in range(3))
    print(f"{name:34s} {reference / total:4.2f}x the TF1 graph's speed: total {total:5.2f} s = "
          f"steps {steps:5.2f} s + outside {total - steps:4.2f} s  (val accuracy {val:.4f}; "
          "runs " + ", ".join(f"{a:.2f}={b:.2f}+{a - b:.2f}" for a, b, _ in runs) + ")")
    return total


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir")
    parser.add_argument("--fit", action="store_true", help="also time one plain model.fit")
    parser.add_argument("--fresh-run", action="store_true",
                        help="time one run in this process and print it (used by the bench)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    config = TrainConfig()
    data = load_mnist(args.data_dir)
    if args.fresh_run:
        print(json.dumps(project_run(data, config)))
        return
    print(machine())
    cache = tempfile.mkdtemp(prefix="train-speed-")
    compiling = fresh_run(args.data_dir, cache)  # nothing on disk yet: it compiles
    train(config, data)  # this process's first run of the shape, untimed: the later ones are warm
    reference_run(data, TrainConfig(iterations=20))
    fresh, warm, reference, floor = [], [], [], []
    for _ in range(args.runs):
        fresh.append(fresh_run(args.data_dir, cache))
        warm.append(project_run(data, config))
        reference.append(reference_run(data, config))
        floor.append(products_seconds(SIZES, config.batch_size, config.iterations))
    print(f"{config.iterations} iterations x {config.batch_size}, {args.runs} runs in turn, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    ref_total = float(np.median([r[0] for r in reference]))
    show("the tutorial's TF1 graph", reference, ref_total)
    show("first run, fresh process, compiling", [compiling], ref_total)
    show("first run, fresh process", fresh, ref_total)
    steps = float(np.median([r[1] for r in warm]))
    show("warm run", warm, ref_total)
    print("targets: first run in a fresh process >= 1.3x, warm run >= 1.8x")
    print(f"floor: {config.iterations * step_flops(config.batch_size) / 1e12:.2f} TFLOP of "
          f"NumPy products of the step's shapes {np.median(floor):.2f} s "
          f"(runs {', '.join(f'{s:.2f}' for s in floor)}); warm steps are "
          f"{steps / np.median(floor):.2f}x that")
    if args.fit:
        fit = keras_fit_seconds(data, config)
        print(f"keras model.fit, one run: {fit:.2f} s, {fit / steps:.2f}x a warm run's steps")


if __name__ == "__main__":
    main()
