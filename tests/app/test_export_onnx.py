"""``glassnet export MODEL --onnx PATH``, driven as a user drives it: the graph it writes,
run by ONNX Runtime on the raw rows of a CSV, gives what ``glassnet predict --proba``
writes for the same file; the command says what the graph's inputs and outputs are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

onnx = pytest.importorskip("onnx", reason='ONNX export needs onnx: pip install "glassnet[onnx]"')
ort = pytest.importorskip(
    "onnxruntime", reason='the ONNX parity tests need onnxruntime: pip install "glassnet[onnx]"'
)
pd = pytest.importorskip("pandas", reason="the raw rows are read with pandas: pip install pandas")


def _write_flowers(path: Path, m: int, seed: int) -> Path:
    """Two numeric columns and a categorical one, with empty cells in each, and a 3-class
    target; an id column the model keeps out of its inputs."""
    rng = np.random.default_rng(seed)
    lines = ["id,width,height,colour,species"]
    for i in range(m):
        species = int(rng.integers(0, 3))
        width = f"{rng.normal(1 + species, 0.4):.3f}" if i % 13 else ""
        height = f"{rng.normal(2 - 0.5 * species, 0.4):.3f}" if i % 11 else ""
        colour = ["red", "blue", "white"][(species + int(rng.integers(0, 2))) % 3]
        colour = "" if i % 17 == 0 else "purple" if i % 19 == 0 else colour
        lines.append(f"f{i},{width},{height},{colour},{['iris', 'rose', 'tulip'][species]}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def flowers(tmp_path_factory) -> tuple[Path, Path]:
    """A model trained by ``glassnet train`` on a CSV, and new rows to predict."""
    folder = tmp_path_factory.mktemp("flowers")
    train = _write_flowers(folder / "train.csv", 240, 0)
    run = folder / "run"
    result = glassnet(
        "train", train, "--target", "species", "--id", "id", "--layers", "8",
        "--epochs", "6", "--seed", "1", "--out", run, "-q", "--no-report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return run / "model.glassnet", _write_flowers(folder / "new.csv", 60, 1)


def _onnx_on_csv(path: Path, rows: Path) -> dict[str, np.ndarray]:
    """ONNX Runtime on a CSV's raw rows, read by pandas, each input from its columns."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    columns = json.loads(session.get_modelmeta().custom_metadata_map["inputs"])
    frame = pd.read_csv(rows)
    inputs = {
        i.name: frame[columns[i.name]]
        .astype(str if i.type == "tensor(string)" else float)
        .to_numpy()
        for i in session.get_inputs()
    }
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs), strict=True))


def test_export_onnx_serves_raw_rows_as_glassnet_predict(flowers, tmp_path) -> None:
    model, rows = flowers
    path = tmp_path / "flowers.onnx"
    result = glassnet("export", model, "--onnx", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"wrote {path}: raw rows in, predictions out",
        "  input width: float64 (batch, 1)",
        "  input height: float64 (batch, 1)",
        "  input colour: string (batch, 1)",
        "  output label: string (batch,)",
        "  output probabilities: float32 (batch, 3) → one column per class: iris, rose, tulip",
    ]
    predicted = glassnet("predict", model, rows, "--proba")
    assert predicted.returncode == 0, predicted.stderr
    written = list(csv.DictReader(io.StringIO(predicted.stdout)))
    assert len(written) == 60
    out = _onnx_on_csv(path, rows)
    assert out["label"].tolist() == [row["predicted_species"] for row in written]
    proba = np.array(
        [[float(row[f"p({c})"]) for c in ("iris", "rose", "tulip")] for row in written]
    )
    # glassnet predict writes 6 significant digits: within 5e-7 of the probability
    np.testing.assert_allclose(out["probabilities"], proba, rtol=0, atol=1e-5)


def test_export_onnx_of_a_numeric_regression_gives_values_in_units(tmp_path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"rooms": rng.integers(1, 8, 200).astype(float), "area": rng.normal(90, 25, 200)}
    )
    frame["price"] = 50_000 * frame["rooms"] + 1_500 * frame["area"] + rng.normal(0, 5_000, 200)
    frame.loc[::10, "area"] = np.nan
    frame.to_csv(tmp_path / "houses.csv", index=False)
    run = tmp_path / "run"
    trained = glassnet(
        "train", tmp_path / "houses.csv", "--target", "price", "--layers", "8", "--epochs", "5",
        "--out", run, "-q", "--no-report",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    result = glassnet("export", run / "model.glassnet", "--onnx", tmp_path / "houses.onnx")
    assert result.returncode == 0, result.stderr
    assert "  input X: float64 (batch, 2) ← rooms, area" in result.stdout.splitlines()
    assert "  output values: float64 (batch,)" in result.stdout.splitlines()
    predicted = glassnet("predict", run / "model.glassnet", tmp_path / "houses.csv")
    written = np.array([float(line) for line in predicted.stdout.splitlines()[1:]])
    values = _onnx_on_csv(tmp_path / "houses.onnx", tmp_path / "houses.csv")["values"]
    assert values.mean() > 100_000  # in the target's units
    np.testing.assert_allclose(values, written, rtol=1e-7)  # predict writes 8 digits


def test_export_without_a_format_says_which_to_give(flowers) -> None:
    model, _ = flowers
    assert one_line_error(glassnet("export", model)) == (
        "glassnet: error: give --onnx PATH or --safetensors PATH"
    )


def test_export_of_a_model_with_dates_names_the_column(tmp_path) -> None:
    rows = ["signup,spend"] + [
        f"2023-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 7 + 0.5 * (i % 3)}" for i in range(120)
    ]
    (tmp_path / "dates.csv").write_text("\n".join(rows) + "\n")
    run = tmp_path / "run"
    trained = glassnet(
        "train", tmp_path / "dates.csv", "--target", "spend", "--epochs", "1", "--out", run,
        "-q", "--no-report",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    error = one_line_error(
        glassnet("export", run / "model.glassnet", "--onnx", tmp_path / "d.onnx")
    )
    model = run / "model.glassnet"  # which model: the error names it
    assert error.startswith(f"glassnet: error: {model}: column 'signup' holds dates")
    assert not (tmp_path / "d.onnx").exists()


def test_an_averaged_model_exports_as_any_model(tmp_path) -> None:
    """``--ensemble 3``: the averaged network (three refits side by side) goes to ONNX as
    one network, and ONNX Runtime gives back glassnet predict's probabilities."""
    train, rows = (
        _write_flowers(tmp_path / "f.csv", 120, 3),
        _write_flowers(tmp_path / "n.csv", 40, 4),
    )
    run = tmp_path / "run"
    trained = glassnet(
        "train", train, "--target", "species", "--ensemble", "3", "--layers", "8",
        "--epochs", "20", "--out", run, "-q", "--no-report",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    path = tmp_path / "averaged.onnx"
    assert glassnet("export", run / "model.glassnet", "--onnx", path).returncode == 0
    predicted = glassnet("predict", run / "model.glassnet", rows, "--proba")
    written = list(csv.DictReader(io.StringIO(predicted.stdout)))
    proba = np.array(
        [[float(row[f"p({c})"]) for c in ("iris", "rose", "tulip")] for row in written]
    )
    out = _onnx_on_csv(path, rows)
    assert out["label"].tolist() == [row["predicted_species"] for row in written]
    np.testing.assert_allclose(out["probabilities"], proba, rtol=0, atol=1e-5)
