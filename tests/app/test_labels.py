"""Class labels come back exactly as the data wrote them, whatever their type: integers,
floats, strings and booleans, through training, prediction, evaluation, the model file,
the run folder and the command line (issue 9, item 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.tabular import Model

FEW = {"layers": [8], "epochs": 12, "batch_size": 16, "lr": 0.01, "seed": 0}
REPORT_ROW = r"^\s+([01])\s+\d\.\d\d\s+\d\.\d\d\s+\d\.\d\d\s+(\d+)$"


def write_csv(path: Path, X: np.ndarray, labels: list[object], target: str = "label") -> Path:
    names = [f"x{j}" for j in range(X.shape[1])]
    lines = [",".join([*names, target])]
    rows = zip(X, labels, strict=True)
    lines += [",".join([*(f"{v:.6f}" for v in row), str(y)]) for row, y in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def stored_classes(path: Path) -> list[object]:
    """The classes as the model file's JSON holds them."""
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive["spec.json"].tobytes().decode("utf-8"))["classes"]


@pytest.fixture(scope="module")
def numbers() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 3))
    return X, (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)


def test_integer_labels_from_a_csv_stay_integers_everywhere(numbers, tmp_path) -> None:
    X, y = numbers
    path = write_csv(tmp_path / "binary.csv", X, y.tolist())
    model = Model.fit(path, "label", **FEW)
    assert model.classes == [0, 1]
    assert all(type(c) is int for c in model.classes)
    predicted = model.predict(path)
    assert predicted.dtype.kind == "i" and set(predicted.tolist()) <= {0, 1}
    saved = model.save(tmp_path / "binary.glassnet")
    assert stored_classes(saved) == [0, 1]
    loaded = Model.load(saved)
    assert loaded.classes == [0, 1] and all(type(c) is int for c in loaded.classes)
    np.testing.assert_array_equal(loaded.predict(path), predicted)


def test_evaluate_on_the_training_csv_matches_scikit_learn(numbers, tmp_path) -> None:
    metrics = pytest.importorskip("sklearn.metrics", reason="checked against scikit-learn")
    X, y = numbers
    path = write_csv(tmp_path / "binary.csv", X, y.tolist())
    model = Model.fit(path, "label", **FEW)
    predicted = model.predict(path)
    evaluation = model.evaluation(path)
    assert evaluation.metrics["accuracy"] == pytest.approx(
        metrics.accuracy_score(y, predicted), abs=1e-15
    )
    assert evaluation.metrics["accuracy"] > 0.6
    expected = metrics.precision_recall_fscore_support(y, predicted, labels=[0, 1])
    support = [int(n) for _, n in re.findall(REPORT_ROW, evaluation.report(), re.M)]
    assert support == expected[3].tolist() == [int((y == 0).sum()), int((y == 1).sum())]
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(), metrics.confusion_matrix(y, predicted, labels=[0, 1])
    )


def test_seven_integer_classes_come_back_as_the_integers_0_to_6(tmp_path) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 7, 350)
    X = rng.normal(y[:, None], 0.5, size=(350, 2))
    path = write_csv(tmp_path / "seven.csv", X, y.tolist())
    model = Model.fit(path, "label", **FEW)
    assert model.classes == list(range(7))
    assert set(model.predict(path).tolist()) <= set(range(7))
    assert model.evaluation(path).labels == [str(k) for k in range(7)]


def test_integer_labels_from_arrays_are_integers(numbers) -> None:
    X, y = numbers
    model = Model.fit(X, y, **FEW)
    assert model.classes == [0, 1] and all(type(c) is int for c in model.classes)
    assert model.predict(X).dtype.kind == "i"


def test_fractional_labels_stay_floats(numbers, tmp_path) -> None:
    X, y = numbers
    labels = np.where(y == 1, 2.5, 0.5)
    model = Model.fit(X, labels, task="binary", **FEW)
    assert model.classes == [0.5, 2.5] and all(type(c) is float for c in model.classes)
    assert set(model.predict(X).tolist()) <= {0.5, 2.5}
    assert stored_classes(model.save(tmp_path / "halves.glassnet")) == [0.5, 2.5]
    path = write_csv(tmp_path / "halves.csv", X, labels.tolist(), target="y")
    accuracy = float(np.mean(model.predict(X) == labels))
    assert model.evaluate(path)["accuracy"] == pytest.approx(accuracy, abs=1e-15)


def test_boolean_labels_stay_booleans_and_match_however_a_file_spells_them(
    numbers, tmp_path
) -> None:
    X, y = numbers
    flags = y.astype(bool)
    model = Model.fit(X, flags, **FEW)
    assert model.classes == [False, True]
    assert all(type(c) is bool for c in model.classes)
    predicted = model.predict(X)
    assert predicted.dtype == bool
    accuracy = float(np.mean(predicted == flags))
    saved = model.save(tmp_path / "flags.glassnet")
    assert stored_classes(saved) == [False, True]
    for spelling in (str, lambda v: str(v).lower(), lambda v: str(v).upper()):
        path = write_csv(tmp_path / "flags.csv", X, [spelling(v) for v in flags], target="y")
        assert Model.load(saved).evaluate(path)["accuracy"] == pytest.approx(accuracy, abs=1e-15)


def test_text_true_and_false_in_a_file_are_booleans(numbers, tmp_path) -> None:
    pd = pytest.importorskip("pandas", reason="the DataFrame half needs pandas")
    X, y = numbers
    flags = y.astype(bool)
    path = write_csv(tmp_path / "flags.csv", X, flags.tolist())
    from_file = Model.fit(path, "label", **FEW)
    frame = pd.read_csv(path)
    assert frame["label"].dtype == bool
    from_frame = Model.fit(frame, "label", **FEW)
    assert from_file.classes == from_frame.classes == [False, True]
    np.testing.assert_array_equal(from_file.predict(path), from_frame.predict(frame))


def test_string_labels_that_look_like_numbers_stay_strings(numbers) -> None:
    X, y = numbers
    labels = np.where(y == 1, "01", "02")
    model = Model.fit(X, labels, **FEW)
    assert model.classes == ["01", "02"]
    assert set(model.predict(X).tolist()) <= {"01", "02"}


def test_the_command_line_round_trips_integer_labels(numbers, tmp_path, capsys) -> None:
    metrics = pytest.importorskip("sklearn.metrics", reason="checked against scikit-learn")
    X, y = numbers
    path = write_csv(tmp_path / "binary.csv", X, y.tolist())
    run = tmp_path / "run"
    flags = ["--epochs", "12", "--layers", "8", "--lr", "0.01", "--batch-size", "16", "--quiet"]
    assert main(["train", str(path), "--target", "label", "--out", str(run), *flags]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["classes"] == ["0", "1"]
    assert "1.0" not in (run / "report.html").read_text().split("Classes", 1)[1][:200]
    capsys.readouterr()
    assert main(["predict", str(run / "model.glassnet"), str(path)]) == 0
    printed = capsys.readouterr().out.split()[1:]
    assert set(printed) <= {"0", "1"}
    predicted = np.array(printed, dtype=int)
    assert main(["evaluate", str(run / "model.glassnet"), str(path)]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"accuracy\s+(\d\.\d+)", out).group(1))
    assert accuracy == pytest.approx(metrics.accuracy_score(y, predicted), abs=1e-4)
    support = [int(n) for _, n in re.findall(REPORT_ROW, out, re.M)]
    assert support == [int((y == 0).sum()), int((y == 1).sum())]
