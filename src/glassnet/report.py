"""Training reports: one self-contained HTML page and its figures, made from a run folder.

A run folder is what ``glassnet train`` writes:

- ``history.json``: ``{"metric": "accuracy" | "rmse", "epoch": [1, 2, …], "loss": […],
  "val_loss": […], "accuracy": […], "val_f1_macro": […], "learning_rate": […],
  "seconds": […]}``, one value per epoch for each log;
- ``summary.json`` (optional): what was trained and how, and the ``final`` metrics;
- ``validation.npz`` (optional): ``y_true`` and ``y_pred`` on the validation data, class
  indices for classification (``summary["classes"]`` names them), values for regression;
- ``model.glassnet`` (optional): the trained model, drawn as a graph of its weights by
  :func:`glassnet.inspect.pictures.draw_network`.

:func:`write_report` draws the figures with matplotlib (``pip install "glassnet[cli]"``),
writes them as PNG files next to ``report.html``, and embeds the same bytes in the page as
base64, so the single HTML file can be mailed on its own.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import Array
from .io.files import atomic_write_bytes
from .metrics import confusion_matrix, mean_absolute_error, r2_score, root_mean_squared_error

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_CLASSIFICATION_TASKS = ("binary", "multiclass", "classification")
# Per-epoch logs that are not scores: drawn elsewhere or summarized in the table.
_NOT_METRICS = ("epoch", "loss", "val_loss", "learning_rate", "lr", "seconds")
_TRAIN, _VALIDATION = "#1f77b4", "#d62728"
_DPI = 110


@dataclass
class _Run:
    """What a run folder holds, checked and converted: logs become float arrays."""

    folder: Path
    logs: dict[str, Array]  # name -> (n_epochs,) float64, NaN where a value is missing
    metric: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    y_true: Array | None = None
    y_pred: Array | None = None

    @property
    def is_classification(self) -> bool:
        task = self.summary.get("task")
        if isinstance(task, str):
            return task in _CLASSIFICATION_TASKS
        return self.metric == "accuracy"


@dataclass
class _Figure:
    filename: str
    png: bytes
    caption: str


def write_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` and its PNG figures into ``run_dir``; return the HTML's path.

    The figures are ``loss.png`` (training and validation loss per epoch), ``metric.png``
    (accuracy or RMSE, and every other logged metric, per epoch) and, when the folder has
    ``validation.npz``, ``confusion_matrix.png`` (classification) or
    ``predicted_vs_true.png`` (regression), and, when it has ``model.glassnet``,
    ``network.png`` (the network as a graph of its weights). Every file is written to a
    temporary name and then renamed, so a reader never sees half a file.

    Raises FileNotFoundError if ``run_dir`` or its ``history.json`` does not exist,
    ValueError if a file in it is malformed, ImportError if matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # noqa: F401  (checked here, used below)
    except ImportError as exc:
        raise ImportError(
            'write_report draws its figures with matplotlib: pip install "glassnet[cli]"'
        ) from exc
    run = _read_run(Path(run_dir))
    figures = [_loss_png(run)]
    metric = _metric_png(run)
    if metric is not None:
        figures.append(metric)
    for extra in (_validation_png(run), _network_png(run)):
        if extra is not None:
            figures.append(extra)
    for figure in figures:
        atomic_write_bytes(run.folder / figure.filename, figure.png)
    return atomic_write_bytes(run.folder / "report.html", _render_html(run, figures).encode())


# -- reading the run folder ------------------------------------------------------------------


def _read_run(folder: Path) -> _Run:
    if not folder.exists():
        raise FileNotFoundError(f"run folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; write_report needs a run folder")
    history_path = folder / "history.json"
    if not history_path.is_file():
        raise FileNotFoundError(
            f"run folder {folder} has no history.json; a run folder is what `glassnet train` "
            "writes (history.json, summary.json, validation.npz)"
        )
    history = _read_json(history_path)
    logs, metric = _check_history(history_path, history)
    summary_path = folder / "summary.json"
    summary = _read_json(summary_path) if summary_path.is_file() else {}
    if not isinstance(summary, dict):
        raise ValueError(f"{summary_path} must hold a JSON object, got {type(summary).__name__}")
    run = _Run(folder, logs, metric, summary)
    validation_path = folder / "validation.npz"
    if validation_path.is_file():
        run.y_true, run.y_pred = _read_validation(validation_path, run)
    return run


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None


def _check_history(path: Path, history: Any) -> tuple[dict[str, Array], str | None]:
    """The per-epoch logs of ``history.json`` as float arrays of one length, and the metric."""
    if not isinstance(history, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(history).__name__}")
    metric = history.get("metric")
    if metric is not None and not isinstance(metric, str):
        raise ValueError(f'{path}: "metric" must be a name such as "accuracy", got {metric!r}')
    logs: dict[str, Array] = {}
    for name, values in history.items():
        if not isinstance(values, list):
            continue  # "metric", and anything else that is not a per-epoch log
        try:
            logs[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f'{path}: "{name}" must be a list of numbers') from None
        if logs[name].ndim != 1:
            raise ValueError(f'{path}: "{name}" must be a flat list of numbers, one per epoch')
    if "loss" not in logs:
        raise ValueError(f'{path} has no "loss" list; found {sorted(logs) or "no lists"}')
    n_epochs = logs["loss"].size
    if n_epochs == 0:
        raise ValueError(f'{path}: "loss" is empty; the run has no finished epoch')
    logs.setdefault("epoch", np.arange(1.0, n_epochs + 1))
    uneven = {name: v.size for name, v in logs.items() if v.size != n_epochs}
    if uneven:
        raise ValueError(
            f'{path}: every log needs one value per epoch ({n_epochs}, as "loss"), '
            f"but these differ: {uneven}"
        )
    if metric is None:
        metric = next((name for name in ("accuracy", "rmse") if name in logs), None)
    return logs, metric


def _read_validation(path: Path, run: _Run) -> tuple[Array, Array]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            found = {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz file: {exc}") from None
    missing = [name for name in ("y_true", "y_pred") if name not in found]
    if missing:
        raise ValueError(f"{path} lacks {' and '.join(missing)}; found {sorted(found)}")
    y_true, y_pred = (np.asarray(found[name]) for name in ("y_true", "y_pred"))
    if y_true.shape[0] != y_pred.shape[0] or y_true.shape[0] == 0:
        raise ValueError(
            f"{path}: y_true has {y_true.shape[0]} samples and y_pred {y_pred.shape[0]}; "
            "both need the same number, at least 1"
        )
    if not run.is_classification:
        return y_true.astype(float), y_pred.astype(float)
    return _class_indices(path, "y_true", y_true, run), _class_indices(path, "y_pred", y_pred, run)


def _class_indices(path: Path, name: str, y: Array, run: _Run) -> Array:
    y = y.reshape(y.shape[0], -1)
    if y.shape[1] != 1:
        raise ValueError(f"{path}: {name} must be class indices of shape (m,), got {y.shape}")
    y = y[:, 0]
    if y.dtype.kind not in "iub" and not (
        y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y))
    ):
        raise ValueError(f"{path}: {name} must be class indices (integers), got {y.dtype}")
    indices = y.astype(np.int64)
    classes = run.summary.get("classes")
    limit = len(classes) if isinstance(classes, list) else None
    if indices.min() < 0 or (limit is not None and indices.max() >= limit):
        raise ValueError(
            f"{path}: {name} holds class indices from {indices.min()} to {indices.max()}, "
            f"but summary.json names {limit} classes (indices 0 to {limit - 1 if limit else 0})"
        )
    return indices


def _class_names(run: _Run) -> list[str]:
    assert run.y_true is not None and run.y_pred is not None
    classes = run.summary.get("classes")
    if isinstance(classes, list):
        return [str(c) for c in classes]
    return [str(k) for k in range(int(max(run.y_true.max(), run.y_pred.max())) + 1)]


def _confusion_matrix(y_true: Array, y_pred: Array, n_classes: int) -> Array:
    """``C[i, j]``: validation samples of true class ``i`` predicted as class ``j``, ``(K, K)``.

    Every class gets its row and column, also one that neither array holds.
    """
    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


# -- figures ---------------------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


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


def _spans_decades(values: Array, decades: float = 2.0) -> bool:
    """Whether the positive finite values span more than ``decades`` powers of ten."""
    positive = values[np.isfinite(values) & (values > 0)]
    return positive.size > 1 and bool(np.log10(positive.max() / positive.min()) > decades)


def _best_validation_epoch(run: _Run) -> tuple[int, float] | None:
    val_loss = run.logs.get("val_loss")
    if val_loss is None or not np.isfinite(val_loss).any():
        return None
    i = int(np.nanargmin(val_loss))
    return int(run.logs["epoch"][i]), float(val_loss[i])


def _loss_png(run: _Run) -> _Figure:
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
    if _spans_decades(values):
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
    best = _best_validation_epoch(run)
    if best is not None:
        epoch, value = best
        ax.axvline(epoch, color="grey", ls=":", lw=1, label=f"lowest val_loss (epoch {epoch})")
        caption += f" The lowest validation loss, {_number(value)}, came at epoch {epoch}."
    ax.set(xlabel="epoch", ylabel="loss", title="Loss")
    _style_epochs(ax, epochs)
    ax.legend(frameon=False)
    return _Figure("loss.png", _png(fig), caption)


def _metric_names(run: _Run) -> list[str]:
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


def _metric_png(run: _Run) -> _Figure | None:
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
    return _Figure("metric.png", _png(fig), f"Metrics per epoch: {what}.")


def _validation_png(run: _Run) -> _Figure | None:
    if run.y_true is None or run.y_pred is None:
        return None
    if run.is_classification:
        return _confusion_png(run)
    return _scatter_png(run)


def _confusion_png(run: _Run) -> _Figure:
    from matplotlib.figure import Figure

    assert run.y_true is not None and run.y_pred is not None
    names = _class_names(run)
    C = _confusion_matrix(run.y_true, run.y_pred, len(names))
    K = len(names)
    rows = C.sum(axis=1, keepdims=True)
    share = np.divide(C, rows, out=np.zeros(C.shape), where=rows != 0)
    side = min(max(4.5, 0.55 * K + 2.5), 14.0)
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(C, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="samples")
    ticks = np.arange(K)
    slanted = K * max(map(len, names)) > 30  # long names would run into each other
    ax.set_xticks(ticks, names, rotation=30 if slanted else 0, ha="right" if slanted else "center")
    ax.set_yticks(ticks, names)
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
    caption += f" Accuracy {_number(correct / C.sum())} ({correct:,} of {C.sum():,} right)."
    return _Figure("confusion_matrix.png", _png(fig), caption)


def _scatter_png(run: _Run) -> _Figure:
    from matplotlib.figure import Figure

    assert run.y_true is not None and run.y_pred is not None
    t, p = run.y_true.ravel(), run.y_pred.ravel()
    r2 = r2_score(run.y_true, run.y_pred)
    fig = Figure(figsize=(5.6, 5.2), layout="constrained")
    ax = fig.add_subplot()
    m = t.size
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
        f"RMSE {_number(root_mean_squared_error(run.y_true, run.y_pred))}, "
        f"MAE {_number(mean_absolute_error(run.y_true, run.y_pred))}."
    )
    return _Figure("predicted_vs_true.png", _png(fig), caption)


def _network_png(run: _Run) -> _Figure | None:
    path = run.folder / "model.glassnet"
    if not path.is_file():
        return None
    from .inspect.pictures import draw_network, network_caption, png_bytes
    from .io import load_model

    network = load_model(path).network
    return _Figure("network.png", png_bytes(draw_network(network)), network_caption(network))


# -- the page --------------------------------------------------------------------------------

_LABELS = {
    "data": "Data",
    "task": "Task",
    "target": "Target",
    "classes": "Classes",
    "architecture": "Architecture",
    "parameters": "Parameters",
    "optimizer": "Optimizer",
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "seconds_per_epoch": "Time per epoch",
    "seconds": "Training time",
    "command": "Command",
    "created": "Created",
}
_NOT_IN_TABLE = ("final", "glassnet_version")

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #222; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { text-align: left; padding: 0.3rem 0.8rem; border-bottom: 1px solid #eee;
         vertical-align: top; }
th { color: #555; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #f5f5f5; padding: 0.1rem 0.3rem; border-radius: 3px; word-break: break-all; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.93rem; max-width: 48rem; }
.note { background: #fff8e1; border-left: 4px solid #f0c000; padding: 0.5rem 0.8rem; }
.diag { font-weight: 700; }
footer { margin-top: 3rem; color: #888; font-size: 0.85rem; border-top: 1px solid #ddd;
         padding-top: 0.5rem; }
"""


