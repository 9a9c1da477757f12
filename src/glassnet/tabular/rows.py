"""The rows a trained model takes: new data read as the training data was (:func:`read_rows`).

A model matches columns by name and refuses a missing or an unknown one, naming it; the
columns it was told to leave out (its id, dropped ones) and its targets may be present or
not. A NumPy array has no names: its columns are the model's input columns in the training
table's order (for a model trained on an array, ``x0``, ``x1``, …). Dates become their
numbers and every column gets the kind the model was trained on before the preprocessing
sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Array
from ..data import Table, load_csv
from ..data.frame import column
from ..data.table import ColumnKind, missing_mask, read_header
from .columns import ColumnPlan, some_of
from .inputs import as_text_column, from_parsed, is_array, is_path, matrix, source_of, table_in

if TYPE_CHECKING:
    from ..data import Preprocessor


@dataclass(frozen=True)
class Rows:
    """Rows of data as a model takes them.

    ``features``: a :class:`Table` of the model's input columns (a model with
    preprocessing) or the network's input array ``(m, n_0)`` (a model of numbers alone);
    ``target``: the target column ``(m,)`` where the data has it, or ``(m, k)`` for ``k``
    targets, else ``None``; ``ids``: the values of the model's id column ``(m,)`` where the
    data has it.
    """

    features: Table | Array
    target: Array | None
    target_name: str | None
    source: str
    ids: Array | None = None

    def __len__(self) -> int:
        if isinstance(self.features, Table):
            return self.features.n_rows
        return len(self.features)

    def take(self, rows: Sequence[int] | Array) -> Rows:
        """These rows only (indices or a boolean mask), in that order."""
        index = np.asarray(rows, dtype=np.intp) if len(rows) == 0 else np.asarray(rows)
        features = (
            self.features.take(index)
            if isinstance(self.features, Table)
            else np.asarray(self.features)[index]
        )
        target = None if self.target is None else self.target[index]
        ids = None if self.ids is None else self.ids[index]
        return Rows(features, target, self.target_name, self.source, ids)

    def labelled(self, reason: str = "") -> Rows:
        """The rows that have a target (every target, for several); a ValueError (ending
        in ``reason``) when the data has no target column."""
        if self.target is None:
            raise ValueError(
                f"{self.source} has no target column {self.target_name!r}"
                + (f" {reason}" if reason else "")
            )
        return self.take(np.flatnonzero(~missing_rows(self.target)))


def missing_rows(target: Array) -> Array:
    """Where a row's target ``(m,)`` or any of its targets ``(m, k)`` is missing, ``(m,)``."""
    if target.ndim == 1:
        return missing_mask(target)
    return np.array([any(_missing(v) for v in row) for row in target.tolist()], dtype=bool)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def read_rows(
    data: Any,
    *,
    preprocessor: Preprocessor | None,
    target: str | Sequence[str] | None,
    n_features: int,
    delimiter: str | None = None,
    plan: ColumnPlan | None = None,
    dialect: Mapping[str, Any] | None = None,
) -> Rows:
    """``data``'s rows as a model with this ``preprocessor`` (or, without one, a network
    of ``n_features`` inputs) takes them, with the ``target`` column(s) if present.

    ``plan``: what the model does with each input column (dates to numbers, ids and
    dropped columns left out); ``delimiter`` or ``dialect``: how a CSV file is written.
    Columns are matched by name; a missing or an unknown column is a ValueError naming
    it, and so is a column of text where the model expects numbers.
    :meth:`glassnet.tabular.Model.rows` calls this with its own.
    """
    targets = [] if target is None else [target] if isinstance(target, str) else list(target)
    source = str(data) if is_path(data) else source_of(data)
    if preprocessor is None:
        return _numeric_rows(data, targets, n_features, delimiter, dialect, source)
    fitted = preprocessor.columns_
    assert fitted is not None, "a model's preprocessing is fitted"
    names = plan.names if plan is not None else list(fitted)
    needed, optional = columns_needed(preprocessor, plan, targets)
    dates = plan.dates if plan is not None else {}
    if is_path(data):
        header = read_header(data, delimiter, dialect=dialect)
        if not header:
            raise ValueError(f"{source} is empty: no header row")
        check_columns(header, needed, optional, source)
        dropped = [] if plan is None else [c.name for c in plan.columns if c.use == "dropped"]
        kinds = {**fitted, **dict.fromkeys([*dates, *dropped], "categorical")}  # text: unparsed
        table = load_csv(
            data,
            next((t for t in targets if t in header), None),
            delimiter=delimiter,
            dialect=dialect,
            categorical=[n for n in header if kinds.get(n) == "categorical"] or None,
            numeric=[n for n in header if kinds.get(n) == "numeric"] or None,
        )
    elif is_array(data) and not isinstance(data, Table):
        X = matrix(data, "X")
        if X.shape[1] != len(names):
            raise ValueError(
                f"X has {X.shape[1]} columns, but the model takes {len(names)}: "
                + ", ".join(map(repr, names))
            )
        table = from_parsed({name: column(X[:, j]) for j, name in enumerate(names)}, None, "X")
    else:
        table = table_in(data, targets[0] if targets else None, source)
        check_columns(list(table.feature_names), needed, optional, source)
    truth = _targets(table, targets)
    ids = None if plan is None else plan.ids(table)
    if plan is not None:
        table = plan.apply(_only(table, needed))
    table = _coerce(table, fitted, source)
    return Rows(table, truth, ", ".join(targets) or None, source, ids)


