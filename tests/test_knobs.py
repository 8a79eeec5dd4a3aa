"""Each knob defined once: train()'s checks, the page's narrower ranges and train.py's flags all
read the same definition."""

from dataclasses import replace

import pytest

import train as train_script
from digitpad.knobs import KNOBS, ConfigError, TrainConfig, check_config
from digitpad.sessions import page_value


@pytest.mark.parametrize(("changes", "field"), [
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"learning_rate": 11.0}, "learning_rate"),
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"learning_rate": float("inf")}, "learning_rate"),
    ({"learning_rate": "0.01"}, "learning_rate"),
    ({"learning_rate": True}, "learning_rate"),
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
    ({"dropout": float("nan")}, "dropout"),
    ({"dropout": None}, "dropout"),
    ({"iterations": 0}, "iterations"),
    ({"iterations": 200_001}, "iterations"),
    ({"iterations": 100.0}, "iterations"),
    ({"iterations": "100"}, "iterations"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 5000}, "batch_size"),
    ({"batch_size": float("nan")}, "batch_size"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**31}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"hidden": "512"}, "hidden"),
    ({"hidden": 512}, "hidden"),
    ({"hidden": (0,)}, "hidden layer size"),
    ({"hidden": (64, 5000)}, "hidden layer size"),
    ({"hidden": (64.0,)}, "hidden layer size"),
    ({"hidden": (8,) * 7}, "number of hidden layers"),
    ({"augment": "yes"}, "augment"),
    ({"augment": 1}, "augment"),
    ({"cosine_decay": None}, "cosine_decay"),
])
def test_check_config_refuses(changes, field):
    config = replace(TrainConfig(), **changes)
    with pytest.raises(ConfigError) as info:
        check_config(config)
    assert str(info.value).startswith(field), str(info.value)


def test_check_config_accepts_the_limits():
    for config in [TrainConfig(), TrainConfig(learning_rate=1e-6, dropout=0.0, iterations=1,
                                              batch_size=1, hidden=(), seed=0),
                   TrainConfig(learning_rate=10.0, dropout=0.95, iterations=200_000,
                               batch_size=4096, hidden=[4096] * 6, seed=2**31 - 1,
                               augment=True, cosine_decay=True)]:
        assert check_config(config) is config


def test_page_ranges_lie_within_what_train_accepts_and_hold_the_defaults():
    offered = [knob for knob in KNOBS.values() if knob.page is not None]
    assert [knob.name for knob in offered] == ["learning_rate", "dropout", "iterations",
                                               "batch_size", "seed"]
    for knob in offered:
        (low, high), (page_low, page_high) = knob.limits, knob.page
        assert low <= page_low <= knob.default <= page_high <= high, knob.name


def test_page_refuses_what_train_would_accept_outside_the_page_range():
    for name, value in [("learning_rate", 2.0), ("dropout", 0.95), ("iterations", 99),
                        ("batch_size", 2048)]:
        KNOBS[name].check(value)
        with pytest.raises(ConfigError, match=name):
            page_value(name, value)
    assert page_value("iterations", 200.0) == 200 and page_value("learning_rate", 1) == 1.0


def test_flags_are_the_knobs():
    assert train_script.train_config(train_script.parse_args([])) == TrainConfig()
    flags = ["--learning-rate", "0.01", "--dropout", "0.2", "--iterations", "50",
             "--batch-size", "64", "--hidden", "", "--augment", "--cosine-decay", "--seed", "7",
             "--pen-styles", "--redraw", "--label-smoothing", "0.1"]
    assert train_script.train_config(train_script.parse_args(flags)) == TrainConfig(
        0.01, 0.2, 50, 64, (), True, True, 7, True, True, 0.1)
