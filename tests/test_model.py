"""The MLP: its shapes, saving atomically, loading with helpful errors, export and prediction."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from digitpad.model import (
    SHIPPED_MODEL,
    ModelError,
    build_mlp,
    card_path,
    export_saved_model,
    load_model,
    make_frozen_predictor,
    make_predictor,
    save_model,
    write_card,
)
from digitpad.training import TrainConfig, train


@pytest.fixture(scope="module")
def model(mnist):
    """A small network trained briefly on the real MNIST."""
    return train(TrainConfig(learning_rate=1e-3, iterations=100, hidden=(64,)), mnist).model


@pytest.fixture(scope="module")
def images(mnist):
    return mnist.x_test[:32].astype(np.float32) / 255.0


@pytest.mark.parametrize(("hidden", "parameters"), [
    ((), 784 * 10 + 10),
    ((1500,), 784 * 1500 + 1500 + 1500 * 10 + 10),
    ((512, 256, 128), 784 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10),
])
def test_build_mlp_shapes(hidden, parameters):
    net = build_mlp(hidden, dropout=0.3)
    assert net.input_shape == (None, 28, 28)
    assert net.output_shape == (None, 10)
    dense = [layer for layer in net.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [*hidden, 10]
    assert all(layer.activation is keras.activations.relu for layer in dense[:-1])
    assert dense[-1].activation is keras.activations.softmax
    dropout = [layer for layer in net.layers if isinstance(layer, keras.layers.Dropout)]
    assert [layer.rate for layer in dropout] == [0.3]
    assert net.count_params() == parameters
    probabilities = net(np.random.default_rng(0).random((5, 28, 28), np.float32)).numpy()
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_initial_weights_follow_their_own_seed_and_leave_the_global_one_alone():
    """A run's starting weights depend on its seed only; TensorFlow's global seed is not reset
    (resetting it clears the caches every other run's traced steps rely on)."""
    tf.random.set_seed(99)
    global_draw = tf.random.uniform([4]).numpy()
    first = build_mlp((16, 8), seed=3).get_weights()
    tf.random.set_seed(99)
    again = build_mlp((16, 8), seed=3).get_weights()
    assert np.array_equal(tf.random.uniform([4]).numpy(), global_draw)
    other = build_mlp((16, 8), seed=4).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_save_and_load_round_trip(model, images, tmp_path):
    path = save_model(model, tmp_path / "sub" / "m.keras")
    assert path == tmp_path / "sub" / "m.keras" and path.is_file()
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded(images).numpy(), model(images).numpy())
    assert loaded.name == model.name
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.keras"]  # no temp files left


def test_a_saved_model_and_its_card_are_readable_by_others(model, tmp_path):
    path = save_model(model, tmp_path / "m.keras")
    card = write_card({"test_accuracy": 0.9}, card_path(path))
    assert path.stat().st_mode & 0o777 == 0o644
    assert card.stat().st_mode & 0o777 == 0o644


def test_save_overwrites(model, images, tmp_path):
    path = tmp_path / "m.keras"
    save_model(build_mlp((8,)), path)
    save_model(model, path)
    np.testing.assert_array_equal(load_model(path)(images).numpy(), model(images).numpy())
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_save_is_atomic(model, images, tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    save_model(model, path)
    before = path.read_bytes()

    def crash(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")  # the process dies part-way through writing
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(build_mlp((8,)), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]
    np.testing.assert_array_equal(load_model(path)(images).numpy(), model(images).numpy())


def assert_helpful(message, path):
    assert str(path) in message
    assert "git checkout" in message
    assert "train.py" in message


def test_load_missing_file(tmp_path):
    path = tmp_path / "missing.keras"
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert_helpful(str(info.value), path)
    assert "not found" in str(info.value)


def test_load_garbage(tmp_path):
    path = tmp_path / "garbage.keras"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert_helpful(str(info.value), path)


def test_load_truncated_model(model, tmp_path):
    path = save_model(model, tmp_path / "cut.keras")
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert_helpful(str(info.value), path)


def test_load_model_of_the_wrong_shape(tmp_path):
    path = tmp_path / "flat.keras"
    other = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    other.save(path)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert_helpful(str(info.value), path)
    assert "28x28" in str(info.value)


def test_export_saved_model(model, images, tmp_path):
    folder = export_saved_model(model, tmp_path / "saved")
    assert (folder / "saved_model.pb").is_file()
    serve = tf.saved_model.load(str(folder)).signatures["serve"]
    inputs = serve.structured_input_signature[1]
    assert len(inputs) == 1
    (name, spec), = inputs.items()
    assert spec.shape.as_list() == [None, 28, 28] and spec.dtype == tf.float32
    outputs = serve(**{name: tf.constant(images)})
    assert len(outputs) == 1
    probabilities = next(iter(outputs.values())).numpy()
    assert probabilities.shape == (len(images), 10)
    np.testing.assert_allclose(probabilities, model(images).numpy(), atol=1e-5)


def test_make_predictor_matches_the_model(model, images, mnist):
    predict = make_predictor(model)
    expected = model(images, training=False).numpy()
    np.testing.assert_allclose(predict(images), expected, atol=1e-6)
    np.testing.assert_allclose(predict(images[:1]), expected[:1], atol=1e-6)
    np.testing.assert_allclose(predict(images.reshape(-1, 784)), expected, atol=1e-6)
    np.testing.assert_allclose(predict(images.astype(np.float64)), expected, atol=1e-6)
    # it predicts deterministically (no dropout) and reads digits after brief training
    np.testing.assert_array_equal(predict(images), predict(images))
    test = mnist.x_test.astype(np.float32) / 255.0
    assert np.mean(predict(test).argmax(axis=1) == mnist.y_test) > 0.85


@pytest.mark.parametrize("which", ["shipped", "trained here", "no hidden layer"])
def test_frozen_predictor_reads_one_digit_as_tensorflow_does(which, model, mnist):
    net = {"shipped": lambda: load_model(SHIPPED_MODEL), "trained here": lambda: model,
           "no hidden layer": lambda: build_mlp(())}[which]()
    frozen, predict = make_frozen_predictor(net), make_predictor(net)
    digits = mnist.x_test[:100].astype(np.float32) / 255.0
    one_by_one = np.concatenate([frozen(d[None]) for d in digits])
    np.testing.assert_allclose(one_by_one, predict(digits), atol=1e-5)
    np.testing.assert_allclose(frozen(digits), predict(digits), atol=1e-6)  # a batch, as before


def other_network(kind: str) -> keras.Model:
    """A small network that build_mlp would not make, its batch norm far from the identity."""
    middle = {"tanh": [keras.layers.Dense(16, activation="tanh")],
              "batch norm": [keras.layers.Dense(16, activation="relu"),
                             keras.layers.BatchNormalization()]}[kind]
    net = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *middle,
                            keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    for layer in net.layers:
        if isinstance(layer, keras.layers.Dense):
            layer.set_weights([rng.normal(0, 0.1, w.shape) for w in layer.get_weights()])
        elif isinstance(layer, keras.layers.BatchNormalization):  # gamma, beta, mean, variance
            layer.set_weights([np.full(16, v) for v in (2.0, 0.5, 1.0, 4.0)])
    return net


@pytest.mark.parametrize("kind", ["tanh", "batch norm"])
def test_frozen_predictor_leaves_other_networks_to_tensorflow(kind, images):
    net = other_network(kind)
    np.testing.assert_allclose(make_frozen_predictor(net)(images[:1]),
                               net(images[:1], training=False).numpy(), atol=1e-6)
