"""A CSV file's rows, read a chunk at a time, with every line and field of bounded length.

:func:`~glassnet.data.load_csv` never holds a file's whole text, nor a Python string for
each of its cells: :class:`Records` reads the file a line at a time and refuses a line
longer than :data:`MAX_LINE_CHARS` after reading only that much of it (a file of one
gigabyte-long line is refused in a moment, not after filling the memory); the csv module
splits the lines into fields, refusing one longer than its ``field_size_limit``; and
:meth:`Records.take` hands on a chunk of rows, which :mod:`.cells` turns into columns of
float64 numbers or of text at once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np

from ..backend import Array
from .cells import (
    ColumnCells,
    ColumnKind,
    Filled,
    Mode,
    allow_mapped_columns,
    column_names,
    no_column,
    no_target,
    spill_buffer,
)
from .decimals import DecimalScan, number_parser
from .dialect import SAMPLE_ROWS, Dialect, codec_of, find_not_text

MAX_LINE_CHARS = 1 << 23
"""The longest line read, in characters (8,388,608): a hundred thousand columns of
numbers fit, and one line never costs more than a few tens of megabytes."""
CHUNK_CELLS = 1 << 16
"""About how many cells are read before they become columns: a chunk's Python strings
take a few megabytes, whatever the size of the file."""

COUNT_ROWS = 1024
"""Rows counted at a time when a shard's bounds are found: a few wide rows' strings."""

Chunk = tuple[list[int], list[list[str]]]
"""The line number of each row of a chunk, and the row's fields."""


class Records:
    """The non-blank rows of a CSV file as ``dialect`` says it is written, after its first
    ``skip_lines`` lines; use it in a ``with`` block, so that the file is closed.

    Line numbers count every line of the file from 1, blank and skipped ones included; a
    row whose quoted field spans lines has the number of its last line.
    """

    def __init__(self, path: Path, dialect: Dialect, skip_lines: int = 0) -> None:
        self.path, self.encoding = path, dialect.encoding
        if path.is_dir():
            raise IsADirectoryError(f"{str(path)!r} is a directory, not a CSV file")
        try:
            self._file = path.open(encoding=codec_of(dialect.encoding), newline="")
        except FileNotFoundError:
            raise FileNotFoundError(f"data file {str(path)!r} does not exist") from None
        self.line = 0
        """The number of the last line read."""
        self._reader = csv.reader(self._lines(skip_lines), delimiter=dialect.delimiter)

    def __enter__(self) -> Records:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._file.close()

    def _lines(self, skip: int) -> Iterator[str]:
        while True:
            # At most one character more than the bound: a longer line is never read whole.
            line = self._file.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            self.line += 1
            if len(line) > MAX_LINE_CHARS and line[-1] not in "\r\n":
                raise ValueError(
                    f"{self.path}, line {self.line}: longer than {MAX_LINE_CHARS:,} characters, "
                    "the most a line may hold; is it a CSV file, with its lines ended?"
                )
            if self.line > skip:
                yield line

    def take(self, n_rows: int) -> Chunk:
        """The next ``n_rows`` rows (fewer at the end of the file; none after it)."""
        lines: list[int] = []
        rows: list[list[str]] = []
        try:
            for row in self._reader:
                if row and (len(row) > 1 or row[0].strip()):  # not a blank line
                    lines.append(self.line)
                    rows.append(row)
                    if len(rows) >= n_rows:
                        break
        except csv.Error as exc:
            limit = csv.field_size_limit()
            hint = (
                f": a field may hold at most {limit:,} characters; is a quote left open?"
                if "field limit" in str(exc)
                else ""
            )
            raise ValueError(f"{self.path}, line {self.line}: {exc}{hint}") from exc
        except UnicodeDecodeError as exc:
            # The decoder reads ahead of the lines: find the byte and the line again.
            raise find_not_text(self.path, self.encoding) from exc
        return lines, rows


