"""Issue 9, item 12: ``.npz``, ``.npy``, ``.parquet`` and ``.xlsx`` files work in ``glassnet train``,
``predict`` and ``evaluate`` as a CSV of the same rows does: the same predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_helpers import glassnet


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    return X, y


def _train_and_predict(path: Path, out: Path, *extra: str) -> list[str]:
    trained = glassnet("train", path, *extra, "--epochs", "3", "--out", out, "-q")
    assert trained.returncode == 0, trained.stderr
    predicted = glassnet("predict", out / "model.glassnet", path)
    assert predicted.returncode == 0, predicted.stderr
    return predicted.stdout.splitlines()


def test_npz_npy_and_csv_of_the_same_rows_predict_alike(rows, tmp_path) -> None:
    X, y = rows
    csv = tmp_path / "rows.csv"
    header = "x0,x1,x2,y"
    lines = [",".join([*(f"{v:.17g}" for v in x), str(t)]) for x, t in zip(X, y, strict=True)]
    csv.write_text(header + "\n" + "\n".join(lines) + "\n")
    npz = tmp_path / "rows.npz"
    np.savez(npz, X=X, y=y)
    from_csv = _train_and_predict(csv, tmp_path / "csv")
    from_npz = _train_and_predict(npz, tmp_path / "npz")
    assert from_npz == from_csv  # same column names x0…, same target y: the same model
    assert from_npz[0] == "predicted_y" and set(from_npz[1:]) == {"0", "1"}
    npy = tmp_path / "rows.npy"
    np.save(npy, np.column_stack([X, y]))
    from_npy = _train_and_predict(npy, tmp_path / "npy")
    assert from_npy[0] == "predicted_column_4"
    assert from_npy[1:] == from_csv[1:]
    evaluated = glassnet("evaluate", tmp_path / "npz" / "model.glassnet", npz)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "120 rows with a target" in evaluated.stdout


def _written_as_csv_too(
    pd: Any, rows: tuple[np.ndarray, np.ndarray], path: Path, write: Any
) -> Any:
    """The rows as a DataFrame, written to ``path`` by ``write(frame, path)`` and to a CSV
    file beside it; the frame, for more checks."""
    X, y = rows
    frame = pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "y": y})
    write(frame, path)
    frame.to_csv(path.with_suffix(".csv"), index=False)
    return frame


def test_parquet_of_the_same_rows_predicts_alike(rows, tmp_path) -> None:
    pd = pytest.importorskip("pandas", reason="Parquet files are read by pandas")
    pytest.importorskip("pyarrow", reason="pandas reads Parquet with pyarrow")
    parquet, csv = tmp_path / "rows.parquet", tmp_path / "rows.csv"
    _written_as_csv_too(pd, rows, parquet, lambda frame, path: frame.to_parquet(path))
    assert _train_and_predict(parquet, tmp_path / "pq") == _train_and_predict(csv, tmp_path / "c")


def test_an_excel_workbook_of_the_same_rows_predicts_alike(rows, tmp_path) -> None:
    pd = pytest.importorskip("pandas", reason="Excel workbooks are read by pandas")
    pytest.importorskip("openpyxl", reason="pandas reads .xlsx with openpyxl")
    workbook, csv = tmp_path / "rows.xlsx", tmp_path / "rows.csv"
    frame = _written_as_csv_too(  # the first sheet, names in the first row
        pd, rows, workbook, lambda frame, path: frame.to_excel(path, index=False)
    )
    assert _train_and_predict(workbook, tmp_path / "x") == _train_and_predict(csv, tmp_path / "c")
    run = tmp_path / "kept"  # a checkpoint names the workbook as its data: --resume reads it
    kept = glassnet("train", workbook, "--epochs", "2", "--ensemble", "1", "--checkpoint-every",
                    "1", "--out", run, "-q", "--no-report")  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    resumed = glassnet("train", "--resume", run / "checkpoints" / "epoch-0001.glassnet",
                       "--epochs", "3", "--overwrite", "-q", "--no-report")  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    two = tmp_path / "two.xlsx"  # a cover sheet first, as reports often have
    with pd.ExcelWriter(two) as writer:
        pd.DataFrame({"about": ["rows of the study"]}).to_excel(
            writer, sheet_name="readme", index=False
        )
        frame.to_excel(writer, sheet_name="data", index=False)
    from glassnet.data.files import load_table

    with pytest.warns(
        UserWarning,
        match=r"two\.xlsx: read its first sheet 'readme' of 2 "
        r"\('readme', 'data'\); to read another, put it first or save it as CSV",
    ):
        assert list(load_table(two).feature_names) == ["about"]  # fmt: skip
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    assert glassnet("train", broken).stderr.strip() == (
        f"glassnet: error: {broken}: not a readable Excel file (BadZipFile: File is not a zip file)"
    )
    from glassnet.data.files import is_table_file

    text = tmp_path / "export.xls"  # tab-separated text, as web exports name it: a CSV
    text.write_text("a\tb\n1\t2\n")
    assert is_table_file(text) is False
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert glassnet("train", old).stderr.strip() == (
        f"glassnet: error: {old} is an Excel 97–2003 workbook: save it as .xlsx (Excel "
        "workbook) or as CSV"
    )


def test_a_pickled_npy_is_refused_in_one_line(tmp_path) -> None:
    bad = tmp_path / "objects.npy"
    np.save(bad, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    result = glassnet("train", bad, "--epochs", "1", "--out", tmp_path / "run")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"glassnet: error: {bad}: holds pickled Python objects, which glassnet does not load"
    )
