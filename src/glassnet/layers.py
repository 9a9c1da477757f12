"""Layers: each one's forward pass and backward pass side by side.

A :class:`Dense` layer is one layer ``l`` of the documents::

    Z^[l] = W^[l] A^[l−1] + b^[l]        A^[l] = f(Z^[l])

with ``W^[l]`` of shape ``(n_l, n_{l−1})`` (the orientation of PyTorch's
``nn.Linear.weight``) and ``b^[l]`` of shape ``(n_l,)``.

The documents put samples in columns (``Z^[l]`` is ``n_l × m``). Arrays here put samples
in rows, the convention of NumPy, scikit-learn and PyTorch, and the one that lets BLAS
read every operand without a copy; each array is the transpose of the documents' matrix,
so the same equations read::

    Zᵀ = Aᵀ_prev Wᵀ + bᵀ               δ_prevᵀ = (δᵀ W) ⊙ f'(Z_prevᵀ)
    ∂L/∂W = (1/m) δ A_prevᵀ  =  (1/m) (δᵀ)ᵀ A_prevᵀ

The backward pass carries ``dZ = ∂L/∂Z = δ/m``, the gradient of the batch's mean loss,
rather than the documents' per-sample ``δ``. The two differ by the constant ``1/m`` and
every step of BP is linear in them, so ``∂L/∂W = dZᵀ A_prev`` exactly; applying ``1/m``
once to the output's ``δ^[L]`` (``m × n_L`` numbers) spares a pass over every ``dW``
(``n_l × n_{l−1}``) each step. :attr:`Dense.delta` gives the documents' ``δ`` back.

The glass-box views transpose them back into the documents' orientation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .backend import Array, xp
from .initializers import canonical_initializer_name, default_initializer, get_initializer


class Layer:
    """A step of the forward pass, with ``forward`` and ``backward`` and named parameters."""

    params: dict[str, Array]
    grads: dict[str, Array]

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """Compute this layer's output from ``A_prev`` of shape ``(m, n_in)``, caching what
        backward needs (BP step 1)."""
        raise NotImplementedError

    def backward(self, dA: Array) -> Array | None:
        """Given ``∂L/∂A`` of this layer's output, fill ``grads`` and return ``∂L/∂A_prev``."""
        raise NotImplementedError


class Dense(Layer):
    """A fully connected layer with its activation: ``A = f(W A_prev + b)``.

    Parameters
    ----------
    n_in, n_out:
        ``n_{l−1}`` and ``n_l``.
    activation:
        A name (``'relu'``, ``'sigmoid'``, ...), a config dict, or an :class:`Activation`.
    init:
        An initializer name (``'he_normal'``, ``'xavier_uniform'``, ...); by default He for
        the ReLU family and Xavier otherwise. Ignored when ``W`` is given.
    W, b:
        Explicit parameters, ``W`` of shape ``(n_out, n_in)`` and ``b`` of ``(n_out,)`` or
        ``(n_out, 1)``; ``b`` defaults to zeros.
    rng:
        The generator that draws ``W`` when it is not given.
    dtype:
        ``float32`` or ``float64``.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | dict[str, Any] | Activation = "relu",
        *,
        init: str | None = None,
        W: Any = None,
        b: Any = None,
        rng: np.random.Generator | None = None,
        dtype: np.dtype[Any] | str = "float32",
    ) -> None:
        self.n_in, self.n_out = int(n_in), int(n_out)
        if self.n_in < 1 or self.n_out < 1:
            raise ValueError(f"a Dense layer needs n_in ≥ 1 and n_out ≥ 1, got {n_in} and {n_out}")
        self.activation = get_activation(activation)
        self.init = canonical_initializer_name(init or default_initializer(self.activation.name))
        dtype = np.dtype(dtype)
        if W is None:
            draw = get_initializer(self.init)
            W = draw(
                self.n_out, self.n_in, rng if rng is not None else np.random.default_rng(), dtype
            )
        self.W: Array = _as_parameter(W, (self.n_out, self.n_in), "W", dtype)
        bias = xp.zeros(self.n_out, dtype=dtype) if b is None else b
        self.b: Array = _as_parameter(bias, (self.n_out,), "b", dtype)
        self.dW: Array = xp.zeros_like(self.W)
        self.db: Array = xp.zeros_like(self.b)
        # The first layer has no layer below it to send ∂L/∂A_prev to; skipping that
        # product saves the widest of the backward pass's matrix multiplications.
        self.propagate_input_grad = True
        # The record of the last forward and backward pass (BP step 1 stores it; the
        # backward pass and the glass box read it).
        self.A_prev: Array | None = None
        self.Z: Array | None = None
        self.A: Array | None = None
        self.dZ: Array | None = None

    @property
    def params(self) -> dict[str, Array]:  # type: ignore[override]
        return {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, Array]:  # type: ignore[override]
        return {"W": self.dW, "b": self.db}

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """``Z = A_prev Wᵀ + b`` (eq. 1, transposed), ``A = f(Z)`` (eq. 2)."""
        Z = A_prev @ self.W.T
        Z += self.b
        self.A_prev, self.Z = A_prev, Z
        self.A = self.activation.forward(Z)
        return self.A

    @property
    def delta(self) -> Array | None:
        """The documents' ``δ^[l]`` of the last backward pass (per sample: ``m · ∂L/∂Z``)."""
        return None if self.dZ is None else self.dZ * self.dZ.shape[0]

    def backward(self, dA: Array) -> Array | None:
        """BP step 3: ``∂L/∂Z = ∂L/∂A ⊙ f'(Z)``, then :meth:`backward_dZ`."""
        assert self.Z is not None and self.A is not None, "backward before forward"
        return self.backward_dZ(self.activation.backward(dA, self.Z, self.A))

    def backward_dZ(self, dZ: Array) -> Array | None:
        """BP step 4 from ``dZ = ∂L/∂Z = δ/m`` of shape ``(m, n_out)``.

        ``∂L/∂W = (1/m) δᵀ A_prev = dZᵀ A_prev``, ``∂L/∂b = Σ_samples dZ``, and the
        returned ``∂L/∂A_prev = dZ W`` is the ``W^[l]ᵀ δ^[l]`` of BP step 3 (over ``m``)
        for the layer below.
        """
        assert self.A_prev is not None, "backward before forward"
        self.dZ = dZ
        xp.matmul(dZ.T, self.A_prev, out=self.dW)
        xp.sum(dZ, axis=0, out=self.db)
        return dZ @ self.W if self.propagate_input_grad else None

    def config(self) -> dict[str, Any]:
        """The settings that rebuild this layer (parameters aside)."""
        return {
            "type": "dense",
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.config(),
            "init": self.init,
        }

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r})"


def _as_parameter(value: Any, shape: tuple[int, ...], name: str, dtype: np.dtype[Any]) -> Array:
    """A fresh, contiguous copy of ``value`` with the expected shape, or a clear error."""
    array = xp.array(value, dtype=dtype)
    if name == "b" and array.shape == (shape[0], 1):
        array = array.reshape(shape)  # the documents' column vector
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not xp.all(xp.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return xp.ascontiguousarray(array)
