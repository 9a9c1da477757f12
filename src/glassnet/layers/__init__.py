"""Layers: each kind in a file of its own, with its forward and backward pass side by side.

The registry below maps each kind's ``config()["type"]`` to its class: a new kind of
layer is one file plus one line here, and the network, training, the glass box and the
model file take it through the :class:`Layer` interface.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Layer
from .batch_norm import BatchNorm
from .batch_norm2d import BatchNorm2D
from .conv2d import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import AvgPool2D, MaxPool2D
from .reshape import Reshape

LAYERS: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (
        Dense,
        BatchNorm,
        Dropout,
        Flatten,
        Reshape,
        Conv2D,
        MaxPool2D,
        AvgPool2D,
        BatchNorm2D,
    )
}
"""Every kind of layer a network or a model file can hold, by its ``type``."""


def layer_from_config(
    config: dict[str, Any],
    arrays: dict[str, Any],
    dtype: np.dtype[Any] | str,
    rng: np.random.Generator | None = None,
    *,
    exact: bool = False,
) -> Layer:
    """Rebuild a layer from its :meth:`Layer.config` and its ``params`` and ``buffers``.

    With ``exact`` (a model file), ``arrays`` must hold exactly the layer's arrays, each of
    the shape it needs: a missing one would otherwise be filled with a default, another
    model than the one saved.
    """
    kind = config.get("type")
    if not isinstance(kind, str) or kind not in LAYERS:
        raise ValueError(
            f"unknown layer type {kind!r}; expected one of {', '.join(map(repr, LAYERS))}"
        )
    layer = LAYERS[kind].from_config(config, arrays, dtype, rng)
    if exact:
        expected = {**layer.params, **layer.buffers}
        if absent := sorted(set(expected) - set(arrays)):
            raise ValueError(f"missing array(s) {absent}")
        for name, array in arrays.items():
            if name not in expected:
                raise ValueError(f"no array {name!r} belongs to this layer")
            if array.shape != expected[name].shape:
                raise ValueError(
                    f"{name} has shape {array.shape} but the layer needs {expected[name].shape}"
                )
    return layer


__all__ = [
    "LAYERS",
    "AvgPool2D",
    "BatchNorm",
    "BatchNorm2D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Reshape",
    "layer_from_config",
]
