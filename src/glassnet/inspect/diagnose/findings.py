"""From measurements to findings: one small rule per problem, each with what helps.

A rule reads the :class:`Evidence` (the per-layer :class:`LayerStats`, the first
non-finite quantity, whether the output's ``δ^[L]`` is fused) and returns a
:class:`Finding` or ``None``. :func:`find` runs :data:`RULES` in order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ...training.divergence import Culprit
from .measure import LayerStats
from .text import advice, layer_range, percent, sci
from .thresholds import (
    ADVICE_BATCH_NORM,
    ADVICE_BIAS,
    ADVICE_CLIP,
    ADVICE_HE,
    ADVICE_LOWER_LR,
    ADVICE_RAISE_LR,
    ADVICE_RELU,
    ADVICE_STANDARDIZE,
    ADVICE_XAVIER,
    DEAD_FRACTION,
    EXPLODING_NORM,
    EXPLODING_RATIO,
    LARGE_UPDATE_RATIO,
    RELU_FAMILY,
    SATURATING,
    SATURATION_FRACTION,
    SIGMOID_SATURATION,
    TANH_SATURATION,
    TINY_UPDATE_RATIO,
    VANISHING_RATIO,
)


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
class Evidence:
    """What the rules read."""

    stats: list[LayerStats]
    """Layers 1 … L, in order."""
    fused_output: bool
    """Whether ``δ^[L] = A^[L] − Y``, which needs no ``f'(Z^[L])``: then a saturated output
    passes its gradient back unharmed."""
    culprit: Culprit | None = None
    """The first NaN or inf of the pass, if any."""

    @property
    def hidden(self) -> list[LayerStats]:
        return self.stats[:-1]

    @property
    def last(self) -> LayerStats:
        return self.stats[-1]

    def dead(self) -> list[LayerStats]:
        """The ReLU layers with more than :data:`DEAD_FRACTION` dead units."""
        return [s for s in self.stats if (s.dead_fraction or 0.0) > DEAD_FRACTION]

    def vanishing(self) -> list[LayerStats]:
        """The hidden layers whose gradient is below :data:`VANISHING_RATIO` × the last's."""
        return [
            s
            for s in self.hidden
            if s.grad_to_last is not None and s.grad_to_last < VANISHING_RATIO
        ]

    def saturating(self) -> bool:
        return any(s.activation in SATURATING for s in self.hidden)

    def init_advice(self) -> list[str]:
        """The initialization that suits the hidden layers' activation."""
        if self.saturating():
            return [ADVICE_XAVIER]
        return [ADVICE_HE] if any(s.activation in RELU_FAMILY for s in self.hidden) else []


def _indices(stats: list[LayerStats]) -> tuple[int, ...]:
    return tuple(s.index for s in stats)


def _gradient(s: LayerStats) -> str:
    return f"‖∂J/∂{s.weight}^[{s.index}]‖"


# -- the rules ------------------------------------------------------------------------------


def non_finite(evidence: Evidence) -> Finding | None:
    """A NaN or inf anywhere in the pass: named by the first one."""
    culprit = evidence.culprit
    if culprit is None:
        return None
    return Finding(
        "non_finite",
        culprit.layer,
        str(culprit),
        advice(ADVICE_LOWER_LR, ADVICE_CLIP, ADVICE_STANDARDIZE),
        () if culprit.layer is None else (culprit.layer,),
    )


def exploding_gradients(evidence: Evidence) -> Finding | None:
    """A gradient norm that is not finite, above :data:`EXPLODING_NORM`, or more than
    :data:`EXPLODING_RATIO` times the output layer's."""
    exploding = [
        s
        for s in evidence.stats
        if not math.isfinite(s.grad_norm)
        or s.grad_norm > EXPLODING_NORM
        or (s.grad_to_last is not None and s.grad_to_last > EXPLODING_RATIO)
    ]
    if not exploding:
        return None
    worst = max(exploding, key=lambda s: s.grad_norm if math.isfinite(s.grad_norm) else math.inf)
    L = evidence.last.index
    growth = "" if worst.grad_to_last is None else f", {sci(worst.grad_to_last)} × layer {L}'s"
    return Finding(
        "exploding_gradients",
        worst.index,
        f"{layer_range(_indices(exploding))}: gradients explode: {_gradient(worst)} = "
        f"{sci(worst.grad_norm)}{growth} (limits: {EXPLODING_NORM:g} absolute, "
        f"{EXPLODING_RATIO:g} × the output layer's)",
        advice(ADVICE_LOWER_LR, ADVICE_CLIP, ADVICE_BATCH_NORM, *evidence.init_advice()),
        _indices(exploding),
    )


def vanishing_gradients(evidence: Evidence) -> Finding | None:
    """Hidden layers whose gradient is orders of magnitude below the output layer's: by BP
    step 3 each layer down multiplies ``δ`` by ``W^[l+1]ᵀ`` and ``f'(Z^[l])``."""
    vanishing = evidence.vanishing()
    if not vanishing:
        return None
    worst = min(vanishing, key=lambda s: s.grad_to_last or 0.0)
    message = (
        f"{layer_range(_indices(vanishing))}: gradients vanish toward the input: "
        f"{_gradient(worst)} is {sci(worst.grad_to_last)} × {_gradient(evidence.last)} "
        f"(below {VANISHING_RATIO:g})"
    )
    lowest = min(s.index for s in vanishing)
    above = [d.index for d in evidence.dead() if d.index > lowest]
    if above:
        message += f"; the dead ReLUs of {layer_range(above)} pass no gradient down"
    # Sigmoid's σ' ≤ 1/4 shrinks δ at every layer even with well-scaled weights: the
    # cure is another activation; smaller weights help only where units saturate.
    helps = [ADVICE_RELU, ADVICE_HE] if evidence.saturating() else [ADVICE_HE]
    if any((s.saturated_fraction or 0.0) > SATURATION_FRACTION for s in evidence.hidden):
        helps.append(ADVICE_XAVIER)
    return Finding(
        "vanishing_gradients",
        worst.index,
        message,
        advice(*helps, ADVICE_BATCH_NORM),
        _indices(vanishing),
    )


