"""The /train API through gradio_client: a sane JSON summary for small settings, a clear error
naming the parameter for anything out of range or of the wrong type, and the server carries on."""

from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

GOOD = {"learning_rate": 1e-3, "dropout": 0.2, "iterations": 100, "batch_size": 64,
        "network": "one hidden layer of 1500", "augment": False, "seed": 1}
DIVERGED = r"learning rate too high: the loss became (NaN|infinite|too large) at iteration \d+"


@pytest.fixture(scope="module")
def app_server(busy_app):
    """This file's tests train: the busy app."""
    return busy_app


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False)


def train(client: Client, **changes) -> dict:
    return client.predict(*{**GOOD, **changes}.values(), api_name="/train")


def test_small_run_gives_a_sane_summary(client):
    summary = train(client)
    assert summary["iterations_done"] == 100
    assert summary["network"] == "one hidden layer of 1500"
    assert summary["hidden"] == [1500]
    assert summary["learning_rate"] == GOOD["learning_rate"]
    assert 0.8 < summary["validation_accuracy"] <= 1.0
    assert 0.8 < summary["test_accuracy"] <= 1.0
    assert 0 < summary["train_seconds"] < 600
    assert summary["stopped_early"] is False


@pytest.mark.parametrize("name, value", [
    ("learning_rate", 0.0), ("learning_rate", 2.0), ("learning_rate", "fast"),
    ("dropout", -0.1), ("dropout", 0.95),
    ("iterations", 99), ("iterations", 20_001), ("iterations", 150.5), ("iterations", "many"),
    ("batch_size", 8), ("batch_size", 1e9),
    ("network", "a CNN"), ("network", 3),
    ("augment", "yes"),
    ("seed", -1),
    ("pen_digits", "yes"), ("pen_digits", 1),
])
def test_out_of_range_or_wrong_type_is_refused_by_name(client, name, value):
    with pytest.raises(AppError) as error:
        train(client, **{name: value})
    assert name in str(error.value), str(error.value)


def test_diverging_run_says_so_and_the_next_run_works(client):
    with pytest.raises(AppError, match=DIVERGED):
        train(client, learning_rate=1.0, dropout=0.0, network="512-256-128")
    assert train(client, iterations=100)["iterations_done"] == 100


def test_a_run_with_pen_drawn_digits_learns_from_half_a_and_is_scored_on_half_b(client):
    summary = train(client, pen_digits=True)
    assert (summary["pen_writers"], summary["pen_copies"]) == ("A", 1)
    assert 0.5 < summary["drawings_accuracy"] <= 1.0
    assert train(client)["pen_writers"] == "none"