def _number(value: Any) -> str:
    """A number as the report prints it: ints with separators, floats to 4 decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.3e}"
    if abs(value) >= 1e4:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.3g} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _cell(key: str, value: Any) -> str:
    """The table cell for one summary entry, escaped."""
    if value is None:
        return "—"
    if key in ("seconds_per_epoch", "seconds") and isinstance(value, int | float):
        return html.escape(_seconds(float(value)))
    if key == "command":
        return f"<code>{html.escape(str(value))}</code>"
    if key == "classes" and isinstance(value, list):
        shown = value if len(value) <= 12 else [*value[:10], "…", value[-1]]
        return f"{len(value)}: " + html.escape(", ".join(map(str, shown)))
    if isinstance(value, Mapping):
        return html.escape(", ".join(f"{k} {_number(v)}" for k, v in value.items()))
    if isinstance(value, list):
        return html.escape(", ".join(_number(v) for v in value))
    return html.escape(_number(value))


def _summary_rows(run: _Run) -> list[tuple[str, str]]:
    """(label, escaped cell) for each summary entry, the known ones first, then from history."""
    summary = run.summary
    keys = [k for k in _LABELS if k in summary]
    keys += [k for k in summary if k not in _LABELS and k not in _NOT_IN_TABLE]
    rows = [(_LABELS.get(k, k.replace("_", " ").capitalize()), _cell(k, summary[k])) for k in keys]
    logs = run.logs
    if "epochs" not in summary:
        rows.append(("Epochs", str(logs["epoch"].size)))
    if "seconds" not in summary and "seconds" in logs and np.isfinite(logs["seconds"]).all():
        rows.append(("Training time", html.escape(_seconds(float(logs["seconds"].sum())))))
    rate = logs.get("learning_rate", logs.get("lr"))
    if rate is not None and rate.size > 1 and rate[0] != rate[-1]:
        rows.append(("Learning rate", f"{rate[0]:.4g} → {rate[-1]:.4g} (first → last epoch)"))
    best = _best_validation_epoch(run)
    if best is not None:
        rows.append(("Lowest val_loss", f"{_number(best[1])} at epoch {best[0]}"))
    return rows


def _final_metrics(run: _Run) -> dict[str, Any]:
    """``summary["final"]``, or else the last epoch's logs."""
    final = run.summary.get("final")
    if isinstance(final, Mapping) and final:
        return dict(final)
    skip = ("epoch", "learning_rate", "lr", "seconds")
    return {name: float(v[-1]) for name, v in run.logs.items() if name not in skip}


