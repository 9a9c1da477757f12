"""Tables from files that are not CSV: NumPy ``.npz`` archives and ``.npy`` arrays, and
Parquet files (with pandas and pyarrow), so that ``glassnet train``, ``predict`` and
``evaluate`` take them where they take a CSV file.

- ``.npz``: the arrays ``X`` ``(m, n)`` (columns ``x0 … x{n−1}``) and, if present, ``y``
  ``(m,)``, the target column ``y``; nothing is unpickled.
- ``.npy``: one 2-D array of numbers, columns ``column_1 … column_n``; the target is a
  column like any other (the last, unless named).
- ``.parquet``: the file's columns and their names, read by pandas.
- ``.xlsx``: an Excel workbook's first sheet, its first row the names, read by pandas with
  openpyxl (as a spreadsheet saves it, without an export to CSV).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .cells import ColumnKind, Filled, allow_mapped_columns, no_column, spill_buffer
from .frame import PANDAS_HINT, pandas, table_from_frame
from .npz import NPY_MAGIC, ZIP_MAGIC
from .table import Table

TABLE_SUFFIXES = (".npz", ".npy", ".parquet", ".xlsx")
"""The file types read here; any other file is read as CSV, but for the spreadsheets of
:data:`OTHER_SHEETS`, which are refused with what to do."""
OTHER_SHEETS = {
    ".xls": ("an Excel 97–2003 workbook", b"\xd0\xcf\x11\xe0"),  # OLE2 compound file
    ".ods": ("an OpenDocument spreadsheet", ZIP_MAGIC),
}
"""Spreadsheets not read, by suffix and first bytes (web exports name tab-separated text
``.xls``: that is read as CSV)."""
FRAME_READERS: dict[str, tuple[Callable[[Any, Path], Any], str, str, str]] = {
    ".parquet": (lambda pd, path: pd.read_parquet(path), "Parquet", "pyarrow", "parquet"),
    ".xlsx": (lambda pd, path: _first_sheet(pd, path), "Excel", "openpyxl", "excel"),
}
"""The files pandas reads: how, the format, the library it needs and glassnet's extra
that installs it."""


def is_table_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a ``.npz``, ``.npy``, ``.parquet`` or ``.xlsx`` file, not CSV."""
    suffix = Path(path).suffix.lower()
    if suffix in OTHER_SHEETS:
        what, magic = OTHER_SHEETS[suffix]
        with contextlib.suppress(OSError), open(path, "rb") as handle:
            if handle.read(len(magic)) == magic:
                raise ValueError(f"{path} is {what}: save it as .xlsx (Excel workbook) or as CSV")
    return suffix in TABLE_SUFFIXES


def load_table(
    path: str | os.PathLike[str],
    target: str | None = None,
    rows: Callable[[int], tuple[int, int]] | None = None,
    spill: Path | None = None,
    categorical: Sequence[str] | None = None,
) -> Table:
    """The table in a ``.npz``, ``.npy`` or ``.parquet`` file; ``target`` names its target
    column (default: ``y`` in an archive that has one, else none). ``rows(n)``, given the
    number of rows ``n``, may choose the rows ``[start, stop)`` to keep (one rank's shard):
    of a ``.npy`` file only those are read (it is memory-mapped); an archive's or a
    Parquet file's arrays are read whole, then cut. ``spill``: a folder where a ``.npy``
    file's columns are written as float64, a block of rows at a time, and mapped from (see
    :func:`~glassnet.data.load_csv`): the file is read once, in order, and each column can
    then be read on its own without reading the others. ``categorical``, to train on a
    workbook or a Parquet file: its columns kept as text though they hold mostly numbers
    (the others are refused so; see :func:`~glassnet.data.frame.table_from_frame`)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in FRAME_READERS:
        frame = _read_frame(path, suffix)
        table = table_from_frame(frame, target, source=str(path), categorical=categorical)
        return table if rows is None else table.take(np.arange(*rows(table.n_rows)))
    if suffix == ".npy" and spill is not None and rows is None:
        parsed: dict[str, tuple[ColumnKind, np.ndarray]] = {
            name: ("numeric", values) for name, values in _spilled_columns(path, spill)
        }
        if target is not None and target not in parsed:
            raise ValueError(no_column(f"target {target!r}", str(path), parsed))
        return Table.from_parsed(parsed, target, source=str(path))
    if suffix == ".npy":  # of a shard, only its rows are read, in order, once
        array = _npy_array(path, mapped=rows is not None)
        if rows is not None:
            array = np.array(array[slice(*rows(len(array)))])
        columns = {f"column_{j + 1}": array[:, j] for j in range(array.shape[1])}
    else:
        columns = _npz_columns(path)
        if rows is not None:
            start, stop = rows(len(next(iter(columns.values()))))
            columns = {name: np.array(values[start:stop]) for name, values in columns.items()}
    if target is None and suffix == ".npz" and "y" in columns:
        target = "y"
    return Table.from_columns(columns, target, source=str(path))


def _read_frame(path: Path, suffix: str) -> object:
    """A Parquet file or a workbook's first sheet as a pandas DataFrame."""
    read, kind, library, extra = FRAME_READERS[suffix]
    try:
        return read(pandas(), path)
    except ImportError as exc:
        raise ImportError(
            f"{path}: reading {kind} needs pandas and {library}: {PANDAS_HINT} and "
            f'pip install "glassnet[{extra}]"'
        ) from exc
    except (OSError, ValueError):
        raise
    except Exception as exc:  # a broken zip or XML inside the file: the library's words
        raise ValueError(
            f"{path}: not a readable {kind} file ({type(exc).__name__}: {exc})"
        ) from None


