"""Preprocessing statistics of rows spread over the ranks of an MPI job.

Each rank holds its shard of the training rows and no rank holds them all. The statistics
a :class:`~glassnet.data.Preprocessor` learns are those of all the rows together, computed
with reductions over the ranks (:class:`Reducer`, e.g. a
:class:`glassnet.distributed.Communicator`):

- a mean and a standard deviation: ``μ = Σ_ranks Σ x / Σ_ranks m``, then
  ``σ² = Σ_ranks Σ (x − μ)² / Σ_ranks m`` (two passes, as NumPy's ``std``);
- minimums and maximums (each rank's, gathered);
- a median, exactly: the ``k``-th smallest of all the values is found by bisection on
  the values' order, each step counting the values ``≤ t`` on every rank and summing the
  counts (64 steps for float64, whatever the number of rows);
- the categories: each rank's distinct values, gathered and merged.

They equal one process's on all the rows to rounding (the sums add in another order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..backend import Array
from .preprocessing import is_missing

_SIGN = np.uint64(1 << 63)


class Reducer(Protocol):
    """The collectives the statistics need: an in-place sum over the ranks, and every
    rank's (small, picklable) value on every rank."""

    def allreduce_sum(self, array: Array) -> Array: ...

    def gather(self, value: Any) -> list[Any]: ...


def summed(values: Any, across: Reducer) -> Array:
    """``Σ_ranks values`` as a float64 array, on every rank."""
    return across.allreduce_sum(np.array(values, dtype=np.float64, ndmin=1))


def extremes(X: Array, across: Reducer) -> tuple[Array, Array]:
    """Each column's minimum and maximum over the non-NaN values of every rank's ``X``
    ``(m, n)``; ``+inf``/``−inf`` for a column with none."""
    with np.errstate(invalid="ignore"):
        low = np.where(np.isnan(X), np.inf, X).min(axis=0, initial=np.inf)
        high = np.where(np.isnan(X), -np.inf, X).max(axis=0, initial=-np.inf)
    lows, highs = zip(*across.gather((low, high)), strict=True)
    return np.min(lows, axis=0), np.max(highs, axis=0)


def mean_and_std(X: Array, across: Reducer) -> tuple[Array, Array]:
    """Each column's mean and standard deviation (ddof 0) over every rank's ``X``
    ``(m, n)``, which holds no NaN."""
    m = summed(X.shape[0], across)[0]
    mean = summed(X.sum(axis=0), across) / m
    with np.errstate(over="ignore", invalid="ignore"):
        squares = np.array([np.square(X[:, j] - mean[j]).sum() for j in range(X.shape[1])])
    return mean, np.sqrt(summed(squares, across) / m)


def _order_keys(values: Array) -> Array:
    """float64 values as uint64 keys in the same order (negative numbers reversed below
    the positive ones), so that a bisection can run on integers."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits >= _SIGN, ~bits, bits | _SIGN)


def _from_keys(keys: Array) -> Array:
    bits = np.where(keys >= _SIGN, keys ^ _SIGN, ~keys)
    return bits.astype(np.uint64).view(np.float64)


def medians(X: Array, across: Reducer) -> Array:
    """Each column's median over the non-NaN values of every rank's ``X`` ``(m, n)``, as
    ``np.nanmedian`` of all the rows gives it (the mean of the two middle values for an
    even count); NaN for a column with no value."""
    keys = [np.sort(_order_keys(X[~np.isnan(X[:, j]), j])) for j in range(X.shape[1])]
    n = summed([len(k) for k in keys], across).astype(np.int64)
    # The two middle ranks of each column, 0-based: equal for an odd count.
    wanted = np.concatenate([(n - 1) // 2, n // 2]) + 1  # how many values must be ≤ t
    columns = keys + keys
    low = np.zeros(len(columns), dtype=np.uint64)
    high = np.full(len(columns), np.iinfo(np.uint64).max, dtype=np.uint64)
    while np.any(low < high):  # at most 64 steps: each halves every interval
        middle = low + (high - low) // np.uint64(2)
        local = [np.searchsorted(k, t, side="right") for k, t in zip(columns, middle, strict=True)]
        enough = summed(local, across) >= wanted
        high = np.where(enough, middle, high)
        low = np.where(enough, low, middle + np.uint64(1))
    lower, upper = np.split(_from_keys(low), 2)
    with np.errstate(invalid="ignore", over="ignore"):
        found = (lower + upper) / 2
    return np.where(n > 0, found, np.nan)


def categories(block: Array, across: Reducer) -> list[list[str]]:
    """The sorted distinct values (as ``str``) of each column of every rank's object
    ``block`` ``(m, k)``, missing values left out, as :class:`~glassnet.data.OneHotEncoder`
    learns them."""
    local = [
        {str(v) for v in block[:, j].tolist() if not is_missing(v)} for j in range(block.shape[1])
    ]
    every: Sequence[list[set[str]]] = across.gather(local)
    return [sorted(set().union(*(rank[j] for rank in every))) for j in range(block.shape[1])]
