"""The Train tab's machinery: checked settings, a training run in a background thread that can
be watched and stopped, and the runs one browser session keeps."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from digitpad.data import Mnist
from digitpad.evaluate import confusion_matrix, stroke_digits
from digitpad.explain import saliency
from digitpad.model import make_frozen_predictor, save_model
from digitpad.strokes import load_strokes
from digitpad.training import (
    ConfigError,
    Progress,
    TrainConfig,
    TrainResult,
    check_number,
    train,
)

NETWORKS = {
    "softmax regression": (),
    "one hidden layer of 1500": (1500,),
    "512-256-128": (512, 256, 128),
}
DEFAULT_NETWORK = "512-256-128"
# what the app lets a person (or an API call) ask for; train.py allows more
LEARNING_RATE = (1e-5, 1.0)
DROPOUT = (0.0, 0.9)
ITERATIONS = (100, 20_000)
BATCH_SIZE = (16, 1024)
SEED = (0, 2**31 - 1)
DRAWINGS_PER_DIGIT = 100  # real drawings scored after each run: 1,000 digits, a second or so


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
class Drawings:
    """Real pen-drawn digits, drawn and preprocessed once, to score every run on."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    @classmethod
    def load(cls, path: str | Path, per_digit: int = DRAWINGS_PER_DIGIT) -> Drawings:
        """The first per_digit drawings of each digit in a strokes file."""
        records = load_strokes(path)
        chosen = [r for d in range(10) for r in [r for r in records if r["label"] == d][:per_digit]]
        return cls(stroke_digits(chosen), np.array([r["label"] for r in chosen]), Path(path).name)


class DrawingsLoader:
    """Real drawings drawn and preprocessed in a background thread, so the app starts at once."""

    def __init__(self, path: Path) -> None:
        self.drawings: Drawings | None = None
        self.ready = threading.Event()  # set once loaded, or once loading is over for good
        if path.is_file():
            threading.Thread(target=self._load, args=(path,), daemon=True).start()
        else:
            self.ready.set()

    def _load(self, path: Path) -> None:
        try:
            self.drawings = Drawings.load(path)
        finally:
            self.ready.set()


@dataclass
class Reader:
    """A model made ready to read and explain digits: forward pass and saliency traced once."""

    name: str
    model: keras.Model
    predict: Callable[[np.ndarray], np.ndarray] = field(init=False)
    explain: Callable[[np.ndarray], np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.predict = make_frozen_predictor(self.model)
        self.explain = saliency(self.model)


@dataclass(frozen=True)
class Scores:
    """How a model reads a labelled set: probabilities, accuracy and confusion matrix."""

    probabilities: np.ndarray
    accuracy: float
    confusion: np.ndarray

    @classmethod
    def of(cls, predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray,
           labels: np.ndarray) -> Scores:
        probabilities = np.concatenate([predict(images[i:i + 1000])
                                        for i in range(0, len(images), 1000)])
        predicted = probabilities.argmax(axis=1)
        return cls(probabilities, float(np.mean(predicted == labels)),
                   confusion_matrix(labels.astype(np.int64), predicted))


def mnist_scores(reader: Reader, data: Mnist) -> Scores:
    """The reader on all 10,000 MNIST test digits."""
    return Scores.of(reader.predict, data.x_test.astype(np.float32) / 255.0, data.y_test)


def drawing_scores(reader: Reader, drawings: Drawings | None) -> Scores | None:
    """The reader on the real drawings, if they are loaded."""
    return None if drawings is None else Scores.of(reader.predict, drawings.images,
                                                   drawings.labels)


@dataclass
class Run:
    """One finished training of this session: its model, settings, curves and scores."""

    number: int
    result: TrainResult
    reader: Reader
    test: Scores
    drawings: Scores | None

    @property
    def name(self) -> str:
        return f"run {self.number}"

    def summary(self) -> dict:
        """The /train API's answer: settings, accuracies and time, JSON-able."""
        record = {**self.result.summary(), "run": self.number,
                  "network": network_name(self.result.config.hidden),
                  "test_accuracy": round(self.test.accuracy, 4)}
        if self.drawings is not None:
            record["drawings_accuracy"] = round(self.drawings.accuracy, 4)
        return record


def score(number: int, result: TrainResult, data: Mnist, drawings: Drawings | None) -> Run:
    """Test the trained model on all 10,000 MNIST test digits and on the real drawings."""
    reader = Reader(f"run {number}", result.model)
    return Run(number, result, reader, mnist_scores(reader, data),
               drawing_scores(reader, drawings))


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

    def add(self, run: Run) -> Run:
        self.runs.append(run)
        return run

    def next_number(self) -> int:
        return len(self.runs) + 1

    def find(self, name: str | None) -> Run | None:
        return next((r for r in self.runs if r.name == name), None)

    def download(self, run: Run) -> Path:
        """The run's model saved as a .keras file whose name the server chooses."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="digitpad-session-"))
        return save_model(run.reader.model, self.folder / f"digitpad-run-{run.number}.keras")

    def close(self) -> None:
        """Free the session's models and files (the session ended or timed out)."""
        if self.job is not None:
            self.job.stop.set()
        self.runs.clear()
        self.active = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
