"""Shared fixtures: the real MNIST files, the running app, and one Chromium for the whole run."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # plain `pytest` from any folder imports the package in the tree
    sys.path.insert(0, str(REPO))

from deploy.processes import AppDidNotStart  # noqa: E402
from digitpad.data import SHIPPED_MNIST, load_mnist  # noqa: E402
from tests.harness.browser import CHROMIUM, VIEWPORT, launch_chromium, open_app  # noqa: E402
from tests.harness.server import running_app  # noqa: E402


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


@contextmanager
def serving(database: Path, temp: Path) -> Iterator[str]:
    """The app on a free port, serving the shipped model, keeping corrections in database,
    its temporary files in temp, with one training worker (as on a one-core server: a second
    run waits behind the first); its URL."""
    try:
        with running_app(args=("--db", str(database), "--train-workers", "1"),
                         env={"TMPDIR": str(temp)}) as url:
            yield url
    except AppDidNotStart as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def app_database(tmp_path_factory) -> Path:
    """The class drawings' database of the drawing tests' app."""
    return tmp_path_factory.mktemp("classdata") / "class.db"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, app_database) -> Iterator[str]:
    """One app for the test files that draw, read and save a few drawings, as a class's
    visitors do; the files whose tests train, flood or upload much override it with busy_app."""
    with serving(app_database, tmp_path_factory.mktemp("app-temp")) as url:
        yield url


@pytest.fixture(scope="session")
def busy_temp(tmp_path_factory) -> Path:
    """The temporary folder of the busy app."""
    return tmp_path_factory.mktemp("busy-app-temp")


@pytest.fixture(scope="session")
def busy_app(tmp_path_factory, busy_temp) -> Iterator[str]:
    """A second app for the test files that train, flood or upload much, so the drawing tests'
    app stays as quiet as a class's: its URL. Each of those tests waits for its own runs and
    requests to end, as people leaving do, so the next one finds the app idle."""
    with serving(tmp_path_factory.mktemp("classdata") / "class.db", busy_temp) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium; a missing browser fails the run under CI, and skips elsewhere."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} not found: install Debian's chromium to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_server):
    """A fresh browser context with the app open."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield open_app(context.new_page(), app_server)
    finally:
        context.close()


@pytest.fixture
def touch_page(browser, app_server):
    """Like page, on a device with a touch screen, so touch events reach the canvas."""
    context = browser.new_context(viewport=VIEWPORT, has_touch=True)
    try:
        yield open_app(context.new_page(), app_server)
    finally:
        context.close()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server; skipped where none is installed, except under CI."""
    from tests.harness.postgres import Cluster, server_programs

    programs = server_programs()
    if programs is None:
        message = "PostgreSQL is not installed: install Debian's postgresql to run these tests"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    cluster = Cluster(programs)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> str:
    """Where the class's drawings go: a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "class.db")
    return request.getfixturevalue("postgres").new_database()
