"""``glassnet train``: from a CSV (or the shipped MNIST sample) to a run folder holding the
model, its history, a summary, validation predictions and a report."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.folder_lock import FolderInUseError, FolderLock
from ..report.writing import (
    MODEL_FILE,
    architecture,
    optimizer_description,
    write_run_files,
)
from ..tabular import Checkpointed, Model, demo_data, load_checkpoint, prepare
from ..tabular.checkpoints import checked_file, run_files
from ..tabular.sources import naming
from ..training import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochPrinter,
    ProgressBar,
    Snapshot,
    TrainingState,
)
from ..training.config_file import check_data_options, read_config, resolve, resume_settings
from ..training.row_defaults import with_row_defaults
from .signals import StopOnSignal, interrupted

SCHEDULES_OVER_EPOCHS = ("step", "exponential", "cosine")
"""The schedules whose shape depends on the number of epochs."""


@dataclass(frozen=True)
class Plan:
    """What a run trains on and with: the options, the files, and a checkpoint to resume."""

    settings: dict[str, Any]
    data: str | None
    """The data file as given (``None``: the shipped MNIST sample)."""
    test_file: str | None
    resume: Snapshot | None = None
    given: frozenset[str] = frozenset()
    """The options the command line or the config set; the others take the defaults that
    suit the table's size (:func:`~glassnet.training.row_defaults.with_row_defaults`)."""


def run(args: argparse.Namespace, say: Any) -> int:
    """Train as ``args`` say; ``say(text, level)`` prints for the chosen verbosity.

    From here on SIGINT and SIGTERM stop the run cleanly (:mod:`.signals`), and once its
    folder is chosen no other run may write it (:class:`~glassnet.io.folder_lock.FolderLock`).
    """
    if args.resume is not None:  # a finished run is refused before anything is said
        _refuse_finished(_run_folder(args, None), args)
    elif args.allow_changed_data:
        raise ValueError(
            "--allow-changed-data applies only with --resume CHECKPOINT (a new run reads "
            "its data as it is now)"
        )
    with StopOnSignal() as signals:
        plan = _resumed(args, say) if args.resume is not None else _planned(args)
        if plan.test_file is not None and not Path(plan.test_file).is_file():
            raise FileNotFoundError(f"--test-file {plan.test_file!r} does not exist")
        lock = _locked_run_folder(args, plan.data)
        out = lock.folder
        with lock:
            if lock.stale_pid is not None:
                say(
                    f"run folder: took over the lock left by process {lock.stale_pid}, "
                    "which no longer holds it (that run was killed or crashed)",
                    1,
                )
            _refuse_finished(out, args)  # again: a run that held the lock may have finished
            return _train(args, plan, out, signals, say)


