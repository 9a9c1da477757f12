"""Column roles (identifier, date, free text, constant) and date features (issue 9, item 6).

Hand-made columns with known answers; date features checked against Python's ``datetime``
and, where installed, pandas.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from glassnet import data as gd

N = 30
RNG = np.random.default_rng(0)
DAYS = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in RNG.integers(0, 1500, N)]
WORDS = ["the", "parcel", "arrived", "late", "and", "damaged", "great", "service", "again"]


def sentence(i: int) -> str:
    return " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 7)) + f" ({i})"


def table() -> gd.Table:
    columns = {
        "id": list(range(1, N + 1)),
        "customer_id": [f"C{1000 + 7 * i}" for i in range(N)],
        "income": RNG.permutation(np.arange(20_000, 20_000 + 97 * N, 97)).tolist(),
        "signup": [d.isoformat() for d in DAYS],
        "visit": [d.strftime("%d/%m/%Y") for d in DAYS],
        "us_visit": [d.strftime("%m/%d/%Y") for d in DAYS],
        "either": [f"{1 + i % 12:02d}/{1 + i % 11:02d}/2021" for i in range(N)],
        "stamp": [f"{d.isoformat()} {i % 24:02d}:{i:02d}:00" for i, d in enumerate(DAYS)],
        "comment": [sentence(i) for i in range(N)],
        "country": ["FR"] * (N - 2) + [None, None],
        "empty": [None] * N,
        "one": [1.0] * N,
        "color": ["red", "green", "blue"] * (N // 3),
        "x": RNG.normal(size=N).tolist(),
        "y": [0, 1] * (N // 2),
    }
    return gd.Table.from_columns(columns, target="y")


def test_column_roles_of_hand_made_columns() -> None:
    roles = gd.column_roles(table())
    assert "y" not in roles  # the target is not a feature column
    expected = {
        "id": "identifier", "customer_id": "identifier", "income": "feature",
        "signup": "date", "visit": "date", "us_visit": "date", "either": "date",
        "stamp": "date", "comment": "text", "country": "constant", "empty": "constant",
        "one": "constant", "color": "feature", "x": "feature",
    }  # fmt: skip
    assert {name: role.role for name, role in roles.items()} == expected
    assert roles["signup"].date_order == "ymd" and roles["stamp"].date_order == "ymd"
    assert roles["visit"].date_order == "dmy" and roles["us_visit"].date_order == "mdy"
    assert roles["either"].date_order == "dmy"  # every part is 12 or less: day first, said
    assert "ambiguous" in roles["either"].reason
    assert roles["id"].reason == "a different value in each of the 30 rows"
    assert roles["country"].reason == "every value is 'FR' (or missing)"
    assert roles["empty"].reason == "every value is missing"
    assert "30 distinct values" in roles["comment"].reason
    assert roles["color"].reason == "categorical: 3 categories"
    assert roles["x"].reason == "numeric"
    assert all(role.date_order is None for name, role in roles.items() if role.role != "date")
    for role in roles.values():
        assert gd.ColumnRole.from_dict(role.to_dict()) == role


def test_small_tables_and_duplicates_are_not_identifiers() -> None:
    few = gd.Table.from_columns({"color": ["red", "green", "blue"], "key": ["a", "b", "c"]})
    roles = gd.column_roles(few)
    assert roles["color"].role == "feature"  # unique, but 3 rows prove nothing
    assert roles["key"].role == "identifier"  # ... unless the name says so
    twice = gd.Table.from_columns({"id": [*range(N - 1), 0]})
    assert gd.column_roles(twice)["id"].role == "feature"
    mixed = gd.Table.from_columns({"d": ["13/01/2021", "01/13/2021"] * 15})
    assert gd.column_roles(mixed)["d"].role == "feature"  # no one order reads both


def test_date_features_known_answers() -> None:
    features = gd.date_features(["2024-02-29", None, "1970-01-01T12:00:00", "31/12/1999"])
    assert tuple(features) == gd.DATE_FEATURES
    nan = np.nan
    np.testing.assert_array_equal(features["year"], [2024, nan, 1970, 1999])
    np.testing.assert_array_equal(features["month"], [2, nan, 1, 12])
    np.testing.assert_array_equal(features["day"], [29, nan, 1, 31])
    np.testing.assert_array_equal(features["day_of_week"], [3, nan, 3, 4])  # Monday is 0
    days = (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
    np.testing.assert_array_equal(features["days"], [days, nan, 0.5, 10_956])


def test_date_features_with_times_zones_and_us_order() -> None:
    features = gd.date_features(
        ["2024-01-01T00:00:00+02:00", "2024-01-01 06:30", "1/31/2024 1:15 PM"], order="mdy"
    )
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    expected = [
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.datetime(2024, 1, 1, 6, 30, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 31, 13, 15, tzinfo=dt.UTC),
    ]
    days = [(t - epoch).total_seconds() / 86_400 for t in expected]
    np.testing.assert_allclose(features["days"], days, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(features["month"], [1, 1, 1])
    np.testing.assert_array_equal(features["day"], [1, 1, 31])


def test_date_features_match_pandas() -> None:
    pd = pytest.importorskip("pandas", reason="the cross-check reads the dates with pandas")
    text = [d.strftime("%d/%m/%Y") for d in DAYS]
    features = gd.date_features(text, order="dmy")
    stamps = pd.to_datetime(pd.Series(text), format="%d/%m/%Y")
    np.testing.assert_array_equal(features["year"], stamps.dt.year)
    np.testing.assert_array_equal(features["month"], stamps.dt.month)
    np.testing.assert_array_equal(features["day"], stamps.dt.day)
    np.testing.assert_array_equal(features["day_of_week"], stamps.dt.day_of_week)
    since = (stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    np.testing.assert_array_equal(features["days"], since)


def test_date_features_refuse_what_is_not_a_date() -> None:
    with pytest.raises(ValueError, match=r"value 1, '2024-13-01', is not a date \(read as year-month-day\)"):  # fmt: skip
        gd.date_features(["2024-01-01", "2024-13-01"])
    with pytest.raises(ValueError, match=r"value 0, '31/01/2024', is not a date \(read as month/day/year\)"):  # fmt: skip
        gd.date_features(["31/01/2024"], order="mdy")
    with pytest.raises(ValueError, match=r"order must be one of 'ymd', 'dmy', 'mdy'; got 'ydm'"):
        gd.date_features(["2024-01-01"], order="ydm")  # type: ignore[arg-type]
