"""Identifier, date, free-text and constant columns are found and handled, not one-hot
encoded silently; ``drop=`` and ``id=`` from Python; the id beside each prediction; the
report lists every input column and what was done with it (issue 9, items 6 and 13)."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.data import DATE_FEATURES, date_features
from glassnet.tabular import Model

# A short, fixed run: no early stopping or refit (the defaults for a table of this size).
FEW = {"layers": [8], "epochs": 3, "batch_size": 16, "seed": 0, "early_stopping": 0, "refit": False}
WORDS = ["parcel", "arrived", "late", "and", "damaged", "great", "service", "again", "slow"]


def customers(n: int = 200, seed: int = 0) -> dict[str, list[object]]:
    rng = np.random.default_rng(seed)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 900, n)]
    spend = rng.normal(50, 10, n)
    return {
        "customer_id": [f"C{10_000 + 7 * i}" for i in range(n)],
        "signup": [d.strftime("%d/%m/%Y") for d in days],
        "comment": [
            " ".join(WORDS[(i * k + 3) % len(WORDS)] for k in range(1, 6)) + f" #{i}"
            for i in range(n)
        ],
        "country": ["FR"] * n,
        "plan": rng.choice(["basic", "plus", "pro"], n).tolist(),
        "spend": spend.tolist(),
        "churned": (spend + rng.normal(0, 5, n) < 50).astype(int).tolist(),
    }


@pytest.fixture(scope="module")
def pd():
    return pytest.importorskip("pandas", reason="the DataFrame tests need pandas")


@pytest.fixture(scope="module")
def model(pd) -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Model.fit(pd.DataFrame(customers()), "churned", **FEW)


def test_found_columns_are_handled_and_the_warning_says_how(pd) -> None:
    with pytest.warns(UserWarning) as caught:
        model = Model.fit(pd.DataFrame(customers()), "churned", **FEW)
    (message,) = [str(w.message) for w in caught if str(w.message).startswith("columns:")]
    assert "\n" not in message
    assert "'customer_id': the id, written beside each prediction" in message
    assert "'signup': dates (day/month/year) → 5 numbers" in message
    assert "'comment': dropped (free text: 200 distinct values" in message
    assert "'country': dropped (constant: every value is 'FR')" in message
    plan = model.columns
    assert plan is not None
    assert {c.name: c.use for c in plan.columns} == {
        "customer_id": "id",
        "signup": "date",
        "comment": "dropped",
        "country": "dropped",
        "plan": "feature",
        "spend": "feature",
    }
    expected = [f"signup.{name}" for name in DATE_FEATURES]
    expected += ["plan=basic", "plan=plus", "plan=pro", "spend"]
    assert model.preprocessor.feature_names_out == expected
    assert model.network.n_features == 9  # not 200 ids + 200 comments + …


def test_date_columns_become_the_numbers_of_their_dates(model) -> None:
    columns = customers(5, seed=9)
    rows = model.rows(columns)
    expected = date_features(columns["signup"], order="dmy")
    for name in DATE_FEATURES:
        np.testing.assert_array_equal(rows.features.values[f"signup.{name}"], expected[name])
    first = dt.datetime.strptime(columns["signup"][0], "%d/%m/%Y")
    assert rows.features.values["signup.month"][0] == first.month
    assert rows.features.values["signup.year"][0] == first.year
    # An ambiguous date reads as the training data wrote its dates: day first.
    ambiguous = {**columns, "signup": ["05/01/2021"] * 5}
    assert model.rows(ambiguous).features.values["signup.month"][0] == 1


def test_the_id_is_written_beside_each_prediction(pd, model) -> None:
    new = pd.DataFrame(customers(6, seed=3))
    predictions = model.predictions(new, proba=True)
    columns = predictions.columns()
    assert list(columns) == ["customer_id", "predicted_churned", "p(0)", "p(1)"]
    assert columns["customer_id"] == new["customer_id"].tolist()
    np.testing.assert_array_equal(columns["predicted_churned"], model.predict(new))
    assert predictions.to_frame().shape == (6, 4)
    # The id and the dropped columns may be absent from new data; the inputs may not.
    lean = new.drop(columns=["customer_id", "comment", "country", "churned"])
    np.testing.assert_array_equal(model.predict(lean), model.predict(new))
    assert model.predictions(lean).ids is None
    with pytest.raises(ValueError, match=r"lacks the column\(s\) 'signup' that the model needs"):
        model.predict(new.drop(columns="signup"))


def test_drop_and_id_from_python(pd, tmp_path) -> None:
    frame = pd.DataFrame(customers())
    frame["row"] = np.arange(len(frame)) * 3  # not an identifier by itself
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = Model.fit(frame, "churned", id="row", drop=["spend", "customer_id"], **FEW)
    notes = " ".join(str(w.message) for w in caught)
    assert "'row'" not in notes and "'spend'" not in notes  # asked for: nothing to say
    plan = model.columns
    assert plan.id_column == "row"
    uses = {c.name: (c.use, c.reason) for c in plan.columns}
    assert uses["spend"] == ("dropped", "as asked") and uses["row"] == ("id", "given as the id")
    assert "spend" not in model.preprocessor.feature_names_out
    loaded = Model.load(model.save(tmp_path / "churn.glassnet"))
    assert loaded.columns == plan
    assert loaded.predictions(frame.head(3)).columns()["row"] == [0, 3, 6]
    with pytest.raises(ValueError, match=r"'cost' \(in drop\) is not an input column;"):
        Model.fit(frame, "churned", drop=["cost"], **FEW)
    with pytest.raises(ValueError, match=r"'churned' \(in drop\) is not an input column but "
                       r"the target; the input columns are: 'customer_id', "):  # fmt: skip
        Model.fit(frame, "churned", drop=["churned"], **FEW)


def test_a_dropped_column_of_a_csv_file_is_not_parsed(tmp_path) -> None:
    """A word among numbers stops the reading of a column (test_csv_dialects); dropping
    that column is a way past it, and a name the file lacks is still refused."""
    rows = [f"{x % 10},{x * 2 + 1},{'a' if x % 2 else 'b'}" for x in range(40)]
    rows[7] = "7,1 304.4x,a"  # a typo in the column to drop
    path = tmp_path / "t.csv"
    path.write_text("x,typo,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"line 9, column 'typo': '1 304.4x' is not a number"):
        Model.fit(path, "y", **FEW)
    model = Model.fit(path, "y", drop=["typo"], **FEW)
    assert [(c.name, c.use) for c in model.columns.columns] == [
        ("x", "feature"),
        ("typo", "dropped"),
    ]
    assert model.predict(path).shape == (40,)  # the file with its typo, read as in training
    with pytest.raises(ValueError, match=r"'cost' \(in drop\) is not an input column"):
        Model.fit(path, "y", drop=["typo", "cost"], **FEW)


def test_a_csv_file_gives_the_same_plan_and_predictions(pd, model, tmp_path) -> None:
    frame = pd.DataFrame(customers())
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_file = Model.fit(path, "churned", **FEW)
    assert from_file.columns == model.columns
    np.testing.assert_array_equal(from_file.predict(path), model.predict(frame))
    assert from_file.predictions(path).columns()["customer_id"] == frame["customer_id"].tolist()


def test_the_report_lists_each_input_column_and_what_was_done(pd, tmp_path) -> None:
    path = tmp_path / "customers.csv"
    pd.DataFrame(customers()).to_csv(path, index=False)
    run = tmp_path / "run"
    flags = ["--epochs", "2", "--layers", "8", "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["train", str(path), "--target", "churned", "--out", str(run), *flags]) == 0
    page = (run / "report.html").read_text()
    table = page.split('<table id="input-columns">', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", table))
    assert list(rows) == ["customer_id", "signup", "comment", "country", "plan", "spend"]
    assert rows["customer_id"].startswith("the id: not a feature, written beside each prediction")
    assert rows["signup"].startswith("dates (day/month/year) → 5 numbers (year, month, day")
    assert rows["comment"].startswith("dropped: free text: 200 distinct values")
    assert rows["country"] == "dropped: constant: every value is &#x27;FR&#x27;"
    assert rows["plan"] == "categorical, one-hot encoded: 3 categories (basic, plus, pro)"
    model = Model.load(run / "model.glassnet")
    scaler = model.preprocessor.scaler_
    j = model.preprocessor.numeric_columns.index("spend")
    assert rows["spend"] == (
        f"numeric, missing values → the median {model.preprocessor.imputer_.medians_[j]:.4g}, "
        f"standardized (mean {scaler.mean_[j]:.4g}, std {scaler.scale_[j]:.4g})"
    )


def test_the_files_dialect_is_kept_with_the_model_and_reads_the_next_file(pd, tmp_path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"age": rng.integers(20, 60, 120), "weight": rng.normal(70, 9, 120)})
    frame["price"] = 10 * frame["age"] + 3 * frame["weight"] + rng.normal(0, 5, 120)
    path = tmp_path / "semicolons.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    model = Model.fit(path, "price", delimiter=";", **FEW)
    assert model.metadata["dialect"]["decimal"] == ","
    one = tmp_path / "one.csv"  # one row of integers and a decimal comma: no evidence alone
    one.write_text("age;weight;price\n40;71,5;1000\n")
    loaded = Model.load(model.save(tmp_path / "semicolons.glassnet"))
    assert loaded.rows(one).features.values["weight"].tolist() == [71.5]
    expected = model.predict(pd.DataFrame({"age": [40], "weight": [71.5]}))
    np.testing.assert_array_equal(loaded.predict(one), expected)


def test_nothing_to_learn_says_why_and_names_a_remedy_only_where_one_helps() -> None:
    labels = np.array(list("ab" * 20))
    empty = {"a": np.full(40, np.nan), "b": np.ones(40), "y": labels}
    with pytest.raises(ValueError) as nothing:
        Model.fit(empty, "y", **FEW)
    assert str(nothing.value).endswith(
        "no input column is left to learn from ('a': dropped (constant: every value is "
        "missing); 'b': dropped (constant: every value is 1))"
    )  # keeping a constant column would not help: no --categorical hint
    names = {"name": np.array([f"n{i}" for i in range(40)]), "y": labels}
    with pytest.raises(ValueError) as only_an_id:
        Model.fit(names, "y", **FEW)
    assert str(only_an_id.value).endswith(
        "(identifier: a different value in each of the 40 rows)); name the columns to keep "
        "with --categorical (categorical= in Python)"
    )


def test_a_typo_among_a_frame_s_numbers_is_refused_as_in_a_csv_file(pd) -> None:
    """Excel gives a cell typed '1O3' as text among numbers: one-hot encoding the column
    (21 features became 72 for a new user) would hide it; --categorical keeps it as text."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"magnesium": rng.integers(70, 160, 40).astype(object), "y": ["a", "b"] * 20}
    )
    frame.loc[7, "magnesium"] = "1O3"
    with pytest.raises(ValueError) as refused:
        Model.fit(frame, "y", **FEW)
    assert str(refused.value) == (
        "DataFrame, row 7 (from 0), column 'magnesium': '1O3' is not a number, though 39 of the "
        "column's 40 values are; fix it, leave it empty to mark it missing, or declare the "
        "column categorical (--categorical magnesium)"
    )
    kept = Model.fit(frame, "y", categorical=["magnesium"], **FEW)
    assert kept.columns.columns[0].reason.startswith("categorical:")
    frame["alcohol"] = rng.normal(13, 1, 40)
    left_out = Model.fit(frame, "y", drop=["magnesium"], **FEW)  # as a CSV file's: not read
    first = left_out.columns.columns[0]
    assert (first.name, first.use) == ("magnesium", "dropped")


def test_a_text_column_of_many_values_is_said(pd) -> None:
    """'$1,001.0' is text: 55 one-hot inputs from a price column must not go unsaid."""
    prices = [f"${1000 + 7 * (i % 55):,}.0" for i in range(60)]  # 55 values: not an id
    frame = pd.DataFrame({"price": prices, "y": ["a", "b"] * 30})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Model.fit(frame, "y", **FEW)
    notes = [str(w.message) for w in caught if str(w.message).startswith("columns:")]
    assert notes == [
        "columns: 'price': text with 55 distinct values → as many one-hot inputs (numbers "
        "written with a symbol are text: write them plainly)"
    ]
    few = pd.DataFrame({"colour": ["red", "blue", "green"] * 20, "y": ["a", "b"] * 30})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Model.fit(few, "y", **FEW)
    assert not [w for w in caught if str(w.message).startswith("columns:")]  # 3: nothing to say
