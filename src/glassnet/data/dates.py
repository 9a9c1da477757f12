"""Columns of dates as the numbers a network can learn from.

A date written as text (``2024-02-29``, ``29/02/2024``, ``2/29/2024 1:15 PM``) means
nothing to one-hot encoding: each day becomes a category of its own, seen once. Its
year, month, day, day of the week and its distance in days from 1970-01-01 are numbers
that carry its meaning: :func:`date_features` computes them, and :func:`detect_dates`
says whether a column holds dates and in which order it writes day and month.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from ..backend import Array

DateOrder = Literal["ymd", "dmy", "mdy"]
ORDERS: dict[str, str] = {"ymd": "year-month-day", "dmy": "day/month/year", "mdy": "month/day/year"}
"""How each order is written out, for messages."""
DATE_FEATURES = ("year", "month", "day", "day_of_week", "days")
"""The features :func:`date_features` gives: calendar fields as written, the day of the
week (Monday 0), and ``days`` since 1970-01-01 00:00 UTC (a fraction carries the time)."""

_TIME = (
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?"
    r"\s*([AaPp][Mm])?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_YEAR_FIRST = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME)
_YEAR_LAST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DateFormat:
    """How a column writes its dates: ``order`` of year, month and day; ``ambiguous`` when
    day and month could be either way round (each is 12 or less), so day first was
    chosen; ``time`` when some values carry a time of day."""

    order: DateOrder
    ambiguous: bool = False
    time: bool = False


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _order_of(texts: Sequence[str]) -> tuple[DateOrder, bool] | None:
    """The order the day-and-month-first values need, and whether it is a guess: None
    when one value needs day first and another month first."""
    firsts, seconds = [], []
    for text in texts:
        match = _YEAR_LAST.fullmatch(text)
        if match:
            firsts.append(int(match[1]))
            seconds.append(int(match[2]))
    if not firsts:
        return "ymd", False
    day_first, month_first = max(firsts) > 12, max(seconds) > 12
    if day_first and month_first:
        return None
    return ("mdy" if month_first else "dmy"), not (day_first or month_first)


def parse_date(text: str, order: DateOrder) -> dt.datetime | None:
    """``text`` as a date and time (with its time zone, if written), or None if it is not
    one in this ``order``; a value in year-month-day order reads in any order."""
    text = text.strip()
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    else:
        match = _YEAR_LAST.fullmatch(text)
        if match is None or order == "ymd":
            return None
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day, month = (first, second) if order == "dmy" else (second, first)
    hour, minute, second_, fraction, meridiem, zone = match.groups()[3:]
    hours = int(hour or 0)
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
    try:
        return dt.datetime(
            year,
            month,
            day,
            hours,
            int(minute or 0),
            int(second_ or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:
        return None  # a day, month or hour out of range


def _zone(text: str | None) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt.timezone(-offset if text[0] == "-" else offset)


def detect_dates(values: Sequence[Any] | Array) -> DateFormat | None:
    """How the present values of a column write their dates, or None when they are not
    all dates (or none is present, or one is not text).

    ``2024-02-29`` (ISO, with an optional time and zone) reads as year-month-day;
    ``29/02/2024`` or ``2/29/2024`` as day first when a first part exceeds 12, month
    first when a second part does, and day first (``ambiguous``) when neither does.
    """
    present = [value for value in values if not _is_missing(value)]
    if not present or not all(isinstance(value, str) for value in present):
        return None
    found = _order_of(present)
    if found is None:
        return None
    order, ambiguous = found
    parsed = [parse_date(text, order) for text in present]
    if any(when is None for when in parsed):
        return None
    time = any(
        (match := _YEAR_FIRST.fullmatch(text.strip()) or _YEAR_LAST.fullmatch(text.strip()))
        and match[4] is not None
        for text in present
    )
    return DateFormat(order, ambiguous, time)


def date_features(
    values: Sequence[Any] | Array, order: DateOrder | None = None
) -> dict[str, Array]:
    """The numeric features of a column of dates: ``{name: (m,) float64}`` for each name
    of :data:`DATE_FEATURES`, NaN where a value is missing (None or NaN).

    ``year``, ``month`` (1-12), ``day`` (1-31) and ``day_of_week`` (Monday 0) are the
    calendar date as written; ``days`` is the time since 1970-01-01 00:00 UTC in days,
    a value with a time zone converted to UTC, one without read as UTC. ``order`` says
    how day-and-month-first values are written (default: as :func:`detect_dates`
    finds them); a value that is not a date in it is a ValueError naming it.
    """
    if order is not None and order not in get_args(DateOrder):
        raise ValueError(
            f"order must be one of {', '.join(map(repr, get_args(DateOrder)))}; got {order!r}"
        )
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if order is None:
        found = _order_of([value for value in items if isinstance(value, str)])
        order = "dmy" if found is None else found[0]
    features = {name: np.full(len(items), np.nan) for name in DATE_FEATURES}
    for i, value in enumerate(items):
        if _is_missing(value):
            continue
        when = parse_date(value, order) if isinstance(value, str) else None
        if when is None:
            raise ValueError(f"value {i}, {value!r}, is not a date (read as {ORDERS[order]})")
        features["year"][i] = when.year
        features["month"][i] = when.month
        features["day"][i] = when.day
        features["day_of_week"][i] = when.weekday()
        utc = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        features["days"][i] = (utc - _EPOCH).total_seconds() / 86_400
    return features
