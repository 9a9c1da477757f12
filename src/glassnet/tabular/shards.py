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
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import ColumnRole, Table, column_roles
from ..data.columns import identifies_rows, may_identify_rows
from ..data.reduced import summed
from ..data.table import missing_mask
from ..distributed import Communicator
from .inputs import as_text_column, is_path


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
        values = {n: as_text_column(v) if n in turned else v for n, v in table.values.items()}
        target = table.target
        if table.target_name in turned and target is not None:
            target = as_text_column(target)
        return Table(
            table.feature_names,
            {n: "categorical" if n in turned else k for n, k in table.kinds.items()},
            values,
            table.target_name,
            target,
            "categorical" if table.target_name in turned else table.target_kind,
            table.source,
            table.dialect,
            table.lines,
        )

    def roles(self, table: Table) -> dict[str, ColumnRole]:
        """Each feature column's role, agreed by every rank from its own shard's."""
        mine = column_roles(table)
        # The value of a constant column, and a categorical feature's categories, decide
        # too (an identifier's values are compared apart, by digests: see _identifier).
        seen = {
            name: _distinct(table.values[name])
            for name, role in mine.items()
            if role.role == "constant"
            or (role.role == "feature" and table.kinds[name] == "categorical")
        }
        every = self.comm.gather((mine, seen))
        agreed = {}
        for name in mine:
            values = set().union(*(c.get(name) or set() for _, c in every))
            role = _merged(name, [r[name] for r, _ in every], values, table)
            if role.role in ("feature", "identifier"):  # does a value repeat in the file?
                role = self._identifier(name, table.values[name], role)
            if role.role == "feature" and table.kinds[name] == "categorical":
                role = ColumnRole("feature", f"categorical: {len(values)} categories")
            agreed[name] = role
        return agreed

    def _identifier(self, name: str, values: Array, role: ColumnRole) -> ColumnRole:
        """The role of column ``name``, a feature or an identifier on the shards, on the
        whole file: an identifier when no value is missing or repeats in the file (text is
        compared by 8-byte digests) and the rule of one process holds for all of them."""
        numeric = values.dtype.kind == "f"
        candidate = (  # what this shard can tell: a continuous column is never gathered
            not missing_mask(values).any()
            and len(_distinct(values)) == len(values)
            and may_identify_rows(name, values, numeric)
        )
        if not all(self.comm.gather(candidate)):
            return role if role.role == "feature" else ColumnRole("feature", "numeric")
        if numeric:
            mine = values
        else:
            digests = b"".join(
                hashlib.blake2b(str(v).encode(), digest_size=8).digest() for v in values
            )
            mine = np.frombuffer(digests, "<u8")
        every = np.concatenate(self.comm.gather(mine))
        if np.unique(every).size == every.size and identifies_rows(name, every, numeric):
            return ColumnRole("identifier", f"a different value in each of the {every.size} rows")
        return role if role.role == "feature" else ColumnRole("feature", "numeric")

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
        parts: list[tuple[Table | None, Array]],
        transform: Callable[[Table], Array],
    ) -> list[Array | None]:
        """For each part ``(rows, places)``, the matrix of every rank's rows: this rank
        writes ``transform(rows)`` at ``places``; ``None`` for a part with no row on any
        rank. ``columns``: the matrices' width and dtype."""
        folder = self._scratch(data_file)
        try:
            return self._written(folder, columns, parts, transform)
        except BaseException:  # Ctrl-C or an error while the files have names: remove them
            if self.comm.is_root:
                shutil.rmtree(folder, ignore_errors=True)
            raise

    def _written(
        self,
        folder: Path,
        columns: tuple[int, Any],
        parts: list[tuple[Table | None, Array]],
        transform: Callable[[Table], Array],
    ) -> list[Array | None]:
        matrices: list[Array | None] = []
        for j, (rows, places) in enumerate(parts):
            n_rows = int(summed(len(places), self.comm)[0])
            if n_rows == 0:
                matrices.append(None)
                continue
            path = folder / f"part{j}.npy"
            if self.comm.is_root:
                np.lib.format.open_memmap(path, "w+", columns[1], (n_rows, columns[0])).flush()
            self.comm.gather(None)  # the file exists
            if len(places):
                assert rows is not None
                written = np.lib.format.open_memmap(path, mode="r+")
                written[places] = transform(rows)
                written.flush()
                del written
            self.comm.gather(None)  # every rank has written its rows
            matrices.append(np.load(path, mmap_mode="r"))
            self.comm.gather(None)  # every rank has mapped them: the name may go
            if self.comm.is_root:
                path.unlink()
        if self.comm.is_root:
            os.rmdir(folder)
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
                f"fix the file, or leave the column out with --drop {name}"
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
