"""The report's HTML page: the summary and final metrics as tables, the figures embedded
as base64 PNG, and for classification the confusion matrix again as a table.

The page has no link, script or external style: one file that can be mailed on its own.
Everything that comes from the run folder is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._version import __version__
from .figures import ReportFigure
from .run import Run
from .text import duration, number

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


def _cell(key: str, value: Any) -> str:
    """The table cell for one summary entry, escaped."""
    if value is None:
        return "—"
    if key in ("seconds_per_epoch", "seconds") and isinstance(value, int | float):
        return html.escape(duration(float(value)))
    if key == "command":
        return f"<code>{html.escape(str(value))}</code>"
    if key == "classes" and isinstance(value, list):
        shown = value if len(value) <= 12 else [*value[:10], "…", value[-1]]
        return f"{len(value)}: " + html.escape(", ".join(map(str, shown)))
    if key == "search" and isinstance(value, Mapping):  # its one-line description
        return html.escape(str(value.get("description", "")))
    if isinstance(value, Mapping):
        return html.escape(
            ", ".join(f"{k.replace('_', ' ')} {number(v)}" for k, v in value.items())
        )
    if isinstance(value, list):
        return html.escape(", ".join(number(v) for v in value))
    return html.escape(number(value))


def _summary_rows(run: Run) -> list[tuple[str, str]]:
    """(label, escaped cell) for each summary entry, the known ones first, then from history."""
    summary = run.summary
    keys = [k for k in _LABELS if k in summary]
    keys += [k for k in summary if k not in _LABELS and k not in _NOT_IN_TABLE]
    rows = [(_LABELS.get(k, k.replace("_", " ").capitalize()), _cell(k, summary[k])) for k in keys]
    reason = run.task_reason()
    if reason is not None:
        at = next((i + 1 for i, (label, _) in enumerate(rows) if label == "Task"), len(rows))
        rows.insert(at, ("Why this task", html.escape(reason)))
    logs = run.logs
    if "epochs" not in summary:
        rows.append(("Epochs", str(logs["epoch"].size)))
    if "seconds" not in summary and "seconds" in logs and np.isfinite(logs["seconds"]).all():
        rows.append(("Training time", html.escape(duration(float(logs["seconds"].sum())))))
    rate = logs.get("learning_rate", logs.get("lr"))
    if rate is not None and rate.size > 1 and rate[0] != rate[-1]:
        rows.append(("Learning rate", f"{rate[0]:.4g} → {rate[-1]:.4g} (first → last epoch)"))
    best = run.best_validation_epoch()
    if best is not None:
        rows.append(("Lowest val_loss", f"{number(best[1])} at epoch {best[0]}"))
    if run.loss_units is not None:
        rows.append(("Loss measured on", html.escape(f"the {run.loss_units}, (y − mean) / std")))
    return rows


def _final_metrics(run: Run) -> dict[str, Any]:
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


def _confusion_table(run: Run) -> str:
    """The confusion matrix as an HTML table, with row totals and each class's recall
    ``C[i, i] / Σ_j C[i, j]``; class names in full, escaped."""
    names = [html.escape(n) for n in run.class_names()]
    C = run.confusion()
    head = "".join(f'<th class="num">{n}</th>' for n in names)
    rows = []
    for i, name in enumerate(names):
        total = int(C[i].sum())
        recall = number(C[i, i] / total) if total else "—"
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


def _columns_section(run: Run) -> str:
    """The input columns and what the model does with each, from ``model.glassnet``."""
    columns = run.input_columns()
    if not columns:
        return ""
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(what)}</td></tr>"
        for name, what in columns
    )
    return f'<h2>Input columns</h2>\n<table id="input-columns">{rows}</table>'


def _figure_html(index: int, figure: ReportFigure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{figure.filename}">'
        f"<figcaption>Figure {index}. {html.escape(figure.caption)} "
        f"Also saved as <code>{figure.filename}</code>.</figcaption></figure>"
    )


def render_html(run: Run, figures: list[ReportFigure]) -> str:
    """The whole page for ``run``, with ``figures`` numbered in their order."""
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
    if run.note is not None:
        validation = f'<p class="note">{html.escape(run.note)}</p>'
    elif run.y_true is None:
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
    network = "".join(
        numbered.get(name, "")
        for name in ("network.png", "filters.png", "feature_maps.png", "augmentation.png")
    )
    network_section = f"<h2>Network</h2>\n{network}\n" if network else ""
    trained_with = summary.get("glassnet_version")
    footer = f"Report written by glassnet {html.escape(__version__)}"
    if trained_with:
        footer += f" from a run trained with glassnet {html.escape(str(trained_with))}"
    units = f" ({run.loss_units})" if run.loss_units is not None else ""
    final_rows = [
        (name + (units if name in ("loss", "val_loss") else ""), html.escape(number(value)))
        for name, value in final.items()
    ]
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
{_columns_section(run)}
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
