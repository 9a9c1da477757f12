"""Inverted dropout (Srivastava et al., 2014), one of document 003's regularizers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import Array, to_device
from ..validation import check_unit_interval
from .base import Layer, check_shape


class Dropout(Layer):
    """Inverted dropout: in training, zero each activation with probability ``rate`` and
    scale the survivors by ``1/(1 − rate)``, so that nothing changes at inference::

        A_out = A ⊙ M / (1 − rate)       ∂L/∂A = ∂L/∂A_out ⊙ M / (1 − rate)

    with ``M_ij ~ Bernoulli(1 − rate)`` drawn anew every forward pass from ``rng``.
    After :meth:`fix_randomness` it draws one mask and keeps it (or none at all), so that
    the cost is a fixed function of the parameters, as the gradient check needs.
    """

    kind = "dropout"
    holds_arrays = False

    def __init__(
        self, n: int | tuple[int, ...], rate: float, *, rng: np.random.Generator | None = None
    ) -> None:
        self.input_shape = self.output_shape = check_shape("n", n)
        self.rate = check_unit_interval("dropout rate", rate)
        self.rng: np.random.Generator = rng if rng is not None else np.random.default_rng()
        self.mask: Array | None = None
        self.out: Array | None = None
        # Set by fix_randomness: keep the first mask drawn, or drop nothing at all.
        self._keep_mask = self._off = False

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        if not training or self.rate == 0 or self._off:
            self.mask = None
            self.out = A_prev
            return A_prev
        if not self._keep_mask or self.mask is None or self.mask.shape != A_prev.shape:
            # Drawn on the host, from the layer's NumPy generator: a seed gives the same
            # masks on every device.
            self.mask = to_device(self.rng.random(A_prev.shape, dtype=A_prev.dtype) >= self.rate)
        out = A_prev * self.mask
        out *= 1 / (1 - self.rate)
        self.out = out
        return out

    def fix_randomness(self, rng: np.random.Generator | None) -> None:
        """Keep one mask, drawn from ``rng`` at the next forward pass; or, with ``None``,
        drop nothing (the layer passes its input through)."""
        self.mask = None
        self._off = rng is None
        self._keep_mask = rng is not None
        if rng is not None:
            self.rng = rng

    def backward(self, dA: Array) -> Array | None:
        if not self.propagate_input_grad:  # input dropout: nothing below learns
            return None
        if self.mask is None:
            return dA
        dA *= self.mask
        dA *= 1 / (1 - self.rate)
        return dA

    def forward_record(self) -> dict[str, Array | None]:
        """The mask ``M`` (``None`` when nothing was dropped) and the output."""
        return {"mask": self.mask, "A": self.out}

    def notation(self, key: str, l: int) -> str:
        return f"dropout(A^[{l}])" if key == "A" else super().notation(key, l)

    def config(self) -> dict[str, Any]:
        n = self.input_shape[0] if len(self.input_shape) == 1 else list(self.input_shape)
        return {"type": self.kind, "n": n, "rate": self.rate}

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Dropout:
        return cls(config["n"], config["rate"], rng=rng)

    def __repr__(self) -> str:
        n = self.input_shape[0] if len(self.input_shape) == 1 else self.input_shape
        return f"Dropout({n}, rate={self.rate})"
