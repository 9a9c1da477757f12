"""The tabular model tells the truth about its task and its scores (issue 9): regression
scores in the target's units while training (item 10), the task inferred with a reason and
several targets at once (item 11), unseen categories named at predict time (item 7), and
ROC AUC in evaluate (item 12)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.data import split_indices
from glassnet.tabular import Model, explain_task, infer_task, prepare, training_settings
from glassnet.tabular.units import LOSS_UNITS

# A short, fixed run: no early stopping or refit (the defaults for a table of this size).
FEW = {
    "layers": [16],
    "epochs": 15,
    "batch_size": 16,
    "lr": 0.01,
    "seed": 0,
    "early_stopping": 0,
    "refit": False,
}


@pytest.fixture(scope="module")
def pd():
    return pytest.importorskip("pandas", reason="the DataFrame tests need pandas")


def houses(pd, m: int = 300, seed: int = 1):
    rng = np.random.default_rng(seed)
    rooms, area = rng.integers(1, 6, m), rng.normal(80, 20, m)
    district = rng.choice(["north", "south", "east"], m)
    price = 50_000 * rooms + 900 * area + np.where(district == "north", 40_000, 0)
    price = price + rng.normal(0, 5_000, m)
    return pd.DataFrame({"rooms": rooms, "area": area, "district": district, "price": price})


# -- item 10: the scores of a regression are in the target's units -------------------------


def test_the_validation_rmse_logged_while_training_is_in_the_targets_units(pd) -> None:
    frame = houses(pd)
    model = Model.fit(frame, "price", metrics=["rmse", "mae", "r2"], **FEW)
    _, val_rows = split_indices(
        frame["price"].to_numpy(), test_size=0.2, stratify=False, seed=FEW["seed"]
    )
    validation = frame.iloc[val_rows]
    truth = validation["price"].to_numpy()
    predicted = model.predict(validation)
    by_hand = float(np.sqrt(np.mean((predicted - truth) ** 2)))
    history = model.history
    assert history["val_rmse"][-1] == pytest.approx(by_hand, rel=1e-9)
    assert history["val_mae"][-1] == pytest.approx(np.mean(np.abs(predicted - truth)), rel=1e-9)
    scores = model.evaluate(validation)
    assert history["val_rmse"][-1] == pytest.approx(scores["rmse"], rel=1e-9)
    assert history["val_r2"][-1] == pytest.approx(scores["r2"], rel=1e-9)
    assert by_hand > 1_000  # dollars, not standard deviations
    # The training RMSE, a mean over the epoch's batches, is in dollars too.
    assert 0.2 * by_hand < history["rmse"][-1] < 5 * by_hand


def test_the_run_folder_and_the_report_give_real_units_and_label_the_loss(
    pd, tmp_path, capsys
) -> None:
    path = tmp_path / "houses.csv"
    frame = houses(pd)
    frame.to_csv(path, index=False)
    run = tmp_path / "run"
    flags = ["--epochs", "15", "--layers", "16", "--lr", "0.01", "--batch-size", "16", "--quiet"]
    flags += ["--early-stopping", "0", "--no-refit"]  # the model whose validation rows these are
    assert main(["train", str(path), "--target", "price", "--out", str(run), *flags]) == 0
    summary = json.loads((run / "summary.json").read_text())
    _, val_rows = split_indices(frame["price"].to_numpy(), test_size=0.2, stratify=False, seed=0)
    model = Model.load(run / "model.glassnet")
    validation = frame.iloc[val_rows]
    predicted = model.predict(validation)
    by_hand = float(np.sqrt(np.mean((predicted - validation["price"].to_numpy()) ** 2)))
    assert summary["final"]["val_rmse"] == pytest.approx(by_hand, rel=1e-9)
    history = json.loads((run / "history.json").read_text())
    assert history["val_rmse"][-1] == pytest.approx(by_hand, rel=1e-9)
    page = (run / "report.html").read_text()
    assert LOSS_UNITS in page
    reason = model.metadata["task_reason"]
    assert reason.startswith("the target holds numbers that are not all whole numbers")
    assert f"<tr><th>Why this task</th><td>{reason}</td></tr>" in page


# -- item 11: the task, inferred with a reason -------------------------------------------------


def test_heart_rates_are_a_regression_and_class_codes_are_classes() -> None:
    rng = np.random.default_rng(0)
    rates = rng.choice(np.arange(60, 121, 6), 300).astype(float)  # 11 values, 60 … 120
    task, reason = explain_task(rates, "numeric")
    assert task == "regression"
    assert "11 distinct integers from 60 to 120" in reason
    codes = rng.integers(0, 7, 300).astype(float)
    task, reason = explain_task(codes, "numeric")
    assert task == "multiclass" and "0 to 6" in reason
    assert infer_task(rng.integers(1, 8, 300).astype(float), "numeric") == "multiclass"
    assert infer_task(np.array([0.0, 1.0] * 20), "numeric") == "binary"
    assert infer_task(rng.integers(0, 40, 300).astype(float), "numeric") == "regression"
    assert infer_task(rng.normal(size=50), "numeric") == "regression"
    few_rows = rng.permutation(np.tile(np.arange(8.0), 3))  # 8 codes, 3 rows each
    task, reason = explain_task(few_rows, "numeric")
    assert task == "regression" and "3.0 rows per value" in reason
    text = np.array(["a", "b", "c"] * 5, dtype=object)
    assert explain_task(text, "categorical") == (
        "multiclass",
        "the target holds text with 3 distinct values: one class each",
    )


def test_prepare_says_why_and_the_task_option_still_overrides(pd) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    rates = np.round(90 + 10 * X[:, 0]).clip(60, 120)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "pulse": rates})
    inferred = prepare(frame, "pulse", settings=training_settings(**FEW))
    assert inferred.task == "regression"
    assert inferred.task_reason.startswith("the target has ")
    chosen = prepare(frame, "pulse", settings=training_settings(task="multiclass", **FEW))
    assert chosen.task == "multiclass" and chosen.task_reason == "the task was given: multiclass"


# -- item 11: several targets -----------------------------------------------------------------


def test_several_numeric_targets_are_one_regression_with_an_output_each(pd) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    frame["grams"] = 1000 + 300 * X[:, 0] + rng.normal(0, 20, 400)
    frame["metres"] = 2 - 0.5 * X[:, 1] + 0.1 * X[:, 2]
    model = Model.fit(frame, ["grams", "metres"], **{**FEW, "epochs": 30})
    assert model.task == "regression" and model.targets == ["grams", "metres"]
    assert model.network.n_outputs == 2
    predicted = model.predict(frame)
    assert predicted.shape == (400, 2)
    truth = frame[["grams", "metres"]].to_numpy()
    rmse = np.sqrt(np.mean((predicted - truth) ** 2, axis=0))
    assert rmse[0] < 0.5 * truth[:, 0].std() and rmse[1] < 0.5 * truth[:, 1].std()
    scores = model.evaluate(frame)
    assert scores["rmse[grams]"] == pytest.approx(rmse[0], rel=1e-9)
    assert scores["rmse[metres]"] == pytest.approx(rmse[1], rel=1e-9)
    assert scores["rmse"] == pytest.approx(rmse.mean(), rel=1e-9)
    mean, std = model.target_scale
    np.testing.assert_allclose(mean, [frame["grams"].mean(), frame["metres"].mean()], rtol=0.05)
    assert std[0] > 100 * std[1]  # each target has its own scale


def test_several_yes_no_targets_are_independent_sigmoid_outputs(pd, tmp_path) -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 2))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1]})
    frame["spam"] = np.where(X[:, 0] > 0, "yes", "no")
    frame["urgent"] = X[:, 1] > 0.3
    frame["flag"] = (X[:, 0] + X[:, 1] > 0).astype(int)
    targets = ["spam", "urgent", "flag"]
    model = Model.fit(frame, targets, **{**FEW, "epochs": 30})
    assert model.task == "binary" and model.network.n_outputs == 3
    assert model.network.loss.name == "bce"
    assert model.classes == [["no", "yes"], [False, True], [0, 1]]
    predicted = model.predict(frame)
    assert predicted.shape == (400, 3)
    for j, name in enumerate(targets):
        accuracy = np.mean(predicted[:, j] == frame[name].to_numpy())
        assert accuracy > 0.85, name
    proba = model.predict_proba(frame)
    assert proba.shape == (400, 3) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(predicted[:, 0] == "yes", proba[:, 0] >= 0.5)
    scores = model.evaluate(frame)
    assert scores["accuracy[urgent]"] == pytest.approx(
        np.mean(predicted[:, 1] == frame["urgent"].to_numpy()), abs=1e-15
    )
    loaded = Model.load(model.save(tmp_path / "labels.glassnet"))
    assert loaded.targets == targets and loaded.classes == model.classes
    np.testing.assert_array_equal(loaded.predict(frame), predicted)


def test_several_targets_that_are_not_all_numbers_or_all_yes_no_are_refused(pd) -> None:
    frame = pd.DataFrame({"a": np.arange(30.0), "n": np.arange(30.0) * 1.5})
    frame["k"] = ["x", "y", "z"] * 10
    with pytest.raises(ValueError, match=r"several targets .*'k' has 3 classes"):
        Model.fit(frame, ["n", "k"], **FEW)


# -- item 7: unseen categories ---------------------------------------------------------------


def test_unseen_categories_at_predict_time_are_named_in_a_warning(pd) -> None:
    frame = houses(pd)
    model = Model.fit(frame, "price", **{**FEW, "epochs": 2})
    new = frame.head(5).copy()
    new.loc[new.index[:3], "district"] = ["west", "centre", "west"]
    with pytest.warns(UserWarning) as caught:
        predicted = model.predict(new)
    (message,) = [str(w.message) for w in caught]
    assert message == (
        "column 'district' has 2 value(s) not seen in training, encoded as none of its "
        "categories: 'centre', 'west'"
    )
    assert "\n" not in message
    known = new.copy()
    known["district"] = "north"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(known)
    assert predicted.shape == (5,)


# -- item 12: ROC AUC in evaluate ------------------------------------------------------------


def test_evaluate_reports_roc_auc_as_scikit_learn_computes_it(pd) -> None:
    metrics = pytest.importorskip("sklearn.metrics", reason="checked against scikit-learn")
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2))
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": (X[:, 0] > 0).astype(int)})
    binary = Model.fit(frame, "y", metrics=["auc"], **FEW)
    proba = binary.predict_proba(frame)[:, 1]
    expected = metrics.roc_auc_score(frame["y"], proba)
    assert binary.evaluate(frame)["auc"] == pytest.approx(expected, abs=1e-12)
    assert 0.5 < binary.history["val_auc"][-1] <= 1
    frame["k"] = rng.integers(0, 3, 300) + (X[:, 0] > 0)
    several = Model.fit(frame.drop(columns="y"), "k", **FEW)
    P = several.predict_proba(frame.drop(columns="y"))
    expected = metrics.roc_auc_score(frame["k"], P, multi_class="ovr", average="macro")
    assert several.evaluate(frame.drop(columns="y"))["auc"] == pytest.approx(expected, abs=1e-12)


def test_a_text_target_with_a_value_in_every_row_is_refused() -> None:
    """A free-text or id column picked as the target (the last column, by default) is
    refused with a way out, instead of training one softmax output per row."""
    notes = np.array([f"note number {i}" for i in range(60)], dtype=object)
    with pytest.raises(ValueError, match=r"60 distinct values in 60 rows .* --target"):
        explain_task(notes, "categorical")
    species = np.array(["a", "b", "c"] * 20, dtype=object)
    assert explain_task(species, "categorical")[0] == "multiclass"


def test_a_refused_text_target_is_named_whether_picked_or_given() -> None:
    """A new user's --target notes was told to 'name the target column with --target';
    the message names the column and the way out holds either way."""
    rows = {"x": np.arange(40.0), "notes": np.array([f"note {i}" for i in range(40)])}
    for target in ("notes", None):  # given, and picked as the last column
        with pytest.raises(ValueError) as refused:
            Model.fit(rows, target, epochs=1)
        assert str(refused.value) == (
            "the target column 'notes' holds text with 40 distinct values in 40 rows (1.0 rows "
            "per class): it looks like an identifier or free text, not classes; if another "
            "column is the target, name it with --target (target= in Python)"
        )
