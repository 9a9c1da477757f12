"""The playground's data: two-dimensional toy sets drawn with a seed, and a user's CSV.

Every point lies in the plane ``[-1, 1]²`` (a CSV's two columns are scaled into it), so
that one picture of the plane shows the data, the decision boundary and each hidden
unit. ``noise`` jitters each point by a Gaussian of standard deviation ``noise / 5``
(regression sets: the target by ``noise``): at the largest noise, 0.5, the jitter is a
tenth of the plane's half-width, about what makes neighbouring spiral arms touch.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..losses import Task, loss_for_task, task_for_classes

Generator = np.random.Generator

CLASSES = {
    "circle": 2,
    "xor": 2,
    "gauss": 2,
    "spiral": 2,
    "moons": 2,
    "spiral3": 3,
    "gauss3": 3,
    "blobs4": 4,
    "surface": 0,
    "plane": 0,
    "csv": -1,  # the file says: see read_csv
}
"""Each data set's number of classes: 0 for a surface of values (regression), −1 for a
CSV, whose target says its own."""
TASKS = {name: task_for_classes(max(k, 0)) for name, k in CLASSES.items()}
"""Each data set's task (a CSV's is read from the file)."""


MAX_CSV_ROWS = 20_000
"""The most rows a CSV may have (the request's size limit comes first in practice)."""


@dataclass
class Dataset:
    """Points ``X`` of shape ``(m, 2)`` in ``[-1, 1]²`` and their targets ``y``: class
    indices ``0 … k−1`` or, for regression, values; split into train and test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: Task
    """``"binary"``, ``"multiclass"`` or ``"regression"``."""
    classes: list[Any]
    """The label of each class index (``[]`` for regression)."""


class DataError(ValueError):
    """A data setting that cannot make a data set, naming the field."""


def make_dataset(
    name: str,
    samples: int,
    noise: float,
    train_ratio: float,
    seed: int,
    csv_config: dict[str, str] | None = None,
) -> Dataset:
    """The data set ``name`` of ``samples`` points (a CSV: its rows), shuffled with
    ``seed`` and split so that ``train_ratio`` of them train."""
    rng = np.random.default_rng(seed)
    if name == "csv":
        if csv_config is None:
            raise DataError("csv: the csv data set needs {'text', 'x', 'y', 'target'}")
        X, y, task, classes = read_csv(csv_config)
    else:
        X, y = DRAW[name](samples, noise, rng)
        task, classes = TASKS[name], list(range(CLASSES[name]))
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    # Rounded so that what the page shows (and a link or a spec repeats) is exactly the data.
    X = np.round(X, 4)
    y = y if loss_for_task(task).is_classification else np.round(y, 4)
    n_train = min(max(1, round(train_ratio * len(X))), len(X) - 1)
    return Dataset(X[:n_train], y[:n_train], X[n_train:], y[n_train:], task, classes)


def _jitter(X: np.ndarray, noise: float, rng: Generator) -> np.ndarray:
    return X + rng.normal(0.0, noise / 5, X.shape)


def _split(samples: int, k: int) -> list[int]:
    """``samples`` points shared out over ``k`` classes as evenly as can be."""
    return [samples // k + (1 if c < samples % k else 0) for c in range(k)]


def circle(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 inside radius 0.5, class 0 in the ring from 0.7 to 1."""
    inner, outer = _split(samples, 2)[::-1]
    radius = np.concatenate([rng.uniform(0, 0.5, inner), rng.uniform(0.7, 1.0, outer)])
    angle = rng.uniform(0, 2 * math.pi, samples)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    y = np.concatenate([np.ones(inner, int), np.zeros(outer, int)])
    return _jitter(X, noise, rng), y


def xor(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where ``x·y ≥ 0`` (two opposite quadrants), class 0 in the other two."""
    X = rng.uniform(-1, 1, (samples, 2))
    X += np.sign(X) * 0.05  # a gap along the axes, where the label flips
    X /= 1.05
    y = (X[:, 0] * X[:, 1] >= 0).astype(int)
    return _jitter(X, noise, rng), y


def _gaussians(
    samples: int, noise: float, rng: Generator, centers: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    counts = _split(samples, len(centers))
    X = np.concatenate(
        [
            rng.normal(center, 0.15 + noise / 2, (n, 2))
            for center, n in zip(centers, counts, strict=True)
        ]
    )
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return X, y


def gauss(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round clouds, class 1 around ``(0.4, 0.4)`` and class 0 around ``(−0.4, −0.4)``;
    noise widens them."""
    return _gaussians(samples, noise, rng, [(-0.4, -0.4), (0.4, 0.4)])


def gauss3(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three clouds a third of a turn apart."""
    turns = (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6)
    centers = [(0.5 * math.cos(a), 0.5 * math.sin(a)) for a in turns]
    return _gaussians(samples, noise, rng, centers)


def blobs4(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four clouds, one per quadrant."""
    return _gaussians(samples, noise, rng, [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)])


def _spiral(samples: int, noise: float, rng: Generator, arms: int) -> tuple[np.ndarray, np.ndarray]:
    """``arms`` interleaved spirals, each turning 1.75 times from the centre out to radius 1."""
    X, y = [], []
    for arm, n in enumerate(_split(samples, arms)):
        t = np.linspace(0, 1, n, endpoint=False) + 0.5 / max(n, 1)
        angle = 1.75 * 2 * math.pi * t + 2 * math.pi * arm / arms
        X.append(np.column_stack([t * np.sin(angle), t * np.cos(angle)]))
        y.append(np.full(n, arm))
    return _jitter(np.concatenate(X), noise, rng), np.concatenate(y)


def spiral(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, one per class."""
    return _spiral(samples, noise, rng, 2)


def spiral3(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved spirals, one per class."""
    return _spiral(samples, noise, rng, 3)


def moons(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interlocking half circles: class 0 the upper one, class 1 the lower."""
    upper, lower = _split(samples, 2)
    a = rng.uniform(0, math.pi, upper)
    b = rng.uniform(0, math.pi, lower)
    X = np.concatenate(
        [
            np.column_stack([np.cos(a), np.sin(a)]),
            np.column_stack([1 - np.cos(b), 0.5 - np.sin(b)]),
        ]
    )
    X = (X - [0.5, 0.25]) / 1.6  # centred in the plane, inside [-1, 1]²
    y = np.concatenate([np.zeros(upper, int), np.ones(lower, int)])
    return _jitter(X, noise, rng), y


def surface(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy surface, ``sin(πx) cos(πy)``, plus noise."""
    X = rng.uniform(-1, 1, (samples, 2))
    value = np.sin(math.pi * X[:, 0]) * np.cos(math.pi * X[:, 1])
    return X, value + rng.normal(0.0, noise, samples)


def plane(samples: int, noise: float, rng: Generator) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane, ``(x + y) / 2``, plus noise: one linear unit suffices."""
    X = rng.uniform(-1, 1, (samples, 2))
    return X, X.sum(axis=1) / 2 + rng.normal(0.0, noise, samples)


DRAW = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
    "spiral3": spiral3,
    "gauss3": gauss3,
    "blobs4": blobs4,
    "surface": surface,
    "plane": plane,
}


def read_csv(config: dict[str, str]) -> tuple[np.ndarray, np.ndarray, Task, list[Any]]:
    """The columns ``x`` and ``y`` of a CSV as points scaled into ``[-1, 1]²`` and its
    column ``target``: classes when it holds text or at most 10 distinct whole numbers
    (their sorted values name the classes), else values for regression, scaled into
    ``[-1, 1]`` too."""
    rows = list(csv.reader(io.StringIO(config["text"])))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 3:
        raise DataError("csv.text: a CSV needs a header row and at least 2 rows of data")
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise DataError(f"csv.text: at most {MAX_CSV_ROWS:,} rows, got {len(rows) - 1:,}")
    header = [name.strip() for name in rows[0]]
    columns = {}
    for key in ("x", "y", "target"):
        if config[key] not in header:
            raise DataError(f"csv.{key}: no column {config[key]!r}; the columns are {header}")
        columns[key] = header.index(config[key])
    cells: dict[str, list[str]] = {key: [] for key in columns}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"csv.text: row {number} has {len(row)} cells, the header {len(header)}"
            )
        for key, index in columns.items():
            cells[key].append(row[index].strip())
    X = np.column_stack([_numbers(cells[key], f"csv.{key}", config[key]) for key in "xy"])
    X = _scaled(X)
    target = cells["target"]
    try:
        values = _numbers(target, "csv.target", config["target"])
    except DataError:
        values = None
    whole = values is not None and bool(np.all(values == np.round(values)))
    if values is None or (whole and len(set(values.tolist())) <= 10):
        labels: list[Any] = (
            sorted(set(values.tolist())) if values is not None else sorted(set(target))
        )
        if len(labels) < 2:
            raise DataError(f"csv.target: column {config['target']!r} holds a single class")
        keyed = values.tolist() if values is not None else target
        position = {label: i for i, label in enumerate(labels)}
        y = np.array([position[value] for value in keyed])
        names = [int(label) if values is not None else label for label in labels]
        return X, y, task_for_classes(len(labels)), names
    assert values is not None
    return X, _scaled(values[:, None])[:, 0], task_for_classes(0), []


def _numbers(cells: list[str], field: str, column: str) -> np.ndarray:
    try:
        values = np.array([float(cell) for cell in cells])
    except ValueError:
        bad = next(cell for cell in cells if not _is_number(cell))
        raise DataError(f"{field}: column {column!r} holds {bad!r}, not a number") from None
    if not np.all(np.isfinite(values)):
        raise DataError(f"{field}: column {column!r} holds a value that is not finite")
    return values


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _scaled(values: np.ndarray) -> np.ndarray:
    """Each column mapped linearly onto ``[-1, 1]`` (a constant column onto 0)."""
    low, high = values.min(axis=0), values.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return 2 * (values - low) / span - 1 + np.where(high > low, 0.0, 1.0)
