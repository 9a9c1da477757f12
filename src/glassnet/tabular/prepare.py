"""From a table to the arrays a network trains on: the decisions of a tabular run.

:func:`prepare` drops the rows without a target (and says how many), infers the task,
encodes class labels, splits off the validation rows, fits the preprocessing on the
training rows only and standardizes a regression target; :func:`build_network` builds the
network the options ask for. The options are those of the one table,
:data:`glassnet.training.options.TRAIN_OPTIONS`, checked by
:func:`~glassnet.training.options.settings_from` (here `training_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import LabelEncoder, Preprocessor, split_indices
from ..data.table import ColumnKind, missing_mask
from ..datasets import load_mnist_small
from ..losses import Task, loss_for_task
from ..network import Network
from ..training.options import settings_from as training_settings
from .inputs import is_path, table_of

MAX_CLASSES_FOR_NUMBERS = 20
"""A numeric target with at most this many distinct integer values is taken as classes."""


def infer_task(target: Array, kind: ColumnKind | str) -> Task:
    """Guess the task from the target column ``(m,)``.

    Text labels: binary for two classes, multiclass for more. Numbers: binary for two
    distinct values, multiclass for 3 … 20 distinct integers, regression otherwise.
    """
    present = target[~missing_mask(target)]
    distinct = np.unique(present.astype(str) if kind == "categorical" else present)
    if distinct.size < 2:
        raise ValueError(f"the target has {distinct.size} distinct value(s); nothing to learn")
    if distinct.size == 2:
        return "binary"
    if kind == "categorical":
        return "multiclass"
    if distinct.size <= MAX_CLASSES_FOR_NUMBERS and np.all(distinct == np.round(distinct)):
        return "multiclass"
    return "regression"


@dataclass
class Prepared:
    """The data of a run, ready for the network: ``X_*`` ``(m, n_0)``; ``y_*`` class
    indices ``(m,)`` or, for regression, standardized targets ``(y − mean) / std``."""

    description: str
    task: Task
    X_train: Array
    y_train: Array
    X_val: Array | None
    y_val: Array | None
    preprocessor: Preprocessor | None
    classes: list[Any] | None
    target: str | None
    target_scale: tuple[float, float] | None
    """``(mean, std)`` of a regression target's training rows."""
    n_dropped: int = 0
    """Rows dropped because their target was missing."""
    data_file: str | None = None
    """The CSV file the rows came from; ``None`` for the shipped sample or data in memory."""
    in_memory: bool = False
    """Whether the rows came from memory (a DataFrame, a Table, arrays), not from a file."""


