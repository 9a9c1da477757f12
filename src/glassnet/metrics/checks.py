"""The checks every score makes at the public boundary, and the label bookkeeping they share.

Labels are ``(m,)`` arrays of any comparable values (integers, strings); targets are
float arrays ``(m, k)``. Each check names the argument, what it expected and what it got.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ..backend import Array


def first_non_finite(name: str, array: np.ndarray) -> None:
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


def check_lengths(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same number of rows, at least 1."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names[0]} has {a.shape[0]} samples but {names[1]} has {b.shape[0]}; "
            "both need one entry per sample"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty; a metric needs ≥ 1 sample")


def labels_1d(name: str, values: npt.ArrayLike) -> np.ndarray:
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


def check_same_kind(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise ValueError if one array holds strings and the other numbers."""
    # Object arrays may hold either; sorting them later tells whether they compare.
    if "O" not in (a.dtype.kind, b.dtype.kind) and _is_text(a) != _is_text(b):
        kinds = ["strings" if _is_text(x) else f"numbers ({x.dtype})" for x in (a, b)]
        raise ValueError(
            f"{names[0]} holds {kinds[0]} but {names[1]} holds {kinds[1]}; "
            "both must use the same labels"
        )


def check_labels(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays as ``(m,)``, checked: same length, finite, the same kind of label."""
    t, p = labels_1d("y_true", y_true), labels_1d("y_pred", y_pred)
    check_lengths(t, p, ("y_true", "y_pred"))
    first_non_finite("y_true", t)
    first_non_finite("y_pred", p)
    check_same_kind(t, p, ("y_true", "y_pred"))
    return t, p


def classes_to_score(t: np.ndarray, p: np.ndarray, labels: npt.ArrayLike | None) -> np.ndarray:
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
    check_same_kind(L, t, ("labels", "y_true"))
    return L


def label_indices(y: np.ndarray, L: np.ndarray) -> np.ndarray:
    """For each entry of ``y``, its position in ``L``, or -1 where it is not in ``L``."""
    # L need not be sorted (the caller's order is kept), so search a sorted copy and map
    # each hit back to its place in L.
    order = np.argsort(L, kind="stable")
    L_sorted = L[order]
    pos = np.minimum(np.searchsorted(L_sorted, y), L.size - 1)
    return np.where(L_sorted[pos] == y, order[pos], -1)


def check_targets(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[Array, Array]:
    """Both regression targets as float64 ``(m, k)``; ``(m,)`` counts as one output."""
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
    check_lengths(T, P, ("y_true", "y_pred"))
    if T.shape[1] != P.shape[1]:
        raise ValueError(f"y_true has {T.shape[1]} outputs per sample but y_pred has {P.shape[1]}")
    first_non_finite("y_true", T)
    first_non_finite("y_pred", P)
    return T, P