def _first_sheet(pd: Any, path: Path) -> Any:
    """A workbook's first sheet; a warning names the others, where there are any."""
    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = [str(name) for name in book.sheet_names]
        if len(names) > 1:
            warnings.warn(
                f"{path}: read its first sheet {names[0]!r} of {len(names)} ("
                + ", ".join(map(repr, names))
                + "); to read another, put it first or save it as CSV",
                stacklevel=4,
            )
        return pd.read_excel(book, sheet_name=0)


def _npz_columns(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as handle:
        if not handle.read(len(ZIP_MAGIC)).startswith(ZIP_MAGIC):
            raise ValueError(f"{path}: not a .npz archive (a zip file of arrays)")
    with np.load(path, allow_pickle=False) as archive:
        if "X" not in archive.files:
            raise ValueError(
                f"{path}: no array 'X'; the archive holds: {', '.join(archive.files) or 'nothing'}"
            )
        X = _numbers(archive, "X", path)
        y = _numbers(archive, "y", path) if "y" in archive.files else None
    X = X.reshape(len(X), -1) if X.ndim != 2 else X
    columns = {f"x{j}": X[:, j] for j in range(X.shape[1])}
    if y is not None:
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"{path}: 'y' must hold one value per row of 'X' ({len(X)}), got shape {y.shape}"
            )
        columns["y"] = y
    return columns


def _npy_array(path: Path, mapped: bool) -> np.ndarray:
    with path.open("rb") as handle:
        if not handle.read(len(NPY_MAGIC)).startswith(NPY_MAGIC):
            raise ValueError(f"{path}: not a .npy file")
    try:
        array = np.load(path, mmap_mode="r" if mapped else None, allow_pickle=False)
    except ValueError:
        message = f"{path}: holds pickled Python objects, which glassnet does not load"
        raise ValueError(message) from None
    if array.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array (rows, columns), got shape {array.shape}")
    return array


SPILL_VALUES = 1 << 20
"""Values of a ``.npy`` file turned into columns at a time (8 MiB of float64)."""


def _spilled_columns(path: Path, spill: Path) -> Iterator[tuple[str, np.ndarray]]:
    """The columns of the 2-D array in ``path`` as float64 files in ``spill``, mapped."""
    matrix = _npy_array(path, mapped=True)
    n_rows, n_columns = matrix.shape
    allow_mapped_columns(n_columns, f"{path}: {n_columns:,} columns")
    columns = [Filled(np.float64, 0, spill, spill_buffer(n_columns)) for _ in range(n_columns)]
    step = max(1, SPILL_VALUES // max(n_columns, 1))
    for start in range(0, n_rows, step):
        block = np.asarray(matrix[start : start + step], dtype=np.float64)  # rows, in order
        for j, column in enumerate(columns):
            column.append(block[:, j])
    return ((f"column_{j + 1}", column.array()) for j, column in enumerate(columns))


def _numbers(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    try:
        array = archive[key]
    except ValueError as exc:  # NumPy refuses object arrays when allow_pickle=False
        raise ValueError(
            f"{path}: array {key!r} holds pickled Python objects, which glassnet does not load"
        ) from exc
    return np.asarray(array)
