"""Diagnosis: read the record of one forward and backward pass and name what is wrong.

For every Dense layer ``l`` (numbered 1 … L as in the documents) :func:`diagnose`
measures, on one batch:

* ``‖W^[l]‖`` and ``‖∂J/∂W^[l]‖`` (Frobenius norms) and their ratio;
* ``‖∂J/∂W^[l]‖ / ‖∂J/∂W^[L]‖``, the gradient relative to the output layer's: by BP
  step 3, ``δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙ f'(Z^[l])``, so each layer down multiplies the
  gradient by a weight matrix and a derivative. Factors below 1 make it *vanish* toward
  the input (saturated sigmoids: ``σ' ≤ 1/4``), factors above 1 make it *explode*;
* the next update ``ΔW^[l]`` of the optimizer (plain gradient descent: ``α ∂J/∂W^[l]``)
  over ``‖W^[l]‖``; the rule of thumb is about ``1e-3`` per step;
* ``mean |A^[l]|``, the fraction of *dead* ReLU units (``Z ≤ 0`` for every sample, so
  ``f'(Z) = 0`` and no gradient ever reaches their weights), the fraction of zero
  activations, and the fraction of *saturated* sigmoid or tanh activations.

From these it lists :class:`Finding` objects, each with what usually helps.
:func:`non_finite_report` names the first NaN or inf of a pass, and
:class:`DiagnosisWatch` runs the diagnosis during training.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..backend import Array, xp
from ..layers import Dense
from ..optimizers import SGD, Optimizer
from ..training import Callback
from ..training.divergence import Culprit, first_non_finite
from ..training.divergence import non_finite_report as non_finite_report
from ..validation import check_positive_number, check_sample_weight

if TYPE_CHECKING:
    from ..network import Network
    from ..training import TrainingState

# -- thresholds -----------------------------------------------------------------------------

VANISHING_RATIO = 1e-3
"""A layer's gradient norm below this fraction of the output layer's is *vanishing*: its
weights learn a thousand times more slowly than the last layer's. A healthy network
keeps the ratios within one or two orders of magnitude of 1."""

EXPLODING_RATIO = 1e3
"""A layer's gradient norm above this multiple of the output layer's is *exploding*."""

EXPLODING_NORM = 1e3
"""A gradient norm above this is exploding whatever the other layers do: with inputs and
targets of order 1, a step along it would move the weights by far more than their size."""

DEAD_FRACTION = 0.5
"""A ReLU layer with more than this fraction of dead units has lost most of its capacity:
a dead unit outputs 0 for every sample, gets no gradient and so never recovers."""

SATURATION_FRACTION = 0.5
"""A sigmoid or tanh layer with more than this fraction of saturated activations passes
back mostly ``f' ≈ 0``: the first symptom of vanishing gradients."""

SIGMOID_SATURATION = 0.01
"""A sigmoid activation is saturated when ``a < 0.01`` or ``a > 0.99``: there
``σ'(z) = a(1 − a) < 0.01``, a twenty-fifth of its largest value 1/4."""

TANH_SATURATION = 0.99
"""A tanh activation is saturated when ``|a| > 0.99``: there ``tanh'(z) = 1 − a² < 0.02``."""

LARGE_UPDATE_RATIO = 1e-1
"""An update that changes ``W`` by more than a tenth of its norm in one step overshoots:
the loss oscillates or diverges. The healthy range is around ``1e-3`` (Karpathy's rule of
thumb from CS231n)."""

TINY_UPDATE_RATIO = 1e-6
"""An update below a millionth of ``‖W‖`` per step leaves the layer practically frozen."""

# -- what usually helps ---------------------------------------------------------------------

