"""The measurements of one pass: per layer with parameters, what its arrays say.

Everything is read through the :class:`~glassnet.layers.Layer` interface: the weight and
its gradient from ``params`` and ``grads``, ``Z`` and ``A`` from ``forward_record()``. So
a layer kind the diagnosis has never seen is measured like a dense one, as long as it
names its arrays as the documents do.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ...backend import Array, xp
from .thresholds import SIGMOID_SATURATION, TANH_SATURATION

if TYPE_CHECKING:
    from ...layers import Layer
    from ...network import Network
    from ...optimizers import Optimizer

NO_ACTIVATION = "—"
"""What :attr:`LayerStats.activation` holds for a layer without one."""

SATURATED: dict[str, Callable[[Array], Array]] = {
    "sigmoid": lambda A: (A < SIGMOID_SATURATION) | (A > 1 - SIGMOID_SATURATION),
    "tanh": lambda A: xp.abs(A) > TANH_SATURATION,
}
"""For each saturating activation, which entries of ``A`` sit on its flat tails."""


@dataclass(frozen=True)
class LayerStats:
    """The measurements of one layer ``l`` with parameters; ``None`` where a quantity does
    not apply (no learning rate given, not a ReLU, not a sigmoid/tanh, no bias, a zero
    denominator)."""

    index: int
    """``l``, from 1."""
    n_in: int
    n_out: int
    activation: str
    """The name of ``f``, or ``'—'`` for a layer without an activation."""
    weight_norm: float
    """``‖W^[l]‖`` (Frobenius)."""
    bias_mean: float | None
    """The mean of ``b^[l]``: strongly negative biases kill ReLUs."""
    grad_norm: float
    """``‖∂J/∂W^[l]‖``, regularization included."""
    bias_grad_norm: float | None
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
    mean_abs_activation: float | None
    """``mean |A^[l]|`` over the batch and the units."""
    dead_fraction: float | None
    """ReLU only: the fraction of units with ``Z ≤ 0`` for every sample of the batch."""
    zero_fraction: float | None
    """ReLU only: the fraction of the entries of ``A^[l]`` that are exactly 0."""
    saturated_fraction: float | None
    """Sigmoid and tanh only: the fraction of saturated entries of ``A^[l]``."""
    kind: str = "dense"
    """The layer's kind, as its ``config()`` names it."""
    weight: str = "W"
    """The name of the parameter measured as the weight: ``W``, or the first regularized
    (else the first) parameter of a layer without one."""


def weight_name(layer: Layer) -> str:
    """The parameter a layer's weight statistics are about: ``'W'`` when it has one (the
    documents' name), else the first one L1/L2 penalize, else its first parameter."""
    params = layer.params
    if "W" in params:
        return "W"
    return next(iter(layer.regularized or params))


def output_of(record: Mapping[str, Array | None]) -> Array | None:
    """``A^[l]``: the record's ``A``, or the last array it holds (a layer's output is the
    last thing its forward pass computes)."""
    if "A" in record:
        return record["A"]
    arrays = [array for array in record.values() if array is not None]
    return arrays[-1] if arrays else None


def activation_input(record: Mapping[str, Array | None]) -> Array | None:
    """The array ``f`` was applied to: the entry computed just before ``A`` (``Z``, or
    ``BN(Z)`` with batch norm), since ``A = f(·)`` is the last step of the pass."""
    keys = list(record)
    if "A" not in keys or keys.index("A") == 0:
        return None
    return record[keys[keys.index("A") - 1]]


def norm(array: Array) -> float:
    """The Frobenius norm in float64, so that a float32 array of entries above ~1e19
    (whose squares overflow float32) still gets a finite norm."""
    return float(xp.linalg.norm(array.reshape(-1).astype(np.float64)))


def ratio(numerator: float | None, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` for a zero or non-finite denominator."""
    if numerator is None or denominator == 0 or not math.isfinite(denominator):
        return None
    return numerator / denominator


def measure(net: Network, optimizer: Optimizer | None = None) -> list[LayerStats]:
    """The :class:`LayerStats` of each layer with parameters, from the record of the last
    forward and backward pass of ``net``; the update ratios from the step ``optimizer``
    would take next (``None`` without one)."""
    layers = net.parametric_layers()
    updates = next_updates(net, optimizer)
    stats = [
        layer_stats(index, layer, update)
        for index, (layer, update) in enumerate(zip(layers, updates, strict=True), start=1)
    ]
    last = stats[-1].grad_norm
    return [replace(s, grad_to_last=ratio(s.grad_norm, last)) for s in stats]


def next_updates(net: Network, optimizer: Optimizer | None) -> list[float | None]:
    """``‖ΔW^[l]‖`` of the step ``optimizer`` would take next, from a copy of it."""
    layers = net.parametric_layers()
    if optimizer is None:
        return [None] * len(layers)
    names = [name for name, _ in net.parameters()]
    params = [theta.copy() for _, theta in net.parameters()]  # the step moves these copies
    grads = [grad for _, grad in net.gradients()]
    copy.deepcopy(optimizer).step(params, grads)  # its state (moments, velocities) untouched
    moved = dict(zip(names, params, strict=True))
    updates: list[float | None] = []
    for l, layer in enumerate(layers, start=1):
        key = weight_name(layer)  # the network names layer l's arrays "W1", "b1", …
        updates.append(norm(moved[f"{key}{l}"] - layer.params[key]))
    return updates


def layer_stats(index: int, layer: Layer, update: float | None) -> LayerStats:
    """The measurements of ``layer``, numbered ``index``, from its record."""
    key = weight_name(layer)
    W, dW = layer.params[key], layer.grads[key]
    b, db = layer.params.get("b"), layer.grads.get("b")
    record = layer.forward_record()
    A = output_of(record)
    dead, zero, saturated = activation_stats(layer, record)
    weight_norm, grad_norm = norm(W), norm(dW)
    return LayerStats(
        index=index,
        n_in=layer.n_in,
        n_out=layer.n_out,
        activation=NO_ACTIVATION if layer.activation is None else layer.activation.name,
        weight_norm=weight_norm,
        bias_mean=None if b is None else float(xp.mean(b)),
        grad_norm=grad_norm,
        bias_grad_norm=None if db is None else norm(db),
        grad_to_weight=ratio(grad_norm, weight_norm),
        grad_to_last=None,
        update_norm=update,
        update_ratio=ratio(update, weight_norm),
        mean_abs_activation=None if A is None else float(xp.mean(xp.abs(A.astype(np.float64)))),
        dead_fraction=dead,
        zero_fraction=zero,
        saturated_fraction=saturated,
        kind=layer.kind,
        weight=key,
    )


def activation_stats(
    layer: Layer, record: Mapping[str, Array | None]
) -> tuple[float | None, float | None, float | None]:
    """``(dead, zero, saturated)`` fractions where ``layer``'s activation has them.

    A *unit* is one output value per sample (a neuron of a dense layer, one position of
    one channel of a convolution): it is dead when ``f`` got ``≤ 0`` on every sample.
    """
    A = output_of(record)
    if layer.activation is None or A is None:
        return None, None, None
    name = layer.activation.name
    A = A.reshape(A.shape[0], -1)
    if name == "relu":
        # f' = 0 where the activation's input is ≤ 0; with batch norm that input is BN(Z).
        pre = activation_input(record)
        pre = A if pre is None else pre.reshape(pre.shape[0], -1)
        return float(xp.mean(xp.all(pre <= 0, axis=0))), float(xp.mean(A == 0)), None
    if name in SATURATED:
        return None, None, float(xp.mean(SATURATED[name](A)))
    return None, None, None
