"""MNIST from the IDX files shipped in data/ or from a folder given, checked as it is read."""

from __future__ import annotations

import gzip
import hashlib
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
DATA = Path(__file__).resolve().parent.parent / "data"
SHIPPED_MNIST = DATA / "mnist"
SHIPPED_DRAWINGS = DATA / "pendigits-dev.json.gz"
SHA256SUMS = DATA / "SHA256SUMS"
RESTORE = "Restore it with: git checkout -- data/"


class MnistError(RuntimeError):
    """MNIST could not be found, a file is not valid MNIST, or a shipped data file is damaged."""


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


def sha256(path: Path) -> str:
    """The file's SHA-256 in hex, as `sha256sum` prints it."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def check_shipped(path: str | os.PathLike, sums: Path | None = None) -> None:
    """Refuse a file listed in sums (default data/SHA256SUMS, `sha256sum` format) whose bytes
    differ from its listed hash; a file not listed there is not a shipped one and passes."""
    sums = sums or SHA256SUMS
    path = Path(path)
    try:
        name = path.resolve().relative_to(sums.parent.resolve()).as_posix()
    except ValueError:
        return
    try:
        lines = [line.split(maxsplit=1) for line in sums.read_text().splitlines() if line.strip()]
        listed = {listed_name.lstrip("*"): digest for digest, listed_name in lines}
        if name in listed and sha256(path) != listed[name]:
            raise MnistError(f"The data file {path.name} is damaged: its bytes differ from the "
                             f"shipped copy. {RESTORE}")
    except OSError as e:
        raise MnistError(f"The data file {path.name} or its checksum list SHA256SUMS cannot be "
                         f"read. {RESTORE}") from e


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read one IDX file (gzipped or not), refusing damaged shipped copies, wrong magic numbers
    and truncated data."""
    check_shipped(path)
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
    """(train, test) arrays and their folder: data_dir, else $MNIST_DIR, else the shipped MNIST."""
    folder = Path(data_dir or os.environ.get("MNIST_DIR") or SHIPPED_MNIST)
    if not folder.is_dir():
        raise MnistError(f"MNIST folder {folder} does not exist")
    return read_idx_pair(folder, "train"), read_idx_pair(folder, "test"), str(folder)


def load_mnist(data_dir: str | os.PathLike | None = None) -> Mnist:
    """MNIST split as the seeds did: the last 5,000 training images are the validation set."""
    (x_train, y_train), (x_test, y_test), source = load_raw(data_dir)
    cut = len(x_train) - VALIDATION_SIZE
    return Mnist(x_train[:cut], y_train[:cut], x_train[cut:], y_train[cut:], x_test, y_test,
                 source)


def as_uint8(digit: np.ndarray) -> np.ndarray:
    """A 28x28 float digit (ink 1.0) as uint8 0-255, as MNIST's arrays are."""
    return np.round(np.clip(digit, 0.0, 1.0) * 255).astype(np.uint8)
