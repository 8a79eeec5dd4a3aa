"""The Train tab's settings check and its charts, without a server."""

from __future__ import annotations

import math
import re

import pytest

from digitpad.sessions import NETWORKS, app_config
from digitpad.training import ConfigError, Progress
from digitpad.views.train import line_chart

GOOD = (1e-3, 0.5, 1000, 128, "512-256-128", False, 0)


def test_good_settings_become_a_config():
    config = app_config(*GOOD)
    assert (config.learning_rate, config.dropout, config.iterations, config.batch_size,
            config.hidden, config.augment, config.seed) == (1e-3, 0.5, 1000, 128,
                                                            (512, 256, 128), False, 0)
    assert not config.pen_styles
    augmented = app_config(1e-3, 0.5, 1000.0, 128.0, "softmax regression", True, 7.0)
    assert augmented.hidden == () and augmented.augment and augmented.pen_styles
    assert set(NETWORKS.values()) == {(), (1500,), (512, 256, 128)}
    assert config.pen_writers == "none"
    assert app_config(*GOOD, True).pen_writers == "A"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_pen_digits_must_be_true_or_false(value):
    with pytest.raises(ConfigError, match="pen_digits"):
        app_config(*GOOD, value)


@pytest.mark.parametrize("position, value, name", [
    (0, math.nan, "learning_rate"), (0, math.inf, "learning_rate"), (1, math.nan, "dropout"),
    (2, math.inf, "iterations"), (3, None, "batch_size"), (4, ["512-256-128"], "network"),
    (5, 1, "augment"), (6, 2**31, "seed"),
])
def test_bad_settings_are_refused_by_name(position, value, name):
    settings = list(GOOD)
    settings[position] = value
    with pytest.raises(ConfigError, match=name):
        app_config(*settings)


def test_chart_draws_a_line_per_run_with_every_point():
    history = [Progress(i, 2.0 / i, 0.5, 0.9 - 1 / i, i / 10) for i in (10, 20, 100)]
    svg = line_chart([(1, history), (2, history[:2]), (3, [])], "loss", "Loss")
    lines = re.findall(r'<polyline[^>]*data-run="([^"]+)"[^>]*points="([^"]+)"', svg)
    assert [(name, len(points.split())) for name, points in lines] == [("run 1", 3), ("run 2", 2)]
    first = [tuple(map(float, p.split(","))) for p in lines[0][1].split()]
    assert first[0][1] < first[-1][1]  # the loss falls, so its line goes down the screen
    assert "run 3" not in svg  # a run with no points yet has no legend entry


def test_chart_survives_a_nan_loss():
    history = [Progress(10, 1.0, 0.5, 0.5, 1.0), Progress(20, math.nan, 0.5, 0.5, 2.0)]
    assert "nan" not in line_chart([(1, history)], "loss", "Loss").lower()
