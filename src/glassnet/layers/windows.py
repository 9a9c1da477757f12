"""Sliding windows over images: the im2col and col2im that turn convolutions into matrix
products, and the sizes and padding around them.

A convolution with a ``kh × kw`` kernel at stride ``(sh, sw)`` sees, for each output
position ``(y, x)`` of each sample, the window ``A[:, y·sh : y·sh + kh, x·sw : x·sw + kw]``
of all ``C`` channels. :func:`im2col` lays every such window out as one column of a
matrix with ``C·kh·kw`` rows, in the order of ``W.reshape(F, C·kh·kw)``'s columns, so that
the whole convolution is one product with it. :func:`col2im` is its adjoint: it adds each
column back onto the window it came from, where overlapping windows sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..backend import Array, xp
from .base import is_count


def as_pair(name: str, value: Any, low: int) -> tuple[int, int]:
    """``value`` as a ``(height, width)`` pair of integers ≥ ``low``: an int is used for
    both, a pair is taken as it is."""
    items = (value, value) if isinstance(value, int | np.integer) else value
    try:
        pair = tuple(items)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(is_count(n, low) for n in pair):
        raise ValueError(
            f"{name} must be an integer ≥ {low} or a (height, width) pair of them, got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def output_size(n: int, k: int, stride: int, padding: int) -> int:
    """The number of windows of size ``k`` at ``stride`` along ``n`` values padded with
    ``padding`` zeros on each side: ``⌊(n + 2p − k) / s⌋ + 1``."""
    size = (n + 2 * padding - k) // stride + 1
    if size < 1:
        raise ValueError(
            f"a kernel of size {k} does not fit an input of size {n} with padding {padding} "
            f"(it sees {n + 2 * padding} values); use a smaller kernel or more padding"
        )
    return size


def pad(A: Array, padding: tuple[int, int]) -> Array:
    """``A`` of shape ``(m, C, H, W)`` with ``padding`` zeros on each side of its height
    and width, laid out in memory as ``(C, H, W, m)``: the sample index varies fastest.

    The result is an ``(m, C, H + 2ph, W + 2pw)`` view of that memory. In this layout a
    window offset's slice ``[:, :, i : i + Ho, j : j + Wo]`` is ``C · Ho`` runs of
    ``Wo · m`` neighbouring values instead of ``C · m · Ho`` runs of ``Wo``, so im2col's
    copy and col2im's additions run several times faster. ``A`` itself comes back, with
    no copy, when there is no padding and it is already laid out so (the output of a
    convolution or a pooling layer is).
    """
    ph, pw = padding
    m, C, H, W = A.shape
    chwn = A.transpose(1, 2, 3, 0)
    if ph == pw == 0:
        if chwn.flags.c_contiguous:
            return A
        return xp.ascontiguousarray(chwn).transpose(3, 0, 1, 2)
    padded = xp.zeros((C, H + 2 * ph, W + 2 * pw, m), dtype=A.dtype)
    padded[:, ph : ph + H, pw : pw + W] = chwn
    return padded.transpose(3, 0, 1, 2)


def unpad(A: Array, padding: tuple[int, int]) -> Array:
    """The inverse of :func:`pad`: a view of ``A`` without its border."""
    ph, pw = padding
    return A[:, :, ph : A.shape[2] - ph, pw : A.shape[3] - pw]


def im2col(A: Array, kh: int, kw: int, stride: tuple[int, int], out: Array | None = None) -> Array:
    """The windows of ``A`` (``(m, C, H, W)``, already padded) as the columns of a
    contiguous ``(C·kh·kw, Ho·Wo·m)`` matrix: one column per output position, ordered by
    output row, output column, then sample (the sample varies fastest), its entries in
    the order of ``W[f]``'s.

    The windows are a strided view of ``A`` (no copy); the one copy is the reshape into
    a matrix that BLAS can read. Columns rather than rows, and the sample innermost: when
    ``A`` is laid out as :func:`pad` lays it, the copy then reads and writes runs of
    ``Wo · m`` neighbouring values (``m`` at strides above 1) rather than ``kw``. With
    ``out`` (a contiguous array of the result's shape and dtype) the copy goes there.
    """
    sh, sw = stride
    chwn = A.transpose(1, 2, 3, 0)  # (C, H, W, m)
    windows = sliding_window_view(chwn, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    C, Ho, Wo, m = windows.shape[:4]
    # (C, Ho, Wo, m, kh, kw) → (C, kh, kw, Ho, Wo, m): one column per output position.
    ordered = windows.transpose(0, 4, 5, 1, 2, 3)
    if out is None:
        return ordered.reshape(C * kh * kw, Ho * Wo * m)
    xp.copyto(out.reshape(ordered.shape), ordered)
    return out


def col2im(cols: Array, shape: tuple[int, ...], kh: int, kw: int, stride: tuple[int, int]) -> Array:
    """The adjoint of :func:`im2col`: each column of ``cols`` (``(C·kh·kw, Ho·Wo·m)``)
    added back onto its window of a zero array of ``shape`` ``(m, C, H, W)``.

    Overlapping windows share inputs, whose gradients sum. Rather than scatter entry by
    entry, the loop runs over the ``kh·kw`` kernel offsets ``(i, j)``: offset ``(i, j)`` of
    every window lands on the strided slice ``[i : i + sh·Ho : sh, j : j + sw·Wo : sw]``,
    and within one offset no two windows meet, so each step is one vectorized addition.
    """
    m, C, H, W = shape
    sh, sw = stride
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    blocks = cols.reshape(C, kh, kw, Ho, Wo, m)
    # The sum is laid out (C, H, W, m) as the columns are, so each addition reads and
    # writes runs of Wo·m values; the caller gets the (m, C, H, W) view.
    out = xp.zeros((C, H, W, m), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + sh * Ho : sh, j : j + sw * Wo : sw] += blocks[:, i, j]
    return out.transpose(3, 0, 1, 2)
