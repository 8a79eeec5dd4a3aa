"""Accuracy of a model on MNIST test digits, or on pen trajectories drawn as the app draws them.

    python -m digitpad.evaluate mnist [--model PATH] [--data-dir DIR]
    python -m digitpad.evaluate strokes FILE [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable

import numpy as np

from digitpad.data import load_mnist
from digitpad.model import SHIPPED_MODEL, load_model, make_predictor
from digitpad.preprocess import NoInk, preprocess
from digitpad.strokes import fit_to_canvas, load_strokes, render_to_read


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


def predict_labels(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray) -> np.ndarray:
    """Most probable digit for each image, in batches."""
    return np.concatenate([predict(images[i:i + 1000]).argmax(axis=1)
                           for i in range(0, len(images), 1000)])


def report(name: str, table: dict[int, tuple[float, int]]) -> None:
    """Print one line per group."""
    for key, (acc, n) in table.items():
        print(f"{name} {key}: accuracy={acc:.4f} n={n}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitpad.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["mnist", "strokes"])
    parser.add_argument("file", nargs="?", help="strokes: a JSON or .json.gz list of digits")
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files")
    args = parser.parse_args(argv)
    predict = make_predictor(load_model(args.model))
    if args.what == "mnist":
        data = load_mnist(args.data_dir)
        images, labels = data.x_test.astype(np.float32) / 255.0, data.y_test.astype(np.int64)
        writers = None
    else:
        if not args.file:
            parser.error("strokes needs a FILE")
        records = load_strokes(args.file)
        images = stroke_digits(records)
        labels = np.array([r["label"] for r in records])
        writers = np.array([r.get("writer", 0) for r in records])
    correct = predict_labels(predict, images) == labels
    report("digit", grouped_accuracy(labels, correct))
    if writers is not None:
        report("writer", grouped_accuracy(writers, correct))
    print(f"accuracy={correct.mean():.4f} n={len(labels)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
