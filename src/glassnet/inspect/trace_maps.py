"""Feature maps in the trace: the ``(m, C, H, W)`` arrays of convolutional layers, and the
words that describe image layers.

The documents' column convention (one sample per column) flattens a sample's maps into
one long column, which hides the picture; so a 4-D array stays as it is in the trace,
nested ``[sample][channel][row][column]`` (a convolution's ``W`` and ``∂L/∂W`` as
``[filter][input channel][row][column]``), and is shown one grid per sample and channel
when the maps are small, and as its shape and summary statistics when they are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .trace import LayerInfo

Matrix = list[list[float]]

MAX_SIDE = 8
"""Maps up to 8 × 8 are printed in full, one grid per sample and channel."""
MAX_GRIDS = 32
"""…and at most 32 grids of them: more is a wall of numbers, summarized instead."""
IMAGE_KINDS = ("conv2d", "max_pool2d", "avg_pool2d", "batch_norm2d")
POOLS = {"max_pool2d": "max", "avg_pool2d": "mean"}


def maps(array: Any) -> Any:
    """A 4-D array as nested lists of float, in its own layout."""
    return np.asarray(array, dtype=np.float64).tolist()


def is_maps(value: Any) -> bool:
    """Whether ``value`` is a nested list of rank 4 (feature maps or filters)."""
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth == 4


def grids(value: Any, axes: tuple[str, str]) -> list[tuple[str, Matrix]] | None:
    """Each ``H × W`` grid of a rank-4 ``value`` with its place (``"sample 1, channel
    2"``, counted from 1 as the documents count), or None when they are too many or too
    large to print (:data:`MAX_SIDE`, :data:`MAX_GRIDS`)."""
    array = np.asarray(value, dtype=np.float64)
    m, C, H, W = array.shape
    if H > MAX_SIDE or W > MAX_SIDE or m * C > MAX_GRIDS:
        return None
    return [
        (f"{axes[0]} {i + 1}, {axes[1]} {c + 1}", array[i, c].tolist())
        for i in range(m)
        for c in range(C)
    ]


def shape_note(value: Any, axes: tuple[str, str]) -> str:
    """``"1×2×3×3: samples × channels × height × width"``."""
    shape = np.asarray(value).shape
    return f"{'×'.join(map(str, shape))}: {axes[0]}s × {axes[1]}s × height × width"


def summary(value: Any, digits: int) -> str:
    """The minimum, maximum, mean and standard deviation of a rank-4 ``value``, and its
    share of exact zeros (ReLU's dead outputs, pooling's unchosen entries)."""
    array = np.asarray(value, dtype=np.float64)

    def shown(x: float) -> str:
        text = f"{x:.{min(digits, 4)}g}"
        return "0" if text == "-0" else text

    zeros = float(np.mean(array == 0)) * 100
    return (
        f"min {shown(array.min())}, max {shown(array.max())}, mean {shown(array.mean())}, "
        f"std {shown(array.std())}, {zeros:.0f}% zeros"
    )


def _size(pair: Any) -> str:
    return "×".join(str(int(n)) for n in pair)


def _step(pair: Any) -> str:
    h, w = (int(n) for n in pair)
    return str(h) if h == w else f"({h}, {w})"


def window_text(info: LayerInfo) -> str:
    """``"2×2 kernel, stride 1"`` (with the padding when there is one) of a convolution,
    ``"2×2 windows, stride 2"`` of a pooling layer, ``""`` for any other layer."""
    config = info.config
    if info.kind == "conv2d":
        text = f"{_size(config['kernel_size'])} kernel, stride {_step(config['stride'])}"
        if any(config["padding"]):
            text += f", padding {_step(config['padding'])}"
        return text
    if info.kind in POOLS:
        return f"{_size(config['pool_size'])} windows, stride {_step(config['stride'])}"
    return ""


def has_images(layers: list[LayerInfo]) -> bool:
    return any(info.kind in IMAGE_KINDS for info in layers)


def describe_image_network(layers: list[LayerInfo], loss_description: str) -> str:
    """``"a convolutional network (1×4×4 → conv2d 1→1, 2×2 kernel, stride 1, relu → 1×3×3
    → max_pool2d, 2×2 windows, stride 1 → 1×2×2 → flatten → 4 → dense, sigmoid → 1) with
    binary cross-entropy"``: each layer between the shapes it takes and gives."""
    parts = ["×".join(map(str, layers[0].input_shape))]
    for info in layers:
        words = [info.kind]
        if info.kind == "conv2d":
            words[0] += f" {info.config['in_channels']}→{info.config['out_channels']}"
        if window_text(info):
            words.append(window_text(info))
        if info.activation is not None:
            words.append(info.activation)
        if info.kind == "dense" and "BN" in info.forward_keys:
            words.append("batch norm")
        if info.kind == "dropout":
            words.append(f"rate {info.config.get('rate')}")
        parts += [", ".join(words), "×".join(map(str, info.output_shape))]
    return f"a convolutional network ({' → '.join(parts)}) with {loss_description}"


def incoming_note(info: LayerInfo, between: list[LayerInfo], above: LayerInfo) -> str:
    """How ``∂L/∂A^[l]`` of an image layer is formed from the layer above: back through
    the flatten, pooling and dropout layers between them."""
    steps = []
    if above.kind == "conv2d":
        steps.append(f"rot180({above.symbol('W')}) ∗_full {above.symbol('delta')}")
    else:
        steps.append(f"{above.symbol('W')}ᵀ {above.symbol('delta')}")
    for layer in reversed(between):
        if layer.kind == "flatten":
            steps.append(f"reshaped to {'×'.join(map(str, layer.input_shape))} maps")
        elif layer.kind == "max_pool2d":
            steps.append("each value sent to the max of its window (M_max)")
        elif layer.kind == "avg_pool2d":
            steps.append("each value spread evenly over its window")
        elif layer.kind == "dropout":
            steps.append("times the dropout mask / (1 − p)")
        else:
            steps.append(f"back through {layer.kind}")
    return f"∂L/∂{info.symbol('A')}: " + ", then ".join(steps)
