"""``glassnet train``: from a CSV (or the shipped MNIST sample) to a run folder holding the
model, its history, a summary, validation predictions and a report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..data import LabelEncoder, Preprocessor, Table, load_csv, split_indices
from ..data.table import missing_mask
from ..datasets import load_mnist_small
from ..io import atomic_savez, atomic_write_text
from ..losses import Task, loss_for_task
from ..model import Model, infer_task
from ..network import Network
from ..optimizers import Optimizer
from ..training import Checkpoint, EpochPrinter, History, ProgressBar, Snapshot
from ..training.checkpoint import network_at
from ..training.options import make_callbacks, make_optimizer, read_config, resolve, to_toml

DEMO = "the MNIST sample shipped with glassnet"


@dataclass
class Prepared:
    """The data of a run, ready for the network."""

    description: str
    task: Task
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    preprocessor: Preprocessor | None
    classes: list[Any] | None
    target: str | None
    target_scale: tuple[float, float] | None


def run(args: argparse.Namespace, say: Any) -> int:
    """Train as ``args`` say; ``say(text, level)`` prints for the chosen verbosity."""
    resume_training: Snapshot | None = None
    if args.resume is not None:
        saved, resume_training = Model.load(args.resume)
        if resume_training is None:
            raise ValueError(
                f"{args.resume} is a model file, not a checkpoint: it has no training state"
            )
        if "settings" not in saved.metadata:
            raise ValueError(
                f"{args.resume} was not written by glassnet train (it has no settings to "
                "resume with); resume it from Python with fit(resume=...)"
            )
        settings = saved.metadata["settings"]
        data_path = saved.metadata.get("data")
        say(f"resuming {args.resume} after epoch {resume_training['epoch']}", 1)
    else:
        config = read_config(Path(args.config)) if args.config else None
        settings = resolve(vars(args), config)
        data_path = args.data
    data = prepare_data(data_path, settings)
    say(f"data: {data.description}", 1)
    network = build_network(data, settings)
    n_out = network.n_outputs
    loss = network.loss
    say(
        f"task: {data.task} (target {data.target or 'digit'}; "
        f"{n_out} {loss.output_activation} output{'s' if n_out > 1 else ''}, {loss.name} loss)",
        1,
    )
    say(f"network: {_architecture(network)}, {network.n_parameters():,} parameters", 1)
    optimizer = make_optimizer(settings["optimizer"], settings["lr"], settings["weight_decay"])
    say(
        f"training: {_describe_optimizer(optimizer)}, batch {settings['batch_size'] or 'all'}, "
        f"{settings['epochs']} epochs, seed {settings['seed']}",
        1,
    )
    model = Model(
        network, data.task, data.preprocessor, data.classes, data.target, data.target_scale
    )
    out = _run_folder(args, data_path)
    say(f"run folder: {out}", 1)
    metadata = {"settings": settings, "data": None if data_path is None else str(data_path)}
    model.metadata = metadata

    def save_checkpoint(snapshot: Snapshot) -> Path:
        path = out / "checkpoints" / f"epoch-{snapshot['epoch']:04d}.glassnet"
        # The snapshot's parameter copies, not the live ones: they belong to its epoch.
        at_epoch = Model(
            network_at(network, snapshot),
            data.task,
            data.preprocessor,
            data.classes,
            data.target,
            data.target_scale,
            metadata,
        )
        return at_epoch.save(path, training=snapshot)

    checkpoint = Checkpoint(save_checkpoint, every=settings["checkpoint_every"])
    callbacks = [*make_callbacks(settings), checkpoint]
    use_bar = not args.quiet and sys.stderr.isatty() and _has_tqdm()
    if args.watch:
        from ..inspect.diagnose import DiagnosisWatch

        printer = _tqdm_write() if use_bar else print
        callbacks.append(
            DiagnosisWatch(data.X_train, data.y_train, every=args.watch, printer=printer)
        )
    if not args.quiet:
        callbacks.append(ProgressBar() if use_bar else EpochPrinter())
    validation = None if data.X_val is None else (data.X_val, data.y_val)
    started = time.perf_counter()
    try:
        history = network.fit(
            data.X_train,
            data.y_train,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"] or None,
            optimizer=optimizer,
            validation_data=validation,
            seed=settings["seed"],
            class_weight=settings["class_weight"],
            clip_norm=settings["clip_norm"],
            clip_value=settings["clip_value"],
            metrics=settings["metrics"] or _default_metrics(data.task),
            callbacks=callbacks,
            resume=resume_training,
        )
    except KeyboardInterrupt:
        if checkpoint.last is None:
            say("interrupted before the first epoch ended: nothing to save", 0, error=True)
            return 130
        path = save_checkpoint(checkpoint.last)
        say(
            f"interrupted: saved the state after epoch {checkpoint.last['epoch']} to {path}",
            0,
            error=True,
        )
        say(f"resume with: glassnet train --resume {shlex.quote(str(path))}", 0, error=True)
        return 130
    seconds = time.perf_counter() - started
    model.save(out / "model.glassnet")
    write_run_files(out, model, data, history, settings, seconds, args)
    final = {key: values[-1] for key, values in history.logs.items() if key.startswith("val_")}
    if final:
        say("validation: " + ", ".join(f"{k[4:]} {v:.4f}" for k, v in final.items()), 0)
    say(f"model: {out / 'model.glassnet'}", 0)
    report = _try_report(out, say)
    if report is not None:
        say(f"report: {report}", 0)
    return 0


# -- data ---------------------------------------------------------------------------------


def prepare_data(path: str | None, settings: dict[str, Any]) -> Prepared:
    """Load and split the data, fit the preprocessing on the training part only."""
    if path is None:
        demo = load_mnist_small()
        return Prepared(
            demo.description,
            "multiclass",
            demo.X_train,
            demo.y_train,
            demo.X_test,
            demo.y_test,
            None,
            list(range(10)),
            None,
            None,
        )
    table = _read_table(Path(path), settings)
    assert table.target is not None and table.target_kind is not None
    keep = ~missing_mask(table.target)
    dropped = int((~keep).sum())
    if not keep.any():
        raise ValueError(
            f"{path}: every value of the target column {table.target_name!r} is missing"
        )
    table = table.take(np.flatnonzero(keep)) if dropped else table
    target, target_kind = table.target, table.target_kind
    assert target is not None and target_kind is not None
    task: Task = infer_task(target, target_kind) if settings["task"] == "auto" else settings["task"]
    classes: list[Any] | None = None
    target_scale = None
    if task == "regression":
        if table.target_kind != "numeric":
            raise ValueError(
                f"{path}: the target {table.target_name!r} is not numeric; regression needs numbers"
            )
        y = target.astype(np.float64)
    else:
        encoder = LabelEncoder().fit(target)
        classes = encoder.classes_
        assert classes is not None
        if len(classes) < 2:
            raise ValueError(
                f"{path}: the target {table.target_name!r} has only the class {classes[0]!r}; "
                "a classifier needs at least 2"
            )
        if task == "binary" and len(classes) != 2:
            raise ValueError(
                f"--task binary needs 2 classes; {table.target_name!r} has {len(classes)}"
            )
        y = encoder.transform(target)
    split = settings["validation_split"]
    if split > 0:
        train_rows, val_rows = split_indices(
            y, test_size=split, stratify=task != "regression", seed=settings["seed"]
        )
    else:
        train_rows, val_rows = np.arange(table.n_rows), np.arange(0)
    preprocessor = Preprocessor(scale=None if settings["scale"] == "none" else settings["scale"])
    X_train = preprocessor.fit_transform(table.take(train_rows))
    X_val = preprocessor.transform(table.take(val_rows)) if val_rows.size else None
    y_train, y_val = y[train_rows], (y[val_rows] if val_rows.size else None)
    if task == "regression":
        mean, std = float(y_train.mean()), float(y_train.std()) or 1.0
        target_scale = (mean, std)
        y_train = (y_train - mean) / std
        y_val = None if y_val is None else (y_val - mean) / std
    without = f", {dropped} without a target dropped" if dropped else ""
    description = (
        f"{Path(path).name} ({table.n_rows:,} rows{without}; "
        f"{train_rows.size:,} train / {val_rows.size:,} validation; "
        f"{len(table.feature_names)} columns → {X_train.shape[1]} features)"
    )
    return Prepared(
        description,
        task,
        X_train,
        y_train,
        X_val,
        y_val,
        preprocessor,
        classes,
        table.target_name,
        target_scale,
    )


def _read_table(path: Path, settings: dict[str, Any]) -> Table:
    target = settings["target"] or _last_column(path, settings["delimiter"])
    return load_csv(
        path, target, delimiter=settings["delimiter"], categorical=settings["categorical"] or None
    )


def _last_column(path: Path, delimiter: str) -> str:
    from ..data.table import read_header

    header = read_header(path, delimiter)
    if not header:
        raise ValueError(f"{path} is empty: no header row")
    return header[-1]


# -- the network, optimizer and callbacks ---------------------------------------------------


def build_network(data: Prepared, settings: dict[str, Any]) -> Network:
    loss = loss_for_task(data.task)
    n_out = 1 if data.task in ("regression", "binary") else len(data.classes or [])
    return Network.build(
        [data.X_train.shape[1], *settings["layers"], n_out],
        activation=settings["activation"],
        output_activation=loss.output_activation,
        loss=loss.name,
        init=settings["init"],
        l1=settings["l1"],
        l2=settings["l2"],
        dropout=settings["dropout"],
        batch_norm=settings["batch_norm"],
        seed=settings["seed"],
        dtype=settings["dtype"],
    )


def _default_metrics(task: Task) -> list[str]:
    """R² for regression (the loss is in standardized units; R² is the same in any), macro
    F1 for classification (accuracy alone hides a neglected class)."""
    return ["r2"] if task == "regression" else ["f1_macro"]


def _describe_optimizer(optimizer: Optimizer) -> str:
    config = optimizer.config()
    extras = [f"{k} {v}" for k, v in config.items() if k not in ("name", "learning_rate") and v]
    settings = ", ".join([f"lr {optimizer.learning_rate:g}", *extras])
    return f"{config['name']} ({settings})"


def _architecture(network: Network) -> str:
    parametric = network.parametric_layers()
    sizes = [network.n_features] + [layer.n_out for layer in parametric]
    first = parametric[0].activation
    hidden = first.name if len(parametric) > 1 and first is not None else "no"
    extras = []
    if any(layer.min_batch_size > 1 for layer in parametric):
        extras.append("batch norm")
    extras += sorted({layer.kind for layer in network.layers if not layer.params})
    return (
        "-".join(map(str, sizes))
        + f" ({hidden} hidden{', ' + ', '.join(extras) if extras else ''})"
    )


# -- the run folder -----------------------------------------------------------------------


def _run_folder(args: argparse.Namespace, data_path: str | None) -> Path:
    if args.out is not None:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"--out {str(out)!r} is a file, not a folder")
    elif args.resume is not None:
        out = Path(args.resume).resolve().parent.parent  # <run>/checkpoints/epoch-N.glassnet
    else:
        stem = "mnist-sample" if data_path is None else Path(data_path).stem
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{stem}-{stamp}"
        suffix = 1
        while out.exists():
            suffix += 1
            out = Path("runs") / f"{stem}-{stamp}-{suffix}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_run_files(
    out: Path,
    model: Model,
    data: Prepared,
    history: History,
    settings: dict[str, Any],
    seconds: float,
    args: argparse.Namespace,
) -> None:
    """``config.toml``, ``history.json``, ``summary.json`` and ``validation.npz``."""
    atomic_write_text(out / "config.toml", to_toml(settings))
    atomic_write_text(out / "history.json", json.dumps(history.as_dict(), indent=1))
    network = model.network
    final = {key: values[-1] for key, values in history.logs.items() if key.startswith("val_")}
    summary = {
        "data": data.description,
        "task": data.task,
        "target": data.target,
        "architecture": _architecture(network)
        + f", {network.loss.output_activation} output, {network.loss.name} loss",
        "parameters": network.n_parameters(),
        "optimizer": _describe_optimizer(
            make_optimizer(settings["optimizer"], settings["lr"], settings["weight_decay"])
        ),
        "epochs": len(history.epoch),
        "batch_size": settings["batch_size"] or "all",
        "seconds_per_epoch": round(float(np.mean(history.seconds)), 4) if history.seconds else None,
        "seconds": round(seconds, 2),
        "final": {k: v for k, v in final.items() if math.isfinite(v)},
        "classes": [str(c) for c in data.classes] if data.classes is not None else None,
        "command": "glassnet " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "glassnet_version": __version__,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    if data.X_val is not None and data.y_val is not None:
        predicted = network.predict(data.X_val)
        y_true = data.y_val
        if data.task == "regression" and data.target_scale is not None:
            mean, std = data.target_scale
            predicted, y_true = predicted * std + mean, y_true * std + mean
        atomic_savez(
            out / "validation.npz", y_true=np.asarray(y_true), y_pred=np.asarray(predicted)
        )


def _try_report(out: Path, say: Any) -> Path | None:
    try:
        from ..report import write_report
    except ImportError:
        return None
    try:
        return write_report(out)
    except ImportError:
        say('no report: it needs matplotlib (pip install "glassnet[cli]")', 1)
        return None


def _tqdm_write() -> Any:
    from tqdm.auto import tqdm

    return tqdm.write


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True
