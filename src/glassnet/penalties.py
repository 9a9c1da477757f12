"""The regularization terms of document 001's cost, the half of
:class:`~glassnet.network.Network` that knows ``λ`` and ``λ₁``::

    J = L + λ/(2m) Σ_l ‖W^[l]‖² + λ₁/m Σ_l |W^[l]|
    ∂J/∂W^[l] = ∂L/∂W^[l] + (λ/m) W^[l] + (λ₁/m) sign(W^[l])
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from .backend import Array, xp

if TYPE_CHECKING:
    from .layers import Layer


class Penalties:
    """The L2 and L1 terms over the ``regularized`` parameters of ``layers``."""

    layers: list[Layer]
    l2: float
    l1: float

    def on_device(self) -> AbstractContextManager[None]:
        """Where the terms are computed (the network's device: see glassnet.devices)."""
        return nullcontext()

    def penalty(self, m: int) -> float:
        """The regularization terms ``λ/(2m) Σ‖W‖² + λ₁/m Σ|W|`` for a batch of ``m``."""
        return sum(self.penalty_terms(m).values())

    def penalty_terms(self, m: int) -> dict[str, float]:
        """``{"l2": λ/(2m) Σ_l ‖W^[l]‖², "l1": λ₁/m Σ_l |W^[l]|}`` for a batch of ``m``."""
        Ws = [W for W, _ in self._regularized()] if self.l1 or self.l2 else []
        with self.on_device():
            l2 = sum(float(xp.vdot(W, W)) for W in Ws) if self.l2 else 0.0
            l1 = sum(float(xp.abs(W).sum()) for W in Ws) if self.l1 else 0.0
        return {"l2": self.l2 / (2 * m) * l2, "l1": self.l1 / m * l1}

    def _regularized(self) -> list[tuple[Array, Array]]:
        """``(W, ∂J/∂W)`` of every parameter the L1 and L2 terms apply to."""
        return [
            (layer.params[name], layer.grads[name])
            for layer in self.layers
            for name in layer.regularized
        ]

    def regularize_gradients(self, m: int) -> None:
        """``∂J/∂W += (λ/m) W + (λ₁/m) sign(W)``: the penalty's part of BP step 4."""
        with self.on_device():
            for W, dW in self._regularized():
                if self.l2:
                    dW += (self.l2 / m) * W
                if self.l1:
                    dW += (self.l1 / m) * xp.sign(W)
