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
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..io import atomic_savez, atomic_write_text
from ..network import Network
from ..tabular import Checkpointed, Model, Prepared, demo_data, load_checkpoint, prepare
from ..training import Callback, Checkpoint, EpochPrinter, History, ProgressBar, Snapshot
from ..training.options import make_optimizer, read_config, resolve, to_toml


def run(args: argparse.Namespace, say: Any) -> int:
    """Train as ``args`` say; ``say(text, level)`` prints for the chosen verbosity."""
    resume: Snapshot | None = None
    if args.resume is not None:
        checkpoint_file = load_checkpoint(args.resume)
        settings, data_path = checkpoint_file.settings, checkpoint_file.data
        resume = checkpoint_file.snapshot
        say(f"resuming {args.resume} after epoch {checkpoint_file.epoch}", 1)
    else:
        config = read_config(Path(args.config)) if args.config else None
        settings = resolve(vars(args), config)
        data_path = args.data
    data = demo_data() if data_path is None else prepare(data_path, settings=settings)
    say(f"data: {data.description}", 1)
    model = Model.build(data, settings)
    network = model.network
    n_out = network.n_outputs
    loss = network.loss
    say(
        f"task: {data.task} (target {data.target or 'digit'}; "
        f"{n_out} {loss.output_activation} output{'s' if n_out > 1 else ''}, {loss.name} loss)",
        1,
    )
    say(f"network: {_architecture(network)}, {network.n_parameters():,} parameters", 1)
    say(
        f"training: {_describe_optimizer(settings)}, batch {settings['batch_size'] or 'all'}, "
        f"{settings['epochs']} epochs, seed {settings['seed']}",
        1,
    )
    out = _run_folder(args, data_path)
    say(f"run folder: {out}", 1)

    def save_checkpoint(snapshot: Snapshot) -> Checkpointed:
        return model.save_checkpoint(out / "checkpoints", snapshot)

    checkpoint = Checkpoint(save_checkpoint, every=settings["checkpoint_every"])
    callbacks: list[Callback] = [checkpoint]
    use_bar = not args.quiet and sys.stderr.isatty() and _has_tqdm()
    if args.watch:
        from ..inspect.diagnose import DiagnosisWatch

        printer = _tqdm_write() if use_bar else print
        callbacks.append(
            DiagnosisWatch(data.X_train, data.y_train, every=args.watch, printer=printer)
        )
    if not args.quiet:
        callbacks.append(ProgressBar() if use_bar else EpochPrinter())
    started = time.perf_counter()
    try:
        history = model.train(data, callbacks=callbacks, resume=resume)
    except KeyboardInterrupt:
        if checkpoint.last is None:
            say("interrupted before the first epoch ended: nothing to save", 0, error=True)
            return 130
        saved = save_checkpoint(checkpoint.last)
        say(
            f"interrupted: saved the state after epoch {saved.epoch} to {saved.path}",
            0,
            error=True,
        )
        say(f"resume with: glassnet train --resume {shlex.quote(saved.path)}", 0, error=True)
        return 130
    seconds = time.perf_counter() - started
    model.save(out / "model.glassnet")
    write_run_files(out, model, data, history, settings, seconds)
    final = {key: values[-1] for key, values in history.logs.items() if key.startswith("val_")}
    if final:
        say("validation: " + ", ".join(f"{k[4:]} {v:.4f}" for k, v in final.items()), 0)
    say(f"model: {out / 'model.glassnet'}", 0)
    report = _try_report(out, say)
    if report is not None:
        say(f"report: {report}", 0)
    return 0


# -- describing the run ---------------------------------------------------------------


def _describe_optimizer(settings: dict[str, Any]) -> str:
    optimizer = make_optimizer(settings["optimizer"], settings["lr"], settings["weight_decay"])
    config = optimizer.config()
    extras = [f"{k} {v}" for k, v in config.items() if k not in ("name", "learning_rate") and v]
    described = ", ".join([f"lr {optimizer.learning_rate:g}", *extras])
    return f"{config['name']} ({described})"


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
        "optimizer": _describe_optimizer(settings),
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
    validation = model.validation_predictions(data)
    if validation is not None:
        y_true, y_pred = validation
        atomic_savez(out / "validation.npz", y_true=y_true, y_pred=y_pred)


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