def rows_per_chunk(width: int) -> int:
    """How many rows of ``width`` fields a chunk takes."""
    return max(1, CHUNK_CELLS // max(width, 1))


@dataclass(frozen=True)
class Request:
    """How :func:`read_columns` reads a file's columns: :func:`~glassnet.data.load_csv`'s
    keywords (``header`` as given, None when detected; ``sniffed``: whether the delimiter
    was detected)."""

    target: str | None = None
    names: Sequence[str] | None = None
    categorical: Iterable[str] | None = None
    numeric: Iterable[str] | None = None
    missing: frozenset[str] = frozenset()
    strip: bool = True
    skip_lines: int = 0
    header: bool | None = None
    sniffed: bool = True
    rows: Callable[[int], tuple[int, int]] | None = None
    """Which data rows to keep, ``[start, stop)``, given how many the file has (``None``:
    all): one rank's shard of a file too large for one (:mod:`glassnet.tabular.shards`).
    Every row is still read, and checked, but only these become columns."""
    spill: Path | None = None
    """A folder where the numbers of each numeric column (and the rows' line numbers) are
    written as they are read, and mapped into memory, rather than held there."""


@dataclass(frozen=True)
class Columns:
    """A file's columns as read: ``parsed`` holds ``{name: (kind, values (m,))}`` in file
    order, ``lines`` the file's line of each row ``(m,)``; ``decimal`` is the decimal mark
    the whole file's numbers show, when it was looked for (``parsed`` is empty when it
    differs from the dialect's: the file must be read again with it)."""

    parsed: dict[str, tuple[ColumnKind, Array]]
    lines: Array
    decimal: str


def read_columns(path: Path, dialect: Dialect, request: Request, scan: bool) -> Columns:
    """The columns of the CSV file at ``path``, read a chunk of rows at a time; ``scan``:
    look at every number for the decimal mark (:class:`~glassnet.data.decimals.DecimalScan`)."""
    with Records(path, dialect, request.skip_lines) as records:
        lines, rows = records.take(1)
        if not rows:
            expected = "a header and data rows" if request.header is not False else "data rows"
            raise ValueError(f"{path} is empty: expected {expected}")
        more_lines, more_rows = records.take(min(SAMPLE_ROWS, rows_per_chunk(len(rows[0]))))
        lines, rows = lines + more_lines, rows + more_rows
        names = column_names(path, lines, rows, dialect.header, request.names, request.strip)
        if dialect.header:
            lines, rows = lines[1:], rows[1:]
        if not rows:
            after = " after the header" if dialect.header else ""
            raise ValueError(f"{path} has no data rows{after}")
        given = (
            "header" if dialect.header else "first row" if request.names is None else "names= list"
        )
        _check_widths(path, lines, rows, names, given)
        modes = _modes(path, names, dialect, request)
        if request.spill is not None:  # the table, and the training and validation rows
            allow_mapped_columns(len(names), f"{path}: reading {len(names):,} columns")
        number = number_parser(dialect.decimal)
        keep = _kept_rows(path, dialect, request)
        room = _expected_rows(path, rows) if keep is None else keep[1] - keep[0]
        columns = [
            ColumnCells(
                path,
                name,
                modes[name],
                request.missing,
                number,
                request.strip,
                codes=name == request.target and modes[name] == "auto",
                rows=room,
                spill=request.spill,
                buffer=spill_buffer(len(names)),
            )
            for name in names
        ]
        scanner = DecimalScan(path, dialect.delimiter, names) if scan else None
        # Line numbers are at most the file's size in bytes.
        lines_dtype = np.int32 if path.stat().st_size < 2**31 else np.int64
        numbered = Filled(lines_dtype, room, request.spill)
        first = 0  # the data row the chunk starts at
        while rows:
            whole, part = slice(0, len(rows)), _within(keep, first, len(rows))
            cells = list(zip(*rows, strict=True)) if scanner is not None or part == whole else []
            if scanner is not None:  # every row: the decimal mark is the whole file's
                scanner.feed(cells, lines)
            if part != whole:  # rows of another rank's shard: only this one's become columns
                lines, cells = lines[part], list(zip(*rows[part], strict=True))
            first += len(rows)
            if lines:
                for column, values in zip(columns, cells, strict=True):
                    column.add(values, lines)
                numbered.append(lines)
            del cells, rows  # before the next chunk is read
            lines, rows = records.take(rows_per_chunk(len(names)))
            if rows:
                _check_widths(path, lines, rows, names, given)
    line_numbers = numbered.array()
    if scanner is not None and scanner.decimal != dialect.decimal:
        for column in columns:  # read again with the file's decimal mark: these are wrong
            column.values.discard()
        return Columns({}, line_numbers, scanner.decimal)
    parsed = {column.name: column.finish() for column in columns}
    if again := {j: c.name for j, c in enumerate(columns) if parsed[c.name] is None}:
        parsed.update(_read_as_text(path, dialect, request, len(names), again, keep))
    return Columns(
        {name: kind_values for name, kind_values in parsed.items() if kind_values is not None},
        line_numbers,
        dialect.decimal,
    )


def _kept_rows(path: Path, dialect: Dialect, request: Request) -> tuple[int, int] | None:
    """The ``[start, stop)`` of the data rows ``request.rows`` keeps, after counting the
    file's data rows in a first pass (a row's quoted field may span lines: only the csv
    reader can count them); ``None`` when every row is kept."""
    if request.rows is None:
        return None
    n_rows = -1 if dialect.header else 0
    with Records(path, dialect, request.skip_lines) as records:
        while chunk := records.take(COUNT_ROWS)[1]:
            n_rows += len(chunk)
    start, stop = request.rows(max(n_rows, 0))
    if not 0 <= start <= stop <= n_rows:
        raise ValueError(f"{path}: rows [{start}, {stop}) are not within its {n_rows} data rows")
    return start, stop


def _within(keep: tuple[int, int] | None, first: int, n: int) -> slice:
    """The rows of a chunk of ``n`` rows starting at data row ``first`` that ``keep``
    says to keep (all when ``None``), as a slice of the chunk."""
    if keep is None:
        return slice(0, n)
    return slice(min(max(keep[0] - first, 0), n), max(min(keep[1] - first, n), 0))


def _expected_rows(path: Path, rows: Sequence[list[str]]) -> int:
    """About how many rows the file at ``path`` has, judged on the length of its first
    ``rows`` (a little more, so that the columns' room is rarely grown)."""
    width = len(rows[0])
    characters = sum(len(field) for row in rows for field in row) + width * len(rows)
    most = path.stat().st_size // (2 * width) + 1  # a value and its delimiter: 2 bytes
    return min(most, int(1.05 * path.stat().st_size * len(rows) / max(characters, 1)) + 1)


def _check_widths(
    path: Path, lines: Sequence[int], rows: Sequence[list[str]], names: list[str], given: str
) -> None:
    if len(set(map(len, rows))) == 1 and len(rows[0]) == len(names):
        return
    line, fields = next((n, r) for n, r in zip(lines, rows, strict=True) if len(r) != len(names))
    raise ValueError(f"{path}, line {line}: {len(fields)} fields, but the {given} has {len(names)}")


def _modes(path: Path, names: list[str], dialect: Dialect, request: Request) -> dict[str, Mode]:
    """How each column is read, after checking that the columns named are there."""
    if request.target is not None and request.target not in names:
        raise ValueError(
            no_target(
                path,
                request.target,
                names,
                dialect,
                request.header,
                request.names,
                request.sniffed,
            )
        )
    categorical = _checked(path, "categorical", request.categorical, names)
    numeric = _checked(path, "numeric", request.numeric, names)
    if both := categorical & numeric:
        raise ValueError(f"columns {sorted(both)} are in both categorical= and numeric=")
    return {
        name: "categorical" if name in categorical else "numeric" if name in numeric else "auto"
        for name in names
    }


def _checked(
    path: Path, role: str, given: Iterable[str] | None, names: list[str]
) -> frozenset[str]:
    chosen = frozenset([given] if isinstance(given, str) else given or ())
    for name in sorted(chosen):
        if name not in names:
            raise ValueError(no_column(f"{name!r} (in {role}=)", str(path), names))
    return chosen


def _read_as_text(
    path: Path,
    dialect: Dialect,
    request: Request,
    width: int,
    again: dict[int, str],
    keep: tuple[int, int] | None = None,
) -> dict[str, tuple[ColumnKind, Array] | None]:
    """The columns ``again`` (by index) read once more, as text: their first chunks were
    read as numbers before a word showed they are not. ``keep``: the data rows kept."""
    number = number_parser(dialect.decimal)
    columns = {
        j: ColumnCells(path, name, "categorical", request.missing, number, request.strip)
        for j, name in again.items()
    }
    with Records(path, dialect, request.skip_lines) as records:
        if dialect.header:
            records.take(1)
        first = 0
        while True:
            lines, rows = records.take(rows_per_chunk(width))
            if not rows:
                break
            part = _within(keep, first, len(rows))
            lines, cells = lines[part], list(zip(*rows[part], strict=True))
            first += len(rows)
            if lines:
                for j, column in columns.items():
                    column.add(cells[j], lines)
    return {column.name: column.finish() for column in columns.values()}


def first_names(path: Path, dialect: Dialect, skip_lines: int = 0) -> list[str]:
    """The column names of a CSV file read as ``dialect`` says, from its first rows;
    ``[]`` for an empty file."""
    with Records(path, dialect, skip_lines) as records:
        lines, rows = records.take(1)
        if not rows:
            return []
        try:
            more_lines, more_rows = records.take(min(SAMPLE_ROWS, rows_per_chunk(len(rows[0]))))
            lines, rows = lines + more_lines, rows + more_rows
        except ValueError:
            pass  # a malformed row further on: load_csv will name it
    return column_names(path, lines, rows, dialect.header, None, strip=True)
