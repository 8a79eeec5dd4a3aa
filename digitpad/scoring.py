"""Scoring a model on labelled sets: MNIST test digits, and pen-drawn digits drawn as the pad."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.data import Mnist, MnistError
from digitpad.preprocess import NoInk, preprocess
from digitpad.strokes import fit_to_canvas, load_strokes, render_to_read

Predict = Callable[[np.ndarray], np.ndarray]
BATCH = 1000  # images per forward pass when scoring a whole set
log = logging.getLogger(__name__)
DRAWINGS_PER_DIGIT = 100  # pen-drawn digits scored after each run: 1,000 digits, a second or so
SCORED_HALF = "B"  # the writers the page's runs are scored on, and never learn from


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """10x10 counts: row is the true digit, column the predicted one."""
    matrix = np.zeros((10, 10), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def grouped_accuracy(groups: np.ndarray, correct: np.ndarray) -> dict[int, tuple[float, int]]:
    """Accuracy and count for each distinct value of groups."""
    return {int(g): (float(correct[groups == g].mean()), int((groups == g).sum()))
            for g in np.unique(groups)}


def stroke_digits(records: Iterable[dict]) -> np.ndarray:
    """Each record's strokes drawn on the app's canvas and preprocessed; blank where no ink."""
    images = []
    for record in records:
        try:
            images.append(preprocess(render_to_read(fit_to_canvas(record["strokes"]))))
        except NoInk:
            images.append(np.zeros((28, 28), np.float32))
    return np.stack(images)


def writer_half(writer: int) -> str:
    """The pen-drawn dev set's fixed split by writer: odd writer ids are half A, even ones B.
    Recipes are chosen on A; B stands for people the recipe was never tuned on."""
    return "A" if writer % 2 else "B"


def of_writers(records: list[dict], half: str) -> list[dict]:
    """The records of writer half "A" or "B", or all of them for "all"."""
    return [r for r in records if half == "all" or writer_half(r["writer"]) == half]


def spread(accuracies: list[float]) -> tuple[float, float, float]:
    """Worst, median and best of per-writer accuracies."""
    return min(accuracies), float(np.median(accuracies)), max(accuracies)


def predict_all(predict: Predict, images: np.ndarray) -> np.ndarray:
    """Probabilities for a whole set, in batches that keep memory flat."""
    return np.concatenate([predict(images[i:i + BATCH]) for i in range(0, len(images), BATCH)])


def predict_labels(predict: Predict, images: np.ndarray) -> np.ndarray:
    """Most probable digit for each image."""
    return predict_all(predict, images).argmax(axis=1)


@dataclass(frozen=True)
class Scores:
    """How a model reads a labelled set: probabilities, accuracy and confusion matrix."""

    probabilities: np.ndarray
    accuracy: float
    confusion: np.ndarray

    @classmethod
    def of(cls, predict: Predict, images: np.ndarray, labels: np.ndarray) -> Scores:
        return cls.of_probabilities(predict_all(predict, images), labels)

    @classmethod
    def of_probabilities(cls, probabilities: np.ndarray, labels: np.ndarray) -> Scores:
        predicted = probabilities.argmax(axis=1)
        return cls(probabilities, float(np.mean(predicted == labels)),
                   confusion_matrix(labels.astype(np.int64), predicted))


@dataclass
class Drawings:
    """Real pen-drawn digits, drawn and preprocessed once, to score every run on."""

    images: np.ndarray
    labels: np.ndarray
    source: str

    @classmethod
    def load(cls, path: str | Path, per_digit: int = DRAWINGS_PER_DIGIT) -> Drawings:
        """The first per_digit drawings of each digit in a strokes file by writer half B's
        people: the page's runs may learn from half A's, so every run is scored on people it
        never saw."""
        records = of_writers(load_strokes(path), SCORED_HALF)
        chosen = [r for d in range(10) for r in [r for r in records if r["label"] == d][:per_digit]]
        return cls(stroke_digits(chosen), np.array([r["label"] for r in chosen]), Path(path).name)


def half_accuracies(predict: Predict, records: list[dict]) -> dict[str, float]:
    """Accuracy on pen-drawn records: all of them, writer half A and writer half B."""
    correct = predict_labels(predict, stroke_digits(records)) == np.array(
        [r["label"] for r in records])
    halves = np.array([writer_half(r["writer"]) for r in records])
    return {"all": float(correct.mean()),
            **{half: float(correct[halves == half].mean()) for half in ("A", "B")}}


def writer_scores(predict: Predict, records: list[dict], half: str) -> dict[str, float]:
    """Accuracy on the pen-drawn records of one writer half ("A", "B" or "all"), and its worst
    and median writer's."""
    chosen = of_writers(records, half)
    correct = predict_labels(predict, stroke_digits(chosen)) == np.array(
        [r["label"] for r in chosen])
    table = grouped_accuracy(np.array([r["writer"] for r in chosen]), correct)
    worst, median, _ = spread([acc for acc, _ in table.values()])
    return {"accuracy": float(correct.mean()), "worst": worst, "median": median}


def load_drawings(path: str | Path | None) -> Drawings | None:
    """The real drawings to score runs on, or None (with a note in the log) when unreadable."""
    if path is None or not Path(path).is_file():
        return None
    try:
        return Drawings.load(path)
    except (MnistError, OSError, ValueError) as e:
        log.warning("runs are not scored on real drawings: %s", e)
        return None


class DrawingsLoader:
    """Real drawings drawn and preprocessed in a background thread, started once the page is
    served, so the app starts at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.drawings: Drawings | None = None
        self.ready = threading.Event()  # set once loaded, or once loading is over for good

    def start(self) -> None:
        if self.path.is_file():
            threading.Thread(target=self._load, args=(self.path,), daemon=True).start()
        else:
            self.ready.set()

    def _load(self, path: Path) -> None:
        try:
            self.drawings = load_drawings(path)
        finally:
            self.ready.set()


def mnist_scores(predict: Predict, data: Mnist) -> Scores:
    """A model on all 10,000 MNIST test digits."""
    return Scores.of(predict, data.x_test.astype(np.float32) / 255.0, data.y_test)


def drawing_scores(predict: Predict, drawings: Drawings | None) -> Scores | None:
    """A model on the real drawings, if they are loaded."""
    return None if drawings is None else Scores.of(predict, drawings.images, drawings.labels)
