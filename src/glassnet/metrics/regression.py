"""Regression scores on targets: mean squared error, its root, mean absolute error and R².

``y_true``, ``y_pred``: ``(m,)`` for one output or ``(m, k)`` for ``k``; a score over
several outputs is each output's score averaged uniformly, as scikit-learn's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .checks import check_targets


def mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``MSE = (1/(mk)) Σ_i Σ_j (ŷ_ij − y_ij)²``: the mean over outputs of each output's MSE.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = check_targets(y_true, y_pred)
    return float(np.mean((P - T) ** 2))


def root_mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``RMSE = (1/k) Σ_j √((1/m) Σ_i (ŷ_ij − y_ij)²)``: each output's RMSE, then their mean.

    This is scikit-learn's; for ``k > 1`` it is not ``√MSE``, nor the RMSE that training
    logs beside the mean squared error loss (``Loss.metric_value``), which pools every
    output of every sample under one root.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = check_targets(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((P - T) ** 2, axis=0))))


def mean_absolute_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``MAE = (1/(mk)) Σ_i Σ_j |ŷ_ij − y_ij|``.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = check_targets(y_true, y_pred)
    return float(np.mean(np.abs(P - T)))


def r2_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """The coefficient of determination, per output then averaged uniformly.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets, ``m ≥ 2``. For each output::

        R² = 1 − SS_res / SS_tot,   SS_res = Σ_i (y_i − ŷ_i)²,   SS_tot = Σ_i (y_i − ȳ)²

    An output whose ``y_true`` is constant (``SS_tot = 0``) scores 1.0 if its predictions
    are exact and 0.0 otherwise, as scikit-learn's default ``force_finite=True``.
    """
    T, P = check_targets(y_true, y_pred)
    if T.shape[0] < 2:
        raise ValueError("r2_score needs at least 2 samples; R² is undefined for 1")
    ss_res = np.sum((T - P) ** 2, axis=0)
    ss_tot = np.sum((T - T.mean(axis=0)) ** 2, axis=0)
    scores = np.where(ss_res == 0, 1.0, 0.0)
    defined = (ss_res != 0) & (ss_tot != 0)
    scores[defined] = 1 - ss_res[defined] / ss_tot[defined]
    return float(scores.mean())
