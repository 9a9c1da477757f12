"""Which quantity of a pass first became NaN or inf: what training says when it diverges,
and what the diagnosis reports.

The search reads the record every layer keeps of its last pass (see
:class:`~glassnet.layers.Layer`), in the order the pass computed it: the input ``X``;
then for each layer its parameters and its forward record (``Z^[l]``, ``BN(Z^[l])``,
``A^[l]``, a dropout mask, …); then the cost; then the backward records from the output
layer down (``δ^[L]``, ``∂J/∂W^[L]``, …).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..backend import Array, xp

if TYPE_CHECKING:
    from ..layers import Layer
    from .trainable import Trainable


@dataclass(frozen=True)
class Culprit:
    """The first non-finite quantity: its name, where it is, and why when that is known."""

    label: str
    where: str
    layer: int | None
    """The documents' ``l`` of its layer, or ``None`` (the input, the cost)."""
    array: Array | None
    cause: str = ""

    def __str__(self) -> str:
        text = f"{self.label} ({self.where}) is the first non-finite quantity"
        if self.array is not None:
            text += ": " + count_non_finite(self.array)
        if self.cause:
            text += "; " + self.cause
        return text


def non_finite_report(network: Trainable, cost: float | None = None) -> str | None:
    """Name the first NaN or inf in the record of the network's last pass, or ``None``.

    Call it right after the pass that went wrong (the layers keep only the last one).
    For example::

        Z^[2] (layer 2, dense) is the first non-finite quantity: 3 of 40 entries are inf
    """
    with np.errstate(all="ignore"):
        culprit = first_non_finite(network, cost)
        return None if culprit is None else str(culprit)


def first_non_finite(network: Trainable, cost: float | None) -> Culprit | None:
    """The first NaN or inf of the last pass, in the order the pass computed it."""
    numbered = network.numbered_layers()
    X = network.last_input
    if X is not None and not _finite(X):
        return Culprit("X = A^[0]", "the input", None, X)
    previous: tuple[str, Array | None] = ("X", X)
    for l, layer in numbered:
        where = f"layer {l}, {layer.kind}"
        for name, theta in layer.params.items():
            if not _finite(theta):
                return Culprit(layer.notation(name, l), where, l, theta)
        for key, array in layer.forward_record().items():
            if array is not None and not _finite(array):
                cause = _overflow_cause(layer, l, previous) if key == "Z" else ""
                return Culprit(layer.notation(key, l), where, l, array, cause)
            if key == "A":
                previous = (layer.notation(key, l), array)
    if cost is not None and not math.isfinite(cost):
        A = network.output_layer.forward_record().get("A")
        L = numbered[-1][0]
        largest = "" if A is None else f" (largest |A^[{L}]| = {largest_finite(A)})"
        return Culprit(
            f"the cost J = {cost}",
            "loss",
            None,
            None,
            f"every Z and A is finite, so the loss itself overflowed{largest}",
        )
    for l, layer in reversed(numbered):
        where = f"layer {l}, backward pass"
        for key, array in layer.backward_record().items():
            if array is not None and not _finite(array):
                return Culprit(layer.notation(key, l), where, l, array)
    return None


def _overflow_cause(layer: Layer, l: int, previous: tuple[str, Array | None]) -> str:
    """Why ``Z^[l]`` is not finite when its inputs are: the sums overflowed the dtype."""
    name, A_prev = previous
    W = layer.params.get("W")
    if W is None or A_prev is None or not _finite(A_prev):
        return ""
    largest = float(np.finfo(W.dtype).max)
    return (
        f"W^[{l}], b^[{l}] and {name} are finite (largest |W^[{l}]| = {largest_finite(W)}, "
        f"largest |{name}| = {largest_finite(A_prev)}), so W A + b overflowed {W.dtype} "
        f"(largest finite value {largest:.3g})"
    )


def _finite(array: Array) -> bool:
    return bool(xp.isfinite(array).all())


def largest_finite(array: Array) -> str:
    """The largest finite ``|value|`` of ``array``, formatted, or ``'n/a'``."""
    finite = xp.abs(array[xp.isfinite(array)])
    return f"{float(finite.max()):.3g}" if finite.size else "n/a"


def count_non_finite(array: Array) -> str:
    """``'3 of 40 entries are inf'``."""
    nan = int(xp.isnan(array).sum())
    inf = int(xp.isinf(array).sum())
    total = int(array.size)
    if nan and inf:
        return f"{nan + inf} of {total} entries are NaN or inf ({nan} NaN, {inf} inf)"
    return f"{nan or inf} of {total} entries are {'NaN' if nan else 'inf'}"