def _train(args: argparse.Namespace, plan: Plan, out: Path, signals: StopOnSignal, say: Any) -> int:
    """The run itself, in the locked run folder ``out``."""
    settings = plan.settings
    with naming(plan.data):
        data = demo_data() if plan.data is None else prepare(plan.data, settings=settings)
    if plan.data is not None and plan.resume is None:
        settings = with_row_defaults(settings, plan.given, data.n_rows)
    say(f"data: {data.description}", 1)
    for note in data.column_notes():
        say(f"columns: {note}", 1)
    model = Model.build(data, settings)
    model.metadata.update(run_files(plan.data, plan.test_file))  # for --resume from anywhere
    network = model.network
    n_out = network.n_outputs
    loss = network.loss
    say(
        f"task: {data.task} (target {data.target or 'digit'}; "
        f"{n_out} {loss.output_activation} output{'s' if n_out > 1 else ''}, {loss.name} loss)"
        + (f"; {data.task_reason}" if data.task_reason else ""),
        1,
    )
    if data.target_scale is not None:  # the loss is standardized; say which number is which
        say(
            "units: the loss is on the standardized target (y − mean) / std; "
            "rmse and mae are in the target's own units",
            1,
        )
    say(f"network: {architecture(network)}, {network.n_parameters():,} parameters", 1)
    say(
        f"training: {optimizer_description(settings)}, batch {settings['batch_size'] or 'all'}, "
        f"{settings['epochs']} epochs, seed {settings['seed']}",
        1,
    )
    out.mkdir(parents=True, exist_ok=True)
    say(f"run folder: {out}", 1)

    def save_checkpoint(snapshot: Snapshot) -> Checkpointed[Model]:
        return model.save_checkpoint(out / "checkpoints", snapshot)

    checkpoint = Checkpoint(save_checkpoint, every=settings["checkpoint_every"])
    seen = _SeenCallbacks()
    callbacks: list[Callback] = [checkpoint, seen]
    use_bar = not args.quiet and sys.stderr.isatty() and _has_tqdm()
    if args.watch:
        from ..inspect.diagnose import DiagnosisWatch

        printer = _tqdm_write() if use_bar else print
        callbacks.append(
            DiagnosisWatch(data.X_train, data.y_train, every=args.watch, printer=printer)
        )
    if not args.quiet:
        callbacks.append(ProgressBar() if use_bar else EpochPrinter())
    callbacks.append(signals)  # last: the epoch's snapshot is taken before it stops
    started = time.perf_counter()
    try:
        with signals.training():
            history = model.train(data, callbacks=callbacks, resume=plan.resume)
    except KeyboardInterrupt as exc:  # later signals are only recorded: the save completes
        stop = interrupted(exc)
        if checkpoint.last is None:
            say(
                f"interrupted by {stop.name} before the first epoch ended: nothing to save",
                0,
                error=True,
            )
            return stop.exit_status
        saved = save_checkpoint(checkpoint.last)
        say(
            f"interrupted by {stop.name}: saved the state after epoch {saved.epoch} to "
            f"{saved.path}",
            0,
            error=True,
        )
        say(f"resume with: glassnet train --resume {shlex.quote(saved.path)}", 0, error=True)
        return stop.exit_status
    seconds = time.perf_counter() - started
    stopper = next((cb for cb in seen.callbacks if isinstance(cb, EarlyStopping)), None)
    if stopper is not None:
        say(stopper.describe(), 0)
    final = _refit(model, plan, settings, data.n_rows, say) or model
    final.save(out / MODEL_FILE)
    test, status = _test(final, plan.test_file, say)
    command = "glassnet " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    summary = write_run_files(
        out,
        model,
        data,
        history,
        settings,
        seconds,
        command,
        files={"data": plan.data, "test-file": plan.test_file},
        early_stopping=None if stopper is None else stopper.summary(),
        test=test,
    )
    final = summary["final"]
    if final:
        at = f" (epoch {stopper.weights_epoch}'s weights)" if stopper is not None else ""
        scores = ", ".join(f"{k[4:]} {v:.4f}" for k, v in final.items() if k.startswith("val_"))
        say(f"validation: {scores}{at}", 0)
    if test is not None:
        scores = ", ".join(f"{k} {v:.4f}" for k, v in test.items() if isinstance(v, float))
        say(f"test ({Path(str(test['data'])).name}, {test['rows']:,} rows): {scores}", 0)
    say(f"model: {out / MODEL_FILE}", 0)
    if args.no_report:
        if args.overwrite:
            (out / "report.html").unlink(missing_ok=True)  # the replaced run's, now stale
    else:
        report = _try_report(out, say)
        if report is not None:
            say(f"report: {report}", 0)
    return status


# -- what to train on, and with which options -------------------------------------------


