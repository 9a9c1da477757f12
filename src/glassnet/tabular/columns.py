"""What a tabular model does with each input column, decided once, kept with the model.

A table's columns are not all features. An identifier (a different value in each row), a
column of dates, free text or a constant, one-hot encoded, becomes hundreds of features that
teach nothing and fail on the next file's new values. :func:`plan_columns` decides, with
the reason in words, using :func:`~glassnet.data.column_roles`:

- ``feature``: kept as it is (numeric, scaled; categorical, one-hot encoded);
- ``date``: replaced by numbers (:data:`~glassnet.data.DATE_FEATURES`: year, month, day,
  day of the week, days since 1970), read in the order the training data writes them;
- ``id``: kept out of the features and written beside each prediction (``id=``, or the
  first column found to identify the rows);
- ``dropped``: left out, as asked (``drop=``), or because it is another identifier, free
  text or a constant.

The :class:`ColumnPlan` is stored in the model's metadata and applied to new data before
the preprocessing, so that prediction reads the same columns the same way.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

import numpy as np

from ..backend import Array
from ..data import (
    DATE_FEATURES,
    ColumnRole,
    MinMaxScaler,
    StandardScaler,
    Table,
    column_roles,
    date_features,
)
from ..data.table import ColumnKind

if TYPE_CHECKING:
    from ..data import Preprocessor

Use = Literal["feature", "date", "id", "dropped"]
SHOWN_VALUES = 10
"""The most values a message lists before it says how many more there are."""


def some_of(values: Sequence[Any]) -> str:
    """``values`` quoted for a message: the first :data:`SHOWN_VALUES`, then how many
    more there are (``'a', 'b', … and 25 more``)."""
    shown = ", ".join(map(repr, values[:SHOWN_VALUES]))
    return shown + (f" and {len(values) - SHOWN_VALUES} more" if len(values) > SHOWN_VALUES else "")


class UnseenCategoryWarning(UserWarning):
    """New data holds categories the model never saw in training (encoded as none)."""


MANY_CATEGORIES = 50
"""Above this many categories a kept text column is said: one input each makes a wide
network, and is often numbers that a symbol kept from being read as such."""


@dataclass(frozen=True)
class ColumnUse:
    """What the model does with one input column, and why (``reason``)."""

    name: str
    use: Use
    reason: str
    date_order: str | None = None
    """How a date column writes its dates (``"ymd"``, ``"dmy"``, ``"mdy"``)."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON data for the model's metadata."""
        data = {"name": self.name, "use": self.use, "reason": self.reason}
        return data if self.date_order is None else {**data, "date_order": self.date_order}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnUse:
        """The column use :meth:`to_dict` wrote."""
        use = data.get("use")
        if use not in get_args(Use):
            raise ValueError(f"column use must be one of {get_args(Use)}; got {use!r}")
        order = data.get("date_order")
        return cls(str(data["name"]), cast(Use, use), str(data["reason"]), order)


