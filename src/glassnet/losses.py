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

import math
from typing import Any, ClassVar, Literal

import numpy as np

from .backend import Array, row_sum, xp
from .kernels import run_compiled

Task = Literal["regression", "binary", "multiclass"]
"""What a network predicts: numbers, one yes/no per output, or one class of several."""
TASKS: tuple[Task, ...] = ("regression", "binary", "multiclass")


class Loss:
    """Base class for a loss ``ℓ(ŷ, y)`` of one sample, summed over its outputs.

    A loss also owns the vocabulary that goes with it, so that nothing else branches on
    its name: its natural output activation, whether it classifies, how the network's
    outputs become predictions, and the metric shown beside it.
    """

    name: ClassVar[str]
    task: ClassVar[Task]
    output_activation: ClassVar[str]
    """The output activation that goes with this loss when none is named."""
    fused_activation: ClassVar[str | None] = None
    """The output activation whose pairing with this loss gives ``δ^[L] = A − Y``."""
    metric: ClassVar[str]
    """The metric training logs beside the loss: ``'accuracy'`` or ``'rmse'``."""
    description: ClassVar[str]
    formula: ClassVar[tuple[str, str]]
    """``L`` over a batch of ``m`` (the right-hand side of ``L = …``), as text and as LaTeX."""
    gradient_formula: ClassVar[tuple[str, str]]
    """``∂ℓ/∂ŷ`` of one sample, as text and as LaTeX."""

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

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

    # -- targets, predictions and the running metric -------------------------------------

    def targets(self, y: np.ndarray, n_outputs: int, dtype: np.dtype[Any], name: str) -> Array:
        """Checked numeric targets (1-D or 2-D, finite, ``m`` rows) as ``(m, n_L)``.

        The default takes ``(m,)`` for one output or ``(m, n_L)``; classification losses
        add their own rules.
        """
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.shape[1] != n_outputs:
            raise ValueError(
                f"{name} has {y.shape[1]} column(s), but the output layer has {n_outputs} "
                f"unit(s); its shape must be ({y.shape[0]}, {n_outputs}){self._shape_hint()}"
            )
        return xp.ascontiguousarray(y, dtype=dtype)

    def _shape_hint(self) -> str:
        return ""

    def output_units(self, n_classes: int) -> int:
        """``n_L`` for a target of ``n_classes`` classes (one unit unless each class has
        its own, as with softmax)."""
        return 1

    def check_classes(self, n_classes: int, target: str) -> None:
        """A ValueError when a target of ``n_classes`` classes does not suit this loss's
        task (any number of classes suits softmax; binary cross-entropy needs 2)."""

    def probabilities(self, A: Array) -> Array:
        """Class probabilities ``(m, K)`` from the outputs ``A``."""
        raise ValueError(f"predict_proba is for classifiers; this model does {self.task}")

    def decide(self, A: Array) -> Array:
        """Predictions from the outputs ``A`` (``(m, n_L)``): here the values themselves."""
        return A[:, 0] if A.shape[1] == 1 else A

    def labels(self, Y: Array) -> Array:
        """The truth as :meth:`decide` writes predictions, from targets ``Y`` (``(m, n_L)``)."""
        return self.decide(Y)

    def scores(self, A: Array) -> Array:
        """What a metric that needs scores reads: probabilities, or the values."""
        return A

    def class_labels(self, Y: Array) -> Array:
        """One class index per sample, for class weights; only single-label classifiers."""
        raise ValueError(
            f"class_weight needs a classification loss with one label per sample (cce, or "
            f"bce with one output); this network's loss is {self.name!r} with {Y.shape[1]} "
            "output(s); use sample_weight instead"
        )

    def metric_terms(self, A: Array, Y: Array) -> tuple[float, int]:
        """``(sum, count)`` of the running metric over a batch: squared errors here."""
        R = A - Y
        return float(xp.vdot(R, R)), int(R.size)

    def metric_value(self, total: float, count: int) -> float:
        """The metric from the summed :meth:`metric_terms`: ``√(Σ r² / n)`` here."""
        return math.sqrt(total / count)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """``ℓ = ½ ‖ŷ − y‖²`` (documents 000, 002, 003); ``∂ℓ/∂ŷ = ŷ − y``."""

    name = "mse"
    task = "regression"
    output_activation = "identity"
    metric = "rmse"
    description = "mean squared error"
    formula = ("(1/m) Σ_i ½‖ŷ_i − y_i‖²", r"\frac{1}{m}\sum_i \frac{1}{2} \|\hat{y}_i - y_i\|^2")
    gradient_formula = ("ŷ − y", r"\hat{y} - y")

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


