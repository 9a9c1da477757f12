"""Reshape: each sample's values laid out in another shape, e.g. a row of 784 pixels as the
``(1, 28, 28)`` image a convolution reads.

Like :class:`~glassnet.layers.Flatten` it learns and computes nothing: forward reshapes
``(m, *input_shape)`` to ``(m, *output_shape)`` (the same values in the same C order), and
backward reshapes ``∂L/∂A`` back. Put it first to train convolutions on a table whose
columns are an image's pixels, row by row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import Array
from .base import Layer, check_shape, shape_from_entry


class Reshape(Layer):
    """``A = reshape(A_prev, (m, *output_shape))``, and backward
    ``∂L/∂A_prev = reshape(∂L/∂A, (m, *input_shape))``."""

    kind = "reshape"
    holds_arrays = False

    def __init__(
        self, output_shape: int | tuple[int, ...], input_shape: int | tuple[int, ...] | None = None
    ) -> None:
        self.output_shape = check_shape("output_shape", output_shape)
        self.A: Array | None = None
        if input_shape is not None:
            self.connect(check_shape("input_shape", input_shape))

    def connect(self, input_shape: tuple[int, ...]) -> None:
        shape = tuple(int(n) for n in input_shape)
        if math.prod(shape) != math.prod(self.output_shape):
            raise ValueError(
                f"{self!r} lays out {math.prod(self.output_shape)} values per sample, but the "
                f"layer below gives {math.prod(shape)} (shape {shape})"
            )
        if self.sized:
            super().connect(shape)
        else:
            self.input_shape = shape

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        self.A = A_prev.reshape(A_prev.shape[0], *self.output_shape)
        return self.A

    def backward(self, dA: Array) -> Array | None:
        if not self.propagate_input_grad:
            return None
        return dA.reshape(dA.shape[0], *self.input_shape)

    def forward_record(self) -> dict[str, Array | None]:
        return {"A": self.A}

    def notation(self, key: str, l: int) -> str:
        return f"reshape(A^[{l}])" if key == "A" else super().notation(key, l)

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "output_shape": list(self.output_shape),
            "input_shape": self.input_shape_entry(),
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Reshape:
        return cls(tuple(config["output_shape"]), shape_from_entry(config.get("input_shape")))

    def __repr__(self) -> str:
        given = f", input_shape={self.input_shape}" if self.sized else ""
        return f"Reshape({self.output_shape}{given})"
