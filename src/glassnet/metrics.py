"""Metrics: scores on labels and targets, a registry that names them, and the running
metrics that training reports.

The public scores take arrays in the public convention, one sample per row: class labels
``(m,)`` for classification (integers, strings, any comparable values), probabilities
``(m, K)`` for the log loss, targets ``(m,)`` or ``(m, k)`` for regression. They run on
NumPy and agree with ``sklearn.metrics`` (the tests check it), with one policy throughout:
a ratio whose denominator is 0 scores 0 and warns nothing (scikit-learn's
``zero_division=0``).

``correct_count``, ``accuracy``, ``rmse`` and ``metric_name`` work on the network's own
``(m, n_L)`` output and target arrays during training.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol, cast, overload

import numpy as np
import numpy.typing as npt

from .backend import Array, xp

Average = Literal["macro", "micro", "weighted", "binary"]
_AVERAGES = ("macro", "micro", "weighted", "binary", None)

# -- validation at the public boundary -------------------------------------------------------


def _first_non_finite(name: str, array: np.ndarray) -> None:
    """Raise ValueError if ``array`` holds NaN or inf (numbers, or floats inside objects)."""
    if array.dtype.kind in "fc":
        bad = ~np.isfinite(array)
    elif array.dtype.kind == "O":
        flat = [isinstance(v, float | np.floating) and not math.isfinite(v) for v in array.flat]
        bad = np.array(flat, dtype=bool).reshape(array.shape)
    else:
        return
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = where[0] if len(where) == 1 else list(where)
        raise ValueError(f"{name} contains NaN or inf (first at index {at})")


def _check_lengths(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names[0]} has {a.shape[0]} samples but {names[1]} has {b.shape[0]}; "
            "both need one entry per sample"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty; a metric needs ≥ 1 sample")


def _labels_1d(name: str, values: npt.ArrayLike) -> np.ndarray:
    """``values`` as a 1-D array of labels; a column ``(m, 1)`` is flattened."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        hint = (
            "; for one-hot rows or probabilities pass A.argmax(axis=1)" if array.ndim == 2 else ""
        )
        raise ValueError(f"{name} must be labels of shape (m,), got shape {array.shape}{hint}")
    return array


def _is_text(array: np.ndarray) -> bool:
    return array.dtype.kind in "US"