def prepare(
    data: Any, target: Any = None, *, settings: Mapping[str, Any] | None = None
) -> Prepared:
    """``data`` split, encoded and preprocessed for training, as ``settings`` say.

    ``data``: a CSV file's path, a pandas DataFrame, a :class:`~glassnet.data.Table`, a
    dict of columns, or a 2-D array ``X`` ``(m, n)``. ``target``: the target column's name
    (default: the ``target`` option, else the last column), or the targets themselves,
    ``y`` ``(m,)``, when ``data`` holds only features.
    """
    chosen = training_settings(settings)
    by_name = target if isinstance(target, str) or target is None else None
    values = None if by_name is not None or target is None else target
    table = table_of(
        data,
        by_name or (None if values is not None else chosen["target"]),
        y=values,
        delimiter=chosen["delimiter"],
        categorical=chosen["categorical"],
    )
    source = str(data) if is_path(data) else table.source
    assert table.target is not None and table.target_kind is not None
    keep = ~missing_mask(table.target)
    dropped = int((~keep).sum())
    if not keep.any():
        raise ValueError(
            f"{source}: every value of the target column {table.target_name!r} is missing"
        )
    table = table.take(np.flatnonzero(keep)) if dropped else table
    target_values, target_kind = table.target, table.target_kind
    assert target_values is not None and target_kind is not None
    task: Task = (
        infer_task(target_values, target_kind) if chosen["task"] == "auto" else chosen["task"]
    )
    classes: list[Any] | None = None
    if not loss_for_task(task).is_classification:
        if target_kind != "numeric":
            raise ValueError(
                f"{source}: the target {table.target_name!r} is not numeric; "
                "regression needs numbers"
            )
        y = target_values.astype(np.float64)
    else:
        encoder = LabelEncoder().fit(target_values)
        classes = encoder.classes_
        assert classes is not None
        if len(classes) < 2:
            raise ValueError(
                f"{source}: the target {table.target_name!r} has only the class "
                f"{classes[0]!r}; a classifier needs at least 2"
            )
        loss_for_task(task).check_classes(len(classes), str(table.target_name))
        y = encoder.transform(target_values)
    split = chosen["validation_split"]
    if split > 0:
        train_rows, val_rows = split_indices(
            y, test_size=split, stratify=classes is not None, seed=chosen["seed"]
        )
    else:
        train_rows, val_rows = np.arange(table.n_rows), np.arange(0)
    preprocessor = Preprocessor(scale=None if chosen["scale"] == "none" else chosen["scale"])
    X_train = preprocessor.fit_transform(table.take(train_rows))
    X_val = preprocessor.transform(table.take(val_rows)) if val_rows.size else None
    y_train, y_val = y[train_rows], (y[val_rows] if val_rows.size else None)
    target_scale = None
    if classes is None:
        # Learned standardized, so that the loss and the learning rate mean the same for
        # any unit; predictions are scaled back.
        mean, std = float(y_train.mean()), float(y_train.std()) or 1.0
        target_scale = (mean, std)
        y_train = (y_train - mean) / std
        y_val = None if y_val is None else (y_val - mean) / std
    without = f", {dropped} without a target dropped" if dropped else ""
    name = Path(source).name if is_path(data) else source
    description = (
        f"{name} ({table.n_rows:,} rows{without}; "
        f"{train_rows.size:,} train / {val_rows.size:,} validation; "
        f"{len(table.feature_names)} columns → {X_train.shape[1]} features)"
    )
    return Prepared(
        description,
        task,
        X_train,
        y_train,
        X_val,
        y_val,
        preprocessor,
        classes,
        table.target_name,
        target_scale,
        n_dropped=dropped,
        data_file=source if is_path(data) else None,
        in_memory=not is_path(data),
    )


def demo_data() -> Prepared:
    """The MNIST sample shipped with glassnet, as a run of ``glassnet train`` with no file
    takes it: pixels in [0, 1] as they are, its own test split for validation."""
    demo = load_mnist_small()
    return Prepared(
        demo.description,
        "multiclass",
        demo.X_train,
        demo.y_train,
        demo.X_test,
        demo.y_test,
        None,
        list(range(10)),
        None,
        None,
    )


def build_network(data: Prepared, settings: Mapping[str, Any] | None = None) -> Network:
    """The network the options ask for (``layers``, ``activation``, ``init``, ``dropout``,
    ``batch_norm``, ``l1``, ``l2``, ``dtype``, ``seed``), with the output layer and loss
    of ``data``'s task: ``[n_0, *layers, n_L]``."""
    chosen = training_settings(settings)
    loss = loss_for_task(data.task)
    n_out = loss.output_units(len(data.classes or []))
    return Network.build(
        [data.X_train.shape[1], *chosen["layers"], n_out],
        activation=chosen["activation"],
        output_activation=loss.output_activation,
        loss=loss.name,
        init=chosen["init"],
        l1=chosen["l1"],
        l2=chosen["l2"],
        dropout=chosen["dropout"],
        batch_norm=chosen["batch_norm"],
        seed=chosen["seed"],
        dtype=chosen["dtype"],
    )


def default_metrics(task: Task) -> list[str]:
    """R² for regression (the loss is in standardized units; R² is the same in any), macro
    F1 for classification (accuracy alone hides a neglected class)."""
    return ["f1_macro"] if loss_for_task(task).is_classification else ["r2"]
