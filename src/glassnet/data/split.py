"""Train/test splits, shuffled with an explicit seed, stratified by class on request."""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np

from ..backend import Array
from .table import Table


def _n_test(test_size: float, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, int | float | np.number):
        raise TypeError(f"test_size must be a fraction in (0, 1) or a count, got {test_size!r}")
    if isinstance(test_size, int | np.integer):
        if not 1 <= test_size <= n - 1:
            raise ValueError(
                f"test_size must be a count in 1 … {n - 1} for {n} samples, got {test_size}"
            )
        return int(test_size)
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size}")
    # Rounded first so that 0.7 × 10 = 7.000000000000001 makes 7 test samples, not 8.
    return min(max(math.ceil(round(test_size * n, 9)), 1), n - 1)


def split_indices(
    y: Any,
    *,
    test_size: float = 0.2,
    stratify: bool = False,
    seed: int | np.random.Generator | None = None,
) -> tuple[Array, Array]:
    """Shuffled row indices ``(train, test)`` for the ``m`` samples of ``y`` ``(m,)``.

    ``test_size``: a fraction of ``m`` (rounded up) or a count. With ``stratify``, each
    class of ``y`` (rows of a 2-D ``y``, e.g. one-hot) is split on its own: its test count
    is ``n_c · n_test / m`` rounded down or up (largest remainders first), so every class
    keeps its proportion to within one sample, and at least one sample of every class stays
    in training (so the test set can fall short of ``n_test`` when classes are tiny).
    """
    labels = np.asarray(y)
    if labels.ndim == 0 or labels.shape[0] < 2:
        raise ValueError(f"y must hold at least 2 samples to split, got shape {labels.shape}")
    n = labels.shape[0]
    n_test = _n_test(test_size, n)
    rng = np.random.default_rng(seed)
    if not stratify:
        order = rng.permutation(n)
        return order[n_test:], order[:n_test]
    try:
        _, codes = np.unique(labels, axis=0 if labels.ndim > 1 else None, return_inverse=True)
    except TypeError as exc:
        raise TypeError(f"stratify=True: the labels of y cannot be compared: {exc}") from exc
    codes = codes.reshape(n)
    counts = np.bincount(codes)
    ideal = counts * n_test / n  # < counts, so its floor leaves one sample in training
    per_class = np.floor(ideal).astype(np.int64)
    # The samples left over go one each to the classes with the largest remainders, but
    # never the last sample of a class; a random tie-break keeps class order from biasing it.
    may_take = np.minimum(np.ceil(ideal), counts - 1) > per_class
    order = np.lexsort((rng.random(len(counts)), -(ideal - per_class)))
    takers = order[may_take[order]]
    per_class[takers[: n_test - int(per_class.sum())]] += 1
    train, test = [], []
    for k, n_k in enumerate(per_class):
        members = rng.permutation(np.flatnonzero(codes == k))
        test.append(members[:n_k])
        train.append(members[n_k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


@overload
def train_test_split(
    X: Table,
    y: Any,
    *,
    test_size: float = ...,
    stratify: bool = ...,
    seed: int | np.random.Generator | None = ...,
) -> tuple[Table, Table, Array, Array]: ...
@overload
def train_test_split(
    X: Any,
    y: Any,
    *,
    test_size: float = ...,
    stratify: bool = ...,
    seed: int | np.random.Generator | None = ...,
) -> tuple[Array, Array, Array, Array]: ...
def train_test_split(
    X: Any,
    y: Any,
    *,
    test_size: float = 0.2,
    stratify: bool = False,
    seed: int | np.random.Generator | None = None,
) -> tuple[Any, Any, Array, Array]:
    """``X_train, X_test, y_train, y_test``: the rows of ``X`` ``(m, …)`` or a :class:`Table`,
    and of ``y`` ``(m, …)``, split as :func:`split_indices` describes.
    """
    y = np.asarray(y)
    m = X.n_rows if isinstance(X, Table) else len(X)
    if y.ndim == 0 or y.shape[0] != m:
        raise ValueError(
            f"X and y must have the same number of samples: X has {m}, y has shape {y.shape}"
        )
    train, test = split_indices(y, test_size=test_size, stratify=stratify, seed=seed)
    if isinstance(X, Table):
        return X.take(train), X.take(test), y[train], y[test]
    X = np.asarray(X)
    return X[train], X[test], y[train], y[test]
