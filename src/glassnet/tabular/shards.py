"""A table file too large for one process, prepared by the ranks of an MPI job together.

Under ``mpiexec -n K`` every rank reads the file, but keeps only its shard of the rows:
``K`` consecutive parts, rank ``r`` the rows ``[r·n/K, (r+1)·n/K)``
(:func:`~glassnet.data.load_csv`'s ``rows``; a ``.npy`` file is memory-mapped, so only
those rows are read; an archive's arrays are read whole, then cut). Everything
:func:`~glassnet.tabular.prepare` decides from the rows is decided from every rank's
together, with collectives, so that the result is the one process's on the whole file:

- a column is text on every rank if it holds text on one (the ranks that read numbers
  turn them back into text);
- the task and the classes come from every rank's distinct target values
  (:func:`~glassnet.tabular.targets.encode_targets` with ``across``);
- each column's role (feature, date, identifier, constant, free text) is agreed
  (:meth:`Shards.roles`): a column constant on one shard but not on another is a feature;
- the validation split is drawn on the targets of all rows, which every rank gathers (one
  number per row: the features are never gathered);
- the preprocessing's medians, means, scales and categories are reductions over the ranks
  (:meth:`glassnet.data.Preprocessor.fit` with ``across``).

Each rank then transforms its own rows and writes them at their places in one float
matrix on disk, in a scratch folder beside the data file, which every rank maps into
memory (``np.load(mmap_mode="r")``): training reads from it only the rows of its shard
of each batch (:mod:`glassnet.distributed`). The folder must be one that every rank sees
(the data file's own is, when every rank can read the file); its files are deleted as soon
as every rank has mapped them, and vanish with the job.
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import ColumnRole, Table, column_roles
from ..data.columns import identifies_rows, may_identify_rows
from ..data.table import missing_mask
from ..distributed import Communicator
from .inputs import as_categorical, as_text_column, is_path


class Shards:
    """One rank's part in preparing a table file with the other ranks of ``comm``."""

    def __init__(self, comm: Communicator) -> None:
        self.comm = comm
        self.first = 0
        """The first of this rank's rows among every rank's kept rows (:meth:`joined`)."""
        self.n_mine = 0

    def rows(self, n_rows: int) -> tuple[int, int]:
        """This rank's rows ``[start, stop)`` of a file of ``n_rows`` data rows."""
        rank, size = self.comm.rank, self.comm.size
        if n_rows < size:
            raise ValueError(
                f"the file has {n_rows} data row(s), fewer than the {size} ranks: "
                "train it in one process"
            )
        return rank * n_rows // size, (rank + 1) * n_rows // size

    def same_kinds(self, table: Table) -> Table:
        """``table`` with a column of text where any rank read text in it: a shard of
        numbers does not make a column of words numeric."""
        kinds = {
            **table.kinds,
            **({table.target_name: table.target_kind} if table.target_name else {}),
        }
        text = set().union(
            *({n for n, k in r.items() if k == "categorical"} for r in self.comm.gather(kinds))
        )
        turned = [n for n in text if kinds.get(n) == "numeric"]
        if not turned:
            return table
        table = as_categorical(table, [n for n in turned if n in table.kinds])
        if table.target_name not in turned or table.target is None:
            return table
        return replace(table, target=as_text_column(table.target), target_kind="categorical")

    def roles(self, table: Table) -> dict[str, ColumnRole]:
        """Each feature column's role, agreed by every rank from its own shard's."""
        mine = column_roles(table)
        # The value of a constant column, and a categorical feature's categories, decide
        # too; the columns that may identify the rows are judged on all their values.
        seen = {
            name: _distinct(table.values[name])
            for name, role in mine.items()
            if role.role == "constant"
            or (role.role == "feature" and table.kinds[name] == "categorical")
        }
        maybe = {name for name in mine if _may_identify(name, table.values[name])}
        every = self.comm.gather((mine, seen, maybe))
        candidates = set.intersection(*(ids for _, _, ids in every))
        values = {n: set().union(*(c.get(n) or set() for _, c, _ in every)) for n in mine}
        agreed = {n: _merged(n, [r[n] for r, _, _ in every], values[n], table) for n in mine}
        judged = self._identifiers(
            {n: table.values[n] for n in sorted(candidates) if agreed[n].role in ID_OR_FEATURE}
        )
        for name, role in agreed.items():
            if name in judged:
                role = judged[name] or ColumnRole("feature", "numeric")
            elif role.role == "identifier":  # a value is missing or repeats on some shard
                role = ColumnRole("feature", "numeric")
            if role.role == "feature" and table.kinds[name] == "categorical":
                role = ColumnRole("feature", f"categorical: {len(values[name])} categories")
            agreed[name] = role
        return agreed

    def _identifiers(self, columns: dict[str, Array]) -> dict[str, ColumnRole | None]:
        """Of columns whose values differ within every shard, the identifiers: those whose
        values differ in the whole file too (text compared by 8-byte digests) and that
        meet one process's rule on all of them; ``None`` for the others. One gather."""
        keys = {
            name: values if values.dtype.kind == "f" else _digests(values)
            for name, values in columns.items()
        }
        every = self.comm.gather(keys)
        judged: dict[str, ColumnRole | None] = {}
        for name, values in columns.items():
            found = np.concatenate([rank[name] for rank in every])
            whole = np.unique(found).size == found.size
            if whole and identifies_rows(name, found, values.dtype.kind == "f"):
                judged[name] = ColumnRole(
                    "identifier", f"a different value in each of the {found.size} rows"
                )
            else:
                judged[name] = None
        return judged

    def joined(self, y: Array) -> Array:
        """Every rank's ``y`` in rank order (the file's order), on every rank; notes where
        this rank's rows are among them."""
        every = self.comm.gather(y)
        self.first = sum(len(part) for part in every[: self.comm.rank])
        self.n_mine = len(y)
        return np.concatenate(every)

    def mine(self, rows: Array) -> tuple[Array, Array]:
        """Of the rows ``rows`` of every rank (indices into :meth:`joined`), the places
        ``(k,)`` of this rank's and their indices ``(k,)`` into its own rows."""
        places = np.flatnonzero((rows >= self.first) & (rows < self.first + self.n_mine))
        return places, rows[places] - self.first

    def matrices(
        self,
        data_file: str,
        columns: tuple[int, Any],
        parts: list[tuple[Table | None, Array, int]],
        transform: Callable[[Table], Array],
        block_rows: int,
    ) -> list[Array | None]:
        """For each part ``(rows, places, n)``, the ``(n, width)`` matrix of every rank's
        rows (``None`` when ``n`` is 0): this rank writes ``transform`` of its ``rows``,
        ``block_rows`` at a time, at ``places``. ``columns``: the width and the dtype."""
        folder = self._scratch(data_file)
        paths = [folder / f"part{j}.npy" for j in range(len(parts))]
        width, dtype = columns
        try:
            if self.comm.is_root:
                for path, (_, _, n) in zip(paths, parts, strict=True):
                    if n:
                        np.lib.format.open_memmap(path, "w+", dtype, (n, width)).flush()
            self.comm.gather(None)  # the files exist
            for path, (rows, places, _) in zip(paths, parts, strict=True):
                if len(places):
                    assert rows is not None
                    written = np.lib.format.open_memmap(path, mode="r+")
                    for start in range(0, len(places), block_rows):
                        block = np.arange(start, min(start + block_rows, len(places)))
                        written[places[block]] = transform(rows.take(block))
                    written.flush()
                    del written
            self.comm.gather(None)  # every rank has written its rows
            matrices = [
                np.load(path, mmap_mode="r") if n else None
                for path, (_, _, n) in zip(paths, parts, strict=True)
            ]
            self.comm.gather(None)  # every rank has mapped them: the names may go
        except BaseException:  # Ctrl-C or an error while the files have names: remove them
            if self.comm.is_root:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        if self.comm.is_root:
            shutil.rmtree(folder)
        return matrices

    def _scratch(self, data_file: str) -> Path:
        """A new folder every rank sees: the system's temporary folder when every rank
        runs on this machine, else beside ``data_file`` (which every rank reads), when it
        may be written there; the other where the first cannot be written."""
        folder = None
        places = [Path(data_file).resolve().parent, Path(tempfile.gettempdir())]
        if self.comm.on_one_machine():
            places.reverse()  # leave the data's folder alone
        if self.comm.is_root:
            for place in places:
                try:
                    folder = tempfile.mkdtemp(prefix=".glassnet-shards-", dir=place)
                    break
                except OSError:
                    continue
        chosen = self.comm.agree(folder)
        if chosen is None:
            raise OSError(
                f"no folder to write the prepared rows of {data_file} in: neither beside it "
                "nor in the temporary folder (set TMPDIR to one every rank sees)"
            )
        if not Path(chosen).is_dir():  # made on rank 0's machine, not seen on this one
            raise OSError(
                f"rank {self.comm.rank} does not see the folder {chosen} that rank 0 made for "
                "the prepared rows: make the data file's folder writable, or set TMPDIR to a "
                "folder every rank sees"
            )
        return Path(chosen)


