"""A run whose loss explodes but stays finite ends with a warning, not in silence: Adam at a
learning rate of 10⁶ used to end at a loss in the thousands with exit status 0."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli import main
from glassnet.training import History, TrainingState
from glassnet.training.callbacks import DIVERGENCE_MARGIN, DIVERGENCE_RATIO, DivergenceCheck
from glassnet.training.state import DivergenceWarning


def _blobs(m: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 3))
    return X, (X @ np.array([1.0, 2.0, -1.0]) > 0).astype(int)


def test_adam_at_a_huge_learning_rate_warns_that_training_diverged() -> None:
    X, y = _blobs()
    net = gn.Network.build([3, 16, 2], loss="cce", seed=0)
    with pytest.warns(DivergenceWarning) as caught:
        history = net.fit(X, y, epochs=5, batch_size=16, optimizer="adam", learning_rate=1e6)
    (warning,) = caught
    last = history.loss[-1]
    assert np.isfinite(last) and last > 1e3  # finite, so no TrainingDivergedError
    assert str(warning.message).startswith(
        f"training diverged: the training loss ended at {last:.4g} in epoch 5, up from "
    )
    assert "try a smaller learning rate (now 1e+06)" in str(warning.message)


def test_a_normal_run_does_not_warn() -> None:
    X, y = _blobs()
    net = gn.Network.build([3, 16, 2], loss="cce", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        history = net.fit(X, y, epochs=20, batch_size=16, optimizer="adam", learning_rate=0.01)
    assert history.loss[-1] < history.loss[0]


def _run(first_batch: float, epoch_losses: list[float]) -> list[warnings.WarningMessage]:
    """The check's hooks over a scripted run: the first batch's loss, then each epoch's."""
    net = gn.Network.build([2, 2], seed=0)
    state = TrainingState(net, gn.SGD(0.1), History("accuracy"), epochs=len(epoch_losses))
    check = DivergenceCheck()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check.on_train_begin(state)
        check.on_batch_end(state, {"loss": first_batch, "size": 4})
        for epoch, loss in enumerate(epoch_losses, start=1):
            state.history.record(epoch, {"loss": loss})
        check.on_train_end(state)
    return list(caught)


@pytest.mark.parametrize(
    ("first_batch", "losses", "warns"),
    [
        (0.7, [0.6, 0.4, 0.3], False),  # training as it should
        (0.7, [0.6, 5.0, 5.9], False),  # the start is the smaller, 0.6: 5.9 < 10 × 0.6
        (0.7, [0.6, 5.0, 6.5], True),  # 6.5 > 10 × 0.6 and > 0.6 + 1
        (0.69, [8e12, 3e12, 1e12], True),  # exploded in epoch 1: the first batch is the start
        (0.001, [0.001, 0.02, 0.05], False),  # 50 times the start, but only 0.049 above it
        (0.05, [0.05, 0.5, 1.2], True),  # 24 times and 1.15 above
        (0.7, [9.0], True),  # one epoch: its mean against the loss before the first update
    ],
)
def test_the_rule_is_ten_times_the_start_and_one_above_it(first_batch, losses, warns) -> None:
    assert (DIVERGENCE_RATIO, DIVERGENCE_MARGIN) == (10.0, 1.0)
    caught = _run(first_batch, losses)
    assert len(caught) == int(warns)
    if warns:
        assert caught[0].category is DivergenceWarning


def test_the_command_line_prints_the_warning_as_one_line(tmp_path, capsys) -> None:
    X, y = _blobs(120)
    path = tmp_path / "blobs.csv"
    rows = [f"{a},{b},{c},{label}" for (a, b, c), label in zip(X, y, strict=True)]
    path.write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    run = tmp_path / "run"
    argv = ["train", str(path), "--out", str(run), "--no-report", "--epochs", "5"]
    assert main([*argv, "--lr", "1e6", "--early-stopping", "0"]) == 0
    err = capsys.readouterr().err.splitlines()
    diverged = [line for line in err if "training diverged" in line]
    assert len(diverged) == 1 and diverged[0].startswith(
        "glassnet: warning: training diverged: the training loss ended at "
    )
    assert main([*argv, "--overwrite"]) == 0  # the default learning rate: no warning
    assert "training diverged" not in capsys.readouterr().err
