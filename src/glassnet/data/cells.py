"""From a CSV file's cells to named columns, for :func:`~glassnet.data.load_csv`.

The column names (from the header row, from ``names``, or ``column_1`` … for a file
without one); each column read a chunk of cells at a time (:class:`ColumnCells`) into
float64 numbers in either decimal mark, with their missing values, or into text; and the
errors that name the file, the line and the column when a value does not fit.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ..backend import Array
from .decimals import FLOAT_FIRST
from .dialect import DELIMITERS, NUMERIC_MISSING, SAMPLE_ROWS, Dialect
from .stray_words import more_words, refuse_stray_words

ColumnKind = Literal["numeric", "categorical"]

MAX_NAME_CHARS = 1000
"""The longest column name read from a header row: a longer one is data, or not a CSV."""


def no_column(what: str, source: str, available: Iterable[str]) -> str:
    """``source: <what> is not a column; the columns are: 'a', 'b', …``."""
    columns = ", ".join(repr(column) for column in available)
    return f"{source}: {what} is not a column; the columns are: {columns}"


Mode = Literal["auto", "numeric", "categorical"]
"""How a column is read: ``auto``, as numbers if every value is one, else as text (where
a stray word in a column of numbers is an error); ``numeric``, as numbers, a word being an
error; ``categorical``, as text."""

INTERNED = 1 << 16
"""The most distinct values of a text column that share one string each: a column of a
few categories then costs a pointer per row, not a string per row."""

_LEADING_ZERO = re.compile(r"^[+-]?0\d")
"""A number written with a leading zero before another digit: ``01``, ``007``."""
_MAYBE_LEADING_ZERO = re.compile(r"(?:^|\x00)\s*[+-]?0\d")


SPILL_BUFFER = 1 << 13
"""At most this many values a spilled :class:`Filled` gathers before it appends them to
its file (64 KiB of float64): the file is open only while they are written, so that a
table of thousands of columns holds no file open between chunks."""
SPILL_BYTES = 1 << 23
"""What every spilled column of a table gathers at most, together (8 MiB): a table of
many columns gathers fewer values per column (:func:`spill_buffer`)."""


def spill_buffer(n_columns: int) -> int:
    """The values each of ``n_columns`` spilled columns gathers before writing them."""
    return max(256, min(SPILL_BUFFER, SPILL_BYTES // (8 * max(n_columns, 1))))


def allow_mapped_columns(n_columns: int, why: str) -> None:
    """Room (:func:`allow_open_files`) for ``n_columns`` mapped columns of a table, of its
    training rows and of its validation rows at once, and the process's other files."""
    allow_open_files(3 * n_columns + 256, why)


