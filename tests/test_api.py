"""The /predict API through gradio_client: ten probabilities for an image file, a clear error
for a file that is not an image, and the server carries on afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.harness.server import REPO

EXAMPLES = sorted((REPO / "assets").glob("example-*.png"))
READ_BY_ANY_MODEL = {3, 7}  # the plain dark-on-paper examples
PROBLEM = re.compile(r"not a readable image|not an image|cannot (be )?read|empty|truncated",
                     re.IGNORECASE)


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False)


def predict(client: Client, path: Path) -> dict[str, float]:
    return client.predict(handle_file(str(path)), api_name="/predict")


def digit_in_name(path: Path) -> int:
    return int(re.match(r"example-(\d)", path.name)[1])


def test_examples_are_there():
    assert {digit_in_name(p) for p in EXAMPLES} >= READ_BY_ANY_MODEL


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_predict_gives_ten_probabilities(client, path):
    result = predict(client, path)
    assert sorted(result) == [str(d) for d in range(10)]
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in result.values())
    assert sum(result.values()) == pytest.approx(1.0, abs=1e-4)
    if digit_in_name(path) in READ_BY_ANY_MODEL:
        assert max(result, key=result.get) == str(digit_in_name(path)), result


def text_file(folder: Path) -> Path:
    path = folder / "notes.png"
    path.write_text("a shopping list, not a picture of a digit\n")
    return path


def truncated_png(folder: Path) -> Path:
    path = folder / "cut-short.png"
    path.write_bytes((REPO / "assets" / "example-3-paper.png").read_bytes()[:300])
    return path


def empty_file(folder: Path) -> Path:
    path = folder / "nothing.png"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize("make", [text_file, truncated_png, empty_file],
                         ids=["text-named-png", "truncated-png", "zero-bytes"])
def test_bad_file_gives_clear_error_and_server_carries_on(client, tmp_path, make):
    bad = make(tmp_path)
    with pytest.raises(AppError) as error:
        predict(client, bad)
    message = str(error.value)
    assert bad.name not in message and "/" not in message, message
    assert PROBLEM.search(message), message
    good = predict(client, REPO / "assets" / "example-7-paper.png")
    assert max(good, key=good.get) == "7"
