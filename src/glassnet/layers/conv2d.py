"""The convolutional layer: layer ``l`` of a convolutional network::

    Z^[l] = W^[l] ∗ A^[l−1] + b^[l]        A^[l] = f(Z^[l])

``A^[l−1]`` holds ``m`` samples of ``C`` channels of ``H × W`` values, ``(m, C, H, W)``;
``W^[l]`` holds ``F`` filters of ``C × kh × kw`` weights, ``(F, C, kh, kw)``; ``b^[l]`` one
bias per filter, ``(F,)``; ``Z^[l]`` and ``A^[l]`` are ``(m, F, Ho, Wo)``. These are the
layouts of PyTorch and ONNX, so weights and results compare directly. ``∗`` is the
cross-correlation that every deep-learning library calls convolution::

    Z[i, f, y, x] = Σ_{c, u, v} W[f, c, u, v] · A_prev[i, c, y·sh + u, x·sw + v] + b[f]

Backward, with ``δ^[l] = ∂L/∂Z^[l]`` per sample (``⋆`` is the correlation over the batch
and the positions, ``∗_full`` the convolution over the zero-padded ``δ``)::

    δ^[l−1] = (W^[l])^{rot180} ∗_full δ^[l] ⊙ f'(Z^[l−1])
    ∂L/∂W^[l] = (1/m) A^[l−1] ⋆ δ^[l]        ∂L/∂b^[l] = (1/m) Σ_{i, y, x} δ^[l]

**Why these are matrix products.** Lay every window of ``A^[l−1]`` that one output sees
out as a column, ``cols`` of shape ``(C·kh·kw, m·Ho·Wo)`` (im2col), and each filter as a
row of ``W_mat = W.reshape(F, C·kh·kw)``. Each output is then a filter times a window,
and the equations become the documents' dense-layer ones, with the ``Ho·Wo`` positions
of each sample as extra columns beside the samples::

    Z_mat = W_mat cols + b                          (F, m·Ho·Wo)
    ∂L/∂W_mat = dZ_mat colsᵀ                        (F, C·kh·kw)
    ∂L/∂cols = W_matᵀ dZ_mat                        (C·kh·kw, m·Ho·Wo)

The last product gives each window's share of ``∂L/∂A_prev``; adding the shares back onto
their windows (col2im, where overlapping windows sum) is exactly the full convolution of
``δ`` with the rotated kernel. As in :mod:`~glassnet.layers.dense`, the backward pass
carries ``dZ = δ/m``, the gradient of the batch's mean loss, so the products carry no
further ``1/m``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..activations import Activation, get_activation
from ..backend import Array, xp
from ..initializers import canonical_initializer_name, default_initializer, get_initializer
from ..kernels import run_compiled
from .base import Layer, as_parameter, is_count, shape_from_entry
from .windows import as_pair, col2im, im2col, output_size, pad, unpad

DIRECT_MAX_FILTERS, DIRECT_MAX_ENTRIES = 8, 32
"""The convolutions that the compiled kernels compute directly, without im2col: stride 1,
at most 8 filters of at most 32 entries. For these the im2col matrix is many times the
input and BLAS runs their skinny products far below its peak (on LeNet's first layer,
1 → 6 channels, 5 × 5, batch 512: 3.0 ms instead of 5.7 forward, 2.4 ms instead of 6.5
for ∂L/∂W). With 16 or 32 filters the kernels gained nothing overall (LeNet's 6 → 16
channels: 4.3 ms instead of 5.3 forward, but 3.6 instead of 2.8 for ∂L/∂W)."""


class Conv2D(Layer):
    """A 2-D convolution with its activation: ``A = f(W ∗ A_prev + b)``.

    Parameters
    ----------
    in_channels, out_channels:
        ``C`` and ``F``: the channels of the input and the number of filters.
    kernel_size, stride, padding:
        An int or a ``(height, width)`` pair; ``padding`` zeros go on each side.
    activation:
        A name (``'relu'``, ``'tanh'``, ...), a config dict, or an :class:`Activation`.
    input_size:
        The input's ``(H, W)``: sets ``input_shape = (C, H, W)`` and ``output_shape`` at
        once. Without it the network sets them through :meth:`connect`.
    init:
        An initializer name; by default He for the ReLU family and Xavier otherwise, with
        ``fan_in = C·kh·kw`` and ``fan_out = F·kh·kw``. Ignored when ``W`` is given.
    W, b:
        Explicit parameters, ``W`` of shape ``(F, C, kh, kw)`` and ``b`` of ``(F,)``;
        ``b`` defaults to zeros.
    rng:
        The generator that draws ``W`` when it is not given.
    dtype:
        ``float32`` or ``float64``.
    """

    kind = "conv2d"
    regularized = ("W",)
    activation: Activation

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        activation: str | dict[str, Any] | Activation = "relu",
        *,
        input_size: int | tuple[int, int] | None = None,
        init: str | None = None,
        W: Any = None,
        b: Any = None,
        rng: np.random.Generator | None = None,
        dtype: np.dtype[Any] | str = "float32",
    ) -> None:
        channels = (in_channels, out_channels)
        if not all(is_count(n) for n in channels):
            raise ValueError(
                "a Conv2D layer needs integers in_channels ≥ 1 and out_channels ≥ 1, "
                f"got {channels}"
            )
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = as_pair("kernel_size", kernel_size, low=1)
        self.stride = as_pair("stride", stride, low=1)
        self.padding = as_pair("padding", padding, low=0)
        self.activation = get_activation(activation)
        if self.activation.name == "softmax":
            raise ValueError(
                "a Conv2D layer cannot use softmax: it normalizes one sample's outputs as a "
                "vector; put Flatten and a Dense softmax layer after the convolutions"
            )
        self.init = canonical_initializer_name(init or default_initializer(self.activation.name))
        dtype = np.dtype(dtype)
        F, C, (kh, kw) = self.out_channels, self.in_channels, self.kernel_size
        if W is None:
            W = self._draw(rng if rng is not None else np.random.default_rng(), dtype)
        self.W: Array = as_parameter(W, (F, C, kh, kw), "W", dtype)
        self.b: Array = as_parameter(xp.zeros(F, dtype=dtype) if b is None else b, (F,), "b", dtype)
        self.dW: Array = xp.zeros_like(self.W)
        self.db: Array = xp.zeros_like(self.b)
        # The record of the last passes: what backward needs, and what the glass box reads.
        # cols is None after a direct pass (see DIRECT_MAX_FILTERS), which keeps A_pad.
        self.cols: Array | None = None
        self.A_pad: Array | None = None
        self.padded_shape: tuple[int, ...] = ()
        self.Z: Array | None = None
        self.A: Array | None = None
        self.dZ: Array | None = None
        if input_size is not None:
            self.connect((C, *as_pair("input_size", input_size, low=1)))

    def _draw(self, rng: np.random.Generator, dtype: np.dtype[Any]) -> Array:
        """``W`` from the initializer, with ``fan_in = C·kh·kw`` and ``fan_out = F·kh·kw``
        (as PyTorch and Keras count them for convolutions)."""
        F, C, (kh, kw) = self.out_channels, self.in_channels, self.kernel_size
        fan_in, fan_out = C * kh * kw, F * kh * kw
        # The initializers draw (n_out, n_in) matrices; drawn as (F, fan_in), He's scale
        # √(2/fan_in) is already right, Xavier's √(c/(fan_in + F)) is rescaled to fan_out.
        W = get_initializer(self.init)(F, fan_in, rng, dtype)
        if self.init.startswith("xavier"):
            W *= math.sqrt((fan_in + F) / (fan_in + fan_out))
        return W.reshape(F, C, kh, kw)

    def connect(self, input_shape: tuple[int, ...]) -> None:
        """Set ``input_shape = (C, H, W)`` and ``output_shape = (F, Ho, Wo)``, or check
        them; a ValueError names this layer and both shapes when the input does not fit."""
        shape = tuple(int(n) for n in input_shape)
        expects = f"{self!r} expects inputs of shape ({self.in_channels}, height, width)"
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise ValueError(f"{expects}, but the layer below gives outputs of shape {shape}")
        try:
            size = [
                output_size(n, k, s, p)
                for n, k, s, p in zip(
                    shape[1:], self.kernel_size, self.stride, self.padding, strict=True
                )
            ]
        except ValueError as exc:
            raise ValueError(f"{self!r} cannot take inputs of shape {shape}: {exc}") from None
        if self.sized:
            super().connect(shape)  # equal, or the base class's error with both shapes
            return
        self.input_shape = shape
        self.output_shape = (self.out_channels, *size)

    @property
    def params(self) -> dict[str, Array]:
        return {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, Array]:
        return {"W": self.dW, "b": self.db}

    def bind(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Hold ``params`` and ``grads`` (views of the network's flat buffers, same keys,
        shapes and values) instead of the own arrays."""
        self.W, self.b, self.dW, self.db = params["W"], params["b"], grads["W"], grads["b"]

    @property
    def delta(self) -> Array | None:
        """The documents' ``δ^[l]`` of the last backward pass (per sample: ``m · ∂L/∂Z``)."""
        return None if self.dZ is None else self.dZ * self.dZ.shape[0]

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """``Z = W ∗ A_prev + b`` as ``Z_mat = W_mat cols + b``, then ``A = f(Z)``."""
        (kh, kw), F = self.kernel_size, self.out_channels
        A_pad = pad(A_prev, self.padding)  # memory (C, H, W, m), see windows.pad
        m, (Ho, Wo) = A_prev.shape[0], self._output_size(A_pad.shape)
        # Z's memory is (F, Ho, Wo, m), seen as (m, F, Ho, Wo): backward and the next
        # layer's im2col (through a pooling layer, which keeps the layout) read it without
        # a copy.
        direct = self._direct_forward(A_pad) if self._direct else None
        if direct is not None:
            Z_mem, A_mem = direct
            self.cols, self.A_pad = None, A_pad  # backward reads A_pad instead of cols
        else:
            cols = im2col(A_pad, kh, kw, self.stride, out=self._cols_buffer(A_pad))
            Z_mat = self.W.reshape(F, -1) @ cols  # (F, Ho·Wo·m): one column per position
            Z_mat += self.b[:, None]
            Z_mem, A_mem = Z_mat.reshape(F, Ho, Wo, m), None
            self.cols, self.A_pad = cols, None
        self.Z = Z_mem.transpose(3, 0, 1, 2)
        self.padded_shape = A_pad.shape
        if A_mem is None:
            self.A = self.activation.forward(self.Z)
        else:
            self.A = A_mem.transpose(3, 0, 1, 2)
        return self.A

    @property
    def _direct(self) -> bool:
        """Whether the compiled kernels may convolve without im2col (DIRECT_MAX_FILTERS)."""
        (kh, kw), C = self.kernel_size, self.in_channels
        return (
            self.stride == (1, 1)
            and self.out_channels <= DIRECT_MAX_FILTERS
            and C * kh * kw <= DIRECT_MAX_ENTRIES
        )

    def _direct_forward(self, A_pad: Array) -> tuple[Array, Array | None] | None:
        """``Z`` laid out ``(F, Ho, Wo, m)`` from the compiled kernel, and for a ReLU ``A``
        too, computed from each chunk of ``Z`` while it is cached; ``None`` when the kernel
        is not compiled."""
        F, m, (Ho, Wo) = self.out_channels, A_pad.shape[0], self._output_size(A_pad.shape)
        Z = xp.empty((F, Ho, Wo, m), dtype=A_pad.dtype)
        relu = self.activation.name == "relu"
        A = xp.empty_like(Z) if relu else Z  # written only for a ReLU
        arrays = (A_pad.transpose(1, 2, 3, 0), self.W, self.b, Z, A)
        if not run_compiled("conv_forward", arrays, flat=False, sizes=(relu,)):
            return None
        return Z, A if relu else None

    def backward(self, dA: Array) -> Array | None:
        """``dZ = ∂L/∂A ⊙ f'(Z)``; then ``∂L/∂W = dZ_mat colsᵀ``, ``∂L/∂b = Σ dZ`` over
        samples and positions, and ``∂L/∂A_prev = col2im(W_matᵀ dZ_mat)``."""
        assert self.Z is not None and self.A is not None, "backward before forward"
        F, (kh, kw) = self.out_channels, self.kernel_size
        dZ = self.activation.backward(dA, self.Z, self.A)
        self.dZ = dZ
        # (F, Ho, Wo, m): a view when dZ is laid out as Z is, else one copy (not two)
        dZ_mem = xp.ascontiguousarray(dZ.transpose(1, 2, 3, 0))
        dZ_mat = dZ_mem.reshape(F, -1)
        if self.cols is None:  # a direct forward pass: the kernel reads A_pad
            assert self.A_pad is not None
            A_mem = self.A_pad.transpose(1, 2, 3, 0)
            if not run_compiled(
                "conv_weight_grad", (A_mem, dZ_mem, self.dW), flat=False
            ):  # compiling switched off since the forward pass
                self.cols = im2col(self.A_pad, kh, kw, self.stride)
        if self.cols is not None:
            # ∂L/∂W_matᵀ = cols dZ_matᵀ: the same product as dZ_mat colsᵀ, which BLAS runs
            # 1.5–2× faster in this order for these shapes (a long inner dimension, a
            # small result).
            xp.copyto(self.dW, (self.cols @ dZ_mat.T).T.reshape(self.dW.shape))
        xp.sum(dZ_mat, axis=1, out=self.db)
        if not self.propagate_input_grad:  # nothing below learns: skip the widest product
            return None
        dcols = self.W.reshape(F, -1).T @ dZ_mat
        return unpad(col2im(dcols, self.padded_shape, kh, kw, self.stride), self.padding)

    def _cols_buffer(self, A_pad: Array) -> Array:
        """The last pass's ``cols`` when it has this pass's shape and dtype, else a new
        array: im2col writes into it, which spares the allocator ten megabytes of fresh
        pages per step (their first touch costs as much as the copy)."""
        (kh, kw), (Ho, Wo) = self.kernel_size, self._output_size(A_pad.shape)
        shape = (A_pad.shape[1] * kh * kw, Ho * Wo * A_pad.shape[0])
        cols = self.cols
        if cols is None or cols.shape != shape or cols.dtype != A_pad.dtype:
            cols = xp.empty(shape, dtype=A_pad.dtype)
        return cols

    def _output_size(self, padded_shape: tuple[int, ...]) -> tuple[int, int]:
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return (padded_shape[2] - kh) // sh + 1, (padded_shape[3] - kw) // sw + 1

    @property
    def values_per_sample(self) -> int:
        """The output and im2col's windows: ``C·kh·kw`` numbers per output position."""
        (kh, kw), (_, Ho, Wo) = self.kernel_size, self.output_shape
        return max(self.n_out, self.in_channels * kh * kw * Ho * Wo)

    def output_problem(self) -> str | None:
        return (
            "a conv2d layer cannot be the output layer: its A is a stack of feature maps, "
            "not one prediction per sample; put Flatten and a Dense layer after it"
        )

    def forward_record(self) -> dict[str, Array | None]:
        """``Z^[l]``, then ``A^[l]``, each ``(m, F, Ho, Wo)``."""
        return {"Z": self.Z, "A": self.A}

    def backward_record(self) -> dict[str, Array | None]:
        """``δ^[l]``, ``∂L/∂W^[l]``, ``∂L/∂b^[l]``."""
        return {"delta": self.delta, "dW": self.dW, "db": self.db}

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "activation": self.activation.config(),
            "init": self.init,
            "input_size": self.input_shape_entry(start=1),
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Conv2D:
        return cls(
            config["in_channels"],
            config["out_channels"],
            tuple(config["kernel_size"]),
            tuple(config["stride"]),
            tuple(config["padding"]),
            config["activation"],
            input_size=shape_from_entry(config.get("input_size")),
            init=config["init"],
            W=arrays["W"],
            b=arrays.get("b"),
            dtype=dtype,
        )

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        F, C = int(config["out_channels"]), int(config["in_channels"])
        kh, kw = as_pair("kernel_size", config["kernel_size"], low=1)
        return {"W": (F, C, kh, kw), "b": (F,)}

    def __repr__(self) -> str:
        def shown(pair: tuple[int, int]) -> str:
            return str(pair[0]) if pair[0] == pair[1] else str(pair)

        text = f"Conv2D({self.in_channels}, {self.out_channels}, {shown(self.kernel_size)}"
        if self.stride != (1, 1):
            text += f", stride={shown(self.stride)}"
        if self.padding != (0, 0):
            text += f", padding={shown(self.padding)}"
        text += f", activation={self.activation.name!r}"
        if self.sized:
            text += f", input_size={self.input_shape[1:]}"
        return text + ")"
