"""Defaults that suit a table's size (issue 9, "defaults that win on small tables"): the
numbers of :func:`defaults_for_rows`, worked out by hand, and what a default fit does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassnet.training.options import DEFAULTS
from glassnet.training.row_defaults import defaults_for_rows, with_row_defaults


@pytest.mark.parametrize(
    ("n_rows", "batch", "epochs"),
    [
        (150, 32, 1000),  # 0.8·150/32 → 4 steps an epoch; 20,000 steps → capped at 1,000
        (1_000, 32, 800),  # 25 steps an epoch → 800 epochs
        (12_000, 128, 267),  # 2^round(log2(96)) = 128; 75 steps → ⌈20,000/75⌉ = 267
        (200_000, 512, 64),  # 2^round(log2(1600)) = 2048 → capped at 512; 313 steps → 64
    ],
)
def test_the_budget_grows_for_small_tables(n_rows, batch, epochs) -> None:
    chosen = defaults_for_rows(n_rows)
    assert (chosen["batch_size"], chosen["epochs"]) == (batch, epochs)
    assert chosen["early_stopping"] == 30 and chosen["refit"] is True
    assert chosen["layers"] == [100] and chosen["l2"] == 0.3


def test_given_options_win_and_no_validation_means_no_early_stopping() -> None:
    settings = {**DEFAULTS, "epochs": 7, "validation_split": 0.0}
    chosen = with_row_defaults(settings, ["epochs", "validation_split"], 150)
    assert chosen["epochs"] == 7 and chosen["early_stopping"] == DEFAULTS["early_stopping"]
    assert chosen["refit"] is False and chosen["layers"] == [100]
    assert with_row_defaults(settings, ["learning_rate", "lr", "layers"], 150)["layers"] == [64, 32]


def test_a_default_fit_refits_on_every_row_for_the_best_epoch_count() -> None:
    pd = pytest.importorskip("pandas", reason="the tabular Model takes a DataFrame here")
    from glassnet.tabular import Model

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = np.where(frame.a + 0.5 * frame.b > 0, "yes", "no")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Model.fit(frame, "y")
        # The same run without the refit (same seed, same defaults): its validation losses
        # say independently which epoch the refit should train for.
        selection = Model.fit(frame, "y", refit=False)
    losses = selection.history["val_loss"]
    refit = model.metadata["refit"]
    assert refit["epochs"] == int(np.argmin(losses)) + 1
    assert refit["chosen_after_epochs"] == len(losses)
    assert model.settings["epochs"] == refit["epochs"]
    assert model.settings["validation_split"] == 0.0  # the refit learned from every row
    assert len(model.history.epoch) == refit["epochs"]
    assert model.evaluate(frame)["accuracy"] > 0.9
