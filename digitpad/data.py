"""MNIST from local IDX files, the Keras cache, or a Keras download, checked as it is read."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
VALIDATION_SIZE = 5000
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"


class MnistError(RuntimeError):
    """MNIST could not be found or a file is not valid MNIST."""


@dataclass(frozen=True, eq=False)
class Mnist:
    """uint8 images (N, 28, 28) and uint8 labels (N,) for each split; hashed by identity."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read one IDX file (gzipped or not), refusing wrong magic numbers and truncated data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise MnistError(f"{path}: cannot be read ({e}); the file is damaged or truncated") from e
    if len(raw) < 8:
        raise MnistError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise MnistError(f"{path}: magic number {found}, expected {magic}; not an MNIST "
                         f"{'image' if magic == IMAGES_MAGIC else 'label'} file")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if magic == IMAGES_MAGIC and dims[1:] != (28, 28):
        raise MnistError(f"{path}: images are {dims[1:]}, expected (28, 28)")
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise MnistError(f"{path}: {len(raw)} bytes, expected {expected} for shape {dims}; "
                         "the file is truncated or has extra bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def find_idx(folder: Path, stem: str) -> Path:
    """The IDX file named stem in folder, gzipped or not."""
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise MnistError(f"{folder}: no {stem}.gz or {stem} found")


def read_idx_pair(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split, with their counts checked against each other."""
    images_path = find_idx(folder, FILES[f"{split}_images"])
    labels_path = find_idx(folder, FILES[f"{split}_labels"])
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise MnistError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                         f"{len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise MnistError(f"{labels_path}: label {labels.max()} is not a digit")
    return images, labels


def load_raw(data_dir: str | os.PathLike | None = None) -> tuple[tuple, tuple, str]:
    """(train, test) arrays from data_dir, else $MNIST_DIR, else the Keras cache, else online."""
    folder = data_dir or os.environ.get("MNIST_DIR")
    if folder:
        folder = Path(folder)
        if not folder.is_dir():
            raise MnistError(f"MNIST folder {folder} does not exist")
        return read_idx_pair(folder, "train"), read_idx_pair(folder, "test"), str(folder)
    if KERAS_CACHE.is_file():
        with np.load(KERAS_CACHE) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"]), str(KERAS_CACHE)
    try:
        import keras

        train, test = keras.datasets.mnist.load_data()
    except Exception as e:
        raise MnistError(
            "MNIST not found and could not be downloaded "
            f"({type(e).__name__}). Put the four IDX files (train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
            "in a folder and pass --data-dir FOLDER or set MNIST_DIR=FOLDER."
        ) from e
    return train, test, str(KERAS_CACHE)


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """MNIST split as the seeds did: the last 5,000 training images are the validation set."""
    (x_train, y_train), (x_test, y_test), source = load_raw(data_dir)
    cut = len(x_train) - VALIDATION_SIZE
    return Mnist(x_train[:cut], y_train[:cut], x_train[cut:], y_train[cut:], x_test, y_test,
                 source)
