"""Training on the real MNIST: it learns, reports, repeats, stops, refuses and diverges loudly."""

import json
import math
import re
from dataclasses import replace

import keras
import numpy as np
import pytest
import tensorflow as tf

from digitpad.augment import ELASTIC_KNOTS, UNCHANGED, augment, bicubic_weights
from digitpad.knobs import ConfigError, TrainConfig
from digitpad.model import build_mlp, make_predictor
from digitpad.pen_styles import add_pen_styles
from digitpad.redraw import redraw_all
from digitpad.steps import (
    learning_rate,
    logits,
    make_steps,
    smoothed_cross_entropy,
    step_settings,
)
from digitpad.training import (
    Diverged,
    Progress,
    train,
    training_digits,
)

SMALL = TrainConfig(learning_rate=1e-3, iterations=50, hidden=(64,), seed=3)


def val_accuracy(model, data):
    predict = make_predictor(model)
    return float(np.mean(predict(data.x_val / np.float32(255)).argmax(axis=1) == data.y_val))


@pytest.fixture(scope="module")
def run(mnist):
    """One short real run of the seed network at a brisk learning rate, with its reports."""
    reports = []
    result = train(TrainConfig(iterations=300, learning_rate=1e-3), mnist,
                   on_progress=reports.append)
    return result, reports


def test_short_run_learns(run, mnist):
    result, _ = run
    assert result.val_accuracy > 0.9
    assert result.iterations_done == 300
    assert not result.stopped_early
    assert result.val_accuracy == pytest.approx(val_accuracy(result.model, mnist), abs=1e-6)
    test = make_predictor(result.model)(mnist.x_test / np.float32(255)).argmax(axis=1)
    assert np.mean(test == mnist.y_test) > 0.9


def test_progress_reports(run):
    result, reports = run
    assert reports == result.history
    assert len(reports) >= 3
    assert all(isinstance(p, Progress) for p in reports)
    iterations = [p.iteration for p in reports]
    assert iterations == sorted(set(iterations))  # strictly increasing
    assert iterations[-1] == 300
    assert {100, 200, 300} <= set(iterations)  # never skips past a hundred
    assert all(b - a <= 100 for a, b in zip([0, *iterations], iterations, strict=False))
    seconds = [p.seconds for p in reports]
    assert seconds == sorted(seconds)
    for p in reports:
        assert math.isfinite(p.loss) and p.loss > 0
        assert 0 <= p.accuracy <= 1 and 0 <= p.val_accuracy <= 1
    assert reports[-1].loss < reports[0].loss
    # the curve scores the first CURVE_VALIDATION validation digits; the run's figure all 5,000
    assert abs(reports[-1].val_accuracy - result.val_accuracy) < 0.03


def test_summary_is_a_json_record(run):
    result, _ = run
    summary = json.loads(json.dumps(result.summary()))
    assert summary["hidden"] == [512, 256, 128]
    assert summary["learning_rate"] == 1e-3
    assert summary["iterations_done"] == 300
    assert summary["validation_accuracy"] == round(result.val_accuracy, 4)
    assert summary["stopped_early"] is False


def test_same_seed_same_result(mnist):
    first, second = train(SMALL, mnist), train(SMALL, mnist)
    assert first.val_accuracy == second.val_accuracy
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = train(replace(SMALL, seed=4), mnist)
    assert not np.array_equal(other.model.get_weights()[0], first.model.get_weights()[0])


