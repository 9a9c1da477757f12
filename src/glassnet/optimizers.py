"""Optimizers: each update rule written once, for one parameter array.

An optimizer sees only the parameters and their gradients, ``step(params, grads)``, and
updates the parameters in place. State a rule needs (a velocity, running averages) is kept
per parameter and created on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .backend import Array, xp
from .validation import check_positive_number


class Optimizer:
    """Base class: :meth:`step` applies :meth:`update` to every parameter."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_positive_number("learning_rate", learning_rate)
        self.state: dict[int, dict[str, Array]] = {}
        self.iterations = 0

    def step(self, params: Sequence[Array], grads: Sequence[Array]) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``."""
        self.iterations += 1
        for i, (theta, grad) in enumerate(zip(params, grads, strict=True)):
            self.update(theta, grad, self.state.setdefault(i, {}))

    def update(self, theta: Array, grad: Array, state: dict[str, Array]) -> None:
        """The rule for one array; ``state`` is that array's own, empty on the first step."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"name": type(self).__name__.lower(), "learning_rate": self.learning_rate}


class SGD(Optimizer):
    """Gradient descent, ``θ ← θ − α ∂J/∂θ`` (document 003).

    Batch, stochastic or mini-batch gradient descent is the batch size given to
    :func:`~glassnet.training.fit`, not a different optimizer.
    """

    def update(self, theta: Array, grad: Array, state: dict[str, Array]) -> None:
        # A per-parameter scratch array spares an allocation of |θ| floats every step.
        step = state.get("step")
        if step is None:
            step = state["step"] = xp.empty_like(theta)
        xp.multiply(grad, self.learning_rate, out=step)
        theta -= step


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD}


def get_optimizer(name: str, **settings: Any) -> Optimizer:
    """The optimizer called ``name`` with ``settings`` (``learning_rate`` …)."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; expected one of {', '.join(sorted(OPTIMIZERS))}"
        )
    return OPTIMIZERS[key](**settings)
