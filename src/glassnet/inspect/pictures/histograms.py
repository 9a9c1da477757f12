"""Histograms of what one pass computes: per layer, ``A^[l]``, ``∂L/∂W^[l]`` and ``δ^[l]``.

Each layer with parameters is a row; its arrays are read from the record of the pass
(``forward_record()``, ``grads``, ``backward_record()``), so any kind of layer is drawn,
whatever the rank of its arrays.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ...backend import Array
from ..diagnose.measure import output_of, weight_name
from .common import NEGATIVE, POSITIVE, ZERO, finish, require_matplotlib, shape_text, sizes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ...layers import Layer
    from ...network import Network

_BARS = "#4c72b0"


@overload
def draw_histograms(
    network: Network,
    X: Any,
    y: Any = None,
    path: None = None,
    *,
    delta: bool = False,
    training: bool | None = None,
    bins: int = 40,
    seed: int = 0,
) -> Figure: ...
@overload
def draw_histograms(
    network: Network,
    X: Any,
    y: Any,
    path: str | os.PathLike[str],
    *,
    delta: bool = False,
    training: bool | None = None,
    bins: int = 40,
    seed: int = 0,
) -> Path: ...
def draw_histograms(
    network: Network,
    X: Any,
    y: Any = None,
    path: str | os.PathLike[str] | None = None,
    *,
    delta: bool = False,
    training: bool | None = None,
    bins: int = 40,
    seed: int = 0,
) -> Figure | Path:
    """Histograms of each parametric layer's ``A^[l]`` and, given ``y``, of ``∂L/∂W^[l]``.

    One forward pass on ``X`` of shape ``(m, *input_shape)`` (and a backward pass when
    ``y`` is given) runs on a copy, ``network.astype(network.dtype.name)``, so ``network``
    itself, its record of the last pass and its batch-norm running statistics stay as
    they were. The pass is the training one when ``y`` is given (batch norm on the batch's
    statistics, dropout masks drawn once from ``seed`` by ``fix_randomness``: the
    gradients a training step on this batch would see), the inference one otherwise;
    ``training`` chooses.

    One row per layer with parameters. The first column is ``A^[l]`` on a linear axis;
    for ReLU layers the exact zeros get their own grey bar and the panel gives their share
    and the number of dead units (zero on every sample). With ``y``, the second column is
    ``∂L/∂W^[l]`` (``∂J/∂W^[l]`` with L1 or L2 terms; a layer without ``W`` shows its
    first parameter's) and, with ``delta=True``, a third the documents' ``δ^[l]``: their
    magnitudes on a log axis shared by the rows, so that gradients that shrink or grow
    from layer to layer show as a shift, positive entries red and negative blue stacked,
    exact zeros in a grey bar at the left. Every panel gives the mean and standard
    deviation of its (signed) values, and its bars add up to the number of entries.
    """
    require_matplotlib("draw_histograms")
    from matplotlib.figure import Figure

    if delta and y is None:
        raise ValueError("delta=True needs targets y: δ^[l] comes from the backward pass")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an integer ≥ 2, got {bins!r}")
    net = network.astype(network.dtype.name)
    X = net.check_X(X)
    m = X.shape[0]
    training = (y is not None) if training is None else bool(training)
    net.fix_randomness(np.random.default_rng(seed))
    net.forward(X, training=training)
    if y is not None:
        net.backward(net.check_y(y, m))
    layers = net.parametric_layers()

    outputs = [_array(output_of(layer.forward_record())) for layer in layers]
    columns: list[tuple[str, list[Array | None]]] = []
    if y is not None:
        cost = "J" if net.l1 or net.l2 else "L"
        columns.append((cost, [_array(layer.grads[weight_name(layer)]) for layer in layers]))
        if delta:
            columns.append(
                ("delta", [_array(layer.backward_record().get("delta")) for layer in layers])
            )
    rows, ncols = len(layers), 1 + len(columns)
    fig = Figure(figsize=(4.3 * ncols, 2.3 * rows + 0.7), layout="constrained")
    axes = fig.subplots(rows, ncols, squeeze=False)
    for l, (layer, A) in enumerate(zip(layers, outputs, strict=True), start=1):
        _activation_panel(axes[l - 1, 0], layer, A, l, bins)
    for c, (kind, arrays) in enumerate(columns, start=1):
        edges = _log_edges([a for a in arrays if a is not None], bins)
        for l, (layer, values) in enumerate(zip(layers, arrays, strict=True), start=1):
            if kind == "delta":
                title = rf"$\delta^{{[{l}]}}$"
            else:
                title = rf"$\partial {kind}/\partial {weight_name(layer)}^{{[{l}]}}$"
            _magnitude_panel(axes[l - 1, c], values, edges, title)
        axes[-1, c].set_xlabel("|value| (log scale)")
    axes[-1, 0].set_xlabel("value")
    how = "training" if training else "inference"
    fig.suptitle(
        f"{sizes(network)} network: one {how} pass on {m:,} sample{'s' if m != 1 else ''}",
        fontsize=11,
    )
    return finish(fig, path)


def _array(value: Array | None) -> Array | None:
    return None if value is None else np.asarray(value)


def _style(ax: Axes, title: str, stats: list[str], top: int) -> None:
    """The notation on the left above the panel, its numbers on the right."""
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title, fontsize=10, loc="left")
    ax.set_title("\n".join(stats), fontsize=7.5, loc="right", family="monospace")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_ylabel("count", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(1, top) * 1.15)


def _not_recorded(ax: Axes, title: str) -> None:
    """An empty panel for an array the layer does not record."""
    ax.set_title(title, fontsize=10, loc="left")
    ax.text(0.5, 0.5, "not recorded", transform=ax.transAxes, ha="center", va="center")
    ax.set_axis_off()


def _finite(values: Array, lines: list[str]) -> Array:
    """``values`` without NaN and inf (a diverged network has them), saying how many."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    lines.append(f"{values.size - int(finite.sum()):,} NaN/inf left out")
    return values[finite]


def _activation_panel(ax: Axes, layer: Layer, A: Array | None, l: int, bins: int) -> None:
    """``A^[l]`` on a linear axis; for ReLU, the exact zeros apart, with the dead units."""
    name = layer.kind if layer.activation is None else layer.activation.name
    if A is None:
        _not_recorded(ax, rf"$A^{{[{l}]}}$ ({name})")
        return
    values = A.ravel().astype(float)
    lines = [f"mean {values.mean():.3g}  std {values.std():.3g}"]
    values = _finite(values, lines)
    if name == "relu":
        zero = values == 0
        positive = values[~zero]
        top = float(positive.max()) if positive.size else 1.0
        counts, edges = np.histogram(positive, bins=bins, range=(0.0, top))
        step = edges[1] - edges[0]
        zeros = int(zero.sum())
        ax.bar(-step, zeros, width=step, align="edge", color=ZERO, label="= 0")
        if zeros:
            ax.legend(fontsize=7, frameon=False, loc="upper center")
        # A unit is one output value per sample: dead when it is 0 on every sample.
        units = A.reshape(A.shape[0], -1)
        dead = int((units == 0).all(axis=0).sum())
        lines.append(f"zeros {zero.mean():.1%}  dead units {dead}/{units.shape[1]}")
    else:
        counts, edges = np.histogram(values, bins=bins)
        zeros = 0
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=_BARS)
    title = rf"$A^{{[{l}]}}$ ({name}, {shape_text(A.shape)})"
    _style(ax, title, lines, max(zeros, int(counts.max())))