def _check_same_kind(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    if "O" not in (a.dtype.kind, b.dtype.kind) and _is_text(a) != _is_text(b):
        kinds = ["strings" if _is_text(x) else f"numbers ({x.dtype})" for x in (a, b)]
        raise ValueError(
            f"{names[0]} holds {kinds[0]} but {names[1]} holds {kinds[1]}; "
            "both must use the same labels"
        )


def _check_labels(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t, p = _labels_1d("y_true", y_true), _labels_1d("y_pred", y_pred)
    _check_lengths(t, p, ("y_true", "y_pred"))
    _first_non_finite("y_true", t)
    _first_non_finite("y_pred", p)
    _check_same_kind(t, p, ("y_true", "y_pred"))
    return t, p


def _class_labels(t: np.ndarray, p: np.ndarray, labels: npt.ArrayLike | None) -> np.ndarray:
    """The classes to score, in order: ``labels`` if given, else the sorted union of both."""
    if labels is None:
        try:
            return np.unique(np.concatenate([t, p]))
        except TypeError as exc:
            raise ValueError(f"labels must be comparable with each other: {exc}") from exc
    L = np.asarray(labels)
    if L.ndim != 1 or L.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D list, got shape {L.shape}")
    if np.unique(L).size != L.size:
        raise ValueError(f"labels must not repeat, got {L.tolist()}")
    _check_same_kind(L, t, ("labels", "y_true"))
    return L


def _label_indices(y: np.ndarray, L: np.ndarray) -> np.ndarray:
    """For each entry of ``y``, its position in ``L``, or -1 where it is not in ``L``."""
    order = np.argsort(L, kind="stable")
    L_sorted = L[order]
    pos = np.minimum(np.searchsorted(L_sorted, y), L.size - 1)
    return np.where(L_sorted[pos] == y, order[pos], -1)


# -- classification --------------------------------------------------------------------------


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
    t, p = _check_labels(y_true, y_pred)
    return float(np.count_nonzero(t == p)) / t.shape[0]


def confusion_matrix(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, labels: npt.ArrayLike | None = None
) -> Array:
    """``C[i, j]``: how many samples of true class ``labels[i]`` were predicted ``labels[j]``.

    ``y_true``, ``y_pred``: ``(m,)`` labels. ``labels`` orders the rows and columns (the
    sorted classes of both arrays by default); samples whose true or predicted label is
    not among them are left out. Returns an int64 array ``(K, K)``, rows true, columns
    predicted, as scikit-learn's.
    """
    t, p = _check_labels(y_true, y_pred)
    L = _class_labels(t, p, labels)
    K = L.size
    i, j = _label_indices(t, L), _label_indices(p, L)
    kept = (i >= 0) & (j >= 0)
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
    t, p = _check_labels(y_true, y_pred)
    if average == "binary":
        if labels is not None:
            raise ValueError("average='binary' takes no labels; name the class with pos_label")
        present = _class_labels(t, p, None).tolist()
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs at most 2 classes, but y_true and y_pred hold "
                f"{len(present)}: {present}; use average='macro', 'micro', 'weighted' or None"
            )
        if len(present) == 2 and not any(v == pos_label for v in present):
            raise ValueError(f"pos_label={pos_label!r} is not one of the classes {present}")
        labels = np.array([pos_label])
    L = _class_labels(t, p, labels)
    i, j = _label_indices(t, L), _label_indices(p, L)
    true_count = np.bincount(i[i >= 0], minlength=L.size)
    pred_count = np.bincount(j[j >= 0], minlength=L.size)
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
    t = _labels_1d("y_true", y_true)
    P = np.asarray(proba)
    if P.dtype.kind not in "f":
        P = P.astype(np.float64)
    if P.ndim == 1:
        P = P[:, None]
    if P.ndim != 2:
        raise ValueError(f"proba must have shape (m, K) or (m,), got shape {P.shape}")
    _check_lengths(t, P, ("y_true", "proba"))
    _first_non_finite("y_true", t)
    _first_non_finite("proba", P)
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
    t, p = _check_labels(y_true, y_pred)
    L = _class_labels(t, p, labels)
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


# -- regression ------------------------------------------------------------------------------


def _check_targets(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[Array, Array]:
    """Both as float64 ``(m, k)``; ``(m,)`` counts as one output."""
    arrays = []
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        try:
            Y = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold numbers: {exc}") from exc
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.ndim != 2:
            raise ValueError(f"{name} must have shape (m,) or (m, k), got shape {Y.shape}")
        arrays.append(Y)
    T, P = arrays
    _check_lengths(T, P, ("y_true", "y_pred"))
    if T.shape[1] != P.shape[1]:
        raise ValueError(f"y_true has {T.shape[1]} outputs per sample but y_pred has {P.shape[1]}")
    _first_non_finite("y_true", T)
    _first_non_finite("y_pred", P)
    return T, P


def mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``MSE = (1/(mk)) Σ_i Σ_j (ŷ_ij − y_ij)²``: the mean over outputs of each output's MSE.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = _check_targets(y_true, y_pred)
    return float(np.mean((P - T) ** 2))


def root_mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``RMSE = (1/k) Σ_j √((1/m) Σ_i (ŷ_ij − y_ij)²)``: each output's RMSE, then their mean
    (scikit-learn's; for ``k > 1`` it is not ``√MSE``, nor the training-time :func:`rmse`).

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = _check_targets(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((P - T) ** 2, axis=0))))


def mean_absolute_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """``MAE = (1/(mk)) Σ_i Σ_j |ŷ_ij − y_ij|``.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets.
    """
    T, P = _check_targets(y_true, y_pred)
    return float(np.mean(np.abs(P - T)))


def r2_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """The coefficient of determination, per output then averaged uniformly.

    ``y_true``, ``y_pred``: ``(m,)`` or ``(m, k)`` targets, ``m ≥ 2``. For each output::

        R² = 1 − SS_res / SS_tot,   SS_res = Σ_i (y_i − ŷ_i)²,   SS_tot = Σ_i (y_i − ȳ)²

    An output whose ``y_true`` is constant (``SS_tot = 0``) scores 1.0 if its predictions
    are exact and 0.0 otherwise, as scikit-learn's default ``force_finite=True``.
    """
    T, P = _check_targets(y_true, y_pred)
    if T.shape[0] < 2:
        raise ValueError("r2_score needs at least 2 samples; R² is undefined for 1")
    ss_res = np.sum((T - P) ** 2, axis=0)
    ss_tot = np.sum((T - T.mean(axis=0)) ** 2, axis=0)
    scores = np.where(ss_res == 0, 1.0, 0.0)
    defined = (ss_res != 0) & (ss_tot != 0)
    scores[defined] = 1 - ss_res[defined] / ss_tot[defined]
    return float(scores.mean())


# -- the registry ----------------------------------------------------------------------------


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


# -- the running metrics of training, on the network's (m, n_L) arrays -----------------------


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
