"""Tables of named numeric and categorical columns, read from CSV files.

A :class:`Table` holds each column as it was read: numeric columns as float64 with NaN
for a missing value, categorical columns as object arrays of ``str`` with ``None`` for a
missing value. Turning them into a matrix of numbers is the job of
:class:`~glassnet.data.Preprocessor`, fitted on training data only.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..backend import Array

ColumnKind = Literal["numeric", "categorical"]

MOSTLY_NUMERIC = 0.95
MOSTLY_NUMERIC_MIN = 20
"""A column of at least 20 values of which at least 95 % are numbers is numeric with a
typo, not categorical: :func:`load_csv` names the stray value instead of guessing."""

MISSING = ("", "?", "NA", "NaN", "nan", "null")
"""Values read as missing by default (after surrounding whitespace is stripped)."""


@dataclass(frozen=True)
class Table:
    """Feature columns by name, in file order, and an optional target column.

    ``values[name]`` has shape ``(m,)``: float64 with NaN for missing when
    ``kinds[name] == "numeric"``, an object array of ``str`` with ``None`` for missing when
    ``"categorical"``. ``target`` is stored the same way, its kind in ``target_kind``.
    """

    feature_names: tuple[str, ...]
    kinds: Mapping[str, ColumnKind]
    values: Mapping[str, Array]
    target_name: str | None = None
    target: Array | None = None
    target_kind: ColumnKind | None = None
    source: str = "table"
    """Where the table came from (a file name), for error messages."""

    @property
    def n_rows(self) -> int:
        """The number of rows ``m``."""
        if self.feature_names:
            return len(self.values[self.feature_names[0]])
        return 0 if self.target is None else len(self.target)

    def take(self, rows: Sequence[int] | Array) -> Table:
        """The table of the given rows (indices or a boolean mask), in that order."""
        index = np.asarray(rows)
        if index.size == 0:
            index = index.astype(np.intp)  # np.asarray([]) is float, not an index
        return Table(
            feature_names=self.feature_names,
            kinds=dict(self.kinds),
            values={name: column[index] for name, column in self.values.items()},
            target_name=self.target_name,
            target=None if self.target is None else self.target[index],
            target_kind=self.target_kind,
            source=self.source,
        )

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence[Any] | Array],
        target: str | None = None,
        *,
        source: str = "table",
    ) -> Table:
        """A table from in-memory columns of equal length, e.g. ``{"age": [39, 50], …}``.

        A column whose values are all numbers (or None/NaN) is numeric; any other is
        categorical, its values turned into ``str`` and None/NaN kept as missing.
        """
        if target is not None and target not in columns:
            raise ValueError(_no_column(f"target {target!r}", source, columns))
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{source}: columns differ in length: {lengths}")
        parsed = {name: _column_from_values(values) for name, values in columns.items()}
        return cls.from_parsed(parsed, target, source=source)

    @classmethod
    def from_parsed(
        cls,
        parsed: Mapping[str, tuple[ColumnKind, Array]],
        target: str | None = None,
        *,
        source: str = "table",
    ) -> Table:
        """A table from columns already read as ``{name: (kind, values)}``, in order; the
        one named ``target`` (if any) becomes the target."""
        features = tuple(name for name in parsed if name != target)
        return cls(
            feature_names=features,
            kinds={name: parsed[name][0] for name in features},
            values={name: parsed[name][1] for name in features},
            target_name=target,
            target=None if target is None else parsed[target][1],
            target_kind=None if target is None else parsed[target][0],
            source=source,
        )


def missing_mask(values: Array) -> Array:
    """Where a column read by :func:`load_csv` is missing: NaN (numeric) or None (categorical)."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    return np.array([v is None for v in values], dtype=bool)


