"""The image layers of a trace spec: convolutions, pooling and batch norm over channels.

Data is NCHW as in the layers: ``X`` lists samples of ``C × H × W`` values, nested as
``X[i][c][y][x]``; for one channel ``X[i][y][x]`` is enough (each sample is read as a
single channel). The first image layer takes its input shape from ``X``, or from the
spec's ``input_shape`` (``[C, H, W]``, or ``[H, W]`` for one channel) when given, which
``X`` must then match. Each layer after it takes the shape of the layer below.

.. code-block:: json

    {"type": "conv2d", "activation": "relu", "W": [[[[1, -1], [0, 1]]]], "b": [0],
     "stride": 1, "padding": 0}
    {"type": "max_pool2d", "pool_size": 2, "stride": 1}
    {"type": "avg_pool2d", "pool_size": [2, 2]}
    {"type": "batch_norm2d", "gamma": [1.0], "beta": [0.0], "momentum": 0.1, "epsilon": 1e-5}

``W`` of a ``conv2d`` layer is ``F × C × kh × kw`` (filters, input channels, kernel rows,
kernel columns), the layout of PyTorch and ONNX, so the sizes of the layer are read off
it; ``b`` has one value per filter (default zeros) and ``activation`` defaults to the
identity, as a dense layer's does. Sizes, strides and paddings are a whole number or a
pair ``[height, width]``; a pooling layer's stride defaults to its window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..activations import get_activation
from ..backend import Array
from ..layers import AvgPool2D, BatchNorm2D, Conv2D, Layer, MaxPool2D
from ..validation import shown
from . import spec_fields as fields
from .spec_fields import SpecError

IMAGE_KINDS = ("conv2d", "max_pool2d", "avg_pool2d", "batch_norm2d")
"""The kinds of layer that take ``(C, H, W)`` maps and are built here."""
KEYS = {
    "conv2d": {"type", "activation", "W", "b", "stride", "padding"},
    "max_pool2d": {"type", "pool_size", "stride"},
    "avg_pool2d": {"type", "pool_size", "stride"},
    "batch_norm2d": {"type", "gamma", "beta", "momentum", "epsilon"},
}
MAX_WINDOW = 64
"""The largest kernel, window, stride or padding a spec may declare: a spec is a small
example typed by hand, and a padding of a billion would allocate without end."""


def input_shape(where: str, raw: dict[str, Any], X: Array, first: str) -> tuple[int, int, int]:
    """The ``(C, H, W)`` the first layer (an image layer of kind ``first``) takes: the
    spec's ``input_shape`` when given, else the shape of ``X``'s samples."""
    if "input_shape" in raw:
        value = raw["input_shape"]
        if not isinstance(value, list) or len(value) not in (2, 3):
            raise SpecError(
                f"{where}: input_shape must be a list [channels, height, width] (or [height, "
                f"width] for one channel), got {shown(value)}"
            )
        items = {f"input_shape[{i}]": item for i, item in enumerate(value)}
        sizes = [fields.integer(where, items, key, 0, low=1) for key in items]
        shape = (1, *sizes) if len(sizes) == 2 else tuple(sizes)
        sample = X.shape[1:] if X.ndim == 4 else (1, *X.shape[1:])
        if sample != shape:
            raise SpecError(
                f"{where}: input_shape is {tuple(value)}, but each sample of X has shape "
                f"{X.shape[1:]}"
            )
        return shape[0], shape[1], shape[2]
    if X.ndim == 4:
        return X.shape[1], X.shape[2], X.shape[3]
    if X.ndim == 3:
        return 1, X.shape[1], X.shape[2]
    raise SpecError(
        f"{where}: the first layer is {first}, which takes images: X must list samples of "
        f"channels × height × width values (or height × width for one channel), but its "
        f"samples have shape {X.shape[1:]}"
    )


def as_maps(X: Array, shape: tuple[int, ...]) -> Array:
    """``X`` of ``(m, H, W)`` as ``(m, 1, H, W)`` when the network takes one channel of
    ``H × W``; any other ``X`` as it is."""
    if X.ndim == 3 and shape == (1, *X.shape[1:]):
        return X.reshape(X.shape[0], *shape)
    return X


def image_layer(
    here: str,
    kind: str,
    spec: dict[str, Any],
    dtype: np.dtype[Any],
    shape: tuple[int, ...] | None,
) -> Layer:
    """An image layer of ``kind`` from its table, on inputs of ``shape`` (the layer
    below's output, or the network's input shape for the first layer)."""
    unknown = sorted(set(spec) - KEYS[kind])
    if unknown:
        known = ", ".join(sorted(KEYS[kind] - {"type"}))
        raise SpecError(f"{here}: unknown key(s) {unknown}; a {kind} layer takes {known}")
    if shape is None or len(shape) != 3:
        raise SpecError(
            f"{here}: a {kind} layer takes channels × height × width maps, but the layer "
            f"below gives outputs of shape {shape}"
        )
    try:
        if kind == "conv2d":
            return _conv(here, spec, dtype, shape)
        if kind == "batch_norm2d":
            return _batch_norm(here, spec, dtype, shape)
        if "pool_size" not in spec:
            raise SpecError(f"{here}: missing key 'pool_size' (the window: 2 or [2, 2])")
        size = fields.pair(here, spec, "pool_size", None, low=1, high=MAX_WINDOW)
        stride = None  # the window itself, unless given
        if "stride" in spec:
            stride = fields.pair(here, spec, "stride", None, low=1, high=MAX_WINDOW)
        pool = MaxPool2D if kind == "max_pool2d" else AvgPool2D
        return pool(size, stride, input_shape=(shape[0], shape[1], shape[2]))
    except SpecError:
        raise
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: {exc}") from None


def _conv(here: str, spec: dict[str, Any], dtype: np.dtype[Any], shape: tuple[int, ...]) -> Conv2D:
    if "W" not in spec:
        raise SpecError(
            f"{here}: missing key 'W' (the F × C × kh × kw filters: filters, input channels, "
            "kernel rows, kernel columns)"
        )
    W = fields.array(here, spec["W"], "W", dtype)
    if W.ndim != 4 or W.size == 0:
        raise SpecError(
            f"{here}: W of a conv2d layer must be F × C × kh × kw nested lists (filters, "
            f"input channels, kernel rows, kernel columns), got shape {W.shape}"
        )
    F, C, kh, kw = W.shape
    if C != shape[0]:
        raise SpecError(
            f"{here}: W is {F} × {C} × {kh} × {kw}, so its filters see {C} channel(s), but "
            f"its input has {shape[0]} (shape {shape})"
        )
    if max(kh, kw) > MAX_WINDOW:
        raise SpecError(f"{here}: W's kernel is {kh} × {kw}, larger than {MAX_WINDOW}")
    b = spec.get("b")
    if b is not None:
        b_array = fields.array(here, b, "b", dtype)
        if b_array.reshape(-1).shape != (F,) or b_array.ndim > 2:
            raise SpecError(
                f"{here}: b has shape {b_array.shape}, but W has {F} filter(s): b needs "
                f"{F} value(s), one per filter"
            )
        b = b_array.reshape(-1)
    try:
        activation = get_activation(spec.get("activation", "identity"))
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: activation: {exc}") from None
    stride = fields.pair(here, spec, "stride", 1, low=1, high=MAX_WINDOW)
    padding = fields.pair(here, spec, "padding", 0, low=0, high=MAX_WINDOW)
    return Conv2D(
        C,
        F,
        (kh, kw),
        stride,
        padding,
        activation,
        input_size=(shape[1], shape[2]),
        W=W,
        b=b,
        dtype=dtype,
    )


def _batch_norm(
    here: str, spec: dict[str, Any], dtype: np.dtype[Any], shape: tuple[int, ...]
) -> BatchNorm2D:
    settings: dict[str, Any] = {
        key: fields.array(here, spec[key], key, dtype) for key in ("gamma", "beta") if key in spec
    }
    for key in ("momentum", "epsilon"):
        if key in spec:
            settings[key] = fields.number(here, spec, key, 0.0)
    return BatchNorm2D(shape[0], input_size=(shape[1], shape[2]), **settings, dtype=dtype)
