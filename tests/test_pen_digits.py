"""Pen-drawn digits as training digits: the pad's pixels, distortions that keep the digit, the
split by writer, the knobs, and fine-tuning from a model's weights."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import train as train_script
from digitpad.data import SHIPPED_DRAWINGS, as_uint8
from digitpad.knobs import ConfigError, TrainConfig, check_config
from digitpad.model import SHIPPED_MODEL, build_mlp, load_model, make_predictor, save_model
from digitpad.pen_digits import (
    distort,
    pen_training_digits,
    unseen_half,
    with_pen_digits,
    writers_digits,
)
from digitpad.reading import drawing_digit
from digitpad.scoring import of_writers, predict_labels, stroke_digits
from digitpad.strokes import fit_to_canvas, load_strokes
from digitpad.training import train

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def records():
    return load_strokes(SHIPPED_DRAWINGS)


@pytest.fixture(scope="module")
def sample(records):
    """Every 25th record: 300 digits of all 30 writers."""
    return records[::25]


def test_a_digit_as_written_has_the_pads_pixels(sample):
    images, labels = pen_training_digits(sample[:40], copies=1, seed=0)
    pad = [as_uint8(drawing_digit([s.tolist() for s in fit_to_canvas(r["strokes"])]))
           for r in sample[:40]]
    np.testing.assert_array_equal(images, np.stack(pad))
    np.testing.assert_array_equal(images, as_uint8(stroke_digits(sample[:40])))  # as scored
    assert labels.tolist() == [r["label"] for r in sample[:40]]


def test_distorted_copies_differ_and_are_still_read_as_their_digit(sample):
    images, labels = pen_training_digits(sample, copies=4, seed=1)
    assert images.shape == (4 * len(sample), 28, 28) and images.dtype == np.uint8
    as_written, distorted = images[::4], images.reshape(len(sample), 4, 28, 28)[:, 1:]
    changed = np.abs(distorted.astype(int) - as_written[:, None].astype(int)).mean(axis=(2, 3))
    assert (changed > 2).mean() > 0.95  # grey levels: copies are not the digit as written
    predict = make_predictor(load_model(SHIPPED_MODEL))
    read = predict(images / 255.0).argmax(axis=1) == labels
    first = np.arange(len(labels)) % 4 == 0
    assert read[~first].mean() >= read[first].mean() - 0.03, "distortions lose the digit"
    assert read[~first].mean() >= 0.9


def test_distortion_is_seeded_and_none_at_strength_zero(sample):
    strokes = [np.asarray(s, float) for s in sample[0]["strokes"]]
    same = distort(strokes, np.random.default_rng(3), strength=0.0)
    for before, after in zip(strokes, same, strict=True):
        np.testing.assert_allclose(before, after)
    first = pen_training_digits(sample[:10], copies=3, seed=5)[0]
    np.testing.assert_array_equal(first, pen_training_digits(sample[:10], copies=3, seed=5)[0])
    assert not np.array_equal(first, pen_training_digits(sample[:10], copies=3, seed=6)[0])


def test_writer_halves_train_apart(records, mnist):
    a, b = of_writers(records, "A"), of_writers(records, "B")
    assert {r["writer"] % 2 for r in a} == {1} and {r["writer"] % 2 for r in b} == {0}
    assert len(a) + len(b) == len(records)
    assert [unseen_half(h) for h in ("A", "B", "none", "all")] == ["B", "A", "all", None]
    config = TrainConfig(pen_writers="B", pen_copies=1, pen_share=0.25)
    mixed = with_pen_digits(mnist, config)
    images, labels = writers_digits(str(SHIPPED_DRAWINGS), "B", 1, 0, 1.0)
    assert len(labels) == len(b)
    added = len(mixed.x_train) - len(mnist.x_train)
    assert added % len(labels) == 0 and abs(added / len(mixed.x_train) - 0.25) < 0.05
    np.testing.assert_array_equal(mixed.x_train[len(mnist.x_train):][:len(labels)], images)
    assert with_pen_digits(mnist, TrainConfig()) is mnist


@pytest.mark.parametrize(("changes", "field"), [
    ({"pen_writers": "C"}, "pen_writers"),
    ({"pen_writers": None}, "pen_writers"),
    ({"pen_writers": 1}, "pen_writers"),
    ({"pen_share": 0.9}, "pen_share"),
    ({"pen_share": -0.1}, "pen_share"),
    ({"pen_share": "0.2"}, "pen_share"),
    ({"pen_copies": 0}, "pen_copies"),
    ({"pen_copies": 21}, "pen_copies"),
    ({"pen_copies": 2.0}, "pen_copies"),
    ({"pen_distortion": -0.5}, "pen_distortion"),
    ({"pen_distortion": 3.5}, "pen_distortion"),
])
def test_pen_knobs_refuse_bad_values(changes, field):
    with pytest.raises(ConfigError) as info:
        check_config(replace(TrainConfig(), **changes))
    assert str(info.value).startswith(field), str(info.value)


def test_pen_flags(capsys):
    args = train_script.parse_args(["--pen-writers", "A", "--pen-share", "0.3",
                                    "--pen-copies", "2", "--pen-distortion", "1.5",
                                    "--init-model", "start.keras"])
    assert train_script.train_config(args) == TrainConfig(pen_writers="A", pen_share=0.3,
                                                          pen_copies=2, pen_distortion=1.5)
    assert args.init_model == "start.keras" and args.pen_data == str(SHIPPED_DRAWINGS)
    with pytest.raises(SystemExit):
        train_script.parse_args(["--pen-writers", "C"])
    assert "invalid choice" in capsys.readouterr().err


def test_a_run_starts_from_the_model_it_is_given(mnist):
    start = build_mlp((16,), seed=4)
    config = TrainConfig(iterations=1, hidden=(16,), learning_rate=1e-6, seed=0)
    fresh = train(config, mnist).model.get_weights()
    tuned = train(config, mnist, init=start).model.get_weights()
    for before, after in zip(start.get_weights(), tuned, strict=True):
        assert np.abs(after - before).max() < 1e-4
    for before, other in zip(start.get_weights()[::2], fresh[::2], strict=True):  # kernels
        assert np.abs(other - before).max() > 1e-2
    with pytest.raises(ConfigError, match="starting model"):
        train(replace(config, hidden=(32,)), mnist, init=start)


def test_train_script_fine_tunes_and_scores_the_writers_it_never_saw(records, mnist, tmp_path):
    pen = tmp_path / "four-writers.json"
    pen.write_text(json.dumps([r for r in records if r["writer"] <= 4][::4]))
    start = tmp_path / "start.keras"
    save_model(train(TrainConfig(iterations=50, hidden=(32,), learning_rate=1e-3), mnist).model,
               start)
    out = tmp_path / "tuned.keras"
    done = subprocess.run(
        [sys.executable, "train.py", "--iterations", "20", "--hidden", "32", "--pen-writers", "B",
         "--pen-copies", "2", "--pen-data", pen, "--strokes", pen, "--init-model", start,
         "--out", out], cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert (card["pen_writers"], card["pen_copies"], card["pen_data"]) == ("B", 2, pen.name)
    assert card["started_from"] == {"model": "start.keras"}
    odd = [r for r in json.loads(pen.read_text()) if r["writer"] % 2]
    predicted = predict_labels(make_predictor(load_model(out)), stroke_digits(odd))
    assert card["unseen_writers"] == "A" and "drawings_accuracy" not in card
    assert card["unseen_writers_accuracy"] == round(
        float(np.mean(predicted == [r["label"] for r in odd])), 4)
    assert "accuracy on unseen writers (half A)" in done.stdout
