"""Stacks of dense layers, the multilayer perceptrons of the documents, built from sizes
or typed in from a textbook's weights (what :meth:`Network.build` and
:meth:`Network.from_parameters` put together)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from ..validation import check_unit_interval
from .base import Layer
from .dense import Dense
from .dropout import Dropout


def connect_layers(layers: Sequence[Layer]) -> None:
    """Give each layer the output shape of the one below (:meth:`Layer.connect`), and check
    that the last can be a network's output: an error names the layer that does not fit,
    by its number from the input side, and both shapes."""
    if not layers:
        raise ValueError("layers must hold at least one layer, got none")
    if not layers[0].sized:
        raise ValueError(
            f"the first layer, {layers[0]!r}, needs its input shape: give it when building "
            "it (e.g. Conv2D(..., input_size=(28, 28)) or Flatten((1, 28, 28)))"
        )
    for number, (lower, upper) in enumerate(pairwise(layers), start=2):
        try:
            upper.connect(lower.output_shape)
        except ValueError as exc:
            raise ValueError(f"layer {number} does not fit the layer below: {exc}") from None
    problem = layers[-1].output_problem()
    if problem is not None:
        raise ValueError(problem)
    last = layers[-1]
    if last.activation is not None and last.activation.name == "softmax" and last.n_out < 2:
        raise ValueError(
            "a softmax output needs at least 2 units (with 1 it is always 1 and learns "
            "nothing); use a sigmoid output with loss='bce' for two classes"
        )


def dense_stack(
    sizes: Sequence[int],
    activation: str,
    output_activation: str,
    *,
    init: str | None,
    dropout: float,
    batch_norm: bool,
    rng: np.random.Generator,
    dtype: np.dtype[Any],
) -> list[Layer]:
    """Dense layers ``n_0 → n_1 → … → n_L``; ``activation`` in the hidden ones, with a
    :class:`Dropout` of rate ``dropout`` after each and batch norm inside each when asked."""
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least [n_inputs, n_outputs], got {sizes}")
    if min(sizes) < 1:
        raise ValueError(f"every layer size must be ≥ 1, got {sizes}")
    dropout = check_unit_interval("dropout", dropout)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        is_output = i == len(sizes) - 2
        layers.append(
            Dense(
                n_in,
                n_out,
                output_activation if is_output else activation,
                init=init,
                batch_norm=batch_norm and not is_output,
                rng=rng,
                dtype=dtype,
            )
        )
        if dropout and not is_output:
            layers.append(Dropout(n_out, dropout, rng=rng))
    return layers


def dense_from_parameters(specs: Sequence[dict[str, Any]], dtype: np.dtype[Any]) -> list[Layer]:
    """Dense layers from ``{"W": n_l × n_{l−1}, "b": n_l, "activation": name}`` entries."""
    layers: list[Layer] = []
    for index, spec in enumerate(specs, start=1):
        try:
            W = np.asarray(spec["W"], dtype=float)
        except KeyError:
            raise ValueError(f"layer {index}: missing key 'W'") from None
        if W.ndim != 2:
            raise ValueError(
                f"layer {index}: W must be a matrix n_l × n_(l-1), got shape {W.shape}"
            )
        activation = spec.get("activation", "identity")
        try:
            layer = Dense(W.shape[1], W.shape[0], activation, W=W, b=spec.get("b"), dtype=dtype)
        except ValueError as exc:  # "b must have shape (2,), got (1,)": of which layer
            raise ValueError(f"layer {index}: {exc}") from None
        layers.append(layer)
    return layers
