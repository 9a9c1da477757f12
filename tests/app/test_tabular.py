"""The tabular model: fit on a DataFrame, a CSV file, a Table or arrays, and predict,
evaluate and save the same way, with the options of the one table."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import Table, load_csv
from glassnet.tabular import Model, load_checkpoint, prepare, training_settings
from glassnet.training import Checkpoint
from glassnet.training.options import DEFAULTS
from glassnet.training.row_defaults import defaults_for_rows, with_row_defaults

PANDAS = "the DataFrame tests need pandas (the test extra installs it)"
# A short, fixed run: no early stopping or refit (the defaults for a table of this size).
FEW = {
    "layers": [12],
    "epochs": 4,
    "batch_size": 16,
    "seed": 3,
    "early_stopping": 0,
    "refit": False,
}


def flower_columns(n: int = 240, seed: int = 0) -> dict[str, list[object]]:
    """Two numeric columns (one value missing), a categorical one (one missing), string
    labels of 3 classes (two missing)."""
    rng = np.random.default_rng(seed)
    species = rng.integers(0, 3, n)
    width = [float(v) for v in np.round(rng.normal(1 + species, 0.4), 3)]
    height = [float(v) for v in np.round(rng.normal(2 - 0.5 * species, 0.4), 3)]
    colour: list[object] = [
        ["red", "blue", "white"][(s + int(rng.integers(0, 2))) % 3] for s in species
    ]
    labels: list[object] = [["iris", "rose", "tulip"][s] for s in species]
    width[5] = float("nan")
    colour[7] = None
    labels[11] = labels[12] = None
    return {"width": width, "height": height, "colour": colour, "species": labels}


@pytest.fixture(scope="module")
def pd():
    return pytest.importorskip("pandas", reason=PANDAS)


@pytest.fixture(scope="module")
def frame(pd):
    return pd.DataFrame(flower_columns())


@pytest.fixture(scope="module")
def csv_file(frame, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tabular") / "flowers.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def classifier(frame) -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Model.fit(frame, "species", **FEW)


# -- one model, whatever the data came in --------------------------------------------------


@pytest.mark.filterwarnings("ignore:2 row")
def test_a_dataframe_and_the_same_rows_as_a_csv_file_give_the_same_model(
    frame, csv_file, classifier
) -> None:
    from_file = Model.fit(csv_file, "species", **FEW)
    assert from_file.classes == classifier.classes == ["iris", "rose", "tulip"]
    np.testing.assert_array_equal(from_file.predict(csv_file), classifier.predict(frame))
    np.testing.assert_array_equal(
        from_file.predict_proba(csv_file), classifier.predict_proba(frame)
    )
    for (name, a), (_, b) in zip(
        from_file.network.parameters(), classifier.network.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_numpy_array_a_table_and_a_dict_predict_as_the_dataframe_does(
    frame, csv_file, classifier
) -> None:
    expected = classifier.predict(frame)
    features = frame[["width", "height", "colour"]]
    as_array = features.to_numpy(dtype=object)
    np.testing.assert_array_equal(classifier.predict(as_array), expected)
    np.testing.assert_array_equal(classifier.predict(load_csv(csv_file, "species")), expected)
    columns = {name: features[name].tolist() for name in features.columns}
    np.testing.assert_array_equal(classifier.predict(columns), expected)
    reordered = frame[["colour", "species", "height", "width"]]  # matched by name
    np.testing.assert_array_equal(classifier.predict(reordered), expected)


def test_rows_without_a_target_are_dropped_with_a_warning_that_counts_them(frame) -> None:
    with pytest.warns(UserWarning, match=r"^2 row\(s\) without a target were dropped$"):
        model = Model.fit(frame, "species", **FEW)
    assert len(model.history.epoch) == 4
    prepared = prepare(frame, "species", settings=training_settings(**FEW))
    assert prepared.n_dropped == 2
    assert prepared.X_train.shape[0] + prepared.X_val.shape[0] == 238
    assert prepared.X_val.shape[0] == round(0.2 * 238)  # the table's validation_split


def test_evaluate_agrees_with_scikit_learn_on_the_predictions(frame, classifier) -> None:
    metrics = pytest.importorskip("sklearn.metrics", reason="checked against scikit-learn")
    labelled = frame[frame["species"].notna()]
    truth = labelled["species"].to_numpy(dtype=object)
    predicted = classifier.predict(labelled)
    proba = classifier.predict_proba(labelled)
    scores = classifier.evaluate(frame)  # rows without a target are left out
    assert scores["accuracy"] == pytest.approx(metrics.accuracy_score(truth, predicted), abs=1e-15)
    assert scores["f1_macro"] == pytest.approx(
        metrics.f1_score(truth, predicted, average="macro"), rel=1e-12
    )
    assert scores["log_loss"] == pytest.approx(
        metrics.log_loss(truth, proba, labels=classifier.classes), rel=1e-6
    )
    evaluation = classifier.evaluation(frame)
    assert evaluation.n_rows == 238
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(),
        metrics.confusion_matrix(truth, predicted, labels=classifier.classes),
    )


def test_a_regression_evaluates_in_the_targets_units(pd) -> None:
    rng = np.random.default_rng(1)
    m = 300
    rooms, area = rng.integers(1, 6, m), rng.normal(80, 20, m)
    district = rng.choice(["north", "south", "east"], m)
    price = 50_000 * rooms + 900 * area + np.where(district == "north", 40_000, 0)
    price = price + rng.normal(0, 5_000, m)
    frame = pd.DataFrame({"rooms": rooms, "area": area, "district": district, "price": price})
    model = Model.fit(frame, "price", **{**FEW, "epochs": 30, "layers": [16]})
    assert model.task == "regression"
    predicted = model.predict(frame)
    assert abs(predicted.mean() - price.mean()) < 0.1 * price.std()  # scaled back to units
    scores = model.evaluate(frame)
    rmse = np.sqrt(np.mean((predicted - price) ** 2))
    assert scores["rmse"] == pytest.approx(rmse, rel=1e-12)
    assert scores["mae"] == pytest.approx(np.mean(np.abs(predicted - price)), rel=1e-12)
    r2 = 1 - np.sum((price - predicted) ** 2) / np.sum((price - price.mean()) ** 2)
    assert scores["r2"] == pytest.approx(r2, rel=1e-12)
    assert scores["rmse"] > 1_000  # dollars, not standardized units


def test_save_and_load_give_the_same_predictions_bit_for_bit(frame, classifier, tmp_path) -> None:
    path = classifier.save(tmp_path / "flowers.glassnet")
    loaded = Model.load(path)
    assert loaded.classes == classifier.classes and loaded.target == "species"
    assert loaded.settings == classifier.settings
    np.testing.assert_array_equal(loaded.predict_proba(frame), classifier.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))


def test_arrays_x_and_y_fit_with_their_own_column_names(tmp_path) -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    model = Model.fit(X, y, **FEW)
    assert model.task == "binary" and model.classes == ["no", "yes"]
    assert model.preprocessor is not None
    assert model.preprocessor.feature_names_out == ["x0", "x1", "x2"] and model.target == "y"
    predicted = model.predict(X)
    assert set(predicted) <= {"no", "yes"}
    assert model.evaluate({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "y": y})[
        "accuracy"
    ] == pytest.approx(float(np.mean(predicted == y)), abs=1e-15)
    loaded = Model.load(model.save(tmp_path / "arrays.glassnet"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_series_of_targets_gives_the_target_its_name(frame) -> None:
    features = frame[["width", "height", "colour"]]
    target = frame["species"].fillna("iris")
    model = Model.fit(features, target, **FEW)
    assert model.target == "species"


def test_numbers_as_class_labels_are_matched_in_evaluate(tmp_path) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    label = (X[:, 0] > 0).astype(int)
    path = tmp_path / "numbers.csv"
    rows = (f"{float(a)!r},{float(b)!r},{c}\n" for (a, b), c in zip(X, label, strict=True))
    path.write_text("a,b,label\n" + "".join(rows))
    model = Model.fit(path, **FEW)
    predicted = model.predict(path)
    accuracy = float(np.mean(predicted.astype(float) == label))  # classes 0.0 and 1.0
    assert model.evaluate(path)["accuracy"] == pytest.approx(accuracy, abs=1e-15)
    assert accuracy > 0.5


def test_a_column_forced_categorical_reads_the_same_from_a_frame_and_a_file(pd, tmp_path) -> None:
    rng = np.random.default_rng(5)
    zips = rng.choice([94110, 10001, 60601], 150)
    value = rng.normal(size=150) + (zips == 10001)
    frame = pd.DataFrame({"zip": zips, "x": value, "y": value + rng.normal(0, 0.1, 150)})
    path = tmp_path / "zips.csv"
    frame.to_csv(path, index=False)
    options = {**FEW, "categorical": ["zip"]}
    a, b = Model.fit(frame, "y", **options), Model.fit(path, "y", **options)
    assert a.preprocessor.categorical_columns == ["zip"]
    assert a.preprocessor.feature_names_out == b.preprocessor.feature_names_out
    np.testing.assert_array_equal(a.predict(frame), b.predict(path))


# -- options from the one table --------------------------------------------------------------


def test_the_options_and_their_defaults_are_the_tables() -> None:
    assert training_settings() == DEFAULTS
    assert training_settings(layers="16,8")["layers"] == [16, 8]
    assert training_settings(layers=(16, 8))["layers"] == [16, 8]
    with pytest.raises(TypeError, match=r"unknown training option 'epochz'; the options are"):
        training_settings(epochz=3)
    with pytest.raises(ValueError, match=r"epochs must be an integer > 0, got 0"):
        training_settings(epochs=0)
    with pytest.raises(ValueError, match=r"optimizer must be one of"):
        Model.fit(np.zeros((4, 1)), [0, 1, 0, 1], optimizer="lbfgs")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        Model.fit(np.zeros((4, 1)), [0, 1, 0, 1], dropout=1.5)


def test_model_fit_trains_for_the_options_it_is_given(frame, classifier) -> None:
    given = {**FEW, "target": "species"}
    assert classifier.settings == with_row_defaults({**DEFAULTS, **given}, given, len(frame))
    assert classifier.settings["l2"] == defaults_for_rows(len(frame))["l2"]  # not given
    assert len(classifier.history.epoch) == FEW["epochs"]
    assert [layer.n_out for layer in classifier.network.parametric_layers()] == [12, 3]


# -- bad input --------------------------------------------------------------------------------


def test_a_missing_an_unknown_or_a_mistyped_column_is_named(frame, classifier) -> None:
    with pytest.raises(ValueError, match=r"lacks the column\(s\) 'height' that the model needs"):
        classifier.predict(frame.drop(columns="height"))
    with pytest.raises(ValueError, match=r"has column\(s\) the model does not know: 'extra'"):
        classifier.predict(frame.assign(extra=1.0))
    typo = frame.astype({"width": object})
    typo.loc[3, "width"] = "wide"
    with pytest.raises(ValueError, match=r"column 'width', row 3 .*'wide' is not a number"):
        classifier.predict(typo)
    with pytest.raises(ValueError, match=r"X has 2 columns, but the model takes 3: 'width'"):
        classifier.predict(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"target 'price' is not a column; the columns are"):
        Model.fit(frame, "price")
    with pytest.raises(TypeError, match=r"data must be a CSV file's path, a pandas DataFrame"):
        classifier.predict(42)
    with pytest.raises(ValueError, match=r"has no target column 'species' to evaluate against"):
        classifier.evaluate(frame.drop(columns="species"))


def test_an_array_of_features_needs_its_targets() -> None:
    with pytest.raises(TypeError, match=r"an array of features needs its targets"):
        Model.fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match=r"y has 3 values, but the data has 10 rows"):
        Model.fit(np.zeros((10, 2)), [0, 1, 0])


def test_without_pandas_the_error_names_the_extra(monkeypatch) -> None:
    from glassnet.data.frame import pandas

    monkeypatch.setitem(sys.modules, "pandas", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r'pip install "glassnet\[pandas\]"'):
        pandas()


# -- checkpoints ----------------------------------------------------------------------------


def test_a_resumed_fit_ends_bit_for_bit_where_a_full_one_does(frame, tmp_path) -> None:
    options = {**FEW, "dropout": 0.2, "schedule": "cosine", "epochs": 4}
    snapshots: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = Model.fit(frame, "species", callbacks=[Checkpoint(snapshots.append, 2)], **options)
        saved = full.save_checkpoint(tmp_path, snapshots[0])
        checkpoint = load_checkpoint(saved.path)
        assert checkpoint.epoch == 2 and Path(saved.path).name == "epoch-0002.glassnet"
        assert checkpoint.settings == full.settings
        resumed = Model.fit(
            frame, "species", callbacks=[Checkpoint()], resume=checkpoint, **options
        )
    for (name, a), (_, b) in zip(
        full.network.parameters(), resumed.network.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)
    with pytest.raises(ValueError, match=r"was trained on data in memory"):
        _ = checkpoint.data
    with pytest.raises(ValueError, match=r"is a model file, not a checkpoint"):
        load_checkpoint(full.save(tmp_path / "plain.glassnet"))


def test_a_table_with_its_own_target_needs_no_name(csv_file) -> None:
    table = load_csv(csv_file, "species")
    assert isinstance(table, Table)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Model.fit(table, **FEW)
    assert model.target == "species" and model.classes == ["iris", "rose", "tulip"]


def test_evaluate_takes_arrays_with_their_targets() -> None:
    """``Model.evaluate(X, y)`` for a model fitted on arrays, equal to the scores of its
    own predictions computed by scikit-learn."""
    metrics = pytest.importorskip("sklearn.metrics", reason="compares with scikit-learn")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + X[:, 2] > 0).astype(np.int64)
    model = Model.fit(X, y, epochs=5)
    scores = model.evaluate(X, y)
    assert scores["accuracy"] == pytest.approx(metrics.accuracy_score(y, model.predict(X)))
    with pytest.raises(ValueError, match=r"y has 79 value\(s\), but the data has 80 row\(s\)"):
        model.evaluate(X, y[:-1])
