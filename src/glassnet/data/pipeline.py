"""The preprocessing of a whole :class:`Table`: median imputation and scaling of numeric
columns, one-hot encoding of categorical ones, fitted on training data only.
"""

from __future__ import annotations

import os
import shlex
from typing import Any, Literal

import numpy as np

from ..backend import Array
from . import reduced
from .preprocessing import MedianImputer, MinMaxScaler, OneHotEncoder, StandardScaler
from .reduced import Reducer
from .table import ColumnKind, Table

Scale = Literal["standard", "minmax"] | None
_FLOAT32_MAX = float(np.finfo(np.float32).max)

SCALERS: dict[str, type[StandardScaler] | type[MinMaxScaler]] = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
}
FORMAT_VERSION = 1
KINDS = ("numeric", "categorical")
TRANSFORM_ROWS = 1 << 16
"""At most this many rows are transformed at a time (:meth:`Preprocessor.transform_in_blocks`)."""
TRANSFORM_CELLS = 1 << 20
"""At most about this many output values are transformed at a time: a block's temporary
copies take a few tens of megabytes, however wide the table."""


class Preprocessor:
    """A table's feature columns to one float64 matrix ``(m, n_features_out)``.

    Numeric columns: NaN → the training median (:class:`MedianImputer`), then scaled by
    ``scale`` (``"standard"``, ``"minmax"`` or None). Categorical columns: one-hot
    (:class:`OneHotEncoder`; an unseen category and a missing value give all zeros).
    Output columns follow the table's column order, each categorical column expanded in
    place: ``feature_names_out`` names them (``ocean_proximity=INLAND``). Columns are
    matched by name; a table with a missing or an extra column is refused.
    """

    def __init__(self, scale: Scale = "standard") -> None:
        if scale is not None and scale not in SCALERS:
            raise ValueError(f"scale must be one of {[*SCALERS, None]}, got {scale!r}")
        self.scale = scale
        self.columns_: dict[str, ColumnKind] | None = None
        self.imputer_ = MedianImputer()
        self.scaler_: StandardScaler | MinMaxScaler | None = (
            None if scale is None else SCALERS[scale]()
        )
        self.encoder_ = OneHotEncoder()

    @property
    def numeric_columns(self) -> list[str]:
        """The numeric input columns, in order (pass as ``numeric=`` to ``load_csv``)."""
        return [name for name, kind in self._columns().items() if kind == "numeric"]

    @property
    def categorical_columns(self) -> list[str]:
        """The categorical input columns, in order (``categorical=`` of ``load_csv``)."""
        return [name for name, kind in self._columns().items() if kind == "categorical"]

    @property
    def feature_names_out(self) -> list[str]:
        """The name of each output column, e.g. ``["longitude", …, "ocean_proximity=INLAND"]``."""
        encoded = iter(self.encoder_.feature_names_out(self.categorical_columns))
        names: list[str] = []
        for name, kind in self._columns().items():
            if kind == "numeric":
                names.append(name)
            else:
                names += [next(encoded) for _ in self._categories(name)]
        return names

    @property
    def n_features_out(self) -> int:
        """The number of output columns."""
        return len(self.feature_names_out)

    def fit(self, table: Table, across: Reducer | None = None) -> Preprocessor:
        """Learn medians, scales and categories from the training ``table``.

        ``across``: the ranks of an MPI job (a :class:`glassnet.distributed.Communicator`),
        each holding its shard of the training rows in ``table``; the statistics are then
        those of every rank's rows together, computed with reductions (:mod:`.reduced`).
        """
        n_rows = table.n_rows if across is None else int(reduced.summed(table.n_rows, across)[0])
        if not table.feature_names:
            raise ValueError(f"{table.source}: the table has no feature columns")
        if n_rows == 0:
            raise ValueError(f"{table.source}: the table has no rows")
        self.columns_ = {name: table.kinds[name] for name in table.feature_names}
        if across is not None:
            numeric = self._numeric_block(table)
            medians = reduced.medians(numeric, across)
            self.imputer_.medians_ = medians
            np.copyto(numeric, medians, where=np.isnan(numeric))  # this method's own copy
            self._fit_across(numeric, table, across)
            return self
        # A column at a time: of a table of a gigabyte (or one mapped from disk, larger than
        # memory), this holds one column's copy, never a copy of the table.
        stats = np.array([self._column_statistics(name, table) for name in self.numeric_columns])
        median, mean, spread, low, high = stats.reshape(-1, 5).T
        self.imputer_.medians_ = median
        if isinstance(self.scaler_, StandardScaler):
            self.scaler_.fitted_to(mean, spread, low, high)
        elif isinstance(self.scaler_, MinMaxScaler):
            self.scaler_.fitted_to(low, high)
        self.encoder_.fit(self._categorical_block(table))
        return self

    def _column_statistics(self, name: str, table: Table) -> tuple[float, ...]:
        """``(median, mean, std, min, max)`` of numeric column ``name`` (missing values
        imputed with the median, as :meth:`transform` imputes them), after refusing a
        column with no value, an infinite one (naming its line), or values so large that
        their variance overflows float64 (σ would be inf, x/σ 0)."""
        source = table.source
        column = np.array(table.values[name], dtype=np.float64)  # contiguous: our own copy
        missing = np.isnan(column)
        if missing.all():
            raise ValueError(
                f"{source}: numeric column {name!r} has no values (all missing); drop it"
            )
        if np.isinf(column).any():
            row = int(np.argmax(np.isinf(column)))
            raise ValueError(
                f"{source}, {table.where(row)}: numeric column {name!r} is "
                f"{column[row]}; a feature must be a finite number or missing"
            )
        median = float(np.median(column[~missing])) if missing.any() else float(np.median(column))
        column[missing] = median
        with np.errstate(over="ignore", invalid="ignore"):
            spread = float(column.std())
        if not np.isfinite(spread):
            self._too_large(name, float(np.abs(column).max()), source)
        return median, float(column.mean()), spread, float(column.min()), float(column.max())

    def _too_large(self, name: str, peak: float, source: str | None) -> None:
        raise ValueError(
            f"{source}: numeric column {name!r} holds values up to {peak:.3g}, "
            "too large to standardize (their variance overflows float64): rescale "
            f"the column, or leave it out with --drop {shlex.quote(name)}"
        )

    def _fit_across(self, numeric: Array, table: Table, across: Reducer) -> None:
        """The scaler and the encoder fitted on every rank's rows (``numeric`` imputed with
        the medians of all of them), with one process's checks on all of them."""
        names = self.numeric_columns
        assert self.imputer_.medians_ is not None
        for j in np.flatnonzero(np.isnan(self.imputer_.medians_)):
            raise ValueError(
                f"{table.source}: numeric column {names[j]!r} has no values (all missing); drop it"
            )
        low, high = reduced.extremes(numeric, across)
        for j in np.flatnonzero(np.isinf(low) | np.isinf(high)):
            raise ValueError(f"{table.source}: numeric column {names[j]!r} contains inf")
        if isinstance(self.scaler_, MinMaxScaler):
            self.scaler_.fitted_to(low, high)
        mean, spread = reduced.mean_and_std(numeric, across)
        for j in np.flatnonzero(~np.isfinite(spread)):
            self._too_large(names[j], float(max(abs(low[j]), abs(high[j]))), table.source)
        if isinstance(self.scaler_, StandardScaler):
            self.scaler_.fitted_to(mean, spread, low, high)
        self.encoder_.categories_ = reduced.categories(self._categorical_block(table), across)

    def transform(self, table: Table) -> Array:
        """The float64 matrix ``(m, n_features_out)`` of ``table``'s feature columns."""
        self._check_columns(table)
        numeric = self.imputer_.transform(self._numeric_block(table))
        if self.scaler_ is not None:
            with np.errstate(over="ignore"):
                numeric = self.scaler_.transform(numeric)
        self._check_range(numeric, table)
        encoded = self.encoder_.transform(self._categorical_block(table))
        blocks: list[Array] = []
        n_used = k_used = 0
        for name, kind in self._columns().items():
            if kind == "numeric":
                blocks.append(numeric[:, n_used : n_used + 1])
                n_used += 1
            else:
                width = len(self._categories(name))
                blocks.append(encoded[:, k_used : k_used + width])
                k_used += width
        return np.hstack(blocks)

    @property
    def block_rows(self) -> int:
        """Rows transformed at a time: :data:`TRANSFORM_CELLS` output values at most (and
        :data:`TRANSFORM_ROWS`), so that a block's copies stay small however wide."""
        return max(1, min(TRANSFORM_ROWS, TRANSFORM_CELLS // max(1, self.n_features_out)))

    def transform_in_blocks(
        self, table: Table, dtype: Any = None, out: str | os.PathLike[str] | None = None
    ) -> Array:
        """:meth:`transform` of ``table`` as ``dtype`` (default: float64, as it comes),
        computed a block of rows at a time into one array: in memory, or a ``.npy`` file
        ``out`` written block by block (a full disk is an OSError, not a crash of a write
        through a mapping) and mapped, read-only, from there."""
        block = self.block_rows
        n_rows, kind = table.n_rows, np.dtype(np.float64 if dtype is None else dtype)
        if n_rows <= block and out is None:
            return self.transform(table).astype(kind, copy=False)
        starts = range(0, n_rows, block)
        parts = (self.transform(table.take(np.arange(i, min(i + block, n_rows)))) for i in starts)
        shape = (n_rows, self.n_features_out)
        if out is None:
            X = np.empty(shape, kind)
            for start, part in zip(starts, parts, strict=True):
                X[start : start + len(part)] = part
            return X
        with open(out, "wb") as file:
            header = {"descr": np.lib.format.dtype_to_descr(kind), "fortran_order": False}
            np.lib.format.write_array_header_1_0(file, {**header, "shape": shape})
            for part in parts:
                np.ascontiguousarray(part, dtype=kind).tofile(file)  # no copy of a ready block
        return np.load(out, mmap_mode="r")

    def fit_transform(self, table: Table) -> Array:
        """``fit(table)`` then ``transform(table)``."""
        return self.fit(table).transform(table)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: the columns and kinds, and each fitted part's ``to_dict``."""
        columns = self._columns()
        return {
            "type": "Preprocessor",
            "version": FORMAT_VERSION,
            "scale": self.scale,
            "columns": [{"name": name, "kind": kind} for name, kind in columns.items()],
            "imputer": self.imputer_.to_dict(),
            "scaler": None if self.scaler_ is None else self.scaler_.to_dict(),
            "encoder": self.encoder_.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessor:
        """The preprocessor that ``to_dict`` described."""
        keys = {"type", "version", "scale", "columns", "imputer", "scaler", "encoder"}
        if not isinstance(data, dict) or data.get("type") != "Preprocessor":
            raise ValueError("Preprocessor.from_dict: expected a dict with type 'Preprocessor'")
        if missing := sorted(keys - set(data)):
            raise ValueError(f"Preprocessor.from_dict: missing key(s) {missing}")
        if data["version"] != FORMAT_VERSION:
            raise ValueError(
                f"Preprocessor.from_dict: format version {data['version']!r} is not "
                f"supported (this glassnet reads version {FORMAT_VERSION})"
            )
        columns = data["columns"]
        if not isinstance(columns, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str) and c.get("kind") in KINDS
            for c in columns
        ):
            raise ValueError(
                "Preprocessor.from_dict: 'columns' must be a list of "
                '{"name": str, "kind": "numeric" | "categorical"}'
            )
        if data["scale"] is not None and data["scale"] not in SCALERS:
            raise ValueError(
                f"Preprocessor.from_dict: 'scale' must be one of {sorted(SCALERS)} or null, "
                f"got {data['scale']!r}"
            )
        processor = cls(data["scale"])
        processor.columns_ = {c["name"]: c["kind"] for c in columns}
        processor.imputer_ = MedianImputer.from_dict(data["imputer"])
        if processor.scale is not None:
            processor.scaler_ = SCALERS[processor.scale].from_dict(data["scaler"])
        processor.encoder_ = OneHotEncoder.from_dict(data["encoder"])
        n_numeric, n_categorical = (
            len(processor.numeric_columns),
            len(processor.categorical_columns),
        )
        if (
            processor.imputer_.medians_ is not None
            and len(processor.imputer_.medians_) != n_numeric
        ):
            raise ValueError(
                f"Preprocessor.from_dict: {n_numeric} numeric columns but "
                f"{len(processor.imputer_.medians_)} medians"
            )
        if len(processor.encoder_.categories_ or []) != n_categorical:
            raise ValueError(
                f"Preprocessor.from_dict: {n_categorical} categorical columns but "
                f"{len(processor.encoder_.categories_ or [])} category lists"
            )
        return processor

    def _columns(self) -> dict[str, ColumnKind]:
        if self.columns_ is None:
            raise RuntimeError("Preprocessor is not fitted yet; call fit first")
        return self.columns_

    def _categories(self, name: str) -> list[str]:
        categories = self.encoder_.categories_
        assert categories is not None, "the encoder is fitted with the preprocessor"
        return categories[self.categorical_columns.index(name)]

    def _check_columns(self, table: Table) -> None:
        """Refuse a table whose columns differ by name or kind from the training table's."""
        fitted = self._columns()
        for name in fitted:
            if name not in table.kinds:
                raise ValueError(
                    f"{table.source}: missing column {name!r}, which the preprocessor was "
                    f"fitted on; expected columns: {list(fitted)}"
                )
        for name in table.feature_names:
            if name not in fitted:
                hint = " (if it is the target, name it as target)" if table.target is None else ""
                raise ValueError(
                    f"{table.source}: unexpected column {name!r}, which the preprocessor was "
                    f"not fitted on; drop it{hint}"
                )
        for name, kind in fitted.items():
            column = table.values[name]
            found = table.kinds[name]
            # An all-missing column reads as numeric; it is fine where a category is expected.
            if found != kind and not (kind == "categorical" and np.isnan(column).all()):
                raise ValueError(
                    f"{table.source}: column {name!r} is {found} here but was {kind} when "
                    f"fitted; read the file with load_csv(..., {kind}=[{name!r}])"
                )

    def _check_range(self, numeric: Array, table: Table) -> None:
        """Refuse a value that the network's float32 cannot hold once scaled (it would
        turn into inf there, and every prediction into NaN), naming its column and row."""
        with np.errstate(invalid="ignore"):
            beyond = ~(np.abs(numeric) <= _FLOAT32_MAX)
        if beyond.any():
            row, j = (int(i) for i in np.argwhere(beyond)[0])
            name = self.numeric_columns[j]
            raw = float(self._numeric_block(table.take([row]))[0, j])
            raise ValueError(
                f"{table.source}: numeric column {name!r}, {table.where(row)}: the value "
                f"{raw:.6g} is too large for this model (scaled, it is {numeric[row, j]:.3g}; "
                f"the network's float32 holds up to {_FLOAT32_MAX:.3g})"
            )

    def _numeric_block(self, table: Table) -> Array:
        names = self.numeric_columns
        if not names:
            return np.zeros((table.n_rows, 0))
        block = np.column_stack([table.values[name] for name in names])
        return block.astype(np.float64, copy=False)

    def _categorical_block(self, table: Table) -> Array:
        block = np.empty((table.n_rows, len(self.categorical_columns)), dtype=object)
        for j, name in enumerate(self.categorical_columns):
            column = table.values[name]
            block[:, j] = [None] * len(column) if table.kinds[name] == "numeric" else column
        return block
