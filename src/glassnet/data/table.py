"""Tables of named numeric and categorical columns, read from CSV files.

A :class:`Table` holds each column as it was read: numeric columns as float64 with NaN
for a missing value, categorical columns as object arrays of ``str`` with ``None`` for a
missing value. Turning them into a matrix of numbers is the job of
:class:`~glassnet.data.Preprocessor`, fitted on training data only.

:func:`load_csv` reads a CSV file as spreadsheets and other tools write it: its
delimiter, decimal mark, header row and encoding are detected (:mod:`.dialect`) and kept
in the table's :class:`~glassnet.data.Dialect`; :mod:`.reader` reads it a chunk of rows at
a time, and :mod:`.cells` turns each chunk's cells into columns at once, so that a file of
numbers takes about as much memory as its float64 columns.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from .cells import ColumnKind as ColumnKind
from .cells import Filled, allow_mapped_columns, no_column
from .dialect import (
    DETECT_BYTES,
    MISSING,
    SAMPLE_BYTES,
    Dialect,
    detect,
    parse_delimiter,
    read_text,
    skip,
)
from .reader import Request, first_names, read_columns

SPILL_ROWS = 1 << 16
"""Rows :meth:`Table.take` copies at a time into a ``spill`` folder."""


@dataclass(frozen=True)
class Table:
    """Feature columns by name, in file order, and an optional target column.

    ``values[name]`` has shape ``(m,)``: float64 with NaN for missing when
    ``kinds[name] == "numeric"``, an object array of ``str`` with ``None`` for missing when
    ``"categorical"``. ``target`` is stored the same way, its kind in ``target_kind``.
    A table read from a CSV file keeps how the file is written in ``dialect``.
    """

    feature_names: tuple[str, ...]
    kinds: Mapping[str, ColumnKind]
    values: Mapping[str, Array]
    target_name: str | None = None
    target: Array | None = None
    target_kind: ColumnKind | None = None
    source: str = "table"
    """Where the table came from (a file name), for error messages."""
    dialect: Dialect | None = None
    """How the CSV file it was read from is written (None when not read from a file)."""
    lines: Array | None = None
    """The file's line number of each row ``(m,)``, for messages (None when not read
    from a file)."""

    @property
    def n_rows(self) -> int:
        """The number of rows ``m``."""
        if self.feature_names:
            return len(self.values[self.feature_names[0]])
        return 0 if self.target is None else len(self.target)

    def take(self, rows: Sequence[int] | Array, spill: Path | None = None) -> Table:
        """The table of the given rows (indices or a boolean mask), in that order.

        ``spill``: a folder where the numeric columns and the line numbers of those rows
        are written, a block of rows at a time, and memory-mapped from (see
        :func:`load_csv`): of a table larger than memory, only its text is held."""
        index = np.asarray(rows)
        if index.size == 0:
            index = index.astype(np.intp)  # np.asarray([]) is float, not an index
        if index.dtype == bool:
            index = np.flatnonzero(index)
        if spill is not None:
            allow_mapped_columns(len(self.values), f"{self.source}: {len(self.values):,} columns")

        def taken(column: Array, on_disk: bool) -> Array:
            if spill is None or not on_disk:
                return column[index]
            written = Filled(column.dtype.type, 0, spill, SPILL_ROWS)
            for start in range(0, len(index), SPILL_ROWS):
                written.append(column[index[start : start + SPILL_ROWS]])
            return written.array()

        return Table(
            feature_names=self.feature_names,
            kinds=dict(self.kinds),
            values={
                name: taken(column, self.kinds[name] == "numeric")
                for name, column in self.values.items()
            },
            target_name=self.target_name,
            target=None if self.target is None else self.target[index],
            target_kind=self.target_kind,
            source=self.source,
            dialect=self.dialect,
            lines=None if self.lines is None else taken(self.lines, True),
        )

    def where(self, row: int) -> str:
        """Where row ``row`` (from 0) is, as a message says it: ``line 18`` of the file it
        was read from, else ``row 17 (from 0)``."""
        if self.lines is not None:
            return f"line {int(self.lines[row])}"
        return f"row {row} (from 0)"

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
            raise ValueError(no_column(f"target {target!r}", source, columns))
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
        dialect: Dialect | None = None,
        lines: Array | None = None,
    ) -> Table:
        """A table from columns already read as ``{name: (kind, values)}``, in order; the
        one named ``target`` (if any) becomes the target; ``lines``: the file's line of
        each row."""
        features = tuple(name for name in parsed if name != target)
        return cls(
            feature_names=features,
            kinds={name: parsed[name][0] for name in features},
            values={name: parsed[name][1] for name in features},
            target_name=target,
            target=None if target is None else parsed[target][1],
            target_kind=None if target is None else parsed[target][0],
            source=source,
            dialect=dialect,
            lines=lines,
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


def load_csv(
    path: str | os.PathLike[str],
    target: str | None,
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    header: bool | None = None,
    names: Sequence[str] | None = None,
    missing: Iterable[str] = MISSING,
    categorical: Iterable[str] | None = None,
    numeric: Iterable[str] | None = None,
    strip: bool = True,
    skip_lines: int = 0,
    encoding: str | None = None,
    dialect: Dialect | Mapping[str, Any] | None = None,
    rows: Callable[[int], tuple[int, int]] | None = None,
    spill: str | os.PathLike[str] | None = None,
) -> Table:
    """Read a CSV file into a :class:`Table`, with ``target`` (or None) as the target column.

    What is not given is detected, and recorded in the table's :class:`Dialect`: the
    ``delimiter`` (comma, semicolon, tab or pipe), the ``decimal`` mark (``"."``, or
    ``","`` as in ``3,14``), whether the first row is a ``header`` (else the columns are
    ``column_1``, ``column_2``, … or ``names``), and the ``encoding`` (UTF-8, or what a
    byte-order mark says; the mark is not part of the first name). ``dialect`` (a
    :class:`Dialect` or its ``to_dict()``) gives all four at once, e.g. the one stored
    with a model, so that a file is read as the training file was; keywords override it.

    ``names`` with a header renames its columns. A column is numeric when every
    non-missing value parses as a number, else categorical; ``categorical=[…]`` and
    ``numeric=[…]`` force a kind, and a value of a forced-numeric column that does not
    parse is an error naming its line. Values are stripped of surrounding whitespace
    (``strip``) before they are compared with ``missing``; ``-`` and ``.`` are missing in
    a column of numbers. Blank lines are skipped, and ``skip_lines`` lines before
    anything is read. An unnamed first column of row numbers (the index pandas' and R's
    writers add) is named ``index``. ``rows(n)``, given the file's number of data rows
    ``n``, may choose the rows ``[start, stop)`` to keep (one rank's shard): the others are
    read and checked, but not kept. ``spill``: a folder (that exists) where the numeric
    columns are written as they are read; they are then memory-mapped from there, so that
    a file larger than memory can be read (text columns are still held in memory).
    """
    path = Path(path)
    delimiter, decimal, header, encoding = _given(dialect, delimiter, decimal, header, encoding)
    missing_set = frozenset([missing] if isinstance(missing, str) else missing)
    text, encoding, bom = read_text(path, encoding, limit=DETECT_BYTES)
    text = skip(text, skip_lines)
    found = detect(path, text, delimiter, decimal, header, encoding, bom, missing_set)
    request = Request(
        target,
        names,
        categorical,
        numeric,
        missing_set,
        strip,
        skip_lines,
        header,
        sniffed=delimiter is None,
        rows=rows,
        spill=None if spill is None else Path(spill),
    )
    read = read_columns(path, found, request, scan=decimal is None)
    if read.decimal != found.decimal:  # the whole file's numbers decide, not only the first rows'
        sep, whole = found.delimiter, read.decimal
        found = detect(path, text, sep, whole, header, encoding, bom, missing_set)
        read = read_columns(path, found, request, scan=False)
    return Table.from_parsed(read.parsed, target, source=str(path), dialect=found, lines=read.lines)


def _given(
    dialect: Dialect | Mapping[str, Any] | None,
    delimiter: str | None,
    decimal: str | None,
    header: bool | None,
    encoding: str | None,
) -> tuple[str | None, str | None, bool | None, str | None]:
    """The keywords (a delimiter may be named: ``"tab"``), what they leave open taken
    from ``dialect`` (if given)."""
    if delimiter is not None:
        delimiter = parse_delimiter(delimiter)
    if dialect is None:
        return delimiter, decimal, header, encoding
    given = dialect if isinstance(dialect, Dialect) else Dialect.from_dict(dialect)
    return (
        delimiter or given.delimiter,
        decimal or given.decimal,
        given.header if header is None else header,
        encoding or given.encoding,
    )


def read_header(
    path: str | os.PathLike[str],
    delimiter: str | None = None,
    encoding: str | None = None,
    *,
    header: bool | None = None,
    skip_lines: int = 0,
    dialect: Dialect | Mapping[str, Any] | None = None,
) -> list[str]:
    """The column names of a CSV file as :func:`load_csv` names them, read from its
    first rows (its delimiter, header row and encoding detected unless given); ``[]``
    for an empty file."""
    path = Path(path)
    delimiter, _, header, encoding = _given(dialect, delimiter, None, header, encoding)
    text, encoding, bom = read_text(path, encoding, limit=SAMPLE_BYTES)
    text = skip(text, skip_lines)
    found = detect(path, text, delimiter, None, header, encoding, bom, MISSING)
    return first_names(path, found, skip_lines)
