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
    """A step of the forward pass, with ``forward`` and ``backward`` and named arrays.

    ``params`` are what training updates (with ``grads`` beside them, same keys);
    ``buffers`` are state that is learned but not by gradient descent (batch norm's
    running statistics). Both are saved with a model; ``config()`` rebuilds the rest.
    """

    kind: str = "layer"
    n_in: int
    n_out: int

    @property
    def params(self) -> dict[str, Array]:
        return {}

    @property
    def grads(self) -> dict[str, Array]:
        return {}

    @property
    def buffers(self) -> dict[str, Array]:
        return {}

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """Compute this layer's output from ``A_prev`` of shape ``(m, n_in)``, caching what
        backward needs (BP step 1)."""
        raise NotImplementedError

    def backward(self, dA: Array) -> Array | None:
        """Given ``∂L/∂A`` of this layer's output, fill ``grads`` and return ``∂L/∂A_prev``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The settings that rebuild this layer with :func:`layer_from_config`."""
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
    batch_norm:
        Normalize ``Z`` over the batch before the activation, ``A = f(BN(Z))`` (Ioffe &
        Szegedy, 2015): ``True`` or a :class:`BatchNorm`.
    rng:
        The generator that draws ``W`` when it is not given.
    dtype:
        ``float32`` or ``float64``.
    """

    kind = "dense"

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
        if batch_norm is True:
            batch_norm = BatchNorm(self.n_out, dtype=dtype)
        self.norm: BatchNorm | None = batch_norm or None
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

    @property
    def delta(self) -> Array | None:
        """The documents' ``δ^[l]`` of the last backward pass (per sample: ``m · ∂L/∂Z``)."""
        return None if self.dZ is None else self.dZ * self.dZ.shape[0]

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """``Z = A_prev Wᵀ + b`` (eq. 1, transposed), ``A = f(Z)`` (eq. 2), or ``f(BN(Z))``."""
        Z = A_prev @ self.W.T
        Z += self.b
        self.A_prev, self.Z = A_prev, Z
        self.A = self.activation.forward(Z if self.norm is None else self.norm.forward(Z, training))
        return self.A

    def backward(self, dA: Array) -> Array | None:
        """BP step 3: ``∂L/∂Z = ∂L/∂A ⊙ f'(Z)``, then :meth:`backward_dZ`."""
        assert self.Z is not None and self.A is not None, "backward before forward"
        if self.norm is None:
            return self.backward_dZ(self.activation.backward(dA, self.Z, self.A))
        assert self.norm.out is not None
        return self.backward_dZ(
            self.norm.backward(self.activation.backward(dA, self.norm.out, self.A))
        )

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
        return {
            "type": self.kind,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "activation": self.activation.config(),
            "init": self.init,
            "batch_norm": None if self.norm is None else self.norm.config(),
        }

    def __repr__(self) -> str:
        norm = ", batch_norm=True" if self.norm is not None else ""
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r}{norm})"


