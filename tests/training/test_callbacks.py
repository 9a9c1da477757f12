"""Early stopping, learning-rate schedules and progress reporting."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import History, TrainingState


def _state(lr: float = 0.1) -> TrainingState:
    net = gn.Network.build([2, 2], seed=0)
    return TrainingState(net, gn.SGD(lr), History("accuracy"), epochs=10)


def _feed(callback: gn.Callback, state: TrainingState, values: list[float], key: str = "val_loss"):
    """Run the epoch hooks over a scripted sequence of monitored values."""
    callback.on_train_begin(state)
    for epoch, value in enumerate(values, start=1):
        state.epoch = epoch
        callback.on_epoch_begin(state)
        callback.on_epoch_end(state, {key: value})
        if state.stop_training:
            break
    callback.on_train_end(state)


# -- early stopping -----------------------------------------------------------------------


def test_early_stopping_waits_patience_epochs_after_the_best() -> None:
    state, stopper = _state(), gn.EarlyStopping(patience=2, restore_best_weights=False)
    _feed(stopper, state, [5.0, 4.0, 3.0, 3.5, 3.2, 1.0])
    assert stopper.best_epoch == 3 and stopper.stopped_epoch == 5 and state.epoch == 5


def test_early_stopping_min_delta_and_mode() -> None:
    state, stopper = _state(), gn.EarlyStopping("val_accuracy", patience=1, min_delta=0.01)
    assert stopper.tracker.mode == "max"
    _feed(stopper, state, [0.80, 0.805, 0.9], key="val_accuracy")  # +0.005 is no improvement
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 2


def test_early_stopping_names_a_missing_monitor() -> None:
    state = _state()
    with pytest.raises(
        ValueError,
        match=r"monitor 'val_loss' is not among this epoch's logs \(loss\); pass validation_data",
    ):
        _feed(gn.EarlyStopping(), state, [1.0], key="loss")


def test_early_stopping_restores_the_best_weights_in_real_training() -> None:
    """Overfit 60 digits with a large step; validation loss turns up, training stops, and
    the network ends with the weights of the epoch that had the lowest validation loss."""
    d = gn.datasets.load_mnist_small()
    X, y, X_val, y_val = d.X_train[:60], d.y_train[:60], d.X_test[:300], d.y_test[:300]
    net = gn.Network.build([784, 64, 10], seed=0)
    snapshots: list[list[np.ndarray]] = []

    class Snapshot(gn.Callback):
        def on_epoch_end(self, state, logs) -> None:
            snapshots.append([p.copy() for _, p in state.network.parameters()])

    stopper = gn.EarlyStopping(patience=3)
    history = net.fit(
        X,
        y,
        epochs=100,
        batch_size=10,
        optimizer="sgd",
        learning_rate=0.5,
        seed=0,
        validation_data=(X_val, y_val),
        callbacks=[Snapshot(), stopper],
    )
    best = int(np.argmin(history.val_loss))
    assert stopper.stopped_epoch == len(history.epoch) < 100  # it stopped early
    assert stopper.stopped_epoch == best + 1 + 3  # patience epochs after the best
    assert stopper.best_epoch == best + 1
    for (_, p), q in zip(net.parameters(), snapshots[best], strict=True):
        np.testing.assert_array_equal(p, q)
    assert net.evaluate(X_val, y_val)["loss"] == pytest.approx(min(history.val_loss), rel=1e-6)


def test_early_stopping_also_restores_batch_norm_statistics() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    net = gn.Network.build([3, 8, 2], batch_norm=True, seed=0)
    at_epoch_1: list[np.ndarray] = []

    class ScriptedValidation(gn.Callback):
        """Epoch 1 is the best; the running statistics keep moving afterwards."""

        def on_epoch_end(self, state, logs) -> None:
            logs["val_loss"] = 1.0 if state.epoch == 1 else 2.0
            if state.epoch == 1:
                at_epoch_1.extend(a.copy() for _, a in state.network.buffers())

    net.fit(
        X,
        y,
        epochs=10,
        batch_size=8,
        seed=0,
        callbacks=[ScriptedValidation(), gn.EarlyStopping(patience=2)],
    )
    assert len(at_epoch_1) == 2
    for (_, a), b in zip(net.buffers(), at_epoch_1, strict=True):
        np.testing.assert_array_equal(a, b)


# -- schedules ----------------------------------------------------------------------------


def test_schedules_follow_their_formulas() -> None:
    step, expo, cosine = (
        gn.StepDecay(3, gamma=0.5),
        gn.ExponentialDecay(0.9),
        gn.CosineDecay(10, 0.01),
    )
    assert [step(e, 1.0) for e in range(1, 8)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert [expo(e, 2.0) for e in (1, 2, 3)] == pytest.approx([2.0, 1.8, 1.62])
    assert cosine(1, 0.5) == pytest.approx(0.5)
    assert cosine(6, 0.5) == pytest.approx(0.01 + 0.5 * 0.49 * (1 + math.cos(math.pi / 2)))
    assert cosine(11, 0.5) == pytest.approx(0.01) and cosine(50, 0.5) == pytest.approx(0.01)


def test_learning_rate_scheduler_sets_the_rate_each_epoch() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    history = gn.Network.build([3, 2], seed=0).fit(
        X,
        y,
        epochs=5,
        optimizer="sgd",
        learning_rate=0.4,
        seed=0,
        callbacks=[gn.LearningRateScheduler(gn.StepDecay(2, gamma=0.1))],
    )
    assert history["learning_rate"] == pytest.approx([0.4, 0.4, 0.04, 0.04, 0.004])


def test_reduce_on_plateau_waits_then_multiplies() -> None:
    state = _state(lr=1.0)
    reducer = gn.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_learning_rate=0.2)
    rates = []
    reducer.on_train_begin(state)
    for epoch, value in enumerate([3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], start=1):
        state.epoch = epoch
        reducer.on_epoch_end(state, {"val_loss": value})
        rates.append(state.optimizer.learning_rate)
    # epoch 1 sets the best; 2 and 3 do not improve → halve at 3; 4 is cooldown; 5, 6 → halve
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]


# -- progress -------------------------------------------------------------------------------


def test_progress_bar_reports_each_epoch() -> None:
    pytest.importorskip("tqdm", reason="ProgressBar needs the optional dependency tqdm")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)
    out, err = io.StringIO(), io.StringIO()
    bar = gn.ProgressBar(stream=err, leave=True)
    bar_lines = gn.training.EpochPrinter(stream=out)
    gn.Network.build([3, 2], seed=0).fit(X, y, epochs=2, batch_size=10, callbacks=[bar, bar_lines])
    assert "100%" in err.getvalue() and "50.0/50.0" in err.getvalue()  # every sample counted
    lines = out.getvalue().strip().splitlines()
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]


@pytest.mark.parametrize(
    ("monitor", "mode"),
    [
        ("val_precision_macro", "max"),
        ("val_recall_macro", "max"),
        ("val_r2", "max"),
        ("val_mae", "min"),
        ("val_log_loss", "min"),
        ("val_accuracy", "max"),
        ("val_rmse", "min"),
        ("loss", "min"),
    ],
)
def test_auto_mode_follows_each_metrics_direction(monitor, mode) -> None:
    assert gn.EarlyStopping(monitor).tracker.mode == mode