class ColumnCells:
    """One column of a CSV file, read a chunk of cells at a time (:meth:`add`): float64
    numbers (NaN where missing) while every value is one, else text (``str``, None where
    missing); :meth:`finish` gives the column.

    A column whose words come only after some chunks of numbers has lost its first cells'
    text: :meth:`finish` then returns None, and the caller reads the column again as
    ``categorical``. ``codes``: the column is the target, text if a value has a leading
    zero (class labels ``01``, ``02`` would not round-trip as numbers). ``rows``: about how
    many rows the file has, the room the numbers are given at first; ``spill``: a folder
    where they are written instead, ``buffer`` at a time (:class:`Filled`).
    """

    def __init__(
        self,
        path: Path,
        name: str,
        mode: Mode,
        missing: frozenset[str],
        number: Callable[[str], float],
        strip: bool,
        codes: bool = False,
        rows: int = 0,
        spill: Path | None = None,
        buffer: int = SPILL_BUFFER,
    ) -> None:
        self.path, self.name, self.mode = path, name, mode
        self.missing, self.number, self.strip, self.codes = missing, number, strip, codes
        self.numeric = mode != "categorical"
        """Whether every value so far is a number (or missing)."""
        self.values = Filled(
            np.float64, rows if self.numeric else 0, spill if self.numeric else None, buffer
        )
        """The numbers, while every value is one (in a file in the folder ``spill``, if given,
        written ``buffer`` values at a time)."""
        self.pieces: list[Array] = []
        """The text of each chunk, once a value is not a number."""
        self.numbers = self.dashes = self.words = 0
        self.first_word: tuple[int, str] | None = None
        self.coded = self.reread = False
        self._seen: dict[str, str] = {}
        # Converting a whole chunk at once reads numbers as float() does, at C speed; it
        # would read a missing-value token that is a number ("-999") as that number.
        # number reads what float() reads and more (grouped thousands), which the cell-by-cell
        # path reads when the chunk's conversion fails.
        self._fast = number in FLOAT_FIRST and not any(_finite(token) for token in missing)

    def add(self, cells: Sequence[str], lines: Sequence[int]) -> None:
        """Read the next cells of the column, on these lines of the file."""
        if self.codes and not self.coded and _leading_zero(cells, self.strip):
            self.coded = True
            self._to_text()
        if self.numeric:
            parsed = self._numbers(cells)
            if parsed is not None:
                self.values.append(parsed)
                return
            self._to_text()
        text = [cell.strip() for cell in cells] if self.strip else cells
        if self.mode != "categorical" and not self.coded:
            self._count_words(text, lines)
        if self.mode != "numeric":  # a word there is an error: its text is not needed
            self.pieces.append(self._text(text))

    def finish(self) -> tuple[ColumnKind, Array] | None:
        """``(kind, values)`` of the whole column; None when it must be read again as
        text; a ValueError naming the file, line and column for a word where numbers
        belong."""
        if self.numeric and not (self.mode == "auto" and self.dashes and not self.numbers):
            return "numeric", self.values.array()
        if self.numeric:  # "-" and "." alone are not a column of numbers
            self.reread = True
        elif self.words and (self.mode == "numeric" or (self.mode == "auto" and not self.coded)):
            self._check_words()
        return None if self.reread else ("categorical", _joined(self.pieces, object))

    def _to_text(self) -> None:
        if self.numeric:
            self.numeric = False
            self.reread = self.values.size > 0  # the text of these numbers is gone
            self.values.discard()
            self.values = Filled(np.float64, 0)

    def _numbers(self, cells: Sequence[str]) -> Array | None:
        """The cells as float64 (NaN where missing), or None if one is not a number."""
        if self._fast:
            try:
                parsed = np.array(cells, dtype=np.float64)
            except ValueError:
                pass  # a missing value, a dash or a word: cell by cell
            else:
                self.numbers += int(np.count_nonzero(~np.isnan(parsed)))
                return parsed
        parsed = np.empty(len(cells), np.float64)
        numbers = dashes = 0
        for i, cell in enumerate(cells):
            if self.strip:
                cell = cell.strip()
            if cell in self.missing:
                parsed[i] = math.nan
            elif cell in NUMERIC_MISSING:
                parsed[i] = math.nan
                dashes += 1
            else:
                try:
                    parsed[i] = self.number(cell)
                except ValueError:
                    return None
                numbers += 1
        self.numbers += numbers
        self.dashes += dashes
        return parsed

    def _count_words(self, text: Sequence[str], lines: Sequence[int]) -> None:
        for line, cell in zip(lines, text, strict=True):
            if cell in self.missing or cell in NUMERIC_MISSING:
                continue
            try:
                self.number(cell)
                self.numbers += 1
            except ValueError:
                self.words += 1
                if self.first_word is None:
                    self.first_word = (line, cell)

    def _text(self, text: Sequence[str]) -> Array:
        column = np.empty(len(text), dtype=object)
        missing = self.missing
        if len(self._seen) < INTERNED:
            seen = self._seen.setdefault
            column[:] = [None if cell in missing else seen(cell, cell) for cell in text]
        else:
            column[:] = [None if cell in missing else cell for cell in text]
        return column

    def _check_words(self) -> None:
        """Refuse the words of a column that must hold numbers or that almost all does,
        naming the file, the line and the column; let any other column be."""
        assert self.first_word is not None
        line, word = self.first_word
        where = f"{self.path}, line {line}, column {self.name!r}: {word!r} is not a number"
        if self.mode == "numeric":
            raise ValueError(
                f"{where}, but the column must hold numbers{more_words(self.words)}; fix it, or "
                "leave it empty to mark it missing"
            )
        refuse_stray_words(where, self.name, self.numbers, self.words, target=self.codes)


