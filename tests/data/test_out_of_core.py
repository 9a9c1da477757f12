"""Issue 15, point 4: a table file larger than memory is prepared in one process with its
numeric columns on disk (``spill``) and its matrices written to disk (``scratch``).

Each path is compared with the in-memory one on the same file, value for value; the
memory test measures what the spilled preparation allocates against the float64 columns
that the in-memory one holds.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from glassnet import data as gd
from glassnet.data import files, pipeline
from glassnet.tabular import prepare
from glassnet.training.options import settings_from


def mixed_csv(path: Path, n_rows: int, seed: int = 0) -> Path:
    """Numbers with gaps, a category, rows without a target, a class label."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 4)).round(5)
    lines = ["a,b,c,d,colour,label"]
    for i, row in enumerate(X):
        cells = ["" if (i * 7 + j) % 23 == 0 else str(v) for j, v in enumerate(row)]
        label = "" if i % 101 == 5 else ("up" if row[0] + row[1] > 0 else "down")
        lines.append(",".join([*cells, ("red", "green", "blue")[i % 3], label]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_spilled_columns_are_the_columns_read_in_memory(tmp_path) -> None:
    path = mixed_csv(tmp_path / "mixed.csv", 500)
    spill = tmp_path / "spill"
    spill.mkdir()
    memory, spilled = gd.load_csv(path, "label"), gd.load_csv(path, "label", spill=spill)
    assert memory.kinds == spilled.kinds
    for name in ("a", "b", "c", "d"):
        assert isinstance(spilled.values[name], np.memmap)
        assert Path(spilled.values[name].filename).parent == spill
        np.testing.assert_array_equal(spilled.values[name], memory.values[name])
    # Mapped, the files' names are gone: their space is freed with the table (on Linux).
    assert list(spill.iterdir()) == []
    assert spilled.values["colour"].tolist() == memory.values["colour"].tolist()
    assert spilled.target.tolist() == memory.target.tolist()
    np.testing.assert_array_equal(spilled.lines, memory.lines)
    rows = np.random.default_rng(1).permutation(500)[:300]
    taken, expected = spilled.take(rows, spill), memory.take(rows)
    for name in ("a", "d"):
        assert isinstance(taken.values[name], np.memmap)
        np.testing.assert_array_equal(taken.values[name], expected.values[name])
    np.testing.assert_array_equal(taken.lines, expected.lines)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
def test_a_npy_file_is_spilled_as_float64_columns(tmp_path, dtype, monkeypatch) -> None:
    monkeypatch.setattr(files, "SPILL_VALUES", 64)  # many blocks of rows
    matrix = (np.random.default_rng(4).normal(size=(300, 7)) * 40).astype(dtype)
    np.save(tmp_path / "m.npy", matrix)
    spill = tmp_path / "spill"
    spill.mkdir()
    table = files.load_table(tmp_path / "m.npy", "column_7", spill=spill)
    loaded = files.load_table(tmp_path / "m.npy", "column_7")
    for j in range(6):
        column = table.values[f"column_{j + 1}"]
        assert isinstance(column, np.memmap) and column.dtype == np.float64
        assert column.flags.c_contiguous  # read on its own, not every row of the file
        np.testing.assert_array_equal(column, loaded.values[f"column_{j + 1}"])
    np.testing.assert_array_equal(table.target, loaded.target)


def test_the_fit_a_column_at_a_time_is_the_statistics_of_each_column(tmp_path) -> None:
    path = mixed_csv(tmp_path / "mixed.csv", 400)
    table = gd.load_csv(path, "label")
    fitted = gd.Preprocessor().fit(table)
    X = np.column_stack([table.values[n] for n in ("a", "b", "c", "d")])
    medians = np.nanmedian(X, axis=0)  # an independent computation, all columns at once
    imputed = np.where(np.isnan(X), medians, X)
    np.testing.assert_array_equal(fitted.imputer_.medians_, medians)
    np.testing.assert_allclose(fitted.scaler_.mean_, imputed.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(fitted.scaler_.scale_, imputed.std(axis=0), rtol=1e-13)
    minmax = gd.Preprocessor(scale="minmax").fit(table)
    np.testing.assert_array_equal(minmax.scaler_.min_, imputed.min(axis=0))


def test_transforming_into_a_file_gives_the_matrix_made_in_memory(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "TRANSFORM_ROWS", 64)  # many blocks, and a short last one
    table = gd.load_csv(mixed_csv(tmp_path / "mixed.csv", 300), "label")
    fitted = gd.Preprocessor().fit(table)
    written = fitted.transform_in_blocks(table, np.float32, tmp_path / "X.npy")
    assert isinstance(written, np.memmap) and written.dtype == np.float32
    np.testing.assert_array_equal(written, fitted.transform(table).astype(np.float32))


@pytest.mark.parametrize("suffix", [".csv", ".npy", "integers.npy"])
def test_prepared_with_a_scratch_folder_is_prepared_in_memory(tmp_path, suffix) -> None:
    path = mixed_csv(tmp_path / "mixed.csv", 600)
    target = "label"
    if suffix == ".npy":  # numbers only: the file's columns are mapped, not loaded
        table = gd.load_csv(path, "label")
        X = np.column_stack([table.values[n] for n in ("a", "b", "c", "d")])
        y = np.array([{"up": 1.0, "down": 0.0}.get(v, np.nan) for v in table.target])
        path = tmp_path / "mixed.npy"
        np.save(path, np.column_stack([X, y]))
        target = "column_5"
    elif suffix == "integers.npy":  # spilled as float64 columns too
        counts = np.random.default_rng(2).integers(0, 50, size=(600, 5)).astype(np.int32)
        counts[:, 4] = counts[:, 0] > 20
        path = tmp_path / "counts.npy"
        np.save(path, counts)
        target = "column_5"
    settings = settings_from({"target": target})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    memory = prepare(path, settings=settings)
    spilled = prepare(path, settings=settings, scratch=scratch)
    assert memory.n_dropped == spilled.n_dropped
    assert memory.n_dropped > 0 or suffix == "integers.npy"  # rows without a target
    for name in ("X_train", "X_val"):
        assert isinstance(getattr(spilled, name), np.memmap)
        np.testing.assert_array_equal(getattr(spilled, name), getattr(memory, name))
    np.testing.assert_array_equal(spilled.y_train, memory.y_train)
    assert spilled.preprocessor.to_dict() == memory.preprocessor.to_dict()
    assert sorted(p.name for p in scratch.iterdir()) == ["X_train.npy", "X_val.npy", "columns"]


def test_a_spilled_preparation_allocates_a_fraction_of_the_columns(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "TRANSFORM_CELLS", 1 << 14)  # blocks of 16k values
    n_rows, n_columns = 100_000, 12
    values = np.random.default_rng(0).normal(size=(n_rows, n_columns + 1))
    header = ",".join([*(f"x{j}" for j in range(n_columns)), "y"])
    path = tmp_path / "numbers.csv"
    np.savetxt(path, values, fmt="%.6g", delimiter=",", header=header, comments="")
    columns = n_rows * (n_columns + 1) * 8  # the float64 columns the in-memory reader holds
    settings = settings_from({"target": "y"})
    peaks = []
    for scratch in (None, tmp_path / "scratch"):
        if scratch is not None:
            scratch.mkdir()
        tracemalloc.start()
        try:
            prepared = prepare(path, settings=settings, scratch=scratch)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        del prepared
    memory, spilled = peaks
    # In memory: the columns, the training rows' copy and the matrices (about 2.5 times the
    # columns). Spilled: the reader's chunks of text (about 8 MB, whatever the file's size),
    # a few arrays of one value a row (the targets, the split, one column's copy at a time)
    # and a block of the transform: under 16 values a row here, whatever the columns.
    assert memory > 1.5 * columns, f"in memory {memory / columns:.2f} times the columns"
    assert spilled < 16 * 8 * n_rows, f"spilled {spilled / (8 * n_rows):.1f} values a row"
    assert spilled < memory / 3


def test_a_wide_table_raises_the_open_files_limit_or_says_it_cannot(tmp_path) -> None:
    """Each mapped column holds a file descriptor; the usual limit is 1,024."""
    n_columns = 600
    values = np.random.default_rng(0).normal(size=(50, n_columns)).round(3)
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{j}" for j in range(n_columns))
    np.savetxt(path, values, fmt="%.3f", delimiter=",", header=header, comments="")
    # In a child: a lowered hard limit cannot be raised again in the same process.
    script = f"""
import resource, sys
from glassnet import data as gd
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
table = gd.load_csv({str(path)!r}, "c0", spill={str(tmp_path)!r})
print(len(table.values), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
try:
    gd.load_csv({str(path)!r}, "c0", spill={str(tmp_path)!r})
except OSError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    raised, refused = done.stdout.splitlines()
    assert raised == f"{n_columns - 1} {3 * n_columns + 256}"
    assert refused.endswith(
        f"reading {n_columns} columns needs about {3 * n_columns + 256:,} open files, more "
        "than this system allows (128; ulimit -Hn): raise the limit, or read the file "
        "without a cache (--cache no)"
    )
