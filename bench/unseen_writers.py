"""Two folds by writer, one recipe: train on MNIST with writer half A's pen-drawn digits and read
half B's, then train with B's and read A's; train.py's flags are passed through.

    python -m bench.unseen_writers --init-model model/digitpad.keras --hidden 2048,1024,512 \
        --iterations 3000 --learning-rate 1e-4 --cosine-decay --augment --pen-styles ...

Prints the CPU, then for each fold the accuracy on the writers it never saw, its worst and median
writer, MNIST test accuracy and the training time; then the two-fold mean.
Targets: mean >= 0.985, each fold >= 0.98, worst writer >= 0.95, MNIST test >= 0.990.
Exits 0 whatever the figures (2 when the flags or the data are refused).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import keras
import numpy as np

import train as train_script
from digitpad.data import Mnist, MnistError, load_mnist
from digitpad.knobs import ConfigError
from digitpad.model import ModelError, card_path, load_model, make_predictor
from digitpad.pen_digits import unseen_half, with_pen_digits
from digitpad.scoring import predict_labels, writer_scores
from digitpad.strokes import load_strokes
from digitpad.training import Diverged, train
from tests.harness.timing import machine

FOLDS = ("A", "B")  # the writer half each fold learns from; it is scored on the other


def run_fold(args: argparse.Namespace, data: Mnist, records: list[dict],
             init: keras.Model | None, half: str) -> dict[str, float]:
    """One fold: train the recipe with this half's pen writers, score the other half."""
    config = replace(train_script.train_config(args), pen_writers=half)
    result = train(config, with_pen_digits(data, config, args.pen_data),
                   on_progress=train_script.reporter(config.iterations, None), init=init)
    predict = make_predictor(result.model)
    test = data.x_test.astype(np.float32) / 255.0
    mnist = float(np.mean(predict_labels(predict, test) == data.y_test))
    return {**writer_scores(predict, records, unseen_half(half)), "mnist": mnist,
            "seconds": result.train_seconds}


def learned_pen_writers(model_path: str) -> bool:
    """Whether a model's card says it learned from pen-drawn writers (no card: it did not)."""
    try:
        card = json.loads(card_path(model_path).read_text())
    except (OSError, ValueError):
        return False
    return card.get("pen_writers", "none") != "none"


def report(half: str, fold: dict[str, float]) -> dict[str, float]:
    """Print one fold's figures, as soon as it is done and again beside the other's."""
    print(f"fold: trained on writers {half}, read writers {unseen_half(half)}: "
          f"accuracy={fold['accuracy']:.4f} worst writer={fold['worst']:.4f} "
          f"median writer={fold['median']:.4f} MNIST test={fold['mnist']:.4f} "
          f"train_seconds={fold['seconds']:.0f}", flush=True)
    return fold


def main(argv: list[str] | None = None) -> int:
    args = train_script.parse_args(argv)
    print(machine(), flush=True)
    try:
        data = load_mnist(args.data_dir)
        records = load_strokes(args.strokes or args.pen_data)
        init = load_model(args.init_model) if args.init_model else None
        if args.init_model and learned_pen_writers(args.init_model):
            raise ValueError("the starting model learned from pen-drawn writers, so no half is "
                             "unseen by it: start from one trained on MNIST alone")
        folds = {half: report(half, run_fold(args, data, records, init, half))
                 for half in FOLDS}
    except (MnistError, ModelError, OSError, ValueError, ConfigError, Diverged) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for half, fold in folds.items():
        report(half, fold)
    mean = float(np.mean([fold["accuracy"] for fold in folds.values()]))
    print(f"two-fold unseen-writer accuracy={mean:.4f} "
          f"worst writer={min(f['worst'] for f in folds.values()):.4f} "
          f"MNIST test lowest={min(f['mnist'] for f in folds.values()):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
