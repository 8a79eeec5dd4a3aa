"""Training speed of seed 000's default run: 1000 iterations of 128, the 784-512-256-128-10 MLP.

    python -m bench.train_speed [--runs 3] [--data-dir DIR] [--fit]

Runs three things in turn, --runs times, so that load from elsewhere on the machine falls on
all of them alike, and prints the median of each:
- train(TrainConfig(), data): the whole call, its training steps alone, and the rest (building
  the model, the first trace of a network shape, scoring the validation set at each report);
- the reference: seed 000's own TensorFlow 1 graph (tf.compat.v1, the same layers with the
  ReLUs this project adds, dropout 0.5, Adam 1e-4, feed_dict minibatches of 128 from the same
  55,000 digits), timed the same two ways;
- the floor: NumPy float32 products of the step's matrix shapes, forward and backward;
- with --fit, once: plain Keras `model.fit` over the same 1000 x 128.
Target: train() at most 1/1.5 of the reference's time, aiming for 1/2.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import tensorflow as tf

from digitpad.data import load_mnist
from digitpad.model import build_mlp
from digitpad.training import TrainConfig, train

SIZES = (784, *TrainConfig().hidden, 10)
v1 = tf.compat.v1


def step_flops(batch: int) -> float:
    """Multiply-adds x2 of one step: forward, weight gradients, and input gradients of all
    layers but the first."""
    pairs = [a * b for a, b in zip(SIZES, SIZES[1:], strict=False)]
    return 2.0 * batch * (3 * sum(pairs) - pairs[0])


def floor_seconds(iterations: int, batch: int) -> float:
    """NumPy matrix products of the step's shapes: forward, weight gradients, and input
    gradients of all layers but the first (nothing needs the gradient of the pixels)."""
    rng = np.random.default_rng(0)
    kernels = [rng.random((a, b), np.float32) for a, b in zip(SIZES, SIZES[1:], strict=False)]
    units = [rng.random((batch, size), np.float32) for size in SIZES]
    start = time.perf_counter()
    for _ in range(iterations):
        for layer, kernel in enumerate(kernels):
            units[layer] @ kernel
            units[layer].T @ units[layer + 1]
            if layer:
                units[layer + 1] @ kernel.T
    return time.perf_counter() - start


def reference_graph(seed: int) -> tuple[tf.Graph, dict]:
    """Seed 000's graph as it wrote it (reference variables, v1 Adam), with ReLUs added."""
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
    """Seconds for the whole run and for its loop, and validation accuracy, of seed 000's graph:
    feed_dict minibatches, the minibatch loss every 100 iterations, then the validation set."""
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


def show(name: str, runs: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Print one contender's medians (and each run) and return its median total and steps."""
    total, steps, val = (np.median([r[k] for r in runs]) for k in range(3))
    print(f"{name:10s} total {total:5.2f} s = steps {steps:5.2f} s + outside {total - steps:4.2f} s"
          f"  (val accuracy {val:.4f}; runs " + ", ".join(
              f"{a:.2f}={b:.2f}+{a - b:.2f}" for a, b, _ in runs) + ")")
    return total, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir")
    parser.add_argument("--fit", action="store_true", help="also time one plain model.fit")
    args = parser.parse_args()
    config = TrainConfig()
    data = load_mnist(args.data_dir)
    # warm TensorFlow's kernels and thread pools on another shape: the first default run still
    # pays its trace, as the first run of each network shape in a class does
    train(TrainConfig(iterations=20, hidden=(64,)), data)
    reference_run(data, TrainConfig(iterations=20))
    project, reference, floor = [], [], []
    for _ in range(args.runs):
        project.append(project_run(data, config))
        reference.append(reference_run(data, config))
        floor.append(floor_seconds(config.iterations, config.batch_size))
    print(f"{config.iterations} iterations x {config.batch_size}, {args.runs} runs in turn, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    total, steps = show("train()", project)
    ref_total, ref_steps = show("reference", reference)
    print(f"reference / train(): total {ref_total / total:.2f}, steps {ref_steps / steps:.2f}"
          "  (target >= 1.5, aim 2)")
    print(f"floor: {config.iterations * step_flops(config.batch_size) / 1e12:.2f} TFLOP of "
          f"NumPy products of the step's shapes {np.median(floor):.2f} s "
          f"(runs {', '.join(f'{s:.2f}' for s in floor)}); train() steps are "
          f"{steps / np.median(floor):.2f}x that")
    outside = [a - b for a, b, _ in project]
    print(f"outside the steps, per run: first run of the shape {outside[0]:.2f} s (its trace "
          f"included), later runs {np.median(outside[1:] or outside):.2f} s")
    if args.fit:
        fit = keras_fit_seconds(data, config)
        print(f"keras model.fit, one run: {fit:.2f} s, {fit / steps:.2f}x train()'s steps")


if __name__ == "__main__":
    main()
