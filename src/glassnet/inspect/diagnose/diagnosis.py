"""One diagnosis: a training-mode pass on a copy of the network, measured and judged."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ...optimizers import SGD, Optimizer
from ...training.divergence import first_non_finite
from ...validation import check_positive_number, check_sample_weight
from .findings import Evidence, Finding, find
from .measure import LayerStats, measure
from .text import json_float, percent, sci

if TYPE_CHECKING:
    from ...network import Network


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
            "cost": json_float(self.cost),
            "update_rule": self.update_rule,
            "non_finite": self.non_finite,
            "layers": [
                {key: json_float(value) for key, value in asdict(stats).items()}
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
                f"{sci(s.weight_norm):>8} {sci(s.grad_norm):>8} {sci(s.grad_to_weight):>8} "
                f"{sci(s.grad_to_last):>9} {sci(s.update_ratio):>8} "
                f"{sci(s.mean_abs_activation):>8} {percent(s.dead_fraction):>5} "
                f"{percent(s.zero_fraction):>5} {percent(s.saturated_fraction):>5}"
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
    randomness is left out (``fix_randomness(None)``: no dropout), so that the diagnosis
    is the same every time.

    Parameters
    ----------
    X, y:
        A batch, ``(m, *input_shape)`` and targets as :meth:`Network.fit` takes them.
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
        stats = measure(net, optimizer)
    findings = find(Evidence(stats, net.fused_output, culprit))
    rule = None if optimizer is None else f"{optimizer.name} (lr {optimizer.learning_rate:g})"
    report = None if culprit is None else str(culprit)
    return Diagnosis(stats, findings, cost, int(X.shape[0]), rule, report)