def _finite(token: str) -> bool:
    try:
        return math.isfinite(float(token))
    except ValueError:
        return False


def _leading_zero(cells: Sequence[str], strip: bool) -> bool:
    """Whether a cell is a number written with a leading zero (``01``)."""
    if not _MAYBE_LEADING_ZERO.search("\x00".join(cells)):  # at C speed; then cell by cell
        return False
    return any(_LEADING_ZERO.match(cell.strip() if strip else cell) for cell in cells)


def _joined(pieces: list[Array], dtype: type) -> Array:
    """The pieces as one array (and the list emptied, so that they can go)."""
    if len(pieces) == 1:
        return pieces.pop()
    joined = np.concatenate(pieces) if pieces else np.empty(0, dtype)
    pieces.clear()
    return joined


def allow_open_files(needed: int, why: str) -> None:
    """Raise this process's limit of open files (its soft limit, up to the hard one) to
    ``needed``: each column mapped from a spill file holds one (``mmap`` keeps a copy of
    its file's descriptor), and the usual soft limit (1,024) is below a wide table's
    columns; an OSError that says so when the hard limit is lower too."""
    try:
        import resource
    except ImportError:  # not on Windows: its limit is not this one
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    refused = OSError(
        f"{why} needs about {needed:,} open files, more than this system allows "
        f"({hard:,}; ulimit -Hn): raise the limit, or read the file without a cache "
        "(--cache no)"
    )
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise refused
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    except (OSError, ValueError):  # macOS refuses more than its own maximum
        raise refused from None


