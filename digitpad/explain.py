"""Look inside the network: the gradients behind an answer and what the first layer learned.

Maths only; `digitpad.views.inside` turns these arrays into pictures.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from digitpad.model import dense_layers


def saliency(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled map from one 28x28 digit to (10, 28, 28): d P(class k) / d pixel, for each k.

    One backward pass over ten copies of the digit: copy k's gradient holds class k's alone.
    """

    @tf.function(input_signature=[tf.TensorSpec([28, 28], tf.float32)])
    def gradients(digit: tf.Tensor) -> tf.Tensor:
        copies = tf.tile(digit[None], [10, 1, 1])
        with tf.GradientTape() as tape:
            tape.watch(copies)
            own_class = tf.linalg.diag_part(model(copies, training=False))
        return tape.gradient(own_class, copies)

    def explain(digit: np.ndarray) -> np.ndarray:
        return gradients(np.asarray(digit, dtype=np.float32).reshape(28, 28)).numpy()

    explain(np.zeros((28, 28), np.float32))  # trace now, not on someone's first click
    return explain


def first_layer_images(model: keras.Model, count: int = 32) -> tuple[np.ndarray, list[str]]:
    """The first Dense layer's weights as (k, 28, 28) images, with a caption each.

    Softmax regression: the ten class templates. An MLP: the `count` hidden units that matter
    most, ranked by the norm of their incoming weights times the norm of their outgoing ones.
    """
    dense = dense_layers(model)
    kernel = dense[0].get_weights()[0]  # (784, units)
    if len(dense) == 1:
        return kernel.T.reshape(-1, 28, 28), [str(d) for d in range(kernel.shape[1])]
    outgoing = dense[1].get_weights()[0]  # (units, next units)
    importance = np.linalg.norm(kernel, axis=0) * np.linalg.norm(outgoing, axis=1)
    units = np.argsort(-importance, kind="stable")[:count]
    return kernel[:, units].T.reshape(-1, 28, 28), [f"unit {u}" for u in units]
