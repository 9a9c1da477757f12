"""From a table to the arrays a network trains on: the decisions of a tabular run.

:func:`prepare` drops the rows without a target (and says how many), infers the task
(:mod:`.task`) and encodes the target(s) (:mod:`.targets`), decides what to do with each
input column (:mod:`.columns`), splits off the validation rows, fits the preprocessing on
the training rows only and standardizes a regression target; :func:`build_network` builds the
network the options ask for. The options are those of the one table,
:data:`glassnet.training.options.TRAIN_OPTIONS`, checked by
:func:`~glassnet.training.options.settings_from` (here `training_settings`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import Preprocessor, Table, split_indices
from ..data.images import is_image_folder, read_image_folder
from ..data.reduced import summed
from ..data.table import missing_mask
from ..datasets import load_mnist_small
from ..distributed import Communicator
from ..layers import Reshape
from ..layers.architecture import build_layers
from ..losses import Task, loss_for_task
from ..network import Network
from ..training.options import settings_from as training_settings
from .columns import ColumnPlan, plan_columns
from .images import IMAGE_TARGET, readers_color
from .inputs import column_names, is_array, is_path, table_of
from .shards import Shards, is_table_path
from .targets import TargetColumn, encode_targets


@dataclass
class Prepared:
    """The data of a run, ready for the network: ``X_*`` ``(m, n_0)`` in the network's
    dtype (the ``dtype`` option) when prepared from a table, so that training holds no cast
    copy; ``y_*`` class indices ``(m,)`` or, for regression, standardized targets
    ``(y − mean) / std``; ``(m, k)`` for ``k`` targets."""

    description: str
    task: Task
    X_train: Array
    y_train: Array
    X_val: Array | None
    y_val: Array | None
    preprocessor: Preprocessor | None
    classes: list[Any] | None
    """The labels of the classes; for several targets, a list of labels per target."""
    target: str | None
    """The target column's name; for several, their names joined by commas."""
    target_scale: tuple[Any, Any] | None
    """``(mean, std)`` of a regression target's training rows (arrays ``(k,)`` for ``k``)."""
    n_dropped: int = 0
    """Rows dropped because their target was missing."""
    data_file: str | None = None
    """The CSV file the rows came from; ``None`` for the shipped sample or data in memory."""
    in_memory: bool = False
    """Whether the rows came from memory (a DataFrame, a Table, arrays), not from a file."""
    task_reason: str = ""
    """Why the task is what it is, e.g. ``"the target has 2 distinct values: two classes"``."""
    targets: list[str] = field(default_factory=list)
    """Every target column's name (one, or several)."""
    columns: ColumnPlan | None = None
    """What is done with each input column (:func:`~glassnet.tabular.columns.plan_columns`)."""
    dialect: dict[str, Any] | None = None
    """How the CSV file is written (delimiter, decimal mark, header, encoding)."""
    n_outputs: int = 0
    """The network's output units ``n_L`` (0: as the task and the classes say)."""
    images: dict[str, Any] | None = None
    """For a folder of images: the ``size`` ``[H, W]`` and ``color`` they were read at."""
    cache_note: str = ""
    """What :mod:`.cache` did: the rows read from it or written to it ("": not used)."""

    @property
    def n_rows(self) -> int:
        """The labelled rows: training and validation."""
        return len(self.X_train) + (0 if self.X_val is None else len(self.X_val))

    @property
    def n_features(self) -> int:
        """The values of one row the network reads, ``n_0`` (an image's, all of them)."""
        return int(np.prod(self.X_train.shape[1:]))

    def column_notes(self) -> list[str]:
        """One line per input column not kept as it is (dropped, id, dates), with why."""
        return [] if self.columns is None else self.columns.notes()


def target_names(
    data: Any,
    target: Any,
    delimiter: str | None = None,
    header: bool | None = None,
    encoding: str | None = None,
) -> list[str] | None:
    """The target columns ``target`` names (a name, names separated by commas that are not
    one column's name, or a list of names), or ``None`` when it holds the targets
    themselves (values ``y`` for data that holds only features)."""
    if target is None:
        return None
    if isinstance(target, str):
        if "," in target and target not in column_names(data, delimiter, header, encoding):
            return [name.strip() for name in target.split(",") if name.strip()]
        return [target]
    if (
        isinstance(target, list | tuple)
        and target
        and all(isinstance(name, str) for name in target)
        and not is_array(data)
        and set(target) <= set(column_names(data, delimiter, header, encoding))
    ):
        return list(target)
    return None


