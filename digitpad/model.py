"""The network: an MLP over 28x28 digits, its saving, loading and fast prediction."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitpad.files import SHARED, replacing, write_atomically

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "model" / "digitpad.keras"
SEED_HIDDEN = (512, 256, 128)


class ModelError(RuntimeError):
    """A model file is missing or not a digitpad model."""


def build_mlp(hidden: Sequence[int] = SEED_HIDDEN, dropout: float = 0.5,
              seed: int | None = None) -> keras.Model:
    """784 inputs, ReLU hidden layers, dropout after the last hidden layer (as the original
    tutorial), softmax.

    hidden=() is the original tutorial's multinomial logistic regression; (1500,) the Bern
    exercise. The initial weights come from their own seed, not the global one: setting
    TensorFlow's global seed clears its caches, which slows every traced step's next call.
    """
    weights_seed = keras.random.SeedGenerator(seed)

    def dense(units: int, activation: str) -> keras.layers.Dense:
        return keras.layers.Dense(units, activation=activation, kernel_initializer=(
            keras.initializers.GlorotUniform(weights_seed)))

    layers = [keras.Input((28, 28), name="digit"), keras.layers.Flatten()]
    layers += [dense(units, "relu") for units in hidden]
    layers += [keras.layers.Dropout(dropout), dense(10, "softmax")]
    name = "mlp-" + "-".join(["784", *map(str, hidden), "10"])
    return keras.Sequential(layers, name=name)


def load_model(path: str | os.PathLike = SHIPPED_MODEL) -> keras.Model:
    """A saved model, or a ModelError naming the file and how to get a good one."""
    path = Path(path)
    fix = ("Restore the shipped one with `git checkout -- model/` or train a new one with "
           "`python train.py --out " + str(path) + "`.")
    if not path.is_file():
        raise ModelError(f"Model file {path} not found. {fix}")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as e:
        raise ModelError(f"Model file {path} cannot be loaded ({type(e).__name__}: {e}). "
                         f"{fix}") from e
    if tuple(model.input_shape[1:]) != (28, 28) or tuple(model.output_shape[1:]) != (10,):
        raise ModelError(f"Model file {path} maps {model.input_shape} to {model.output_shape}, "
                         f"not 28x28 digits to 10 classes. {fix}")
    return model


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save in Keras format atomically: a reader sees the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path, SHARED) as temporary:
        model.save(temporary)
    return path


def export_saved_model(model: keras.Model, folder: str | os.PathLike) -> Path:
    """A TensorFlow SavedModel with a `serve` signature (28x28 float32 in, 10 probabilities out)."""
    folder = Path(folder)
    model.export(str(folder), format="tf_saved_model", verbose=False)
    return folder


def make_predictor(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled forward pass: (n, 28, 28) float32 -> (n, 10) probabilities.

    `model.predict` builds a data pipeline on every call; a traced function with a fixed
    signature skips it, many times quicker for one drawing (docs/measurements.md).
    """
    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                          input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)])

    def predict(images: np.ndarray) -> np.ndarray:
        return forward(np.asarray(images, dtype=np.float32).reshape(-1, 28, 28)).numpy()

    predict(np.zeros((1, 28, 28), np.float32))  # trace now, not on someone's first stroke
    return predict


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """The model's Dense layers, input side first."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def frozen_weights(model: keras.Model) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each Dense layer's (kernel, bias) as NumPy arrays, input side first, when the model is
    shaped as build_mlp makes them (ReLU hidden layers, softmax out); None for any other."""
    plain = (keras.layers.Flatten, keras.layers.Dropout, keras.layers.Dense)
    dense = dense_layers(model)
    activations = [layer.get_config()["activation"] for layer in dense]
    if (not all(isinstance(layer, plain) for layer in model.layers)
            or not all(layer.use_bias for layer in dense)
            or activations != ["relu"] * (len(dense) - 1) + ["softmax"]):
        return None
    return [(layer.kernel.numpy(), layer.bias.numpy()) for layer in dense]


def forward_layers(weights: list[tuple[np.ndarray, np.ndarray]],
                   image: np.ndarray) -> list[np.ndarray]:
    """One 28x28 image through frozen_weights in NumPy, every layer kept: the 784 pixels, each
    hidden layer's ReLU units, the ten probabilities."""
    units = np.asarray(image, dtype=np.float32).reshape(28 * 28)
    layers = [units]
    for kernel, bias in weights[:-1]:
        # einsum's own loop, not BLAS: OpenBLAS too wakes a pool of threads for one row
        units = np.maximum(np.einsum("i,ij->j", units, kernel) + bias, 0.0)
        layers.append(units)
    logits = np.einsum("i,ij->j", units, weights[-1][0]) + weights[-1][1]
    exp = np.exp(logits - logits.max())
    return [*layers, exp / exp.sum()]


def make_frozen_predictor(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """make_predictor for a model that trains no more, with one drawing read in NumPy.

    TensorFlow hands every call to thread pools whose threads sleep between drawings; waking
    them costs several times the arithmetic (docs/measurements.md). Batches still go to
    TensorFlow, and so does any model not shaped as build_mlp makes them.
    """
    batched = make_predictor(model)
    weights = frozen_weights(model)
    if weights is None:
        return batched

    def predict(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images, dtype=np.float32).reshape(-1, 28 * 28)
        if len(images) != 1:
            return batched(images)
        return forward_layers(weights, images[0])[-1][None]

    return predict


def write_card(card: dict, path: str | os.PathLike) -> Path:
    """Write a model card as JSON atomically (temp file, then rename)."""
    return write_atomically(path, (json.dumps(card, indent=2) + "\n").encode(), SHARED)


def card_path(model_path: str | os.PathLike) -> Path:
    """The model card that sits beside a model file."""
    return Path(model_path).with_suffix(".json")
