"""Where the training loop's mini-batches come from: the order of an epoch, and the rows.

The training set is read a mini-batch at a time and nothing is allocated per row of it
beyond the epoch's order (one ``int64`` per row), so ``X`` may be larger than memory:

- an in-memory array, or a memory-mapped ``.npy`` (``np.load(path, mmap_mode="r")``) of
  the network's dtype, is read in place (:func:`~glassnet.network.Network.check_X` returns
  a view of it) and each shuffled mini-batch is gathered into one reused buffer;
- a memory-mapped array of another dtype, or any :class:`BatchSource` (``len`` and
  ``rows(index) -> (X, y)``), is read and converted one mini-batch at a time;
- the targets are checked once, a chunk at a time, then encoded (one-hot for class
  labels) for a few thousand rows of the epoch's order at a time: the same numbers as
  encoding them all up front, without an ``(m, n_L)`` array.

The order of an epoch (:func:`epoch_order`) is ``shuffle=True``: a permutation of all
rows, ``rng.permutation(m)``; ``shuffle="blocks"``: contiguous blocks of about
:data:`BLOCK_BYTES` in a random order, then the rows within each buffer of
:data:`BUFFER_BLOCKS` consecutive blocks in a random order, so that reads stay close to
sequential on disk (as large-scale loaders shuffle shards, then rows in a buffer); or
``shuffle=False``: the stored order. The seed fixes the order exactly in every mode.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..backend import Array, current_device, on_host, to_device, xp

if TYPE_CHECKING:
    from .trainable import Trainable

BLOCK_BYTES = 1 << 20
"""About how many bytes of checked rows one block of ``shuffle="blocks"`` holds (1 MiB)."""
BUFFER_BLOCKS = 64
"""Blocks whose rows ``shuffle="blocks"`` shuffles together (64 MiB of rows)."""
TARGET_ROWS = 4096
"""Rows of the epoch's order whose targets are checked and encoded at once."""


@runtime_checkable
class BatchSource(Protocol):
    """A training set that gives rows by index: ``fit(network, source)`` reads it a
    mini-batch at a time, so it need not fit in memory.

    ``rows(index)`` returns ``(X_rows, y_rows)`` for an ``int64`` array of row numbers in
    ``0 … len − 1`` (sorted when ``shuffle=False``, in the epoch's order otherwise), in
    any form :func:`~glassnet.training.fit` accepts for ``X`` and ``y``.
    """

    def __len__(self) -> int: ...

    def rows(self, index: np.ndarray) -> tuple[Any, Any]: ...


class ArraySource:
    """A :class:`BatchSource` over two arrays of the same length, e.g. two memory-mapped
    ``.npy`` files: :meth:`load` opens them without reading them."""

    def __init__(self, X: Any, y: Any) -> None:
        if len(X) != len(y):
            raise ValueError(
                f"X and y must have the same number of samples: X has {len(X)}, y has {len(y)}"
            )
        self.X, self.y = X, y

    @classmethod
    def load(cls, X_path: str, y_path: str) -> ArraySource:
        """The arrays of two ``.npy`` files, memory-mapped read-only."""
        return cls(np.load(X_path, mmap_mode="r"), np.load(y_path, mmap_mode="r"))

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, index: np.ndarray) -> tuple[Any, Any]:
        return self.X[index], self.y[index]


def check_shuffle(shuffle: Any) -> bool | str:
    """``shuffle`` as ``True``, ``False`` or ``"blocks"``; any other text is a ValueError."""
    if isinstance(shuffle, str):
        if shuffle != "blocks":
            raise ValueError(f"shuffle must be True, False or 'blocks', got {shuffle!r}")
        return shuffle
    return bool(shuffle)


def batch_bounds(
    m: int, batch: int, merge_single: bool = False, *, smallest: int = 2
) -> list[tuple[int, int]]:
    """``(start, end)`` of each mini-batch of an epoch of ``m`` samples.

    With ``merge_single`` (batch norm, which cannot normalize one sample), a last batch of
    fewer than ``smallest`` samples (a single one; 2 per rank in data-parallel training)
    joins the batch before it.
    """
    bounds = [(start, min(start + batch, m)) for start in range(0, m, batch)]
    if merge_single and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < smallest:
        bounds[-2:] = [(bounds[-2][0], m)]
    return bounds


