"""Data in: a CSV file, a pandas DataFrame, a :class:`~glassnet.data.Table`, a mapping of
columns or a NumPy array, read as a :class:`Table` to train on (:func:`table_of`); the
rows a trained model takes are read by :mod:`.rows` with the helpers here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import Dialect, Table, load_csv
from ..data.files import is_table_file, load_table
from ..data.frame import as_text, column, is_data_frame, is_series, series_column
from ..data.frame import table_from_frame as _table_from_frame
from ..data.table import ColumnKind, read_header

ACCEPTED = (
    "a CSV file's path, a pandas DataFrame, a glassnet Table, a dict of columns or a 2-D array"
)
ARRAY_TARGET = "y"
"""The target's name when the targets come as an array without a name."""


def is_path(data: Any) -> bool:
    """Whether ``data`` names a file (a CSV file to read) rather than holding rows."""
    return isinstance(data, str | os.PathLike)


def _no_column(what: str, source: str, names: Iterable[str]) -> ValueError:
    columns = ", ".join(repr(name) for name in names)
    return ValueError(f"{source}: {what} is not a column; the columns are: {columns}")


# -- a table to train on ------------------------------------------------------------------


def table_of(
    data: Any,
    target: str | None = None,
    *,
    y: Any = None,
    delimiter: str | None = None,
    categorical: Sequence[str] = (),
    decimal: str | None = None,
    header: bool | None = None,
    rows: Callable[[int], tuple[int, int]] | None = None,
    encoding: str | None = None,
    spill: Path | None = None,
    drop: Sequence[str] = (),
) -> Table:
    """``data`` as a :class:`Table` with its target column.

    ``target`` names the target column (default: the table's own target, else the last
    column); ``y`` gives the targets ``(m,)`` instead, when ``data`` holds only features
    (a NumPy array ``X`` ``(m, n)`` needs it). ``categorical`` names columns to read as
    categories even where they hold numbers. A CSV file's ``delimiter``, ``decimal`` mark
    and ``header`` row are detected unless given; ``rows`` chooses the rows of a file to
    keep (see :func:`~glassnet.data.load_csv` and :func:`~glassnet.data.files.load_table`);
    ``spill``, a folder where a CSV file's numeric columns are kept rather than in memory
    (of a ``.npy`` file too). ``drop``: columns the caller leaves out, read as text (a
    typo among a file's or a frame's numbers there must not stop the others).
    """
    reading: dict[str, Any] = {"delimiter": delimiter, "decimal": decimal, "header": header}
    reading["encoding"] = encoding
    if y is not None:
        if target is not None:
            raise ValueError("give the target as a column name or as values y, not both")
        return _with_targets(_features(data, reading, categorical), y)
    # Read as text, not parsed or checked for numbers: the columns declared categorical,
    # and those left out (a typo in one must not stop the others).
    as_text = [*categorical, *drop]
    if is_path(data) and is_table_file(data):  # .npz, .npy, .parquet, .xlsx: not CSV
        data = load_table(data, rows=rows, spill=spill, categorical=as_text)
    if is_path(data):
        names = _header(Path(data), reading) if drop or not target else []
        name = target or names[-1]  # the names not in the file are the plan's to refuse
        as_text = [*categorical, *(n for n in drop if n in names and n != name)]
        return load_csv(data, name, categorical=as_text or None, rows=rows, spill=spill, **reading)
    if not (isinstance(data, Table | Mapping) or is_data_frame(data)):
        hint = "; an array of features needs its targets: Model.fit(X, y)"
        raise TypeError(
            f"data must be {ACCEPTED}; got {type(data).__name__}" + (hint if is_array(data) else "")
        )
    table = table_in(data, target, None, as_text)
    name = target or table.target_name or (table.feature_names or ("",))[-1]
    return as_categorical(_with_target_column(table, name), categorical)


def is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray | list | tuple)


def _header(path: Path, reading: Mapping[str, Any]) -> list[str]:
    header = read_header(
        path, reading.get("delimiter"), reading.get("encoding"), header=reading.get("header")
    )
    if not header:
        raise ValueError(f"{path} is empty: no header row")
    return header


