"""Data in: a CSV file, a pandas DataFrame, a :class:`~glassnet.data.Table`, a mapping of
columns or a NumPy array, read as a :class:`Table` to train on (:func:`table_of`) or as
the rows a trained model takes (:func:`read_rows`).

A model matches columns by name and refuses a missing or an unknown one, naming it. A
NumPy array has no names: its columns are the model's input columns in order (for a model
trained on an array, ``x0``, ``x1``, …).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Array
from ..data import Table, load_csv
from ..data.frame import as_text, column, is_data_frame, is_series, series_column
from ..data.frame import table_from_frame as _table_from_frame
from ..data.table import ColumnKind, missing_mask, read_header

if TYPE_CHECKING:
    from ..data import Preprocessor

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
    delimiter: str = ",",
    categorical: Sequence[str] = (),
) -> Table:
    """``data`` as a :class:`Table` with its target column.

    ``target`` names the target column (default: the table's own target, else the last
    column); ``y`` gives the targets ``(m,)`` instead, when ``data`` holds only features
    (a NumPy array ``X`` ``(m, n)`` needs it). ``categorical`` names columns to read as
    categories even where they hold numbers.
    """
    if y is not None:
        if target is not None:
            raise ValueError("give the target as a column name or as values y, not both")
        return _with_targets(_features(data, delimiter, categorical), y)
    if is_path(data):
        name = target or _last_column(Path(data), delimiter)
        return load_csv(data, name, delimiter=delimiter, categorical=list(categorical) or None)
    if not (isinstance(data, Table | Mapping) or is_data_frame(data)):
        hint = "; an array of features needs its targets: Model.fit(X, y)"
        raise TypeError(
            f"data must be {ACCEPTED}; got {type(data).__name__}"
            + (hint if _is_array(data) else "")
        )
    table = _table(data, target, None)
    name = target or table.target_name or (table.feature_names or ("",))[-1]
    return _as_categorical(_with_target_column(table, name), categorical)


def _is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray | list | tuple)


def _last_column(path: Path, delimiter: str) -> str:
    header = read_header(path, delimiter)
    if not header:
        raise ValueError(f"{path} is empty: no header row")
    return header[-1]


def _table(data: Any, target: str | None, source: str | None) -> Table:
    """A DataFrame, a Table or a mapping of columns as a Table; ``target`` becomes its
    target column where it is one of them."""
    if isinstance(data, Table):
        if target is not None and target in data.feature_names:
            return _with_target_column(data, target)
        return data
    if is_data_frame(data):
        names = [str(name) for name in data.columns]
        return _table_from_frame(
            data, target if target in names else None, source=source or "DataFrame"
        )
    if isinstance(data, Mapping):
        parsed = {str(name): _column(values) for name, values in data.items()}
        lengths = {name: len(values) for name, (_, values) in parsed.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{source or 'columns'}: columns differ in length: {lengths}")
        return _from_parsed(parsed, target if target in parsed else None, source or "columns")
    raise TypeError(f"data must be {ACCEPTED}; got {type(data).__name__}")


def _column(values: Any) -> tuple[ColumnKind, Array]:
    return series_column(values) if is_series(values) else column(values)


def _from_parsed(
    parsed: Mapping[str, tuple[ColumnKind, Array]], target: str | None, source: str
) -> Table:
    return Table.from_parsed(parsed, target, source=source)


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
    return _from_parsed(parsed, name, table.source)


def _features(data: Any, delimiter: str, categorical: Sequence[str]) -> Table:
    """Every column of ``data`` as a feature (the targets come separately)."""
    if is_path(data):
        return load_csv(data, None, delimiter=delimiter, categorical=list(categorical) or None)
    if isinstance(data, Table | Mapping) or is_data_frame(data):
        table = _table(data, None, None)
        if table.target is not None:
            raise ValueError(
                f"{table.source} already has a target column {table.target_name!r}; "
                "give y only with features"
            )
    else:
        X = _matrix(data, "X")
        names = [f"x{j}" for j in range(X.shape[1])]
        table = _from_parsed({n: column(X[:, j]) for j, n in enumerate(names)}, None, "X")
    return _as_categorical(table, categorical)


def _matrix(data: Any, name: str) -> Array:
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
    return _from_parsed({**parsed, name: (kind, values)}, name, features.source)


def _vector(y: Any) -> Array:
    values = y if isinstance(y, np.ndarray) else np.array(y, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"y must be 1-D, one target per row, got shape {values.shape}")
    return values


def _as_categorical(table: Table, names: Sequence[str]) -> Table:
    """``table`` with the columns ``names`` read as categories (numbers become text)."""
    kinds, values = dict(table.kinds), dict(table.values)
    for name in names:
        if name not in table.feature_names:
            raise _no_column(f"{name!r} (in categorical)", table.source, table.feature_names)
        if kinds[name] == "numeric":
            kinds[name], values[name] = "categorical", _text(values[name])
    return Table(
        table.feature_names,
        kinds,
        values,
        table.target_name,
        table.target,
        table.target_kind,
        table.source,
    )


def _text(numbers: Array) -> Array:
    text = np.empty(len(numbers), dtype=object)
    text[:] = [None if np.isnan(v) else as_text(float(v)) for v in numbers]
    return text


# -- the rows a trained model takes ----------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """Rows of data as a model takes them: ``features``, a :class:`Table` of the model's
    input columns (a model with preprocessing) or the network's input array ``(m, n_0)``
    (a model trained on numbers alone); ``target``, the target column ``(m,)`` where the
    data has it, else ``None``."""

    features: Table | Array
    target: Array | None
    target_name: str | None
    source: str

    def __len__(self) -> int:
        if isinstance(self.features, Table):
            return self.features.n_rows
        return len(self.features)

    def take(self, rows: Sequence[int] | Array) -> Rows:
        """These rows only (indices or a boolean mask), in that order."""
        index = np.asarray(rows, dtype=np.intp) if len(rows) == 0 else np.asarray(rows)
        features = (
            self.features.take(index)
            if isinstance(self.features, Table)
            else np.asarray(self.features)[index]
        )
        target = None if self.target is None else self.target[index]
        return Rows(features, target, self.target_name, self.source)

    def labelled(self, reason: str = "") -> Rows:
        """The rows that have a target; a ValueError (ending in ``reason``) when the data
        has no target column."""
        if self.target is None:
            raise ValueError(
                f"{self.source} has no target column {self.target_name!r}"
                + (f" {reason}" if reason else "")
            )
        return self.take(np.flatnonzero(~missing_mask(self.target)))


def read_rows(
    data: Any,
    *,
    preprocessor: Preprocessor | None,
    target: str | None,
    n_features: int,
    delimiter: str = ",",
) -> Rows:
    """``data``'s rows as a model with this ``preprocessor`` (or, without one, a network
    of ``n_features`` inputs) takes them, with the ``target`` column if present.

    ``delimiter``: a CSV file's field separator. Columns are matched by name; a missing or
    an unknown column is a ValueError naming it, and so is a column of text where the
    model expects numbers. :meth:`glassnet.tabular.Model.rows` calls this with its own.
    """
    source = str(data) if is_path(data) else _source(data)
    if preprocessor is None:
        return _numeric_rows(data, target, n_features, delimiter, source)
    columns = preprocessor.columns_
    assert columns is not None, "a model's preprocessing is fitted"
    if is_path(data):
        header = read_header(data, delimiter)
        if not header:
            raise ValueError(f"{source} is empty: no header row")
        present = target if target in header else None
        _check_columns(header, columns, target, source)
        table = load_csv(
            data,
            present,
            delimiter=delimiter,
            categorical=preprocessor.categorical_columns or None,
            numeric=preprocessor.numeric_columns or None,
        )
        return Rows(table, table.target, target, source)
    if _is_array(data) and not isinstance(data, Table):
        X = _matrix(data, "X")
        if X.shape[1] != len(columns):
            raise ValueError(
                f"X has {X.shape[1]} columns, but the model takes {len(columns)}: "
                + ", ".join(map(repr, columns))
            )
        parsed = {name: column(X[:, j]) for j, name in enumerate(columns)}
        table = _from_parsed(parsed, None, "X")
    else:
        table = _table(data, target, source)
        _check_columns(list(table.feature_names), columns, target, source)
    table = _coerce(table, columns, source)
    truth = table.target if table.target_name == target else None
    return Rows(table, truth, target, source)


def _source(data: Any) -> str:
    if isinstance(data, Table):
        return data.source
    return "DataFrame" if is_data_frame(data) else "X" if _is_array(data) else "columns"


def _check_columns(
    found: Sequence[str], expected: Mapping[str, ColumnKind], target: str | None, source: str
) -> None:
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected and name != target]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {', '.join(map(repr, missing))} that the model needs"
        )
    if extra:
        raise ValueError(
            f"{source} has column(s) the model does not know: {', '.join(map(repr, extra))}"
        )


def _coerce(table: Table, expected: Mapping[str, ColumnKind], source: str) -> Table:
    """``table`` with each column of the kind the model was trained on: numbers where it
    expects categories become text (``3`` → ``"3"``); text where it expects numbers must
    parse as numbers, as ``load_csv(numeric=…)`` would read it from a file."""
    kinds, values = dict(table.kinds), dict(table.values)
    for name, kind in expected.items():
        if kinds[name] == kind:
            continue
        if kind == "categorical":
            values[name] = _text(values[name])
        else:
            values[name] = _numbers(values[name], name, source)
        kinds[name] = kind
    return Table(
        tuple(expected), kinds, values, table.target_name, table.target, table.target_kind, source
    )


def _numbers(text: Array, name: str, source: str) -> Array:
    numbers = np.empty(len(text), dtype=np.float64)
    for i, value in enumerate(text):
        try:
            numbers[i] = np.nan if value is None else float(value)
        except ValueError:
            raise ValueError(
                f"{source}, column {name!r}, row {i} (from 0): {value!r} is not a number, "
                "but the model was trained on numbers in this column"
            ) from None
    return numbers


def _numeric_rows(data: Any, target: str | None, width: int, delimiter: str, source: str) -> Rows:
    """Rows for a model of numbers alone (no preprocessing): every column but the target."""
    if _is_array(data) and not isinstance(data, Table):
        return Rows(np.asarray(data), None, target, source)
    if is_path(data):
        header = read_header(data, delimiter)
        if not header:
            raise ValueError(f"{source} is empty: no header row")
        table = load_csv(data, target if target in header else None, delimiter=delimiter)
    else:
        table = _table(data, target, source)
    if len(table.feature_names) != width:
        raise ValueError(
            f"{source} has {len(table.feature_names)} feature column(s), but the model takes "
            f"{width} numbers per row (it was trained on arrays, not on a CSV's columns)"
        )
    for name in table.feature_names:
        if table.kinds[name] != "numeric":
            raise ValueError(f"{source}: column {name!r} holds text; the model takes numbers")
    X = np.column_stack([table.values[name] for name in table.feature_names])
    truth = table.target if table.target_name == target else None
    return Rows(X, truth, target, source)
