"""Data-parallel training on MPI: ``mpiexec -n K`` processes train one network.

``fit(..., distributed=True)`` (or ``Network.fit``) under ``mpiexec`` trains on ``K``
ranks with the global ``batch_size``, each reading only its shard of every mini-batch;
see :mod:`glassnet.distributed.parallel` for the math, and :func:`world` for the
communicator. mpi4py (``pip install "glassnet[mpi]"``) is imported only when used.
"""

from .communicator import Communicator, communicator_of, running_under_mpi, world
from .parallel import DataParallel, shard_bounds

__all__ = [
    "Communicator",
    "DataParallel",
    "communicator_of",
    "running_under_mpi",
    "shard_bounds",
    "world",
]
