"""The estimators' parameters as glassnet's training options.

Each parameter that names a training option (``hidden_layer_sizes`` is ``layers``,
``learning_rate`` is ``lr``, ``tol`` is ``min_delta``, …) is checked by that option's rule in
:data:`glassnet.training.options.TRAIN_OPTIONS`, the one table the command line and
:class:`~glassnet.tabular.Model` read, with the error naming the estimator's parameter; the
few that the table does not have (``batch_size="auto"``, ``early_stopping``,
``class_weight`` by label, ``random_state``) are checked here. Validation happens in
``fit``, as scikit-learn asks: ``__init__`` only stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backend import Array
from ..training.options import OPTIONS_BY_KEY
from ..training.options import settings_from as training_settings
from ..validation import (
    check_integer,
    check_non_negative_number,
    check_positive_number,
    check_unit_interval,
)

AS_OPTIONS = {
    "hidden_layer_sizes": "layers",
    "activation": "activation",
    "optimizer": "optimizer",
    "learning_rate": "lr",
    "epochs": "epochs",
    "l1": "l1",
    "l2": "l2",
    "dropout": "dropout",
    "batch_norm": "batch_norm",
    "dtype": "dtype",
}
"""Estimator parameter → the training option it sets, checked by the option's rule."""

AUTO_BATCH = 200
"""``batch_size="auto"`` is ``min(200, m)``, as scikit-learn's MLP."""


def checked_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters named in :data:`AS_OPTIONS`, each checked by its option's rule; an
    error names the estimator's parameter (``hidden_layer_sizes``, not ``layers``)."""
    return {
        key: OPTIONS_BY_KEY[key].validate(params[param], param) for param, key in AS_OPTIONS.items()
    }


def batch_rows(batch_size: Any, n_rows: int) -> int:
    """Rows per mini-batch for ``n_rows`` rows: ``"auto"`` is ``min(200, m)``, ``None`` the
    whole set (batch gradient descent), an integer is capped at ``m``."""
    if batch_size is None:
        return n_rows
    if isinstance(batch_size, str):
        if batch_size != "auto":
            raise ValueError(
                f"batch_size must be 'auto', None or an integer ≥ 1, got {batch_size!r}"
            )
        return min(AUTO_BATCH, n_rows)
    return min(check_integer("batch_size", batch_size), n_rows)


def settings_for(
    params: Mapping[str, Any], *, task: str, n_rows: int, seed: int, partial: bool = False
) -> dict[str, Any]:
    """The training settings of a fit on ``n_rows`` rows (those a :class:`Model` keeps in its
    metadata, so that its file says how it was trained).

    Stopping: with ``early_stopping``, ``n_iter_no_change`` epochs without the validation
    loss improving by more than ``tol`` end training and the best epoch's weights are put
    back; without it, the same rule on the training loss ends training (scikit-learn's MLP),
    keeping the last weights; ``tol=None`` trains for every one of ``epochs``. A
    ``partial_fit`` trains one epoch per call and never stops early.
    """
    options = checked_options(params)
    early = params["early_stopping"]
    if not isinstance(early, bool | np.bool_):
        raise TypeError(f"early_stopping must be True or False, got {early!r}")
    fraction = 0.0
    if early and not partial:
        fraction = check_unit_interval("validation_fraction", params["validation_fraction"])
        if fraction <= 0:
            raise ValueError(
                "validation_fraction must be > 0 with early_stopping=True (it holds out the "
                f"rows early stopping watches), got {fraction}"
            )
    tol = params["tol"]
    patience = check_integer("n_iter_no_change", params["n_iter_no_change"])
    stops = not partial and (early or tol is not None)
    min_delta = 0.0 if tol is None else check_non_negative_number("tol", tol)
    if not isinstance(params["verbose"], bool | int):
        raise TypeError(f"verbose must be True or False, got {params['verbose']!r}")
    return training_settings(
        options,
        task=task,
        batch_size=batch_rows(params["batch_size"], n_rows),
        validation_split=fraction,
        early_stopping=patience if stops else 0,
        monitor="val_loss" if early else "loss",
        min_delta=min_delta,
        restore_best=bool(early),
        scale="none",
        seed=seed,
    )


def seed_from(random_state: Any) -> int:
    """A seed for glassnet from scikit-learn's ``random_state``: an integer is the seed
    itself (so ``random_state=0`` trains as ``glassnet train --seed 0`` draws), a
    ``RandomState`` gives one draw, ``None`` a fresh one from the operating system's entropy
    (never NumPy's global generator)."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**32))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise TypeError(
            f"random_state must be None, an integer or a numpy RandomState, got {random_state!r}"
        )
    if not 0 <= random_state < 2**32:
        raise ValueError(f"random_state must be in [0, 2**32), got {random_state}")
    return int(random_state)


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffling seed of one ``partial_fit`` epoch: a different order each call, the
    same for the same ``random_state`` and call number."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def class_weight_table(class_weight: Any, classes: Array, codes: Array) -> Array | None:
    """The weight of each class ``(K,)`` for ``class_weight``: ``None``; ``"balanced"``
    (``m / (K · count_k)``, as scikit-learn); or ``{label: weight}``, classes not named
    weighing 1. Labels are the classes themselves (``{"yes": 5}``), as scikit-learn writes
    them, not class indices."""
    if class_weight is None:
        return None
    n_classes = len(classes)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(
                f"class_weight must be a dict, 'balanced' or None, got {class_weight!r}"
            )
        counts = np.bincount(codes, minlength=n_classes)
        return np.where(counts > 0, len(codes) / (n_classes * np.maximum(counts, 1)), 0.0)
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"class_weight must be a dict, 'balanced' or None, got {class_weight!r}")
    table = np.ones(n_classes)
    known = {label: i for i, label in enumerate(classes.tolist())}
    for label, weight in class_weight.items():
        key = label.item() if isinstance(label, np.generic) else label
        if key not in known:
            raise ValueError(
                f"class_weight names the class {label!r}, but the classes are {classes.tolist()}"
            )
        table[known[key]] = check_positive_number(f"class_weight[{label!r}]", weight)
    return table
