"""The trace: every number of forward propagation, the loss, backpropagation and the
update, step by step, in the documents' notation and orientation.

The trace is not a second implementation: each step runs the network's own ``forward``,
``cost``, ``backward`` and the optimizer's ``step`` (exactly what :func:`~glassnet.fit`
runs) and reads the record each layer keeps of its last pass. Only the orientation
changes: the documents put samples in columns, so ``Z^[l]``, ``A^[l]`` and ``δ^[l]`` are
shown ``n_l × m`` (the transposes of the arrays), and ``∂L/∂b^[l]`` and ``b^[l]`` as
``n_l × 1`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..optimizers import SGD, Optimizer

if TYPE_CHECKING:
    from ..network import Network

Matrix = list[list[float]]


def _matrix(array: Any) -> Matrix:
    return np.asarray(array, dtype=np.float64).tolist()


def _column(vector: Any) -> Matrix:
    return _matrix(np.asarray(vector).reshape(-1, 1))


@dataclass
class TraceStep:
    """One step: the forward pass, the loss, the backward pass and the updated parameters."""

    step: int
    forward: list[dict[str, Any]]
    loss: float
    backward: list[dict[str, Any]]
    params: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "forward": self.forward,
            "loss": self.loss,
            "backward": self.backward,
            "params": self.params,
        }


@dataclass
class Trace:
    """The record of :func:`trace`; :meth:`to_dict` is the JSON of ``glassnet trace``."""

    steps: list[TraceStep]
    X: Matrix
    """``A^[0] = X`` in the documents' orientation, ``n_0 × m``."""
    Y: Matrix
    """The targets, ``n_L × m``."""
    initial: list[dict[str, Any]]
    """The parameters before the first step, as ``params``."""
    activations: list[str]
    loss_name: str
    l2: float
    fused: bool
    """Whether ``δ^[L] = A^[L] − Y`` (sigmoid + BCE, softmax + CCE)."""
    optimizer: dict[str, Any]
    name: str = ""
    description: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"steps": [{"step", "forward", "loss", "backward", "params"}, …]}``."""
        return {"steps": [step.to_dict() for step in self.steps]}


def trace(
    network: Network,
    X: Any,
    Y: Any,
    *,
    steps: int = 1,
    optimizer: Optimizer | None = None,
    learning_rate: float = 0.1,
) -> Trace:
    """Train ``network`` for ``steps`` full-batch steps on ``(X, Y)``, recording each one.

    ``X`` is ``(m, n_0)`` and ``Y`` the targets as :meth:`Network.fit` takes them. The
    network is updated in place, as training would; pass ``network.astype(...)`` to keep
    the original. Without ``optimizer``, plain gradient descent with ``learning_rate``.
    """
    X = network.check_X(X)
    Y = network.check_y(Y, X.shape[0])
    optimizer = optimizer if optimizer is not None else SGD(learning_rate)
    dense = network.parametric_layers()
    initial = _params(network)
    record = []
    for step in range(1, steps + 1):
        # The step of fit; the record is read from the layers after it (the update changes
        # W and b, not the Z, A, δ, ∂L/∂W and ∂L/∂b that the step stored).
        loss = network.train_step(X, Y, optimizer)
        forward = [
            {"layer": l, "Z": _matrix(d.Z.T), "A": _matrix(d.A.T)} for l, d in _numbered(dense)
        ]
        backward = [
            {"layer": l, "delta": _matrix(d.delta.T), "dW": _matrix(d.dW), "db": _column(d.db)}
            for l, d in reversed(_numbered(dense))
        ]
        record.append(TraceStep(step, forward, loss, backward, _params(network)))
    return Trace(
        steps=record,
        X=_matrix(X.T),
        Y=_matrix(Y.T),
        initial=initial,
        activations=[d.activation.name if d.activation else d.kind for d in dense],
        loss_name=network.loss.name,
        l2=network.l2,
        fused=network.fused_output,
        optimizer=optimizer.config(),
    )


def _numbered(dense: list[Any]) -> list[tuple[int, Any]]:
    return list(enumerate(dense, start=1))


def _params(network: Network) -> list[dict[str, Any]]:
    return [
        {"layer": l, "W": _matrix(d.W), "b": _column(d.b)}
        for l, d in _numbered(network.parametric_layers())
    ]
