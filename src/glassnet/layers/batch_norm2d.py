"""Batch normalization over channels, for the feature maps of a convolutional network.

Each channel ``c`` is one feature seen at every position of every sample: its mean and
variance are taken over the batch and the positions, ``m·H·W`` values, and it has one
``γ_c`` and one ``β_c`` (Ioffe & Szegedy, 2015, §3.2). With the channels as columns,
``(m, C, H, W) → (m·H·W, C)``, this is exactly :class:`~glassnet.layers.BatchNorm` of
``C`` features over ``m·H·W`` rows, and the layer computes it so: the same equations,
forward and backward, and the same running averages (PyTorch's momentum convention,
with the biased batch variance)::

    μ_c = mean of x[:, c, :, :]      σ²_c = mean of (x[:, c, :, :] − μ_c)²
    x̂ = (x − μ_c) / √(σ²_c + ε)      out = γ_c x̂ + β_c
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import Array
from .base import Layer, is_count, shape_from_entry
from .batch_norm import BatchNorm
from .windows import as_pair


def _rows(A: Array) -> Array:
    """``(m, C, H, W)`` → ``(m·H·W, C)``: one row per sample and position."""
    return A.transpose(0, 2, 3, 1).reshape(-1, A.shape[1])


def _maps(rows: Array, shape: tuple[int, ...]) -> Array:
    """The inverse of :func:`_rows`, as a view: ``(m·H·W, C)`` → ``(m, C, H, W)``."""
    m, C, H, W = shape
    return rows.reshape(m, H, W, C).transpose(0, 3, 1, 2)


class BatchNorm2D(Layer):
    """Batch normalization of each channel over the batch and the positions.

    Parameters
    ----------
    channels:
        ``C``, the channels of the input ``(m, C, H, W)``.
    input_size:
        The input's ``(H, W)``: sets ``input_shape = output_shape = (C, H, W)`` at once.
        Without it the network sets them through :meth:`connect`.
    momentum, epsilon, gamma, beta, running_mean, running_var, dtype:
        As :class:`~glassnet.layers.BatchNorm` takes them, each vector of shape ``(C,)``.
    """

    kind = "batch_norm2d"

    def __init__(
        self,
        channels: int,
        *,
        input_size: int | tuple[int, int] | None = None,
        momentum: float = 0.1,
        epsilon: float = 1e-5,
        gamma: Any = None,
        beta: Any = None,
        running_mean: Any = None,
        running_var: Any = None,
        dtype: np.dtype[Any] | str = "float32",
    ) -> None:
        if not is_count(channels):
            raise ValueError(f"a BatchNorm2D layer needs an integer channels ≥ 1, got {channels!r}")
        self.channels = int(channels)
        self.norm = BatchNorm(
            self.channels,
            momentum=momentum,
            epsilon=epsilon,
            gamma=gamma,
            beta=beta,
            running_mean=running_mean,
            running_var=running_var,
            dtype=dtype,
        )
        self.Z_hat: Array | None = None
        self.out: Array | None = None
        if input_size is not None:
            self.connect((self.channels, *as_pair("input_size", input_size, low=1)))

    def connect(self, input_shape: tuple[int, ...]) -> None:
        """Set ``input_shape = output_shape = (C, H, W)``, or check them; a ValueError
        names this layer and both shapes when the input does not fit."""
        shape = tuple(int(n) for n in input_shape)
        if len(shape) != 3 or shape[0] != self.channels or min(shape) < 1:
            raise ValueError(
                f"{self!r} expects inputs of shape ({self.channels}, height, width), but the "
                f"layer below gives outputs of shape {shape}"
            )
        if self.sized:
            super().connect(shape)
            return
        self.input_shape = self.output_shape = shape

    @property
    def momentum(self) -> float:
        return self.norm.momentum

    @property
    def epsilon(self) -> float:
        return self.norm.epsilon

    @property
    def params(self) -> dict[str, Array]:
        return self.norm.params

    @property
    def grads(self) -> dict[str, Array]:
        return self.norm.grads

    @property
    def buffers(self) -> dict[str, Array]:
        return self.norm.buffers

    def bind(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Hold ``params`` and ``grads`` (views of the network's flat buffers) instead of
        the own arrays."""
        self.norm.gamma, self.norm.beta = params["gamma"], params["beta"]
        self.norm.dgamma, self.norm.dbeta = grads["gamma"], grads["beta"]

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """``out = γ x̂ + β`` per channel, with the batch's statistics over ``(m, H, W)``
        when training and the running ones otherwise."""
        self.norm.forward(_rows(A_prev), training)
        assert self.norm.Z_hat is not None and self.norm.out is not None
        self.Z_hat = _maps(self.norm.Z_hat, A_prev.shape)
        self.out = _maps(self.norm.out, A_prev.shape)
        return self.out

    def backward(self, dA: Array) -> Array | None:
        """``∂L/∂γ``, ``∂L/∂β`` and ``∂L/∂x`` by :meth:`BatchNorm.backward` on the rows."""
        self.norm.propagate_input_grad = self.propagate_input_grad
        dx = self.norm.backward(_rows(dA))
        return None if dx is None else _maps(dx, dA.shape)

    @property
    def min_batch_size(self) -> int:
        # The statistics need 2 values per channel: one sample has H·W of them.
        return 2 if not self.sized or self.input_shape[1] * self.input_shape[2] < 2 else 1

    def notation(self, key: str, l: int) -> str:
        return self.norm.notation(key, l)

    def forward_record(self) -> dict[str, Array | None]:
        """``x̂^[l]`` and ``A^[l] = γ x̂ + β``, each ``(m, C, H, W)``."""
        return {"Z_hat": self.Z_hat, "BN": self.out}

    def backward_record(self) -> dict[str, Array | None]:
        return self.norm.backward_record()

    def config(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "channels": self.channels,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "input_size": self.input_shape_entry(start=1),
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> BatchNorm2D:
        return cls(
            config["channels"],
            input_size=shape_from_entry(config.get("input_size")),
            momentum=config["momentum"],
            epsilon=config["epsilon"],
            **{name: arrays.get(name) for name in BatchNorm.ARRAYS},
            dtype=dtype,
        )

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        return dict.fromkeys(BatchNorm.ARRAYS, (int(config["channels"]),))

    def __repr__(self) -> str:
        size = f", input_size={self.input_shape[1:]}" if self.sized else ""
        return (
            f"BatchNorm2D({self.channels}{size}, momentum={self.momentum}, epsilon={self.epsilon})"
        )
