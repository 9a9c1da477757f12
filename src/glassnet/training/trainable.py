"""What training needs of a network, as a protocol: the loop, the callbacks, the
checkpoints and the divergence search call these methods and nothing else.

:class:`~glassnet.network.Network` has them all. Naming the protocol rather than the
class keeps this package below the network in the layers of the house: a network can
offer ``fit`` as a method, and a new kind of network trains without changes here.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

import numpy as np

from ..backend import Array
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
    ) -> float: ...

    def parameters(self) -> list[tuple[str, Array]]: ...

    def buffers(self) -> list[tuple[str, Array]]: ...

    def numbered_layers(self) -> list[tuple[int, Layer]]: ...

    def astype(self, dtype: str) -> Self: ...


__all__ = ["Trainable"]
