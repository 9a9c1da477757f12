"""Activation functions ``A = f(Z)`` with their derivatives, side by side.

Each activation is one small class: ``forward`` computes ``A = f(Z)`` and ``backward``
turns ``∂L/∂A`` into ``δ = ∂L/∂Z = ∂L/∂A ⊙ f'(Z)`` (document 003, BP steps 2 and 3).
Arrays are samples-as-rows, ``(m, n_l)``; every formula here is elementwise except
softmax, whose Jacobian couples the outputs of one sample.

``backward`` may overwrite ``dA``: it is always a temporary of the backward pass, and
reusing its memory saves an allocation per layer per step.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from .backend import Array, row_sum, xp
from .kernels import run_compiled


class Activation:
    """Base class: ``f`` in ``forward``, ``f'`` in ``backward``."""

    name: ClassVar[str]

    def forward(self, Z: Array) -> Array:
        """``A = f(Z)``; ``Z`` has shape ``(m, n_l)``."""
        raise NotImplementedError

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        """``δ = dA ⊙ f'(Z)``, given ``dA = ∂L/∂A`` and the ``Z``, ``A`` of the forward pass."""
        raise NotImplementedError

    def forward_biased(self, Z: Array, b: Array) -> Array:
        """``Z ← Z + b`` in place (eq. 1's bias), then ``A = f(Z)``: the two passes of a
        dense layer's forward step, which an activation with a compiled kernel fuses."""
        Z += b
        return self.forward(Z)

    def backward_biased(self, dA: Array, Z: Array, A: Array, db: Array) -> Array:
        """:meth:`backward`, and ``∂L/∂b = Σ_samples δ`` into ``db`` beside it."""
        dZ = self.backward(dA, Z, A)
        xp.sum(dZ, axis=0, out=db)
        return dZ

    def derivative(self, Z: Array, A: Array) -> Array:
        """``f'(Z)`` elementwise, for display and diagnosis (not used in training)."""
        return self.backward(xp.ones_like(Z), Z, A)

    def config(self) -> dict[str, Any]:
        """The settings that rebuild this activation with :func:`get_activation`."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    """``f(z) = z``, ``f'(z) = 1``: the output of a regression network."""

    name = "identity"

    def forward(self, Z: Array) -> Array:
        return Z

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        return dA


class Sigmoid(Activation):
    """``σ(z) = 1 / (1 + e^{−z})``, ``σ'(z) = a(1 − a)``."""

    name = "sigmoid"

    def forward(self, Z: Array) -> Array:
        # e^{−|z|} never overflows; σ(z) = 1/(1+e^{−z}) for z ≥ 0 and e^{z}/(1+e^{z}) below.
        E = xp.exp(-xp.abs(Z))
        return xp.where(Z >= 0, 1, E) / (1 + E)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= A * (1 - A)
        return dA


class Tanh(Activation):
    """``tanh(z)``, ``tanh'(z) = 1 − a²``."""

    name = "tanh"

    def forward(self, Z: Array) -> Array:
        return xp.tanh(Z)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= 1 - A * A
        return dA


class ReLU(Activation):
    """``max(0, z)``; ``f'(z) = 1`` for ``z > 0`` and ``0`` for ``z ≤ 0`` (document 003)."""

    name = "relu"

    def forward(self, Z: Array) -> Array:
        # Same values as maximum(Z, 0), which NumPy runs about 1.5× slower on float32.
        return Z * (Z > 0)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= Z > 0
        return dA

    def forward_biased(self, Z: Array, b: Array) -> Array:
        A = xp.empty_like(Z)
        if Z.ndim == 2 and run_compiled("bias_relu", (Z, b, A), flat=False):
            return A
        return super().forward_biased(Z, b)

    def backward_biased(self, dA: Array, Z: Array, A: Array, db: Array) -> Array:
        if dA.ndim == 2 and run_compiled("relu_backward", (dA, Z, db), flat=False):
            return dA
        return super().backward_biased(dA, Z, A, db)


