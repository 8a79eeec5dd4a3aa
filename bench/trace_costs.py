"""The one-time costs the training and reading code is shaped around, each timed once:

    python -m bench.trace_costs [--data-dir DIR]

- a network shape's first readings through steps.probabilities (its trace), and the next;
- a batch size's first call of make_steps's compiled steps (its trace), and the next;
- styling MNIST's 55,000 training digits (pen styles) and redrawing them;
- model.predict on one digit against make_predictor's traced pass.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf

from digitpad.data import load_mnist
from digitpad.knobs import TrainConfig
from digitpad.model import build_mlp, make_predictor
from digitpad.pen_styles import add_pen_styles
from digitpad.redraw import redraw_all
from digitpad.steps import make_adam, make_steps, predict_with, step_settings
from tests.harness.timing import machine, median_ms

SHAPES = [(512, 256, 128), (1500,), (64, 32)]


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir")
    data = load_mnist(parser.parse_args().data_dir)
    print(machine())
    digits = data.x_val[:1000].astype(np.float32) / 255.0
    for hidden in SHAPES:
        weights = [v.value for v in build_mlp(hidden).trainable_variables]
        first = seconds(lambda w=weights: predict_with(w, digits))
        print(f"probabilities, {hidden}: first call {first:.3f} s, "
              f"next {median_ms(lambda w=weights: predict_with(w, digits), 20):.1f} ms")
    x, y = tf.constant(data.x_train), tf.constant(data.y_train.astype(np.int32))
    for batch in (128, 32):
        weights = [v.value for v in build_mlp().trainable_variables]
        run, slots = make_steps(batch, False), make_adam(weights)

        def call(weights=weights, slots=slots, run=run) -> None:
            run(weights, slots, step_settings(TrainConfig()), tf.constant(0), tf.constant(10), x, y)

        print(f"make_steps, batch {batch}: first call of 10 steps {seconds(call):.2f} s, "
              f"next {seconds(call):.3f} s")
    print(f"pen styles on {len(data.x_train):,} digits: "
          f"{seconds(lambda: add_pen_styles(data.x_train, data.y_train, 0)):.1f} s")
    print(f"redrawing {len(data.x_train):,} digits: "
          f"{seconds(lambda: redraw_all(data.x_train, 0)):.1f} s")
    model = build_mlp()
    traced, one = make_predictor(model), digits[:1]
    print(f"one digit: model.predict {median_ms(lambda: model.predict(one, verbose=0), 10):.1f} "
          f"ms, make_predictor {median_ms(lambda: traced(one), 50):.2f} ms")


if __name__ == "__main__":
    main()