def table_in(
    data: Any, target: str | None, source: str | None, categorical: Sequence[str] | None = None
) -> Table:
    """A DataFrame, a Table or a mapping of columns as a Table; ``target`` becomes its
    target column where it is one of them. ``categorical``, to train on: a DataFrame's
    columns of mostly numbers kept as text (see :func:`~glassnet.data.frame.table_from_frame`)."""
    if isinstance(data, Table):
        if target is not None and target in data.feature_names:
            return _with_target_column(data, target)
        return data
    if is_data_frame(data):
        names = [str(name) for name in data.columns]
        return _table_from_frame(
            data,
            target if target in names else None,
            source=source or "DataFrame",
            categorical=categorical,
        )
    if isinstance(data, Mapping):
        parsed = {str(name): _column(values) for name, values in data.items()}
        lengths = {name: len(values) for name, (_, values) in parsed.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{source or 'columns'}: columns differ in length: {lengths}")
        return from_parsed(parsed, target if target in parsed else None, source or "columns")
    raise TypeError(f"data must be {ACCEPTED}; got {type(data).__name__}")


def _column(values: Any) -> tuple[ColumnKind, Array]:
    return series_column(values) if is_series(values) else column(values)


def from_parsed(
    parsed: Mapping[str, tuple[ColumnKind, Array]],
    target: str | None,
    source: str,
    dialect: Dialect | None = None,
) -> Table:
    """A :class:`Table` of columns already read as ``{name: (kind, values)}``."""
    return Table.from_parsed(parsed, target, source=source, dialect=dialect)


def _with_target_column(table: Table, name: str) -> Table:
    """``table`` with the column ``name`` as its target (a former target becomes a feature)."""
    if name == table.target_name:
        return table
    if name not in table.feature_names:
        raise _no_column(f"target {name!r}", table.source, table.feature_names)
    parsed = {n: (table.kinds[n], table.values[n]) for n in table.feature_names}
    if table.target is not None and table.target_name is not None:
        assert table.target_kind is not None
        parsed[table.target_name] = (table.target_kind, table.target)
    return from_parsed(parsed, name, table.source, table.dialect)


def _features(data: Any, reading: Mapping[str, Any], categorical: Sequence[str]) -> Table:
    """Every column of ``data`` as a feature (the targets come separately)."""
    if is_path(data):
        return load_csv(data, None, categorical=list(categorical) or None, **reading)
    if isinstance(data, Table | Mapping) or is_data_frame(data):
        table = table_in(data, None, None)
        if table.target is not None:
            raise ValueError(
                f"{table.source} already has a target column {table.target_name!r}; "
                "give y only with features"
            )
    else:
        X = matrix(data, "X")
        names = [f"x{j}" for j in range(X.shape[1])]
        table = from_parsed({n: column(X[:, j]) for j, n in enumerate(names)}, None, "X")
    return as_categorical(table, categorical)


def matrix(data: Any, name: str) -> Array:
    """A 2-D array of rows; a list of mixed numbers and text keeps each value as it is."""
    X = data if isinstance(data, np.ndarray) else np.array(data, dtype=object)
    if X.dtype == object and X.size and all(_is_number(v) for v in X.ravel()):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (samples, columns), got shape {X.shape}"
            + ("; use X.reshape(-1, 1) for one column" if X.ndim == 1 else "")
        )
    return X


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _with_targets(features: Table, y: Any) -> Table:
    name = str(y.name) if is_series(y) and y.name is not None else ARRAY_TARGET
    if name in features.feature_names:
        raise ValueError(f"{features.source}: y is named {name!r}, which is also a feature column")
    kind, values = series_column(y) if is_series(y) else column(_vector(y))
    if len(values) != features.n_rows:
        raise ValueError(f"y has {len(values)} values, but the data has {features.n_rows} rows")
    parsed = {n: (features.kinds[n], features.values[n]) for n in features.feature_names}
    return from_parsed({**parsed, name: (kind, values)}, name, features.source, features.dialect)


def _vector(y: Any) -> Array:
    values = y if isinstance(y, np.ndarray) else np.array(y, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"y must be 1-D, one target per row, got shape {values.shape}")
    return values


def as_categorical(table: Table, names: Sequence[str]) -> Table:
    """``table`` with the feature columns ``names`` read as categories (numbers become text)."""
    kinds, values = dict(table.kinds), dict(table.values)
    for name in names:
        if name not in table.feature_names:
            raise _no_column(f"{name!r} (in categorical)", table.source, table.feature_names)
        if kinds[name] == "numeric":
            kinds[name], values[name] = "categorical", as_text_column(values[name])
    return replace(table, kinds=kinds, values=values)


def as_text_column(numbers: Array) -> Array:
    text = np.empty(len(numbers), dtype=object)
    text[:] = [None if np.isnan(v) else as_text(float(v)) for v in numbers]
    return text


def source_of(data: Any) -> str:
    """How messages name data in memory: its table's source, ``DataFrame``, ``X`` or
    ``columns``."""
    if isinstance(data, Table):
        return data.source
    return "DataFrame" if is_data_frame(data) else "X" if is_array(data) else "columns"


def column_names(
    data: Any,
    delimiter: str | None = None,
    header: bool | None = None,
    encoding: str | None = None,
) -> list[str]:
    """The names of ``data``'s columns (a CSV file's header, a DataFrame's or a mapping's
    columns, a Table's features and target); ``[]`` for an array."""
    if is_path(data) and is_table_file(data):
        data = load_table(data)
    if is_path(data):
        return read_header(data, delimiter, encoding, header=header)
    if isinstance(data, Table):
        return [*data.feature_names, *([data.target_name] if data.target_name else [])]
    if is_data_frame(data):
        return [str(name) for name in data.columns]
    if isinstance(data, Mapping):
        return [str(name) for name in data]
    return []