def _table(rows: list[tuple[str, str]], numeric: bool = False) -> str:
    cls = ' class="num"' if numeric else ""
    body = "".join(f"<tr><th>{html.escape(k)}</th><td{cls}>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _confusion_table(run: _Run) -> str:
    """The confusion matrix as an HTML table, with row totals and each class's recall."""
    assert run.y_true is not None and run.y_pred is not None
    names = [html.escape(n) for n in _class_names(run)]
    C = _confusion_matrix(run.y_true, run.y_pred, len(names))
    head = "".join(f'<th class="num">{n}</th>' for n in names)
    rows = []
    for i, name in enumerate(names):
        total = int(C[i].sum())
        recall = _number(C[i, i] / total) if total else "—"
        cells = "".join(
            f'<td class="num{" diag" if i == j else ""}">{C[i, j]}</td>' for j in range(len(names))
        )
        rows.append(
            f'<tr><th>{name}</th>{cells}<td class="num">{total}</td>'
            f'<td class="num">{recall}</td></tr>'
        )
    return (
        '<table id="confusion-matrix"><thead><tr><th>true \\ predicted</th>'
        f'{head}<th class="num">total</th><th class="num">recall</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure_html(number: int, figure: _Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{figure.filename}">'
        f"<figcaption>Figure {number}. {html.escape(figure.caption)} "
        f"Also saved as <code>{figure.filename}</code>.</figcaption></figure>"
    )


def _render_html(run: _Run, figures: list[_Figure]) -> str:
    from . import __version__

    summary = run.summary
    title = f"Training report: {run.folder.resolve().name}"
    subtitle = " · ".join(
        html.escape(str(part))
        for part in (
            summary.get("task"),
            f"target {summary['target']}" if summary.get("target") else None,
            summary.get("created"),
        )
        if part
    )
    final = _final_metrics(run)
    numbered = {f.filename: _figure_html(k, f) for k, f in enumerate(figures, start=1)}
    curves = "".join(numbered.get(name, "") for name in ("loss.png", "metric.png"))
    if run.y_true is None:
        kind = "confusion matrix" if run.is_classification else "predicted-vs-true plot"
        validation = (
            f'<p class="note">This run folder has no <code>validation.npz</code>, so there is '
            f"no {kind}.</p>"
        )
    elif run.is_classification:
        validation = numbered["confusion_matrix.png"] + _confusion_table(run)
    else:
        validation = numbered["predicted_vs_true.png"]
    note = (
        ""
        if summary
        else '<p class="note">This run folder has no <code>summary.json</code>; '
        "what follows comes from <code>history.json</code> alone.</p>"
    )
    network = numbered.get("network.png")
    network_section = f"<h2>Network</h2>\n{network}\n" if network else ""
    trained_with = summary.get("glassnet_version")
    footer = f"Report written by glassnet {html.escape(__version__)}"
    if trained_with:
        footer += f" from a run trained with glassnet {html.escape(str(trained_with))}"
    final_rows = [(name, html.escape(_number(value))) for name, value in final.items()]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="sub">{subtitle}</p>
{note}
<h2>Summary</h2>
{_table(_summary_rows(run))}
<h2>Final metrics</h2>
{_table(final_rows, numeric=True)}
<h2>Training curves</h2>
{curves}
<h2>Validation</h2>
{validation}
{network_section}<footer>{footer}.</footer>
</body>
</html>
"""
