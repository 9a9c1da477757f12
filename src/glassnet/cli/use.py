"""``glassnet predict``, ``evaluate``, ``export`` and ``report``: putting a model to work."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write_text
from ..tabular import Model


def predict(args: argparse.Namespace, say: Any) -> int:
    model = Model.load(args.model)
    output = model.output(model.rows(args.data, args.delimiter))
    predictions = model.predictions_from(output)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [f"predicted_{model.target or 'label'}"]
    rows: list[list[Any]] = [[_cell(p)] for p in predictions]
    if args.proba:
        proba = model.proba_from(output)
        header += [f"p({label})" for label in model.classes or []]
        rows = [row + [f"{p:.6g}" for p in probs] for row, probs in zip(rows, proba, strict=True)]
    writer.writerow(header)
    writer.writerows(rows)
    if args.out is None:
        sys.stdout.write(out.getvalue())
    else:
        atomic_write_text(args.out, out.getvalue())
        say(f"wrote {len(rows):,} predictions to {args.out}", 0)
    return 0


def _cell(value: Any) -> Any:
    return f"{value:.8g}" if isinstance(value, float | np.floating) else value


def evaluate(args: argparse.Namespace, say: Any) -> int:
    model = Model.load(args.model)
    result = model.evaluation(args.data, args.delimiter)
    say(f"{args.data}: {result.n_rows:,} rows with a target", 0)
    metrics = result.metrics
    if result.labels is None:
        say(f"RMSE  {metrics['rmse']:.6g}", 0)
        say(f"MAE   {metrics['mae']:.6g}", 0)
        say(f"R²    {metrics['r2']:.4f}", 0)
        return 0
    say(f"accuracy        {metrics['accuracy']:.4f}", 0)
    say(f"macro F1        {metrics['f1_macro']:.4f}", 0)
    if "log_loss" in metrics:
        say(f"log-loss        {metrics['log_loss']:.4f}", 0)
    say("", 0)
    say(result.report(), 0)
    say("confusion matrix (rows: true, columns: predicted)", 0)
    labels, matrix = result.labels, result.confusion_matrix()
    width = max(max(len(label) for label in labels), len(str(matrix.max()))) + 1
    say(" " * width + "".join(label.rjust(width) for label in labels), 0)
    for label, row in zip(labels, matrix, strict=True):
        say(label.rjust(width) + "".join(str(n).rjust(width) for n in row), 0)
    return 0


def export(args: argparse.Namespace, say: Any) -> int:
    from ..io.onnx import export_onnx

    model = Model.load(args.model)
    path = export_onnx(model.network, args.onnx)
    inputs = "the preprocessed features" if model.preprocessor is not None else "the raw features"
    outputs = "probabilities" if model.network.loss.is_classification else "standardized values"
    say(
        f"wrote {path}: input X ({model.network.n_features} columns: {inputs}), output {outputs}",
        0,
    )
    return 0


def report(args: argparse.Namespace, say: Any) -> int:
    from ..report import write_report

    run = Path(args.run)
    if not run.is_dir():
        raise NotADirectoryError(f"{str(run)!r} is not a run folder")
    say(f"report: {write_report(run)}", 0)
    return 0