def _refit(
    model: Model, plan: Plan, settings: dict[str, Any], n_rows: int, say: Any
) -> Model | None:
    """A fresh model trained on every row for the epoch count early stopping chose on the
    validation rows, when the settings ask for it (``None`` otherwise)."""
    best = model.refit_epochs()
    if best is None or plan.data is None:
        return None
    say(
        f"refit: a fresh network on all {n_rows:,} rows for {best} epochs (the best on validation)",
        1,
    )
    again = {**settings, "validation_split": 0.0, "epochs": best, "early_stopping": 0}
    again["refit"] = False
    target, drop, id_ = again.pop("target"), again.pop("drop"), again.pop("id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said already, on the first fit
        refitted = Model.fit(plan.data, target, drop=drop or (), id=id_, **again)
    refitted.metadata["refit"] = {"epochs": best, "chosen_after_epochs": model.n_epochs}
    refitted.metadata.update(run_files(plan.data, plan.test_file))  # as the first model's
    return refitted


def _planned(args: argparse.Namespace) -> Plan:
    """A new run: the command line over the config file over the defaults."""
    config = read_config(Path(args.config)) if args.config else None
    data = args.data if args.data is not None else (config.data if config else None)
    test_file = args.test_file or (config.test_file if config else None)
    if data is None:
        check_data_options(vars(args), config)
    given = {key for key, value in vars(args).items() if value is not None}
    given |= set(config.settings) if config else set()
    return Plan(resolve(vars(args), config), data, test_file, given=frozenset(given))


def _resumed(args: argparse.Namespace, say: Any) -> Plan:
    """A run continued from its checkpoint: the run's options and data, with the options
    that may change (``--epochs``: train on to that epoch); others are refused."""
    if args.config is not None or args.data is not None:
        given = "--config" if args.config is not None else f"the data file {args.data!r}"
        raise ValueError(
            f"{given} cannot be given with --resume: a resumed run keeps its checkpoint's "
            "data and options"
        )
    checkpoint = load_checkpoint(args.resume)
    saved = checkpoint.settings
    settings = resume_settings(saved, vars(args), checkpoint.epoch, str(args.resume))
    say(f"resuming {args.resume} after epoch {checkpoint.epoch}", 1)
    if settings["epochs"] != saved["epochs"]:
        say(f"training on to epoch {settings['epochs']} (the run had {saved['epochs']})", 1)
        if settings["schedule"] in SCHEDULES_OVER_EPOCHS:
            say(
                f"note: the {settings['schedule']} learning-rate schedule now spans "
                f"{settings['epochs']} epochs",
                1,
            )
    data = checkpoint.data
    if data is not None:  # never read a file a checkpoint names without saying so
        say(f"resuming: data {_printable(data)} (from the checkpoint)", 0)
        data = checkpoint.check_data(allow_changed=args.allow_changed_data)
    test_file = args.test_file
    if test_file is None and checkpoint.test_file is not None:
        say(f"resuming: test file {_printable(checkpoint.test_file)} (from the checkpoint)", 0)
        try:
            test_file = checked_file(checkpoint.test_file, checkpoint.path, "test")
        except FileNotFoundError as exc:
            warnings.warn(f"{exc}: the resumed run is not tested (give --test-file)", stacklevel=1)
    return Plan(settings, data, test_file, checkpoint.snapshot)


def _printable(path: str) -> str:
    """A path read from a file, as it can be printed: quoted where it holds a line break or
    a terminal's control character that would make the output say something else."""
    return path if path.isprintable() else repr(path)


# -- the run folder -----------------------------------------------------------------------


def _run_folder(args: argparse.Namespace, data_path: str | None) -> Path:
    """The run folder (not created yet)."""
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
    return out


def _locked_run_folder(args: argparse.Namespace, data_path: str | None) -> FolderLock:
    """The run folder, locked against other runs (see :func:`_run_folder`); one that holds a
    model is refused before any work. A default folder (no ``--out``) that another run took
    in the same second is passed over for the next name, as a taken name already is."""
    for _ in range(100):
        out = _run_folder(args, data_path)
        _refuse_finished(out, args)
        lock = FolderLock(out, "run folder")
        try:
            lock.acquire()
        except FolderInUseError:
            if args.out is not None or args.resume is not None:
                raise
            continue  # the other run has made the folder: the next name is free
        return lock
    raise FileExistsError(f"no free run folder under runs/ for {data_path or 'the sample'}")


def _refuse_finished(out: Path, args: argparse.Namespace) -> None:
    """Refuse a run folder that holds a model, unless ``--overwrite``."""
    if (out / MODEL_FILE).exists() and not args.overwrite:
        raise FileExistsError(
            f"the run folder {out} already holds a model ({MODEL_FILE}); give --overwrite "
            "to replace it, or --out with a new folder"
        )


class _SeenCallbacks(Callback):
    """Keeps every callback of the run (those the options made too), to report on them."""

    def __init__(self) -> None:
        self.callbacks: list[Callback] = []

    def on_train_end(self, state: TrainingState) -> None:
        self.callbacks = list(state.callbacks)


def _test(model: Model, test_file: str | None, say: Any) -> tuple[Mapping[str, Any] | None, int]:
    """The model's scores on ``--test-file`` and the exit status: a file it cannot score
    is reported, and the trained run is still written."""
    if test_file is None:
        return None, 0
    try:
        result = model.evaluation(test_file)
    except (ValueError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        say(f"glassnet: error: --test-file {test_file}: {message}", 0, error=True)
        return None, 1
    return {"data": test_file, "rows": result.n_rows, **result.metrics}, 0


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