def _is_missing_object(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _column_from_values(values: Sequence[Any] | Array) -> tuple[ColumnKind, Array]:
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return "numeric", values.astype(np.float64)
    # Not np.asarray on a list: it would turn ["a", nan] into the strings "a" and "nan".
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if all(_is_missing_object(v) or isinstance(v, int | float | np.number) for v in items):
        return "numeric", np.array([np.nan if v is None else v for v in items], np.float64)
    column = np.empty(len(items), dtype=object)
    column[:] = [None if _is_missing_object(v) else str(v) for v in items]
    return "categorical", column


def _no_column(what: str, source: str, available: Iterable[str]) -> str:
    """``source: <what> is not a column; the columns are: 'a', 'b', …``."""
    columns = ", ".join(repr(column) for column in available)
    return f"{source}: {what} is not a column; the columns are: {columns}"


def _rows(
    path: Path, handle: Iterator[str], delimiter: str, skip: int
) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of each non-blank row, counting lines from 1."""
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line, such as the one that ends adult.data
            yield skip + reader.line_num, row
    except csv.Error as exc:
        raise ValueError(f"{path}, line {skip + reader.line_num}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}, after line {skip + reader.line_num}: not valid text in this encoding "
            f"({exc.reason} at byte {exc.start}); pass encoding=..."
        ) from exc


def _parse_numeric(cells: list[str], missing: frozenset[str]) -> Array | None:
    """The cells as float64 (NaN where missing), or None if one does not parse."""
    try:
        return np.array([math.nan if c in missing else float(c) for c in cells], np.float64)
    except ValueError:
        return None


def _categorical(cells: list[str], missing: frozenset[str]) -> Array:
    column = np.empty(len(cells), dtype=object)
    column[:] = [None if c in missing else c for c in cells]
    return column


def load_csv(
    path: str | os.PathLike[str],
    target: str | None,
    *,
    delimiter: str = ",",
    header: bool = True,
    names: Sequence[str] | None = None,
    missing: Iterable[str] = MISSING,
    categorical: Iterable[str] | None = None,
    numeric: Iterable[str] | None = None,
    strip: bool = True,
    skip_lines: int = 0,
    encoding: str = "utf-8",
) -> Table:
    """Read a CSV file into a :class:`Table`, with ``target`` (or None) as the target column.

    The first non-blank line is the header unless ``header=False``, in which case ``names``
    gives the column names (``names`` with a header renames its columns). A column is
    numeric when every non-missing value parses as a float, else categorical;
    ``categorical=[…]`` and ``numeric=[…]`` force a kind, and a value of a forced-numeric
    column that does not parse is an error naming its line. Values are stripped of
    surrounding whitespace (``strip``) before they are compared with ``missing``. Blank lines
    are skipped; ``skip_lines`` lines are skipped before anything is read.
    """
    path = Path(path)
    missing_set = frozenset([missing] if isinstance(missing, str) else missing)
    with path.open(encoding=encoding, newline="") as handle:
        for _ in range(skip_lines):
            handle.readline()
        rows = list(_rows(path, handle, delimiter, skip_lines))
    if not rows:
        raise ValueError(
            f"{path} is empty: expected " + ("a header and " if header else "") + "data rows"
        )
    column_names = _column_names(path, rows[0][1] if header else None, names, strip)
    data = rows[1:] if header else rows
    if not data:
        raise ValueError(f"{path} has no data rows" + (" after the header" if header else ""))
    width = len(column_names)
    for line, fields in data:
        if len(fields) != width:
            raise ValueError(
                f"{path}, line {line}: {len(fields)} fields, but the "
                f"{'header' if header else 'names= list'} has {width}"
            )
    if target is not None and target not in column_names:
        raise ValueError(_no_column(f"target {target!r}", str(path), column_names))
    forced_categorical = _checked_names(path, "categorical", categorical, column_names)
    forced_numeric = _checked_names(path, "numeric", numeric, column_names)
    if both := forced_categorical & forced_numeric:
        raise ValueError(f"columns {sorted(both)} are in both categorical= and numeric=")

    kinds: dict[str, ColumnKind] = {}
    values: dict[str, Array] = {}
    for j, name in enumerate(column_names):
        cells = [fields[j].strip() if strip else fields[j] for _, fields in data]
        parsed = None if name in forced_categorical else _parse_numeric(cells, missing_set)
        if parsed is None and name not in forced_categorical:
            bad = [
                (line, c)
                for (line, _), c in zip(data, cells, strict=True)
                if c not in missing_set and _parse_numeric([c], missing_set) is None
            ]
            present = sum(c not in missing_set for c in cells)
            if name in forced_numeric:
                raise ValueError(
                    f"{path}, line {bad[0][0]}, column {name!r}: {bad[0][1]!r} is not a number "
                    f"(the column was given in numeric=)"
                )
            if present >= MOSTLY_NUMERIC_MIN and len(bad) <= (1 - MOSTLY_NUMERIC) * present:
                # Almost all numbers: a typo is likelier than a column of categories.
                raise ValueError(
                    f"{path}, line {bad[0][0]}, column {name!r}: {bad[0][1]!r} is not a number, "
                    f"though {present - len(bad)} of the column's {present} values are; fix it, "
                    "leave it empty to mark it missing, or declare the column categorical"
                )
        kinds[name] = "categorical" if parsed is None else "numeric"
        values[name] = _categorical(cells, missing_set) if parsed is None else parsed
    features = tuple(name for name in column_names if name != target)
    return Table(
        feature_names=features,
        kinds={name: kinds[name] for name in features},
        values={name: values[name] for name in features},
        target_name=target,
        target=None if target is None else values[target],
        target_kind=None if target is None else kinds[target],
        source=str(path),
    )


def _column_names(
    path: Path, header_fields: list[str] | None, names: Sequence[str] | None, strip: bool
) -> list[str]:
    if header_fields is None and names is None:
        raise ValueError(f"{path}: header=False needs names=[...] for the columns")
    if header_fields is not None and names is not None and len(names) != len(header_fields):
        raise ValueError(
            f"{path}: names has {len(names)} entries, but the header has "
            f"{len(header_fields)} columns"
        )
    chosen = list(names) if names is not None else list(header_fields or [])
    chosen = [name.strip() if strip else name for name in chosen]
    for j, name in enumerate(chosen):
        if not name:
            raise ValueError(f"{path}: column {j + 1} of the header has no name; pass names=")
        if name in chosen[:j]:
            raise ValueError(f"{path}: column name {name!r} appears more than once")
    return chosen


def _checked_names(
    path: Path, role: str, given: Iterable[str] | None, columns: list[str]
) -> frozenset[str]:
    chosen = frozenset([given] if isinstance(given, str) else given or ())
    for name in sorted(chosen):
        if name not in columns:
            raise ValueError(_no_column(f"{name!r} (in {role}=)", str(path), columns))
    return chosen


def read_header(
    path: str | os.PathLike[str], delimiter: str = ",", encoding: str = "utf-8"
) -> list[str]:
    """The column names in the first row of a CSV file (stripped), ``[]`` for an empty file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a CSV file")
    try:
        with path.open(newline="", encoding=encoding) as file:
            first = next(csv.reader(file, delimiter=delimiter), [])
    except FileNotFoundError:
        raise FileNotFoundError(f"data file {str(path)!r} does not exist") from None
    return [name.strip() for name in first]
