"""Train the digit MLP on MNIST from the command line (the Train tab runs the same code).

    python train.py   # the original tutorial's run: 1000 iterations of 128, Adam 1e-4
    python train.py --out model/digitpad.keras --strokes data/pendigits-dev.json.gz
    python train.py --init-model model/digitpad.keras --pen-writers A ...   # fine-tune

With --pen-writers A (or B) and --strokes, the drawings are scored on the other half of the
writers only: people the run never learned from.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitpad.data import FILES, SHIPPED_DRAWINGS, Mnist, MnistError, load_mnist, sha256
from digitpad.knobs import KNOBS, ConfigError, TrainConfig
from digitpad.model import (
    ModelError,
    card_path,
    export_saved_model,
    load_model,
    make_predictor,
    save_model,
    write_card,
)
from digitpad.pen_digits import unseen_half, with_pen_digits
from digitpad.scoring import half_accuracies, predict_labels, writer_scores
from digitpad.strokes import load_strokes
from digitpad.training import Diverged, Progress, train

LEARNED_ALL = ("the run learned from every writer of these drawings: this is not a figure for "
               "people it never saw")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for knob in KNOBS.values():
        about = knob.help.replace("%", "%%")  # argparse formats help with %
        if knob.kind is bool:
            p.add_argument(knob.flag, dest=knob.name, action="store_true", help=about)
        elif knob.kind is str:
            p.add_argument(knob.flag, dest=knob.name, choices=knob.choices, default=knob.default,
                           help=f"{about} (default %(default)s)")
        else:
            low, high = (f"{end:g}" if knob.kind is float else str(end) for end in knob.limits)
            p.add_argument(knob.flag, dest=knob.name, type=knob.kind, default=knob.default,
                           help=f"{about} (default %(default)s; {low} to {high})")
    p.add_argument("--hidden", default=",".join(map(str, TrainConfig().hidden)),
                   help="hidden layer sizes, e.g. 512,256,128; empty for softmax regression")
    p.add_argument("--data-dir", help="folder with the four MNIST IDX files (else $MNIST_DIR, "
                                      "else the shipped data/mnist)")
    p.add_argument("--out", help="save the model here (.keras) with a model card beside it")
    p.add_argument("--export", help="also export a TensorFlow SavedModel to this folder")
    p.add_argument("--strokes", help="pen-drawn digits (JSON) to measure accuracy on drawings")
    p.add_argument("--pen-data", default=str(SHIPPED_DRAWINGS),
                   help="the pen-drawn digits (JSON) --pen-writers trains on (default the "
                        "shipped data/pendigits-dev.json.gz)")
    p.add_argument("--init-model", help="start from this model's weights (.keras), to fine-tune "
                                        "it; --hidden must match its layers")
    p.add_argument("--logdir", help="write TensorBoard scalars here")
    return p.parse_args(argv)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The run the flags ask for; train() checks it."""
    hidden = tuple(int(h) for h in args.hidden.split(",") if h.strip())
    return TrainConfig(hidden=hidden, **{name: getattr(args, name) for name in KNOBS})


def data_checksums(data: Mnist) -> dict[str, str]:
    """sha256 of each MNIST file read (as data/SHA256SUMS lists the shipped ones), so a card says
    exactly which data made the model."""
    folder = Path(data.source)
    sums = {}
    for stem in FILES.values():
        path = next(p for p in (folder / (stem + ".gz"), folder / stem) if p.exists())
        sums[path.name] = sha256(path)
    return sums


