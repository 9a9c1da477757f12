"""What training needs of a network, as a protocol: the loop, the callbacks, the
checkpoints and the divergence search call these methods and nothing else.

:class:`~glassnet.network.Network` has them all. Naming the protocol rather than the
class keeps this package below the network in the layers of the house: a network can
offer ``fit`` as a method, and a new kind of network trains without changes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, Self

import numpy as np

from ..backend import Array, Flat
from ..layers import Layer
from ..losses import Loss
from ..optimizers import Optimizer


class Trainable(Protocol):
    """A network as training sees it."""

    layers: list[Layer]
    loss: Loss
    dtype: np.dtype[Any]
    last_input: Array | None
    """``A^[0]`` of the last forward pass."""

    @property
    def output_layer(self) -> Layer: ...

    def check_X(self, X: Any, name: str = "X") -> Array: ...

    def check_y(self, y: Any, n_samples: int, name: str = "y") -> Array: ...

    def forward(self, X: Array, training: bool = False) -> Array: ...

    def per_sample_loss(self, Y: Array) -> Array: ...

    def backward(
        self,
        Y: Array,
        sample_weight: Array | None = None,
        *,
        m: int | None = None,
        regularize: bool = True,
    ) -> None: ...

    def regularize_gradients(self, m: int) -> None: ...

    def penalty(self, m: int) -> float: ...

    def train_step(
        self,
        X: Array,
        Y: Array,
        optimizer: Optimizer,
        *,
        sample_weight: Array | None = None,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        stop_if_non_finite: bool = False,
        reducer: GradientSum | None = None,
    ) -> float: ...

    def parameters(self) -> list[tuple[str, Array]]: ...

    def buffers(self) -> list[tuple[str, Array]]: ...

    def numbered_layers(self) -> list[tuple[int, Layer]]: ...

    def astype(self, dtype: str) -> Self: ...


class GradientSum(Protocol):
    """Data-parallel training's part of a step (:class:`glassnet.distributed.DataParallel`):
    this process's shard ``X`` of a global batch in, the global batch's gradient in
    ``grads`` (views of ``flat``'s gradient buffer, when it has one) and cost out."""

    def gradients(
        self,
        network: Trainable,
        X: Array,
        Y: Array,
        sample_weight: Array | None,
        grads: Sequence[Array],
        flat: Flat,
    ) -> float: ...


__all__ = ["GradientSum", "Trainable"]
