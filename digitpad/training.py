"""One training implementation for train.py and the app's Train tab: hyperparameters in,
progress out through a callback, stoppable, and refusing to carry on once the loss diverges."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
import tensorflow as tf

from digitpad.augment import augment
from digitpad.data import Mnist
from digitpad.model import SEED_HIDDEN, build_mlp, make_predictor
from digitpad.pen_styles import add_pen_styles

EXPLODED_LOSS = 1e4  # a cross-entropy this large means the run has blown up
REPORT_SECONDS = 0.5
REPORT_ITERATIONS = 100


class ConfigError(ValueError):
    """A hyperparameter is of the wrong type or out of range."""


class Diverged(RuntimeError):
    """The loss became NaN, infinite or exploded."""


@dataclass(frozen=True)
class TrainConfig:
    """The knobs of a run; defaults are seed 000's (with the ReLUs it forgot)."""

    learning_rate: float = 1e-4
    dropout: float = 0.5
    iterations: int = 1000
    batch_size: int = 128
    hidden: tuple[int, ...] = SEED_HIDDEN
    augment: bool = False
    cosine_decay: bool = False  # anneal the learning rate to 1% of its value over the run
    seed: int = 0
    pen_styles: bool = False  # flag some ones and curl some nines' tails, as many people draw


