"""Loss functions: the value, ``∂L/∂A``, and the fused output delta where one exists.

Each loss is summed over the outputs of a sample and averaged over the ``m`` samples of a
batch, as documents 000 and 001 write them::

    L = (1/m) Σ_i ℓ(ŷ_i, y_i)

``gradient`` returns ``∂ℓ/∂A`` for each sample, *without* the ``1/m``: the averaging
happens once, in BP step 4 (``∂L/∂W = (1/m) δ Aᵀ``), exactly as in document 003.

Two pairings have a fused output delta ``δ^[L] = A^[L] − Y`` (document 003, BP step 2,
case 2): sigmoid with binary cross-entropy, and softmax with categorical cross-entropy.
For them the network computes the loss from ``Z^[L]`` (no ``log 0``, no overflow) and
skips the ``∂L/∂A ⊙ f'(Z)`` product, whose factors would cancel anyway.
"""

from __future__ import annotations

from typing import ClassVar

from .backend import Array, row_sum, xp


class Loss:
    """Base class for a loss ``ℓ(ŷ, y)`` of one sample, summed over its outputs."""

    name: ClassVar[str]
    fused_activation: ClassVar[str | None] = None
    """The output activation whose pairing with this loss gives ``δ^[L] = A − Y``."""

    def per_sample(self, A: Array, Y: Array) -> Array:
        """``ℓ(ŷ_i, y_i)`` for each sample, ``(m,)``, from ``A`` and ``Y`` of shape ``(m, n_L)``."""
        raise NotImplementedError

    def gradient(self, A: Array, Y: Array) -> Array:
        """``∂ℓ/∂A`` for each sample, shape ``(m, n_L)`` (no ``1/m``)."""
        raise NotImplementedError

    def per_sample_from_logits(self, Z: Array, Y: Array) -> Array:
        """``ℓ`` computed stably from ``Z^[L]``; only for the fused pairing."""
        raise NotImplementedError

    def value(self, A: Array, Y: Array) -> float:
        """``L = (1/m) Σ_i ℓ(ŷ_i, y_i)``."""
        return float(self.per_sample(A, Y).mean())

    @staticmethod
    def fused_delta(A: Array, Y: Array) -> Array:
        """``δ^[L] = A^[L] − Y``: the fused output delta of the matching pairing."""
        return A - Y

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """``ℓ = ½ ‖ŷ − y‖²`` (documents 000, 002, 003); ``∂ℓ/∂ŷ = ŷ − y``."""

    name = "mse"

    def per_sample(self, A: Array, Y: Array) -> Array:
        R = A - Y
        return 0.5 * row_sum(R * R)

    def gradient(self, A: Array, Y: Array) -> Array:
        return A - Y


def _clip_probabilities(A: Array) -> Array:
    # log(0) and 1/0 only occur in the unfused path with a saturated output; clipping
    # at the dtype's resolution keeps the loss finite without moving any unsaturated value.
    eps = xp.finfo(A.dtype).eps
    return xp.clip(A, eps, 1 - eps)


class BinaryCrossEntropy(Loss):
    """``ℓ = −Σ_k [y_k log ŷ_k + (1 − y_k) log(1 − ŷ_k)]`` over independent outputs.

    ``∂ℓ/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ))``; with a sigmoid output ``δ = ŷ − y``.
    """

    name = "bce"
    fused_activation = "sigmoid"

    def per_sample(self, A: Array, Y: Array) -> Array:
        P = _clip_probabilities(A)
        return -row_sum(Y * xp.log(P) + (1 - Y) * xp.log1p(-P))

    def gradient(self, A: Array, Y: Array) -> Array:
        P = _clip_probabilities(A)
        return (P - Y) / (P * (1 - P))

    def per_sample_from_logits(self, Z: Array, Y: Array) -> Array:
        # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|})
        return row_sum(xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z))))


class CategoricalCrossEntropy(Loss):
    """``ℓ = −Σ_k y_k log ŷ_k`` for one-hot (or soft) targets.

    ``∂ℓ/∂ŷ_k = −y_k / ŷ_k``; with a softmax output ``δ = ŷ − y``.
    """

    name = "cce"
    fused_activation = "softmax"

    def per_sample(self, A: Array, Y: Array) -> Array:
        return -row_sum(Y * xp.log(_clip_probabilities(A)))

    def gradient(self, A: Array, Y: Array) -> Array:
        return -Y / _clip_probabilities(A)

    def per_sample_from_logits(self, Z: Array, Y: Array) -> Array:
        # −Σ y_k log softmax(z)_k = Σ y_k (logsumexp(s) − s_k) with s = z − max z: e^s ≤ 1
        # cannot overflow, and the difference of small numbers keeps full precision.
        S = Z - Z.max(axis=1, keepdims=True)
        log_sum_exp = xp.log(row_sum(xp.exp(S)))
        return log_sum_exp * row_sum(Y) - row_sum(Y * S)


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, BinaryCrossEntropy, CategoricalCrossEntropy)
}
_ALIASES = {
    "mean_squared_error": "mse",
    "binary_crossentropy": "bce",
    "binary_cross_entropy": "bce",
    "categorical_crossentropy": "cce",
    "categorical_cross_entropy": "cce",
    "cross_entropy": "cce",
}


def get_loss(spec: str | Loss) -> Loss:
    """Return the loss named by ``spec`` (``'mse'``, ``'bce'``, ``'cce'``) or ``spec`` itself."""
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"loss must be a name such as 'cce', got {spec!r}")
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key not in LOSSES:
        raise ValueError(f"unknown loss {spec!r}; expected one of {', '.join(sorted(LOSSES))}")
    return LOSSES[key]()
