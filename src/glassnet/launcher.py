"""What an MPI launcher tells the processes it starts, read before anything else is imported.

``mpiexec -n K`` starts ``K`` processes, and each one's BLAS (OpenBLAS, MKL) starts, by
default, a thread per core. Two ranks on two cores then run four threads that wait for a
core by spinning and take it from each other: on the development machine an epoch of the
Adult table took 1.6–6.8 s on two ranks instead of 0.07 s. So, as ``torchrun`` does, each
rank of a job is given its share of this machine's cores, ``cores // ranks here`` BLAS
threads (at least one), unless the user chose a number (``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``). A BLAS reads these variables when it is
loaded, so :func:`share_cores` runs before NumPy is imported (``import glassnet`` does it
first); it imports nothing but ``os``.
"""

from __future__ import annotations

import os
import sys

SIZE_VARIABLES = (
    "PMI_SIZE",  # MPICH's hydra, Intel MPI
    "OMPI_COMM_WORLD_SIZE",  # Open MPI
    "MV2_COMM_WORLD_SIZE",  # MVAPICH2
    "PMIX_SIZE",
)
"""Environment variables in which MPI launchers tell each process how many were started."""
LOCAL_SIZE_VARIABLES = (
    "MPI_LOCALNRANKS",  # MPICH's hydra
    "OMPI_COMM_WORLD_LOCAL_SIZE",  # Open MPI
    "MV2_COMM_WORLD_LOCAL_SIZE",  # MVAPICH2
    "PMIX_LOCAL_SIZE",
)
"""… and how many of them run on this machine."""
RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "PMIX_RANK")
"""… and which of them this one is."""
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""The thread counts a user sets for the BLAS libraries NumPy is built with."""
shared_threads: int | None = None
"""The BLAS threads :func:`share_cores` gave this rank (``None``: it set none)."""


def _count(names: tuple[str, ...]) -> int | None:
    """The largest number these variables hold (a stale one of another launcher may
    say 1), or ``None`` when none is set."""
    found = [int(v) for v in (os.environ.get(name, "") for name in names) if v.isdigit()]
    return max(found) if found else None


def running_under_mpi() -> bool:
    """Whether this process was started by ``mpiexec``/``mpirun`` with more than one
    process, judged from the launcher's environment variables alone."""
    return (_count(SIZE_VARIABLES) or 1) > 1


def launched_rank() -> int:
    """This process's rank in an MPI job as its launcher says (0 outside one)."""
    for name in RANK_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def threads_per_rank() -> int | None:
    """The BLAS threads each rank of this machine gets, ``cores // ranks here`` (at least
    1); ``None`` outside an MPI job of several processes."""
    if not running_under_mpi():
        return None
    here = _count(LOCAL_SIZE_VARIABLES) or _count(SIZE_VARIABLES) or 1  # else: all here
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // here)


def share_cores() -> int | None:
    """Give this rank its share of the cores (:func:`threads_per_rank`), by the BLAS
    thread variables, unless one is set already or NumPy is loaded (too late to matter);
    the thread count set, else ``None``."""
    threads = threads_per_rank()
    chosen = any(name in os.environ for name in THREAD_VARIABLES)
    if threads is None or chosen or "numpy" in sys.modules:
        return None
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    global shared_threads
    shared_threads = threads
    return threads
