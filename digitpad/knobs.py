"""The knobs of a training run, each defined once: default, range, help. train.py's flags, the
Train tab's sliders, and the checks of train() and of the page and /train all read them here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from digitpad.model import SEED_HIDDEN

HIDDEN_LAYERS = (0, 6)  # how many hidden layers train() accepts
HIDDEN_UNITS = (1, 4096)  # how wide each may be
PEN_WRITERS = ("none", "A", "B", "all")  # halves of the pen-drawn set's writers, by id


class ConfigError(ValueError):
    """A hyperparameter is of the wrong type or out of range."""


def knob(default: bool | float | str, limits: tuple[float, float] | None = None,
         page: tuple[float, float] | None = None, help: str = "", flag: str | None = None,
         choices: tuple[str, ...] = ()) -> Any:
    """A TrainConfig field with its ranges: `limits`, what train() and so train.py accept;
    `page`, the narrower part that the page and /train offer, bounding what one request costs
    a shared server (None: not on the page). True/false knobs have neither; a knob of words
    has its `choices` instead."""
    return field(default=default, metadata={"limits": limits, "page": page, "help": help,
                                            "flag": flag, "choices": choices})


@dataclass(frozen=True)
class TrainConfig:
    """The knobs of a run; defaults are the original tutorial's (with the ReLUs it forgot)."""

    learning_rate: float = knob(1e-4, (1e-6, 10.0), (1e-5, 1.0), "Adam's learning rate")
    dropout: float = knob(0.5, (0.0, 0.95), (0.0, 0.9),
                          "share of the last hidden layer's units dropped at each step")
    iterations: int = knob(1000, (1, 200_000), (100, 20_000), "minibatches to train on")
    batch_size: int = knob(128, (1, 4096), (16, 1024), "digits in a minibatch")
    hidden: tuple[int, ...] = SEED_HIDDEN  # checked against HIDDEN_LAYERS and HIDDEN_UNITS
    augment: bool = knob(False, help="distort digits as people draw them")
    cosine_decay: bool = knob(False, help="anneal the learning rate to 1% of its value over "
                                          "the run")
    seed: int = knob(0, (0, 2**31 - 1), (0, 2**31 - 1),
                     "random seed of the initial weights and the minibatches: a run repeats")
    pen_styles: bool = knob(False, help="flag some ones and curl some nines' tails, as many "
                                        "people draw")
    redrawn: bool = knob(False, flag="--redraw",
                         help="also train on every digit thinned and redrawn with an even pen, "
                              "as the pad draws")
    label_smoothing: float = knob(0.0, (0.0, 0.5),
                                  help="aim at 1 - this for the label, the rest spread over all "
                                       "ten, e.g. 0.1, so the net is less sure")
    pen_writers: str = knob("none", choices=PEN_WRITERS,
                            help="also train on the pen-drawn digits of these writers (A: odd "
                                 "ids, B: even ids), drawn as the pad draws them")
    pen_share: float = knob(0.2, (0.0, 0.8), help="share of each minibatch that is pen-drawn "
                                                  "digits, with pen writers")
    pen_copies: int = knob(4, (1, 20), help="copies of each pen-drawn digit: one as written, "
                                            "the others redrawn with the strokes distorted")
    pen_distortion: float = knob(1.0, (0.0, 3.0), help="how far the copies' strokes are "
                                                       "turned, slanted, stretched and moved: 1 "
                                                       "is digitpad/pen_digits.py's ranges")


def check_number(name: str, value: object, kind: type, low: float, high: float) -> None:
    """Refuse a value of the wrong type, NaN, or outside [low, high], naming it plainly."""
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise ConfigError(f"{name} must be {'a number' if kind is float else 'a whole number'}, "
                          f"not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, not {value}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {value:g}")


@dataclass(frozen=True)
class Knob:
    """One of TrainConfig's knobs, as its checks, train.py's flags and the sliders read it."""

    name: str
    kind: type  # bool, int, float or str
    default: bool | float | str
    limits: tuple[float, float] | None
    page: tuple[float, float] | None
    help: str  # in English, for train.py's flags; the page's, in every language: help.<name>
    flag: str
    choices: tuple[str, ...] = ()

    def check(self, value: object, limits: tuple[float, float] | None = None) -> None:
        """Refuse a value of the wrong kind or outside limits (by default, train()'s)."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{self.name} must be true or false, not {value!r}")
            return
        if self.kind is str:
            if value not in self.choices:
                raise ConfigError(f"{self.name} must be one of {', '.join(self.choices)}, "
                                  f"not {value!r}")
            return
        check_number(self.name, value, self.kind, *(limits or self.limits))


def read_knobs() -> dict[str, Knob]:
    """TrainConfig's fields that are knobs, by name, in its order."""
    kinds = get_type_hints(TrainConfig)
    return {f.name: Knob(f.name, kinds[f.name], f.default, f.metadata["limits"],
                         f.metadata["page"], f.metadata["help"],
                         f.metadata["flag"] or "--" + f.name.replace("_", "-"),
                         f.metadata["choices"])
            for f in fields(TrainConfig) if f.metadata}


KNOBS = read_knobs()


def check_config(config: TrainConfig) -> TrainConfig:
    """The config itself if every field is sane, else a ConfigError saying which is not."""
    for setting in KNOBS.values():
        setting.check(getattr(config, setting.name))
    if not isinstance(config.hidden, (tuple, list)):
        raise ConfigError(f"hidden must be a list of layer sizes, not {config.hidden!r}")
    check_number("number of hidden layers", len(config.hidden), int, *HIDDEN_LAYERS)
    for units in config.hidden:
        check_number("hidden layer size", units, int, *HIDDEN_UNITS)
    return config
