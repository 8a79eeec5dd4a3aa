"""Evaluation and train.py from the command line, as a person runs them."""

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.model import load_model, make_predictor, save_model
from digitpad.scoring import (
    confusion_matrix,
    grouped_accuracy,
    of_writers,
    predict_labels,
    stroke_digits,
    writer_half,
)
from digitpad.training import TrainConfig, train

REPO = Path(__file__).resolve().parent.parent
PENDIGITS = REPO / "data" / "pendigits-dev.json.gz"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run(*args):
    """Run a command in the repository; its stdout lines, after checking it succeeded."""
    done = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()


@pytest.fixture(scope="module")
def model_path(mnist, tmp_path_factory):
    """A small network trained briefly on the real MNIST, saved as a .keras file."""
    model = train(TrainConfig(learning_rate=1e-3, iterations=300, hidden=(128,)), mnist).model
    return save_model(model, tmp_path_factory.mktemp("model") / "small.keras")


@pytest.fixture(scope="module")
def predict(model_path):
    return make_predictor(load_model(model_path))


@pytest.fixture(scope="module")
def records():
    if not PENDIGITS.is_file():
        pytest.fail(f"pen-drawn digits not found at {PENDIGITS}", pytrace=False)
    with gzip.open(PENDIGITS, "rt") as f:
        return json.load(f)[:30]


def test_evaluate_strokes(model_path, predict, records, tmp_path):
    path = tmp_path / "thirty.json"
    path.write_text(json.dumps(records))
    lines = run("-m", "digitpad.evaluate", "strokes", path, "--model", model_path)
    found = re.fullmatch(r"accuracy=(\d\.\d{4}) n=30", lines[-1])
    assert found, lines[-1]
    labels = np.array([r["label"] for r in records])
    correct = predict_labels(predict, stroke_digits(records)) == labels
    assert found.group(1) == f"{correct.mean():.4f}"
    assert float(found.group(1)) > 0.3  # a brief MNIST run reads many drawings already
    digit_lines = [line for line in lines if line.startswith("digit ")]
    assert len(digit_lines) == len(set(labels))
    assert sum(int(line.rsplit("n=", 1)[1]) for line in digit_lines) == 30
    writers = {r["writer"] for r in records}
    assert len([line for line in lines if line.startswith("writer ")]) == len(writers)


def test_writer_halves_are_fixed_and_even():
    with gzip.open(PENDIGITS, "rt") as f:
        everyone = json.load(f)
    halves = {half: {r["writer"] for r in of_writers(everyone, half)} for half in ("A", "B")}
    assert len(halves["A"]) == len(halves["B"]) == 15
    assert not halves["A"] & halves["B"]
    assert halves["A"] == {w for w in range(1, 31) if w % 2}
    assert len(of_writers(everyone, "all")) == len(everyone)
    assert [writer_half(w) for w in (1, 2, 29, 30)] == ["A", "B", "A", "B"]


def test_evaluate_one_half_of_the_writers(model_path, predict, tmp_path):
    with gzip.open(PENDIGITS, "rt") as f:
        chosen = [r for r in json.load(f) if r["writer"] in (1, 2, 3, 4)][::25]
    path = tmp_path / "four-writers.json"
    path.write_text(json.dumps(chosen))
    lines = run("-m", "digitpad.evaluate", "strokes", path, "--writers", "B",
                "--model", model_path)
    half_b = of_writers(chosen, "B")
    assert lines[-1].endswith(f"n={len(half_b)}")
    assert {line.split(":")[0] for line in lines if line.startswith("writer ")} == {
        "writer 2", "writer 4"}
    labels = np.array([r["label"] for r in half_b])
    per_writer = [np.mean(predict_labels(predict, stroke_digits(of))
                          == np.array([r["label"] for r in of]))
                  for of in ([r for r in half_b if r["writer"] == w] for w in (2, 4))]
    spread_line = next(line for line in lines if line.startswith("writers: "))
    assert spread_line == (f"writers: worst={min(per_writer):.4f} "
                           f"median={np.median(per_writer):.4f} best={max(per_writer):.4f}")
    assert len(labels) and next(line for line in lines if line.startswith("half ")).startswith(
        "half B:")


def test_evaluate_mnist(model_path, predict, mnist, mnist_dir):
    lines = run("-m", "digitpad.evaluate", "mnist", "--model", model_path,
                "--data-dir", mnist_dir)
    found = re.fullmatch(r"accuracy=(\d\.\d{4}) n=10000", lines[-1])
    assert found, lines[-1]
    images = mnist.x_test.astype(np.float32) / 255.0
    expected = np.mean(predict_labels(predict, images) == mnist.y_test)
    assert found.group(1) == f"{expected:.4f}"
    assert expected > 0.9
    assert len([line for line in lines if line.startswith("digit ")]) == 10


def test_confusion_matrix(predict, mnist):
    images = mnist.x_test.astype(np.float32) / 255.0
    predicted = predict_labels(predict, images)
    matrix = confusion_matrix(mnist.y_test, predicted)
    assert matrix.shape == (10, 10)
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(mnist.y_test, minlength=10))
    np.testing.assert_array_equal(matrix.sum(axis=0), np.bincount(predicted, minlength=10))
    assert np.trace(matrix) == np.sum(predicted == mnist.y_test)
    small = confusion_matrix(np.array([0, 0, 1, 7, 7]), np.array([0, 1, 1, 7, 2]))
    assert small[0, 0] == 1 and small[0, 1] == 1 and small[1, 1] == 1
    assert small[7, 7] == 1 and small[7, 2] == 1 and small.sum() == 5


def test_grouped_accuracy():
    table = grouped_accuracy(np.array([3, 3, 3, 5]), np.array([True, False, True, False]))
    assert table == {3: (pytest.approx(2 / 3), 3), 5: (0.0, 1)}


def test_train_script(mnist, mnist_dir, tmp_path):
    out = tmp_path / "tmp" / "m.keras"
    lines = run("train.py", "--iterations", "100", "--data-dir", mnist_dir, "--out", out)
    found = re.fullmatch(r"test_accuracy=(\d\.\d{4}) validation_accuracy=(\d\.\d{4}) "
                         r"train_seconds=(\d+\.\d)", lines[-1])
    assert found, lines[-1]
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.json", "m.keras"]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["test_accuracy"] == float(found.group(1))
    assert card["validation_accuracy"] == float(found.group(2))
    assert card["iterations_done"] == 100
    assert card["hidden"] == [512, 256, 128]
    assert card["stopped_early"] is False
    for name, digest in card["data"].items():
        assert hashlib.sha256((mnist_dir / name).read_bytes()).hexdigest() == digest
    assert len(card["data"]) == 4
    predicted = predict_labels(make_predictor(load_model(out)),
                               mnist.x_test.astype(np.float32) / 255.0)
    assert card["test_accuracy"] == round(float(np.mean(predicted == mnist.y_test)), 4)
    assert card["test_accuracy"] > 0.5
    assert any(line.startswith("iteration    100") for line in lines)


def test_train_script_reports_missing_data(tmp_path):
    done = subprocess.run([sys.executable, "train.py", "--iterations", "10", "--data-dir",
                           str(tmp_path / "nowhere")], cwd=REPO, env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 2
    assert f"error: MNIST folder {tmp_path / 'nowhere'} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
