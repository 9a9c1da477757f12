"""The network as a layered graph: a column of units per layer, an edge per weight.

Layers are read through the :class:`~glassnet.layers.Layer` interface: a layer with
parameters is a column of its ``n_out`` units, and its edges are drawn when its ``W``
is a matrix ``n_l × n_{l−1}`` (a dense layer's); a layer whose weights are not one (a
convolution's filters) gets its column without edges, and a caption that says so. A
layer without parameters (flatten, dropout) is written under the column it acts on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ...backend import Array
from .common import finish, require_matplotlib, shape_text, sizes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ...layers import Layer
    from ...network import Network

MAX_EDGES_PER_LAYER = 600
"""Beyond this many edges between the units shown, a layer draws only its largest ``|W|``."""

_CMAP = "coolwarm"  # diverging, centred on a light grey that stays visible on white
_WIDTH_MIN = 0.3  # points, for |W| = 0; the largest |W| drawn gets 3.5, or 2.2 in a crowd
_COLUMN_GAP, _RADIUS = 3.2, 0.32  # in units of the vertical distance between two units
_PLAIN = "#eeeeee"  # the fill of a unit without a bias of its own
_SYMBOLS = {"sigmoid": "σ", "identity": "id", "softmax": "soft\nmax", "softplus": "soft\nplus"}


def weight_matrix(layer: Layer) -> Array | None:
    """``W^[l]`` as a float matrix ``(n_l, n_{l−1})`` when the layer has one, else ``None``:
    only a matrix has one edge per weight between two columns of units."""
    W = layer.params.get("W")
    if W is None or W.shape != (layer.n_out, layer.n_in):
        return None
    return np.asarray(W, dtype=float)


def unit_biases(layer: Layer) -> Array | None:
    """``b^[l]``, one per unit, when the layer has that; a unit's fill shows it."""
    b = layer.params.get("b")
    if b is None or b.size != layer.n_out:
        return None
    return np.asarray(b, dtype=float).reshape(-1)


def _note(layer: Layer) -> str:
    """A parameter-free layer in a few words, from its kind, its numeric settings and its
    shapes: ``'dropout 0.3'``, ``'flatten 2×3 → 6'``."""
    settings = [v for v in layer.config().values() if isinstance(v, float)]
    text = " ".join([layer.kind.replace("_", " "), *(f"{v:g}" for v in settings)])
    if layer.input_shape != layer.output_shape:
        text += f" {shape_text(layer.input_shape)} → {shape_text(layer.output_shape)}"
    return text


