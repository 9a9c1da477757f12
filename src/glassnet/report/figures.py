"""The report's figures, drawn with matplotlib: loss and metrics per epoch, the confusion
matrix or the predicted-vs-true scatter of the validation data, and the network.

Each ``*_png`` function turns a :class:`~glassnet.report.run.Run` into a
:class:`ReportFigure`: PNG bytes, the file name they are saved under and a caption that
says what the figure shows in numbers. matplotlib is imported inside the functions, so
that reading a run folder does not need it.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..backend import Array
from ..metrics import mean_absolute_error, r2_score, root_mean_squared_error
from .run import Run
from .text import number

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Per-epoch logs that are not scores: drawn elsewhere or summarized in the table.
_NOT_METRICS = ("epoch", "loss", "val_loss", "learning_rate", "lr", "seconds")
_TRAIN, _VALIDATION = "#1f77b4", "#d62728"
_DPI = 110
LABEL_WIDTH = 20
"""The most characters a class name takes on a tick of the confusion matrix."""


@dataclass
class ReportFigure:
    """One figure of the report: its file name, its PNG bytes and its caption."""

    filename: str
    png: bytes
    caption: str


def draw_figures(run: Run) -> list[ReportFigure]:
    """Every figure ``run`` has the data for, in the order the page numbers them."""
    figures = [loss_png(run)]
    for extra in (metric_png(run), validation_png(run), network_png(run)):
        if extra is not None:
            figures.append(extra)
    return figures


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


# -- per epoch -------------------------------------------------------------------------------


def _style_epochs(ax: Axes, epochs: Array) -> None:
    """Light grid, no top or right frame, whole epochs on the x axis (also for 1 epoch)."""
    from matplotlib.ticker import MaxNLocator

    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if epochs.size <= 12:
        ax.set_xticks(epochs)  # MaxNLocator falls back to fractions when few ints are in range
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    margin = max(0.5, 0.02 * (epochs[-1] - epochs[0]))
    ax.set_xlim(epochs[0] - margin, epochs[-1] + margin)


def _plot_log(ax: Axes, epochs: Array, values: Array, label: str, colour: str) -> None:
    marker = "o" if epochs.size <= 30 else None
    ax.plot(epochs, values, label=label, color=colour, marker=marker, markersize=3, lw=1.6)


def spans_decades(values: Array, decades: float = 2.0) -> bool:
    """Whether the positive finite values span more than ``decades`` powers of ten:
    ``log₁₀(max / min) > decades``, which is when the loss is drawn on a log scale.

    ``values``: any shape; NaN, inf, 0 and negative values are left out.
    """
    positive = values[np.isfinite(values) & (values > 0)]
    return positive.size > 1 and bool(np.log10(positive.max() / positive.min()) > decades)


def loss_png(run: Run) -> ReportFigure:
    """``loss.png``: training and validation loss per epoch, the lowest val_loss marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    epochs = run.logs["epoch"]
    _plot_log(ax, epochs, run.logs["loss"], "training", _TRAIN)
    caption = "Loss per epoch on the training data"
    if "val_loss" in run.logs:
        _plot_log(ax, epochs, run.logs["val_loss"], "validation", _VALIDATION)
        caption += " and on the validation data"
    values = np.concatenate([run.logs[n] for n in ("loss", "val_loss") if n in run.logs])
    if spans_decades(values):
        ax.set_yscale("log")
        caption += " (log scale: the loss spans more than two decades)"
    caption += "."
    for name, where in (("loss", "training"), ("val_loss", "validation")):
        bad = ~np.isfinite(run.logs.get(name, np.zeros(1)))
        if bad.any():
            first = int(epochs[np.argmax(bad)])
            caption += (
                f" The {where} loss is missing, NaN or infinite at {bad.sum()} of "
                f"{bad.size} epochs, first at epoch {first}."
            )
    best = run.best_validation_epoch()
    if best is not None:
        epoch, value = best
        ax.axvline(epoch, color="grey", ls=":", lw=1, label=f"lowest val_loss (epoch {epoch})")
        caption += f" The lowest validation loss, {number(value)}, came at epoch {epoch}."
    units = run.loss_units
    if units is not None:
        caption += (
            f" The loss is measured on the {units}, (y − mean) / std, which the network "
            "learns; the metrics are in the target's own units."
        )
    ax.set(xlabel="epoch", ylabel="loss" if units is None else f"loss ({units})", title="Loss")
    _style_epochs(ax, epochs)
    ax.legend(frameon=False)
    return ReportFigure("loss.png", _png(fig), caption)


