"""The command line for scoring a model: accuracy on MNIST test digits, or on pen trajectories
drawn as the app draws them.

    python -m digitpad.evaluate mnist [--model PATH] [--data-dir DIR]
    python -m digitpad.evaluate strokes FILE [--writers A|B|all] [--model PATH]

The pen-drawn dev set is split by writer: half A (odd writer ids) and half B (even ids). A model
that learned from one half (train.py --pen-writers A|B) meets people it never saw only in the
other; the shipped model learned from all 30 writers, so its figure here is not one of people it
never saw (python -m bench.unseen_writers gives that figure, by training on each half in turn).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from digitpad.data import MnistError, load_mnist
from digitpad.model import SHIPPED_MODEL, ModelError, load_model, make_predictor
from digitpad.scoring import (
    grouped_accuracy,
    of_writers,
    predict_labels,
    spread,
    stroke_digits,
    writer_half,
)
from digitpad.strokes import load_strokes


def report(name: str, table: dict[int, tuple[float, int]]) -> None:
    """Print one line per group."""
    for key, (acc, n) in table.items():
        print(f"{name} {key}: accuracy={acc:.4f} n={n}")


def report_writers(writers: np.ndarray, correct: np.ndarray) -> None:
    """Per-writer accuracy, each half's accuracy, and the spread between writers."""
    table = grouped_accuracy(writers, correct)
    report("writer", table)
    halves = np.array([writer_half(w) for w in writers])
    for half in sorted(set(halves)):
        print(f"half {half}: accuracy={correct[halves == half].mean():.4f} "
              f"n={int((halves == half).sum())}")
    worst, median, best = spread([acc for acc, _ in table.values()])
    print(f"writers: worst={worst:.4f} median={median:.4f} best={best:.4f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m digitpad.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["mnist", "strokes"])
    parser.add_argument("file", nargs="?", help="strokes: a JSON or .json.gz list of digits")
    parser.add_argument("--writers", choices=["A", "B", "all"], default="all",
                        help="strokes: score only this half of the writers")
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files")
    args = parser.parse_args(argv)
    if args.what == "strokes" and not args.file:
        parser.error("strokes needs a FILE")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        predict = make_predictor(load_model(args.model))
        if args.what == "mnist":
            data = load_mnist(args.data_dir)
            images, labels = data.x_test.astype(np.float32) / 255.0, data.y_test
            writers = None
        else:
            records = of_writers(load_strokes(args.file), args.writers)
            images = stroke_digits(records)
            labels = np.array([r["label"] for r in records])
            writers = np.array([r.get("writer", 0) for r in records])
    except (ModelError, MnistError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    correct = predict_labels(predict, images) == labels
    report("digit", grouped_accuracy(labels, correct))
    if writers is not None:
        report_writers(writers, correct)
    print(f"accuracy={correct.mean():.4f} n={len(labels)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