class Filled:
    """A 1-D array filled a chunk at a time (:meth:`append`) into room for ``rows`` values,
    grown by half when they do not fit, and cut to its length at the end (:meth:`array`).

    One array of the column's size, not an array per chunk: a process that frees thousands
    of small arrays keeps their memory (the allocator cannot give back a fragmented heap),
    while a large array is mapped on its own, and returned whole.

    ``spill``: a folder; the values are then appended to a new file there, ``buffer`` at
    a time, and :meth:`array` maps it into memory, read-only, so that a column of a file
    larger than memory takes none (:func:`~glassnet.data.load_csv`'s ``spill``). The file's
    name is removed once it is mapped (where the system allows it): its space is freed
    when the array goes.
    """

    def __init__(
        self, dtype: type, rows: int, spill: Path | None = None, buffer: int = SPILL_BUFFER
    ) -> None:
        self._array: Array = np.empty(0 if spill else rows, dtype)
        self._buffer = buffer
        self._path: Path | None = None
        self._pending: list[Array] = []
        self._pending_size = 0
        if spill is not None:
            handle, name = tempfile.mkstemp(suffix=".raw", dir=spill)
            os.close(handle)
            self._path = Path(name)
        self.size = 0
        """How many values were appended."""

    def append(self, values: Array | Sequence[int]) -> None:
        """Put ``values`` after those appended before."""
        end = self.size + len(values)
        if self._path is not None:
            self._pending.append(np.array(values, self._array.dtype))
            self._pending_size += len(values)
            if self._pending_size >= self._buffer:
                self._flush()
        else:
            if end > len(self._array):
                grown = np.empty(max(end, len(self._array) * 3 // 2), self._array.dtype)
                grown[: self.size] = self._array[: self.size]
                self._array = grown
            self._array[self.size : end] = values
        self.size = end

    def discard(self) -> None:
        """Remove a spilled file's name (its mapping, if any, keeps its data)."""
        if self._path is not None:
            with contextlib.suppress(OSError):  # Windows keeps a mapped file's name
                self._path.unlink()
        self._pending.clear()

    def _flush(self) -> None:
        assert self._path is not None
        with self._path.open("ab") as file:
            for part in self._pending:
                part.tofile(file)  # from its own buffer (append keeps copies): no tobytes copy
        self._pending.clear()
        self._pending_size = 0

    def array(self) -> Array:
        """The values appended, ``(size,)``; the room left over is given back."""
        if self._path is not None:
            self._flush()
            mapped = (
                np.memmap(self._path, self._array.dtype, mode="r", shape=(self.size,))
                if self.size
                else np.empty(0, self._array.dtype)
            )
            self.discard()
            return mapped
        array, self._array = self._array, np.empty(0, self._array.dtype)
        if len(array) != self.size:
            array.resize(self.size, refcheck=False)  # in place: the unused end is freed
        return array


def column_names(
    path: Path,
    lines: Sequence[int],
    rows: Sequence[list[str]],
    header: bool,
    names: Sequence[str] | None,
    strip: bool,
) -> list[str]:
    """The names of the columns of the first ``rows`` (on these ``lines``): ``names``,
    else the header row's (an unnamed first column of row numbers, as pandas and R write
    their index, is ``index``), else ``column_1``, ``column_2``, …"""
    width = len(rows[0])
    if header and names is not None and len(names) != width:
        raise ValueError(
            f"{path}: names has {len(names)} entries, but the header has {width} columns"
        )
    if names is not None:
        chosen = list(names)
    elif header:
        chosen = list(rows[0])
        if not chosen[0].strip() and _row_numbers([fields[0] for fields in rows[1:]]):
            chosen[0] = "index"
    else:
        chosen = [f"column_{j + 1}" for j in range(width)]
    chosen = [name.strip() if strip else name for name in chosen]
    seen: set[str] = set()
    for j, name in enumerate(chosen):
        if not name:
            raise ValueError(f"{path}: column {j + 1} of the header has no name; pass names=")
        if name in seen:
            raise ValueError(f"{path}: column name {name!r} appears more than once")
        if len(name) > MAX_NAME_CHARS and names is None:
            raise ValueError(
                f"{path}, line {lines[0]}: the name of column {j + 1} is {len(name):,} "
                f"characters long, more than the {MAX_NAME_CHARS:,} a column name may have "
                f"({name[:20]!r}…); if the first row holds data, not names, read the file "
                "with --no-header (header=False)"
            )
        seen.add(name)
    return chosen


def _row_numbers(cells: Sequence[str]) -> bool:
    """Whether the first rows' cells count 0, 1, 2, … or 1, 2, 3, … (two rows at least)."""
    cells = [cell.strip() for cell in cells[:SAMPLE_ROWS]]
    if len(cells) < 2 or not all(cell.isdigit() for cell in cells):
        return False
    start = int(cells[0])
    return start in (0, 1) and [int(c) for c in cells] == list(range(start, start + len(cells)))


def no_target(
    path: Path,
    target: str,
    columns: Sequence[str],
    dialect: Dialect,
    header: bool | None,
    names: Sequence[str] | None,
    sniffed: bool,
) -> str:
    """Why ``target`` is not a column, with what may have gone wrong in reading the file:
    no header row (given or detected), or no delimiter found."""
    if not dialect.header and names is None:
        listed = f"'{columns[0]}' … '{columns[-1]}'"
        if header is False:
            return (
                f"{path}: header=False needs names=[...] to name a target {target!r}; without "
                f"them the columns are named {listed}"
            )
        return (
            f"{path}: target {target!r} is not a column: the first row holds data, not names "
            f"(numbers above numbers), so the columns are named {listed}; if the first row "
            "does name them, set --header"
        )
    message = no_column(f"target {target!r}", str(path), columns)
    if len(columns) == 1 and sniffed:
        *some, last = DELIMITERS.values()
        tried = f"{', '.join(some)} or {last}"
        message += f" (no {tried} splits the lines into columns; set --delimiter)"
    return message