def prepare(
    data: Any,
    target: Any = None,
    *,
    settings: Mapping[str, Any] | None = None,
    drop: Sequence[str] = (),
    id: str | None = None,
    across: Communicator | None = None,
    scratch: Path | None = None,
) -> Prepared:
    """``data`` split, encoded and preprocessed for training, as ``settings`` say.

    ``data``: a CSV file's path, a pandas DataFrame, a :class:`~glassnet.data.Table`, a
    dict of columns, or a 2-D array ``X`` ``(m, n)``. ``target``: the target column's name
    (default: the ``target`` option, else the last column), several names (a list, or
    names separated by commas), or the targets themselves, ``y`` ``(m,)``, when ``data``
    holds only features. ``drop``: columns to leave out; ``id``: a column kept out of the
    features and written beside each prediction (both also read from ``settings``).
    Identifier, date, free-text and constant columns are found and handled
    (:func:`~glassnet.tabular.columns.plan_columns`); :meth:`Prepared.column_notes` says how.
    ``across``: the ranks of an MPI job, each running this call; of a table file each
    then keeps only its shard of the rows, and ``X_*`` are the same matrices on disk, mapped
    into memory (:mod:`.shards`). ``scratch``: a folder where a table file's numeric columns
    are kept while they are prepared, and ``X_train.npy`` and ``X_val.npy`` written, mapped
    from there: of a file larger than memory, only its text and targets are held
    (:mod:`.cache`).
    """
    chosen = training_settings(settings)
    if is_path(data) and is_image_folder(data):  # one subfolder of images per class
        return prepare_images(data, chosen)
    delimiter = chosen["delimiter"]
    named = target if target is not None else chosen["target"]
    names = target_names(data, named, delimiter, chosen["header"], chosen["encoding"])
    values = None if names is not None or target is None else target
    shards = (
        Shards(across) if across is not None and across.size > 1 and is_table_path(data) else None
    )
    spill = None if scratch is None else _spill_folder(scratch)
    table = table_of(
        data,
        names[0] if names else None,
        y=values,
        delimiter=delimiter,
        categorical=chosen["categorical"],
        decimal=chosen["decimal"],
        header=chosen["header"],
        rows=None if shards is None else shards.rows,
        encoding=chosen["encoding"],
        spill=spill,
        drop=[*(chosen.get("drop") or ()), *drop],
    )
    if shards is not None:
        table = shards.same_kinds(table)
    source = str(data) if is_path(data) else table.source
    assert table.target_name is not None and table.target is not None
    names = [table.target_name, *(names or [])[1:]]
    columns = _target_columns(table, names, source)
    keep = ~np.any([missing_mask(c.values) for c in columns], axis=0)
    missing = int((~keep).sum())  # here; on every rank, of a sharded file:
    dropped, kept = (
        (missing, keep.size - missing)
        if shards is None
        else map(int, summed([missing, keep.size - missing], shards.comm))
    )
    if not kept:
        raise ValueError(
            f"{source}: every row misses a value of the target column(s) "
            + ", ".join(map(repr, names))
        )
    if missing:
        table = table.take(np.flatnonzero(keep), spill)
        columns = [TargetColumn(c.name, c.kind, c.values[keep]) for c in columns]
    _check_finite(columns, table, source)
    encoded = encode_targets(
        columns, chosen["task"], source, None if shards is None else shards.comm
    )
    plan = plan_columns(
        table,
        drop=[*(chosen.get("drop") or ()), *drop],
        id=id if id is not None else chosen.get("id"),
        categorical=chosen["categorical"],
        others=names[1:],
        keep_constant=chosen["input_shape"] is not None,
        roles=None if shards is None else shards.roles(table),
    )
    # The plan's table keeps the file's line of each row, for the preprocessing's messages.
    features = replace(plan.apply(table), lines=table.lines)
    # Of a sharded file, every rank's targets: the split is drawn as on one process.
    y, classes = encoded.y if shards is None else shards.joined(encoded.y), encoded.classes
    train_rows, val_rows = _split(y, chosen, stratify=classes is not None and y.ndim == 1)
    y_train, y_val = y[train_rows], (y[val_rows] if val_rows.size else None)
    target_scale = None
    if classes is None:
        # Learned standardized, so that the loss and the learning rate mean the same for
        # any unit; predictions are scaled back. Each target gets its own scale.
        mean, std = y_train.mean(axis=0), y_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        y_train = (y_train - mean) / std
        y_val = None if y_val is None else (y_val - mean) / std
        target_scale = (float(mean), float(std)) if y.ndim == 1 else (mean, std)
    n_rows, dialect = len(y), table.dialect
    if shards is None:
        whole = chosen["validation_split"] <= 0  # every row, in order: no copy
        train = features if whole else features.take(train_rows, spill)
        val = features.take(val_rows, spill) if val_rows.size else None
    else:  # this rank's rows of each, and their places among every rank's
        (train_places, my_train), (val_places, my_val) = map(shards.mine, (train_rows, val_rows))
        train, val = features.take(my_train), features.take(my_val) if val_rows.size else None
    # The whole table is let go before the preprocessing copies the training rows: of a
    # large file, memory then holds each row once, not twice (issue 10).
    task, reason, n_outputs = encoded.task, encoded.reason, encoded.n_outputs
    del table, features, columns, encoded, y
    preprocessor = Preprocessor(scale=None if chosen["scale"] == "none" else chosen["scale"])
    preprocessor.fit(train, across=None if shards is None else shards.comm)
    # In the network's dtype: it trains on these values, and holds no cast copy of them.
    dtype = np.dtype(chosen["dtype"])
    if shards is not None:
        X_shared, X_val = shards.matrices(
            source,
            (preprocessor.n_features_out, dtype),
            [(train, train_places, train_rows.size), (val, val_places, val_rows.size)],
            preprocessor.transform,
            preprocessor.block_rows,
        )
        assert X_shared is not None  # the training rows are never empty
        X_train = X_shared
    else:
        out = (None, None) if scratch is None else (scratch / "X_train.npy", scratch / "X_val.npy")
        X_train = preprocessor.transform_in_blocks(train, dtype, out[0])
        del train
        X_val = None if val is None else preprocessor.transform_in_blocks(val, dtype, out[1])
    without = f", {dropped} without a target dropped" if dropped else ""
    name = Path(source).name if is_path(data) else source
    description = (
        f"{name} ({n_rows:,} rows{without}; "
        f"{train_rows.size:,} train / {val_rows.size:,} validation; "
        f"{len(plan.names)} columns → {X_train.shape[1]} features)"
        + ("" if dialect is None else f", read as {dialect.describe()}")
        + (
            ""
            if shards is None
            else f"; each of {shards.comm.size} ranks kept its shard of the rows"
        )
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
        ",".join(names),
        target_scale,
        n_dropped=dropped,
        data_file=source if is_path(data) else None,
        in_memory=not is_path(data),
        task_reason=reason,
        targets=names,
        columns=plan,
        dialect=None if dialect is None else dialect.to_dict(),
        n_outputs=n_outputs,
    )


