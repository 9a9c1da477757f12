"""Pictures of a network: its graph, and histograms of what one pass computes.

- :func:`draw_network` draws the network as a layered graph: one column of units per
  layer, one edge per weight ``W^[l]_ij``, its colour the weight's sign and size and its
  width proportional to ``|W^[l]_ij|``.
- :func:`draw_histograms` runs one forward pass (and, given targets, one backward pass) on
  a copy of the network and draws, per Dense layer, the distribution of ``A^[l]`` and of
  ``∂L/∂W^[l]``: saturated or dead units and vanishing or exploding gradients show at a
  glance.

Both draw with matplotlib (``pip install "glassnet[cli]"``), imported when called, on a
:class:`matplotlib.figure.Figure` without pyplot: nothing opens a window or touches
pyplot's global state. Given a ``path``, they write a PNG atomically and return the path;
otherwise they return the figure.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ..backend import Array
from ..io.files import atomic_write_bytes
from ..layers import Dense, Dropout

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..network import Network

DPI = 110
MAX_EDGES_PER_LAYER = 600
"""Beyond this many edges between the units shown, a layer draws only its largest ``|W|``."""

_CMAP = "coolwarm"  # diverging, centred on a light grey that stays visible on white
_WIDTH_MIN = 0.3  # points, for |W| = 0; the largest |W| drawn gets 3.5, or 2.2 in a crowd
_COLUMN_GAP, _RADIUS = 3.2, 0.32  # in units of the vertical distance between two units
_POSITIVE, _NEGATIVE, _ZERO = "#c0392b", "#2e6fb7", "#9e9e9e"
_SYMBOLS = {"sigmoid": "σ", "identity": "id", "softmax": "soft\nmax", "softplus": "soft\nplus"}


def _dense(network: Network) -> list[Dense]:
    return [layer for layer in network.parametric_layers() if isinstance(layer, Dense)]


def _matplotlib(function: str) -> None:
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise ImportError(f'{function} draws with matplotlib: pip install "glassnet[cli]"') from exc


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes, reduced to 256 colours when that makes the file smaller.

    Hundreds of antialiased coloured edges make a full-colour PNG of a megabyte; with a
    palette it is a quarter of that and looks the same (Pillow comes with matplotlib).
    """
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    full = buffer.getvalue()
    with Image.open(io.BytesIO(full)) as image:
        palette = image.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    return min(full, buffer.getvalue(), key=len)


def _finish(fig: Figure, path: str | os.PathLike[str] | None) -> Figure | Path:
    return fig if path is None else atomic_write_bytes(path, png_bytes(fig))


def _sizes(network: Network) -> str:
    dense = _dense(network)
    return "-".join(str(n) for n in [dense[0].n_in, *(layer.n_out for layer in dense)])


# -- the graph -------------------------------------------------------------------------------


@dataclass
class _Column:
    """One column of the graph: which units are drawn, and where."""

    n: int
    shown: Array  # indices of the units drawn, (k,)
    y: Array  # their heights, (k,); unit 1 at the top
    ellipsis: float | None  # height of the "⋮" standing for the hidden units

    @property
    def hidden(self) -> int:
        return self.n - self.shown.size


def _column(n: int, max_units: int) -> _Column:
    """The first ⌈max/2⌉ and the last ⌊max/2⌋ units of a column of more than ``max_units``."""
    if n <= max_units:
        shown, slots = np.arange(n), np.arange(n, dtype=float)
        ellipsis: float | None = None
    else:
        head, tail = (max_units + 1) // 2, max_units // 2
        shown = np.concatenate([np.arange(head), np.arange(n - tail, n)])
        slots = np.concatenate([np.arange(head), np.arange(head + 1, head + 1 + tail)])
        ellipsis = max_units / 2.0 - head  # slot `head`; the max_units + 1 slots are centred
    centre = (n - 1) / 2.0 if ellipsis is None else max_units / 2.0
    return _Column(n, shown, centre - slots, ellipsis)