@dataclass(frozen=True)
class ColumnPlan:
    """Every input column of a model, in the training table's order, with its use."""

    columns: tuple[ColumnUse, ...]

    @property
    def names(self) -> list[str]:
        """All the input columns, in order (what an array of rows holds, column by column)."""
        return [c.name for c in self.columns]

    @property
    def inputs(self) -> list[str]:
        """The columns the model needs in new data: features and dates."""
        return [c.name for c in self.columns if c.use in ("feature", "date")]

    @property
    def ignored(self) -> list[str]:
        """Columns new data may hold that the model does not read: the id and the dropped."""
        return [c.name for c in self.columns if c.use in ("id", "dropped")]

    @property
    def id_column(self) -> str | None:
        """The column written beside each prediction, if any."""
        return next((c.name for c in self.columns if c.use == "id"), None)

    @property
    def dates(self) -> dict[str, str | None]:
        """Each date column and its order."""
        return {c.name: c.date_order for c in self.columns if c.use == "date"}

    @property
    def features(self) -> list[str]:
        """The columns :meth:`apply` hands the preprocessing, in order."""
        names: list[str] = []
        for use in self.columns:
            if use.use == "feature":
                names.append(use.name)
            elif use.use == "date":
                names += [f"{use.name}.{name}" for name in DATE_FEATURES]
        return names

    def apply(self, table: Table) -> Table:
        """``table``'s feature columns as the preprocessing takes them: dates replaced by
        their numbers (``signup.year``, …, ``signup.days``), ids and dropped columns gone."""
        parsed: dict[str, tuple[ColumnKind, Array]] = {}
        for use in self.columns:
            if use.use == "feature":
                parsed[use.name] = (table.kinds[use.name], table.values[use.name])
            elif use.use == "date":
                for name, values in _dates(table, use).items():
                    parsed[f"{use.name}.{name}"] = ("numeric", values)
        if table.target_name is not None and table.target is not None:
            assert table.target_kind is not None
            parsed[table.target_name] = (table.target_kind, table.target)
        return Table.from_parsed(parsed, table.target_name, source=table.source, lines=table.lines)

    def ids(self, table: Table) -> Array | None:
        """The id column's values ``(m,)`` in ``table``, if the plan has one and the table
        holds it."""
        name = self.id_column
        if name is None or name not in table.values:
            return None
        values = table.values[name]
        if table.kinds[name] == "numeric" and np.all(np.isnan(values) | (values % 1 == 0)):
            return np.array([None if np.isnan(v) else int(v) for v in values], dtype=object)
        return values

    def notes(self, skip: Collection[str] = ()) -> list[str]:
        """One line per column that is not kept as it is, saying what was done and why;
        none for the columns in ``skip`` (those the user named, who knows already)."""
        lines = []
        for c in self.columns:
            if c.name in skip:
                continue
            if c.use == "date":
                made = ", ".join(DATE_FEATURES)
                lines.append(f"{c.name!r}: {c.reason} → {len(DATE_FEATURES)} numbers ({made})")
            elif c.use == "id":
                lines.append(f"{c.name!r}: the id, written beside each prediction ({c.reason})")
            elif c.use == "dropped":
                lines.append(f"{c.name!r}: dropped ({c.reason})")
            elif (found := re.fullmatch(r"categorical: (\d+) categories", c.reason)) and int(
                found.group(1)
            ) > MANY_CATEGORIES:  # "$1,001.0": numbers a symbol keeps as text, say
                lines.append(
                    f"{c.name!r}: text with {found.group(1)} distinct values → as many one-hot "
                    "inputs (numbers written with a symbol are text: write them plainly)"
                )
        return lines

    def to_list(self) -> list[dict[str, Any]]:
        """As JSON data for the model's metadata."""
        return [c.to_dict() for c in self.columns]

    @classmethod
    def from_list(cls, data: Iterable[Mapping[str, Any]]) -> ColumnPlan:
        """The plan :meth:`to_list` wrote."""
        return cls(tuple(ColumnUse.from_dict(item) for item in data))


def _dates(table: Table, use: ColumnUse) -> dict[str, Array]:
    values = table.values[use.name]
    if table.kinds[use.name] == "numeric":  # an all-missing column reads as numbers
        if not np.isnan(values).all():
            raise ValueError(
                f"{table.source}: column {use.name!r} holds numbers, but the model was "
                "trained on dates in it"
            )
        return {name: np.full(len(values), np.nan) for name in DATE_FEATURES}
    try:
        return date_features(values, cast(Any, use.date_order))
    except ValueError as exc:
        raise ValueError(f"{table.source}, column {use.name!r}: {exc}") from None


def plan_columns(
    table: Table,
    *,
    drop: Sequence[str] = (),
    id: str | None = None,
    categorical: Sequence[str] = (),
    others: Sequence[str] = (),
    keep_constant: bool = False,
    roles: Mapping[str, ColumnRole] | None = None,
) -> ColumnPlan:
    """What to do with each feature column of ``table`` (see the module's rules).

    ``drop``: columns to leave out; ``id``: the column to keep beside each prediction;
    ``categorical``: columns the user declared categories, kept as features whatever they
    look like; ``others``: columns that are not inputs (more targets), left out unplanned;
    ``keep_constant``: keep constant columns as features (the pixels of an image that are
    0 in every row are still pixels: ``--input-shape`` lays out every column);
    ``roles``: each column's role, when found elsewhere (on every rank's rows, by
    :class:`~glassnet.tabular.shards.Shards`), rather than from ``table``.
    """
    names = [name for name in table.feature_names if name not in others]
    for what, given in (("drop", list(drop)), ("id", [] if id is None else [id])):
        unknown = list(dict.fromkeys(name for name in given if name not in names))
        if unknown:
            targets = [n for n in unknown if n == table.target_name or n in others]
            why = " but the target" if len(targets) == len(unknown) == 1 else ""
            raise ValueError(
                f"{table.source}: {', '.join(map(repr, unknown))} (in {what}) is not an input "
                f"column{why}; the input columns are: {', '.join(map(repr, names))}"
            )
    roles = column_roles(table) if roles is None else roles
    uses: list[ColumnUse] = []
    for name in names:
        role = roles[name]
        constant = role.role == "constant"
        if name == id:
            uses.append(ColumnUse(name, "id", "given as the id"))
        elif name in drop:
            uses.append(ColumnUse(name, "dropped", "as asked"))
        elif name in categorical or role.role == "feature" or (keep_constant and constant):
            uses.append(ColumnUse(name, "feature", role.reason))
        elif role.role == "date":
            uses.append(ColumnUse(name, "date", role.reason, role.date_order))
        elif role.role == "identifier" and id is None and not any(u.use == "id" for u in uses):
            uses.append(ColumnUse(name, "id", f"identifier: {role.reason}"))
        else:
            uses.append(ColumnUse(name, "dropped", _why_dropped(role.role, role.reason)))
    plan = ColumnPlan(tuple(uses))
    if not plan.inputs:
        # Naming a column keeps an identifier or free text as categories; a constant or
        # empty column holds nothing to learn, kept or not.
        chosen = [name for name in names if name not in drop and name != id]
        keepable = any(roles[name].role in ("identifier", "text") for name in chosen)
        raise ValueError(
            f"{table.source}: no input column is left to learn from ("
            + "; ".join(plan.notes())
            + (
                "); name the columns to keep with --categorical (categorical= in Python)"
                if keepable
                else ")"
            )
        )
    return plan


