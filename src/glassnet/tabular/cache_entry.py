"""One entry of the prepared-rows cache (:mod:`.cache`) on disk: the arrays of a
:class:`~glassnet.tabular.prepare.Prepared` as ``.npy`` files and the rest as
``prepared.json``, written by :func:`description` and read back, checked, by
:func:`prepared_from`.

An entry is data from disk, as a model file is: it is validated, not trusted. Every array
must have the shape, dtype and values its description states (finite features, class
indices within the classes), and every part must fit the others (the task, the classes,
the targets, the outputs, the preprocessing's features and the column plan); anything else
is a ValueError, and the caller discards the entry.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..backend import Array
from ..data import Preprocessor
from ..data.dialect import Dialect
from ..losses import TASKS, loss_for_task
from .columns import ColumnPlan
from .labels import saved_classes
from .prepare import Prepared
from .units import saved_scale

FORMAT = 1
"""The version of an entry's layout; an entry of another is prepared again."""
ARRAYS = ("X_train", "y_train", "X_val", "y_val")
CHECK_ROWS = 1 << 16
"""Rows of a mapped matrix checked for finite values at a time."""
MOST_OUTPUTS = 1 << 20


def description(prepared: Prepared, stamp: dict[str, Any]) -> dict[str, Any]:
    """What ``prepared.json`` holds: everything of ``prepared`` but its arrays, their
    shapes, the data file's ``stamp``, and the versions that wrote it (NumPy values left
    for :func:`~glassnet.io.model_file.json_default` to write)."""
    scale = prepared.target_scale
    return {
        "format": FORMAT,
        "glassnet": __version__,
        "stamp": stamp,
        "description": prepared.description,
        "task": prepared.task,
        "classes": prepared.classes,
        "target": prepared.target,
        "target_scale": None if scale is None else [np.asarray(p) for p in scale],
        "n_dropped": prepared.n_dropped,
        "task_reason": prepared.task_reason,
        "targets": list(prepared.targets),
        "columns": None if prepared.columns is None else prepared.columns.to_list(),
        "dialect": prepared.dialect,
        "n_outputs": prepared.n_outputs,
        "preprocessor": None if prepared.preprocessor is None else prepared.preprocessor.to_dict(),
        "shapes": {
            name: list(getattr(prepared, name).shape)
            for name in ARRAYS
            if getattr(prepared, name) is not None
        },
    }


def prepared_from(described: dict[str, Any], folder: Path, dtype: np.dtype[Any]) -> Prepared:
    """The :class:`Prepared` the entry in ``folder`` describes, its matrices mapped into
    memory; a ValueError (or another error of the parts) when a part does not fit."""
    if described.get("format") != FORMAT or described.get("glassnet") != __version__:
        raise ValueError("written by another version of glassnet")
    X_train, y_train, X_val, y_val = _arrays(described["shapes"], folder, dtype)
    assert X_train is not None and y_train is not None  # _arrays requires them
    preprocessor = Preprocessor.from_dict(_of(described, "preprocessor", dict))
    plan = ColumnPlan.from_list(_of(described, "columns", list))
    if plan.features != list(preprocessor.columns_ or {}):
        raise ValueError("its column plan does not fit its preprocessing")
    for X in (X_train, X_val):
        if X is not None and X.shape[1] != preprocessor.n_features_out:
            raise ValueError(f"rows of {X.shape[1]} features for {preprocessor.n_features_out}")
    dialect = described["dialect"]
    if dialect is not None:
        dialect = Dialect.from_dict(_of(described, "dialect", dict)).to_dict()
    parts = {
        "description": _of(described, "description", str),
        "task": _of(described, "task", str),
        "classes": saved_classes(described["classes"]),
        "target": _of(described, "target", str),
        "targets": _of(described, "targets", list),
        "n_outputs": _of(described, "n_outputs", int),
        "target_scale": described["target_scale"],
    }
    _check_targets(parts, [y for y in (y_train, y_val) if y is not None])
    scale = parts["target_scale"]
    return Prepared(
        description=parts["description"],
        task=parts["task"],
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        preprocessor=preprocessor,
        classes=parts["classes"],
        target=parts["target"],
        target_scale=None if scale is None else saved_scale(scale),
        n_dropped=max(0, _of(described, "n_dropped", int)),
        task_reason=_of(described, "task_reason", str),
        targets=parts["targets"],
        columns=plan,
        dialect=dialect,
        n_outputs=parts["n_outputs"],
    )


