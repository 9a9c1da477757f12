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
    data = args.data[0] if len(args.data) == 1 else args.data  # several: image files
    if not isinstance(data, str) and "images" not in model.metadata:
        raise ValueError(
            f"give one data file: {len(args.data)} were given, and this model takes a table"
        )
    reading = {"delimiter": args.delimiter, "encoding": args.encoding}
    columns = model.predictions(data, proba=args.proba, **reading).columns()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    proba = {name for name in columns if name.startswith("p(")}
    n_rows = len(next(iter(columns.values()), []))
    for i in range(n_rows):
        writer.writerow(_cell(values[i], name in proba) for name, values in columns.items())
    if args.out is None:
        sys.stdout.write(out.getvalue())
    else:
        atomic_write_text(args.out, out.getvalue())
        say(f"wrote {n_rows:,} predictions to {args.out}", 0)
    return 0


def _cell(value: Any, probability: bool) -> Any:
    if probability:
        return f"{value:.6g}"
    return f"{value:.8g}" if isinstance(value, float | np.floating) else value


def evaluate(args: argparse.Namespace, say: Any) -> int:
    model = Model.load(args.model)
    result = model.evaluation(args.data, delimiter=args.delimiter, encoding=args.encoding)
    say(f"{args.data}: {result.n_rows:,} rows with a target", 0)
    for line in result.lines():
        say(line, 0)
    return 0


def export(args: argparse.Namespace, say: Any) -> int:
    onnx_path, safetensors_path = args.onnx, getattr(args, "safetensors", None)
    if onnx_path is None and safetensors_path is None:
        raise ValueError("give --onnx PATH or --safetensors PATH")
    model = Model.load(args.model)
    if onnx_path is not None and "images" in model.metadata:
        from ..io.onnx import export_onnx

        export_onnx(model.network, onnx_path, classes=model.classes)
        C, H, W = model.network.input_shape
        say(
            f"wrote {onnx_path}: images X (batch, {C}, {H}, {W}) of pixels in [0, 1] in, "
            "probabilities out (the class labels are in its metadata)",
            0,
        )
    elif onnx_path is not None:
        from ..io.onnx_raw import describe_graph, to_onnx

        try:
            exported = to_onnx(model, onnx_path)
        except NotImplementedError as exc:  # a model ONNX cannot hold: which model
            raise NotImplementedError(f"{args.model}: {exc}") from None
        say(f"wrote {onnx_path}: raw rows in, predictions out", 0)
        for line in describe_graph(exported):
            say(f"  {line}", 0)
    if safetensors_path is not None:
        from ..io.safetensors import save_safetensors

        say(f"wrote {save_safetensors(model.network, safetensors_path)}", 0)
    return 0


def report(args: argparse.Namespace, say: Any) -> int:
    from ..report import write_report

    run = Path(args.run)
    if not run.is_dir():
        raise NotADirectoryError(f"{str(run)!r} is not a run folder")
    say(f"report: {write_report(run)}", 0)
    return 0