def prepare_images(path: Any, chosen: Mapping[str, Any]) -> Prepared:
    """The class-folder tree at ``path``, read at the ``image_size`` and ``color`` the
    options ask for, split (stratified) into training and validation images."""
    size = chosen.get("image_size")
    color = chosen.get("color", "auto")
    images = read_image_folder(
        path,
        size=None if size is None else (size[0], size[1]),
        color=readers_color(color),
    )
    source = str(path)
    encoded = encode_targets(
        [TargetColumn(IMAGE_TARGET, "categorical", images.labels.astype(object))],
        chosen["task"],
        source,
    )
    y, classes = encoded.y, encoded.classes
    train_rows, val_rows = _split(y, chosen, stratify=True)
    X = images.X.astype(np.dtype(chosen["dtype"]), copy=False)
    C, H, W = X.shape[1:]
    description = (
        f"{Path(source).name}/ ({images.note}; {train_rows.size:,} train / "
        f"{val_rows.size:,} validation)"
    )
    return Prepared(
        description,
        encoded.task,
        X[train_rows],
        y[train_rows],
        X[val_rows] if val_rows.size else None,
        y[val_rows] if val_rows.size else None,
        None,
        classes,
        IMAGE_TARGET,
        None,
        data_file=source,
        task_reason=encoded.reason,
        targets=[IMAGE_TARGET],
        n_outputs=encoded.n_outputs,
        images={"size": [H, W], "color": "grayscale" if C == 1 else "rgb"},
    )


