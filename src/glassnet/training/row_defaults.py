"""Defaults that suit the size of a table: the option table has one default per option,
whatever the data; a table of 150 rows and one of 50,000 want different budgets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .options import DEFAULTS, OPTIONS_BY_KEY

IMAGE_LAYERS = ["conv16k3p1", "pool2", "conv32k3p1", "pool2", 64]
"""The hidden layers a folder of images gets by default: two 3 × 3 convolutions with 2 × 2
pooling and a dense layer, the shape of the CNN that reaches 99.3 % on MNIST, at half its
filters."""


def defaults_for_images(n_rows: int, validation: bool = True) -> dict[str, Any]:
    """The options that suit a folder of ``n_rows`` images, where the table's defaults do
    not: a small CNN (:data:`IMAGE_LAYERS`) with He weights and no L2, batches of 64, and
    with a validation split a budget of about 5,000 steps (10 to 100 epochs) with early
    stopping (patience 10) that keeps the best epoch's weights, without a refit."""
    chosen: dict[str, Any] = {"layers": list(IMAGE_LAYERS), "batch_size": 64}
    if validation:
        steps_per_epoch = math.ceil(0.8 * n_rows / 64)
        epochs = min(100, max(10, math.ceil(5_000 / steps_per_epoch)))
        chosen.update(epochs=epochs, early_stopping=10, refit=False)
    return chosen


SEARCH_ROWS = 20_000
"""Up to this many rows a table's default is a search (:data:`SEARCH`): fifteen short runs
took at most 15 s on the benchmark's tables; beyond it one run and its refit."""

SEARCH_VALUES = 300_000
"""And up to this many values, rows × features (the caller's check, which knows the
features): 15,000 rows × 30 features took 38 s to search on two cores against 6 s for
one run; the benchmark's largest, 15,142 × 9, took 14 s."""

SEARCH: dict[str, Any] = {"l2_choices": [0.01, 0.1, 0.3, 1.0], "ensemble": 3}
"""The default search: λ chosen among four by the mean of three runs' best validation
loss, then those three runs' refits averaged into one network (:mod:`glassnet.ensembles`)."""

SEARCH_ASIDE = ("l2", "epochs", "early_stopping", "checkpoint_every")
"""Options whose being given sets the default search aside for one run: one λ, a budget
of epochs or a patience of one's own (a quick run of ``--epochs 5`` stays quick), or
checkpoints (a search keeps none)."""


def defaults_for_rows(n_rows: int, validation: bool = True, search: bool = True) -> dict[str, Any]:
    """The options that suit a table of ``n_rows`` labelled rows, where the table above
    has one default for every size; ``glassnet train`` and :class:`~glassnet.tabular.Model`
    use them for the options not given. ``bench/tabular.py`` chose them on validation
    splits of 13 public tables (its README has the numbers):

    - one hidden layer of 100 units, Xavier-uniform weights, L2 ``λ = 0.3``: small tables
      overfit 64-32 less this way, and nearly linear ones stay near least squares;
    - batches of 32 up to 4,000 rows, then about 125 batches an epoch (at most 512);
    - with a validation split: a budget of about 20,000 steps (50 to 1,000 epochs), early
      stopping with patience 30 on the validation loss, and a refit on every row for the
      best epoch count, so that 100 rows get thousands of updates and none is wasted;
    - with a validation split, up to :data:`SEARCH_ROWS` rows (and :data:`SEARCH_VALUES`,
      which the caller checks) and unless ``search`` is off, the :data:`SEARCH`: within a
      point of the better of scikit-learn's MLP and linear model on all 13 tables over five
      test splits, where one run was more than a point behind on one.
    """
    batch = min(512, max(32, 2 ** round(math.log2(max(n_rows, 1) / 125))))
    chosen: dict[str, Any] = {
        "layers": [100],
        "init": "xavier_uniform",
        "l2": 0.3,
        "batch_size": batch,
    }
    if validation:
        steps_per_epoch = math.ceil(0.8 * n_rows / batch)
        epochs = min(1000, max(50, math.ceil(20_000 / steps_per_epoch)))
        chosen.update(epochs=epochs, early_stopping=30, refit=True)
        if search and n_rows <= SEARCH_ROWS:  # a copy: settings are the caller's to change
            chosen.update(l2_choices=list(SEARCH["l2_choices"]), ensemble=SEARCH["ensemble"])
    return chosen


def with_row_defaults(
    settings: Mapping[str, Any],
    given: Iterable[str],
    n_rows: int,
    images: bool = False,
    search: bool = True,
) -> dict[str, Any]:
    """``settings`` with :func:`defaults_for_rows` (:func:`defaults_for_images` for a folder
    of images) for every option not in ``given``. The default search steps aside, for one
    run, where ``search`` is off (the caller's choice: a resumed, watched, checkpointed or
    distributed run, no validation rows, layers that cannot be averaged), or where a search
    option, an option of :data:`SEARCH_ASIDE` or no refit is asked for; what is asked for
    is never changed."""
    given = {OPTIONS_BY_KEY[name].key for name in given if name in OPTIONS_BY_KEY}
    validation = settings.get("validation_split", DEFAULTS["validation_split"]) > 0
    chosen = dict(settings)
    if images:
        defaults = defaults_for_images(n_rows, validation)
    else:
        defaults = defaults_for_rows(n_rows, validation, search)
        refit = chosen["refit"] if "refit" in given else defaults.get("refit")
        if given & {*SEARCH, *SEARCH_ASIDE} or not refit:  # a search or one run asked for
            defaults = {key: value for key, value in defaults.items() if key not in SEARCH}
    for key, value in defaults.items():
        if key not in given:
            chosen[key] = value
    return chosen


def check_watchable(n_rows: int, settings: Mapping[str, Any], flags: bool = False) -> None:
    """Refuse early stopping or a plateau schedule that would watch a validation score
    when the split left no validation row (a tiny table, every class kept for training),
    before training rather than after its first epoch; the remedies are named as
    ``glassnet train``'s flags (``flags``) or as Python's keywords."""
    monitor = str(settings["monitor"])
    if not monitor.startswith("val_"):
        return
    remedies = {
        "--early-stopping 0" if flags else "early_stopping=0": settings["early_stopping"],
        "another --schedule" if flags else "another schedule=": settings["schedule"] == "plateau",
    }
    watching = [remedy for remedy, on in remedies.items() if on]
    if watching:
        raise ValueError(
            f"no row is left for validation ({n_rows} rows), so {monitor} cannot be "
            "watched: add rows, or give " + " and ".join(watching)
        )
