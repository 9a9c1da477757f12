"""The dense layer: one layer ``l`` of the documents::

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

from ..activations import Activation, get_activation
from ..backend import Array, xp
from ..initializers import canonical_initializer_name, default_initializer, get_initializer
from .base import Layer, as_parameter, is_count
from .batch_norm import BatchNorm


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
    batch_norm:
        Normalize ``Z`` over the batch before the activation, ``A = f(BN(Z))`` (Ioffe &
        Szegedy, 2015): ``True`` or a :class:`BatchNorm`.
    rng:
        The generator that draws ``W`` when it is not given.
    dtype:
        ``float32`` or ``float64``.
    """

    kind = "dense"
    regularized = ("W",)
    activation: Activation

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str | dict[str, Any] | Activation = "relu",
        *,
        init: str | None = None,
        W: Any = None,
        b: Any = None,
        batch_norm: bool | BatchNorm = False,
        rng: np.random.Generator | None = None,
        dtype: np.dtype[Any] | str = "float32",
    ) -> None:
        sizes = (n_in, n_out)
        if not all(is_count(n) for n in sizes):
            raise ValueError(f"a Dense layer needs integers n_in ≥ 1 and n_out ≥ 1, got {sizes}")
        self.input_shape, self.output_shape = (int(n_in),), (int(n_out),)
        self.activation = get_activation(activation)
        self.init = canonical_initializer_name(init or default_initializer(self.activation.name))
        dtype = np.dtype(dtype)
        if W is None:
            draw = get_initializer(self.init)
            W = draw(
                self.n_out, self.n_in, rng if rng is not None else np.random.default_rng(), dtype
            )
        self.W: Array = as_parameter(W, (self.n_out, self.n_in), "W", dtype)
        bias = xp.zeros(self.n_out, dtype=dtype) if b is None else b
        self.b: Array = as_parameter(bias, (self.n_out,), "b", dtype)
        self.dW: Array = xp.zeros_like(self.W)
        self.db: Array = xp.zeros_like(self.b)
        if batch_norm is True:
            batch_norm = BatchNorm(self.n_out, dtype=dtype)
        self.norm: BatchNorm | None = batch_norm or None
        # The record of the last forward and backward pass (BP step 1 stores it; the
        # backward pass and the glass box read it).
        self.A_prev: Array | None = None
        self.Z: Array | None = None
        self.A: Array | None = None
        self.dZ: Array | None = None

    @property
    def params(self) -> dict[str, Array]:
        own = {"W": self.W, "b": self.b}
        return own if self.norm is None else {**own, **self.norm.params}

    @property
    def grads(self) -> dict[str, Array]:
        own = {"W": self.dW, "b": self.db}
        return own if self.norm is None else {**own, **self.norm.grads}

    @property
    def buffers(self) -> dict[str, Array]:
        return {} if self.norm is None else self.norm.buffers

    def bind(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Hold ``params`` and ``grads`` (same keys, shapes and values as :attr:`params` and
        :attr:`grads`: views of the network's flat buffers) instead of the own arrays."""
        self.W, self.b, self.dW, self.db = params["W"], params["b"], grads["W"], grads["b"]
        if self.norm is not None:
            self.norm.gamma, self.norm.beta = params["gamma"], params["beta"]
            self.norm.dgamma, self.norm.dbeta = grads["gamma"], grads["beta"]

    @property
    def delta(self) -> Array | None:
        """The documents' ``δ^[l]`` of the last backward pass (per sample: ``m · ∂L/∂Z``)."""
        return None if self.dZ is None else self.dZ * self.dZ.shape[0]

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """``Z = A_prev Wᵀ + b`` (eq. 1, transposed), ``A = f(Z)`` (eq. 2), or ``f(BN(Z))``."""
        Z = A_prev @ self.W.T
        self.A_prev, self.Z = A_prev, Z
        if self.norm is None:
            self.A = self.activation.forward_biased(Z, self.b)  # Z += b, A = f(Z): one pass
        else:
            Z += self.b
            self.A = self.activation.forward(self.norm.forward(Z, training))
        return self.A

    def backward(self, dA: Array) -> Array | None:
        """BP step 3: ``∂L/∂Z = ∂L/∂A ⊙ f'(Z)``, then :meth:`backward_dZ`."""
        assert self.Z is not None and self.A is not None, "backward before forward"
        if self.norm is None:  # δ and ∂L/∂b in one pass
            return self._backward_products(
                self.activation.backward_biased(dA, self.Z, self.A, self.db)
            )
        assert self.norm.out is not None
        dZ = self.norm.backward(self.activation.backward(dA, self.norm.out, self.A))
        assert dZ is not None, "the batch norm inside a dense layer always passes δ back"
        return self.backward_dZ(dZ)

    def backward_dZ(self, dZ: Array) -> Array | None:
        """BP step 4 from ``dZ = ∂L/∂Z = δ/m`` of shape ``(m, n_out)``.

        ``∂L/∂W = (1/m) δᵀ A_prev = dZᵀ A_prev``, ``∂L/∂b = Σ_samples dZ``, and the
        returned ``∂L/∂A_prev = dZ W`` is the ``W^[l]ᵀ δ^[l]`` of BP step 3 (over ``m``)
        for the layer below.
        """
        xp.sum(dZ, axis=0, out=self.db)
        return self._backward_products(dZ)

    def _backward_products(self, dZ: Array) -> Array | None:
        """BP step 4's two products, ``∂L/∂W = dZᵀ A_prev`` and ``∂L/∂A_prev = dZ W``."""
        assert self.A_prev is not None, "backward before forward"
        self.dZ = dZ
        xp.matmul(dZ.T, self.A_prev, out=self.dW)
        return dZ @ self.W if self.propagate_input_grad else None

    def output_problem(self) -> str | None:
        if self.norm is not None:
            return (
                "the output layer cannot have batch norm: the loss and its fused delta are "
                "defined on its Z; normalize hidden layers only"
            )
        return super().output_problem()

    @property
    def min_batch_size(self) -> int:
        return 1 if self.norm is None else 2

    def forward_record(self) -> dict[str, Array | None]:
        """``Z^[l]``, then with batch norm ``Ẑ^[l]`` and ``BN(Z^[l]) = γ Ẑ + β``, then ``A^[l]``."""
        norm = {} if self.norm is None else {"Z_hat": self.norm.Z_hat, "BN": self.norm.out}
        return {"Z": self.Z, **norm, "A": self.A}

    def backward_record(self) -> dict[str, Array | None]:
        """``δ^[l]``, ``∂L/∂W^[l]``, ``∂L/∂b^[l]`` (and ``∂L/∂γ``, ``∂L/∂β``)."""
        return {"delta": self.delta, **{f"d{name}": grad for name, grad in self.grads.items()}}

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.config(),
            "init": self.init,
            "batch_norm": None if self.norm is None else self.norm.config(),
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Dense:
        norm = config.get("batch_norm")
        batch_norm = False if not norm else BatchNorm.from_config(norm, arrays, dtype)
        return cls(
            config["n_in"],
            config["n_out"],
            config["activation"],
            init=config["init"],
            W=arrays["W"],
            b=arrays.get("b"),
            batch_norm=batch_norm,
            dtype=dtype,
        )

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        n_in, n_out = int(config["n_in"]), int(config["n_out"])
        norm = config.get("batch_norm")
        return {"W": (n_out, n_in), "b": (n_out,), **(BatchNorm.array_shapes(norm) if norm else {})}

    def __repr__(self) -> str:
        norm = ", batch_norm=True" if self.norm is not None else ""
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}{norm})"
