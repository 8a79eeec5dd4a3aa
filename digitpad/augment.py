"""Training-time distortions that make MNIST look like digits people draw on a canvas."""

from __future__ import annotations

import functools
import math

import numpy as np
import tensorflow as tf

MAX_ROTATION = math.radians(20)
SCALE = (0.8, 1.1)
MAX_ASPECT = 0.3  # width stretched or squeezed by up to this share relative to the height
MAX_SHEAR = 0.45
MAX_SHIFT = 2.0  # pixels
ELASTIC_KNOTS = 5  # the elastic field is random on a 5x5 grid, smoothly interpolated between
ELASTIC_ALPHA = 0.8  # typical elastic displacement, pixels
THICKNESS = (-0.4, 1.0)  # negative thins toward an erosion, positive thickens toward a dilation
UNCHANGED = 0.25  # share of each batch left as written, so MNIST's own digits stay well read


@functools.cache
def bicubic_weights() -> np.ndarray:
    """(28, ELASTIC_KNOTS) weights of tf.image.resize's bicubic along one axis. XLA has no bicubic
    resize, and the resize is separable, so the elastic field is two small products with these."""
    with tf.init_scope():  # computed eagerly even when first asked for inside a traced step
        units = tf.reshape(tf.eye(ELASTIC_KNOTS), [ELASTIC_KNOTS, ELASTIC_KNOTS, 1, 1])
        return tf.image.resize(units, [28, 1], method="bicubic").numpy().reshape(-1, 28).T


def sample_grid(batch: int, seed: tf.Tensor) -> tf.Tensor:
    """Source coordinates (batch, 28, 28, 2) as (row, col): one affine map plus an elastic field."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    u = lambda i, low, high: tf.random.stateless_uniform([batch], seeds[i], low, high)  # noqa: E731
    angle = u(0, -MAX_ROTATION, MAX_ROTATION)
    scale = u(1, *SCALE)
    aspect = u(2, 1 - MAX_ASPECT, 1 + MAX_ASPECT)
    shear = u(3, -MAX_SHEAR, MAX_SHEAR)
    shift = tf.random.stateless_uniform([batch, 1, 1, 2], seeds[4], -MAX_SHIFT, MAX_SHIFT)
    # output (row, col) -> source: inverse of rotate(shear(scale(x))), written per entry
    cos, sin = tf.cos(angle), tf.sin(angle)
    sy, sx = scale, scale * aspect
    m00, m01 = cos / sy, sin / sy
    m10, m11 = (-sin - shear * cos) / sx, (cos - shear * sin) / sx
    centre = 13.5
    rows, cols = tf.meshgrid(tf.range(28.0) - centre, tf.range(28.0) - centre, indexing="ij")
    src_r = m00[:, None, None] * rows + m01[:, None, None] * cols
    src_c = m10[:, None, None] * rows + m11[:, None, None] * cols
    affine = tf.stack([src_r, src_c], axis=-1) + centre + shift
    knots = tf.random.stateless_normal([batch, ELASTIC_KNOTS, ELASTIC_KNOTS, 2], seeds[5])
    spline = bicubic_weights()
    return affine + ELASTIC_ALPHA * tf.einsum("rk,bklc,sl->brsc", spline, knots, spline)


def change_thickness(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Blend each image toward its 3x3 dilation (thicker) or erosion (thinner), randomly."""
    x = images[..., None]
    dilated = tf.nn.max_pool2d(x, 3, 1, "SAME")[..., 0]
    eroded = -tf.nn.max_pool2d(-x, 3, 1, "SAME")[..., 0]
    amount = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1], seed, *THICKNESS)
    target = tf.where(amount > 0, dilated, eroded)
    return images + tf.abs(amount) * (target - images)


def bilinear_sample(images: tf.Tensor, grid: tf.Tensor) -> tf.Tensor:
    """images (n, 28, 28) read at grid (n, 28, 28, 2) source positions, zero outside.

    Four flat gathers; `keras.ops.image.map_coordinates` does the same about ten times slower.
    """
    batch = tf.shape(images)[0]
    padded = tf.reshape(tf.pad(images, [[0, 0], [1, 1], [1, 1]]), [-1])
    pos = tf.clip_by_value(grid + 1.0, 0.0, 29.0)
    top_left = tf.minimum(tf.floor(pos), 28.0)
    frac = pos - top_left
    r, c = tf.cast(top_left[..., 0], tf.int32), tf.cast(top_left[..., 1], tf.int32)
    base = tf.range(batch)[:, None, None] * 900
    at = lambda dr, dc: tf.gather(padded, base + (r + dr) * 30 + c + dc)  # noqa: E731
    fr, fc = frac[..., 0], frac[..., 1]
    return ((1 - fr) * ((1 - fc) * at(0, 0) + fc * at(0, 1))
            + fr * ((1 - fc) * at(1, 0) + fc * at(1, 1)))


def augment(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Distort a batch (n, 28, 28) of [0, 1] digits: shape, slant, position, wobble, thickness;
    an UNCHANGED share of them is left as it is."""
    batch = tf.shape(images)[0]
    warped = bilinear_sample(images, sample_grid(batch, seed))
    thick_seed = tf.random.experimental.stateless_fold_in(seed, 1)
    distorted = tf.clip_by_value(change_thickness(warped, thick_seed), 0.0, 1.0)
    keep_seed = tf.random.experimental.stateless_fold_in(seed, 2)
    keep = tf.random.stateless_uniform([batch], keep_seed) < UNCHANGED
    return tf.where(keep[:, None, None], images, distorted)
