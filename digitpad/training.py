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

from digitpad.augment import augment
from digitpad.data import Mnist
from digitpad.knobs import ConfigError, TrainConfig, check_config  # noqa: F401 train() raises it
from digitpad.model import build_mlp
from digitpad.pen_styles import add_pen_styles
from digitpad.redraw import redraw_all

EXPLODED_LOSS = 1e4  # a cross-entropy this large means the run has blown up
REPORT_SECONDS = 0.5
REPORT_ITERATIONS = 100
FIRST_STEPS = 10  # a run's first report comes after this many steps: a quick first curve point
NOISE_FLOATS = 2**21  # a call's dropout noise at most (8 MB): it bounds a call's steps
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


def logits(weights: list, images: tf.Tensor, noise: tf.Tensor | None = None,
           dropout: tf.Tensor | None = None) -> tf.Tensor:
    """build_mlp's network as a function of its weights (kernel, bias, ...), so one traced
    function serves every model of the same shape; in training mode when given the dropout's
    noise, one uniform sample per unit of the last hidden layer."""
    units = tf.reshape(images, [-1, 28 * 28])
    for kernel, bias in zip(weights[:-2:2], weights[1:-2:2], strict=True):
        units = tf.nn.relu(tf.nn.bias_add(tf.matmul(units, kernel), bias))
    if noise is not None:
        units = tf.nn.experimental.general_dropout(units, dropout, lambda **_: noise)
    return tf.nn.bias_add(tf.matmul(units, weights[-2]), weights[-1])


@tf.function(reduce_retracing=True)
def probabilities(weights: list, images: tf.Tensor) -> tf.Tensor:
    """The network's readings of (n, 28, 28) images, traced once per network shape: a model's
    own traced pass would cost every run a trace of its own (bench/trace_costs.py)."""
    return tf.nn.softmax(logits(weights, images))


def make_adam(weights: list) -> list[tf.Variable]:
    """Adam's two moment slots per weight, zero as Keras's Adam starts them."""
    return [tf.Variable(tf.zeros(w.shape)) for w in weights for _ in range(2)]


def apply_adam(weights: list, slots: list, grads: list, step: tf.Tensor,
               rate: tf.Tensor) -> None:
    """Keras's Adam update (same defaults) through TensorFlow's fused kernel: one op per
    weight instead of about ten, which is much of a small MLP's step time."""
    t = tf.cast(step + 1, tf.float32)
    beta_1, beta_2 = 0.9, 0.999
    for weight, m, v, grad in zip(weights, slots[::2], slots[1::2], grads, strict=True):
        tf.raw_ops.ResourceApplyAdam(
            var=weight.handle, m=m.handle, v=v.handle, beta1_power=beta_1 ** t,
            beta2_power=beta_2 ** t, lr=rate, beta1=beta_1, beta2=beta_2, epsilon=1e-7, grad=grad)


def compiles_with_xla(augmented: bool) -> bool:
    """Whether XLA compiles the training steps: it fuses a step's many small ops, making
    augmented steps faster, and plain ones with two threads, but plain ones slower on a single
    thread, where TensorFlow's own matrix products win (docs/measurements.md)."""
    return augmented or tf.config.threading.get_intra_op_parallelism_threads() != 1


