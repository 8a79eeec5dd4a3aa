"""The model shipped in model/digitpad.keras reads MNIST's test digits as well as promised."""

import numpy as np

from digitpad.model import SHIPPED_MODEL, load_model, make_predictor


def test_shipped_model_accuracy(mnist):
    # load_model raises ModelError if the file is missing: a failure, never a skip
    predict = make_predictor(load_model(SHIPPED_MODEL))
    images = mnist.x_test.astype(np.float32) / 255.0
    predicted = np.concatenate([predict(images[i:i + 1000]).argmax(axis=1)
                                for i in range(0, len(images), 1000)])
    accuracy = float(np.mean(predicted == mnist.y_test))
    assert len(predicted) == 10000
    assert accuracy >= 0.990, f"{SHIPPED_MODEL} scores {accuracy:.4f} on the 10,000 test digits"
