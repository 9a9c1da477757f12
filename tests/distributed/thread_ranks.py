"""``K`` ranks as ``K`` threads of this process, for code written against a
:class:`glassnet.distributed.Communicator`: each collective is an exchange at a barrier,
so the ranks' code runs as under ``mpiexec -n K``, without MPI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np


class ThreadRank:
    """One thread's communicator; the threads share ``slots`` and a barrier."""

    def __init__(self, rank: int, size: int, barrier: threading.Barrier, slots: list[Any]) -> None:
        self.rank, self.size = rank, size
        self._barrier, self._slots = barrier, slots

    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def gather(self, value: Any) -> list[Any]:
        self._barrier.wait()  # every rank has read the last exchange
        self._slots[self.rank] = value
        self._barrier.wait()  # every rank has written this one
        return list(self._slots)

    def allreduce_sum(self, array: np.ndarray) -> np.ndarray:
        # Added in rank order, as one process would add the parts.
        parts = self.gather(array.copy())
        array[...] = sum(parts[1:], parts[0])
        return array

    def agree(self, value: Any) -> Any:
        return self.gather(value)[0]

    def on_one_machine(self) -> bool:
        return True


def run_ranks(size: int, work: Callable[[ThreadRank], Any], timeout: float = 60) -> list[Any]:
    """``work(comm)`` on ``size`` threads at once, each with its rank's communicator; what
    each returned, in rank order. An exception on any rank is raised here."""
    barrier = threading.Barrier(size, timeout=timeout)
    slots: list[Any] = [None] * size
    results: list[Any] = [None] * size
    errors: list[BaseException] = []

    def run(rank: int) -> None:
        try:
            results[rank] = work(ThreadRank(rank, size, barrier, slots))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()  # the other ranks stop waiting

    threads = [threading.Thread(target=run, args=(rank,)) for rank in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first = [e for e in errors if not isinstance(e, threading.BrokenBarrierError)]
    if first or errors:
        raise (first or errors)[0]
    return results
