"""From the network's outputs to what a user reads, and from labels to what it learns.

The network's output ``A^[L]`` ``(m, n_L)`` becomes class labels in their own type, values
in the target's units, or, for several targets, one column per target
(:func:`predictions_from_output`); the truth goes the other way (:func:`encode_truth`).
:class:`Predictions` keeps the predictions with the id of each row, as ``glassnet
predict`` writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Array
from ..data.frame import pandas
from ..losses import Loss
from .labels import class_indices, label_array
from .units import scale_arrays, to_units


def predictions_from_output(
    A: Array,
    loss: Loss,
    classes: Sequence[Any] | None,
    target_scale: tuple[Any, Any] | None,
    several: bool,
) -> Array:
    """Labels ``(m,)`` or values in the target's units ``(m,)`` from the output ``A``;
    ``(m, k)`` for ``k`` targets (an object array of labels for several yes/no labels)."""
    if not loss.is_classification:
        values = to_units(A, target_scale or (0.0, 1.0))
        return values[:, 0] if values.shape[1] == 1 and not several else values
    assert classes is not None
    decided = loss.decide(A)
    if not several:
        return label_array(classes, decided)
    labels = np.empty(decided.shape, dtype=object)
    for j, per_target in enumerate(classes):
        labels[:, j] = label_array(per_target, decided[:, j]).tolist()
    return labels


def encode_truth(
    values: Array,
    classifies: bool,
    classes: Sequence[Any] | None,
    target_scale: tuple[Any, Any] | None,
) -> Array:
    """Targets as the network learns them: class indices ``(m,)`` (0/1 per column ``(m, k)``
    for several labels), or ``(y − mean) / std``; an unknown label is a ValueError."""
    if not classifies:
        mean, std = scale_arrays(target_scale or (0.0, 1.0))
        y = np.asarray(values, dtype=np.float64)
        return (y - mean[0]) / std[0] if y.ndim == 1 else (y - mean) / std
    assert classes is not None
    truth = np.asarray(values, dtype=object)
    if truth.ndim == 2:
        return np.column_stack(
            [encode_truth(truth[:, j], True, c, None) for j, c in enumerate(classes)]
        ).astype(np.float64)
    codes = class_indices(truth, classes)
    if (codes < 0).any():
        value = truth[int(np.argmax(codes < 0))]
        raise ValueError(f"unknown label {value!r}; the model's classes are {list(classes)}")
    return codes


@dataclass(frozen=True)
class Predictions:
    """A model's predictions for some rows, with the id of each row where the model has an
    id column and the data holds it.

    ``labels``: ``(m,)`` labels or values, ``(m, k)`` for ``k`` targets; ``proba``: class
    probabilities ``(m, K)`` (``(m, k)``: ``P(second class)`` per yes/no target) when
    asked for; ``names``: the target names; ``classes``: the model's classes.
    """

    labels: Array
    names: list[str]
    ids: Array | None = None
    id_name: str | None = None
    proba: Array | None = None
    classes: list[Any] | None = None

    def columns(self) -> dict[str, list[Any]]:
        """The columns ``glassnet predict`` writes, in order: the id (if any),
        ``predicted_<target>`` per target, then ``p(<class>)`` per class (for several yes/no
        targets ``p(<target>=<second class>)``)."""
        out: dict[str, list[Any]] = {}
        if self.ids is not None and self.id_name is not None:
            out[self.id_name] = list(self.ids)
        names = self.names or ["label"]
        labels = self.labels if self.labels.ndim == 2 else self.labels[:, None]
        for j, name in enumerate(names):
            out[f"predicted_{name}"] = labels[:, j].tolist()
        if self.proba is not None:
            classes = self.classes or []
            heads = (
                [
                    f"{name}={per_target[-1]}"
                    for name, per_target in zip(names, classes, strict=True)
                ]
                if len(names) > 1
                else [str(c) for c in classes]
            )
            for j, head in enumerate(heads):
                out[f"p({head})"] = self.proba[:, j].tolist()
        return out

    def to_frame(self) -> Any:
        """The :meth:`columns` as a pandas DataFrame (pandas is optional)."""
        return pandas().DataFrame(self.columns())