class BatchNorm(Layer):
    """Batch normalization of each feature over the batch, then a learned scale and shift::

        μ = (1/m) Σ_i z_i      σ² = (1/m) Σ_i (z_i − μ)²      ẑ = (z − μ) / √(σ² + ε)
        out = γ ẑ + β

    Backward, for ``g = ∂L/∂out``: ``∂L/∂γ = Σ_i g ẑ``, ``∂L/∂β = Σ_i g``, and
    ``∂L/∂z = (γ / (m √(σ² + ε))) (m g − Σ_i g − ẑ Σ_i g ẑ)``.

    At inference ``μ`` and ``σ²`` are running averages kept during training,
    ``running ← (1 − momentum) · running + momentum · batch`` (PyTorch's convention, with
    the biased batch variance as Keras keeps it).
    """

    kind = "batch_norm"

    def __init__(
        self,
        n: int,
        *,
        momentum: float = 0.1,
        epsilon: float = 1e-5,
        gamma: Any = None,
        beta: Any = None,
        running_mean: Any = None,
        running_var: Any = None,
        dtype: np.dtype[Any] | str = "float32",
    ) -> None:
        self.n_in = self.n_out = int(n)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        if not 0 < self.momentum <= 1:
            raise ValueError(f"batch norm momentum must be in (0, 1], got {momentum!r}")
        dtype = np.dtype(dtype)

        def vector(value: Any, name: str, fill: float) -> Array:
            return _as_parameter(
                xp.full(self.n_in, fill, dtype) if value is None else value,
                (self.n_in,),
                name,
                dtype,
            )

        self.gamma, self.beta = vector(gamma, "gamma", 1.0), vector(beta, "beta", 0.0)
        self.running_mean = vector(running_mean, "running_mean", 0.0)
        self.running_var = vector(running_var, "running_var", 1.0)
        self.dgamma, self.dbeta = xp.zeros_like(self.gamma), xp.zeros_like(self.beta)
        self.Z_hat: Array | None = None
        self.inv_std: Array | None = None
        self.out: Array | None = None

    @property
    def params(self) -> dict[str, Array]:
        return {"gamma": self.gamma, "beta": self.beta}

    @property
    def grads(self) -> dict[str, Array]:
        return {"gamma": self.dgamma, "beta": self.dbeta}

    @property
    def buffers(self) -> dict[str, Array]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, Z: Array, training: bool = False) -> Array:
        if training:
            if Z.shape[0] < 2:
                raise ValueError(
                    "batch norm needs at least 2 samples per training batch: with 1 every "
                    "normalized value is 0 and nothing below it learns"
                )
            mean = Z.mean(axis=0)
            centered = Z - mean
            var = (centered * centered).mean(axis=0)
            self.running_mean += self.momentum * (mean - self.running_mean)
            self.running_var += self.momentum * (var - self.running_var)
        else:
            centered, var = Z - self.running_mean, self.running_var
        self.inv_std = 1 / xp.sqrt(var + self.epsilon)
        centered *= self.inv_std
        self.Z_hat = centered
        self.out = self.Z_hat * self.gamma + self.beta
        return self.out

    def backward(self, dout: Array) -> Array:
        assert self.Z_hat is not None and self.inv_std is not None, "backward before forward"
        m = dout.shape[0]
        xp.sum(dout, axis=0, out=self.dbeta)
        xp.sum(dout * self.Z_hat, axis=0, out=self.dgamma)
        dZ = dout * m
        dZ -= self.dbeta
        dZ -= self.Z_hat * self.dgamma
        dZ *= self.gamma * self.inv_std / m
        return dZ

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "n": self.n_in,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_in}, momentum={self.momentum}, epsilon={self.epsilon})"


class Dropout(Layer):
    """Inverted dropout: in training, zero each activation with probability ``rate`` and
    scale the survivors by ``1/(1 − rate)``, so that nothing changes at inference::

        A_out = A ⊙ M / (1 − rate)       ∂L/∂A = ∂L/∂A_out ⊙ M / (1 − rate)

    with ``M_ij ~ Bernoulli(1 − rate)`` drawn anew every forward pass from ``rng`` (or
    ``fixed_mask`` when set, which the gradient check uses to make the cost deterministic).
    """

    kind = "dropout"

    def __init__(self, n: int, rate: float, *, rng: np.random.Generator | None = None) -> None:
        self.n_in = self.n_out = int(n)
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.fixed_mask: Array | None = None
        self.mask: Array | None = None

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        if not training or self.rate == 0:
            self.mask = None
            return A_prev
        if self.fixed_mask is not None:
            self.mask = self.fixed_mask
        else:
            self.mask = self.rng.random(A_prev.shape, dtype=A_prev.dtype) >= self.rate
        out = A_prev * self.mask
        out *= 1 / (1 - self.rate)
        return out

    def backward(self, dA: Array) -> Array:
        if self.mask is None:
            return dA
        dA *= self.mask
        dA *= 1 / (1 - self.rate)
        return dA

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "n": self.n_in, "rate": self.rate}

    def __repr__(self) -> str:
        return f"Dropout({self.n_in}, rate={self.rate})"


def layer_from_config(
    config: dict[str, Any],
    arrays: dict[str, Any],
    dtype: np.dtype[Any] | str,
    rng: np.random.Generator | None = None,
) -> Layer:
    """Rebuild a layer from its :meth:`Layer.config` and its ``params`` and ``buffers``."""
    kind = config.get("type")
    if kind == Dense.kind:
        norm = config.get("batch_norm")
        batch_norm: bool | BatchNorm = False
        if norm:
            batch_norm = BatchNorm(
                config["n_out"],
                momentum=norm["momentum"],
                epsilon=norm["epsilon"],
                **{k: arrays.get(k) for k in ("gamma", "beta", "running_mean", "running_var")},
                dtype=dtype,
            )
        return Dense(
            config["n_in"],
            config["n_out"],
            config["activation"],
            init=config["init"],
            W=arrays["W"],
            b=arrays.get("b"),
            batch_norm=batch_norm,
            dtype=dtype,
        )
    if kind == Dropout.kind:
        return Dropout(config["n"], config["rate"], rng=rng)
    raise ValueError(f"unknown layer type {kind!r}; expected 'dense' or 'dropout'")


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