def _notes(network: Network) -> dict[int, list[str]]:
    """For each column ``l``, the parameter-free layers that act on its ``A^[l]``."""
    notes: dict[int, list[str]] = {}
    for l, layer in network.numbered_layers():
        if not layer.params:
            notes.setdefault(l, []).append(_note(layer))
    return notes


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
    layers = network.parametric_layers()
    counts = [network.n_features, *(layer.n_out for layer in layers)]
    text = (
        f"The {sizes(network)} network as a graph: each edge is a weight W^[l]_ij, its colour "
        "the weight's sign and size (red positive, blue negative) and its width proportional "
        "to |W^[l]_ij|; each unit's fill is its bias b^[l]_i."
    )
    matrices = [  # (n_{l−1}, n_l) of the layers drawn with edges
        pair
        for pair, layer in zip(pairwise(counts), layers, strict=True)
        if weight_matrix(layer) is not None
    ]
    if max(counts) > max_units:
        head, tail = (max_units + 1) // 2, max_units // 2
        drawn = sum(
            min(min(a, max_units) * min(b, max_units), MAX_EDGES_PER_LAYER) for a, b in matrices
        )
        total = sum(a * b for a, b in matrices)
        text += (
            f" Layers of more than {max_units} units show their first {head} and last {tail} "
            f"units; only the edges between units shown are drawn ({drawn:,} of {total:,} "
            "weights)."
        )
    plain = [
        f"layer {l} ({layer.kind})"
        for l, layer in enumerate(layers, start=1)
        if weight_matrix(layer) is None
    ]
    if plain:
        text += (
            f" The weights of {', '.join(plain)} are not a matrix W^[l] of shape n_l × n_(l−1), "
            "so their columns of units are drawn without edges."
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

    Columns are the inputs and each parametric layer's units, labelled with the layer's
    activation; a layer of more than ``max_units`` units shows its first and last few
    around a "⋮" and says how many are hidden. Each edge ``j → i`` between columns
    ``l − 1`` and ``l`` is the weight ``W^[l]_ij``: its colour (a diverging colormap
    centred at 0, with a colorbar) gives the sign and size, its width grows in proportion
    to ``|W^[l]_ij|`` (from a hairline at 0). A unit's fill is its bias ``b^[l]_i`` on the
    same scale. Only the edges between units shown are drawn, at most
    :data:`MAX_EDGES_PER_LAYER` per layer (the largest ``|W|``); a caption says how many.
    A layer whose weights are not a matrix gets no edges, and its caption says so.

    Each layer's edges are one ``LineCollection`` labelled ``"W^[l]"``, and each unit one
    ``Circle`` patch. Returns the figure, or the path written.
    """
    require_matplotlib("draw_network")
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 2:
        raise ValueError(f"max_units must be an integer ≥ 2, got {max_units!r}")
    layers = network.parametric_layers()
    columns = [_column(network.n_features, max_units)]
    columns += [_column(layer.n_out, max_units) for layer in layers]
    edges: list[tuple[Array, Array, Array, int] | None] = []
    for layer, (below, above) in zip(layers, pairwise(columns), strict=True):
        W = weight_matrix(layer)
        edges.append(None if W is None else _edges(W, above.shown, below.shown))
    biases = [unit_biases(layer) for layer in layers]
    biases = [
        None if b is None else b[col.shown] for b, col in zip(biases, columns[1:], strict=True)
    ]
    drawn = [e[2] for e in edges if e is not None] + [b for b in biases if b is not None]
    largest = max((float(np.abs(a).max(initial=0.0)) for a in drawn), default=0.0)
    widest = 3.5 if max((e[2].size for e in edges if e is not None), default=0) <= 64 else 2.2
    norm = Normalize(-(largest or 1.0), largest or 1.0)
    cmap = ScalarMappable(norm, _CMAP)

    slots = max(col.shown.size + (col.ellipsis is not None) for col in columns)
    top, bottom = (slots - 1) / 2.0, -(slots - 1) / 2.0
    gap = max(_COLUMN_GAP, 0.45 * slots)  # tall columns stand further apart
    width = gap * (len(columns) - 1)
    notes = _notes(network)
    captions = [_column_caption(network, l, col, notes.get(l, [])) for l, col in enumerate(columns)]
    caption_lines = max(c.count("\n") + 1 for c in captions)
    # Size the figure to the drawing (equal aspect, so circles stay round), plus the texts
    # around it: title, W^[l] captions, column captions, colorbar.
    fig_width = max(6.5, 2.0 * len(columns) + 2.4)
    drawing = (fig_width - 1.6) * (slots + 0.2) / (width + 1.2)
    fig_height = drawing + 1.3 + 0.17 * caption_lines + 0.3 * any(c.hidden for c in columns)
    fig = Figure(figsize=(fig_width, max(3.0, fig_height)), layout="constrained")
    ax = fig.add_subplot()
    labelled = slots <= 8  # room to write inside the circles
    for l, (edge, layer) in enumerate(zip(edges, layers, strict=True), start=1):
        x0, x1 = gap * (l - 1), gap * l
        if edge is None:
            caption = _plain_caption(layer, l)
        else:
            i, j, w, total = edge
            below, above = columns[l - 1], columns[l]
            y_in = dict(zip(below.shown.tolist(), below.y.tolist(), strict=True))
            y_out = dict(zip(above.shown.tolist(), above.y.tolist(), strict=True))
            segments = [
                [(x0, y_in[b]), (x1, y_out[a])] for a, b in zip(i.tolist(), j.tolist(), strict=True)
            ]
            widths = _WIDTH_MIN + (widest - _WIDTH_MIN) * np.abs(w) / (largest or 1.0)
            lines = LineCollection(
                segments, colors=cmap.to_rgba(w), linewidths=widths, zorder=1, label=f"W^[{l}]"
            )
            ax.add_collection(lines)
            n_out, n_in = layer.n_out, layer.n_in
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
        bias = None if l == 0 else biases[l - 1]
        fills: list[Any] = [_PLAIN] * col.shown.size if bias is None else list(cmap.to_rgba(bias))
        label = "" if l == 0 else _unit_symbol(layers[l - 1])
        for k, (unit, y) in enumerate(zip(col.shown.tolist(), col.y.tolist(), strict=True)):
            ax.add_patch(
                Circle((x, y), _RADIUS, facecolor=fills[k], edgecolor="#333333", lw=1, zorder=3)
            )
            if labelled:
                text = f"$x_{{{unit + 1}}}$" if l == 0 else label
                ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=4)
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
        f"{sizes(network)} network · {n_params:,} parameters · {network.loss.name} loss",
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
    return finish(fig, path)


def _unit_symbol(layer: Layer) -> str:
    """What a unit's circle says: its activation (``σ``, ``relu``), or the layer's kind."""
    if layer.activation is None:
        return layer.kind
    name = layer.activation.name
    return _SYMBOLS.get(name, name)


def _plain_caption(layer: Layer, l: int) -> str:
    """The caption over the gap before a layer whose weights are not drawn as edges."""
    W = layer.params.get("W")
    if W is None:
        return f"{layer.kind} layer {l}\nno weight matrix:\nno edges drawn"
    return rf"$W^{{[{l}]}}$ ({'×'.join(map(str, W.shape))})" + "\nnot a matrix:\nno edges drawn"


def _column_caption(network: Network, column: int, col: _Column, notes: list[str]) -> str:
    units = f"{col.n:,} unit{'s' if col.n != 1 else ''}"
    if col.hidden:
        units += f"\n({col.hidden:,} hidden)"
    if column == 0:
        shape = network.input_shape
        head = "input" if len(shape) == 1 else f"input {shape_text(shape)}"
        return "\n".join([head, units, *notes])
    layers = network.parametric_layers()
    layer = layers[column - 1]
    name = "output" if column == len(layers) else f"layer {column}"
    f = layer.kind if layer.activation is None else layer.activation.name
    lines = [f"{name}: {f}", units]
    if "BN" in layer.forward_record():  # the documents' BN(Z^[l]) between Z and f
        lines.append("batch norm")
    return "\n".join(lines + notes)
