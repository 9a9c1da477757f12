"""How well a model's predictions match the truth, in the target's own units and labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import Array
from ..data.frame import as_text
from ..metrics import (
    classification_report,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    precision_recall_f1,
    r2_score,
    root_mean_squared_error,
)


@dataclass(frozen=True)
class Evaluation:
    """The scores of a model on labelled rows.

    ``metrics``: ``{"rmse", "mae", "r2"}`` for regression, in the target's units;
    ``{"accuracy", "f1_macro"}`` and, when every true label is one of the model's classes,
    ``"log_loss"`` for classification. ``y_true`` and ``y_pred`` ``(m,)`` are the values
    compared: numbers for regression, labels as text for classification (``labels`` lists
    the model's classes in that form, ``3`` and ``3.0`` both as ``"3"``).
    """

    metrics: dict[str, float]
    y_true: Array
    y_pred: Array
    labels: list[str] | None = None

    @property
    def n_rows(self) -> int:
        """The number of rows scored ``m``."""
        return len(self.y_true)

    def report(self) -> str:
        """Precision, recall, F1 and support per class, as a text table."""
        return classification_report(self.y_true, self.y_pred, labels=self._labels())

    def confusion_matrix(self) -> Array:
        """``C[i, j]``: rows of true class ``labels[i]`` predicted ``labels[j]``."""
        return confusion_matrix(self.y_true, self.y_pred, labels=self._labels())

    def _labels(self) -> list[str]:
        if self.labels is None:
            raise ValueError("a regression model has no classes to report on")
        return self.labels


def regression_scores(truth: Array, predicted: Array) -> Evaluation:
    """RMSE ``√((1/m) Σ (ŷ − y)²)``, MAE ``(1/m) Σ |ŷ − y|`` and ``R² = 1 − SS_res / SS_tot``
    of predictions ``(m,)`` against the truth ``(m,)``, both in the target's units."""
    y = np.asarray(truth, dtype=np.float64)
    metrics = {
        "rmse": root_mean_squared_error(y, predicted),
        "mae": mean_absolute_error(y, predicted),
        "r2": r2_score(y, predicted),
    }
    return Evaluation(metrics, y, np.asarray(predicted))


def classification_scores(
    truth: Array, predicted: Array, proba: Array, classes: list[object]
) -> Evaluation:
    """Accuracy, macro F1 and (where every true label is a class) the log-loss of
    predicted labels ``(m,)`` and class probabilities ``(m, K)`` against the true labels.

    Labels are compared as text, so that a class read as the number ``1.0`` matches the
    truth read as ``1`` or ``"1"``.
    """
    labels = [as_text(c) for c in classes]
    y_true = np.array([as_text(v) for v in truth], dtype=str)
    y_pred = np.array([as_text(v) for v in predicted], dtype=str)
    metrics = {
        "accuracy": float(np.mean(y_true == y_pred)) if y_true.size else 0.0,
        "f1_macro": precision_recall_f1(y_true, y_pred, labels=labels, average="macro").f1,
    }
    index = {label: i for i, label in enumerate(labels)}
    if all(label in index for label in y_true):
        metrics["log_loss"] = log_loss([index[v] for v in y_true], proba)
    return Evaluation(metrics, y_true, y_pred, labels)
