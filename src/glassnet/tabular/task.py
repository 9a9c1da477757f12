"""What a target asks for: numbers (regression), one of two classes, or one of several, and
why, in a sentence a user can check (``glassnet train`` prints it; ``task=`` overrides it).

Text is classes. Numbers that are not all whole numbers are a regression. Whole numbers are
the hard case: ``0 … 6`` is seven classes, heart rates ``60 … 120`` are measurements. They
are classes when they look like class codes and there are rows enough to learn each:

- more than :data:`MAX_CLASSES_FOR_NUMBERS` distinct values: a regression;
- fewer than :data:`MIN_ROWS_PER_CLASS` rows per distinct value on average: a regression
  (too few examples to learn each value as a class of its own);
- :data:`MANY_VALUES` or more distinct values that are not the codes ``0 … k−1`` or
  ``1 … k`` (gaps, or a start far from 0): a regression;
- otherwise: classes.
"""

from __future__ import annotations

import numpy as np

from ..backend import Array
from ..data.table import ColumnKind, missing_mask
from ..losses import Task, loss_for_task

MAX_CLASSES_FOR_NUMBERS = 20
"""A numeric target with more distinct whole-number values than this is a regression."""
MIN_ROWS_PER_CLASS = 5
"""Fewer rows than this per distinct whole number, on average: a regression."""
MANY_VALUES = 10
"""From this many distinct whole numbers on, values that are not class codes are numbers."""


def explain_task(
    target: Array, kind: ColumnKind | str, rows: int | None = None, name: str | None = None
) -> tuple[Task, str]:
    """The task a target column ``(m,)`` asks for, and why (see the module's rules).
    ``rows``: how many rows hold a value, when ``target`` holds each distinct value
    only once (the values of many ranks, merged); ``name``: the column's, for errors."""
    present = target[~missing_mask(target)]
    distinct = np.unique(present.astype(str) if kind == "categorical" else present)
    k, m = distinct.size, present.size if rows is None else rows
    if k < 2:
        raise ValueError(f"the target has {k} distinct value(s); nothing to learn")
    if k == 2:
        return "binary", "the target has 2 distinct values: two classes"
    if kind == "categorical":
        if m / k < MIN_ROWS_PER_CLASS and k > MAX_CLASSES_FOR_NUMBERS:
            # A text column with a value in (nearly) every row is an identifier or free
            # text, not classes: a classifier would get no example to learn most of them.
            column = "the target" if name is None else f"the target column {name!r}"
            raise ValueError(
                f"{column} holds text with {k} distinct values in {m} rows "
                f"({m / k:.1f} rows per class): it looks like an identifier or free text, "
                "not classes; if another column is the target, name it with --target "
                "(target= in Python)"
            )
        return "multiclass", f"the target holds text with {k} distinct values: one class each"
    if not np.all(distinct == np.round(distinct)):
        return "regression", "the target holds numbers that are not all whole numbers"
    low, high = int(distinct[0]), int(distinct[-1])
    span = f"{k} distinct integers from {low} to {high}"
    if k > MAX_CLASSES_FOR_NUMBERS:
        return "regression", (
            f"the target has {span}: more than {MAX_CLASSES_FOR_NUMBERS}, so numbers, not classes"
        )
    if m / k < MIN_ROWS_PER_CLASS:
        return "regression", (
            f"the target has {span} in {m} rows, {m / k:.1f} rows per value on average "
            f"(fewer than {MIN_ROWS_PER_CLASS}): too few to learn each as a class"
        )
    codes = high - low + 1 == k and low in (0, 1)
    if k >= MANY_VALUES and not codes:
        return "regression", (
            f"the target has {span}: {MANY_VALUES} or more values that are not the class "
            f"codes 0 to {k - 1} or 1 to {k}, so measurements, not classes"
        )
    what = "class codes" if codes else "few enough to be classes"
    return "multiclass", f"the target has {span}: {what}, one class each"


def infer_task(target: Array, kind: ColumnKind | str) -> Task:
    """The task a target column ``(m,)`` asks for (:func:`explain_task` says why)."""
    return explain_task(target, kind)[0]


def given_task(task: Task) -> tuple[Task, str]:
    """A task the options chose, with the reason that says so."""
    loss_for_task(task)  # an unknown task is refused here, naming the known ones
    return task, f"the task was given: {task}"
