"""Metrics reported during training: accuracy for classifiers, RMSE for regression."""

from __future__ import annotations

import math

from .backend import Array, xp


def accuracy(A: Array, Y: Array, loss_name: str) -> float:
    """The fraction of correct predictions: argmax for ``cce``, a 0.5 threshold for ``bce``
    (averaged over the outputs when there are several)."""
    return correct_count(A, Y, loss_name) / (Y.shape[0] * (Y.shape[1] if loss_name == "bce" else 1))


def correct_count(A: Array, Y: Array, loss_name: str) -> int:
    """How many predictions in ``A`` match the targets ``Y`` (both ``(m, n_L)``)."""
    if loss_name == "cce":
        return int(xp.count_nonzero(A.argmax(axis=1) == Y.argmax(axis=1)))
    return int(xp.count_nonzero((A >= 0.5) == (Y >= 0.5)))


def rmse(A: Array, Y: Array) -> float:
    """``√(mean((ŷ − y)²))`` over every output of every sample."""
    R = A - Y
    return math.sqrt(float(xp.vdot(R, R)) / R.size)


def metric_name(loss_name: str) -> str:
    """The metric shown beside a loss: accuracy for classification losses, else RMSE."""
    return "accuracy" if loss_name in ("bce", "cce") else "rmse"