def test_should_stop_stops_early(mnist):
    reports = []
    result = train(TrainConfig(learning_rate=1e-3, iterations=5000, hidden=(64,)), mnist,
                   on_progress=reports.append, should_stop=lambda: bool(reports))
    assert result.stopped_early
    assert len(reports) == 1
    assert result.iterations_done == reports[0].iteration < 5000
    probabilities = make_predictor(result.model)(mnist.x_test[:100] / np.float32(255))
    assert probabilities.shape == (100, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert result.val_accuracy == pytest.approx(val_accuracy(result.model, mnist), abs=1e-6)


def test_stop_before_the_first_step(mnist):
    result = train(SMALL, mnist, should_stop=lambda: True)
    assert result.stopped_early
    assert result.iterations_done == 0 and result.history == []
    assert 0 <= result.val_accuracy <= 1


def test_extreme_learning_rate_diverges(mnist):
    config = TrainConfig(learning_rate=10.0, hidden=(512, 256, 128), dropout=0.0, iterations=300)
    with pytest.raises(Diverged) as info:
        train(config, mnist)
    message = str(info.value)
    assert "learning rate too high" in message
    assert re.search(r"iteration \d+", message)


def test_train_checks_its_config(mnist):
    with pytest.raises(ConfigError, match="learning_rate"):
        train(TrainConfig(learning_rate=float("nan")), mnist)


def test_softmax_regression_trains(mnist):
    result = train(TrainConfig(hidden=(), learning_rate=1e-2, iterations=100), mnist)
    weights = [w.shape for w in result.model.get_weights()]
    assert weights == [(784, 10), (10,)]
    assert result.val_accuracy > 0.85


def test_augmented_training_runs(mnist):
    plain = train(replace(SMALL, iterations=30), mnist)
    distorted = train(replace(SMALL, iterations=30, augment=True, cosine_decay=True), mnist)
    assert distorted.iterations_done == 30
    assert distorted.val_accuracy > 0.3  # well above chance after 30 steps
    assert not np.array_equal(plain.model.get_weights()[0], distorted.model.get_weights()[0])


def test_augment_keeps_shape_and_range_and_repeats(mnist):
    images = tf.constant(mnist.x_train[:64], tf.float32) / 255.0
    seed = tf.constant([1, 2])
    first, again = augment(images, seed).numpy(), augment(images, seed).numpy()
    other = augment(images, tf.constant([1, 3])).numpy()
    assert first.shape == (64, 28, 28)
    assert first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.abs(first - images.numpy()).mean() > 0.01  # it does distort
    ink_ratio = first.sum(axis=(1, 2)) / images.numpy().sum(axis=(1, 2))
    assert np.all((ink_ratio > 0.25) & (ink_ratio < 4))  # ... but keeps the digit
    assert 0.8 < ink_ratio.mean() < 1.6


def test_elastic_field_is_tensorflow_s_bicubic_resize_of_the_knots():
    """The augmentation's two products with bicubic_weights (XLA has no bicubic resize) give
    exactly tf.image.resize's bicubic field."""
    knots = tf.random.stateless_normal([8, ELASTIC_KNOTS, ELASTIC_KNOTS, 2], [3, 4])
    spline = bicubic_weights()
    field = tf.einsum("rk,bklc,sl->brsc", spline, knots, spline)
    np.testing.assert_allclose(field, tf.image.resize(knots, [28, 28], method="bicubic"),
                               atol=1e-5)
    assert np.abs(field).max() > 0.5  # a real field, not zeros matching zeros


def test_augment_leaves_a_share_of_the_batch_as_written(mnist):
    images = tf.constant(mnist.x_train[:1000], tf.float32) / 255.0
    distorted = augment(images, tf.constant([4, 2])).numpy()
    unchanged = np.all(distorted == images.numpy(), axis=(1, 2))
    assert abs(unchanged.mean() - UNCHANGED) < 0.05


def test_styled_training_images_are_made_once_per_data_and_seed(mnist):
    small = replace(mnist, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000])
    styled, labels = training_digits(small, 1, True, False)
    assert training_digits(small, 1, True, False)[0] is styled
    assert np.array_equal(styled, add_pen_styles(small.x_train, small.y_train, 1))
    assert np.array_equal(labels, small.y_train)
    assert styled.dtype == tf.uint8  # a minibatch becomes float32 after its gather
    assert training_digits(small, 2, True, False)[0] is not styled
    plain = training_digits(small, 0, False, False)[0]
    assert np.array_equal(plain, small.x_train)
    assert training_digits(small, 0, False, False)[0] is plain  # one copy for the next run


