"""Run under ``mpiexec -n K``: train the networks of :mod:`cases` data-parallel and write
what every rank ends with to ``<out>/rank<r>.npz``.

``python mpi_worker.py OUT train``: every case of :data:`cases.CASES` in turn.
``python mpi_worker.py OUT fail``: rank 1's batch source raises at epoch 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import cases

from glassnet.distributed import world
from glassnet.training import Checkpoint


class FailingSource:
    """A batch source that raises on one rank once the second epoch begins."""

    def __init__(self, X: Any, y: Any, rank: int) -> None:
        self.X, self.y, self.rank = X, y, rank
        self.calls = 0

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, index: np.ndarray) -> tuple[Any, Any]:
        self.calls += 1
        if self.rank == 1 and self.calls > 8:
            raise OSError("the disk under rank 1 went away")
        return self.X[index], self.y[index]


def main(out: Path, mode: str) -> None:
    comm = world()
    arrays: dict[str, np.ndarray] = {}
    if mode == "fail":
        X, y = cases.data(cases.M, 3)
        network = cases.network({})
        network.fit(FailingSource(X, y, comm.rank), epochs=3, batch_size=cases.BATCH,
                    distributed=True)  # fmt: skip
        return
    for name, case in cases.CASES.items():
        network, history, reads = cases.train(case, out, distributed=True)
        for key, array in network.parameters() + network.buffers():
            arrays[f"{name}.{key}"] = array
        arrays[f"{name}.loss"] = np.array(history.loss)
        arrays[f"{name}.accuracy"] = np.array(history["accuracy"])
        arrays[f"{name}.val_loss"] = np.array(history.val_loss)
        if reads is not None:
            arrays[f"{name}.reads"] = np.concatenate(reads)
    # Two epochs, then the third resumed from the second's checkpoint: as the three in one go.
    checkpoint = Checkpoint()
    case = cases.CASES["dropout"]
    X, y = cases.data(cases.M, 3)
    network = cases.network(case)
    options: dict[str, Any] = {
        "batch_size": cases.BATCH,
        "optimizer": case["optimizer"],
        "learning_rate": case["learning_rate"],
        "seed": cases.SEED,
        "distributed": True,
    }
    network.fit(X, y, epochs=cases.EPOCHS - 1, callbacks=[checkpoint], **options)
    resumed = cases.network(case)
    resumed.fit(X, y, epochs=cases.EPOCHS, resume=checkpoint.last, **options)
    for key, array in resumed.parameters():
        arrays[f"resumed.{key}"] = array
    np.savez(out / f"rank{comm.rank}.npz", size=comm.size, **arrays)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
