"""The training sessions: settings checked as the page allows them, and the runs one browser
session keeps."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitpad.data import Mnist
from digitpad.knobs import KNOBS, ConfigError, TrainConfig
from digitpad.model import SEED_HIDDEN, save_model
from digitpad.network_view import unit_sample
from digitpad.pen_digits import unseen_half
from digitpad.reading import Reader
from digitpad.scheduler import Ticket
from digitpad.scoring import SCORED_HALF, Drawings, Scores
from digitpad.training import TrainResult

DEFAULT_NETWORK = "-".join(map(str, SEED_HIDDEN))
PAGE_PEN_WRITERS = unseen_half(SCORED_HALF)  # the half the page's runs may learn from
PAGE_PEN_COPIES = 1  # as written: drawing distorted copies would hold up a run's start
NETWORKS = {
    "softmax regression": (),
    "one hidden layer of 1500": (1500,),
    DEFAULT_NETWORK: SEED_HIDDEN,
}


def whole(value: object) -> object:
    """A whole float (a slider may send 200.0) as an int; anything else unchanged for checking."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def page_value(name: str, value: object) -> object:
    """What the page or /train sent for a knob, if of its kind and within the page's range."""
    knob = KNOBS[name]
    value = whole(value) if knob.kind is int else value
    knob.check(value, knob.page)
    return float(value) if knob.kind is float else value


def app_config(learning_rate: object, dropout: object, iterations: object, batch_size: object,
               network: object, augment: object, seed: object,
               pen_digits: object = False) -> TrainConfig:
    """A TrainConfig from what the page or the /train API sent, refusing anything off-range;
    the page's Augment also styles the pens, and its pen-drawn digits are writer half A's,
    one copy each, so that half B is people the run never saw."""
    if not isinstance(network, str) or network not in NETWORKS:
        raise ConfigError(f"network must be one of {', '.join(map(repr, NETWORKS))}, "
                          f"not {network!r}")
    if not isinstance(pen_digits, bool):
        raise ConfigError(f"pen_digits must be true or false, not {pen_digits!r}")
    sent = {"learning_rate": learning_rate, "dropout": dropout, "iterations": iterations,
            "batch_size": batch_size, "augment": augment, "seed": seed}
    settings = {name: page_value(name, value) for name, value in sent.items()}
    return TrainConfig(**settings, hidden=NETWORKS[network], pen_styles=settings["augment"],
                       pen_writers=PAGE_PEN_WRITERS if pen_digits else "none",
                       pen_copies=PAGE_PEN_COPIES)


def run_name(number: int) -> str:
    """How the page names a session's run: "run 3"."""
    return f"run {number}"


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
    held_out: Scores | None = None  # on the class's held-out fifth of drawings, if any
    with_class: bool = False  # the class's drawings were part of its minibatches
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
        if self.held_out is not None:
            record["class_accuracy"] = round(self.held_out.accuracy, 4)
            record["class_held_out"] = len(self.held_out.probabilities)
        record["with_class_drawings"] = self.with_class
        return record


def finished_run(number: int, ticket: Ticket, data: Mnist, drawings: Drawings | None) -> Run:
    """A finished ticket as a session's run: its model rebuilt from the worker's weights, and
    its scores from the probabilities the worker computed."""
    config, outcome = ticket.config, ticket.outcome
    result = outcome.result(config)
    drawn = held = None
    if drawings is not None and outcome.drawing_probabilities is not None:
        drawn = Scores.of_probabilities(outcome.drawing_probabilities, drawings.labels)
    if ticket.mixed is not None and outcome.class_probabilities is not None:
        held = Scores.of_probabilities(outcome.class_probabilities, ticket.mixed.y_held)
    with_class = ticket.mixed is not None and len(ticket.mixed.x_train) > 0
    return Run(number, result, Reader(run_name(number), result.model, unit_sample(data)),
               Scores.of_probabilities(outcome.test_probabilities, data.y_test), drawn, held,
               with_class)


@dataclass
class Lab:
    """What one browser session owns: its runs, the one it draws with, the job it is running."""

    runs: list[Run] = field(default_factory=list)
    active: Run | None = None
    ticket: Ticket | None = None  # the run it is training, if any
    folder: Path | None = None  # made on the first download, removed by close()
    models: dict[str, Reader] = field(default_factory=dict)  # the server's, by id: Shared.models
    lang: str = "en"  # the language its page speaks: the browser's, or the menu's (digitpad.i18n)
    upload: np.ndarray | None = None  # the upload last read, as the network sees it: read again
    # by the next model chosen, as its file is gone by then (digitpad/uploads.py)

    def add(self, run: Run) -> Run:
        """Keep a run, and offer it to the HTTP API by its id until the session ends (or, if
        it is never closed, until the Lab is freed)."""
        self.runs.append(run)
        self.models[run.id] = run.reader
        weakref.finalize(self, self.models.pop, run.id, None)
        return run

    def next_number(self) -> int:
        return len(self.runs) + 1

    def find(self, number: int | None) -> Run | None:
        return next((r for r in self.runs if r.number == number), None)

    def download(self, run: Run) -> Path:
        """The run's model saved as a .keras file whose name the server chooses; only the
        latest is kept, so a session holds one model file on disk however many runs it makes."""
        for old in self.files().glob("*.keras"):
            old.unlink()
        return save_model(run.reader.model, self.files() / f"digitpad-run-{run.number}.keras")

    def files(self) -> Path:
        """The session's own folder: made when first needed, removed when the session closes
        or, if it is never closed, when the Lab is freed."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="digitpad-session-"))
            weakref.finalize(self, shutil.rmtree, self.folder, True)
        return self.folder

    def close(self) -> None:
        """Free the session's models and files (the session ended or timed out)."""
        if self.ticket is not None:
            self.ticket.stop()
        for run in self.runs:
            self.models.pop(run.id, None)
        self.runs.clear()
        self.active = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
