"""/train when the training data is damaged: a plain sentence for the person, the damaged file
named in the terminal for whoever started the server, and the app still reads drawings. (A
training that fails inside, by diverging, is in test_train_api.py.)"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from deploy.processes import AppDidNotStart
from tests.harness.server import REPO, running_app

SMALL_RUN = (1e-3, 0.0, 100, 64, "softmax regression", False, 0)
CUT = "train-labels-idx1-ubyte.gz"


@pytest.fixture(scope="module")
def damaged_mnist(mnist_dir: Path, tmp_path_factory) -> Path:
    """A copy of MNIST whose training labels file is cut in half."""
    folder = tmp_path_factory.mktemp("mnist")
    for source in mnist_dir.iterdir():
        if source.name.endswith("-ubyte.gz"):
            shutil.copy(source, folder / source.name)
    whole = (folder / CUT).read_bytes()
    (folder / CUT).write_bytes(whole[:len(whole) // 2])
    return folder


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("log") / "app.log"


@pytest.fixture(scope="module")
def client(damaged_mnist: Path, log_path: Path) -> Iterator[Client]:
    """The app started with MNIST_DIR pointing at the damaged copy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_DIR", str(damaged_mnist))
        try:
            with running_app(log_path=log_path) as url:
                patch.undo()
                client = Client(url, verbose=False, ssl_verify=False)
                yield client
                client.close()
        except AppDidNotStart as e:
            pytest.fail(str(e), pytrace=False)


def test_damaged_training_data_is_plain_for_people_and_named_in_the_terminal(client, log_path,
                                                                            damaged_mnist):
    with pytest.raises(AppError) as error:
        client.predict(*SMALL_RUN, api_name="/train")
    message = str(error.value)
    assert re.search(r"training is off", message, re.IGNORECASE), message
    assert "/" not in message and "--" not in message, message
    terminal = log_path.read_text()
    assert CUT in terminal and str(damaged_mnist) in terminal, terminal[-2000:]
    assert re.search(r"truncated|damaged", terminal, re.IGNORECASE), terminal[-2000:]


def test_drawings_are_still_read_with_damaged_training_data(client):
    answer = client.predict(handle_file(str(REPO / "assets" / "example-7-paper.png")),
                            api_name="/predict")
    assert max(answer, key=answer.get) == "7"
