"""Shared fixtures: the real MNIST files and the dataset loaded from them."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # plain `pytest` from any folder imports the package in the tree
    sys.path.insert(0, str(REPO))

from digitpad.data import SHIPPED_MNIST, load_mnist  # noqa: E402

# the running app and one Chromium for the whole session (app_server, browser, page, touch_page)
pytest_plugins = ["app_fixtures"]


@pytest.fixture(scope="session")
def mnist_dir():
    """The folder holding the four MNIST IDX files: $MNIST_DIR, else the shipped data/mnist."""
    folder = Path(os.environ.get("MNIST_DIR") or SHIPPED_MNIST)
    if not any((folder / name).is_file() for name in ("train-images-idx3-ubyte.gz",
                                                      "train-images-idx3-ubyte")):
        pytest.fail(f"MNIST not found in {folder}: set MNIST_DIR to the folder holding "
                    "the four MNIST IDX files", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """The real MNIST, split into 55,000 training, 5,000 validation and 10,000 test digits."""
    return load_mnist(mnist_dir)