def test_redrawn_training_adds_a_redrawn_copy_of_every_digit(mnist):
    small = replace(mnist, x_train=mnist.x_train[:300], y_train=mnist.y_train[:300])
    images, labels = training_digits(small, 1, False, True)
    assert len(images) == len(labels) == 600
    assert np.array_equal(images[:300], small.x_train)
    assert np.array_equal(labels[300:], small.y_train)
    assert np.array_equal(images[300:], redraw_all(small.x_train, 1))


def test_traced_steps_are_reused_and_give_a_fresh_trace_s_result(mnist):
    """Runs of one batch size share one traced function per network shape, and a run through a
    reused trace ends with exactly the weights of a run through a new one."""
    make_steps.cache_clear()
    fresh = train(SMALL, mnist)
    steps = make_steps(SMALL.batch_size, SMALL.augment)
    train(replace(SMALL, hidden=(32, 16), learning_rate=1e-2, dropout=0.2, seed=5), mnist)
    traces = steps.experimental_get_tracing_count()
    reused = train(SMALL, mnist)
    assert make_steps(SMALL.batch_size, SMALL.augment) is steps
    assert steps.experimental_get_tracing_count() == traces == 2  # one per network shape
    for a, b in zip(fresh.model.get_weights(), reused.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert reused.val_accuracy == fresh.val_accuracy


def test_traced_steps_train_build_mlp_s_network(mnist):
    """The step's logits, without dropout, are the saved model's own forward pass."""
    model = build_mlp((64, 32), dropout=0.5)
    weights = [variable.value for variable in model.trainable_variables]
    images = tf.constant(mnist.x_val[:50], tf.float32) / 255.0
    noise = tf.random.stateless_uniform([50, 32], [1, 2])
    probabilities = tf.nn.softmax(logits(weights, images, noise, tf.constant(0.0)))
    np.testing.assert_allclose(probabilities, model(images, training=False), atol=1e-6)


def test_cosine_decay_matches_keras_and_a_floor_of_one_keeps_the_rate():
    config = TrainConfig(learning_rate=0.5, iterations=300, cosine_decay=True)
    schedule = keras.optimizers.schedules.CosineDecay(0.5, 300, alpha=0.01)
    for step in (0, 1, 150, 299, 300, 400):
        rate = learning_rate(step_settings(config), tf.constant(step))
        assert float(rate) == pytest.approx(float(schedule(step)), rel=1e-6)
        assert float(learning_rate(step_settings(replace(config, cosine_decay=False)),
                                   tf.constant(step))) == np.float32(0.5)


def test_smoothed_cross_entropy_is_keras_label_smoothing_and_plain_at_zero():
    scores = tf.random.stateless_normal([64, 10], [3, 4]) * 3
    labels = tf.random.stateless_uniform([64], [5, 6], 0, 10, tf.int32)
    plain = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, scores))
    assert np.isclose(smoothed_cross_entropy(labels, scores, tf.constant(0.0)), plain, rtol=1e-5)
    keras_loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    expected = keras_loss(tf.one_hot(labels, 10), scores)
    assert np.isclose(smoothed_cross_entropy(labels, scores, tf.constant(0.1)), expected,
                      rtol=1e-5)
    assert smoothed_cross_entropy(labels, scores, tf.constant(0.1)) != plain


def test_a_runs_shared_traced_pass_reads_as_its_keras_model(mnist):
    result = train(SMALL, mnist)
    images = mnist.x_test[:200].astype(np.float32) / 255.0
    keras_reading = make_predictor(result.model)(images)
    assert np.allclose(result.predict(images), keras_reading, atol=1e-5)
    assert np.allclose(result.predict(images).sum(axis=1), 1.0, atol=1e-5)
