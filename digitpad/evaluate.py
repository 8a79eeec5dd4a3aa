"""The command line for scoring a model: accuracy on MNIST test digits, or on pen trajectories
drawn as the app draws them.

    python -m digitpad.evaluate mnist [--model PATH] [--data-dir DIR]
    python -m digitpad.evaluate strokes FILE [--model PATH]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from digitpad.data import load_mnist
from digitpad.model import SHIPPED_MODEL, load_model, make_predictor
from digitpad.scoring import grouped_accuracy, predict_labels, stroke_digits
from digitpad.strokes import load_strokes


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