LIMITS = {
    "learning_rate": (1e-6, 10.0),
    "dropout": (0.0, 0.95),
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
    check_number("seed", config.seed, int, *LIMITS["seed"])
    if not isinstance(config.hidden, (tuple, list)):
        raise ConfigError(f"hidden must be a list of layer sizes, not {config.hidden!r}")
    check_number("number of hidden layers", len(config.hidden), int, *LIMITS["hidden_layers"])
    for units in config.hidden:
        check_number("hidden layer size", units, int, *LIMITS["hidden_units"])
    for name in ("augment", "cosine_decay", "pen_styles"):
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

    def summary(self) -> dict:
        """A JSON-able record of the run."""
        return {**asdict(self.config), "hidden": list(self.config.hidden),
                "iterations_done": self.iterations_done,
                "train_seconds": round(self.train_seconds, 3),
                "validation_accuracy": round(self.val_accuracy, 4),
                "stopped_early": self.stopped_early}


def as_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
    """uint8 images and labels as float32 [0, 1] and int32 tensors."""
    return tf.constant(images, tf.float32) / 255.0, tf.constant(labels, tf.int32)


def make_adam(variables: list, config: TrainConfig) -> Callable[[list, tf.Tensor], None]:
    """Keras's Adam update (same defaults and schedule) through TensorFlow's fused kernel:
    one op per variable instead of about ten, which is much of a small MLP's step time."""
    rate = config.learning_rate
    if config.cosine_decay:
        rate = keras.optimizers.schedules.CosineDecay(rate, config.iterations, alpha=0.01)
    slots = [(tf.Variable(tf.zeros(v.shape)), tf.Variable(tf.zeros(v.shape))) for v in variables]
    beta_1, beta_2 = 0.9, 0.999

    def apply(grads: list, step: tf.Tensor) -> None:
        t = tf.cast(step + 1, tf.float32)
        lr = rate(step) if callable(rate) else tf.constant(rate)
        for variable, (m, v), grad in zip(variables, slots, grads, strict=True):
            tf.raw_ops.ResourceApplyAdam(
                var=variable.value.handle, m=m.handle, v=v.handle, beta1_power=beta_1 ** t,
                beta2_power=beta_2 ** t, lr=lr, beta1=beta_1, beta2=beta_2, epsilon=1e-7,
                grad=grad)

    return apply


def make_steps(model: keras.Model, config: TrainConfig) -> Callable:
    """A compiled function running n training steps in one call, so Python is out of the loop.

    Each step draws a random minibatch from the whole training set x, y (sampled with
    replacement, from a seed, so runs repeat exactly). It returns mean loss, mean accuracy, and
    the first step whose loss was not finite (or -1); it stops at that step. The training set
    is an argument, not captured: TensorFlow keeps a traced function's captures alive after the
    run, 172 MB a training.
    """
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    apply_adam = make_adam(model.trainable_variables, config)

    @tf.function
    def run(start: tf.Tensor, n: tf.Tensor, x: tf.Tensor,
            y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        count = tf.shape(x)[0]

        def step(i, loss_sum, hits, bad):
            seed = tf.stack([tf.constant(config.seed), start + i])
            index = tf.random.stateless_uniform([config.batch_size], seed, 0, count, tf.int32)
            images, labels = tf.gather(x, index), tf.gather(y, index)
            if config.augment:
                images = augment(images, tf.random.experimental.stateless_fold_in(seed, 7))
            with tf.GradientTape() as tape:
                probs = model(images, training=True)
                loss = loss_fn(labels, probs)
            grads = tape.gradient(loss, model.trainable_variables)
            apply_adam(grads, start + i)
            correct = tf.reduce_sum(tf.cast(tf.argmax(probs, 1, tf.int32) == labels, tf.float32))
            exploded = tf.logical_not(tf.math.is_finite(loss)) | (loss > EXPLODED_LOSS)
            bad = tf.where(exploded & (bad < 0), start + i, bad)
            return i + 1, loss_sum + loss, hits + correct, bad

        i, loss_sum, hits, bad = tf.while_loop(
            lambda i, loss_sum, hits, bad: (i < n) & (bad < 0), step,
            (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.constant(-1)))
        done = tf.cast(tf.maximum(i, 1), tf.float32)
        return loss_sum / done, hits / (done * config.batch_size), bad

    return run


def accuracy(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
             labels: np.ndarray) -> float:
    """Share of images whose most probable class is the label."""
    return float(np.mean(predict(images).argmax(axis=1) == labels))


@functools.lru_cache(maxsize=2)
def styled_train_images(data: Mnist, seed: int) -> np.ndarray:
    """The training images with pen styles, kept for the next run of the same seed: styling
    55,000 digits takes seconds, and the Train tab's learners run one setting after another."""
    images = add_pen_styles(data.x_train, data.y_train, seed)
    images.flags.writeable = False
    return images


def train(config: TrainConfig, data: Mnist,
          on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train a fresh MLP on MNIST's training split with Adam; Diverged if the loss blows up."""
    check_config(config)
    keras.utils.set_random_seed(config.seed)
    model = build_mlp(config.hidden, config.dropout)
    images = styled_train_images(data, config.seed) if config.pen_styles else data.x_train
    x, y = as_tensors(images, data.y_train)
    x_val = data.x_val.astype(np.float32) / 255.0
    run = make_steps(model, config)
    predict = make_predictor(model)
    history: list[Progress] = []
    done, chunk, stopped = 0, 10, False
    start = time.perf_counter()
    while done < config.iterations:
        if should_stop is not None and should_stop():
            stopped = True
            break
        n = min(chunk, config.iterations - done, REPORT_ITERATIONS - done % REPORT_ITERATIONS)
        began = time.perf_counter()
        loss, acc, bad = (t.numpy() for t in run(tf.constant(done), tf.constant(n), x, y))
        if bad >= 0:
            what = "NaN" if math.isnan(loss) else "too large" if math.isfinite(loss) else "infinite"
            raise Diverged(f"learning rate too high: the loss became {what} at iteration "
                           f"{bad + 1}. Try a learning rate ten times smaller.")
        done += n
        # size the next call to land near REPORT_SECONDS, never past REPORT_ITERATIONS
        per_step = (time.perf_counter() - began) / n
        chunk = int(np.clip(REPORT_SECONDS / max(per_step, 1e-6), 1, REPORT_ITERATIONS))
        progress = Progress(done, float(loss), float(acc), accuracy(predict, x_val, data.y_val),
                            time.perf_counter() - start)
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    val = history[-1].val_accuracy if history else accuracy(predict, x_val, data.y_val)
    return TrainResult(model, config, done, seconds, val, stopped, history)
