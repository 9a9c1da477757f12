"""The training runs the MPI tests make on ``K`` ranks and compare with one process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from glassnet import Network

M = 103
"""Samples: with a global batch of 20 the last batch has 3 rows, so that on 3 ranks each
gets 1, and with 2 ranks the shards of every batch are uneven."""
BATCH = 20
EPOCHS = 3
SEED = 5

CASES: dict[str, dict[str, Any]] = {
    "sgd": {"optimizer": "sgd", "learning_rate": 0.2, "l2": 0.3},
    "momentum": {"optimizer": "momentum", "learning_rate": 0.05, "l2": 0.1, "l1": 0.02},
    "adam": {"optimizer": "adam", "learning_rate": 0.01, "l2": 0.2, "weighted": True},
    "dropout": {"optimizer": "adam", "learning_rate": 0.01, "dropout": 0.3},
    "batchnorm": {"optimizer": "adam", "learning_rate": 0.01, "batch_norm": True, "l2": 0.1},
    "mmap": {"optimizer": "sgd", "learning_rate": 0.1, "memory_mapped": True},
}


def data(m: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(m, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)
    return X, np.minimum(y, n_classes - 1)


def network(case: dict[str, Any]) -> Network:
    return Network.build(
        [4, 6, 5, 3],
        dropout=case.get("dropout", 0.0),
        batch_norm=case.get("batch_norm", False),
        l2=case.get("l2", 0.0),
        l1=case.get("l1", 0.0),
        seed=3,
        dtype="float64",
    )


class CountingSource:
    """A batch source over a memory-mapped ``.npy`` that keeps every index it is asked for."""

    def __init__(self, X: Any, y: Any) -> None:
        self.X, self.y = X, y
        self.reads: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, index: np.ndarray) -> tuple[Any, Any]:
        self.reads.append(np.array(index))
        return self.X[index], self.y[index]


def save_X(folder: Path) -> None:
    """The samples as the ``.npy`` file that the memory-mapped case reads."""
    np.save(folder / "X.npy", data(M, 3)[0])


def train(
    case: dict[str, Any], folder: Path, distributed: bool = False
) -> tuple[Network, Any, list[np.ndarray] | None]:
    """The network ``case`` trains, its history, and for a memory-mapped case the row
    numbers its source read (after the first row, which opening the source reads)."""
    X, y = data(M, 3)
    net = network(case)
    weights = np.linspace(0.5, 2.0, M) if case.get("weighted") else None
    options: dict[str, Any] = {
        "epochs": EPOCHS,
        "batch_size": BATCH,
        "optimizer": case["optimizer"],
        "learning_rate": case["learning_rate"],
        "seed": SEED,
        "validation_data": (X[:30], y[:30]),
    }
    if weights is not None:
        options.update(sample_weight=weights, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    source = None
    if case.get("memory_mapped"):
        source = CountingSource(np.load(folder / "X.npy", mmap_mode="r"), y)
        history = net.fit(source, distributed=distributed, **options)
        return net, history, source.reads[1:]
    history = net.fit(X, y, distributed=distributed, **options)
    return net, history, None
