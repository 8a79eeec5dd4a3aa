"""One training implementation for train.py and the app's Train tab: hyperparameters in,
progress out through a callback, stoppable, and refusing to carry on once the loss diverges."""

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
from digitpad.model import SEED_HIDDEN, build_mlp
from digitpad.pen_styles import add_pen_styles
from digitpad.redraw import redraw_all
from digitpad.steps import REPORT_ITERATIONS, call_steps, knobs, make_adam, make_steps, predict_with

REPORT_SECONDS = 0.5
FIRST_STEPS = 10  # a run's first report comes after this many steps: a quick first curve point
CURVE_VALIDATION = 1000  # validation digits scored at each report; the final score takes all


class ConfigError(ValueError):
    """A hyperparameter is of the wrong type or out of range."""


class Diverged(RuntimeError):
    """The loss became NaN, infinite or exploded."""


@dataclass(frozen=True)
class TrainConfig:
    """The knobs of a run; defaults are the original tutorial's (with the ReLUs it forgot)."""

    learning_rate: float = 1e-4
    dropout: float = 0.5
    iterations: int = 1000
    batch_size: int = 128
    hidden: tuple[int, ...] = SEED_HIDDEN
    augment: bool = False
    cosine_decay: bool = False  # anneal the learning rate to 1% of its value over the run
    seed: int = 0
    pen_styles: bool = False  # flag some ones and curl some nines' tails, as many people draw
    redrawn: bool = False  # add a copy of every digit thinned and redrawn with an even pen
    label_smoothing: float = 0.0  # aim at 1 - this for the label, the rest spread over all ten


LIMITS = {
    "learning_rate": (1e-6, 10.0),
    "dropout": (0.0, 0.95),
    "label_smoothing": (0.0, 0.5),
    "iterations": (1, 200_000),
    "batch_size": (1, 4096),
    "hidden_units": (1, 4096),
    "hidden_layers": (0, 6),
    "seed": (0, 2**31 - 1),
}


def check_number(name: str, value: object, kind: type, low: float, high: float) -> None:
    """Refuse a value of the wrong type, NaN, or outside [low, high], naming it plainly."""
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise ConfigError(f"{name} must be {'a number' if kind is float else 'a whole number'}, "
                          f"not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, not {value}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


def check_config(config: TrainConfig) -> TrainConfig:
    """The config itself if every field is sane, else a ConfigError saying which is not."""
    check_number("learning_rate", config.learning_rate, float, *LIMITS["learning_rate"])
    check_number("dropout", config.dropout, float, *LIMITS["dropout"])
    check_number("iterations", config.iterations, int, *LIMITS["iterations"])
    check_number("batch_size", config.batch_size, int, *LIMITS["batch_size"])
    check_number("label_smoothing", config.label_smoothing, float, *LIMITS["label_smoothing"])
    check_number("seed", config.seed, int, *LIMITS["seed"])
    if not isinstance(config.hidden, (tuple, list)):
        raise ConfigError(f"hidden must be a list of layer sizes, not {config.hidden!r}")
    check_number("number of hidden layers", len(config.hidden), int, *LIMITS["hidden_layers"])
    for units in config.hidden:
        check_number("hidden layer size", units, int, *LIMITS["hidden_units"])
    for name in ("augment", "cosine_decay", "pen_styles", "redrawn"):
        if not isinstance(getattr(config, name), bool):
            raise ConfigError(f"{name} must be true or false, not {getattr(config, name)!r}")
    return config


@dataclass(frozen=True)
class Progress:
    """What a run reports every REPORT_ITERATIONS iterations or REPORT_SECONDS, whichever first."""

    iteration: int
    loss: float  # mean minibatch cross-entropy since the last report
    accuracy: float  # mean minibatch accuracy since the last report
    val_accuracy: float
    seconds: float


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


def train(config: TrainConfig, data: Mnist,
          on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train a fresh MLP on MNIST's training split with Adam; Diverged if the loss blows up."""
    check_config(config)
    model = build_mlp(config.hidden, config.dropout, config.seed)
    styled = config.pen_styles or config.redrawn  # plain digits: one copy serves every seed
    x, y = training_digits(data, config.seed if styled else 0, config.pen_styles, config.redrawn)
    x_val = data.x_val.astype(np.float32) / 255.0
    weights = [variable.value for variable in model.trainable_variables]
    steps = make_steps(config.batch_size, config.augment)
    run = functools.partial(steps, weights, make_adam(weights), knobs(config))
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
                            time.perf_counter() - start)
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    val = accuracy(predict, x_val, data.y_val)
    return TrainResult(model, config, done, seconds, val, stopped, history, step_seconds)
