"""Class labels in their own type: integers, floats, booleans or text, as the data wrote them.

A :class:`~glassnet.data.Table` reads a column as numbers (float64) or as text, but a class
label is often neither: the ``0``/``1`` of a CSV file is an integer, the ``True``/``False``
of a DataFrame a boolean. :func:`typed_labels` gives each label its type back once, before
the classes are encoded, so that the model file, :meth:`~glassnet.tabular.Model.predict`,
the run folder and the command line all show ``1``, not ``1.0`` or ``"True"``.
:func:`as_label` reads any spelling of a label (``1``, ``1.0``, ``"1"``; ``True``,
``"true"``, ``"TRUE"``) as the class it names, for evaluating on new data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..backend import Array
from ..data.frame import as_text
from ..data.table import ColumnKind

LabelKind = Literal["int", "float", "bool", "str"]
BOOLEAN_TEXT = {"true": True, "false": False}
"""Text read as a boolean label, in any case (pandas writes ``True``/``False``)."""


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def typed_labels(values: Array, kind: ColumnKind) -> Array:
    """The labels of a target column ``(m,)`` as Python values of one type, ``(m,)`` objects.

    A numeric column gives integers when every present value is a whole number, else
    floats; a text column gives booleans when every present value is ``true`` or ``false``
    (in any case), else text. Missing values stay ``None``.
    """
    present = [v for v in values.tolist() if not _is_missing(v)]
    if kind == "numeric":
        whole = all(float(v).is_integer() for v in present)
        label_kind: LabelKind = "int" if whole else "float"
    elif present and all(str(v).lower() in BOOLEAN_TEXT for v in present):
        label_kind = "bool"
    else:
        label_kind = "str"
    typed = np.empty(len(values), dtype=object)
    typed[:] = [None if _is_missing(v) else as_label(v, label_kind) for v in values.tolist()]
    return typed


def label_kind(classes: Sequence[Any]) -> LabelKind:
    """The type of a model's class labels (booleans before integers: ``True`` is an int)."""
    if all(isinstance(c, bool | np.bool_) for c in classes):
        return "bool"
    if all(isinstance(c, int | np.integer) for c in classes):
        return "int"
    if all(isinstance(c, float | np.floating | int | np.integer) for c in classes):
        return "float"
    return "str"


def typed_classes(classes: Sequence[Any]) -> list[Any]:
    """Classes as plain Python values of their kind; floats that are all whole numbers
    become integers (as a model file written before labels kept their type holds them)."""
    kind = label_kind(classes)
    if kind == "float" and all(float(c).is_integer() for c in classes):
        kind = "int"
    return [as_label(c, kind) for c in classes]


def as_label(value: Any, kind: LabelKind) -> Any:
    """``value`` read as a label of ``kind``, or ``None`` where it cannot be one (``"abc"``
    for integer classes, ``2.5`` for booleans, a missing value)."""
    if _is_missing(value):
        return None
    if kind == "str":
        return as_text(value)
    if kind == "bool":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        return BOOLEAN_TEXT.get(str(value).strip().lower())
    if isinstance(value, bool | np.bool_):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if kind == "float":
        return number
    return int(number) if number.is_integer() else None


def label_text(values: Sequence[Any] | Array, classes: Sequence[Any]) -> Array:
    """Labels ``(m,)`` as text in one spelling, that of the classes' own type: ``1``,
    ``1.0`` and ``"1"`` all as ``"1"`` for integer classes, ``"true"`` as ``"True"`` for
    booleans; a value that is none of the classes' kind keeps its own text."""
    kind = label_kind(classes)
    texts = []
    for value in list(values):
        label = as_label(value, kind)
        texts.append(as_text(value if label is None else label))
    return np.array(texts, dtype=str)


def class_indices(values: Sequence[Any] | Array, classes: Sequence[Any]) -> Array:
    """The index in ``classes`` of each label ``(m,)``, int64, ``-1`` where a value names no
    class (read as :func:`as_label` reads it)."""
    kind = label_kind(classes)
    index = {label: i for i, label in enumerate(classes)}
    codes = [index.get(as_label(value, kind), -1) for value in list(values)]
    return np.array(codes, dtype=np.int64)


def label_array(classes: Sequence[Any], indices: Array) -> Array:
    """The labels of class indices ``(m,)``: int64, float64 or bool arrays for numbers and
    booleans, an object array for text."""
    kind = label_kind(classes)
    lookup = np.array(classes, dtype=object) if kind == "str" else np.array(classes)
    return lookup[np.asarray(indices, dtype=np.intp)]


def saved_classes(saved: list[Any] | None) -> list[Any] | None:
    """Classes read from a model file in their own types: one list, or one per target."""
    if saved is None:
        return None
    if saved and all(isinstance(c, list) for c in saved):
        return [typed_classes(c) for c in saved]
    return typed_classes(saved)