def _of(described: dict[str, Any], key: str, kind: type) -> Any:
    value = described[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"its {key!r} is not a {kind.__name__}")
    return value


def _arrays(shapes: Any, folder: Path, dtype: np.dtype[Any]) -> list[Array | None]:
    """The entry's arrays: the matrices mapped (of ``dtype``, finite), the targets read
    into memory (a few bytes a row, read at random by the batches)."""
    if not isinstance(shapes, dict) or not {"X_train", "y_train"} <= set(shapes):
        raise ValueError("its arrays are incomplete")
    if ("X_val" in shapes) != ("y_val" in shapes):
        raise ValueError("its validation arrays are incomplete")
    arrays: list[Array | None] = []
    for name in ARRAYS:
        if name not in shapes:
            arrays.append(None)
            continue
        try:
            array = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{name}.npy: {exc}") from None
        if list(array.shape) != shapes[name]:
            raise ValueError(f"{name}.npy holds {array.shape}, not {shapes[name]}")
        if name.startswith("X"):
            if array.dtype != dtype or array.ndim != 2:
                raise ValueError(f"{name}.npy holds {array.ndim}-D {array.dtype}, not 2-D {dtype}")
            for start in range(0, len(array), CHECK_ROWS):
                if not np.isfinite(array[start : start + CHECK_ROWS]).all():
                    raise ValueError(f"{name}.npy holds values that are not finite")
        else:
            array = np.array(array)
        arrays.append(array)
    X_train, y_train, X_val, y_val = arrays
    for X, y in ((X_train, y_train), (X_val, y_val)):
        if X is not None and y is not None and len(X) != len(y):
            raise ValueError(f"{len(X)} rows do not fit {len(y)} targets")
    return arrays


def _check_targets(parts: dict[str, Any], ys: list[Array]) -> None:
    """A ValueError unless the task, classes, targets, outputs, target scale and the
    encoded targets ``ys`` fit each other, as :func:`~.prepare.prepare` makes them."""
    if parts["task"] not in TASKS:
        raise ValueError(f"unknown task {parts['task']!r}")
    loss, classes, targets = loss_for_task(parts["task"]), parts["classes"], parts["targets"]
    k = len(targets)
    if not targets or not all(isinstance(t, str) for t in targets):
        raise ValueError("its targets are not column names")
    if parts["target"] != ",".join(targets):
        raise ValueError("its target does not name its targets")
    several = k > 1
    if loss.is_classification:
        if not isinstance(classes, list) or not classes:
            raise ValueError("a classification without classes")
        counts = [len(c) for c in classes] if several else [len(classes)]
        if several and (len(classes) != k or counts != [2] * k):
            raise ValueError("its classes do not fit its yes/no targets")
        loss.check_classes(counts[0], targets[0])
        units = k if several else loss.output_units(counts[0])
    else:
        if classes is not None or parts["target_scale"] is None:
            raise ValueError("a regression with classes, or without its target's scale")
        _check_scale(parts["target_scale"], k)
        units = k
    if not (parts["n_outputs"] in (0, units) and units <= MOST_OUTPUTS):
        raise ValueError(f"{parts['n_outputs']} outputs for {units}")
    for y in ys:
        if y.shape[1:] != ((k,) if several else ()):
            raise ValueError(f"targets of shape {y.shape} for {k} target(s)")
        if loss.is_classification:
            top = 2 if several else counts[0]
            if y.dtype.kind not in "iu" or (y.size and not 0 <= y.min() <= y.max() < top):
                raise ValueError("its class indices do not fit its classes")
        elif y.dtype.kind != "f" or not np.isfinite(y).all():
            raise ValueError("its regression targets are not finite numbers")


def _check_scale(scale: Any, k: int) -> None:
    """A ValueError unless ``scale`` is ``[mean, std]`` of ``k`` targets, finite, std > 0."""
    if not isinstance(scale, list) or len(scale) != 2:
        raise ValueError("its target scale is not [mean, std]")
    values = [np.asarray(part, dtype=np.float64).reshape(-1) for part in scale]
    if any(v.size != k for v in values) or not all(map(math.isfinite, np.concatenate(values))):
        raise ValueError("its target scale does not fit its targets")
    if not (values[1] > 0).all():
        raise ValueError("its target scale has a std that is not positive")