class _Probabilities(Loss):
    """What the two cross-entropies share: targets in ``[0, 1]`` and accuracy."""

    metric = "accuracy"

    def targets(self, y: np.ndarray, n_outputs: int, dtype: np.dtype[Any], name: str) -> Array:
        Y = super().targets(y, n_outputs, dtype, name)
        if Y.min() < 0 or Y.max() > 1:
            raise ValueError(
                f"{name} must lie in [0, 1] for the {self.name} loss, got values in "
                f"[{y.min()}, {y.max()}]"
            )
        return Y

    def metric_value(self, total: float, count: int) -> float:
        return total / count


class BinaryCrossEntropy(_Probabilities):
    """``ℓ = −Σ_k [y_k log ŷ_k + (1 − y_k) log(1 − ŷ_k)]`` over independent outputs.

    ``∂ℓ/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ))``; with a sigmoid output ``δ = ŷ − y``.
    """

    name = "bce"
    task = "binary"
    output_activation = fused_activation = "sigmoid"
    description = "binary cross-entropy"
    formula = (  # summed over the samples i and the outputs k
        "−(1/m) Σ_ik [y log ŷ + (1 − y) log(1 − ŷ)]",
        r"-\frac{1}{m}\sum_{ik} \left[y \log \hat{y} + (1 - y) \log(1 - \hat{y})\right]",
    )
    gradient_formula = ("(ŷ − y) / (ŷ (1 − ŷ))", r"\frac{\hat{y} - y}{\hat{y} (1 - \hat{y})}")

    def per_sample(self, A: Array, Y: Array) -> Array:
        P = _clip_probabilities(A)
        return -row_sum(Y * xp.log(P) + (1 - Y) * xp.log1p(-P))

    def gradient(self, A: Array, Y: Array) -> Array:
        P = _clip_probabilities(A)
        return (P - Y) / (P * (1 - P))

    def per_sample_from_logits(self, Z: Array, Y: Array) -> Array:
        # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|})
        return row_sum(xp.maximum(Z, 0) - Z * Y + xp.log1p(xp.exp(-xp.abs(Z))))

    def decide(self, A: Array) -> Array:
        """0/1 per output by a 0.5 threshold; ``(m,)`` for one output."""
        labels = (A >= 0.5).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels

    def scores(self, A: Array) -> Array:
        return A[:, 0] if A.shape[1] == 1 else A

    def check_classes(self, n_classes: int, target: str) -> None:
        if n_classes != 2:
            raise ValueError(
                f"a binary task needs 2 classes; the target {target!r} has {n_classes}"
            )

    def probabilities(self, A: Array) -> Array:
        """``[P(class 0), P(class 1)] = [1 − a, a]`` for one output; ``A`` itself for
        several independent ones."""
        return xp.hstack([1 - A, A]) if A.shape[1] == 1 else A

    def class_labels(self, Y: Array) -> Array:
        if Y.shape[1] != 1:
            return super().class_labels(Y)
        return (Y[:, 0] >= 0.5).astype(np.int64)

    def metric_terms(self, A: Array, Y: Array) -> tuple[float, int]:
        # Each output is its own yes/no question, so accuracy counts every output.
        return int(xp.count_nonzero((A >= 0.5) == (Y >= 0.5))), int(Y.size)