ADVICE_HE = "use He initialization for ReLU (init='he_normal')"
ADVICE_XAVIER = "use Xavier initialization / smaller initial weights (init='xavier_normal')"
ADVICE_RELU = "use ReLU instead of sigmoid/tanh in hidden layers (activation='relu')"
ADVICE_BATCH_NORM = "add batch normalization (batch_norm=True)"
ADVICE_LOWER_LR = "lower the learning rate"
ADVICE_RAISE_LR = "raise the learning rate"
ADVICE_CLIP = "clip gradients (clip_norm=1.0)"
ADVICE_BIAS = "lower the bias / use leaky_relu (start biases at 0, activation='leaky_relu')"
ADVICE_STANDARDIZE = "standardize the inputs (and a regression target)"

_RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu", "softplus")
_SATURATING = ("sigmoid", "tanh")


@dataclass(frozen=True)
class Finding:
    """One problem the diagnosis saw.

    ``kind`` is one of ``'non_finite'``, ``'exploding_gradients'``,
    ``'vanishing_gradients'``, ``'dead_relu'``, ``'saturation'``, ``'large_updates'``,
    ``'tiny_updates'``. ``layer`` is the layer that shows it most (1 … L), or ``None``
    when the problem is not a layer's (a non-finite cost); ``layers`` lists every layer
    that shows it.
    """

    kind: str
    layer: int | None
    message: str
    advice: str
    layers: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind.replace('_', ' ')}: {self.message}\n    what helps: {self.advice}"


@dataclass(frozen=True)
class LayerStats:
    """The measurements of one Dense layer ``l``; ``None`` where a quantity does not apply
    (no learning rate given, not a ReLU, not a sigmoid/tanh, a zero denominator)."""

    index: int
    """``l``, from 1."""
    n_in: int
    n_out: int
    activation: str
    weight_norm: float
    """``‖W^[l]‖`` (Frobenius)."""
    bias_mean: float
    """The mean of ``b^[l]``: strongly negative biases kill ReLUs."""
    grad_norm: float
    """``‖∂J/∂W^[l]‖``, regularization included."""
    bias_grad_norm: float
    """``‖∂J/∂b^[l]‖``."""
    grad_to_weight: float | None
    """``‖∂J/∂W^[l]‖ / ‖W^[l]‖``."""
    grad_to_last: float | None
    """``‖∂J/∂W^[l]‖ / ‖∂J/∂W^[L]‖``: far below 1 toward the input is vanishing, far above
    is exploding."""
    update_norm: float | None
    """``‖ΔW^[l]‖`` of the next step (``α ‖∂J/∂W^[l]‖`` for plain gradient descent)."""
    update_ratio: float | None
    """``‖ΔW^[l]‖ / ‖W^[l]‖``; around ``1e-3`` is healthy."""
    mean_abs_activation: float
    """``mean |A^[l]|`` over the batch and the units."""
    dead_fraction: float | None
    """ReLU only: the fraction of units with ``Z ≤ 0`` for every sample of the batch."""
    zero_fraction: float | None
    """ReLU only: the fraction of the entries of ``A^[l]`` that are exactly 0."""
    saturated_fraction: float | None
    """Sigmoid and tanh only: the fraction of saturated entries of ``A^[l]``."""


