"""Columns held in memory (pandas DataFrames and Series, NumPy arrays, lists) as the
columns of a :class:`~glassnet.data.Table`.

A column becomes what :func:`~glassnet.data.load_csv` would have read from the same values
written to a file: float64 with NaN for missing when every present value is a number,
else text (``str``) with ``None`` for missing. Booleans become the text ``"True"`` /
``"False"`` (as a CSV file written by pandas holds them), and a pandas ``category`` column
stays categorical whatever its categories are.

pandas is optional (``pip install "glassnet[pandas]"``): it is imported by the functions
that read a DataFrame or a Series, and nowhere else; a frame is recognised by its type's
name, without importing pandas.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import Array
from .stray_words import refuse_stray_words
from .table import ColumnKind, Table

PANDAS_HINT = 'pip install "glassnet[pandas]"'


def pandas() -> ModuleType:
    """The pandas module, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ImportError(f"reading a DataFrame needs pandas: {PANDAS_HINT}") from None


def _is_pandas(value: Any, name: str) -> bool:
    return any(
        cls.__name__ == name and cls.__module__.split(".")[0] == "pandas"
        for cls in type(value).__mro__
    )


def is_data_frame(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas)."""
    return _is_pandas(value, "DataFrame")


def is_series(value: Any) -> bool:
    """Whether ``value`` is a pandas Series (without importing pandas)."""
    return _is_pandas(value, "Series")


def as_text(value: Any) -> str:
    """A value as a category or a class label reads in a CSV file: ``3`` and ``3.0`` both
    as ``"3"`` (a column of integers with a gap is a float column in pandas), other
    numbers and text by ``str``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def column(
    values: Sequence[Any] | Array, missing: Sequence[bool] | Array | None = None
) -> tuple[ColumnKind, Array]:
    """``(kind, values)`` of one column ``(m,)`` as a :class:`Table` holds it.

    ``missing``: where a value is missing, when the caller knows better than ``None`` /
    NaN (pandas' ``NA`` and ``NaT``).
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf" and missing is None:
        return "numeric", values.astype(np.float64).reshape(-1)
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    absent = [_is_missing(v) for v in items] if missing is None else [bool(a) for a in missing]
    if all(gone or _is_number(v) for gone, v in zip(absent, items, strict=True)):
        return "numeric", np.array(
            [math.nan if gone else float(v) for gone, v in zip(absent, items, strict=True)],
            dtype=np.float64,
        )
    return "categorical", _text_column(items, absent)


def _text_column(items: list[Any], absent: list[bool]) -> Array:
    text = np.empty(len(items), dtype=object)
    text[:] = [None if gone else as_text(v) for gone, v in zip(absent, items, strict=True)]
    return text


def series_column(series: Any) -> tuple[ColumnKind, Array]:
    """``(kind, values)`` of a pandas Series (see :func:`column`)."""
    pd = pandas()
    missing = np.asarray(series.isna(), dtype=bool)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        # Declared categories stay categories, even when they are numbers.
        items = series.to_numpy(dtype=object).tolist()
        return "categorical", _text_column(items, missing.tolist())
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric", series.to_numpy(dtype=np.float64, na_value=np.nan)
    return column(series.to_numpy(dtype=object), missing)


def table_from_frame(
    frame: Any,
    target: str | None = None,
    *,
    source: str = "DataFrame",
    categorical: Collection[str] | None = None,
) -> Table:
    """A :class:`Table` of a pandas DataFrame's columns, ``target`` (a column name, or
    None) as its target; the frame's index is ignored. With ``categorical`` (to train on:
    the columns declared categorical), a column of numbers but for a few words (a
    spreadsheet's typo) is refused as a CSV file's is, unless it is named there."""
    if not is_data_frame(frame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    names = [str(name) for name in frame.columns]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise ValueError(f"{source}: column name(s) {duplicated} appear more than once")
    if target is not None and target not in names:
        columns = ", ".join(repr(name) for name in names)
        raise ValueError(f"{source}: target {target!r} is not a column; the columns are: {columns}")
    parsed = {name: series_column(frame.iloc[:, j]) for j, name in enumerate(names)}
    kept = set(categorical or ())
    for j, name in enumerate(names if categorical is not None else ()):
        if parsed[name][0] == "categorical" and name != target and name not in kept:
            _refuse_stray_words(frame.iloc[:, j], name, source)
    return Table.from_parsed(parsed, target, source=source)


def _refuse_stray_words(series: Any, name: str, source: str) -> None:
    """:func:`~glassnet.data.stray_words.refuse_stray_words` for a DataFrame's column, naming the
    row of its first value that is not a number."""
    items = series.to_numpy(dtype=object).tolist()
    gone = series.isna().to_numpy(dtype=bool).tolist()
    words = [
        i for i, (v, g) in enumerate(zip(items, gone, strict=True)) if not (g or _is_number(v))
    ]
    if words:
        first = words[0]
        where = f"{source}, row {first} (from 0), column {name!r}: {as_text(items[first])!r}"
        numbers = sum(not g for g in gone) - len(words)
        refuse_stray_words(f"{where} is not a number", name, numbers, len(words), target=False)
