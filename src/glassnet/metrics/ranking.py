"""The area under the ROC curve: how well scores rank the samples of a class above the rest.

For one class against the rest, with ``n₊`` positive and ``n₋`` negative samples, the
area under the ROC curve is the probability that a random positive scores above a random
negative, a tie counting one half (the Mann–Whitney statistic)::

    AUC = (R₊ − n₊ (n₊ + 1) / 2) / (n₊ n₋)

where ``R₊`` is the sum of the positives' ranks among all the scores, tied scores sharing
their mean rank. That is the trapezoidal area under the ROC curve, as scikit-learn's
``roc_auc_score`` computes it, ties included.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..backend import Array
from .checks import check_lengths, first_non_finite, labels_1d


def _mean_ranks(scores: Array) -> Array:
    """The rank of each score ``(m,)`` from 1 (the lowest), tied scores sharing their mean."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # the rank of each distinct value's last copy
    return ((ends - counts + 1 + ends) / 2.0)[inverse.reshape(-1)]


def binary_auc(positive: Array, scores: Array) -> float:
    """AUC of ``scores`` ``(m,)`` for the samples where ``positive`` ``(m,)`` is True.

    A ValueError when every sample is positive or every one negative: the ROC curve then
    has no area to measure.
    """
    n_pos = int(np.count_nonzero(positive))
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        only = "positive" if n_neg == 0 else "negative"
        raise ValueError(
            f"ROC AUC is undefined when every sample of y_true is {only}: it needs both"
        )
    ranks = _mean_ranks(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def roc_auc_score(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """ROC AUC of scores against the truth: binary, one-vs-rest macro, or per label.

    - Binary: ``y_true`` ``(m,)`` holds two labels (any comparable values; the greater one
      is the positive class, as scikit-learn's), ``y_score`` ``(m,)`` the positive class's
      score (or ``(m, 2)``, whose second column is used).
    - Several classes: ``y_true`` ``(m,)`` class indices ``0 … K−1``, ``y_score`` ``(m, K)``
      one score per class (probabilities). Each class against the rest, then the unweighted
      mean; a class without a sample in ``y_true`` is left out of the mean (its AUC is
      undefined), as is one that every sample has.
    - Several independent labels: ``y_true`` ``(m, k)`` of 0/1, ``y_score`` ``(m, k)``: the
      unweighted mean of each label's AUC.
    """
    S = np.asarray(y_score, dtype=np.float64)
    T = np.asarray(y_true)
    if S.ndim == 2 and S.shape[1] == 1:
        S = S[:, 0]
    if T.ndim == 2 and S.ndim == 2 and T.shape[1] > 1:
        return _per_label(T, S)
    t = labels_1d("y_true", T)
    check_lengths(t, S, ("y_true", "y_score"))
    first_non_finite("y_true", t)
    first_non_finite("y_score", S)
    if S.ndim == 2 and S.shape[1] == 2:
        S = S[:, 1]
    if S.ndim == 1:
        classes = np.unique(t)
        if classes.size > 2:
            raise ValueError(
                f"y_true holds {classes.size} classes, but y_score has one score per sample; "
                "give one column of scores per class, shape (m, K)"
            )
        return binary_auc(t == classes[-1], S)
    if S.ndim != 2:
        raise ValueError(f"y_score must have shape (m,) or (m, K), got shape {S.shape}")
    return _one_vs_rest(t, S)


def _one_vs_rest(t: Array, S: Array) -> float:
    K = S.shape[1]
    if t.dtype.kind not in "iub" and not (t.dtype.kind == "f" and np.all(t == np.round(t))):
        raise ValueError(f"y_true must hold class indices 0 … {K - 1}, got {t.dtype} values")
    codes = t.astype(np.int64)
    if codes.min() < 0 or codes.max() >= K:
        bad = codes[(codes < 0) | (codes >= K)][0]
        raise ValueError(
            f"y_true holds class {bad}, but y_score has {K} columns (classes 0 … {K - 1})"
        )
    counts = np.bincount(codes, minlength=K)
    defined = [k for k in range(K) if 0 < counts[k] < codes.size]
    if not defined:
        raise ValueError("ROC AUC is undefined: y_true holds a single class; it needs two")
    return float(np.mean([binary_auc(codes == k, S[:, k]) for k in defined]))


def _per_label(T: Array, S: Array) -> float:
    if T.shape != S.shape:
        raise ValueError(f"y_true has shape {T.shape} but y_score has {S.shape}")
    first_non_finite("y_true", T)
    first_non_finite("y_score", S)
    if not np.isin(T, (0, 1)).all():
        raise ValueError("y_true of shape (m, k) must hold 0/1 labels, one column per label")
    return float(np.mean([binary_auc(T[:, j] == 1, S[:, j]) for j in range(T.shape[1])]))