def _split(y: Array, chosen: Mapping[str, Any], stratify: bool) -> tuple[Array, Array]:
    """The training and validation rows of ``y`` as the options say (``stratify``: by class)."""
    if (split := chosen["validation_split"]) <= 0:
        return np.arange(len(y)), np.arange(0)
    return split_indices(y, test_size=split, stratify=stratify, seed=chosen["seed"])


def _spill_folder(scratch: Path) -> Path:
    """The folder under ``scratch`` where the columns of the table are kept while prepared."""
    (scratch / "columns").mkdir(exist_ok=True)
    return scratch / "columns"


def _check_finite(columns: Sequence[TargetColumn], table: Table, source: str) -> None:
    """Refuse an infinite target, naming its line: no class label, and no number a network
    can learn (standardized, it would turn every regression target into NaN)."""
    for column in columns:
        if column.kind == "numeric" and np.isinf(column.values).any():
            row = int(np.argmax(np.isinf(column.values)))
            raise ValueError(
                f"{source}, {table.where(row)}: the target {column.name!r} is "
                f"{column.values[row]}; a target must be a finite number: fix it, or leave it "
                "empty to drop the row"
            )


def _target_columns(table: Table, names: Sequence[str], source: str) -> list[TargetColumn]:
    """The target columns of ``table``: its own target, then the other ``names``."""
    assert table.target is not None and table.target_kind is not None
    columns = [TargetColumn(names[0], table.target_kind, table.target)]
    for name in names[1:]:
        if name not in table.values:
            raise ValueError(
                f"{source}: target {name!r} is not a column; the columns are: "
                + ", ".join(map(repr, [*table.feature_names, names[0]]))
            )
        columns.append(TargetColumn(name, table.kinds[name], table.values[name]))
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: a target is named twice in {list(names)}")
    return columns


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
    """The network the options ask for (``layers``, ``input_shape``, ``activation``,
    ``init``, ``dropout``, ``batch_norm``, ``l1``, ``l2``, ``dtype``, ``seed``), with the
    output layer and loss of ``data``'s task: ``[n_0, *layers, n_L]`` for dense layers, or
    the layers of :mod:`glassnet.layers.architecture` (convolutions, pooling) on images."""
    chosen = training_settings(settings)
    loss = loss_for_task(data.task)
    n_out = data.n_outputs or loss.output_units(len(data.classes or []))
    hidden, shape = chosen["layers"], tuple(data.X_train.shape[1:])
    common = {"init": chosen["init"], "dropout": chosen["dropout"]}
    common |= {"batch_norm": chosen["batch_norm"], "dtype": chosen["dtype"]}
    if (
        len(shape) == 1
        and chosen["input_shape"] is None
        and all(isinstance(n, int) for n in hidden)
    ):
        return Network.build(  # a multilayer perceptron, as every glassnet version built it
            [shape[0], *hidden, n_out],
            activation=chosen["activation"],
            output_activation=loss.output_activation,
            loss=loss.name,
            l1=chosen["l1"],
            l2=chosen["l2"],
            seed=chosen["seed"],
            **common,
        )
    first = []
    if chosen["input_shape"] is not None:  # rows of pixels laid out as images
        image = tuple(chosen["input_shape"])
        if math.prod(image) != math.prod(shape):
            raise ValueError(
                f"--input-shape {'x'.join(map(str, image))} lays out {math.prod(image):,} "
                f"values per row, but each row has {math.prod(shape):,} features"
            )
        first = [Reshape(image, input_shape=shape)]
        shape = image
    layers = build_layers(
        ",".join(map(str, hidden)),
        shape,
        n_out,
        chosen["activation"],
        loss.output_activation,
        rng=np.random.default_rng(chosen["seed"]),
        name="--layers",
        **{**common, "dtype": np.dtype(chosen["dtype"])},
    )
    return Network([*first, *layers], loss.name, l1=chosen["l1"], l2=chosen["l2"])


def default_metrics(task: Task, n_targets: int = 1) -> list[str]:
    """R² for regression (the loss is in standardized units; R² is the same in any), macro
    F1 for classification (accuracy alone hides a neglected class); for several yes/no
    labels none beyond the accuracy of each output, which training logs anyway."""
    if not loss_for_task(task).is_classification:
        return ["r2"]
    return ["f1_macro"] if n_targets <= 1 else []
