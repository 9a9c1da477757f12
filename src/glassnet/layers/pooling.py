"""Pooling: each channel's map shrunk by a summary of small windows, max or mean.

Data is NCHW: ``A_prev`` has shape ``(m, C, H, W)``. A window of ``p × q`` entries moves
over each channel in steps of ``s`` rows and ``t`` columns (the stride, by default the
window itself: windows that tile the map without overlapping), so the output is
``(m, C, H_out, W_out)`` with::

    H_out = ⌊(H − p) / s⌋ + 1        W_out = ⌊(W − q) / t⌋ + 1

Rows and columns that no full window reaches are left out, as PyTorch and Keras do by
default; there is no padding (pad with the convolution below if the border matters).

Writing ``A_prev[i + s·y, j + t·x]`` for offset ``(i, j)`` of the window at output
position ``(y, x)`` (batch and channel axes implied), the two layers are::

    max:  A[y, x] = max_{i<p, j<q} A_prev[i + s·y, j + t·x]
          ∂L/∂A_prev[i + s·y, j + t·x] += ∂L/∂A[y, x]   for the one (i, j) that is the max
    avg:  A[y, x] = (1 / pq) Σ_{i<p, j<q} A_prev[i + s·y, j + t·x]
          ∂L/∂A_prev[i + s·y, j + t·x] += ∂L/∂A[y, x] / pq   for every (i, j)

The max is piecewise the identity on one entry, so its gradient is routed to that entry
alone; when several entries tie, the first in row-major order of the window takes it, as
PyTorch does. Both sums ``+=`` run over the windows an entry belongs to (one, unless the
windows overlap). Nothing is learned: these layers have no parameters.

Both passes loop over the ``p · q`` offsets of the window, each step one strided view of
``A_prev`` of the output's shape: ``p · q`` element-wise operations over ``(m, C, H_out,
W_out)``, the same arithmetic as im2col without its copy, and the backward pass adds each
offset's share into ``∂L/∂A_prev`` through the same view (within one offset no two window
entries coincide, so no scatter-add is needed). Reducing a reshaped ``(m, C, H_out, p,
W_out, q)`` array over axes 3 and 5 computes the same thing but is many times slower, since
those axes are not contiguous.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..backend import Array, xp
from ..kernels import compiled, run_compiled
from .base import Layer, check_shape, shape_from_entry
from .windows import as_pair


class Pool2D(Layer):
    """What max and average pooling share: the window, the stride, the shapes, the loop.

    Parameters
    ----------
    pool_size:
        The window ``p × q``: an integer for a square, or ``(p, q)``.
    stride:
        The steps ``(s, t)``, an integer or a pair; by default ``pool_size``.
    input_shape:
        ``(C, H, W)``; without it the layer takes the shape of the layer below when the
        network connects it (:meth:`connect`).
    """

    holds_arrays = False

    def __init__(
        self,
        pool_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        *,
        input_shape: tuple[int, int, int] | None = None,
    ) -> None:
        self.pool_size = as_pair("pool_size", pool_size, low=1)
        self.stride = self.pool_size if stride is None else as_pair("stride", stride, low=1)
        # The record of the last pass: A_prev by reference (backward reads it), then A.
        self.A_prev: Array | None = None
        self.A: Array | None = None
        if input_shape is not None:
            self.connect(check_shape("input_shape", input_shape))

    def connect(self, input_shape: tuple[int, ...]) -> None:
        """Set ``(C, H, W)`` and ``(C, H_out, W_out)``, or check them when the layer has
        them; the map must hold at least one window."""
        if self.sized:
            super().connect(input_shape)
            return
        shape = tuple(int(n) for n in input_shape)
        p, q = self.pool_size
        if len(shape) != 3 or shape[1] < p or shape[2] < q:
            raise ValueError(
                f"{self!r} expects inputs of shape (channels, height, width) with height ≥ {p} "
                f"and width ≥ {q}, but the layer below gives outputs of shape {shape}"
            )
        C, H, W = shape
        (s, t) = self.stride
        self.input_shape = shape
        self.output_shape = (C, (H - p) // s + 1, (W - q) // t + 1)

    def _offsets(self, X: Array) -> Iterator[tuple[Array, tuple[slice, ...]]]:
        """For each offset ``(i, j)`` of the window, in row-major order, the view
        ``X[:, :, i + s·y, j + t·x]`` over all outputs ``(y, x)``, and its index."""
        _, H_out, W_out = self.output_shape
        (p, q), (s, t) = self.pool_size, self.stride
        for i in range(p):
            for j in range(q):
                index = (
                    slice(None),
                    slice(None),
                    slice(i, i + s * (H_out - 1) + 1, s),
                    slice(j, j + t * (W_out - 1) + 1, t),
                )
                yield X[index], index

    @property
    def _tiled(self) -> bool:
        """Whether windows never overlap (stride ≥ window): then each entry of
        ``A_prev`` belongs to one window at most, and backward can write, not add."""
        return self.stride[0] >= self.pool_size[0] and self.stride[1] >= self.pool_size[1]

    def backward(self, dA: Array) -> Array | None:
        if not self.propagate_input_grad:
            return None
        return self._route(dA)

    def _route(self, dA: Array) -> Array:
        """``∂L/∂A_prev`` from ``∂L/∂A`` of shape ``(m, C, H_out, W_out)``."""
        raise NotImplementedError

    def forward_record(self) -> dict[str, Array | None]:
        return {"A": self.A}

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "pool_size": list(self.pool_size),
            "stride": list(self.stride),
            "input_shape": self.input_shape_entry(),
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Pool2D:
        return cls(
            tuple(config["pool_size"]),
            tuple(config["stride"]),
            # a key every config has; None while unsized
            input_shape=shape_from_entry(config["input_shape"]),
        )

    def __repr__(self) -> str:
        p, q = self.pool_size
        size = str(p) if p == q else f"({p}, {q})"
        stride = "" if self.stride == self.pool_size else f", stride={self.stride}"
        return f"{type(self).__name__}({size}{stride})"


class MaxPool2D(Pool2D):
    """``A[y, x] = max`` of each window; backward routes ``∂L/∂A[y, x]`` to its argmax
    (the first in row-major order on ties). Its record adds ``mask``, see :attr:`mask`."""

    kind = "max_pool2d"
    _mask: Array | None = None

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        self.A_prev, self.A, self._mask = A_prev, self._compiled_forward(A_prev), None
        if self.A is not None:
            return self.A
        offsets = self._offsets(A_prev)
        # order="K": A keeps A_prev's memory layout (a convolution's (C, H, W, m)), which
        # the next convolution reads without a copy.
        A = next(offsets)[0].copy(order="K")
        for window_entry, _ in offsets:
            xp.maximum(A, window_entry, out=A)
        self.A = A
        return A

    def _compiled_forward(self, A_prev: Array) -> Array | None:
        """``A`` from the compiled kernel when ``A_prev`` is laid out ``(C, H, W, m)`` (a
        convolution's output), in that layout too; else ``None``. One pass over the
        batch, where the loop over offsets reads ``A`` and writes it ``p · q`` times."""
        (C, H_out, W_out), m = self.output_shape, A_prev.shape[0]
        A = xp.empty((C, H_out, W_out, m), dtype=A_prev.dtype)
        arrays = (A_prev.transpose(1, 2, 3, 0), A)
        if not run_compiled("max_pool_forward", arrays, flat=False, sizes=self._sizes):
            return None
        return A.transpose(3, 0, 1, 2)

    @property
    def _sizes(self) -> tuple[int, int, int, int]:
        return (*self.pool_size, *self.stride)

    def _route(self, dA: Array) -> Array:
        assert self.A_prev is not None and self.A is not None, "backward before forward"
        X, A = self.A_prev.transpose(1, 2, 3, 0), self.A.transpose(1, 2, 3, 0)
        if compiled("max_pool_backward") is not None and X.flags.c_contiguous:
            # The kernel's loop, on (C, H, W, m) arrays; ∂L/∂A from a Dense layer through
            # Flatten is (m, C, H, W) and is copied (a pooled map: the smallest array here).
            dX = xp.zeros(X.shape, dtype=dA.dtype)
            arrays = (X, A, xp.ascontiguousarray(dA.transpose(1, 2, 3, 0)), dX)
            if run_compiled("max_pool_backward", arrays, flat=False, sizes=self._sizes):
                return dX.transpose(3, 0, 1, 2)
        dA_prev = xp.zeros_like(self.A_prev, dtype=dA.dtype)
        # The gradient not yet routed: the first entry of a window that equals its max
        # takes it all and leaves zero for later ties, as PyTorch does.
        # Laid out as A (and A_prev) are, so that every pass below walks memory in order.
        left = xp.empty_like(self.A, dtype=dA.dtype)
        left[...] = dA
        offsets, tiled = list(self._offsets(self.A_prev)), self._tiled
        for k, (window_entry, index) in enumerate(offsets):
            if tiled:  # each entry in one window at most: write, don't add
                routed = xp.multiply(left, window_entry == self.A, out=dA_prev[index])
            else:
                routed = left * (window_entry == self.A)
                dA_prev[index] += routed
            if k < len(offsets) - 1:
                left -= routed  # exactly 0 where routed, as x − x = 0
        return dA_prev

    @property
    def mask(self) -> Array | None:
        """``M``, of ``A_prev``'s shape: how many windows took each entry as their max
        (0 or 1 when windows do not overlap), so that ``∂L/∂A_prev = M ⊙ upsample(∂L/∂A)``
        for tiled windows. Computed from the last forward pass when first read."""
        if self.A is None:
            return None
        if self._mask is None:
            self._mask = self._route(xp.ones_like(self.A))
        return self._mask

    def forward_record(self) -> dict[str, Array | None]:
        """``A`` and the max mask ``M`` (:attr:`mask`)."""
        return {"A": self.A, "mask": self.mask}

    def notation(self, key: str, l: int) -> str:
        if key == "A":
            return f"maxpool(A^[{l}])"
        return f"M_max^[{l}]" if key == "mask" else super().notation(key, l)


class AvgPool2D(Pool2D):
    """``A[y, x] =`` the mean of each window; backward spreads ``∂L/∂A[y, x]`` evenly over
    its ``p · q`` entries."""

    kind = "avg_pool2d"

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        offsets = self._offsets(A_prev)
        A = next(offsets)[0].copy(order="K")  # A_prev's layout, as MaxPool2D keeps it
        for window_entry, _ in offsets:
            A += window_entry
        A *= 1 / (self.pool_size[0] * self.pool_size[1])
        self.A_prev, self.A = A_prev, A
        return A

    def _route(self, dA: Array) -> Array:
        assert self.A_prev is not None, "backward before forward"
        share = dA * (1 / (self.pool_size[0] * self.pool_size[1]))
        dA_prev, tiled = xp.zeros_like(self.A_prev, dtype=dA.dtype), self._tiled
        for _, index in self._offsets(self.A_prev):
            if tiled:
                dA_prev[index] = share
            else:
                dA_prev[index] += share
        return dA_prev

    def notation(self, key: str, l: int) -> str:
        return f"avgpool(A^[{l}])" if key == "A" else super().notation(key, l)
