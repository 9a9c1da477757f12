"""The diagnosis during training: a line of per-layer numbers every diagnosed epoch, and
each finding named when it appears and when it goes away."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ...backend import Array
from ...training import Callback
from ...validation import check_positive_number
from .diagnosis import Diagnosis, diagnose
from .measure import LayerStats, norm, ratio, weight_name
from .text import json_float, layer_range, percent, sci

if TYPE_CHECKING:
    from ...network import Network
    from ...training import TrainingState

FLOW_KINDS = ("vanishing_gradients", "exploding_gradients")
"""The findings about how the gradient flows down, which every watch line repeats: they
are what its ``÷last`` numbers show."""


def layer_summary(s: LayerStats, last: bool) -> str:
    """``l1 ‖∂J/∂W‖ 2.1e-05 (÷last 3.0e-04) ΔW/W 1.0e-06 dead 0%``: the gradient norm, its
    ratio to the output layer's (left out for the output layer itself), the next update
    over the weight, and the dead or saturated share where the activation has one."""
    text = f"l{s.index} ‖∂J/∂{s.weight}‖ {sci(s.grad_norm)}"
    if not last:
        text += f" (÷last {sci(s.grad_to_last)})"
    if s.update_ratio is not None:
        text += f" Δ{s.weight}/{s.weight} {sci(s.update_ratio)}"
    if s.dead_fraction is not None:
        text += f" dead {percent(s.dead_fraction)}"
    if s.saturated_fraction is not None:
        text += f" sat {percent(s.saturated_fraction)}"
    return text


def watch_line(diagnosis: Diagnosis, when: str) -> str:
    """One line for the epoch ``when``: each layer's :func:`layer_summary`, then the
    vanishing or exploding gradients the diagnosis found, e.g.::

        epoch 3  watch: l1 ‖∂J/∂W‖ 2.1e-05 (÷last 3.0e-04) ΔW/W 1.0e-06 sat 0% │ l2 …
    """
    layers = diagnosis.layers
    parts = [layer_summary(s, s is layers[-1]) for s in layers]
    line = f"{when}  watch: " + " │ ".join(parts)
    flows = [f for kind in FLOW_KINDS if (f := diagnosis.finding(kind)) is not None]
    if flows:
        line += "  ⇒ " + ", ".join(
            f"{f.kind.replace('_', ' ')} in {layer_range(f.layers)}" for f in flows
        )
    return line


class DiagnosisWatch(Callback):
    """Diagnose the network during training: a line of numbers per diagnosed epoch, and
    each problem named when it appears and when it goes away.

    Every ``every`` epochs (and once before training when ``at_start``) it runs
    :func:`diagnose` on the first ``max_samples`` rows of ``X``, ``y`` (the training data:
    :class:`~glassnet.training.TrainingState` does not carry it), with the update ratios of
    the optimizer's actual next step. It prints a finding the first epoch it is seen, and a
    line when it is no longer seen, so a problem that persists is named once; then, with
    ``layer_line``, the :func:`watch_line` of the epoch, which repeats vanishing or
    exploding gradients as long as they last::

        epoch 0  diagnosis: saturation: layers 1–7: more than 50% of ...
            what helps: use Xavier initialization / ...
        epoch 0  watch: l1 ‖∂J/∂W‖ 2.1e-05 (÷last 3.0e-04) ΔW/W 1.0e-06 sat 0% │ …

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
        layer_line: bool = True,
        stream: IO[str] | None = None,
        printer: Callable[[str], None] | None = None,
    ) -> None:
        n = check_positive_number("max_samples", max_samples, integer=True)
        self.X, self.y = np.asarray(X)[:n], np.asarray(y)[:n]
        self.every = check_positive_number("every", every, integer=True)
        self.at_start = at_start
        self.layer_line = layer_line
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
            self._start = [weight.copy() for weight in _weights(_network(state))]

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        if state.epoch % self.every == 0:
            self._diagnose(state, state.epoch, self._start)
            self._start = None

    def _diagnose(self, state: TrainingState, epoch: int, start: list[Array] | None) -> None:
        network = _network(state)
        diagnosis = diagnose(network, self.X, self.y, optimizer=state.optimizer)
        record: dict[str, Any] = {"epoch": epoch, **diagnosis.to_dict()}
        for index, weight in enumerate(_weights(network)):
            change = None
            if start is not None:
                change = json_float(ratio(norm(weight - start[index]), norm(start[index])))
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
        if self.layer_line:
            self._print(watch_line(diagnosis, when))

    def _print(self, line: str) -> None:
        if self.printer is not None:
            self.printer(line)
        else:
            print(line, file=self.stream or sys.stdout, flush=True)


def _network(state: TrainingState) -> Network:
    from ...network import Network

    assert isinstance(state.network, Network), "the watch diagnoses glassnet Networks"
    return state.network


def _weights(network: Network) -> list[Array]:
    """Each layer's weight (``W^[l]``), as the diagnosis measures it."""
    return [layer.params[weight_name(layer)] for layer in network.parametric_layers()]
