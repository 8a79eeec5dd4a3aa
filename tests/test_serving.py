"""The shipped model exported for TensorFlow Serving answers exactly as the app does, so an
app that asks a model server (README, "Scale beyond one machine") shows the same bars."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from digitpad.model import export_saved_model, load_model, make_predictor
from digitpad.preprocess import preprocess
from tests.harness.server import REPO


def test_served_shipped_model_gives_the_apps_probabilities(tmp_path, mnist):
    model = load_model()
    folder = export_saved_model(model, tmp_path / "digitpad" / "1")  # TF Serving's layout
    serve = tf.saved_model.load(str(folder)).signatures["serving_default"]
    (name, spec), = serve.structured_input_signature[1].items()
    assert spec.shape.as_list() == [None, 28, 28] and spec.dtype == tf.float32
    drawings = [preprocess(path) for path in sorted((REPO / "assets").glob("example-*.png"))]
    digits = np.concatenate([np.stack(drawings), mnist.x_test[:100] / np.float32(255)])
    served = next(iter(serve(**{name: tf.constant(digits, tf.float32)}).values())).numpy()
    app = make_predictor(model)(digits)
    np.testing.assert_allclose(served, app, atol=1e-5)
    assert np.mean(served[len(drawings):].argmax(axis=1) == mnist.y_test[:100]) > 0.9
