"""What each column of a table is for: a feature, or a column a model should not take as is.

One-hot encoding a column of customer ids, dates or sentences turns every row into a
category of its own: many features, nothing learned, and a model that fails on the next
file's new values. :func:`column_roles` finds such columns, with the reason in words, so
that the caller can drop them, keep an identifier beside each prediction, or turn dates
into numbers with :func:`~glassnet.data.dates.date_features`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

import numpy as np

from ..backend import Array
from .dates import ORDERS, DateOrder, detect_dates
from .table import Table, missing_mask

Role = Literal["feature", "identifier", "date", "text", "constant"]
"""``feature``: a column to learn from as it is; ``identifier``: a different value in
each row (a key, kept out of the features); ``date``: dates, to become numbers;
``text``: free text (many long, distinct values with spaces); ``constant``: one value
(or none), which tells nothing."""

ID_MIN_ROWS = 20
"""Fewer rows than this prove little: a column with a different value in each is an
identifier only when its name says so (``id``, ``customer_id``, ``PassengerId``, …)."""
TEXT_MIN_LENGTH = 20
"""Free text is at least this many characters long on average…"""
TEXT_MIN_DISTINCT = 0.5
"""…with at least this fraction of its values distinct, and spaces in most of them."""

_ID_NAME = re.compile(r"(?:^|[^a-z0-9])(?:id|key|uuid|guid|index)(?:$|[^a-z0-9])", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z](?:Id|ID)$")


@dataclass(frozen=True)
class ColumnRole:
    """What a column is for (:data:`Role`), the ``reason`` in words, and for a date
    column the order its dates are written in (``"ymd"``, ``"dmy"`` or ``"mdy"``)."""

    role: Role
    reason: str
    date_order: DateOrder | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON data, for a model's metadata or a report."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnRole:
        """The role :meth:`to_dict` wrote."""
        if data.get("role") not in get_args(Role):
            raise ValueError(
                f"role must be one of {', '.join(map(repr, get_args(Role)))}; "
                f"got {data.get('role')!r}"
            )
        return cls(data["role"], str(data["reason"]), data.get("date_order"))


def looks_like_an_id(name: str) -> bool:
    """Whether a column's name says it identifies rows: ``id``, ``customer_id``,
    ``PassengerId``, ``row key``, ``uuid``, ``index``, …"""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


def column_roles(table: Table) -> dict[str, ColumnRole]:
    """The role of each feature column of ``table`` (not its target), in column order.

    - ``constant``: every present value is the same, or none is present;
    - ``date``: every present value is a date (:func:`~glassnet.data.detect_dates`);
    - ``text``: text of at least :data:`TEXT_MIN_LENGTH` characters on average, mostly
      with spaces, at least :data:`TEXT_MIN_DISTINCT` of it distinct;
    - ``identifier``: a different value in each row, none missing: text, or integers
      that count up one by one (row numbers); with fewer than :data:`ID_MIN_ROWS` rows, or
      other integers, only when the name says so (:func:`looks_like_an_id`);
    - ``feature``: any other column.
    """
    return {name: _role(name, table.values[name]) for name in table.feature_names}


def _role(name: str, values: Array) -> ColumnRole:
    missing = missing_mask(values)
    present = values[~missing]
    if len(present) == 0:
        return ColumnRole("constant", "every value is missing")
    numeric = values.dtype.kind == "f"
    distinct = np.unique(present) if numeric else np.unique(present.astype(str))
    if len(distinct) == 1:
        or_missing = " (or missing)" if missing.any() else ""
        return ColumnRole("constant", f"every value is {_show(distinct[0])!r}{or_missing}")
    if not numeric:
        found = detect_dates(present)
        if found is not None:
            written = "dates and times" if found.time else "dates"
            reason = f"{written} ({ORDERS[found.order]})"
            if found.ambiguous:
                reason = (
                    f"{written} (ambiguous: every day and month is 12 or less, "
                    f"so read as {ORDERS[found.order]})"
                )
            return ColumnRole("date", reason, found.order)
        lengths = np.array([len(text) for text in present])
        spaced = np.mean([" " in text.strip() for text in present])
        if (
            lengths.mean() >= TEXT_MIN_LENGTH
            and spaced >= 0.5
            and len(distinct) >= TEXT_MIN_DISTINCT * len(present)
        ):
            return ColumnRole(
                "text",
                f"free text: {len(distinct)} distinct values in {len(present)} rows, "
                f"{lengths.mean():.0f} characters long on average",
            )
    rows = len(values)
    if len(distinct) == rows and identifies_rows(name, present, numeric):
        return ColumnRole("identifier", f"a different value in each of the {rows} rows")
    if numeric:
        return ColumnRole("feature", "numeric")
    return ColumnRole("feature", f"categorical: {len(distinct)} categories")


def identifies_rows(name: str, present: Array, numeric: bool) -> bool:
    """Whether a column with a different value in each row identifies its rows."""
    enough = looks_like_an_id(name) or len(present) >= ID_MIN_ROWS
    return enough and may_identify_rows(name, present, numeric)


def may_identify_rows(name: str, present: Array, numeric: bool) -> bool:
    """What part of the rows can tell of :func:`identifies_rows` (all but their number):
    whole numbers, with a name that says id or counting up one by one; or text."""
    if numeric and not np.all(present == np.round(present)):
        return False  # measurements, not keys
    if looks_like_an_id(name):
        return True
    if numeric:  # row numbers count up one by one; other integers may be measurements
        ordered = np.sort(present)
        return bool(np.all(np.diff(ordered) == 1))
    return True


def _show(value: Any) -> Any:
    """A value as a message shows it: ``1`` for the number 1.0."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value