def epoch_order(
    rng: np.random.Generator, m: int, shuffle: bool | str, block_rows: int
) -> np.ndarray | None:
    """The rows of one epoch in the order they are read, or ``None`` for ``0 … m − 1``.

    ``True`` draws ``rng.permutation(m)`` (the order of every glassnet version so far);
    ``"blocks"`` draws :func:`block_order`.
    """
    if shuffle == "blocks":
        return block_order(rng, m, block_rows)
    return rng.permutation(m) if shuffle else None


def block_order(
    rng: np.random.Generator, m: int, block_rows: int, buffer_blocks: int = BUFFER_BLOCKS
) -> np.ndarray:
    """A permutation of ``0 … m − 1`` that reads blocks of ``block_rows`` contiguous rows.

    The blocks (the last may be shorter) come in the order ``rng.permutation(n_blocks)``;
    each run of ``buffer_blocks`` of them is a buffer whose rows are then permuted
    together. A mini-batch thus holds rows of at most ``buffer_blocks`` blocks, and an epoch
    reads each block within one buffer's stretch of steps.
    """
    n_blocks = -(-m // block_rows)
    blocks = rng.permutation(n_blocks)
    order = np.empty(m, dtype=np.int64)
    filled = 0
    for first in range(0, n_blocks, buffer_blocks):
        rows = np.concatenate(
            [
                np.arange(block * block_rows, min((block + 1) * block_rows, m))
                for block in blocks[first : first + buffer_blocks]
            ]
        )
        order[filled : filled + rows.size] = rows[rng.permutation(rows.size)]
        filled += rows.size
    assert filled == m
    return order


class TrainingData:
    """The training set as the loop reads it: ``m`` rows, yielded as checked mini-batches.

    ``X`` is either an array the network has checked (in place when it already has the
    network's dtype) or a :class:`BatchSource` read and checked per batch; ``y`` is kept
    as given and encoded per batch.
    """

    def __init__(
        self, network: Trainable, X: Any, y: Any, names: tuple[str, str] = ("X", "y")
    ) -> None:
        self.network, self.names = network, names
        self.source: BatchSource | None = None
        self.X: Array | None = None
        self.y: Any = None
        if y is None:
            if not isinstance(X, BatchSource):
                X_name, y_name = names
                raise ValueError(
                    f"{y_name} is missing: give the targets, or {X_name} as a BatchSource "
                    f"(len({X_name}) and {X_name}.rows(index) -> (X_rows, y_rows)), got "
                    f"{X_name} of type {type(X).__name__}"
                )
            self.source = X
        elif isinstance(X, np.memmap) and (X.dtype != network.dtype or not X.flags.c_contiguous):
            # Converting it whole would copy the file into memory: convert per batch.
            self.source = ArraySource(X, y)
        if self.source is not None:
            self.m = len(self.source)
            if self.m == 0:
                raise ValueError(f"{names[0]} is empty: the batch source has 0 rows")
            first, _ = self._read(np.arange(1))
            self.row_bytes = first.nbytes
            return
        self.X = network.check_X(X, name=names[0])
        if current_device() != "cpu" and not isinstance(X, np.memmap):
            self.X = to_device(self.X)  # on the device once per fit (a file: per batch)
        self.m = self.X.shape[0]
        self.y = _check_targets(network, y, self.m, names[1])
        self.row_bytes = self.X[:1].nbytes

    def block_rows(self) -> int:
        """Rows per block of ``shuffle="blocks"``: about :data:`BLOCK_BYTES` of checked rows."""
        return max(1, BLOCK_BYTES // max(1, self.row_bytes))

    def class_labels(self) -> tuple[np.ndarray, int]:
        """Every row's class index and the number of outputs ``n_L``, a chunk at a time."""
        parts, n_outputs = [], 1
        for start in range(0, self.m, TARGET_ROWS):
            index = np.arange(start, min(start + TARGET_ROWS, self.m))
            Y = self._read(index)[1] if self.source is not None else self._targets(index)
            parts.append(np.asarray(self.network.loss.class_labels(Y)))
            n_outputs = Y.shape[1]
        return np.concatenate(parts), n_outputs

    def epoch(
        self, order: np.ndarray | None, bounds: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[Array, Array, np.ndarray | slice]]:
        """``(X_batch, Y_batch, rows)`` for each mini-batch of ``bounds`` over ``order``;
        ``rows`` indexes per-sample arrays such as the weights. Only the rows of ``bounds``
        are read: in data-parallel training they are this rank's shards of the batches,
        and an empty one (a rank without rows in a small batch) gives empty arrays."""
        if any(start == end for start, end in bounds):
            yield from self._with_empty(order, bounds)
            return
        if self.source is not None:
            for start, end in bounds:
                index = np.arange(start, end) if order is None else order[start:end]
                yield (*self._read(index), index)
            return
        X = self.X
        assert X is not None
        # Shuffled mini-batches are gathered into one reused buffer: no copy of the data
        # set per epoch, and no fresh allocation per step.
        if order is not None:
            largest = max(end - start for start, end in bounds)
            buffer = (np if on_host(X) else xp).empty((largest, *X.shape[1:]), dtype=X.dtype)
        for group in _windows(bounds, TARGET_ROWS):
            first, last = group[0][0], group[-1][1]
            if all(a[1] == b[0] for a, b in pairwise(group)):
                window: np.ndarray | slice = (
                    slice(first, last) if order is None else order[first:last]
                )
                offsets = [start - first for start, _ in group]
            else:  # a rank's shards of consecutive batches: the targets of its rows only
                window = np.concatenate(
                    [np.arange(s, e) if order is None else order[s:e] for s, e in group]
                )
                offsets = list(accumulate([0] + [e - s for s, e in group[:-1]]))
            Y = self._targets(window)
            if not on_host(X):  # the targets of these batches onto the device at once
                Y = to_device(Y)
            for (start, end), offset in zip(group, offsets, strict=True):
                if order is None:
                    rows: np.ndarray | slice = slice(start, end)
                    Xb = X[start:end]
                else:
                    rows = order[start:end]
                    Xb = _gather(X, rows, buffer[: rows.size])
                yield Xb, Y[offset : offset + end - start], rows

    def _with_empty(
        self, order: np.ndarray | None, bounds: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[Array, Array, np.ndarray | slice]]:
        """:meth:`epoch` where some bounds are empty: those give empty arrays, unread."""
        full = self.epoch(order, [(start, end) for start, end in bounds if start < end])
        network = self.network
        X0 = xp.empty((0, *network.layers[0].input_shape), dtype=network.dtype)
        Y0 = xp.empty((0, *network.output_layer.output_shape), dtype=network.dtype)
        for start, end in bounds:
            yield next(full) if start < end else (X0, Y0, np.arange(0))

    def _targets(self, rows: np.ndarray | slice) -> Array:
        """The encoded targets ``Y`` (``(k, n_L)``) of some rows of the checked ``y``."""
        y = self.y[rows]
        return self.network.check_y(y, len(y), name=self.names[1])

    def _read(self, index: np.ndarray) -> tuple[Array, Array]:
        """Rows of the batch source, checked and encoded as the network needs them."""
        assert self.source is not None
        X, y = self.source.rows(index)
        X = self.network.check_X(X, name=self.names[0])
        return X, self.network.check_y(y, X.shape[0], name=self.names[1])


def _check_targets(network: Trainable, y: Any, m: int, name: str) -> Any:
    """``y`` as an array, checked against the loss a chunk at a time (the messages of
    :meth:`~glassnet.network.Network.check_y`), never encoded whole."""
    array = np.asarray(y)
    if array.ndim not in (1, 2) or array.shape[0] != m or array.dtype.kind not in "biuf":
        network.check_y(array, m, name=name)  # raises, with the message for the whole of y
    for start in range(0, m, TARGET_ROWS):
        chunk = array[start : start + TARGET_ROWS]
        network.check_y(chunk, chunk.shape[0], name=name)
    return array


def _windows(bounds: Sequence[tuple[int, int]], rows: int) -> list[list[tuple[int, int]]]:
    """``bounds`` in runs of consecutive batches spanning at most ``rows`` rows (or one)."""
    groups: list[list[tuple[int, int]]] = []
    for bound in bounds:
        if groups and bound[1] - groups[-1][0][0] <= rows:
            groups[-1].append(bound)
        else:
            groups.append([bound])
    return groups


def _gather(X: Array, rows: np.ndarray, out: Array) -> Array:
    """``X[rows]`` into ``out``, on the host or on the device (whose ``take`` has no
    ``mode``, and whose row numbers must be on the device too)."""
    if on_host(X):
        return np.take(X, rows, axis=0, out=out, mode="clip")
    return xp.take(X, to_device(rows), axis=0, out=out)
