"""Early stopping says what it did (issue 9, item 9): where it stopped, the best epoch,
and whose weights the network kept; the option table turns the restoring off."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import EarlyStopping, History, TrainingState, make_callbacks
from glassnet.training.options import settings_from


def _run(stopper: EarlyStopping, values: list[float], epochs: int = 10) -> TrainingState:
    """The epoch hooks over scripted validation losses, each epoch with its own weights
    (``W1`` filled with the epoch's number), as training would leave them."""
    net = gn.Network.build([2, 2], seed=0)
    state = TrainingState(net, gn.SGD(0.1), History("accuracy"), epochs=epochs)
    stopper.on_train_begin(state)
    for epoch, value in enumerate(values, start=1):
        state.epoch = epoch
        net.parameters()[0][1][...] = epoch
        stopper.on_epoch_end(state, {"val_loss": value})
        if state.stop_training:
            break
    stopper.on_train_end(state)
    return state


def test_the_outcome_of_a_stop_with_the_best_weights_restored() -> None:
    stopper = EarlyStopping(patience=2)
    state = _run(stopper, [5.0, 4.0, 3.0, 3.5, 3.2, 1.0])
    assert (stopper.stopped_epoch, stopper.best_epoch, stopper.weights_epoch) == (5, 3, 3)
    assert np.all(state.network.parameters()[0][1] == 3)  # epoch 3's weights are back
    assert stopper.summary() == {
        "monitor": "val_loss",
        "patience": 2,
        "stopped_epoch": 5,
        "best_epoch": 3,
        "best": 3.0,
        "weights_of_epoch": 3,
    }
    assert stopper.describe() == (
        "early stopping: stopped at epoch 5 of 10 (no improvement of val_loss in 2 epochs); "
        "best epoch 3 (val_loss 3.0000), its weights restored"
    )


def test_the_outcome_when_the_last_weights_are_kept() -> None:
    stopper = EarlyStopping(patience=1, min_delta=0.5, restore_best_weights=False)
    state = _run(stopper, [2.0, 1.8, 1.9])  # 1.8 is not 0.5 better than 2.0
    assert (stopper.stopped_epoch, stopper.best_epoch, stopper.weights_epoch) == (2, 1, 2)
    assert np.all(state.network.parameters()[0][1] == 2)
    assert stopper.describe() == (
        "early stopping: stopped at epoch 2 of 10 (no improvement of val_loss by more than "
        "0.5 in 1 epochs); best epoch 1 (val_loss 2.0000), kept the weights of the last "
        "epoch, 2"
    )


def test_the_outcome_when_it_never_stops() -> None:
    stopper = EarlyStopping(patience=3)
    _run(stopper, [3.0, 2.0, 2.5, 2.4], epochs=4)
    assert stopper.summary()["stopped_epoch"] is None
    assert stopper.describe().startswith("early stopping: did not stop: ran all 4 epochs; best")
    assert stopper.weights_epoch == 2


@pytest.mark.parametrize("restore", [True, False])
def test_the_option_table_decides_whether_the_best_weights_come_back(restore) -> None:
    settings = settings_from(early_stopping=2, restore_best=restore)
    (stopper,) = [cb for cb in make_callbacks(settings) if isinstance(cb, EarlyStopping)]
    assert stopper.restore_best_weights is restore
    assert settings_from()["restore_best"] is True  # by default
    with pytest.raises(TypeError, match=r"restore_best must be True or False, got 'no'"):
        settings_from(restore_best="no")


def test_one_epoch_is_said_in_the_singular() -> None:
    X = np.random.default_rng(0).random((40, 3))
    y = np.arange(40) % 2
    stopper = gn.EarlyStopping(patience=5)
    gn.Network.build([3, 2], seed=0).fit(
        X, y, epochs=1, validation_data=(X, y), callbacks=[stopper], seed=0
    )
    assert stopper.describe().startswith("early stopping: did not stop: ran its one epoch; best")