def _metric_names(run: Run) -> list[str]:
    """The scores to draw, one panel each: the run's metric first, then the others."""
    names = []
    for name in run.logs:
        base = name.removeprefix("val_")
        if base not in names and name not in _NOT_METRICS:
            names.append(base)
    if run.metric in names:
        names.remove(run.metric)
        names.insert(0, run.metric)
    return names


def metric_png(run: Run) -> ReportFigure | None:
    """``metric.png``: one panel per logged score, training and validation; None if none."""
    from matplotlib.figure import Figure

    names = _metric_names(run)
    if not names:
        return None
    ncols = min(len(names), 3)
    nrows = math.ceil(len(names) / ncols)
    width = 7.0 if ncols == 1 else 4.0 * ncols
    fig = Figure(figsize=(width, 3.3 * nrows + 0.4), layout="constrained")
    epochs = run.logs["epoch"]
    described = []
    for k, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        where = []
        if name in run.logs:
            _plot_log(ax, epochs, run.logs[name], "training", _TRAIN)
            where.append("training")
        if f"val_{name}" in run.logs:
            _plot_log(ax, epochs, run.logs[f"val_{name}"], "validation", _VALIDATION)
            where.append("validation")
        ax.set(title=name, xlabel="epoch")
        _style_epochs(ax, epochs)
        ax.legend(frameon=False, fontsize="small")
        described.append(f"{name} ({' and '.join(where)})")
    what = described[0] if len(described) == 1 else ", ".join(described)
    return ReportFigure("metric.png", _png(fig), f"Metrics per epoch: {what}.")


# -- the validation data ---------------------------------------------------------------------


def validation_png(run: Run) -> ReportFigure | None:
    """The confusion matrix or the predicted-vs-true scatter; None without validation.npz."""
    if run.y_true is None or run.y_pred is None:
        return None
    if run.is_classification:
        return _confusion_png(run)
    return _scatter_png(run)


def _shorten(name: str, width: int) -> str:
    # Keep both ends: names that share a long prefix ("income band: …") differ at the end.
    if len(name) <= width:
        return name
    head = (width - 1) // 2 + (width - 1) % 2
    return name[:head] + "…" + name[len(name) - (width - 1 - head) :]


def short_labels(names: Sequence[str], width: int = LABEL_WIDTH) -> list[str]:
    """The class names as tick labels of at most ``width`` characters.

    A longer name keeps its start and end around "…". Names that would still read alike
    are prefixed with their class index (``"3: …"``), so that no two ticks are the same.
    """
    shown = [_shorten(name, width) for name in names]
    repeated = {label for label, count in Counter(shown).items() if count > 1}
    for k, name in enumerate(names):
        if shown[k] in repeated:
            prefix = f"{k}: "
            shown[k] = prefix + _shorten(name, max(width - len(prefix), 3))
    return shown


