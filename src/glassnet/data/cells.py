"""From a CSV file's cells to named columns, for :func:`~glassnet.data.load_csv`.

The column names (from the header row, from ``names``, or ``column_1`` … for a file
without one), numbers in either decimal mark with their missing values, and the errors
that name the file, the line and the column when a value does not fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ..backend import Array
from .dialect import DELIMITERS, NUMERIC_MISSING, SAMPLE_ROWS, Dialect

Rows = Sequence[tuple[int, list[str]]]
"""``(line number, fields)`` of each row of a file."""

MOSTLY_NUMERIC = 0.95
MOSTLY_NUMERIC_MIN = 20
"""A column of at least 20 values of which at least 95 % are numbers is numeric with a
typo, not categorical: :func:`~glassnet.data.load_csv` names the stray value instead of
guessing."""


def no_column(what: str, source: str, available: Iterable[str]) -> str:
    """``source: <what> is not a column; the columns are: 'a', 'b', …``."""
    columns = ", ".join(repr(column) for column in available)
    return f"{source}: {what} is not a column; the columns are: {columns}"


def parse_numeric(
    cells: Sequence[str], missing: frozenset[str], number: Callable[[str], float]
) -> Array | None:
    """The cells as float64 (NaN where missing), or None if one is not a number.

    ``-`` and ``.`` (:data:`NUMERIC_MISSING`) are missing beside at least one number; a
    column of them alone is not numeric.
    """
    parsed = np.empty(len(cells), np.float64)
    numbers = dashes = 0
    for i, cell in enumerate(cells):
        if cell in missing:
            parsed[i] = math.nan
        elif cell in NUMERIC_MISSING:
            parsed[i] = math.nan
            dashes += 1
        else:
            try:
                parsed[i] = number(cell)
            except ValueError:
                return None
            numbers += 1
    return None if dashes and not numbers else parsed


def categorical_column(cells: Sequence[str], missing: frozenset[str]) -> Array:
    """The cells as an object array of ``str``, None where missing."""
    column = np.empty(len(cells), dtype=object)
    column[:] = [None if cell in missing else cell for cell in cells]
    return column


def _is_number(cell: str, missing: frozenset[str], number: Callable[[str], float]) -> bool:
    if cell in missing or cell in NUMERIC_MISSING:
        return True
    try:
        number(cell)
        return True
    except ValueError:
        return False


def check_words(
    path: Path,
    name: str,
    data: Rows,
    cells: Sequence[str],
    missing: frozenset[str],
    number: Callable[[str], float],
    forced: bool,
) -> None:
    """Refuse the words of a column that must hold numbers (``forced``) or that almost
    all does, naming the file, the line and the column; let any other column be."""
    bad = [
        (line, cell)
        for (line, _), cell in zip(data, cells, strict=True)
        if not _is_number(cell, missing, number)
    ]
    present = sum(cell not in missing and cell not in NUMERIC_MISSING for cell in cells)
    (line, word), others = bad[0], len(bad) - 1
    more = f" ({others} more value(s) in the column are not numbers either)" if others else ""
    where = f"{path}, line {line}, column {name!r}: {word!r} is not a number"
    if forced:
        raise ValueError(
            f"{where}, but the column must hold numbers{more}; fix it, or leave it empty "
            "to mark it missing"
        )
    if present >= MOSTLY_NUMERIC_MIN and len(bad) <= (1 - MOSTLY_NUMERIC) * present:
        # Almost all numbers: a typo is likelier than a column of categories.
        raise ValueError(
            f"{where}, though {present - len(bad)} of the column's {present} values are"
            f"{more}; fix it, leave it empty to mark it missing, or declare the column "
            f"categorical (--categorical {name})"
        )


def column_names(
    path: Path, found: Rows, header: bool, names: Sequence[str] | None, strip: bool
) -> list[str]:
    """The names of the columns: ``names``, else the header row's (an unnamed first
    column of row numbers, as pandas and R write their index, is ``index``), else
    ``column_1``, ``column_2``, …"""
    width = len(found[0][1])
    if header and names is not None and len(names) != width:
        raise ValueError(
            f"{path}: names has {len(names)} entries, but the header has {width} columns"
        )
    if names is not None:
        chosen = list(names)
    elif header:
        chosen = list(found[0][1])
        if not chosen[0].strip() and _row_numbers([fields[0] for _, fields in found[1:]]):
            chosen[0] = "index"
    else:
        chosen = [f"column_{j + 1}" for j in range(width)]
    chosen = [name.strip() if strip else name for name in chosen]
    for j, name in enumerate(chosen):
        if not name:
            raise ValueError(f"{path}: column {j + 1} of the header has no name; pass names=")
        if name in chosen[:j]:
            raise ValueError(f"{path}: column name {name!r} appears more than once")
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