def _log_edges(arrays: list[Array], bins: int) -> Array:
    """Bin edges, equal widths in log10, over the nonzero magnitudes of all ``arrays``.

    The edges run from the 0.1st percentile of the magnitudes (a stray 1e-12 would
    otherwise squeeze the rest into a few bins; the smaller ones join the first bin) to
    the largest, and span at least two decades.
    """
    magnitudes = np.concatenate([np.abs(a.ravel()) for a in arrays] or [np.zeros(0)])
    magnitudes = magnitudes.astype(float)
    nonzero = magnitudes[(magnitudes > 0) & np.isfinite(magnitudes)]
    if nonzero.size == 0:
        return np.logspace(-1, 1, bins + 1)
    low = math.log10(float(np.percentile(nonzero, 0.1)))
    high = math.log10(float(nonzero.max()))
    if high - low < 2:  # at least two decades (labelled ticks), centred on the values
        middle = (low + high) / 2
        low, high = middle - 1, middle + 1
    return np.logspace(low, high, bins + 1)


def _magnitude_panel(ax: Axes, values: Array | None, edges: Array, title: str) -> None:
    """``|values|`` in log-spaced bins, positive and negative stacked, zeros apart."""
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import NullFormatter
    from matplotlib.transforms import blended_transform_factory

    if values is None:
        _not_recorded(ax, title)
        return
    title += f" ({shape_text(values.shape)})"
    flat = values.ravel().astype(float)
    lines = [f"mean {flat.mean():.3g}  std {flat.std():.3g}"]
    flat = _finite(flat, lines)
    clipped = np.clip(np.abs(flat), edges[0], edges[-1])  # the tiniest join the first bin
    positive, _ = np.histogram(clipped[flat > 0], bins=edges)
    negative, _ = np.histogram(clipped[flat < 0], bins=edges)
    widths = np.diff(edges)
    ax.bar(edges[:-1], positive, width=widths, align="edge", color=POSITIVE, label="> 0")
    ax.bar(
        edges[:-1],
        negative,
        width=widths,
        align="edge",
        bottom=positive,
        color=NEGATIVE,
        label="< 0",
    )
    zeros = int((flat == 0).sum())
    # The log axis has no 0: exact zeros get a grey bar in a margin left of the bins,
    # labelled "0" where the tick labels are.
    low, high = math.log10(edges[0]), math.log10(edges[-1])
    span = high - low
    ax.set_xscale("log")
    ax.set_xlim(10 ** max(low - 0.12 * span, -300.0), 10 ** min(high + 0.02 * span, 300.0))
    margin = blended_transform_factory(ax.transAxes, ax.transData)
    label = "= 0" if zeros else "_nolegend_"
    ax.add_patch(
        Rectangle((0.015, 0), 0.05, zeros, transform=margin, color=ZERO, lw=0, label=label)
    )
    if zeros:
        ax.text(0.04, -0.03, "0", transform=ax.transAxes, ha="center", va="top", fontsize=8)
        lines.append(f"zeros {zeros / flat.size:.1%}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    _style(ax, title, lines, max(zeros, int((positive + negative).max())))
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.08, 1.0))