def confusion_figure(C: Array, names: Sequence[str]) -> Figure:
    """The confusion matrix ``C`` (``(K, K)``, rows true, columns predicted) as a heat map.

    Each cell holds its count and, for ``K ≤ 12``, its share of the row:
    ``C[i, j] / Σ_j C[i, j]`` (on the diagonal, the class's recall). Tick labels are
    :func:`short_labels`; the column labels slant when they would run into each other.
    """
    from matplotlib.figure import Figure

    K = len(names)
    rows = C.sum(axis=1, keepdims=True)
    share = np.divide(C, rows, out=np.zeros(C.shape), where=rows != 0)
    side = min(max(4.5, 0.55 * K + 2.5), 14.0)
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(C, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="samples")
    ticks = np.arange(K)
    labels = short_labels(names)
    slanted = K * max(map(len, labels)) > 30  # long names would run into each other
    ax.set_xticks(ticks, labels, rotation=30 if slanted else 0, ha="right" if slanted else "center")
    ax.set_yticks(ticks, labels)
    ax.set(xlabel="predicted class", ylabel="true class", title="Confusion matrix (validation)")
    if K <= 25:
        fontsize = 10 if K <= 6 else 8 if K <= 12 else 6
        dark = C > C.max() / 2
        for i in range(K):
            for j in range(K):
                text = f"{C[i, j]:,}"
                if K <= 12 and C[i, j] > 0:
                    text += "\n<1%" if share[i, j] < 0.01 else f"\n{share[i, j]:.0%}"
                colour = "white" if dark[i, j] else "black"
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=fontsize)
    return fig


def _confusion_png(run: Run) -> ReportFigure:
    names = run.class_names()
    C = run.confusion()
    K = len(names)
    correct = int(np.trace(C))
    caption = (
        f"Confusion matrix of the {C.sum():,} validation samples: rows are the true class, "
        "columns the predicted one. The colour and the first number in each cell are counts"
    )
    caption += (
        "; below each count, its share of the true class's row (on the diagonal, the "
        "class's recall)."
        if K <= 12
        else "; the table below repeats them with each class's recall."
    )
    if short_labels(names) != list(names):
        caption += " Long class names are shortened; the table below gives them in full."
    caption += f" Accuracy {number(correct / C.sum())} ({correct:,} of {C.sum():,} right)."
    return ReportFigure("confusion_matrix.png", _png(confusion_figure(C, names)), caption)


def _scatter_png(run: Run) -> ReportFigure:
    from matplotlib.figure import Figure

    assert run.y_true is not None and run.y_pred is not None
    t, p = run.y_true.ravel(), run.y_pred.ravel()
    r2 = r2_score(run.y_true, run.y_pred)
    fig = Figure(figsize=(5.6, 5.2), layout="constrained")
    ax = fig.add_subplot()
    m = t.size
    # Fainter points as they grow many, so that where they pile up still shows.
    ax.scatter(t, p, s=10 if m < 2_000 else 4, alpha=min(0.7, max(0.08, 400 / m)), lw=0)
    low, high = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    pad = 0.03 * (high - low or 1.0)
    limits = (low - pad, high + pad)
    ax.plot(limits, limits, color="grey", ls="--", lw=1, label="y = x")
    ax.set(xlim=limits, ylim=limits, aspect="equal")
    if max(abs(low), abs(high)) >= 1e4:  # 200,000 rather than 0.2 and a "1e6" in the corner
        from matplotlib.ticker import StrMethodFormatter

        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    target = str(run.summary.get("target") or "target")
    ax.set(xlabel=f"true {target}", ylabel=f"predicted {target}")
    ax.set_title(f"Predicted vs true (validation), R² = {r2:.4f}")
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="upper left")
    caption = (
        f"Predicted against true {target} for the {m:,} validation samples; "
        f"on the dashed line y = x a prediction is exact. R² = {r2:.4f}, "
        f"RMSE {number(root_mean_squared_error(run.y_true, run.y_pred))}, "
        f"MAE {number(mean_absolute_error(run.y_true, run.y_pred))}."
    )
    return ReportFigure("predicted_vs_true.png", _png(fig), caption)


# -- the network -----------------------------------------------------------------------------


def network_png(run: Run) -> ReportFigure | None:
    """``network.png``: the saved model as a graph of its weights; None without one."""
    path = run.folder / "model.glassnet"
    if not path.is_file():
        return None
    from ..inspect.pictures import draw_network, network_caption, png_bytes
    from ..io import load_model

    network = load_model(path).network
    if any(len(layer.output_shape) > 1 for layer in network.layers):
        return None  # maps, not units: image_figures draws its filters and feature maps
    return ReportFigure("network.png", png_bytes(draw_network(network)), network_caption(network))
