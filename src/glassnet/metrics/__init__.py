"""Metrics: scores on labels and targets, and a registry that names them.

The scores take arrays in the public convention, one sample per row: class labels
``(m,)`` for classification (integers, strings, any comparable values), probabilities
``(m, K)`` for the log loss, targets ``(m,)`` or ``(m, k)`` for regression. They run on
NumPy and agree with ``sklearn.metrics`` (the tests check it), with one policy throughout:
a ratio whose denominator is 0 scores 0 and warns nothing (scikit-learn's
``zero_division=0``).

- :mod:`.classification`: accuracy, confusion matrix, precision / recall / F1, log loss,
  the classification report;
- :mod:`.regression`: MSE, RMSE, MAE, R²;
- :mod:`.ranking`: the area under the ROC curve (binary, one-vs-rest, per label);
- :mod:`.checks`: the boundary checks they share.

The running metric that training logs beside the loss on the network's own ``(m, n_L)``
arrays (accuracy or RMSE) belongs to the loss: ``Loss.metric``, ``Loss.metric_terms`` and
``Loss.metric_value`` in :mod:`glassnet.losses`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy.typing as npt

from .classification import (
    Average,
    ClassScores,
    ScoreFunction,
    Scores,
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_f1,
    precision_score,
    recall_score,
)
from .ranking import roc_auc_score
from .regression import (
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)

__all__ = [
    "METRICS",
    "Average",
    "ClassScores",
    "Metric",
    "ScoreFunction",
    "Scores",
    "accuracy_score",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "get_metric",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_recall_f1",
    "precision_score",
    "r2_score",
    "recall_score",
    "roc_auc_score",
    "root_mean_squared_error",
]


@dataclass(frozen=True)
class Metric:
    """A named score ``fn(y_true, y_pred) -> float``.

    ``needs_proba``: ``y_pred`` is ``(m, K)`` probabilities rather than labels or targets.
    ``greater_is_better``: whether a model improves as the score rises (accuracy) or falls
    (log loss, errors).
    """

    name: str
    fn: Callable[[npt.ArrayLike, npt.ArrayLike], float]
    greater_is_better: bool
    needs_proba: bool = False

    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
        return self.fn(y_true, y_pred)


def _f1_macro(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    return f1_score(y_true, y_pred, average="macro")


def _precision_macro(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    return precision_score(y_true, y_pred, average="macro")


def _recall_macro(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    return recall_score(y_true, y_pred, average="macro")


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("accuracy", accuracy_score, greater_is_better=True),
        Metric("f1_macro", _f1_macro, greater_is_better=True),
        Metric("precision_macro", _precision_macro, greater_is_better=True),
        Metric("recall_macro", _recall_macro, greater_is_better=True),
        Metric("log_loss", log_loss, greater_is_better=False, needs_proba=True),
        Metric("mse", mean_squared_error, greater_is_better=False),
        Metric("rmse", root_mean_squared_error, greater_is_better=False),
        Metric("mae", mean_absolute_error, greater_is_better=False),
        Metric("r2", r2_score, greater_is_better=True),
        Metric("auc", roc_auc_score, greater_is_better=True, needs_proba=True),
    )
}


def get_metric(spec: str | Metric) -> Metric:
    """Return the metric named by ``spec`` (a key of :data:`METRICS`) or ``spec`` itself."""
    if isinstance(spec, Metric):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"metric must be a name such as 'accuracy', got {spec!r}")
    if spec.lower() not in METRICS:
        raise ValueError(f"unknown metric {spec!r}; expected one of {', '.join(sorted(METRICS))}")
    return METRICS[spec.lower()]
