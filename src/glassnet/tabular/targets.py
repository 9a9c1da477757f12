"""The target column, or several, as the network learns them, with the task and its reason.

One target: class indices ``(m,)`` (labels in their own type, :mod:`.labels`) or numbers.
Several targets (``target=["a", "b", "c"]``, ``--target a,b,c``) are one network with an
output per target: a regression of several numbers (one identity output each, each
standardized on its own), or several independent yes/no labels (one sigmoid output each,
binary cross-entropy). Targets of several classes each would need a softmax per target,
which one network does not have: they are refused, naming the target.

A regression target is learned standardized, ``(y − mean) / std``, and scored in its own
units; both square its values, so a target whose values reach :data:`MAX_TARGET_MAGNITUDE`
(``10²⁰⁰`` times a price, say) is refused before training, naming the column, rather than
trained on an infinite ``std`` and scored as NaN after the model was saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..backend import Array
from ..data import LabelEncoder
from ..data.reduced import Reducer
from ..data.table import ColumnKind
from ..losses import Task, loss_for_task
from .labels import typed_labels
from .task import explain_task, given_task

MAX_TARGET_MAGNITUDE = 1e150
"""The largest |value| a regression target may hold. Its square, 1e300, summed over up to 10⁸
rows (the variance that standardizes it, the MSE in its units) stays below float64's
largest number, 1.8e308; the features are float32, but the target is float64 throughout."""


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


def encode_targets(
    columns: Sequence[TargetColumn], task: str, source: str, across: Reducer | None = None
) -> Targets:
    """``columns`` encoded for ``task`` (``"auto"``: inferred from each column).

    ``across``: the ranks of an MPI job, each holding its shard of the rows; the task and
    the classes are then those of every rank's values together, so that every rank
    encodes its rows alike."""
    seen = [None if across is None else _seen(c, across) for c in columns]
    found = [_task(c, task, s) for c, s in zip(columns, seen, strict=True)]
    encoded = [_one(c, f, source, s) for c, f, s in zip(columns, found, seen, strict=True)]
    if len(columns) == 1:
        return encoded[0]
    tasks = {t for t, _ in found}
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


def check_target_scale(values: Array, name: str, source: str) -> None:
    """Refuse a regression target ``(m,)`` whose standardization would not be finite and
    exact in float64: values of :data:`MAX_TARGET_MAGNITUDE` or more (their squares
    overflow), or values that differ but whose spread is too small for float64 to square
    (the std underflows to 0, and the target would be learned as a constant)."""
    magnitude = float(np.max(np.abs(values)))
    if not magnitude < MAX_TARGET_MAGNITUDE:  # NaN too: the missing are dropped before
        raise ValueError(
            f"{source}: the target {name!r} has values up to {magnitude:.3g} in absolute value; "
            f"a regression target must stay below {MAX_TARGET_MAGNITUDE:.0e}, as squaring it "
            "(to standardize it, to score it) overflows float64; divide the column by a power "
            "of 10 and train again"
        )
    with np.errstate(under="ignore"):
        spread = float(np.std(values))
    low, high = float(np.min(values)), float(np.max(values))
    if spread == 0 and low != high:
        raise ValueError(
            f"{source}: the target {name!r} varies by only {high - low:.3g}, too little for "
            "float64 to square (its std underflows to 0); multiply the column by a power of "
            "10 and train again"
        )


def _described(encoded: Targets) -> str:
    if encoded.classes is None:
        return "holds numbers"
    return f"has {len(encoded.classes)} classes"


Seen = tuple[Array, int]
"""A target column on every rank of an MPI job together: its distinct values, and how
many rows hold one."""


def _seen(column: TargetColumn, across: Reducer) -> Seen:
    """What every rank's shard of ``column`` holds together (one gather)."""
    values = column.values.astype(str) if column.kind == "categorical" else column.values
    every = across.gather((np.unique(values), len(values)))
    distinct = np.unique(np.concatenate([d for d, _ in every])).astype(column.values.dtype)
    return distinct, sum(n for _, n in every)


def _task(column: TargetColumn, task: str, seen: Seen | None) -> tuple[Task, str]:
    if task != "auto":
        return given_task(cast(Task, task))
    if seen is None:
        return explain_task(column.values, column.kind, name=column.name)
    return explain_task(seen[0], column.kind, rows=seen[1], name=column.name)


def _one(column: TargetColumn, found: tuple[Task, str], source: str, seen: Seen | None) -> Targets:
    chosen, reason = found
    loss = loss_for_task(chosen)
    if not loss.is_classification:
        if column.kind != "numeric":
            raise ValueError(
                f"{source}: the target {column.name!r} is not numeric; regression needs numbers"
            )
        values = column.values.astype(np.float64)
        check_target_scale(values, column.name, source)
        return Targets(chosen, reason, values, None, 1)
    if seen is None:
        labels = typed_labels(column.values, column.kind)
        encoder = LabelEncoder().fit(labels)
    else:  # typed as every rank's values are, and the classes of them all
        every = seen[0]
        typed = typed_labels(np.concatenate([every, column.values]), column.kind)
        encoder = LabelEncoder().fit(typed[: len(every)])
        labels = typed[len(every) :]
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
