"""``glassnet predict``, ``evaluate``, ``export`` and ``report``: putting a model to work."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Table, load_csv
from ..data.table import read_header
from ..io import atomic_write_text
from ..metrics import (
    classification_report,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    precision_recall_f1,
    r2_score,
    root_mean_squared_error,
)
from ..model import Model


def _model(path: str) -> Model:
    model, _ = Model.load(path)
    return model


def _inputs(
    model: Model, path: str, delimiter: str
) -> tuple[Table | np.ndarray, np.ndarray | None]:
    """The CSV's features as the model takes them, and its target column if present."""
    header = read_header(path, delimiter)
    if not header:
        raise ValueError(f"{path} is empty: no header row")
    if model.preprocessor is None:  # a model of numeric arrays: every column but the target
        target = model.target if model.target in header else None
        table = load_csv(path, target, delimiter=delimiter)
        width = model.network.n_features
        if len(table.feature_names) != width:
            raise ValueError(
                f"{path} has {len(table.feature_names)} feature column(s), but the model takes "
                f"{width} numbers per row (it was trained on arrays, not on a CSV's columns)"
            )
        return np.column_stack([table.values[name] for name in table.feature_names]), table.target
    target = model.target if model.target in header else None
    expected = model.preprocessor.numeric_columns + model.preprocessor.categorical_columns
    missing = [name for name in expected if name not in header]
    extra = [name for name in header if name not in expected and name != model.target]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(map(repr, missing))} that the model needs"
        )
    if extra:
        raise ValueError(
            f"{path} has column(s) the model does not know: {', '.join(map(repr, extra))}"
        )
    table = load_csv(
        path,
        target,
        delimiter=delimiter,
        categorical=model.preprocessor.categorical_columns or None,
        numeric=model.preprocessor.numeric_columns or None,
    )
    return table, table.target


def predict(args: argparse.Namespace, say: Any) -> int:
    model = _model(args.model)
    inputs, _ = _inputs(model, args.data, args.delimiter)
    output = model.output(inputs)
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
    model = _model(args.model)
    inputs, truth = _inputs(model, args.data, args.delimiter)
    if truth is None:
        raise ValueError(f"{args.data} has no target column {model.target!r} to evaluate against")
    keep = np.array([v is not None and v == v for v in truth])
    inputs = inputs.take(np.flatnonzero(keep)) if isinstance(inputs, Table) else inputs[keep]
    truth = truth[keep]
    output = model.output(inputs)
    predicted = model.predictions_from(output)
    say(f"{args.data}: {truth.size:,} rows with a target", 0)
    if model.task == "regression":
        y = truth.astype(np.float64)
        say(f"RMSE  {root_mean_squared_error(y, predicted):.6g}", 0)
        say(f"MAE   {mean_absolute_error(y, predicted):.6g}", 0)
        say(f"R²    {r2_score(y, predicted):.4f}", 0)
        return 0
    assert model.classes is not None
    labels = [str(c) for c in model.classes]
    y_true = np.array(
        [str(v) if not isinstance(v, float) or not v.is_integer() else str(int(v)) for v in truth]
    )
    y_pred = np.array([str(v) for v in predicted])
    scores = precision_recall_f1(y_true, y_pred, labels=labels, average="macro")
    accuracy = float(np.mean(y_true == y_pred))
    say(f"accuracy        {accuracy:.4f}", 0)
    say(f"macro F1        {scores.f1:.4f}", 0)
    proba = model.proba_from(output)
    index = {label: i for i, label in enumerate(labels)}
    if all(label in index for label in y_true):
        say(f"log-loss        {log_loss([index[v] for v in y_true], proba):.4f}", 0)
    say("", 0)
    say(classification_report(y_true, y_pred, labels=labels), 0)
    say("confusion matrix (rows: true, columns: predicted)", 0)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    width = max(max(len(label) for label in labels), len(str(matrix.max()))) + 1
    say(" " * width + "".join(label.rjust(width) for label in labels), 0)
    for label, row in zip(labels, matrix, strict=True):
        say(label.rjust(width) + "".join(str(n).rjust(width) for n in row), 0)
    return 0


def export(args: argparse.Namespace, say: Any) -> int:
    from ..io.onnx import export_onnx

    model = _model(args.model)
    path = export_onnx(model.network, args.onnx)
    inputs = "the preprocessed features" if model.preprocessor is not None else "the raw features"
    say(
        f"wrote {path}: input X ({model.network.n_features} columns: {inputs}), "
        f"output {'probabilities' if model.task != 'regression' else 'standardized values'}",
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
