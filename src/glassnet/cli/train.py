"""``glassnet train``: from a CSV (or the shipped MNIST sample) to a run folder holding the
model, its history, a summary, validation predictions and a report."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import launcher
from ..data.files import is_table_file
from ..data.table import read_header
from ..report.writing import (
    MODEL_FILE,
    architecture,
    optimizer_description,
    write_run_files,
)
from ..tabular import Checkpointed, Model, demo_data, load_checkpoint
from ..tabular.cache import prepare_cached
from ..tabular.checkpoints import checked_file, run_files
from ..tabular.rows import check_columns, columns_needed
from ..tabular.search import check_search, searching, with_defaults
from ..tabular.sources import naming
from ..training import (
    Callback,
    Checkpoint,
    EarlyStoppingSeen,
    EpochPrinter,
    ProgressBar,
    Snapshot,
)
from ..training.config_file import check_data_options, read_config, resolve, resume_settings
from ..training.row_defaults import check_watchable
from .ranks import EveryRankStops, communicator, ending_every_rank, quiet
from .refits import by_default, refit, searched
from .run_folder import locked_run_folder, refuse_finished, run_folder
from .signals import Interrupted, StopOnSignal, interrupted

if TYPE_CHECKING:
    from ..distributed import Communicator

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
    Under ``mpirun -n K`` (or with ``--distributed``) every rank trains and rank 0 alone
    speaks and writes (:mod:`.ranks`).
    """
    comm = communicator(args)
    if comm is None:
        return _run(args, say, None)
    if not comm.is_root:
        say = quiet
        warnings.simplefilter("ignore")  # rank 0 says each warning once
    with ending_every_rank(comm, args.debug):
        say(f"training on {comm.size} rank{'s' if comm.size > 1 else ''} (MPI)", 1)
        if launcher.shared_threads is not None:
            say(
                f"threads: {launcher.shared_threads} BLAS thread(s) per rank, this machine's "
                "cores shared among its ranks (set OMP_NUM_THREADS to choose)",
                1,
            )
        return _run(args, say, comm)


def _run(args: argparse.Namespace, say: Any, comm: Communicator | None) -> int:
    if args.resume is not None:  # a finished run is refused before anything is said
        refuse_finished(run_folder(args, None), args)
    elif args.allow_changed_data:
        raise ValueError(
            "--allow-changed-data applies only with --resume CHECKPOINT (a new run reads "
            "its data as it is now)"
        )
    with StopOnSignal() as signals:
        plan = _resumed(args, say) if args.resume is not None else _planned(args)
        if plan.test_file is not None and not Path(plan.test_file).is_file():
            raise FileNotFoundError(f"--test-file {plan.test_file!r} does not exist")
        if comm is not None and not comm.is_root:  # trains its shards; writes nothing
            return _train(args, plan, None, signals, say, comm)
        lock = locked_run_folder(args, plan.data)
        out = lock.folder
        with lock, _undone_on_abort(comm, lock.release):
            if lock.stale_pid is not None:
                say(
                    f"run folder: took over the lock left by process {lock.stale_pid}, "
                    "which no longer holds it (that run was killed or crashed)",
                    1,
                )
            refuse_finished(out, args)  # again: a run that held the lock may have finished
            return _train(args, plan, out, signals, say, comm)


def _undone_on_abort(
    comm: Communicator | None, undo: Any
) -> contextlib.AbstractContextManager[None]:
    """``undo`` run if this rank aborts the MPI job (which skips ``with`` exits)."""
    return contextlib.nullcontext() if comm is None else comm.undone_on_abort(undo)


