"""Decimal marks: numbers written ``3.14`` or ``3,14``, and which of the two a file uses.

A file from a spreadsheet in much of Europe writes ``3,14`` (and ``1.234,5`` for 1234.5);
:func:`number_parser` reads either way, and :class:`DecimalScan` finds which one a file's
numbers show, row by row over the whole file, a chunk of rows at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

# A number with a decimal comma, optionally with points or spaces (a no-break space, a
# narrow one: French spreadsheets) between groups of three digits ("1.234.567,5",
# "3 078,5"), the same mark throughout; the first group does not start with 0, so "0.500"
# is a decimal point.
_GROUPS = "(?:[1-9]\\d{{0,2}}(?:({marks})\\d{{3}})(?:\\1\\d{{3}})*|\\d*)"
_SPACES = " \u00a0\u202f"
_COMMA_NUMBER = re.compile(
    r"[+-]?" + _GROUPS.format(marks=f"[.{_SPACES}]") + r"(?:,\d*)?(?:[eE][+-]?\d+)?"
)
# A number with a decimal point whose thousands are grouped by commas ("1,610.5"): what
# float() does not read. Not by spaces: "555 123" beside decimal points is more often a
# phone number or a code than a number.
_GROUPED_POINT_NUMBER = re.compile(
    r"[+-]?" + _GROUPS.format(marks=",") + r"(?:\.\d*)?(?:[eE][+-]?\d+)?"
)
_POINT_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS_COMMAS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+")
_THOUSANDS_POINTS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+")
_SPECIAL = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"})


def _comma_float(cell: str) -> float:
    """A number written with a decimal comma (``"1.234,5"`` is 1234.5), or ValueError."""
    text = cell.strip()
    if _COMMA_NUMBER.fullmatch(text) and any(c.isdigit() for c in text):
        return float(re.sub(f"[.{_SPACES}]", "", text).replace(",", "."))
    if text.lower() in _SPECIAL:
        return float(text)
    raise ValueError(f"could not convert string to float: {cell!r}")


def point_float(cell: str) -> float:
    """A number written with a decimal point, its thousands perhaps grouped by commas
    (``"1,610.5"`` is 1610.5), or ValueError."""
    try:
        return float(cell)
    except ValueError:
        text = cell.strip()
        if "," not in text or not _GROUPED_POINT_NUMBER.fullmatch(text):  # words: no regex
            raise
        return float(text.replace(",", ""))


FLOAT_FIRST = (float, point_float)
"""The parsers that read whatever ``float()`` reads as it does (a chunk of cells may be
converted at once, then cell by cell where that fails)."""


def number_parser(decimal: str) -> Callable[[str], float]:
    """The function that reads a number written with this decimal mark (ValueError if not)."""
    return point_float if decimal == "." else _comma_float


def detect_decimal(
    path: Path, found: Sequence[tuple[int, list[str]]], delimiter: str, names: Sequence[str]
) -> str:
    """``","`` if the numbers of these rows are written with decimal commas, else ``"."``.

    Evidence for commas is a number like ``3,14`` (in a file separated by commas, a quoted
    one, not grouped in thousands like ``"1,234"``); evidence for points is a number like
    ``2.5`` that is not a thousands grouping like ``1.234``. Both at once is a ValueError
    that names one of each, except in a file separated by commas, where a quoted ``"3,5"``
    beside decimal points is text.
    """
    scan = DecimalScan(path, delimiter, names)
    if found:
        lines = [line for line, _ in found]
        width = max(len(row) for _, row in found)
        padded = [row + [""] * (width - len(row)) for _, row in found]
        scan.feed(list(zip(*padded, strict=True)), lines)
    return scan.decimal


Evidence = tuple[int, int, str]
"""``(line, column index, cell)`` of a number that shows its decimal mark."""


class DecimalScan:
    """:func:`detect_decimal` over a whole file, fed its columns a chunk of rows at a time
    (:meth:`feed`); :attr:`decimal` is the answer for the rows fed so far."""

    def __init__(self, path: Path, delimiter: str, names: Sequence[str]) -> None:
        self.path, self.delimiter, self.names = path, delimiter, names
        self.comma: Evidence | None = None
        self.point: Evidence | None = None
        self.grouped: Evidence | None = None  # a number like 1.001: 1001, or 1 and a bit

    @property
    def decimal(self) -> str:
        """``","`` when only decimal commas were seen, or, in a file separated by
        semicolons (as spreadsheets write it where the comma is the decimal mark), when
        no mark was seen but numbers grouped by points (``1.001``); else ``"."``."""
        if self.point is not None:
            return "."
        grouped = self.delimiter == ";" and self.grouped is not None
        return "," if self.comma is not None or grouped else "."

    @property
    def done(self) -> bool:
        """Whether no more rows can change the answer (both marks, in a comma file)."""
        return self.comma is not None and self.point is not None

    def feed(self, columns: Sequence[Sequence[str]], lines: Sequence[int]) -> None:
        """Look at a chunk of rows, given column by column, with the line of each row."""
        # A mark found in an earlier chunk came first; within this one, the first in row
        # order is the one with the smallest (line, column).
        comma, point = self.comma is None, self.point is None
        if not (comma or point):
            return
        for j, cells in enumerate(columns):
            joined = "\x00".join(cells)  # searched at C speed: most chunks have no mark
            if comma and "," in joined:
                self.comma = _first(self.comma, cells, lines, j, ",", self._is_comma)
            if point and "." in joined:
                self.point = _first(self.point, cells, lines, j, ".", _point_evidence)
                if self.grouped is None:
                    self.grouped = _first(None, cells, lines, j, ".", _grouped_by_points)
        if self.done and self.delimiter != ",":
            assert self.comma is not None and self.point is not None
            raise ValueError(
                f"{self.path}: both decimal commas ({self._where(self.comma)}) and decimal "
                f"points ({self._where(self.point)}); set --decimal to say which"
            )

    def _is_comma(self, cell: str) -> bool:
        return _comma_evidence(cell, self.delimiter)

    def _where(self, evidence: Evidence) -> str:
        line, j, cell = evidence
        column = self.names[j] if j < len(self.names) else f"column {j + 1}"
        return f"{cell!r}, line {line}, column {column!r}"


def _first(
    found: Evidence | None,
    cells: Sequence[str],
    lines: Sequence[int],
    j: int,
    mark: str,
    shows: Callable[[str], bool],
) -> Evidence | None:
    """The earlier of ``found`` and the first cell of column ``j`` that ``shows`` the mark."""
    for line, cell in zip(lines, cells, strict=True):
        if found is not None and (line, j) >= found[:2]:
            break
        if mark in cell and shows(cell.strip()):
            return (line, j, cell.strip())
    return found


def _comma_evidence(cell: str, delimiter: str) -> bool:
    return (
        _COMMA_NUMBER.fullmatch(cell) is not None
        and any(c.isdigit() for c in cell)
        and (delimiter != "," or not _THOUSANDS_COMMAS.fullmatch(cell))
    )


def _grouped_by_points(cell: str) -> bool:
    return _THOUSANDS_POINTS.fullmatch(cell) is not None


def _point_evidence(cell: str) -> bool:
    return _POINT_NUMBER.fullmatch(cell) is not None and not _COMMA_NUMBER.fullmatch(cell)


def parses(number: Callable[[str], float], cell: str) -> bool:
    try:
        number(cell)
        return True
    except ValueError:
        return False


def is_number(cell: str) -> bool:
    """Whether ``cell`` is a number with either decimal mark."""
    return parses(point_float, cell) or parses(_comma_float, cell)