def _targets(table: Table, targets: Sequence[str]) -> Array | None:
    """The target column ``(m,)``, or the targets ``(m, k)`` as objects, where present."""
    if len(targets) == 1:
        return table.target if table.target_name == targets[0] else None
    found: dict[str, Array] = dict(table.values)
    if table.target_name is not None and table.target is not None:
        found[table.target_name] = table.target
    if not targets or any(name not in found for name in targets):
        return None
    stacked = np.empty((table.n_rows, len(targets)), dtype=object)
    for j, name in enumerate(targets):
        stacked[:, j] = found[name].tolist()
    return stacked


def _only(table: Table, names: Sequence[str]) -> Table:
    return Table(
        tuple(names),
        {n: table.kinds[n] for n in names},
        {n: table.values[n] for n in names},
        source=table.source,
        lines=table.lines,  # so that a message can name the line of the file
    )


def columns_needed(
    preprocessor: Preprocessor, plan: ColumnPlan | None, targets: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The columns a model with this ``preprocessor`` and ``plan`` needs in new data, and
    those it takes if present (the ``targets``, and the columns it leaves out)."""
    fitted = list(preprocessor.columns_ or ())
    needed = plan.inputs if plan is not None else fitted
    return list(needed), [*targets, *(plan.ignored if plan is not None else [])]


def check_columns(
    found: Sequence[str], needed: Sequence[str], optional: Sequence[str], source: str
) -> None:
    """Refuse columns ``found`` that lack one ``needed``, or hold one neither needed nor
    ``optional``, naming them."""
    missing = [name for name in needed if name not in found]
    extra = [name for name in found if name not in needed and name not in optional]
    if missing:
        raise ValueError(f"{source} lacks the column(s) {some_of(missing)} that the model needs")
    if extra:
        raise ValueError(f"{source} has column(s) the model does not know: {some_of(extra)}")


def _coerce(table: Table, expected: Mapping[str, ColumnKind], source: str) -> Table:
    """``table`` with each column of the kind the model was trained on: numbers where it
    expects categories become text (``3`` → ``"3"``); text where it expects numbers must
    parse as numbers, as ``load_csv(numeric=…)`` would read it from a file."""
    kinds, values = dict(table.kinds), dict(table.values)
    for name, kind in expected.items():
        if kinds[name] == kind:
            continue
        if kind == "categorical":
            values[name] = as_text_column(values[name])
        else:
            values[name] = _numbers(values[name], name, source)
        kinds[name] = kind
    return Table(
        tuple(expected),
        kinds,
        values,
        table.target_name,
        table.target,
        table.target_kind,
        source,
        lines=table.lines,
    )


def _numbers(text: Array, name: str, source: str) -> Array:
    numbers = np.empty(len(text), dtype=np.float64)
    for i, value in enumerate(text):
        try:
            numbers[i] = np.nan if value is None else float(value)
        except ValueError:
            raise ValueError(
                f"{source}, column {name!r}, row {i} (from 0): {value!r} is not a number, "
                "but the model was trained on numbers in this column"
            ) from None
    return numbers


def _numeric_rows(
    data: Any,
    targets: Sequence[str],
    width: int,
    delimiter: str | None,
    dialect: Mapping[str, Any] | None,
    source: str,
) -> Rows:
    """Rows for a model of numbers alone (no preprocessing): every column but the target."""
    target = targets[0] if targets else None
    if is_array(data) and not isinstance(data, Table):
        return Rows(np.asarray(data), None, target, source)
    if is_path(data):
        header = read_header(data, delimiter, dialect=dialect)
        if not header:
            raise ValueError(f"{source} is empty: no header row")
        present = target if target in header else None
        table = load_csv(data, present, delimiter=delimiter, dialect=dialect)
    else:
        table = table_in(data, target, source)
    if len(table.feature_names) != width:
        raise ValueError(
            f"{source} has {len(table.feature_names)} feature column(s), but the model takes "
            f"{width} numbers per row (it was trained on arrays, not on a CSV's columns)"
        )
    for name in table.feature_names:
        if table.kinds[name] != "numeric":
            raise ValueError(f"{source}: column {name!r} holds text; the model takes numbers")
    X = np.column_stack([table.values[name] for name in table.feature_names])
    truth = table.target if table.target_name == target else None
    return Rows(X, truth, target, source)