def _train(
    args: argparse.Namespace,
    plan: Plan,
    out: Path | None,
    signals: StopOnSignal,
    say: Any,
    comm: Communicator | None,
) -> int:
    """The run itself, in the locked run folder ``out`` (``None``: a rank other than 0 of
    an MPI job, which trains with the others and writes nothing)."""
    settings = plan.settings
    with naming(plan.data):
        data = (
            demo_data()
            if plan.data is None
            else prepare_cached(plan.data, settings=settings, across=comm, warn=False)
        )
    if plan.data is not None and plan.resume is None:
        alone = comm is None and not args.watch  # a watched run is one run
        settings = with_defaults(settings, plan.given, data, alone)
    if searching(settings):  # refused before anything is said or trained
        if plan.data is None or plan.resume is not None:
            raise ValueError(
                "--ensemble and --l2-choices train several runs on a data file, and keep no "
                "checkpoint: not on the shipped sample, not with --resume"
            )
        if args.watch:  # the default search steps aside for it; one asked for cannot
            raise ValueError("--watch diagnoses one run, not a search: give --ensemble 1")
        check_search(settings, data.X_val is not None, data.n_features)
    say(f"data: {data.description}", 1)
    for line in data.cache_note.splitlines():
        say(line, 1)
    for note in data.column_notes():
        say(f"columns: {note}", 1)
    if data.X_val is None:
        with naming(Path(plan.data or "").name):
            check_watchable(data.n_rows, settings, flags=True)
    model = Model.build(data, settings)
    _check_test_file(model, plan.test_file)  # before training, not after it
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
    batch = settings["batch_size"] or "all"
    if comm is not None and comm.size > 1:  # the batch size is the global one
        batch = f"{batch} (over {comm.size} ranks)"
    epochs = f"{settings['epochs']} epoch{'s' if settings['epochs'] != 1 else ''}"
    if settings["early_stopping"] and data.X_val is not None:  # a cap, not a plan
        epochs = f"up to {epochs} (early stopping, patience {settings['early_stopping']})"
    penalty = f", L2 λ {settings['l2']:g}" if settings["l2"] and not searching(settings) else ""
    say(f"training: {optimizer_description(settings)}{penalty}, batch {batch}, {epochs}, seed "
        f"{settings['seed']}", 1)  # fmt: skip
    checkpoint: Checkpoint | None = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        say(f"run folder: {out}", 1)
        checkpoints = out / "checkpoints"

        def save_checkpoint(snapshot: Snapshot) -> Checkpointed[Model]:
            return model.save_checkpoint(checkpoints, snapshot)

        checkpoint = Checkpoint(save_checkpoint, every=settings["checkpoint_every"])
    seen = EarlyStoppingSeen()
    callbacks: list[Callback] = [seen] if checkpoint is None else [checkpoint, seen]
    use_bar = out is not None and not args.quiet and sys.stderr.isatty() and _has_tqdm()
    if args.watch and out is not None:
        from ..inspect.diagnose import DiagnosisWatch

        printer = _tqdm_write() if use_bar else print
        callbacks.append(
            DiagnosisWatch(data.X_train, data.y_train, every=args.watch, printer=printer)
        )
    if not args.quiet and out is not None:
        callbacks.append(ProgressBar() if use_bar else EpochPrinter())
    launch = "" if comm is None else f"mpiexec -n {comm.size} "  # how to start it again

    search = searching(settings)  # several runs, no checkpoints (.refits)

    def last_words(stop: Interrupted) -> None:
        """Save the last finished epoch, and say how to resume (rank 0, or one process)."""
        if search:
            hint = " (--ensemble 1: one run, which an interrupt saves)" if by_default(plan) else ""
            say(f"interrupted by {stop.name} while searching: nothing saved{hint}", 0, True)
            return
        if checkpoint is None:
            return
        if checkpoint.last is None:
            say(
                f"interrupted by {stop.name} before the first epoch ended: nothing to save", 0, True
            )
            return
        saved = model.save_checkpoint(checkpoints, checkpoint.last)
        said = f"saved the state after epoch {saved.epoch} to {saved.path}"
        say(f"interrupted by {stop.name}: {said}", 0, error=True)
        say(f"resume with: {launch}glassnet train --resume {shlex.quote(saved.path)}", 0, True)

    # Last: the epoch's snapshot is taken before it stops. Under MPI every rank stops.
    ends = signals if comm is None else EveryRankStops(signals, comm, last_words)
    callbacks.append(ends)
    started = time.perf_counter()
    search_record: dict[str, Any] | None = None
    try:
        with signals.training():
            if search:
                final, search_record = searched(plan, settings, data, say, comm, [ends], use_bar)
                model = search_record.pop("first")
                history = model.history
            else:
                history = model.train(
                    data, callbacks=callbacks, resume=plan.resume, distributed=comm or False
                )
    except KeyboardInterrupt as exc:  # later signals are only recorded: the save completes
        stop = interrupted(exc)
        last_words(stop)
        if comm is not None:  # the other ranks may wait in the next step: .ranks ends them
            raise
        return stop.exit_status
    seconds = time.perf_counter() - started
    stopper = seen.stopper
    if stopper is not None:
        say(stopper.describe(), 0)
    if search_record is None:
        final = refit(model, plan, settings, data.n_rows, say, comm) or model
    if out is None:
        return 0
    final.save(out / MODEL_FILE)
    test, status = _test(final, plan.test_file, say)
    command = launch + "glassnet " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    stopped = stopper.summary() if stopper is not None else _weights_of(search_record)
    summary = write_run_files(
        out,
        model,
        data,
        history,
        settings,
        seconds,
        command,
        files={"data": plan.data, "test-file": plan.test_file},
        early_stopping=stopped,
        test=test,
        ranks=1 if comm is None else comm.size,
        search=search_record,
        saved=final,
    )
    scored = summary["final"]
    if scored:
        epoch = (stopped or {}).get("weights_of_epoch")
        at = "" if epoch is None else f" (epoch {epoch}'s weights)"
        if search_record is not None:
            at += f", of the first run of λ {search_record['l2']:g}"
        if final is not model:  # what was saved learned from the validation rows too
            at += "; the saved model was refit on every row: --test-file scores it"
        scores = ", ".join(f"{k[4:]} {v:.4f}" for k, v in scored.items() if k.startswith("val_"))
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


def _weights_of(search: dict[str, Any] | None) -> dict[str, Any] | None:
    """The epoch whose weights a search's first run kept, as early stopping reports it."""
    if search is None or search.get("weights_of_epoch") is None:
        return None
    return {"weights_of_epoch": search["weights_of_epoch"]}


# -- what to train on, and with which options -------------------------------------------


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


def _check_test_file(model: Model, test_file: str | None) -> None:
    """Refuse a CSV ``--test-file`` whose header lacks a column the model needs (or holds
    one it does not know) now, rather than after the whole training."""
    if test_file is None or model.preprocessor is None or is_table_file(test_file):
        return
    if model.metadata.get("images") is not None:
        return
    header = read_header(test_file)  # its own dialect, as scoring reads it
    needed, optional = columns_needed(model.preprocessor, model.columns, model.targets)
    check_columns(header, needed, optional, f"--test-file {test_file}:")


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
