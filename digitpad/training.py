"""The training steps and loop of train.py and the Train tab: stoppable, loud if it diverges."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import keras
import numpy as np
import tensorflow as tf

from digitpad.data import Mnist
from digitpad.knobs import ConfigError, TrainConfig, check_config  # noqa: F401 train() raises it
from digitpad.model import build_mlp
from digitpad.pen_styles import add_pen_styles
from digitpad.redraw import redraw_all
from digitpad.steps import (
    REPORT_ITERATIONS,
    call_steps,
    make_adam,
    make_steps,
    predict_with,
    step_settings,
)

REPORT_SECONDS = 0.5
FIRST_STEPS = 10  # a run's first report comes after this many steps: a quick first curve point
CURVE_VALIDATION = 1000  # validation digits scored at each report; the final score takes all


class Diverged(RuntimeError):
    """The loss became NaN, infinite or exploded."""


@dataclass(frozen=True)
class Progress:
    """What a run reports every REPORT_ITERATIONS iterations or REPORT_SECONDS, whichever first."""

    iteration: int
    loss: float  # mean minibatch cross-entropy since the last report
    accuracy: float  # mean minibatch accuracy since the last report
    val_accuracy: float
    seconds: float  # since the run started, waits for its turn among a class's runs included
    step_seconds: float = 0.0  # of those, in its own training steps: its pace, whoever else trains


@dataclass
class TrainResult:
    """The trained model and how the run went."""

    model: keras.Model
    config: TrainConfig
    iterations_done: int
    train_seconds: float
    val_accuracy: float
    stopped_early: bool
    history: list[Progress] = field(default_factory=list)
    step_seconds: float = 0.0  # of train_seconds, the time in training steps (not scoring)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float32 images to (n, 10) probabilities, without a trace of its own."""
        return predict_with([v.value for v in self.model.trainable_variables], images)

    def summary(self) -> dict:
        """A JSON-able record of the run."""
        return {**asdict(self.config), "hidden": list(self.config.hidden),
                "iterations_done": self.iterations_done,
                "train_seconds": round(self.train_seconds, 3),
                "validation_accuracy": round(self.val_accuracy, 4),
                "stopped_early": self.stopped_early}


def accuracy(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
             labels: np.ndarray) -> float:
    """Share of images whose most probable class is the label."""
    return float(np.mean(predict(images).argmax(axis=1) == labels))


def mix_in(data: Mnist, images: np.ndarray, labels: np.ndarray, share: float) -> Mnist:
    """MNIST whose training digits also hold these, repeated so that they are about `share` of
    every minibatch: minibatches are drawn uniformly, so repeats set the mix without a second
    sampler in the traced step."""
    if len(images) == 0:
        return data
    copies = max(1, round(share * len(data.x_train) / ((1 - share) * len(images))))
    return replace(data, x_train=np.concatenate([data.x_train, np.tile(images, (copies, 1, 1))]),
                   y_train=np.concatenate([data.y_train, np.tile(labels, copies)]))


@functools.lru_cache(maxsize=2)
def training_digits(data: Mnist, seed: int, pen_styles: bool,
                    redrawn: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """The images (uint8) and labels a run draws its minibatches from, kept for the next run of
    the same seed: styling 55,000 digits takes seconds, redrawing them far longer
    (bench/trace_costs.py), and a copy of its own would hold 43 MB for each of a class's runs.
    A minibatch becomes float32 after its gather, so no run converts or holds 172 MB of float32
    images."""
    images, labels = data.x_train, data.y_train
    if pen_styles:
        images = add_pen_styles(images, labels, seed)
    if redrawn:
        images = np.concatenate([images, redraw_all(images, seed)])
        labels = np.concatenate([labels, labels])
    return tf.constant(images, tf.uint8), tf.constant(labels, tf.int32)


def starting_model(config: TrainConfig, init: keras.Model | None) -> keras.Model:
    """A fresh MLP of the config's shape, with init's weights when given (to fine-tune it);
    ConfigError when init's layers are not that shape."""
    model = build_mlp(config.hidden, config.dropout, config.seed)
    if init is not None:
        shapes = [tuple(w.shape) for w in init.get_weights()]
        if shapes != [tuple(w.shape) for w in model.get_weights()]:
            raise ConfigError("the starting model's layers are not "
                              f"{','.join(map(str, config.hidden)) or 'none'}: give the "
                              "hidden layer sizes it was trained with")
        model.set_weights(init.get_weights())
    return model


def train(config: TrainConfig, data: Mnist,
          on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          init: keras.Model | None = None) -> TrainResult:
    """Train an MLP, fresh or from init's weights, with Adam; Diverged if the loss blows up."""
    check_config(config)
    model = starting_model(config, init)
    styled = config.pen_styles or config.redrawn  # plain digits: one copy serves every seed
    x, y = training_digits(data, config.seed if styled else 0, config.pen_styles, config.redrawn)
    x_val = data.x_val.astype(np.float32) / 255.0
    weights = [variable.value for variable in model.trainable_variables]
    steps = make_steps(config.batch_size, config.augment)
    run = functools.partial(steps, weights, make_adam(weights), step_settings(config))
    predict = functools.partial(predict_with, weights)
    per_call = call_steps(config.batch_size, (784, *config.hidden)[-1], config.augment)
    history: list[Progress] = []
    done, stopped, step_seconds, pace = 0, False, 0.0, 0.0  # pace: seconds a step, lately
    start = time.perf_counter()
    while done < config.iterations:
        if should_stop is not None and should_stop():
            stopped = True
            break
        began, first, loss_sum, hits = time.perf_counter(), done, 0.0, 0.0
        report_at = min(config.iterations, done + REPORT_ITERATIONS - done % REPORT_ITERATIONS)
        while done < report_at:  # calls sized to end near REPORT_SECONDS, a report's turn
            left = REPORT_SECONDS - (time.perf_counter() - began)
            n = min(per_call, report_at - done,
                    FIRST_STEPS if done == 0 else max(1, int(left / pace)))
            called = time.perf_counter()
            loss, acc, bad = (t.numpy() for t in run(tf.constant(done), tf.constant(n), x, y))
            pace = (time.perf_counter() - called) / n
            if bad >= 0:
                what = ("NaN" if math.isnan(loss) else "too large" if math.isfinite(loss)
                        else "infinite")
                raise Diverged(f"learning rate too high: the loss became {what} at iteration "
                               f"{bad + 1}. Try a learning rate ten times smaller.")
            loss_sum, hits, done = loss_sum + loss * n, hits + acc * n, done + n
            if first == 0 or time.perf_counter() - began + pace > REPORT_SECONDS:
                break
        step_seconds += time.perf_counter() - began
        progress = Progress(done, float(loss_sum / (done - first)), float(hits / (done - first)),
                            accuracy(predict, x_val[:CURVE_VALIDATION],
                                     data.y_val[:CURVE_VALIDATION]),
                            time.perf_counter() - start, step_seconds)
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    val = accuracy(predict, x_val, data.y_val)
    return TrainResult(model, config, done, seconds, val, stopped, history, step_seconds)