def _why_dropped(role: str, reason: str) -> str:
    if role == "text":
        return reason  # "free text: …" says it already
    what = "another identifier" if role == "identifier" else role
    return f"{what}: {reason}"


def describe_columns(
    plan: ColumnPlan | None, preprocessor: Preprocessor | None
) -> list[tuple[str, str]]:
    """``(column, what the model does with it)`` for each input column, in order: kept as
    numbers (missing values → the training median; scaled how), one-hot encoded (its
    categories), dates turned into numbers, the id, or dropped and why."""
    if preprocessor is None:
        return []
    uses = (
        plan.columns
        if plan is not None
        else tuple(
            ColumnUse(name, "feature", kind) for name, kind in (preprocessor.columns_ or {}).items()
        )
    )
    numeric = preprocessor.numeric_columns
    rows = []
    for use in uses:
        if use.use == "feature" and use.name in numeric:
            rows.append((use.name, _numeric(preprocessor, numeric.index(use.name))))
        elif use.use == "feature":
            categories = preprocessor.encoder_.categories_ or []
            known = categories[preprocessor.categorical_columns.index(use.name)]
            shown = ", ".join(known[:SHOWN_VALUES]) + (" …" if len(known) > SHOWN_VALUES else "")
            rows.append(
                (use.name, f"categorical, one-hot encoded: {len(known)} categories ({shown})")
            )
        elif use.use == "date":
            made = ", ".join(DATE_FEATURES)
            scaled = _scaled(preprocessor)
            rows.append(
                (use.name, f"{use.reason} → {len(DATE_FEATURES)} numbers ({made}), {scaled}")
            )
        elif use.use == "id":
            rows.append(
                (use.name, f"the id: not a feature, written beside each prediction ({use.reason})")
            )
        else:
            rows.append((use.name, f"dropped: {use.reason}"))
    return rows


def _scaled(preprocessor: Preprocessor) -> str:
    return {"standard": "standardized", "minmax": "scaled to [0, 1]"}.get(
        str(preprocessor.scale), "not scaled"
    )


def _numeric(preprocessor: Preprocessor, j: int) -> str:
    """How the ``j``-th numeric column is prepared, with the numbers learned in training."""
    medians = preprocessor.imputer_.medians_
    text = "numeric"
    if medians is not None:
        text += f", missing values → the median {medians[j]:.4g}"
    scaler = preprocessor.scaler_
    if isinstance(scaler, StandardScaler) and scaler.mean_ is not None:
        assert scaler.scale_ is not None
        return text + f", standardized (mean {scaler.mean_[j]:.4g}, std {scaler.scale_[j]:.4g})"
    if isinstance(scaler, MinMaxScaler) and scaler.min_ is not None:
        assert scaler.range_ is not None
        low, high = scaler.min_[j], scaler.min_[j] + scaler.range_[j]
        return text + f", scaled to [0, 1] (from [{low:.4g}, {high:.4g}])"
    return text + ", not scaled"


def warn_unseen_categories(preprocessor: Preprocessor, table: Table) -> None:
    """Warn, one line per column, about the categories of ``table`` that the preprocessing
    never saw in training (one-hot encoding gives them all zeros)."""
    categories = preprocessor.encoder_.categories_ or []
    for name, known in zip(preprocessor.categorical_columns, categories, strict=True):
        if name not in table.values or table.kinds[name] != "categorical":
            continue
        seen = set(known)
        unseen = sorted({str(v) for v in table.values[name].tolist() if v is not None} - seen)
        if unseen:
            warnings.warn(
                f"column {name!r} has {len(unseen)} value(s) not seen in training, encoded "
                f"as none of its categories: {some_of(unseen)}",
                UnseenCategoryWarning,
                stacklevel=5,
            )
