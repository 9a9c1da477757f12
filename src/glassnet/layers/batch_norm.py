"""Batch normalization (Ioffe & Szegedy, 2015), the step a :class:`~glassnet.layers.Dense`
layer takes between ``Z`` and its activation when built with ``batch_norm=True``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import Array, xp
from .base import Layer, as_parameter


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
    ARRAYS = ("gamma", "beta", "running_mean", "running_var")
    """The names of its ``params`` and ``buffers``, each of shape ``(n,)``."""

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
        self.input_shape = self.output_shape = (int(n),)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        if not 0 < self.momentum <= 1:
            raise ValueError(f"batch norm momentum must be in (0, 1], got {momentum!r}")
        if not 0 < self.epsilon < math.inf:  # √(σ² + ε) must stay a positive number
            raise ValueError(f"batch norm epsilon must be a finite number > 0, got {epsilon!r}")
        dtype = np.dtype(dtype)

        def vector(value: Any, name: str, fill: float) -> Array:
            return as_parameter(
                xp.full(self.n_in, fill, dtype) if value is None else value,
                (self.n_in,),
                name,
                dtype,
            )

        self.gamma, self.beta = vector(gamma, "gamma", 1.0), vector(beta, "beta", 0.0)
        self.running_mean = vector(running_mean, "running_mean", 0.0)
        self.running_var = vector(running_var, "running_var", 1.0)
        if (self.running_var < 0).any():  # a variance; a negative one gives NaN outputs
            raise ValueError("batch norm running_var must be ≥ 0 (it is a variance)")
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

    def backward(self, dout: Array) -> Array | None:
        assert self.Z_hat is not None and self.inv_std is not None, "backward before forward"
        m = dout.shape[0]
        xp.sum(dout, axis=0, out=self.dbeta)
        xp.sum(dout * self.Z_hat, axis=0, out=self.dgamma)
        if not self.propagate_input_grad:  # the network's first layer: nothing below
            return None
        dZ = dout * m
        dZ -= self.dbeta
        dZ -= self.Z_hat * self.dgamma
        dZ *= self.gamma * self.inv_std / m
        return dZ

    @property
    def min_batch_size(self) -> int:
        return 2

    def notation(self, key: str, l: int) -> str:
        # As a layer of its own, batch norm normalizes A^[l−1] rather than a Z.
        names = {"Z_hat": f"x̂^[{l}]", "BN": f"A^[{l}]"}
        return names[key] if key in names else super().notation(key, l)

    def forward_record(self) -> dict[str, Array | None]:
        return {"Z_hat": self.Z_hat, "BN": self.out}

    def backward_record(self) -> dict[str, Array | None]:
        return {"dgamma": self.dgamma, "dbeta": self.dbeta}

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "n": self.n_in,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> BatchNorm:
        return cls(
            config["n"],
            momentum=config["momentum"],
            epsilon=config["epsilon"],
            **{name: arrays.get(name) for name in cls.ARRAYS},
            dtype=dtype,
        )

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        return dict.fromkeys(cls.ARRAYS, (int(config["n"]),))

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_in}, momentum={self.momentum}, epsilon={self.epsilon})"
