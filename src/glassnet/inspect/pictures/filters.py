"""Pictures of a convolutional network: the filters it learned and one sample's feature maps.

- :func:`draw_filters`: each :class:`~glassnet.layers.Conv2D` layer's ``F`` filters as
  small ``kh × kw`` images, one row of panels per layer. A filter of a layer with several
  input channels (``C > 1``) is drawn as its mean over the channels, ``(1/C) Σ_c
  W[f, c]``: one picture per filter stays readable for 32 or 64 channels, and it shows
  what the filter responds to where the channels agree. Colours are diverging and
  symmetric about zero (red positive, blue negative, white zero) on one scale per layer,
  ``±max |W^[l]|``, so filters of a layer compare directly.
- :func:`draw_feature_maps`: one sample's ``A^[l]`` of each convolution and pooling layer,
  a row of its channels per layer under the input's channels, each row on one colour
  scale, from one inference pass on a copy of the network.

Both draw with matplotlib, imported when called, on a :class:`~matplotlib.figure.Figure`
without pyplot, and write a PNG atomically given a ``path`` (see :mod:`.common`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ...backend import Array
from .common import finish, require_matplotlib, shape_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ...network import Network

COLUMNS = 16
"""Panels per row: a layer with more filters or channels wraps onto further rows."""
MAPS_KINDS = ("conv2d", "max_pool2d", "avg_pool2d")


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer ≥ 1, got {value!r}")
    return value


def filter_images(W: Any) -> Array:
    """The pictures of ``W`` of shape ``(F, C, kh, kw)``: ``(F, kh, kw)``, each filter's
    mean over its input channels (the filter itself when ``C = 1``)."""
    return np.asarray(W, dtype=np.float64).mean(axis=1)


@overload
def draw_filters(network: Network, path: None = None, *, max_filters: int = 64) -> Figure: ...
@overload
def draw_filters(
    network: Network, path: str | os.PathLike[str], *, max_filters: int = 64
) -> Path: ...
def draw_filters(
    network: Network, path: str | os.PathLike[str] | None = None, *, max_filters: int = 64
) -> Figure | Path:
    """Each convolution's filters ``W^[l]`` as ``kh × kw`` images (the first
    ``max_filters`` of a layer), one block of rows per layer; the figure, or the path of
    its PNG given ``path``."""
    require_matplotlib("draw_filters")
    from matplotlib.figure import Figure

    max_filters = _check_count("max_filters", max_filters)
    convs = [(l, layer) for l, layer in network.numbered_layers() if layer.kind == "conv2d"]
    if not convs:
        kinds = ", ".join(layer.kind for layer in network.layers)
        raise ValueError(f"draw_filters needs a network with a conv2d layer; its layers: {kinds}")
    blocks = []
    for l, layer in convs:
        W = np.asarray(layer.params["W"])
        C = W.shape[1]
        title = f"W^[{l}]: {shape_text(W.shape)}" + (f", mean over {C} channels" if C > 1 else "")
        blocks.append((title, filter_images(W)[:max_filters], float(np.abs(W).max())))
    fig, panels = _grid(Figure, [(title, images) for title, images, _ in blocks])
    for (_, images, top), axes in zip(blocks, panels, strict=True):
        top = top or 1.0  # all zeros: any symmetric scale shows them white
        for f, (ax, image) in enumerate(zip(axes, images, strict=False), start=1):
            ax.imshow(image, cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
            ax.set_title(f"f{f}", fontsize=7)
    return finish(fig, path)


@overload
def draw_feature_maps(
    network: Network, x: Any, path: None = None, *, max_maps: int = 16
) -> Figure: ...
@overload
def draw_feature_maps(
    network: Network, x: Any, path: str | os.PathLike[str], *, max_maps: int = 16
) -> Path: ...
def draw_feature_maps(
    network: Network, x: Any, path: str | os.PathLike[str] | None = None, *, max_maps: int = 16
) -> Figure | Path:
    """One sample's feature maps: its input channels, then ``A^[l]`` of each convolution
    and pooling layer (the first ``max_maps`` channels of each), one block of rows per
    layer on one colour scale.

    ``x`` is one sample of the network's ``input_shape`` ``(C, H, W)`` (or ``(H, W)`` for
    one channel, or a batch of one). The pass is an inference pass on a copy,
    ``network.astype(...)``, so ``network`` and its record stay as they were.
    """
    require_matplotlib("draw_feature_maps")
    from matplotlib.figure import Figure

    max_maps = _check_count("max_maps", max_maps)
    shape = network.input_shape
    sample = np.asarray(x)
    if sample.shape == shape[1:] and shape[0] == 1:
        sample = sample.reshape(shape)
    if sample.shape == shape:
        sample = sample[None]
    if len(shape) != 3 or sample.shape != (1, *shape):
        raise ValueError(
            f"x must be one sample of shape {shape} (channels, height, width), got an array "
            f"of shape {np.asarray(x).shape}"
        )
    net = network.astype(network.dtype.name)
    net.forward(net.check_X(sample, name="x"), training=False)
    blocks = [(f"A^[0] = x: {shape_text(shape)}", sample[0].astype(np.float64))]
    for l, layer in net.numbered_layers():
        if layer.kind not in MAPS_KINDS:
            continue
        A = np.asarray(layer.forward_record()["A"], dtype=np.float64)[0]
        name = layer.kind + (f" {layer.activation.name}" if layer.activation else "")
        blocks.append((f"{layer.notation('A', l)} ({name}): {shape_text(A.shape)}", A))
    if len(blocks) == 1:
        raise ValueError("draw_feature_maps needs a network with a conv2d or pooling layer")
    fig, panels = _grid(Figure, [(title, maps[:max_maps]) for title, maps in blocks])
    for (_, maps), axes in zip(blocks, panels, strict=True):
        low, high = float(maps.min()), float(maps.max())
        for c, (ax, image) in enumerate(zip(axes, maps, strict=False), start=1):
            ax.imshow(image, cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
            ax.set_title(f"c{c}", fontsize=7)
    return finish(fig, path)


def _grid(figure: type[Figure], blocks: list[tuple[str, Array]]) -> tuple[Figure, list[list[Axes]]]:
    """A figure with a block of rows per ``(title, images)`` (up to :data:`COLUMNS` panels
    a row), and each block's axes, one per image; the unused axes are hidden."""
    columns = min(COLUMNS, max(len(images) for _, images in blocks))
    rows = [math.ceil(len(images) / columns) for _, images in blocks]
    width = max(0.9 * columns + 0.4, 3.6)  # room for the block titles
    fig = figure(figsize=(width, 0.95 * sum(rows) + 0.35 * len(blocks)), layout="constrained")
    subfigures = fig.subfigures(len(blocks), 1, height_ratios=rows, squeeze=False)[:, 0]
    panels = []
    for sub, (title, images), n_rows in zip(subfigures, blocks, rows, strict=True):
        sub.suptitle(title, fontsize=9, x=0.01, ha="left")
        axes = sub.subplots(n_rows, columns, squeeze=False).ravel()
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in axes[len(images) :]:
            ax.set_visible(False)
        panels.append(list(axes[: len(images)]))
    return fig, panels
