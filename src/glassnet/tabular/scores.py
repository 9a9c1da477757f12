"""How well a model's predictions match the truth, in the target's own units and labels."""

from __future__ import annotations

import warnings
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
    roc_auc_score,
    root_mean_squared_error,
)
from .labels import label_text


@dataclass(frozen=True)
class Evaluation:
    """The scores of a model on labelled rows.

    ``metrics``: ``{"rmse", "mae", "r2"}`` for regression, in the target's units;
    ``{"accuracy", "f1_macro"}`` and, when every true label is one of the model's classes,
    ``"log_loss"`` and ``"auc"`` (ROC AUC, one-vs-rest for several classes) for
    classification. ``y_true`` and ``y_pred`` ``(m,)`` are the values
    compared: numbers for regression, labels as text for classification (``labels`` lists
    the model's classes in that form, ``3`` and ``3.0`` both as ``"3"``).
    """

    metrics: dict[str, float]
    y_true: Array
    y_pred: Array
    labels: list[str] | None = None
    per_target: dict[str, Evaluation] | None = None
    """For several targets: each target's own evaluation (``metrics`` then holds their
    means, and each target's scores as ``"<metric>[<target>]"``)."""

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

    def lines(self) -> list[str]:
        """The scores as ``glassnet evaluate`` prints them: the metrics, and for a
        classifier the per-class report and the confusion matrix; for several targets,
        each target's block under its name."""
        if self.per_target is not None:
            out = []
            for name, evaluation in self.per_target.items():
                out += [f"target {name}:", *(("  " + line).rstrip() for line in evaluation.lines())]
            return out
        m = self.metrics
        if self.labels is None:
            return [f"RMSE  {m['rmse']:.6g}", f"MAE   {m['mae']:.6g}", f"R²    {m['r2']:.4f}"]
        out = [f"accuracy        {m['accuracy']:.4f}", f"macro F1        {m['f1_macro']:.4f}"]
        if "log_loss" in m:
            out.append(f"log-loss        {m['log_loss']:.4f}")
        if "auc" in m:
            out.append(f"ROC AUC         {m['auc']:.4f}")
        out += ["", *self.report().splitlines(), ""]
        out.append("confusion matrix (rows: true, columns: predicted)")
        labels, matrix = self.labels, self.confusion_matrix()
        width = max(max(len(label) for label in labels), len(str(matrix.max()))) + 1
        out.append(" " * width + "".join(label.rjust(width) for label in labels))
        for label, row in zip(labels, matrix, strict=True):
            out.append(label.rjust(width) + "".join(str(n).rjust(width) for n in row))
        return out

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

    Labels are compared as text in the spelling of the classes' own type
    (:func:`~glassnet.tabular.labels.label_text`), so that the integer class ``1`` matches
    the truth read as ``1.0`` or ``"1"``, and the class ``True`` the text ``"true"``.
    """
    labels = [as_text(c) for c in classes]
    y_true = label_text(truth, classes)
    y_pred = label_text(predicted, classes)
    metrics = {
        "accuracy": float(np.mean(y_true == y_pred)) if y_true.size else 0.0,
        "f1_macro": precision_recall_f1(y_true, y_pred, labels=labels, average="macro").f1,
    }
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(y_true.tolist()) - set(index))
    if unknown:  # each such row counts as an error, but no class's row of the report has it
        rows = int(np.isin(y_true, unknown).sum())
        shown = ", ".join(map(repr, unknown[:5])) + (", …" if len(unknown) > 5 else "")
        warnings.warn(
            f"{rows:,} of {y_true.size:,} rows have a class the model does not know ({shown}); "
            f"they count as wrong in the accuracy, but no class of the report holds them; "
            f"the model's classes are {', '.join(map(repr, labels))}",
            stacklevel=3,
        )
    if not unknown:
        codes = np.array([index[v] for v in y_true], dtype=np.int64)
        metrics["log_loss"] = log_loss(codes, proba)
        if np.unique(codes).size > 1:  # ROC AUC needs both sides of some class
            metrics["auc"] = roc_auc_score(codes, proba)
    return Evaluation(metrics, y_true, y_pred, labels)


def several_scores(
    truth: Array,
    predicted: Array,
    proba: Array | None,
    classes: list[list[object]] | None,
    names: list[str],
) -> Evaluation:
    """The scores of ``k`` targets ``(m, k)``: each target's (numbers, or a yes/no label
    with probabilities ``proba`` ``(m, k)`` of its second class), as
    ``"<metric>[<target>]"``, and the mean of each metric over the targets."""
    per_target: dict[str, Evaluation] = {}
    for j, name in enumerate(names):
        if classes is None:
            per_target[name] = regression_scores(truth[:, j].astype(np.float64), predicted[:, j])
        else:
            assert proba is not None
            p = proba[:, j : j + 1].astype(np.float64)
            two = np.hstack([1 - p, p])
            per_target[name] = classification_scores(truth[:, j], predicted[:, j], two, classes[j])
    metrics: dict[str, float] = {}
    shared = set.intersection(*(set(e.metrics) for e in per_target.values()))
    for key in next(iter(per_target.values())).metrics:
        if key in shared:
            metrics[key] = float(np.mean([e.metrics[key] for e in per_target.values()]))
    for name, evaluation in per_target.items():
        metrics.update({f"{key}[{name}]": value for key, value in evaluation.metrics.items()})
    return Evaluation(metrics, truth, predicted, None, per_target)
