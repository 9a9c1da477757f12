"""The training loop: gradient-descent flavours, reproducibility, dtypes, real data."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture(scope="module")
def mnist_small() -> gn.datasets.Dataset:
    return gn.datasets.load_mnist_small()


def _blobs(m: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=m)
    X = rng.normal(size=(m, 4)) + 2.0 * np.eye(3, 4)[y]
    return X, y


def test_shipped_dataset_is_the_documented_sample(mnist_small) -> None:
    d = mnist_small
    assert d.X_train.shape == (10_000, 784) and d.X_test.shape == (2_000, 784)
    assert d.X_train.dtype == np.float32 and 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(d.y_train), np.full(10, 1_000))
    np.testing.assert_array_equal(np.bincount(d.y_test), np.full(10, 200))


def test_training_on_the_shipped_mnist_sample_reaches_a_sensible_accuracy(mnist_small) -> None:
    d = mnist_small
    net = gn.Network.build([784, 64, 10], seed=0)
    history = net.fit(
        d.X_train,
        d.y_train,
        epochs=3,
        batch_size=32,
        optimizer="sgd",
        learning_rate=0.1,
        validation_data=(d.X_test, d.y_test),
        seed=0,
    )
    # A 784-64-10 MLP reaches about 92-93 % on this 10k sample in 3 epochs; 90 % is the floor
    # of a working backward pass (chance is 10 %, a linear model on 10k samples ~88 %).
    assert history.val_metric[-1] >= 0.90
    assert history.loss[-1] < history.loss[0]
    assert net.evaluate(d.X_test, d.y_test)["accuracy"] == pytest.approx(history.val_metric[-1])
    assert np.mean(net.predict(d.X_test) == d.y_test) == pytest.approx(history.val_metric[-1])


def test_same_seed_gives_bitwise_identical_training_and_another_seed_does_not() -> None:
    X, y = _blobs()

    def train(seed: int) -> tuple[gn.Network, gn.History]:
        net = gn.Network.build([4, 8, 3], seed=seed)
        return net, net.fit(
            X, y, epochs=3, batch_size=7, optimizer="sgd", learning_rate=0.05, seed=seed
        )

    (a, ha), (b, hb), (c, _) = train(1), train(1), train(2)
    for (_, p), (_, q) in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p, q)
    assert ha.loss == hb.loss
    assert not np.array_equal(a.parametric_layers()[0].W, c.parametric_layers()[0].W)


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(None, 1), (1, 60), (16, 4), (100, 1)])
def test_batch_size_selects_batch_stochastic_or_mini_batch_descent(
    batch_size, steps_per_epoch
) -> None:
    X, y = _blobs(60)
    net = gn.Network.build([4, 5, 3], seed=0)
    opt = gn.SGD(0.01)
    net.fit(X, y, epochs=2, batch_size=batch_size, optimizer=opt, seed=0)
    assert opt.iterations == 2 * steps_per_epoch


def test_batch_gradient_descent_is_one_step_on_all_samples() -> None:
    """fit(batch_size=None) = forward on all m samples, backward, θ ← θ − α ∂J/∂θ."""
    X, y = _blobs(30)
    net = gn.Network.build([4, 5, 3], activation="tanh", l2=0.1, seed=0, dtype="float64")
    by_hand = net.astype("float64")
    net.fit(X, y, epochs=1, batch_size=None, optimizer="sgd", learning_rate=0.5, shuffle=False)
    by_hand.forward(X.astype(np.float64))
    by_hand.backward(np.eye(3)[y])
    for (_, theta), (_, grad) in zip(by_hand.parameters(), by_hand.gradients(), strict=True):
        theta -= 0.5 * grad
    for (_, p), (_, q) in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-14, atol=1e-15)


def test_unshuffled_mini_batches_are_consecutive_slices() -> None:
    X, y = _blobs(10)
    net = gn.Network.build([4, 3], loss="cce", seed=0, dtype="float64")
    by_hand = net.astype("float64")
    net.fit(X, y, epochs=1, batch_size=4, optimizer="sgd", learning_rate=0.3, shuffle=False)
    Y = np.eye(3)[y]
    for start in (0, 4, 8):  # the last batch has 2 samples and is averaged over 2
        by_hand.forward(X[start : start + 4])
        by_hand.backward(Y[start : start + 4])
        for (_, theta), (_, grad) in zip(by_hand.parameters(), by_hand.gradients(), strict=True):
            theta -= 0.3 * grad
    for (_, p), (_, q) in zip(net.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_stays_in_its_dtype(dtype) -> None:
    X, y = _blobs()
    net = gn.Network.build([4, 6, 3], seed=0, dtype=dtype, l2=0.01)
    net.fit(X.astype(np.float64), y, epochs=1, batch_size=8, seed=0)  # float64 input is cast once
    for layer in net.parametric_layers():
        for array in (layer.W, layer.b, layer.dW, layer.db, layer.Z, layer.A, layer.delta):
            assert array.dtype == np.dtype(dtype)
    assert net.predict_output(X).dtype == np.dtype(dtype)


def test_history_records_training_and_validation_per_epoch() -> None:
    X, y = _blobs(80)
    net = gn.Network.build([4, 8, 3], seed=0)
    history = net.fit(
        X[:60],
        y[:60],
        epochs=4,
        batch_size=10,
        optimizer="sgd",
        learning_rate=0.1,
        validation_data=(X[60:], y[60:]),
        seed=0,
    )
    assert history.epoch == [1, 2, 3, 4] and history.metric == "accuracy"
    assert len(history.loss) == len(history.val_loss) == len(history.val_metric) == 4
    assert history.val_loss[-1] == pytest.approx(net.evaluate(X[60:], y[60:])["loss"], rel=1e-6)
    assert all(0.0 <= a <= 1.0 for a in history.train_metric + history.val_metric)


def test_regression_with_mse_learns_a_linear_map() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3
    net = gn.Network.build([3, 16, 1], activation="tanh", loss="mse", seed=0, dtype="float64")
    history = net.fit(X, y, epochs=60, batch_size=20, optimizer="sgd", learning_rate=0.05, seed=0)
    assert history.metric == "rmse"
    residual = net.predict(X) - y
    assert math.sqrt(np.mean(residual**2)) < 0.1 * y.std()  # R² > 0.99
    assert history.train_metric[-1] < history.train_metric[0]


def test_callbacks_see_every_epoch_and_can_stop_training() -> None:
    class StopAfterTwo(gn.Callback):
        def __init__(self) -> None:
            self.seen: list[int] = []

        def on_epoch_end(self, state, logs) -> None:
            self.seen.append(state.epoch)
            state.stop_training = state.epoch == 2

    X, y = _blobs()
    stopper = StopAfterTwo()
    history = gn.Network.build([4, 3], seed=0).fit(X, y, epochs=10, callbacks=[stopper])
    assert stopper.seen == [1, 2] and history.epoch == [1, 2]


def test_verbose_prints_one_line_per_epoch(capsys) -> None:
    X, y = _blobs()
    gn.Network.build([4, 3], seed=0).fit(X, y, epochs=3, verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all(
        re.search(r"loss \d\.\d{4}  acc \d\.\d{4} │ lr 0.001  \d+\.\d\ds$", line) for line in lines
    )


def test_a_diverging_run_stops_with_the_epoch_and_step() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * 1e3
    y = X.sum(axis=1) * 1e3
    net = gn.Network.build([4, 16, 1], loss="mse", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow that the error reports
        with pytest.raises(
            gn.TrainingDivergedError,
            match=r"epoch 1, step \d+ \(.* is the first non-finite quantity.*\); try a smaller learning rate",
        ):
            net.fit(X, y, epochs=5, batch_size=8, optimizer="sgd", learning_rate=10.0, seed=0)


def test_one_step_matches_scikit_learns_mlp() -> None:
    """A second library: scikit-learn's MLPClassifier uses the same cost (document 001's
    λ/(2m) with its ``alpha``), so from the same weights one batch step must agree."""
    from sklearn.neural_network import MLPClassifier

    X, y = _blobs(40, seed=3)
    net = gn.Network.build([4, 6, 3], activation="tanh", l2=0.2, seed=5, dtype="float64")
    clf = MLPClassifier(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="sgd",
        alpha=0.2,
        momentum=0.0,
        learning_rate_init=0.3,
        batch_size=40,
        shuffle=False,
    )
    clf.partial_fit(X, y, classes=[0, 1, 2])  # builds sklearn's arrays; replaced below
    clf.coefs_ = [layer.W.T.copy() for layer in net.parametric_layers()]
    clf.intercepts_ = [layer.b.copy() for layer in net.parametric_layers()]
    np.testing.assert_allclose(net.predict_output(X), clf.predict_proba(X), rtol=1e-12)
    clf.partial_fit(X, y)
    net.fit(X, y, epochs=1, batch_size=None, optimizer="sgd", learning_rate=0.3, shuffle=False)
    for layer, W, b in zip(net.parametric_layers(), clf.coefs_, clf.intercepts_, strict=True):
        np.testing.assert_allclose(layer.W, W.T, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.b, b, rtol=1e-12, atol=1e-14)


def test_named_metrics_on_validation_data_match_scikit_learn() -> None:
    from sklearn.metrics import f1_score, log_loss, r2_score

    X, y = _blobs(90, seed=4)
    net = gn.Network.build([4, 8, 3], seed=0)
    history = net.fit(
        X[:60],
        y[:60],
        epochs=3,
        optimizer="sgd",
        learning_rate=0.1,
        seed=0,
        validation_data=(X[60:], y[60:]),
        metrics=["f1_macro", "log_loss"],
    )
    proba = net.predict_output(X[60:])
    assert history["val_f1_macro"][-1] == pytest.approx(
        f1_score(y[60:], proba.argmax(axis=1), average="macro"), rel=1e-12
    )
    assert history["val_log_loss"][-1] == pytest.approx(
        log_loss(y[60:], proba, labels=[0, 1, 2]), rel=1e-5
    )
    regression = gn.Network.build([4, 6, 1], loss="mse", seed=0)
    target = X @ np.array([1.0, -1.0, 0.5, 0.0])
    regression.fit(X, target, epochs=5, seed=0)
    scores = regression.evaluate(X, target, metrics=["r2", "mae"])
    assert scores["r2"] == pytest.approx(r2_score(target, regression.predict(X)), rel=1e-6)
    with pytest.raises(ValueError, match=r"unknown metric 'f2'"):
        net.fit(X, y, validation_data=(X, y), metrics=["f2"])