ID_OR_FEATURE = ("identifier", "feature")
"""The merged roles that one shard cannot settle: a value may repeat across shards."""


def _may_identify(name: str, values: Array) -> bool:
    """What one shard can tell of an identifier: no value missing, none repeated, and
    whole numbers counting up or a name that says id (a continuous column is never
    gathered)."""
    return (  # the vectorised tests first: a set of every value is the costly one
        not missing_mask(values).any()
        and may_identify_rows(name, values, values.dtype.kind == "f")
        and len(_distinct(values)) == len(values)
    )


def _digests(values: Array) -> Array:
    """An 8-byte digest of each value's text, to compare text across ranks cheaply."""
    joined = b"".join(hashlib.blake2b(str(v).encode(), digest_size=8).digest() for v in values)
    return np.frombuffer(joined, "<u8")


def _distinct(values: Array) -> set[Any]:
    present = values[~missing_mask(values)]
    return set(present.tolist()) if present.dtype.kind == "f" else {str(v) for v in present}


def _merged(name: str, found: list[ColumnRole], values: set[Any], table: Table) -> ColumnRole:
    """The role of column ``name`` on the whole file, from each shard's (``found``) and
    the ``values`` of the shards where it is constant or categorical."""
    varying = [role for role in found if role.role != "constant"]
    if not varying:  # constant on every shard: the same value on all?
        return found[0] if len(values) <= 1 else ColumnRole("feature", "numeric")
    kinds = {role.role for role in varying}
    if kinds == {"date"}:
        sure = {r.date_order for r in varying if "ambiguous" not in r.reason}
        if len(sure) > 1:
            raise ValueError(
                f"{table.source}: column {name!r} writes its dates in different orders in "
                f"different parts of the file ({', '.join(sorted(map(str, sure)))}); "
                f"fix the file, or leave the column out with --drop {shlex.quote(name)}"
            )
        return next((r for r in varying if "ambiguous" not in r.reason), varying[0])
    if len(kinds) == 1:
        return varying[0]
    if "text" in kinds:  # free text on one shard: one-hot codes of it teach nothing
        return next(r for r in varying if r.role == "text")
    # A shard with a repeated value, or with a value that is not a date, decides.
    return next((r for r in varying if r.role == "feature"), ColumnRole("feature", "mixed"))


def is_table_path(data: Any) -> bool:
    """Whether ``data`` is the path of a table file (CSV, ``.npy``, ``.npz``, Parquet),
    not a folder of images or data in memory."""
    return is_path(data) and Path(data).is_file()
