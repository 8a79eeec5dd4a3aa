"""The MNIST loader on the real IDX files, and on damaged copies of them; the shipped data
and its checksums."""

import gzip
import re
import shutil

import numpy as np
import pytest

import digitpad.data
from digitpad.data import (
    DATA,
    FILES,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    SHA256SUMS,
    SHIPPED_DRAWINGS,
    SHIPPED_MNIST,
    MnistError,
    check_shipped,
    load_mnist,
    read_idx,
)
from digitpad.strokes import load_strokes

TRAIN_COUNT = 5100  # small copies: 100 training digits and the 5,000 validation digits
TEST_COUNT = 100


def real_idx(mnist_dir, key, count):
    """The real file's header, rewritten for count records, and its first count records."""
    stem = FILES[key]
    with gzip.open(mnist_dir / (stem + ".gz"), "rb") as f:
        magic = int.from_bytes(f.read(4), "big")
        ndim = magic & 0xFF
        dims = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        record = int(np.prod(dims[1:]))
        body = f.read(count * record)
    assert len(body) == count * record, f"{stem} holds fewer than {count} records"
    header = magic.to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in [count, *dims[1:]])
    return header + body


def write(path, raw):
    """Write IDX bytes, gzipped if the name ends in .gz."""
    path.write_bytes(gzip.compress(raw, compresslevel=1) if path.suffix == ".gz" else raw)
    return path


def small_copy(mnist_dir, folder, gz=True):
    """A valid MNIST folder made of the first records of the real files."""
    folder.mkdir(exist_ok=True)
    counts = {"train": TRAIN_COUNT, "test": TEST_COUNT}
    paths = {}
    for key, stem in FILES.items():
        name = stem + (".gz" if gz else "")
        paths[key] = write(folder / name, real_idx(mnist_dir, key, counts[key.split("_")[0]]))
    return paths


def load_error(folder):
    """The MnistError message loading folder raises."""
    with pytest.raises(MnistError) as info:
        load_mnist(folder)
    return str(info.value)


def test_real_mnist_shapes_and_types(mnist, mnist_dir):
    assert mnist.x_train.shape == (55000, 28, 28)
    assert mnist.y_train.shape == (55000,)
    assert mnist.x_val.shape == (5000, 28, 28)
    assert mnist.y_val.shape == (5000,)
    assert mnist.x_test.shape == (10000, 28, 28)
    assert mnist.y_test.shape == (10000,)
    for array in (mnist.x_train, mnist.y_train, mnist.x_val, mnist.y_val, mnist.x_test,
                  mnist.y_test):
        assert array.dtype == np.uint8
    for labels in (mnist.y_train, mnist.y_val, mnist.y_test):
        assert set(np.unique(labels)) == set(range(10))
    assert mnist.x_train.max() == 255 and mnist.x_train.min() == 0
    assert mnist.source == str(mnist_dir)


def test_validation_is_the_last_5000_training_images(mnist, mnist_dir):
    images = read_idx(mnist_dir / (FILES["train_images"] + ".gz"), IMAGES_MAGIC)
    labels = read_idx(mnist_dir / (FILES["train_labels"] + ".gz"), LABELS_MAGIC)
    assert images.shape == (60000, 28, 28)
    np.testing.assert_array_equal(mnist.x_val, images[-5000:])
    np.testing.assert_array_equal(mnist.y_val, labels[-5000:])
    np.testing.assert_array_equal(mnist.x_train, images[:55000])
    np.testing.assert_array_equal(mnist.y_train, labels[:55000])


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "uncompressed"])
def test_small_copy_loads(mnist, mnist_dir, tmp_path, gz):
    small_copy(mnist_dir, tmp_path / "mnist", gz=gz)
    data = load_mnist(tmp_path / "mnist")
    assert data.x_train.shape == (TRAIN_COUNT - 5000, 28, 28)
    assert data.x_val.shape == (5000, 28, 28)
    assert data.x_test.shape == (TEST_COUNT, 28, 28)
    np.testing.assert_array_equal(data.x_train, mnist.x_train[:TRAIN_COUNT - 5000])
    np.testing.assert_array_equal(data.y_val, mnist.y_train[TRAIN_COUNT - 5000:TRAIN_COUNT])
    np.testing.assert_array_equal(data.x_test, mnist.x_test[:TEST_COUNT])
    np.testing.assert_array_equal(data.y_test, mnist.y_test[:TEST_COUNT])


def test_mnist_dir_environment_variable(mnist_dir, tmp_path, monkeypatch):
    small_copy(mnist_dir, tmp_path / "mnist")
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "mnist"))
    data = load_mnist()
    assert data.source == str(tmp_path / "mnist")
    assert len(data.x_test) == TEST_COUNT


def test_data_dir_comes_before_the_environment(mnist_dir, tmp_path, monkeypatch):
    small_copy(mnist_dir, tmp_path / "given")
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-such-folder"))
    assert load_mnist(tmp_path / "given").source == str(tmp_path / "given")