def dead_relu(evidence: Evidence) -> Finding | None:
    """ReLU layers most of whose units output 0 on every sample, so never learn."""
    dead = evidence.dead()
    if not dead:
        return None
    worst = max(dead, key=lambda s: s.dead_fraction or 0.0)
    stats = evidence.stats

    def why(s: LayerStats) -> str:
        if s.index > 1 and stats[s.index - 2].mean_abs_activation == 0:
            return "(its input is all 0)"
        return "(no bias)" if s.bias_mean is None else f"(mean bias {s.bias_mean:.3g})"

    details = ", ".join(
        f"layer {s.index}: {round((s.dead_fraction or 0.0) * s.n_out)} of {s.n_out} {why(s)}"
        for s in dead
    )
    return Finding(
        "dead_relu",
        worst.index,
        f"{layer_range(_indices(dead))}: more than {DEAD_FRACTION:.0%} of the ReLU units are "
        f"dead (Z ≤ 0 for every sample, so f'(Z) = 0 and they never learn): {details}",
        advice(ADVICE_BIAS, ADVICE_HE, ADVICE_LOWER_LR),
        _indices(dead),
    )


def saturation(evidence: Evidence) -> Finding | None:
    """Sigmoid or tanh layers most of whose activations sit where ``f'(Z) ≈ 0``."""
    checked = evidence.hidden if evidence.fused_output else evidence.stats
    saturated = [s for s in checked if (s.saturated_fraction or 0.0) > SATURATION_FRACTION]
    if not saturated:
        return None
    worst = max(saturated, key=lambda s: s.saturated_fraction or 0.0)
    details = ", ".join(f"layer {s.index}: {percent(s.saturated_fraction)}" for s in saturated)
    return Finding(
        "saturation",
        worst.index,
        f"{layer_range(_indices(saturated))}: more than {SATURATION_FRACTION:.0%} of the "
        f"sigmoid/tanh activations are saturated (σ: a < {SIGMOID_SATURATION:g} or "
        f"a > {1 - SIGMOID_SATURATION:g}; tanh: |a| > {TANH_SATURATION:g}): there "
        f"f'(Z) ≈ 0, so little gradient passes and those units barely learn: {details}",
        advice(ADVICE_XAVIER, ADVICE_RELU, ADVICE_BATCH_NORM, ADVICE_STANDARDIZE),
        _indices(saturated),
    )


def large_updates(evidence: Evidence) -> Finding | None:
    """A next step that moves a weight by more than :data:`LARGE_UPDATE_RATIO` of its norm."""
    large = [
        s
        for s in evidence.stats
        if s.update_ratio is not None and s.update_ratio > LARGE_UPDATE_RATIO
    ]
    if not large:
        return None
    worst = max(large, key=lambda s: s.update_ratio or 0.0)
    return Finding(
        "large_updates",
        worst.index,
        f"{layer_range(_indices(large))}: the next step changes {worst.weight} by more than "
        f"{LARGE_UPDATE_RATIO:g} of its norm (layer {worst.index}: "
        f"{sci(worst.update_ratio)} × ‖{worst.weight}‖; ~1e-3 is healthy)",
        advice(ADVICE_LOWER_LR, ADVICE_CLIP),
        _indices(large),
    )


def tiny_updates(evidence: Evidence) -> Finding | None:
    """A next step that moves a weight by less than :data:`TINY_UPDATE_RATIO` of its norm;
    when dead units or vanishing gradients explain it, the advice says to fix those."""
    tiny = [
        s
        for s in evidence.stats
        if s.update_ratio is not None and s.update_ratio < TINY_UPDATE_RATIO
    ]
    if not tiny:
        return None
    worst = min(tiny, key=lambda s: s.update_ratio or 0.0)
    if evidence.dead() or evidence.vanishing():
        cause = "the dead ReLUs" if evidence.dead() else "the vanishing gradients"
        helps = [f"fix {cause} first: a larger learning rate will not help"]
    else:
        helps = [ADVICE_RAISE_LR]
    return Finding(
        "tiny_updates",
        worst.index,
        f"{layer_range(_indices(tiny))}: the next step changes {worst.weight} by less than "
        f"{TINY_UPDATE_RATIO:g} of its norm (layer {worst.index}: "
        f"{sci(worst.update_ratio)} × ‖{worst.weight}‖), so these layers barely learn",
        advice(*helps),
        _indices(tiny),
    )


Rule = Callable[[Evidence], Finding | None]

RULES: tuple[Rule, ...] = (
    non_finite,
    exploding_gradients,
    vanishing_gradients,
    dead_relu,
    saturation,
    large_updates,
    tiny_updates,
)
"""The rules, in the order their findings are listed: the most fundamental first."""


def find(evidence: Evidence) -> list[Finding]:
    """The findings of every rule of :data:`RULES` that fires."""
    return [finding for rule in RULES if (finding := rule(evidence)) is not None]
