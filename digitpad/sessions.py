"""The training sessions: settings checked as the page allows them, a run in a background thread
that can be watched and stopped, and the runs one browser session keeps."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from digitpad.data import Mnist
from digitpad.model import SEED_HIDDEN, save_model
from digitpad.reading import Reader
from digitpad.render import run_name
from digitpad.scoring import Drawings, Scores, drawing_scores, mnist_scores
from digitpad.training import (
    ConfigError,
    Progress,
    TrainConfig,
    TrainResult,
    check_number,
    train,
)

DEFAULT_NETWORK = "-".join(map(str, SEED_HIDDEN))
NETWORKS = {
    "softmax regression": (),
    "one hidden layer of 1500": (1500,),
    DEFAULT_NETWORK: SEED_HIDDEN,
}
# what the app lets a person (or an API call) ask for; train.py allows more
LEARNING_RATE = (1e-5, 1.0)
DROPOUT = (0.0, 0.9)
ITERATIONS = (100, 20_000)
BATCH_SIZE = (16, 1024)
SEED = (0, 2**31 - 1)


def whole(value: object) -> object:
    """A whole float (a slider may send 200.0) as an int; anything else unchanged for checking."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def app_config(learning_rate: object, dropout: object, iterations: object, batch_size: object,
               network: object, augment: object, seed: object) -> TrainConfig:
    """A TrainConfig from what the page or the /train API sent, refusing anything off-range."""
    if not isinstance(network, str) or network not in NETWORKS:
        raise ConfigError(f"network must be one of {', '.join(map(repr, NETWORKS))}, "
                          f"not {network!r}")
    if not isinstance(augment, bool):
        raise ConfigError(f"augment must be true or false, not {augment!r}")
    iterations, batch_size, seed = whole(iterations), whole(batch_size), whole(seed)
    check_number("learning_rate", learning_rate, float, *LEARNING_RATE)
    check_number("dropout", dropout, float, *DROPOUT)
    check_number("iterations", iterations, int, *ITERATIONS)
    check_number("batch_size", batch_size, int, *BATCH_SIZE)
    check_number("seed", seed, int, *SEED)
    return TrainConfig(float(learning_rate), float(dropout), iterations, batch_size,
                       NETWORKS[network], augment, seed=seed, pen_styles=augment)


def network_name(hidden: tuple[int, ...]) -> str:
    """The Train tab's name for a hidden-layer tuple."""
    return next((name for name, h in NETWORKS.items() if h == tuple(hidden)),
                "-".join(map(str, hidden)))


@dataclass
class Run:
    """One finished training of this session: its model, settings, curves and scores."""

    number: int
    result: TrainResult
    reader: Reader
    test: Scores
    drawings: Scores | None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))  # for ?model= of the API

    @property
    def name(self) -> str:
        return self.reader.name

    def summary(self) -> dict:
        """The /train API's answer: settings, accuracies and time, JSON-able."""
        record = {**self.result.summary(), "run": self.number, "id": self.id,
                  "network": network_name(self.result.config.hidden),
                  "test_accuracy": round(self.test.accuracy, 4)}
        if self.drawings is not None:
            record["drawings_accuracy"] = round(self.drawings.accuracy, 4)
        return record


def score_run(number: int, result: TrainResult, data: Mnist, drawings: Drawings | None) -> Run:
    """Test the trained model on all 10,000 MNIST test digits and on the real drawings."""
    reader = Reader(run_name(number), result.model)
    return Run(number, result, reader, mnist_scores(reader.predict, data),
               drawing_scores(reader.predict, drawings))


class Job:
    """One training in a background thread: progress to poll, a stop flag, a result or error."""

    def __init__(self, config: TrainConfig, data: Mnist) -> None:
        self.config = config
        self.progress: list[Progress] = []
        self.stop = threading.Event()
        self.result: TrainResult | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(data,), daemon=True)

    def _run(self, data: Mnist) -> None:
        try:
            self.result = train(self.config, data, self.progress.append, self.stop.is_set)
        except Exception as e:  # shown to the person who started the run; the server carries on
            self.error = e

    def start(self) -> Job:
        self._thread.start()
        return self

    def wait(self, seconds: float) -> bool:
        """Wait up to seconds; True once the run has ended."""
        self._thread.join(seconds)
        return not self._thread.is_alive()


@dataclass
class Lab:
    """What one browser session owns: its runs, the one it draws with, the job it is running."""

    runs: list[Run] = field(default_factory=list)
    active: Run | None = None
    job: Job | None = None
    folder: Path | None = None  # made on the first download, removed by close()
    models: dict[str, Reader] = field(default_factory=dict)  # the server's, by id: Shared.models

    def add(self, run: Run) -> Run:
        self.runs.append(run)
        self.models[run.id] = run.reader
        return run

    def next_number(self) -> int:
        return len(self.runs) + 1

    def find(self, number: int | None) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    def download(self, run: Run) -> Path:
        """The run's model saved as a .keras file whose name the server chooses."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="digitpad-session-"))
        return save_model(run.reader.model, self.folder / f"digitpad-run-{run.number}.keras")

    def close(self) -> None:
        """Free the session's models and files (the session ended or timed out)."""
        if self.job is not None:
            self.job.stop.set()
        for run in self.runs:
            self.models.pop(run.id, None)
        self.runs.clear()
        self.active = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