class LeakyReLU(Activation):
    """``z`` for ``z > 0``, ``αz`` otherwise; ``f'(z) = 1`` or ``α``."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = float(alpha)

    def forward(self, Z: Array) -> Array:
        return xp.where(Z > 0, Z, Z * self.alpha)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= xp.where(Z > 0, 1, self.alpha).astype(dA.dtype, copy=False)
        return dA

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class ELU(Activation):
    """``z`` for ``z > 0``, ``α(e^z − 1)`` otherwise; ``f'(z) = 1`` or ``a + α``."""

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def forward(self, Z: Array) -> Array:
        # expm1 of min(z, 0): accurate near 0, and no overflow for the large z it discards.
        return xp.where(Z > 0, Z, xp.expm1(xp.minimum(Z, 0)) * self.alpha)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= xp.where(Z > 0, 1, A + self.alpha)
        return dA

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class Softplus(Activation):
    """``log(1 + e^z)``, whose derivative is ``σ(z)``."""

    name = "softplus"

    def forward(self, Z: Array) -> Array:
        return xp.logaddexp(0, Z)

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA *= Sigmoid().forward(Z)
        return dA


class GELU(Activation):
    """GELU in its tanh form: ``½ z (1 + tanh(u))`` with ``u = √(2/π)(z + 0.044715 z³)``.

    ``f'(z) = ½(1 + tanh u) + ½ z (1 − tanh² u) √(2/π)(1 + 3·0.044715 z²)``.
    """

    name = "gelu"
    _C = math.sqrt(2 / math.pi)
    _K = 0.044715

    def forward(self, Z: Array) -> Array:
        return 0.5 * Z * (1 + xp.tanh(self._C * (Z + self._K * Z**3)))

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        T = xp.tanh(self._C * (Z + self._K * Z**3))
        dA *= 0.5 * (1 + T) + 0.5 * Z * (1 - T * T) * self._C * (1 + 3 * self._K * Z * Z)
        return dA


class Softmax(Activation):
    """``a_k = e^{z_k} / Σ_j e^{z_j}`` over the outputs of each sample.

    Its derivative is a Jacobian, ``∂a_k/∂z_j = a_k(1[k=j] − a_j)``, so backward is
    ``δ = A ⊙ (dA − Σ_k dA_k A_k)``. With categorical cross-entropy the network uses the
    fused ``δ = A − Y`` instead (see :mod:`glassnet.losses`).
    """

    name = "softmax"

    def forward(self, Z: Array) -> Array:
        A = xp.empty_like(Z)
        if Z.ndim == 2 and run_compiled("softmax", (Z, A), flat=False):
            return A
        # Shifting by the row maximum leaves softmax unchanged and keeps e^z ≤ 1.
        E = xp.exp(Z - Z.max(axis=1, keepdims=True))
        E /= row_sum(E)[:, None]
        return E

    def backward(self, dA: Array, Z: Array, A: Array) -> Array:
        dA -= row_sum(dA * A)[:, None]
        dA *= A
        return dA

    def derivative(self, Z: Array, A: Array) -> Array:
        """The diagonal of the Jacobian, ``a_k(1 − a_k)``; the full Jacobian couples outputs."""
        return A * (1 - A)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, GELU, Softmax)
}
_ALIASES = {
    "linear": "identity",
    "none": "identity",
    "logistic": "sigmoid",
    "leakyrelu": "leaky_relu",
}


def get_activation(spec: str | dict[str, Any] | Activation) -> Activation:
    """Return the activation named by ``spec``: a name, a config dict, or an instance."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, dict):
        settings = dict(spec)
        name = settings.pop("name", None)
    else:
        name, settings = spec, {}
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'relu', got {spec!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(sorted(ACTIVATIONS))}"
        )
    try:
        return ACTIVATIONS[key](**settings)
    except TypeError as exc:
        raise ValueError(f"activation {key!r} does not take the settings {settings}") from exc