def _edges(W: Array, rows: Array, cols: Array) -> tuple[Array, Array, Array, int]:
    """The weights between the units shown, weakest first, at most MAX_EDGES_PER_LAYER.

    Returns ``(i, j, w, total)``: unit indices into ``W`` (rows ``i`` of layer ``l``,
    columns ``j`` of layer ``l − 1``), the weights, and how many edges the units shown have.
    """
    grid_i, grid_j = np.meshgrid(rows, cols, indexing="ij")
    i, j = grid_i.ravel(), grid_j.ravel()
    w = W[i, j]
    order = np.argsort(np.abs(w), kind="stable")[-MAX_EDGES_PER_LAYER:]
    return i[order], j[order], w[order], int(w.size)


def network_caption(network: Network, *, max_units: int = 16) -> str:
    """What :func:`draw_network` shows, in a sentence or three (the report's caption)."""
    dense = _dense(network)
    sizes = [dense[0].n_in, *(layer.n_out for layer in dense)]
    text = (
        f"The {_sizes(network)} network as a graph: each edge is a weight W^[l]_ij, its colour "
        "the weight's sign and size (red positive, blue negative) and its width proportional "
        "to |W^[l]_ij|; each unit's fill is its bias b^[l]_i."
    )
    if max(sizes) > max_units:
        head, tail = (max_units + 1) // 2, max_units // 2
        drawn = sum(
            min(min(a, max_units) * min(b, max_units), MAX_EDGES_PER_LAYER)
            for a, b in pairwise(sizes)
        )
        total = sum(a * b for a, b in pairwise(sizes))
        text += (
            f" Layers of more than {max_units} units show their first {head} and last {tail} "
            f"units; only the edges between units shown are drawn ({drawn:,} of {total:,} "
            "weights)."
        )
    return text