def test_shipped_mnist_without_environment(mnist, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    data = load_mnist()
    assert data.source == str(SHIPPED_MNIST)
    np.testing.assert_array_equal(data.x_test, mnist.x_test)
    np.testing.assert_array_equal(data.y_train, mnist.y_train)


def test_shipped_files_match_their_checksums():
    listed = [line.split()[1] for line in SHA256SUMS.read_text().splitlines()]
    assert sorted(listed) == sorted([f"mnist/{stem}.gz" for stem in FILES.values()]
                                    + [SHIPPED_DRAWINGS.name])
    for name in listed:
        check_shipped(DATA / name)  # raises if the file differs from its listed hash


@pytest.fixture
def data_copy(tmp_path):
    """A copy of the shipped data folder, with its SHA256SUMS."""
    return shutil.copytree(DATA, tmp_path / "data")


def flip_byte(path):
    """Invert one byte in the middle of the file."""
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("name", ["mnist/t10k-labels-idx1-ubyte.gz", "pendigits-dev.json.gz"])
def test_damaged_copy_is_caught(data_copy, name):
    for listed in ("mnist/t10k-labels-idx1-ubyte.gz", "pendigits-dev.json.gz"):
        check_shipped(data_copy / listed, data_copy / "SHA256SUMS")
    flip_byte(data_copy / name)
    with pytest.raises(MnistError) as info:
        check_shipped(data_copy / name, data_copy / "SHA256SUMS")
    message = str(info.value)
    assert f"{name.split('/')[-1]} is damaged" in message
    assert "git checkout -- data/" in message
    assert str(data_copy) not in message


def test_missing_checksum_list(data_copy):
    (data_copy / "SHA256SUMS").unlink()
    with pytest.raises(MnistError, match="SHA256SUMS cannot be read.*git checkout -- data/"):
        check_shipped(data_copy / "pendigits-dev.json.gz", data_copy / "SHA256SUMS")


def test_loaders_check_the_shipped_files(data_copy, monkeypatch):
    monkeypatch.setattr(digitpad.data, "SHA256SUMS", data_copy / "SHA256SUMS")
    labels = data_copy / "mnist" / "train-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(labels.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # a wrong label: still valid MNIST, only the hash can tell
    labels.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(MnistError, match="train-labels-idx1-ubyte.gz is damaged"):
        load_mnist(data_copy / "mnist")
    flip_byte(data_copy / "pendigits-dev.json.gz")
    with pytest.raises(MnistError, match="pendigits-dev.json.gz is damaged"):
        load_strokes(data_copy / "pendigits-dev.json.gz")


def test_truncated_image_data(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    raw = real_idx(mnist_dir, "train_images", TRAIN_COUNT)
    write(paths["train_images"], raw[:-1000])  # valid gzip, 1,000 bytes of pixels missing
    message = load_error(tmp_path / "mnist")
    assert str(paths["train_images"]) in message
    assert "truncated" in message
    assert str(len(raw) - 1000) in message and str(len(raw)) in message


def test_truncated_gzip_stream(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    compressed = paths["test_images"].read_bytes()
    paths["test_images"].write_bytes(compressed[:len(compressed) // 2])  # download cut short
    message = load_error(tmp_path / "mnist")
    assert str(paths["test_images"]) in message
    assert "truncated" in message


def test_file_shorter_than_a_header(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    write(paths["test_labels"], b"\x00\x00\x08")
    message = load_error(tmp_path / "mnist")
    assert str(paths["test_labels"]) in message
    assert "too short" in message


def test_wrong_magic_number(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    # the labels file's bytes where the images should be
    write(paths["train_images"], real_idx(mnist_dir, "train_labels", TRAIN_COUNT))
    message = load_error(tmp_path / "mnist")
    assert str(paths["train_images"]) in message
    assert f"magic number {LABELS_MAGIC}, expected {IMAGES_MAGIC}" in message


def test_wrong_magic_number_in_labels(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    raw = real_idx(mnist_dir, "test_labels", TEST_COUNT)
    write(paths["test_labels"], (1234).to_bytes(4, "big") + raw[4:])
    message = load_error(tmp_path / "mnist")
    assert str(paths["test_labels"]) in message
    assert "magic number 1234" in message and "label" in message


def test_mismatched_counts(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    write(paths["test_labels"], real_idx(mnist_dir, "test_labels", TEST_COUNT - 1))
    message = load_error(tmp_path / "mnist")
    assert str(paths["test_images"]) in message and str(paths["test_labels"]) in message
    assert f"{TEST_COUNT} images" in message and f"{TEST_COUNT - 1} labels" in message


def test_label_that_is_not_a_digit(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    raw = bytearray(real_idx(mnist_dir, "test_labels", TEST_COUNT))
    raw[-1] = 12
    write(paths["test_labels"], bytes(raw))
    message = load_error(tmp_path / "mnist")
    assert str(paths["test_labels"]) in message
    assert "label 12" in message


def test_missing_folder(tmp_path):
    missing = tmp_path / "no-such-folder"
    message = load_error(missing)
    assert str(missing) in message
    assert "does not exist" in message


def test_missing_file(mnist_dir, tmp_path):
    paths = small_copy(mnist_dir, tmp_path / "mnist")
    paths["test_labels"].unlink()
    message = load_error(tmp_path / "mnist")
    assert re.search(r"no t10k-labels-idx1-ubyte(\.gz)? ", message)
    assert str(tmp_path / "mnist") in message
