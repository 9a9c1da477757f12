"""The target column, or several, as the network learns them, with the task and its reason.

One target: class indices ``(m,)`` (labels in their own type, :mod:`.labels`) or numbers.
Several targets (``target=["a", "b", "c"]``, ``--target a,b,c``) are one network with an
output per target: a regression of several numbers (one identity output each, each
standardized on its own), or several independent yes/no labels (one sigmoid output each,
binary cross-entropy). Targets of several classes each would need a softmax per target,
which one network does not have: they are refused, naming the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..backend import Array
from ..data import LabelEncoder
from ..data.table import ColumnKind
from ..losses import Task, loss_for_task
from .labels import typed_labels
from .task import explain_task, given_task


@dataclass(frozen=True)
class TargetColumn:
    """One target column as read: its name, kind and values ``(m,)``, none missing."""

    name: str
    kind: ColumnKind
    values: Array


@dataclass(frozen=True)
class Targets:
    """The targets encoded: ``y`` ``(m,)`` for one (class indices, or numbers), ``(m, k)``
    for ``k``; ``classes`` the labels of one target's classes, or a list per target."""

    task: Task
    reason: str
    y: Array
    classes: list[Any] | None
    n_outputs: int


def encode_targets(columns: Sequence[TargetColumn], task: str, source: str) -> Targets:
    """``columns`` encoded for ``task`` (``"auto"``: inferred from each column)."""
    if len(columns) == 1:
        return _one(columns[0], task, source)
    found = [_task(c, task) for c in columns]
    tasks = {t for t, _ in found}
    encoded = [_one(c, t, source) for c, (t, _) in zip(columns, found, strict=True)]
    if len(tasks) > 1 or any(e.n_outputs != 1 for e in encoded):
        what = ", ".join(
            f"{c.name!r} {_described(e)}" for c, e in zip(columns, encoded, strict=True)
        )
        raise ValueError(
            f"{source}: several targets must all be numbers (one regression output each) or "
            f"all have 2 classes (one yes/no output each); here {what}"
        )
    (chosen,) = tasks
    y = np.column_stack([e.y for e in encoded]).astype(np.float64)
    classes = None if encoded[0].classes is None else [e.classes for e in encoded]
    names = ", ".join(repr(c.name) for c in columns)
    reason = f"{len(columns)} targets ({names}), one {chosen} output each: " + "; ".join(
        f"{c.name!r}: {r}" for c, (_, r) in zip(columns, found, strict=True)
    )
    return Targets(chosen, reason, y, classes, len(columns))


def _described(encoded: Targets) -> str:
    if encoded.classes is None:
        return "holds numbers"
    return f"has {len(encoded.classes)} classes"


def _task(column: TargetColumn, task: str) -> tuple[Task, str]:
    if task == "auto":
        return explain_task(column.values, column.kind)
    return given_task(cast(Task, task))


def _one(column: TargetColumn, task: str, source: str) -> Targets:
    chosen, reason = _task(column, task)
    loss = loss_for_task(chosen)
    if not loss.is_classification:
        if column.kind != "numeric":
            raise ValueError(
                f"{source}: the target {column.name!r} is not numeric; regression needs numbers"
            )
        return Targets(chosen, reason, column.values.astype(np.float64), None, 1)
    labels = typed_labels(column.values, column.kind)
    encoder = LabelEncoder().fit(labels)
    classes = encoder.classes_
    assert classes is not None
    if len(classes) < 2:
        raise ValueError(
            f"{source}: the target {column.name!r} has only the class {classes[0]!r}; "
            "a classifier needs at least 2"
        )
    loss.check_classes(len(classes), column.name)
    y = encoder.transform(labels)
    return Targets(chosen, reason, y, list(classes), loss.output_units(len(classes)))
