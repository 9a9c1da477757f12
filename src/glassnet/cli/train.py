"""``glassnet train``: from a CSV (or the shipped MNIST sample) to a run folder holding the
model, its history, a summary, validation predictions and a report."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from ..report.writing import architecture, optimizer_description, write_run_files
from ..tabular import Checkpointed, Model, demo_data, load_checkpoint, prepare
from ..training import Callback, Checkpoint, EpochPrinter, ProgressBar, Snapshot
from ..training.options import read_config, resolve


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
    say(f"network: {architecture(network)}, {network.n_parameters():,} parameters", 1)
    say(
        f"training: {optimizer_description(settings)}, batch {settings['batch_size'] or 'all'}, "
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
    command = "glassnet " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    write_run_files(out, model, data, history, settings, seconds, command)
    final = {key: values[-1] for key, values in history.logs.items() if key.startswith("val_")}
    if final:
        say("validation: " + ", ".join(f"{k[4:]} {v:.4f}" for k, v in final.items()), 0)
    say(f"model: {out / 'model.glassnet'}", 0)
    report = _try_report(out, say)
    if report is not None:
        say(f"report: {report}", 0)
    return 0


# -- describing the run ---------------------------------------------------------------


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