def call_steps(batch_size: int, width: int, augmented: bool) -> int:
    """The most steps one call takes. A compiled call draws dropout noise for this many, a shape
    fixed per network so that XLA compiles it once, small enough to stay in the caches."""
    if not compiles_with_xla(augmented):
        return REPORT_ITERATIONS
    return max(1, min(REPORT_ITERATIONS, NOISE_FLOATS // (batch_size * width)))


@functools.lru_cache(maxsize=8)
def make_steps(batch_size: int, augmented: bool) -> Callable:
    """A compiled function running n training steps in one call, so Python is out of the loop.

    Weights, Adam slots and hyperparameters are arguments, so a class's runs of one batch size
    trace once per network shape, not once a run (bench/trace_costs.py). Each step draws
    a random minibatch from the whole training set x, y (sampled with replacement, from the seed,
    so runs repeat exactly). It returns mean loss, mean accuracy, and the first step whose loss
    was not finite (or -1); it stops at that step. The training set is an argument, not captured:
    TensorFlow keeps a traced function's captures alive after the run.
    """

    xla = compiles_with_xla(augmented)

    def dropout_noise(seed: tf.Tensor, start: tf.Tensor, width: int) -> tf.Tensor:
        """Uniform samples for the next call_steps steps' dropout, from TensorFlow's sampler:
        XLA's is several times slower, the dearest part of a small network's step."""
        return tf.map_fn(lambda i: tf.random.stateless_uniform(
            [batch_size, width], tf.stack([seed, start + i])),
            tf.range(call_steps(batch_size, width, augmented)), fn_output_signature=tf.float32)

    @tf.function(jit_compile=xla)
    def steps(weights: list, slots: list, settings: dict, start: tf.Tensor, n: tf.Tensor,
              x: tf.Tensor, y: tf.Tensor,
              noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        count, width = tf.shape(x)[0], weights[-2].shape[0]

        def step(i, loss_sum, hits, bad):
            seed = tf.stack([settings["seed"], start + i])
            index = tf.random.stateless_uniform([batch_size], seed, 0, count, tf.int32)
            images = tf.cast(tf.gather(x, index), tf.float32) / 255.0
            labels = tf.gather(y, index)
            if augmented:
                images = augment(images, tf.random.experimental.stateless_fold_in(seed, 7))
            with tf.GradientTape() as tape:
                dropped = (noise[i] if xla else  # drawn beforehand, or the same samples here
                           tf.random.stateless_uniform([batch_size, width], seed))
                scores = logits(weights, images, dropped, settings["dropout"])
                loss = smoothed_cross_entropy(labels, scores, settings["label_smoothing"])
            grads = tape.gradient(loss, weights)
            apply_adam(weights, slots, grads, start + i, learning_rate(settings, start + i))
            correct = tf.reduce_sum(tf.cast(tf.argmax(scores, 1, tf.int32) == labels, tf.float32))
            exploded = tf.logical_not(tf.math.is_finite(loss)) | (loss > EXPLODED_LOSS)
            bad = tf.where(exploded & (bad < 0), start + i, bad)
            return i + 1, loss_sum + loss, hits + correct, bad

        i, loss_sum, hits, bad = tf.while_loop(
            lambda i, loss_sum, hits, bad: (i < n) & (bad < 0), step,
            (tf.constant(0), tf.constant(0.0), tf.constant(0.0), tf.constant(-1)))
        done = tf.cast(tf.maximum(i, 1), tf.float32)
        return loss_sum / done, hits / (done * batch_size), bad

    @tf.function
    def run(weights: list, slots: list, settings: dict, start: tf.Tensor, n: tf.Tensor,
            x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        width = weights[-2].shape[0]
        noise = dropout_noise(settings["seed"], start, width) if xla else tf.zeros([0])
        return steps(weights, slots, settings, start, n, x, y, noise)

    return run


def smoothed_cross_entropy(labels: tf.Tensor, scores: tf.Tensor,
                           smoothing: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy against targets of 1 - smoothing on the label plus smoothing spread
    evenly over the ten classes (Keras's label_smoothing; exactly plain cross-entropy at 0)."""
    log_probs = tf.nn.log_softmax(scores)
    label_term = -tf.gather(log_probs, labels, batch_dims=1)
    return tf.reduce_mean((1.0 - smoothing) * label_term
                          - smoothing * tf.reduce_mean(log_probs, axis=1))


def learning_rate(settings: dict[str, tf.Tensor], step: tf.Tensor) -> tf.Tensor:
    """Keras's CosineDecay written out, as Keras refuses a tensor for its number of steps;
    a rate_floor of 1.0 keeps the rate constant, as (1 - 1) * cosine + 1 is exactly 1."""
    done = tf.minimum(tf.cast(step, tf.float32), settings["iterations"]) / settings["iterations"]
    cosine = 0.5 * (1.0 + tf.cos(math.pi * done))
    floor = settings["rate_floor"]
    return settings["learning_rate"] * ((1.0 - floor) * cosine + floor)


def step_settings(config: TrainConfig) -> dict[str, tf.Tensor]:
    """The config's numbers that a traced step takes as tensors, not as constants."""
    return {"learning_rate": tf.constant(config.learning_rate, tf.float32),
            "rate_floor": tf.constant(0.01 if config.cosine_decay else 1.0),
            "iterations": tf.constant(config.iterations, tf.float32),
            "dropout": tf.constant(config.dropout, tf.float32),
            "label_smoothing": tf.constant(config.label_smoothing, tf.float32),
            "seed": tf.constant(config.seed)}


def predict_with(weights: list, images: np.ndarray) -> np.ndarray:
    """probabilities() as NumPy."""
    return probabilities(weights, tf.constant(images, tf.float32)).numpy()


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
                            time.perf_counter() - start)
        history.append(progress)
        if on_progress is not None:
            on_progress(progress)
    seconds = time.perf_counter() - start
    val = accuracy(predict, x_val, data.y_val)
    return TrainResult(model, config, done, seconds, val, stopped, history, step_seconds)
