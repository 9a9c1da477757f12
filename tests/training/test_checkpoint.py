"""Checkpoints: an interrupted and resumed run ends bitwise equal to an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import load_model, save_model
from glassnet.training import Checkpoint


def _data():
    d = gn.datasets.load_mnist_small()
    return d.X_train[:600], d.y_train[:600], d.X_test[:200], d.y_test[:200]


def _run(epochs, extra_callbacks=(), resume=None):
    X, y, X_val, y_val = _data()
    net = gn.Network.build([784, 32, 16, 10], dropout=0.2, batch_norm=True, seed=3)
    callbacks = [
        gn.LearningRateScheduler(gn.CosineDecay(epochs)),
        gn.EarlyStopping(patience=50),
        *extra_callbacks,
    ]
    history = net.fit(
        X,
        y,
        epochs=epochs,
        batch_size=32,
        optimizer=gn.Adam(2e-3),
        seed=7,
        validation_data=(X_val, y_val),
        callbacks=callbacks,
        resume=resume,
    )
    return net, history


class InterruptAt(gn.Callback):
    def __init__(self, epoch: int, step: int) -> None:
        self.epoch, self.step = epoch, step

    def on_batch_end(self, state, logs) -> None:
        if state.epoch == self.epoch and state.step % 19 == self.step:
            raise KeyboardInterrupt


def test_resume_after_an_interruption_is_bitwise_identical(tmp_path) -> None:
    reference, full_history = _run(epochs=5)

    checkpoint = Checkpoint()
    with pytest.raises(KeyboardInterrupt):
        _run(epochs=5, extra_callbacks=[checkpoint, InterruptAt(epoch=4, step=5)])
    assert checkpoint.last is not None and checkpoint.last["epoch"] == 3

    interrupted_net = gn.Network.build([784, 32, 16, 10], dropout=0.2, batch_norm=True, seed=99)
    path = save_model(tmp_path / "checkpoint.glassnet", interrupted_net, training=checkpoint.last)
    training = load_model(path).training
    resumed, history = _run(epochs=5, extra_callbacks=[Checkpoint()], resume=training)

    for (name, a), (_, b) in zip(
        resumed.parameters() + resumed.buffers(),
        reference.parameters() + reference.buffers(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert history.epoch == full_history.epoch == [1, 2, 3, 4, 5]
    assert history.loss == full_history.loss
    assert history["learning_rate"] == full_history["learning_rate"]


def test_resume_refuses_a_different_optimizer_or_callbacks() -> None:
    checkpoint = Checkpoint()
    _run(epochs=1, extra_callbacks=[checkpoint])
    X, y, _, _ = _data()
    net = gn.Network.build([784, 32, 16, 10], dropout=0.2, batch_norm=True, seed=3)
    with pytest.raises(ValueError, match=r"trained with optimizer 'adam', not 'sgd'"):
        net.fit(
            X,
            y,
            epochs=2,
            optimizer="sgd",
            resume=checkpoint.last,
            callbacks=[gn.LearningRateScheduler(gn.CosineDecay(2)), gn.EarlyStopping(patience=50)],
        )
    with pytest.raises(
        ValueError,
        match=r"callbacks \['LearningRateScheduler', 'EarlyStopping'\], but this run has \[\]",
    ):
        net.fit(X, y, epochs=2, optimizer=gn.Adam(2e-3), resume=checkpoint.last)
