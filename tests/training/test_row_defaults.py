"""Defaults that suit a table's size (issue 9, "defaults that win on small tables"): the
numbers of :func:`defaults_for_rows`, worked out by hand, what one default run does, and
when the default search (several runs averaged) applies."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from glassnet.training.options import DEFAULTS
from glassnet.training.row_defaults import (
    SEARCH,
    SEARCH_ROWS,
    defaults_for_rows,
    with_row_defaults,
)


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


def test_one_default_run_refits_on_every_row_for_the_best_epoch_count() -> None:
    pd = pytest.importorskip("pandas", reason="the tabular Model takes a DataFrame here")
    from glassnet.tabular import Model

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    frame["y"] = np.where(frame.a + 0.5 * frame.b > 0, "yes", "no")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Model.fit(frame, "y", ensemble=1)  # one run: no default search
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


def test_small_tables_with_validation_rows_search_by_default() -> None:
    assert SEARCH == {"l2_choices": [0.01, 0.1, 0.3, 1.0], "ensemble": 3}
    for n_rows in (10, 150, SEARCH_ROWS):
        assert {k: defaults_for_rows(n_rows)[k] for k in SEARCH} == SEARCH
    for one_run in (
        defaults_for_rows(SEARCH_ROWS + 1),  # fifteen runs would be slow
        defaults_for_rows(150, validation=False),  # nothing to choose λ on
        defaults_for_rows(150, search=False),  # the caller's: resumed, MPI, watched
    ):
        assert not set(SEARCH) & set(one_run)


@pytest.mark.parametrize(
    ("given", "value"),
    [
        ("l2", 0.1),
        ("epochs", 5),
        ("early_stopping", 5),
        ("checkpoint_every", 2),
        ("refit", False),
    ],
)
def test_asking_for_one_run_sets_the_default_search_aside(given, value) -> None:
    settings = {**DEFAULTS, given: value}
    chosen = with_row_defaults(settings, [given], 150)
    assert (chosen["l2_choices"], chosen["ensemble"]) == ([], 1)
    assert chosen[given] == value
    searched = with_row_defaults(DEFAULTS, [], 150)
    assert (searched["l2_choices"], searched["ensemble"]) == ([0.01, 0.1, 0.3, 1.0], 3)


def test_what_is_asked_of_a_search_is_kept_as_it_is() -> None:
    five = with_row_defaults({**DEFAULTS, "ensemble": 5}, ["ensemble"], 150)
    assert (five["l2_choices"], five["ensemble"]) == ([], 5)  # no λ choices added
    two = with_row_defaults({**DEFAULTS, "l2_choices": [0.1, 1.0]}, ["l2_choices"], 150)
    assert (two["l2_choices"], two["ensemble"]) == ([0.1, 1.0], 1)
    off = with_row_defaults({**DEFAULTS, "ensemble": 1}, ["ensemble"], 150)
    assert (off["l2_choices"], off["ensemble"]) == ([], 1)
    alone = with_row_defaults(DEFAULTS, [], 150, search=False)
    assert (alone["l2_choices"], alone["ensemble"]) == ([], 1)


def test_a_default_fit_is_the_search_asked_for_by_name() -> None:
    pd = pytest.importorskip("pandas", reason="the tabular Model takes a DataFrame here")
    from glassnet.tabular import Model

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = frame.a - 0.5 * frame.b + 0.1 * rng.normal(size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = Model.fit(frame, "y")
        asked = Model.fit(frame, "y", l2_choices=[0.01, 0.1, 0.3, 1.0], ensemble=3)
        layers = Model.fit(frame, "y", layers=["conv4k1"], input_shape=[1, 1, 2])
    assert [t["l2"] for t in default.metadata["search"]["trials"]] == [
        l2 for l2 in (0.01, 0.1, 0.3, 1.0) for _ in range(3)
    ]
    assert default.network.layers[0].W.shape == (300, 2)  # three networks of 100, merged
    mine, theirs = default.network.parameters(), asked.network.parameters()
    assert [name for name, _ in mine] == [name for name, _ in theirs] == ["W1", "b1", "W2", "b2"]
    for (_, a), (_, b) in zip(mine, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert "search" not in layers.metadata  # a convolution cannot be averaged: one run


def test_a_model_fit_too_small_for_validation_says_what_to_do_before_training() -> None:
    """As ``glassnet train`` does (tests/app/test_cli.py): two rows of two classes leave no
    validation row, so the default early stopping has nothing to watch; Model.fit says it
    with Python's keyword before the first epoch, and trains once it is given."""
    from glassnet.tabular import Model

    data = {"x": np.array([1.0, 2.0]), "y": np.array(["a", "b"])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as refused:
            Model.fit(data, "y")
        assert str(refused.value) == (
            "no row is left for validation (2 rows), so val_loss cannot be watched: add rows, "
            "or give early_stopping=0"
        )
        model = Model.fit(data, "y", early_stopping=0, epochs=3)
    assert model.n_epochs == 3 and model.history is not None
    assert "val_loss" not in model.history.logs
