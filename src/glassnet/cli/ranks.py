"""``glassnet train`` on the ranks of an MPI job: ``mpirun -n K glassnet train data.csv``.

Every rank runs the same command. Of a CSV file each keeps only its shard of the rows,
and the ranks fit the preprocessing together (:mod:`glassnet.tabular.shards`); each builds
the same network and trains on its shard of each global batch (:mod:`glassnet.distributed`).
Rank 0 alone speaks, locks and writes the run folder, its checkpoints and its report.

An error on one rank must end every rank: the others would otherwise wait for it in the
next Allreduce for ever. So any exception (and any stop by a signal) ends the whole job
through the communicator's ``abort``, with the failing rank's one-line message. An error
that every rank meets alike (a bad option value, a missing file) should be said once:
ranks other than 0 wait a moment before they abort, so that rank 0, which aborts at once,
ends them first and its line is the only one.

SIGINT and SIGTERM (``mpiexec`` passes Ctrl-C on to every rank) stop training at the end
of a step, as in one process, but a rank cannot stop alone: :class:`EveryRankStops` has
rank 0 save the last finished epoch and say how to resume, then ends every rank.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from ..training import Callback, TrainingState
from .signals import Interrupted, StopOnSignal, interrupted

if TYPE_CHECKING:
    from ..distributed import Communicator

GRACE_SECONDS = 3.0
"""How long a rank other than 0 waits before it aborts the job on its own error: rank 0,
failing alike but later (it also writes the run folder), must abort first, both to say
the error once and to let go of the run folder, which an abort from another rank (a
SIGKILL) would leave locked."""


def communicator(args: argparse.Namespace) -> Communicator | None:
    """The job's communicator when the command runs under ``mpirun``/``mpiexec`` with more
    than one process, or with ``--distributed``; ``None`` for a plain single process."""
    from .. import distributed

    if not (getattr(args, "distributed", False) or distributed.running_under_mpi()):
        return None
    return distributed.world()


def quiet(text: str, level: int = 0, error: bool = False) -> None:
    """The ``say`` of a rank other than 0: rank 0 says everything once."""


def one_line(exc: BaseException) -> str:
    """What ``glassnet``'s errors say: the first line of the message, or the type's name;
    an exception that is not bad input is named as glassnet's own error."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    expected = (ValueError, TypeError, OSError, ImportError, NotImplementedError)
    if isinstance(exc, (*expected, FloatingPointError)):
        return text
    return f"internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)"


def end_job(comm: Communicator, message: str, status: int, what: str = "error") -> NoReturn:
    """End every rank of the job with ``message`` from this one (the communicator's
    ``abort``; ``what`` it is: an ``error``, or ``stopped`` by a signal), and this process
    at once: MPICH's ``MPI_Abort`` can return before the launcher has ended the caller,
    and nothing (an enclosing handler, the interpreter's exit) may run on and say more."""
    try:
        comm.abort(message, status, what)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


@contextmanager
def ending_every_rank(comm: Communicator, debug: bool) -> Iterator[None]:
    """Run the command; an exception on this rank ends every rank of the job with this
    rank's one-line message (``--debug``: its traceback first), and the exit status the
    single-process command would have had (128 + the signal's number when stopped by one)."""
    try:
        yield
    except SystemExit:
        raise
    except BaseException as exc:  # every way out must end the other ranks
        what = "error"
        if isinstance(exc, KeyboardInterrupt):
            stop = interrupted(exc)
            message, status = f"interrupted by {stop.name}: every rank stops", stop.exit_status
            what = "stopped"
        else:
            if debug:
                traceback.print_exc()
            message, status = one_line(exc), 1
        if not comm.is_root:
            time.sleep(GRACE_SECONDS)  # rank 0, failing alike, aborts first: one line
        end_job(comm, message, status, what)


class EveryRankStops(Callback):
    """The training callback of an MPI job that stops every rank once a signal has come
    to this one (:class:`~.signals.StopOnSignal` records it): at the end of the step, rank
    0 calls ``last_words`` (save the last finished epoch, say how to resume), and the job
    ends with 128 + the signal's number. It must come after the checkpoint callback, as
    ``StopOnSignal`` does, so that the epoch just finished is the one saved."""

    def __init__(
        self,
        signals: StopOnSignal,
        comm: Communicator,
        last_words: Callable[[Interrupted], None],
    ) -> None:
        self.signals = signals
        self.comm = comm
        self.last_words = last_words

    def on_batch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self._stop_if_received()

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self._stop_if_received()

    def _stop_if_received(self) -> None:
        if self.signals.received is None:
            return
        stop = Interrupted(self.signals.received)
        if self.comm.is_root:
            self.last_words(stop)
        else:
            time.sleep(GRACE_SECONDS)  # rank 0, stopped by the same Ctrl-C, saves first
        message = f"interrupted by {stop.name}: every rank stops"
        end_job(self.comm, message, stop.exit_status, "stopped")
