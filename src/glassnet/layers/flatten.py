"""Flatten: one sample's values of any shape in one row, for the dense layers above.

It learns nothing and computes nothing: forward reshapes ``(m, *input_shape)`` to
``(m, n)`` with ``n = ∏ input_shape``, and backward reshapes ``∂L/∂A`` back, since each
output is one input unchanged (its Jacobian is the identity up to the order of entries).
Put it first to train dense layers on images stored as ``(m, height, width)``, or
between the convolutions and the dense layers of a convolutional network. Built without
``input_shape``, it takes the shape of the layer below when the network connects it
(:meth:`Layer.connect`). It is the :class:`~glassnet.layers.Reshape` whose output shape
is always ``(n,)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import Array
from .base import Layer, check_shape, shape_from_entry
from .reshape import Reshape


class Flatten(Reshape):
    """``A = reshape(A_prev, (m, n))`` and ``∂L/∂A_prev = reshape(∂L/∂A, (m, *input_shape))``."""

    kind = "flatten"

    def __init__(self, input_shape: int | tuple[int, ...] | None = None) -> None:
        self.A: Array | None = None
        if input_shape is not None:
            self.connect(check_shape("input_shape", input_shape))

    def connect(self, input_shape: tuple[int, ...]) -> None:
        """Set the input shape (any rank) and ``output_shape = (∏ input_shape,)``, or
        check it when the layer has one."""
        if self.sized:
            Layer.connect(self, input_shape)
            return
        self.input_shape = check_shape("input_shape", input_shape)
        self.output_shape = (math.prod(self.input_shape),)

    def notation(self, key: str, l: int) -> str:
        return f"flatten(A^[{l}])" if key == "A" else Layer.notation(self, key, l)

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "input_shape": self.input_shape_entry()}

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Flatten:
        # config["input_shape"]: a key every config has; None while unsized
        return cls(shape_from_entry(config["input_shape"]))

    def __repr__(self) -> str:
        return f"Flatten({self.input_shape})" if self.sized else "Flatten()"
