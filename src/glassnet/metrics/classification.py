"""Classification scores on labels: accuracy, the confusion matrix, precision, recall and
F1, the log loss, and a classification report.

Labels are ``(m,)`` arrays of any comparable values (integers, strings). A ratio whose
denominator is 0 scores 0 and warns nothing (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol, cast, overload

import numpy as np
import numpy.typing as npt

from ..backend import Array
from .checks import (
    check_labels,
    check_lengths,
    classes_to_score,
    first_non_finite,
    label_indices,
    labels_1d,
)

Average = Literal["macro", "micro", "weighted", "binary"]
_AVERAGES = ("macro", "micro", "weighted", "binary", None)


class Scores(NamedTuple):
    """Precision, recall and F1 averaged over the classes; ``support`` counts their samples."""

    precision: float
    recall: float
    f1: float
    support: int


class ClassScores(NamedTuple):
    """Precision, recall, F1 and support per class, each of shape ``(K,)``."""

    precision: Array
    recall: Array
    f1: Array
    support: Array


def accuracy_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """The fraction of samples whose predicted label equals the true one.

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``accuracy = (1/m) Σ_i [ŷ_i = y_i]``.
    """
    t, p = check_labels(y_true, y_pred)
    return float(np.count_nonzero(t == p)) / t.shape[0]


def confusion_matrix(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, labels: npt.ArrayLike | None = None
) -> Array:
    """``C[i, j]``: how many samples of true class ``labels[i]`` were predicted ``labels[j]``.

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``labels`` orders the rows and columns (the
    sorted classes of both arrays by default); samples whose true or predicted label is
    not among them are left out, and a class that neither array holds keeps its row and
    column of zeros. Returns an int64 array ``(K, K)``, rows true, columns predicted, as
    scikit-learn's.
    """
    t, p = check_labels(y_true, y_pred)
    L = classes_to_score(t, p, labels)
    K = L.size
    i, j = label_indices(t, L), label_indices(p, L)
    kept = (i >= 0) & (j >= 0)
    # One bincount over the flat index i·K + j counts every cell at once.
    return np.bincount(i[kept] * K + j[kept], minlength=K * K).reshape(K, K).astype(np.int64)


def _ratio(num: Array, den: Array) -> Array:
    """``num / den`` elementwise, 0 where ``den`` is 0."""
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den != 0)


@overload
def precision_recall_f1(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    average: Average = "macro",
    pos_label: object = 1,
) -> Scores: ...
@overload
def precision_recall_f1(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    average: None,
    pos_label: object = 1,
) -> ClassScores: ...
def precision_recall_f1(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    average: Average | None = "macro",
    pos_label: object = 1,
) -> Scores | ClassScores:
    """Precision, recall and F1 of each class, or averaged over the classes.

    ``y_true``, ``y_pred``: ``(m,)`` labels. For class ``k``, with ``TP``, ``FP``, ``FN``
    counted one class against the rest::

        P = TP / (TP + FP)    R = TP / (TP + FN)    F1 = 2PR / (P + R) = 2TP / (2TP + FP + FN)

    A class never predicted has precision 0, one absent from ``y_true`` recall 0, and F1
    is 0 when ``TP = 0`` (scikit-learn's ``zero_division=0``, without its warnings).

    ``average``: ``None`` gives :class:`ClassScores` per class in the order of ``labels``
    (the sorted classes of both arrays by default); ``"macro"`` their unweighted mean;
    ``"weighted"`` their mean weighted by support (true samples per class); ``"micro"``
    the scores of the summed ``TP``, ``FP``, ``FN`` (with every class counted, all three
    equal the accuracy); ``"binary"`` the scores of ``pos_label`` alone, for at most two
    classes. Averages come back as :class:`Scores`, with the total support.
    """
    return _precision_recall_f1(y_true, y_pred, labels, average, pos_label)


def _precision_recall_f1(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    labels: npt.ArrayLike | None,
    average: Average | None,
    pos_label: object,
) -> Scores | ClassScores:
    if average not in _AVERAGES:
        raise ValueError(
            f"average must be 'macro', 'micro', 'weighted', 'binary' or None, got {average!r}"
        )
    t, p = check_labels(y_true, y_pred)
    if average == "binary":
        if labels is not None:
            raise ValueError("average='binary' takes no labels; name the class with pos_label")
        present = classes_to_score(t, p, None).tolist()
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs at most 2 classes, but y_true and y_pred hold "
                f"{len(present)}: {present}; use average='macro', 'micro', 'weighted' or None"
            )
        if len(present) == 2 and not any(v == pos_label for v in present):
            raise ValueError(f"pos_label={pos_label!r} is not one of the classes {present}")
        labels = np.array([pos_label])
    L = classes_to_score(t, p, labels)
    i, j = label_indices(t, L), label_indices(p, L)
    true_count = np.bincount(i[i >= 0], minlength=L.size)  # TP + FN per class
    pred_count = np.bincount(j[j >= 0], minlength=L.size)  # TP + FP per class
    tp = np.bincount(i[(i == j) & (i >= 0)], minlength=L.size)

    if average is None:
        f1 = _ratio(2 * tp, pred_count + true_count)
        return ClassScores(_ratio(tp, pred_count), _ratio(tp, true_count), f1, true_count)
    if average == "micro":
        tp, pred_count, true_count = (c.sum(keepdims=True) for c in (tp, pred_count, true_count))
    precision = _ratio(tp, pred_count)
    recall = _ratio(tp, true_count)
    f1 = _ratio(2 * tp, pred_count + true_count)
    support = int(np.sum(true_count))
    if average == "weighted":
        if support == 0:
            return Scores(0.0, 0.0, 0.0, 0)
        P, R, F = (float(np.average(x, weights=true_count)) for x in (precision, recall, f1))
        return Scores(P, R, F, support)
    return Scores(float(precision.mean()), float(recall.mean()), float(f1.mean()), support)


class ScoreFunction(Protocol):
    """The signature of :func:`precision_score`, :func:`recall_score` and :func:`f1_score`:
    a float when averaged, one value per class with ``average=None``."""

    @overload
    def __call__(
        self,
        y_true: npt.ArrayLike,
        y_pred: npt.ArrayLike,
        *,
        labels: npt.ArrayLike | None = None,
        average: Average = "macro",
        pos_label: object = 1,
    ) -> float: ...
    @overload
    def __call__(
        self,
        y_true: npt.ArrayLike,
        y_pred: npt.ArrayLike,
        *,
        labels: npt.ArrayLike | None = None,
        average: None,
        pos_label: object = 1,
    ) -> Array: ...


def _score(field: str, doc: str) -> ScoreFunction:
    """One field of :func:`precision_recall_f1` as a function of its own."""

    def score(
        y_true: npt.ArrayLike,
        y_pred: npt.ArrayLike,
        *,
        labels: npt.ArrayLike | None = None,
        average: Average | None = "macro",
        pos_label: object = 1,
    ) -> float | Array:
        scores = _precision_recall_f1(y_true, y_pred, labels, average, pos_label)
        return getattr(scores, field)

    score.__name__ = score.__qualname__ = f"{field}_score"
    score.__doc__ = doc + "; see :func:`precision_recall_f1`."
    return cast(ScoreFunction, score)


precision_score = _score("precision", "``P = TP / (TP + FP)``, 0 for a class never predicted")
recall_score = _score("recall", "``R = TP / (TP + FN)``, 0 for a class absent from ``y_true``")
f1_score = _score("f1", "``F1 = 2PR / (P + R) = 2TP / (2TP + FP + FN)``, 0 when ``TP = 0``")


def log_loss(y_true: npt.ArrayLike, proba: npt.ArrayLike) -> float:
    """The mean cross-entropy of the true classes under the predicted probabilities.

    ``y_true``: ``(m,)`` class indices ``0 … K−1``. ``proba``: ``(m, K)`` probabilities
    whose rows sum to 1, or ``(m,)`` / ``(m, 1)`` holding ``P(class 1)`` of a binary
    problem. ``L = −(1/m) Σ_i log p_{i, y_i}``, with each ``p`` clipped to
    ``[ε, 1 − ε]``, ``ε`` the machine epsilon of ``proba``'s dtype (float64 for integers).
    """
    t = labels_1d("y_true", y_true)
    P = np.asarray(proba)
    if P.dtype.kind not in "f":
        P = P.astype(np.float64)
    if P.ndim == 1:
        P = P[:, None]
    if P.ndim != 2:
        raise ValueError(f"proba must have shape (m, K) or (m,), got shape {P.shape}")
    check_lengths(t, P, ("y_true", "proba"))
    first_non_finite("y_true", t)
    first_non_finite("proba", P)
    if P.shape[1] == 1:
        P = np.concatenate([1 - P, P], axis=1)
    K = P.shape[1]
    if t.dtype.kind not in "iub" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise ValueError(f"y_true must hold class indices 0 … {K - 1}, got {t.dtype} values")
    t = t.astype(np.int64)
    if t.min() < 0 or t.max() >= K:
        bad = t[(t < 0) | (t >= K)][0]
        raise ValueError(
            f"y_true holds class {bad}, but proba has {K} columns (classes 0 … {K - 1})"
        )
    if P.min() < 0 or P.max() > 1:
        raise ValueError(f"proba must lie in [0, 1], got values in [{P.min()}, {P.max()}]")
    eps = np.finfo(P.dtype).eps
    sums = P.sum(axis=1)
    # √ε: rows that float rounding moved off 1 pass; logits or scores do not.
    off = np.abs(sums - 1) > math.sqrt(eps)
    if off.any():
        row = int(np.argmax(off))
        raise ValueError(
            f"each row of proba must sum to 1, but row {row} sums to {sums[row]}; "
            "pass probabilities (softmax outputs), not logits or scores"
        )
    picked = np.clip(P[np.arange(t.size), t], eps, 1 - eps).astype(np.float64)
    return float(-np.mean(np.log(picked)))


def classification_report(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    target_names: Sequence[str] | None = None,
    digits: int = 2,
) -> str:
    """A table of precision, recall, F1 and support per class, then the accuracy (over all
    samples) and the macro and support-weighted averages, laid out as scikit-learn's.

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``target_names`` names the rows of
    ``labels`` (the sorted classes of both arrays by default).
    """
    t, p = check_labels(y_true, y_pred)
    L = classes_to_score(t, p, labels)
    names = [str(v) for v in L.tolist()] if target_names is None else list(target_names)
    if len(names) != L.size:
        raise ValueError(f"target_names has {len(names)} names but there are {L.size} classes")
    per_class = precision_recall_f1(t, p, labels=L, average=None)
    width = max(len("weighted avg"), *(len(n) for n in names))
    line = f"{{:>{width}}} " + f" {{:>9.{digits}f}}" * 3 + " {:>9}"
    rows = [
        f"{'':>{width}} "
        + "".join(f" {h:>9}" for h in ("precision", "recall", "f1-score", "support")),
        "",
    ]
    for k, name in enumerate(names):
        scores = (per_class.precision[k], per_class.recall[k], per_class.f1[k])
        rows.append(line.format(name, *scores, int(per_class.support[k])))
    accuracy = f"{accuracy_score(t, p):>9.{digits}f}"
    rows += ["", f"{'accuracy':>{width}}  {'':>9} {'':>9} {accuracy} {t.size:>9}"]
    averages: tuple[Average, ...] = ("macro", "weighted")
    for average in averages:
        s = precision_recall_f1(t, p, labels=L, average=average)
        rows.append(line.format(f"{average} avg", s.precision, s.recall, s.f1, s.support))
    return "\n".join(rows) + "\n"