@dataclass
class Diagnosis:
    """What :func:`diagnose` measured and found; ``str()`` renders it for a terminal."""

    layers: list[LayerStats]
    findings: list[Finding]
    cost: float
    n_samples: int
    update_rule: str | None = None
    """The optimizer whose next step gave the update ratios, e.g. ``'sgd (lr 0.1)'``."""
    non_finite: str | None = None
    """:func:`non_finite_report` of the pass, when something in it was NaN or inf."""

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def kinds(self) -> set[str]:
        """The kinds of the findings, e.g. ``{'saturation', 'vanishing_gradients'}``."""
        return {finding.kind for finding in self.findings}

    def finding(self, kind: str) -> Finding | None:
        """The finding of ``kind``, or ``None``."""
        return next((f for f in self.findings if f.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON data: every number as a float, ``None`` where it is NaN, inf or n/a."""
        return {
            "n_samples": self.n_samples,
            "cost": _json_float(self.cost),
            "update_rule": self.update_rule,
            "non_finite": self.non_finite,
            "layers": [
                {key: _json_float(value) for key, value in asdict(stats).items()}
                for stats in self.layers
            ],
            "findings": [
                {**asdict(finding), "layers": list(finding.layers)} for finding in self.findings
            ],
        }

    def __str__(self) -> str:
        head = f"diagnosis on {self.n_samples} samples: cost J = {self.cost:.4g}"
        if self.update_rule:
            head += f", next step by {self.update_rule}"
        header = (
            f"{'l':>3}  {'units':<10} {'f':<10} {'‖W‖':>8} {'‖∂J/∂W‖':>8} {'grad/W':>8} "
            f"{'grad/last':>9} {'ΔW/W':>8} {'mean|A|':>8} {'dead':>5} {'zero':>5} {'sat':>5}"
        )
        lines = [head, header]
        for s in self.layers:
            lines.append(
                f"{s.index:>3}  {f'{s.n_in}→{s.n_out}':<10} {s.activation:<10} "
                f"{_sci(s.weight_norm):>8} {_sci(s.grad_norm):>8} {_sci(s.grad_to_weight):>8} "
                f"{_sci(s.grad_to_last):>9} {_sci(s.update_ratio):>8} "
                f"{_sci(s.mean_abs_activation):>8} {_percent(s.dead_fraction):>5} "
                f"{_percent(s.zero_fraction):>5} {_percent(s.saturated_fraction):>5}"
            )
        lines.append(
            "grad/last: ‖∂J/∂W^[l]‖ ÷ ‖∂J/∂W^[L]‖;  ΔW/W: next update ÷ ‖W‖ (~1e-3 is "
            "healthy);\ndead: ReLU units with Z ≤ 0 on every sample;  sat: sigmoid/tanh "
            "activations at their limits"
        )
        if not self.findings:
            lines.append("no problems found")
        else:
            lines.append("findings:")
            lines.extend(f"  {finding}" for finding in self.findings)
        return "\n".join(lines)


def diagnose(
    network: Network,
    X: Any,
    y: Any,
    *,
    learning_rate: float | None = None,
    optimizer: Optimizer | None = None,
    sample_weight: Any = None,
    max_samples: int | None = None,
) -> Diagnosis:
    """Run one training-mode forward and backward pass on ``(X, y)`` and diagnose it.

    The pass runs on a copy of ``network``, so neither its parameters nor batch norm's
    running statistics change. Batch norm uses the batch's statistics, as in training;
    dropout is switched off, so that the diagnosis is the same every time.

    Parameters
    ----------
    X, y:
        A batch, ``(m, n_0)`` and targets as :meth:`Network.fit` takes them.
    learning_rate:
        ``α`` of plain gradient descent, for the update ratios ``α‖∂J/∂W‖ / ‖W‖``.
    optimizer:
        Instead of ``learning_rate``: the update ratios come from the step this optimizer
        (with its current state, on a copy) would take next. Clipping is not applied.
    sample_weight:
        ``w_i ≥ 0`` of shape ``(m,)``, as in :func:`~glassnet.training.fit`.
    max_samples:
        Use only the first ``max_samples`` rows of ``X`` and ``y``.

    Returns
    -------
    Diagnosis
        Per-layer :class:`LayerStats` and the list of :class:`Finding` objects.
    """
    if learning_rate is not None and optimizer is not None:
        raise ValueError("give learning_rate or optimizer, not both")
    if learning_rate is not None:
        optimizer = SGD(check_positive_number("learning_rate", learning_rate))
    X = network.check_X(X)
    Y = network.check_y(y, X.shape[0])
    w = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0], X.dtype)
    if max_samples is not None:
        n = check_positive_number("max_samples", max_samples, integer=True)
        X, Y, w = X[:n], Y[:n], None if w is None else w[:n]

    # A deep copy, not astype(): a network that has diverged holds NaN or inf parameters,
    # which astype() rightly refuses, and its diagnosis is the one most wanted.
    net = copy.deepcopy(network)
    net.fix_randomness(None)  # no dropout: the same diagnosis every time
    with np.errstate(all="ignore"):  # overflow is what we are here to report
        net.forward(X, training=True)
        cost = net.cost(Y, w)
        net.backward(Y, w)
        culprit = first_non_finite(net, cost)
        updates = _next_updates(net, optimizer)
        stats = [
            _layer_stats(index, layer, update)
            for index, (layer, update) in enumerate(zip(_dense(net), updates, strict=True), start=1)
        ]
    stats = _with_ratio_to_last(stats)
    report = None if culprit is None else str(culprit)
    findings = _findings(stats, net, culprit, report)
    rule = None
    if optimizer is not None:
        rule = f"{optimizer.name} (lr {optimizer.learning_rate:g})"
    return Diagnosis(stats, findings, cost, int(X.shape[0]), rule, report)


# -- measurements ---------------------------------------------------------------------------


def _norm(array: Array) -> float:
    """The Frobenius norm in float64, so that a float32 array of entries above ~1e19
    (whose squares overflow float32) still gets a finite norm."""
    return float(xp.linalg.norm(array.reshape(-1).astype(np.float64)))


def _ratio(numerator: float | None, denominator: float) -> float | None:
    if numerator is None or denominator == 0 or not math.isfinite(denominator):
        return None
    return numerator / denominator


def _next_updates(net: Network, optimizer: Optimizer | None) -> list[float | None]:
    """``‖ΔW^[l]‖`` of the step ``optimizer`` would take next, from a copy of it."""
    if optimizer is None:
        return [None] * len(_dense(net))
    names = [name for name, _ in net.parameters()]
    params = [theta.copy() for _, theta in net.parameters()]  # the step moves these copies
    grads = [grad for _, grad in net.gradients()]
    copy.deepcopy(optimizer).step(params, grads)  # its state (moments, velocities) untouched
    moved = dict(zip(names, params, strict=True))
    return [_norm(moved[f"W{l}"] - layer.W) for l, layer in enumerate(_dense(net), 1)]


def _layer_stats(index: int, layer: Dense, update: float | None) -> LayerStats:
    assert layer.Z is not None and layer.A is not None
    name = layer.activation.name
    A = layer.A
    dead = zero = saturated = None
    if name == "relu":
        # f' = 0 where the activation's input is ≤ 0; with batch norm that input is BN(Z).
        pre = layer.Z if layer.norm is None or layer.norm.out is None else layer.norm.out
        dead = float(xp.mean(xp.all(pre <= 0, axis=0)))
        zero = float(xp.mean(A == 0))
    elif name == "sigmoid":
        saturated = float(xp.mean((A < SIGMOID_SATURATION) | (A > 1 - SIGMOID_SATURATION)))
    elif name == "tanh":
        saturated = float(xp.mean(xp.abs(A) > TANH_SATURATION))
    weight_norm, grad_norm = _norm(layer.W), _norm(layer.dW)
    return LayerStats(
        index=index,
        n_in=layer.n_in,
        n_out=layer.n_out,
        activation=name,
        weight_norm=weight_norm,
        bias_mean=float(xp.mean(layer.b)),
        grad_norm=grad_norm,
        bias_grad_norm=_norm(layer.db),
        grad_to_weight=_ratio(grad_norm, weight_norm),
        grad_to_last=None,
        update_norm=update,
        update_ratio=_ratio(update, weight_norm),
        mean_abs_activation=float(xp.mean(xp.abs(A.astype(np.float64)))),
        dead_fraction=dead,
        zero_fraction=zero,
        saturated_fraction=saturated,
    )


def _with_ratio_to_last(stats: list[LayerStats]) -> list[LayerStats]:
    last = stats[-1].grad_norm
    return [LayerStats(**{**asdict(s), "grad_to_last": _ratio(s.grad_norm, last)}) for s in stats]


# -- findings -------------------------------------------------------------------------------


def _findings(
    stats: list[LayerStats],
    net: Network,
    culprit: Culprit | None,
    report: str | None,
) -> list[Finding]:
    L = len(stats)
    hidden = stats[:-1]
    saturating = any(s.activation in _SATURATING for s in hidden)
    relu_like = any(s.activation in _RELU_FAMILY for s in hidden)
    init_advice = [ADVICE_XAVIER] if saturating else [ADVICE_HE] if relu_like else []
    findings = []

    if culprit is not None and report is not None:
        findings.append(
            Finding(
                "non_finite",
                culprit.layer,
                report,
                _advice(ADVICE_LOWER_LR, ADVICE_CLIP, ADVICE_STANDARDIZE),
                () if culprit.layer is None else (culprit.layer,),
            )
        )

    exploding = [
        s
        for s in stats
        if not math.isfinite(s.grad_norm)
        or s.grad_norm > EXPLODING_NORM
        or (s.grad_to_last is not None and s.grad_to_last > EXPLODING_RATIO)
    ]
    if exploding:
        worst = max(
            exploding, key=lambda s: s.grad_norm if math.isfinite(s.grad_norm) else math.inf
        )
        growth = "" if worst.grad_to_last is None else f", {_sci(worst.grad_to_last)} × layer {L}'s"
        findings.append(
            Finding(
                "exploding_gradients",
                worst.index,
                f"{_layers(exploding)}: gradients explode: ‖∂J/∂W^[{worst.index}]‖ = "
                f"{_sci(worst.grad_norm)}{growth} (limits: {EXPLODING_NORM:g} absolute, "
                f"{EXPLODING_RATIO:g} × the output layer's)",
                _advice(ADVICE_LOWER_LR, ADVICE_CLIP, ADVICE_BATCH_NORM, *init_advice),
                tuple(s.index for s in exploding),
            )
        )

    vanishing = [
        s for s in hidden if s.grad_to_last is not None and s.grad_to_last < VANISHING_RATIO
    ]
    dead_layers = [
        s for s in stats if s.dead_fraction is not None and s.dead_fraction > DEAD_FRACTION
    ]
    if vanishing:
        worst = min(vanishing, key=lambda s: s.grad_to_last or 0.0)
        message = (
            f"{_layers(vanishing)}: gradients vanish toward the input: "
            f"‖∂J/∂W^[{worst.index}]‖ is {_sci(worst.grad_to_last)} × ‖∂J/∂W^[{L}]‖ "
            f"(below {VANISHING_RATIO:g})"
        )
        above = [d.index for d in dead_layers if d.index > min(s.index for s in vanishing)]
        if above:
            message += f"; the dead ReLUs of {_layers_by_index(above)} pass no gradient down"
        # Sigmoid's σ' ≤ 1/4 shrinks δ at every layer even with well-scaled weights: the
        # cure is another activation; smaller weights help only where units saturate.
        advice = [ADVICE_RELU, ADVICE_HE] if saturating else [ADVICE_HE]
        if any((s.saturated_fraction or 0.0) > SATURATION_FRACTION for s in hidden):
            advice.append(ADVICE_XAVIER)
        findings.append(
            Finding(
                "vanishing_gradients",
                worst.index,
                message,
                _advice(*advice, ADVICE_BATCH_NORM),
                tuple(s.index for s in vanishing),
            )
        )

    if dead_layers:
        worst = max(dead_layers, key=lambda s: s.dead_fraction or 0.0)
        details = ", ".join(
            f"layer {s.index}: {round((s.dead_fraction or 0.0) * s.n_out)} of {s.n_out} "
            + (
                "(its input is all 0)"
                if s.index > 1 and stats[s.index - 2].mean_abs_activation == 0
                else f"(mean bias {s.bias_mean:.3g})"
            )
            for s in dead_layers
        )
        findings.append(
            Finding(
                "dead_relu",
                worst.index,
                f"{_layers(dead_layers)}: more than {DEAD_FRACTION:.0%} of the ReLU units are "
                f"dead (Z ≤ 0 for every sample, so f'(Z) = 0 and they never learn): {details}",
                _advice(ADVICE_BIAS, ADVICE_HE, ADVICE_LOWER_LR),
                tuple(s.index for s in dead_layers),
            )
        )

    checked = stats if not net.fused_output else hidden  # A − Y needs no f'(Z^[L])
    saturated = [
        s
        for s in checked
        if s.saturated_fraction is not None and s.saturated_fraction > SATURATION_FRACTION
    ]
    if saturated:
        worst = max(saturated, key=lambda s: s.saturated_fraction or 0.0)
        details = ", ".join(f"layer {s.index}: {_percent(s.saturated_fraction)}" for s in saturated)
        findings.append(
            Finding(
                "saturation",
                worst.index,
                f"{_layers(saturated)}: more than {SATURATION_FRACTION:.0%} of the "
                f"sigmoid/tanh activations are saturated (σ: a < {SIGMOID_SATURATION:g} or "
                f"a > {1 - SIGMOID_SATURATION:g}; tanh: |a| > {TANH_SATURATION:g}): there "
                f"f'(Z) ≈ 0, so little gradient passes and those units barely learn: {details}",
                _advice(ADVICE_XAVIER, ADVICE_RELU, ADVICE_BATCH_NORM, ADVICE_STANDARDIZE),
                tuple(s.index for s in saturated),
            )
        )

    large = [s for s in stats if s.update_ratio is not None and s.update_ratio > LARGE_UPDATE_RATIO]
    if large:
        worst = max(large, key=lambda s: s.update_ratio or 0.0)
        findings.append(
            Finding(
                "large_updates",
                worst.index,
                f"{_layers(large)}: the next step changes W by more than "
                f"{LARGE_UPDATE_RATIO:g} of its norm (layer {worst.index}: "
                f"{_sci(worst.update_ratio)} × ‖W‖; ~1e-3 is healthy)",
                _advice(ADVICE_LOWER_LR, ADVICE_CLIP),
                tuple(s.index for s in large),
            )
        )

    tiny = [s for s in stats if s.update_ratio is not None and s.update_ratio < TINY_UPDATE_RATIO]
    if tiny:
        worst = min(tiny, key=lambda s: s.update_ratio or 0.0)
        if dead_layers or vanishing:
            cause = "the dead ReLUs" if dead_layers else "the vanishing gradients"
            advice = [f"fix {cause} first: a larger learning rate will not help"]
        else:
            advice = [ADVICE_RAISE_LR]
        findings.append(
            Finding(
                "tiny_updates",
                worst.index,
                f"{_layers(tiny)}: the next step changes W by less than "
                f"{TINY_UPDATE_RATIO:g} of its norm (layer {worst.index}: "
                f"{_sci(worst.update_ratio)} × ‖W‖), so these layers barely learn",
                _advice(*advice),
                tuple(s.index for s in tiny),
            )
        )
    return findings


def _advice(*items: str) -> str:
    return "; ".join(dict.fromkeys(items))  # in order, without repeats


def _layers(stats: list[LayerStats]) -> str:
    return _layers_by_index([s.index for s in stats])


def _layers_by_index(indices: list[int]) -> str:
    """``'layer 2'``, ``'layers 1–5'`` or ``'layers 1, 3, 4'``."""
    if len(indices) == 1:
        return f"layer {indices[0]}"
    if indices == list(range(indices[0], indices[-1] + 1)):
        return f"layers {indices[0]}–{indices[-1]}"
    return "layers " + ", ".join(map(str, indices))


def _network(state: TrainingState) -> Network:
    from ..network import Network

    assert isinstance(state.network, Network), "the watch diagnoses glassnet Networks"
    return state.network


def _dense(net: Network) -> list[Dense]:
    return [layer for layer in net.parametric_layers() if isinstance(layer, Dense)]


# -- formatting -----------------------------------------------------------------------------


def _sci(value: float | None) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return "0" if value == 0 else f"{value:.1e}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _json_float(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- during training ------------------------------------------------------------------------


class DiagnosisWatch(Callback):
    """Diagnose the network during training and say when a problem appears or goes away.

    Every ``every`` epochs (and once before training when ``at_start``) it runs
    :func:`diagnose` on the first ``max_samples`` rows of ``X``, ``y`` (the training data:
    :class:`~glassnet.training.TrainingState` does not carry it), with the update ratios of
    the optimizer's actual next step. It prints a finding the first epoch it is seen, and a
    line when it is no longer seen, so a problem that persists is named once::

        epoch 0  diagnosis: saturation: layers 1–7: more than 50% of ...
            what helps: use Xavier initialization / ...

    ``history`` keeps one entry per diagnosed epoch: ``{"epoch": e, **diagnosis.to_dict()}``,
    each layer with ``epoch_change_ratio`` too, ``‖W_end − W_start‖ / ‖W_start‖`` over the
    epoch (``None`` before training). ``last`` is the latest :class:`Diagnosis`.

    The diagnosis works on copies, so training with or without the watch gives the same
    parameters.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        every: int = 1,
        max_samples: int = 256,
        at_start: bool = True,
        stream: IO[str] | None = None,
        printer: Callable[[str], None] | None = None,
    ) -> None:
        n = check_positive_number("max_samples", max_samples, integer=True)
        self.X, self.y = np.asarray(X)[:n], np.asarray(y)[:n]
        self.every = check_positive_number("every", every, integer=True)
        self.at_start = at_start
        self.stream = stream
        self.printer = printer
        self.history: list[dict[str, Any]] = []
        self.last: Diagnosis | None = None
        self._seen: set[str] = set()
        self._start: list[Array] | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        if self.at_start and not self.history:
            self._diagnose(state, 0, None)

    def on_epoch_begin(self, state: TrainingState) -> None:
        if state.epoch % self.every == 0:
            self._start = [layer.W.copy() for layer in _dense(_network(state))]

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        if state.epoch % self.every == 0:
            self._diagnose(state, state.epoch, self._start)
            self._start = None

    def _diagnose(self, state: TrainingState, epoch: int, start: list[Array] | None) -> None:
        diagnosis = diagnose(_network(state), self.X, self.y, optimizer=state.optimizer)
        record: dict[str, Any] = {"epoch": epoch, **diagnosis.to_dict()}
        for index, layer in enumerate(_dense(_network(state))):
            change = None
            if start is not None:
                change = _json_float(_ratio(_norm(layer.W - start[index]), _norm(start[index])))
            record["layers"][index]["epoch_change_ratio"] = change
        self.history.append(record)
        self.last = diagnosis
        when = "before training" if epoch == 0 else f"epoch {epoch}"
        for finding in diagnosis.findings:
            if finding.kind not in self._seen:
                self._print(f"{when}  diagnosis: {finding}")
        for kind in sorted(self._seen - diagnosis.kinds):
            self._print(f"{when}  diagnosis: {kind.replace('_', ' ')} no longer seen")
        self._seen = diagnosis.kinds

    def _print(self, line: str) -> None:
        if self.printer is not None:
            self.printer(line)
        else:
            print(line, file=self.stream or sys.stdout, flush=True)


__all__ = [
    "DEAD_FRACTION",
    "EXPLODING_NORM",
    "EXPLODING_RATIO",
    "LARGE_UPDATE_RATIO",
    "SATURATION_FRACTION",
    "SIGMOID_SATURATION",
    "TANH_SATURATION",
    "TINY_UPDATE_RATIO",
    "VANISHING_RATIO",
    "Diagnosis",
    "DiagnosisWatch",
    "Finding",
    "LayerStats",
    "diagnose",
    "non_finite_report",
]