@overload
def draw_network(network: Network, path: None = None, *, max_units: int = 16) -> Figure: ...
@overload
def draw_network(
    network: Network, path: str | os.PathLike[str], *, max_units: int = 16
) -> Path: ...
def draw_network(
    network: Network, path: str | os.PathLike[str] | None = None, *, max_units: int = 16
) -> Figure | Path:
    """Draw ``network`` as a layered graph; write a PNG to ``path`` if given.

    Columns are the inputs and each Dense layer's units, labelled with the layer's
    activation; a layer of more than ``max_units`` units shows its first and last few
    around a "⋮" and says how many are hidden. Each edge ``j → i`` between columns
    ``l − 1`` and ``l`` is the weight ``W^[l]_ij``: its colour (a diverging colormap
    centred at 0, with a colorbar) gives the sign and size, its width grows in proportion
    to ``|W^[l]_ij|`` (from a hairline at 0). A unit's fill is its bias ``b^[l]_i`` on the
    same scale. Only the edges between units shown are drawn, at most
    :data:`MAX_EDGES_PER_LAYER` per layer (the largest ``|W|``); a caption says how many.

    Each layer's edges are one ``LineCollection`` labelled ``"W^[l]"``, and each unit one
    ``Circle`` patch. Returns the figure, or the path written.
    """
    _matplotlib("draw_network")
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 2:
        raise ValueError(f"max_units must be an integer ≥ 2, got {max_units!r}")
    dense = _dense(network)
    columns = [_column(dense[0].n_in, max_units)]
    columns += [_column(layer.n_out, max_units) for layer in dense]
    edges = []
    for layer, (below, above) in zip(dense, pairwise(columns), strict=True):
        edges.append(_edges(np.asarray(layer.W, dtype=float), above.shown, below.shown))
    biases = [
        np.asarray(layer.b, dtype=float)[col.shown]
        for layer, col in zip(dense, columns[1:], strict=True)
    ]
    largest = max(float(np.abs(a).max(initial=0.0)) for a in [e[2] for e in edges] + biases)
    widest = 3.5 if max(e[2].size for e in edges) <= 64 else 2.2
    norm = Normalize(-(largest or 1.0), largest or 1.0)
    cmap = ScalarMappable(norm, _CMAP)

    slots = max(col.shown.size + (col.ellipsis is not None) for col in columns)
    top, bottom = (slots - 1) / 2.0, -(slots - 1) / 2.0
    gap = max(_COLUMN_GAP, 0.45 * slots)  # tall columns stand further apart
    width = gap * (len(columns) - 1)
    captions = [_column_caption(network, l, col) for l, col in enumerate(columns)]
    caption_lines = max(c.count("\n") + 1 for c in captions)
    # Size the figure to the drawing (equal aspect, so circles stay round), plus the texts
    # around it: title, W^[l] captions, column captions, colorbar.
    fig_width = max(6.5, 2.0 * len(columns) + 2.4)
    drawing = (fig_width - 1.6) * (slots + 0.2) / (width + 1.2)
    fig_height = drawing + 1.3 + 0.17 * caption_lines + 0.3 * any(c.hidden for c in columns)
    fig = Figure(figsize=(fig_width, max(3.0, fig_height)), layout="constrained")
    ax = fig.add_subplot()
    labelled = slots <= 8  # room to write inside the circles
    for l, ((i, j, w, total), layer) in enumerate(zip(edges, dense, strict=True), start=1):
        below, above = columns[l - 1], columns[l]
        y_in = dict(zip(below.shown.tolist(), below.y.tolist(), strict=True))
        y_out = dict(zip(above.shown.tolist(), above.y.tolist(), strict=True))
        x0, x1 = gap * (l - 1), gap * l
        segments = [
            [(x0, y_in[b]), (x1, y_out[a])] for a, b in zip(i.tolist(), j.tolist(), strict=True)
        ]
        widths = _WIDTH_MIN + (widest - _WIDTH_MIN) * np.abs(w) / (largest or 1.0)
        lines = LineCollection(
            segments, colors=cmap.to_rgba(w), linewidths=widths, zorder=1, label=f"W^[{l}]"
        )
        ax.add_collection(lines)
        n_out, n_in = layer.W.shape
        caption = rf"$W^{{[{l}]}}$ ({n_out}×{n_in})"
        if w.size < n_out * n_in:
            caption += f"\n{w.size:,} of {n_out * n_in:,} drawn"
            if w.size < total:
                caption += " (largest |W|)"
        ax.annotate(
            caption,
            ((x0 + x1) / 2, top + _RADIUS),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
        )

    for l, col in enumerate(columns):
        x = gap * l
        fills: list[Any] = (
            ["#eeeeee"] * col.shown.size if l == 0 else list(cmap.to_rgba(biases[l - 1]))
        )
        for k, (unit, y) in enumerate(zip(col.shown.tolist(), col.y.tolist(), strict=True)):
            ax.add_patch(
                Circle((x, y), _RADIUS, facecolor=fills[k], edgecolor="#333333", lw=1, zorder=3)
            )
            if labelled:
                ax.text(
                    x,
                    y,
                    _unit_label(dense, l, unit),
                    ha="center",
                    va="center",
                    fontsize=8,
                    zorder=4,
                )
        if col.ellipsis is not None:
            dots = col.ellipsis + np.array([-0.25, 0.0, 0.25])
            ax.plot([x] * 3, dots, ls="", marker="o", ms=2.5, color="#333333", zorder=3)
        ax.annotate(
            captions[l],
            (x, bottom - _RADIUS),
            xytext=(0, -8),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=9,
        )

    ax.set_xlim(-0.6, width + 0.6)
    ax.set_ylim(bottom - 0.6, top + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    n_params = network.n_parameters()
    fig.suptitle(
        f"{_sizes(network)} network · {n_params:,} parameters · {network.loss.name} loss",
        fontsize=11,
    )
    fig.colorbar(cmap, ax=ax, shrink=0.6, pad=0.01, label="weight W (edges), bias b (fill)")
    if any(col.hidden for col in columns):
        head, tail = (max_units + 1) // 2, max_units // 2
        fig.supxlabel(
            f"Layers of more than {max_units} units show their first {head} and last {tail}; "
            "edges are drawn between the units shown only.",
            fontsize=8,
            color="#555555",
        )
    return _finish(fig, path)


def _unit_label(dense: list[Dense], column: int, unit: int) -> str:
    if column == 0:
        return f"$x_{{{unit + 1}}}$"
    name = dense[column - 1].activation.name
    return _SYMBOLS.get(name, name)


def _column_caption(network: Network, column: int, col: _Column) -> str:
    units = f"{col.n:,} unit{'s' if col.n != 1 else ''}"
    if col.hidden:
        units += f"\n({col.hidden:,} hidden)"
    if column == 0:
        return f"input\n{units}"
    dense = _dense(network)
    layer = dense[column - 1]
    name = "output" if column == len(dense) else f"layer {column}"
    lines = [f"{name}: {layer.activation.name}", units]
    if layer.norm is not None:
        lines.append("batch norm")
    following = network.layers.index(layer) + 1
    if following < len(network.layers):
        after = network.layers[following]
        if isinstance(after, Dropout) and after.rate:
            lines.append(f"dropout {after.rate:g}")
    return "\n".join(lines)


# -- the histograms --------------------------------------------------------------------------


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
    """Histograms of each Dense layer's ``A^[l]`` and, given ``y``, of ``∂L/∂W^[l]``.

    One forward pass on ``X`` of shape ``(m, n_0)`` (and a backward pass when ``y`` is
    given) runs on a copy, ``network.astype(network.dtype.name)``, so ``network`` itself,
    its record of the last pass and its batch-norm running statistics stay as they were.
    The pass is the training one when ``y`` is given (batch norm on the batch's
    statistics, dropout masks drawn from ``seed``: the gradients a training step on this
    batch would see), the inference one otherwise; ``training`` chooses.

    One row per Dense layer. The first column is ``A^[l]`` on a linear axis; for ReLU
    layers the exact zeros get their own grey bar and the panel gives their share and the
    number of dead units (zero on every sample). With ``y``, the second column is
    ``∂L/∂W^[l]`` (``∂J/∂W^[l]`` with L1 or L2 terms) and, with ``delta=True``, a third
    the documents' ``δ^[l]``: their magnitudes on a log axis shared by the rows, so that
    gradients that shrink or grow from layer to layer show as a shift, positive entries
    red and negative blue stacked, exact zeros in a grey bar at the left. Every panel
    gives the mean and standard deviation of its (signed) values, and its bars add up to
    the number of entries.
    """
    _matplotlib("draw_histograms")
    from matplotlib.figure import Figure

    if delta and y is None:
        raise ValueError("delta=True needs targets y: δ^[l] comes from the backward pass")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an integer ≥ 2, got {bins!r}")
    net = network.astype(network.dtype.name)
    X = net.check_X(X)
    m = X.shape[0]
    training = (y is not None) if training is None else bool(training)
    rng = np.random.default_rng(seed)
    net.fix_randomness(rng)
    net.forward(X, training=training)
    if y is not None:
        net.backward(net.check_y(y, m))
    dense = _dense(net)

    columns: list[tuple[str, list[Array]]] = [("A", [np.asarray(layer.A) for layer in dense])]
    if y is not None:
        cost = "J" if net.l1 or net.l2 else "L"
        columns.append((cost, [np.asarray(layer.dW) for layer in dense]))
        if delta:
            columns.append(("delta", [np.asarray(layer.delta) for layer in dense]))
    rows, ncols = len(dense), len(columns)
    fig = Figure(figsize=(4.3 * ncols, 2.3 * rows + 0.7), layout="constrained")
    axes = fig.subplots(rows, ncols, squeeze=False)
    for c, (kind, arrays) in enumerate(columns):
        if kind == "A":
            for l, (layer, A) in enumerate(zip(dense, arrays, strict=True), start=1):
                _activation_panel(axes[l - 1, c], layer, A, l, bins)
        else:
            edges = _log_edges(arrays, bins)
            for l, values in enumerate(arrays, start=1):
                title = (
                    rf"$\delta^{{[{l}]}}$ ({values.shape[0]:,}×{values.shape[1]:,})"
                    if kind == "delta"
                    else rf"$\partial {kind}/\partial W^{{[{l}]}}$ "
                    f"({values.shape[0]:,}×{values.shape[1]:,})"
                )
                _magnitude_panel(axes[l - 1, c], values, edges, title)
            axes[-1, c].set_xlabel("|value| (log scale)")
    axes[-1, 0].set_xlabel("value")
    how = "training" if training else "inference"
    fig.suptitle(
        f"{_sizes(network)} network: one {how} pass on {m:,} sample{'s' if m != 1 else ''}",
        fontsize=11,
    )
    return _finish(fig, path)


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


def _finite(values: Array, lines: list[str]) -> Array:
    """``values`` without NaN and inf (a diverged network has them), saying how many."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    lines.append(f"{values.size - int(finite.sum()):,} NaN/inf left out")
    return values[finite]


def _activation_panel(ax: Axes, layer: Dense, A: Array, l: int, bins: int) -> None:
    """``A^[l]`` on a linear axis; for ReLU, the exact zeros apart, with the dead units."""
    values = A.ravel().astype(float)
    name = layer.activation.name
    lines = [f"mean {values.mean():.3g}  std {values.std():.3g}"]
    values = _finite(values, lines)
    if name == "relu":
        zero = values == 0
        positive = values[~zero]
        top = float(positive.max()) if positive.size else 1.0
        counts, edges = np.histogram(positive, bins=bins, range=(0.0, top))
        step = edges[1] - edges[0]
        zeros = int(zero.sum())
        ax.bar(-step, zeros, width=step, align="edge", color=_ZERO, label="= 0")
        if zeros:
            ax.legend(fontsize=7, frameon=False, loc="upper center")
        dead = int((A == 0).all(axis=0).sum())
        lines.append(f"zeros {zero.mean():.1%}  dead units {dead}/{A.shape[1]}")
    else:
        counts, edges = np.histogram(values, bins=bins)
        zeros = 0
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#4c72b0")
    title = rf"$A^{{[{l}]}}$ ({name}, {A.shape[0]:,}×{A.shape[1]:,})"
    _style(ax, title, lines, max(zeros, int(counts.max())))


def _log_edges(arrays: list[Array], bins: int) -> Array:
    """Bin edges, equal widths in log10, over the nonzero magnitudes of all ``arrays``.

    The edges run from the 0.1st percentile of the magnitudes (a stray 1e-12 would
    otherwise squeeze the rest into a few bins; the smaller ones join the first bin) to
    the largest, and span at least two decades.
    """
    magnitudes = np.concatenate([np.abs(a.ravel()) for a in arrays]).astype(float)
    nonzero = magnitudes[(magnitudes > 0) & np.isfinite(magnitudes)]
    if nonzero.size == 0:
        return np.logspace(-1, 1, bins + 1)
    low = math.log10(float(np.percentile(nonzero, 0.1)))
    high = math.log10(float(nonzero.max()))
    if high - low < 2:  # at least two decades (labelled ticks), centred on the values
        middle = (low + high) / 2
        low, high = middle - 1, middle + 1
    return np.logspace(low, high, bins + 1)


def _magnitude_panel(ax: Axes, values: Array, edges: Array, title: str) -> None:
    """``|values|`` in log-spaced bins, positive and negative stacked, zeros apart."""
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import NullFormatter
    from matplotlib.transforms import blended_transform_factory

    flat = values.ravel().astype(float)
    lines = [f"mean {flat.mean():.3g}  std {flat.std():.3g}"]
    flat = _finite(flat, lines)
    clipped = np.clip(np.abs(flat), edges[0], edges[-1])  # the tiniest join the first bin
    positive, _ = np.histogram(clipped[flat > 0], bins=edges)
    negative, _ = np.histogram(clipped[flat < 0], bins=edges)
    widths = np.diff(edges)
    ax.bar(edges[:-1], positive, width=widths, align="edge", color=_POSITIVE, label="> 0")
    ax.bar(
        edges[:-1],
        negative,
        width=widths,
        align="edge",
        bottom=positive,
        color=_NEGATIVE,
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
        Rectangle((0.015, 0), 0.05, zeros, transform=margin, color=_ZERO, lw=0, label=label)
    )
    if zeros:
        ax.text(0.04, -0.03, "0", transform=ax.transAxes, ha="center", va="top", fontsize=8)
        lines.append(f"zeros {zeros / flat.size:.1%}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    _style(ax, title, lines, max(zeros, int((positive + negative).max())))
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0.08, 1.0))
