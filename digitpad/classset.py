"""A training set from the class's drawings: digits as the pad reads them, split by person."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from digitpad.data import as_uint8
from digitpad.reading import drawing_digit

if TYPE_CHECKING:
    from digitpad.classdata import Drawing

HELD_OUT_EVERY = 5  # one session in five is held out of training


def is_held_out(session: str) -> bool:
    """Whether a session's drawings are held out: a stable hash of its id, so the split never
    changes as drawings are added, and a person is all in or all out."""
    return int(hashlib.sha256(session.encode()).hexdigest()[:8], 16) % HELD_OUT_EVERY == 0


@dataclass(frozen=True)
class ClassSet:
    """The class's drawings for training: 28x28 uint8 digits (ink 255) and uint8 labels, as
    MNIST's arrays in digitpad.data.Mnist, so they go through the same augmentation."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_held: np.ndarray
    y_held: np.ndarray


def class_training_set(drawings: Sequence[Drawing]) -> ClassSet:
    """Drawings rendered and preprocessed as the pad reads them, with one session in five held
    out to measure on.

    Mixing: a fixed share of each minibatch, 1/8 (16 of 128), drawn with replacement from
    x_train whenever it is not empty. In proportion to their number (a few hundred beside
    MNIST's 55,000) they would be under 1% of what the network sees and change nothing; as a
    large share, a few hundred drawings would be memorised and MNIST's variety forgotten. At
    1/8 each of 500 drawings is seen about 32 times in a 1,000-step run, like the pen styles'
    share of ones and nines, and the other 7/8 keep MNIST's accuracy.
    """
    images = np.zeros((len(drawings), 28, 28), np.uint8)
    for i, drawing in enumerate(drawings):
        images[i] = as_uint8(drawing_digit(drawing.strokes))
    labels = np.array([d.label for d in drawings], np.uint8)
    held = np.array([is_held_out(d.session) for d in drawings], bool)
    return ClassSet(images[~held], labels[~held], images[held], labels[held])