def reporter(iterations: int, logdir: str | None) -> Callable[[Progress], None]:
    """Prints a run's progress every 100 iterations and at its end; with a logdir, also writes
    it as TensorBoard scalars."""
    writer = tf.summary.create_file_writer(logdir) if logdir else None

    def show(p: Progress) -> None:
        if p.iteration % 100 == 0 or p.iteration == iterations:
            print(f"iteration {p.iteration:6d}  minibatch loss {p.loss:.4f}  "
                  f"minibatch accuracy {p.accuracy:.4f}  validation accuracy "
                  f"{p.val_accuracy:.4f}  {p.seconds:6.1f}s", flush=True)
        if writer is not None:
            with writer.as_default(step=p.iteration):
                tf.summary.scalar("loss", p.loss)
                tf.summary.scalar("accuracy", p.accuracy)
                tf.summary.scalar("val_accuracy", p.val_accuracy)

    return show


def starting_point(init_model: str) -> dict:
    """What a fine-tuned run started from, read before --out may replace it: the model's file
    name, and how it was made and when, from its card if it has one."""
    try:
        card = json.loads(card_path(init_model).read_text())
    except (OSError, ValueError):
        card = {}
    return {"model": Path(init_model).name,
            **{key: card[key] for key in ("command", "created") if key in card}}


def drawings_card(predict: Callable[[np.ndarray], np.ndarray], records: list[dict],
                  pen_writers: str) -> dict:
    """The drawings' scores for the card, printed: both halves after a run that learned from no
    pen writer; the other half only, worst writer too, after one that learned from half."""
    unseen = unseen_half(pen_writers)
    if unseen in ("A", "B"):
        scores = writer_scores(predict, records, unseen)
        print(f"accuracy on unseen writers (half {unseen}): {scores['accuracy']:.4f} "
              f"(worst writer {scores['worst']:.4f}, median {scores['median']:.4f})")
        return {"unseen_writers": unseen,
                **{f"unseen_writers_{key}": round(value, 4) for key, value in scores.items()}}
    drawn = half_accuracies(predict, records)
    learned = {} if unseen else {"drawings_note": LEARNED_ALL}
    print(f"accuracy on drawings: {drawn['all']:.4f} (writers A {drawn['A']:.4f}, "
          f"B {drawn['B']:.4f}){f' ({LEARNED_ALL})' if learned else ''}")
    return {"drawings_accuracy": round(drawn["all"], 4),
            "drawings_accuracy_A": round(drawn["A"], 4),
            "drawings_accuracy_B": round(drawn["B"], 4), **learned}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = train_config(args)
    try:
        data = load_mnist(args.data_dir)
        records = load_strokes(args.strokes) if args.strokes else None
        init = load_model(args.init_model) if args.init_model else None
        started_from = starting_point(args.init_model) if args.init_model else None
        result = train(config, with_pen_digits(data, config, args.pen_data),
                       on_progress=reporter(config.iterations, args.logdir), init=init)
    except (MnistError, ModelError, OSError, ValueError, ConfigError, Diverged) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    predict = make_predictor(result.model)
    test_images = data.x_test.astype(np.float32) / 255.0
    test_accuracy = float(np.mean(predict_labels(predict, test_images) == data.y_test))
    card = {**result.summary(), "test_accuracy": round(test_accuracy, 4)}
    if started_from:
        card["started_from"] = started_from
    if config.pen_writers != "none":
        card["pen_data"] = Path(args.pen_data).name
    if records is not None:
        learned = Path(args.strokes).resolve() == Path(args.pen_data).resolve()
        card.update(drawings_card(predict, records, config.pen_writers if learned else "none"))
        card["drawings"] = Path(args.strokes).name
    if args.out:
        save_model(result.model, args.out)
        card.update(
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            command="python train.py " + " ".join(sys.argv[1:] if argv is None else argv),
            data=data_checksums(data),
            versions={"python": platform.python_version(), "tensorflow": tf.__version__,
                      "keras": keras.__version__, "numpy": np.__version__})
        write_card(card, card_path(args.out))
        print(f"saved {args.out} and {card_path(args.out)}")
    if args.export:
        export_saved_model(result.model, args.export)
        print(f"exported SavedModel to {args.export}")
    print(f"test_accuracy={test_accuracy:.4f} validation_accuracy={result.val_accuracy:.4f} "
          f"train_seconds={result.train_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