class CategoricalCrossEntropy(_Probabilities):
    """``ℓ = −Σ_k y_k log ŷ_k`` for one-hot (or soft) targets.

    ``∂ℓ/∂ŷ_k = −y_k / ŷ_k``; with a softmax output ``δ = ŷ − y``.
    """

    name = "cce"
    task = "multiclass"
    output_activation = fused_activation = "softmax"
    description = "categorical cross-entropy"
    formula = (
        "−(1/m) Σ_i Σ_k y_ik log ŷ_ik",
        r"-\frac{1}{m}\sum_i \sum_k y_{ik} \log \hat{y}_{ik}",
    )
    gradient_formula = ("−y / ŷ", r"-\frac{y}{\hat{y}}")

    def per_sample(self, A: Array, Y: Array) -> Array:
        return -row_sum(Y * xp.log(_clip_probabilities(A)))

    def gradient(self, A: Array, Y: Array) -> Array:
        return -Y / _clip_probabilities(A)

    def per_sample_from_logits(self, Z: Array, Y: Array) -> Array:
        losses = xp.empty(Z.shape[0], dtype=Z.dtype)
        if Y.dtype == Z.dtype and run_compiled("cce_from_logits", (Z, Y, losses), flat=False):
            return losses
        # −Σ y_k log softmax(z)_k = Σ y_k (logsumexp(s) − s_k) with s = z − max z: e^s ≤ 1
        # cannot overflow, and the difference of small numbers keeps full precision.
        S = Z - Z.max(axis=1, keepdims=True)
        log_sum_exp = xp.log(row_sum(xp.exp(S)))
        return log_sum_exp * row_sum(Y) - row_sum(Y * S)

    def targets(self, y: np.ndarray, n_outputs: int, dtype: np.dtype[Any], name: str) -> Array:
        """Class indices ``0 … n_L−1`` of shape ``(m,)`` (one-hot encoded here), or rows of
        shape ``(m, n_L)`` that are one-hot or probabilities."""
        if y.ndim == 2:
            return super().targets(y, n_outputs, dtype, name)
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError(
                f"{name} must hold integer class labels 0 … {n_outputs - 1}, got fractions"
            )
        codes = y.astype(np.int64)
        bad = (codes < 0) | (codes >= n_outputs)
        if bad.any():
            raise ValueError(
                f"{name} contains class label {codes[bad][0]}, but the output layer has "
                f"{n_outputs} units (classes 0 … {n_outputs - 1})"
            )
        Y = xp.zeros((codes.shape[0], n_outputs), dtype=dtype)
        Y[xp.arange(codes.shape[0]), xp.asarray(codes)] = 1
        return Y

    def _shape_hint(self) -> str:
        return " or class indices of shape (m,)"

    def decide(self, A: Array) -> Array:
        """The class of the largest output, ``(m,)``."""
        return A.argmax(axis=1)

    def class_labels(self, Y: Array) -> Array:
        return Y.argmax(axis=1)

    def output_units(self, n_classes: int) -> int:
        return n_classes

    def probabilities(self, A: Array) -> Array:
        return A

    def metric_terms(self, A: Array, Y: Array) -> tuple[float, int]:
        return int(xp.count_nonzero(A.argmax(axis=1) == Y.argmax(axis=1))), int(Y.shape[0])


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


LOSS_FOR_TASK: dict[Task, type[Loss]] = {cls.task: cls for cls in LOSSES.values()}


def task_for_classes(n_classes: int) -> Task:
    """The task of a target with ``n_classes`` classes: 0 (values) is regression, 2 is
    binary, more are multiclass."""
    return "regression" if n_classes == 0 else "binary" if n_classes == 2 else "multiclass"


def loss_for_task(task: Task) -> Loss:
    """The loss that learns ``task``: MSE, BCE or CCE."""
    if task not in LOSS_FOR_TASK:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return LOSS_FOR_TASK[task]()


def pair_output(n_out: int, activation: str | None, loss: str | Loss | None) -> tuple[str, Loss]:
    """The output activation and the loss, each filled in from the other when not named.

    With neither: softmax with categorical cross-entropy for several outputs, sigmoid
    with binary cross-entropy for one. A loss brings its natural output activation; an
    activation brings the loss whose fused pairing it is (else mean squared error).
    """
    if loss is not None:
        chosen = get_loss(loss)
        return (activation or chosen.output_activation), chosen
    if activation is None:
        return (
            ("softmax", CategoricalCrossEntropy())
            if n_out > 1
            else ("sigmoid", BinaryCrossEntropy())
        )
    partner = next((cls for cls in LOSSES.values() if cls.fused_activation == activation), None)
    return activation, (partner or MeanSquaredError)()


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
