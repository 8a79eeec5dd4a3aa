"""The traced training steps: build_mlp's network as a function of its weights, its loss,
Adam, and n steps compiled into one call, traced once per network shape and batch size."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from digitpad.augment import augment
from digitpad.compile_cache import keep_compiled_steps

if TYPE_CHECKING:
    from digitpad.knobs import TrainConfig

EXPLODED_LOSS = 1e4  # a cross-entropy this large means the run has blown up
REPORT_ITERATIONS = 100  # a run reports at least this often: no call runs past a report
NOISE_FLOATS = 2**21  # a call's dropout noise at most (8 MB): it bounds a call's steps

keep_compiled_steps()  # before TensorFlow's first compile: see digitpad/compile_cache.py


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


@tf.function(reduce_retracing=True, autograph=False)
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


def dropout_noise(seed: tf.Tensor, start: tf.Tensor, batch_size: int, width: int,
                  augmented: bool, compiled: bool) -> tf.Tensor:
    """Uniform samples for the next call_steps steps' dropout, from TensorFlow's sampler:
    XLA's is several times slower, the dearest part of a small network's step. Empty
    when the steps are not compiled: they draw the same samples themselves."""
    if not compiled:
        return tf.zeros([0])
    return tf.map_fn(lambda i: tf.random.stateless_uniform(
        [batch_size, width], tf.stack([seed, start + i])),
        tf.range(call_steps(batch_size, width, augmented)), fn_output_signature=tf.float32)


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

    @tf.function(jit_compile=xla, autograph=False)
    def steps(weights: list, slots: list, settings: dict, start: tf.Tensor, n: tf.Tensor,
              x: tf.Tensor, y: tf.Tensor, noise: tf.Tensor) -> tuple[tf.Tensor, ...]:
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

    @tf.function(autograph=False)
    def run(weights: list, slots: list, settings: dict, start: tf.Tensor, n: tf.Tensor,
            x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        width = weights[-2].shape[0]
        noise = dropout_noise(settings["seed"], start, batch_size, width, augmented, xla)
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
