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


def defaults_for_rows(n_rows: int, validation: bool = True) -> dict[str, Any]:
    """The options that suit a table of ``n_rows`` labelled rows, where the table above
    has one default for every size; ``glassnet train`` and :class:`~glassnet.tabular.Model`
    use them for the options not given. ``bench/tabular.py`` chose them on validation
    splits of 13 public tables (its README has the numbers):

    - one hidden layer of 100 units, Xavier-uniform weights, L2 ``λ = 0.3``: small tables
      overfit 64-32 less this way, and nearly linear ones stay near least squares;
    - batches of 32 up to 4,000 rows, then about 125 batches an epoch (at most 512);
    - with a validation split: a budget of about 20,000 steps (50 to 1,000 epochs), early
      stopping with patience 30 on the validation loss, and a refit on every row for the
      best epoch count, so that 100 rows get thousands of updates and none is wasted.
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
    return chosen


def with_row_defaults(
    settings: Mapping[str, Any], given: Iterable[str], n_rows: int, images: bool = False
) -> dict[str, Any]:
    """``settings`` with :func:`defaults_for_rows` (:func:`defaults_for_images` for a folder
    of images) for every option not in ``given``."""
    given = {OPTIONS_BY_KEY[name].key for name in given if name in OPTIONS_BY_KEY}
    validation = settings.get("validation_split", DEFAULTS["validation_split"]) > 0
    chosen = dict(settings)
    defaults = defaults_for_images if images else defaults_for_rows
    for key, value in defaults(n_rows, validation).items():
        if key not in given:
            chosen[key] = value
    return chosen
