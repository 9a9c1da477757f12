"""A CSV file prepared by ranks that each read only their shard (issue 12, point 3) gives
what one process gives on the whole file.

The ranks are threads of this process (:mod:`thread_ranks`), whose collectives meet at a
barrier as MPI's do, so these tests need no MPI; ``tests/app/test_cli_mpi.py`` runs the
same code under ``mpiexec -n 2``. The statistics are compared with one process's on all
the rows: medians and categories exactly (the bisection finds the very values), means and
scales to 1e-12 relative (the sums add in another order), and so the matrices to 1e-12.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from thread_ranks import run_ranks

from glassnet.data import Preprocessor, Table, load_csv
from glassnet.tabular import prepare
from glassnet.tabular.shards import Shards

TIGHT = 1e-12


@pytest.fixture(autouse=True)
def scratch(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, where ranks that all run on this machine write
    the prepared rows: a folder of the test's own, which must be empty at the end."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _messy_csv(path: Path, n: int = 157, regression: bool = False, seed: int = 1) -> Path:
    """Missing numbers, a categorical column with empty cells, a column of numbers in
    its first rows and codes after them (numeric on one shard, text on another), a column
    constant on its first 140 rows, dates, a row-number id, and targets left empty."""
    rng = np.random.default_rng(seed)
    lines = ["id,age,income,city,zipcode,flag,when,label"]
    for i in range(n):
        age = "" if rng.random() < 0.1 else f"{rng.normal(40, 10):.1f}"
        city = rng.choice(["Paris", "Lyon", "Nice", ""])
        zipcode = f"{rng.integers(10, 30)}" if i < 100 else rng.choice(["A1", "B2"])
        flag = "1" if i < 140 else "0"
        when = f"2024-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        label = f"{rng.normal(3, 2):.3f}" if regression else rng.choice(["yes", "no", "maybe"])
        label = "" if rng.random() < 0.05 else label
        lines.append(f"{i},{age},{rng.lognormal(10, 1):.2f},{city},{zipcode},{flag},{when},{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("ranks", [2, 3, 4])
def test_each_rank_keeps_only_its_consecutive_rows(tmp_path, ranks) -> None:
    # A quoted field spanning two lines: rows are counted by the csv reader, not by lines.
    lines = ["a,b,c"] + [
        f'{i},"x{i}\nmore",{i % 3}' if i == 5 else f"{i},x{i},{i % 3}" for i in range(23)
    ]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    whole = load_csv(path, "c")
    shards = [
        load_csv(path, "c", rows=Shards(type("Rank", (), {"rank": r, "size": ranks})).rows)
        for r in range(ranks)
    ]
    sizes = [s.n_rows for s in shards]
    assert sizes == [(r + 1) * 23 // ranks - r * 23 // ranks for r in range(ranks)]
    assert np.array_equal(np.concatenate([s.values["a"] for s in shards]), whole.values["a"])
    assert list(np.concatenate([s.values["b"] for s in shards])) == list(whole.values["b"])
    assert np.array_equal(np.concatenate([s.lines for s in shards]), whole.lines)


def _prepared_alike(one, shard) -> None:
    assert shard.task == one.task and shard.classes == one.classes
    assert np.array_equal(shard.y_train, one.y_train) and np.array_equal(shard.y_val, one.y_val)
    assert isinstance(shard.X_train, np.memmap)  # on disk: training reads its rows from it
    for mine, theirs in ((shard.X_train, one.X_train), (shard.X_val, one.X_val)):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=TIGHT)
    a, b = shard.preprocessor.to_dict(), one.preprocessor.to_dict()
    assert a["columns"] == b["columns"]  # the kinds: zipcode is text on every rank
    assert a["imputer"] == b["imputer"] and a["encoder"] == b["encoder"]  # exactly
    for key in ("mean", "scale"):
        np.testing.assert_allclose(a["scaler"][key], b["scaler"][key], rtol=TIGHT)
    assert shard.columns.to_list() == one.columns.to_list()  # roles and reasons
    assert shard.n_rows == one.n_rows and shard.n_dropped == one.n_dropped


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("regression", [False, True])
def test_ranks_prepare_a_csv_as_one_process_does(tmp_path, scratch, ranks, regression) -> None:
    path = _messy_csv(tmp_path / "t.csv", regression=regression)
    settings = {"validation_split": 0.2, "seed": 3, "dtype": "float64"}
    one = prepare(path, settings=settings)
    assert "zipcode" in one.preprocessor.categorical_columns
    every = run_ranks(ranks, lambda comm: prepare(path, settings=settings, across=comm))
    for shard in every:
        _prepared_alike(one, shard)
        assert f"each of {ranks} ranks kept its shard of the rows" in shard.description
        if regression:
            np.testing.assert_allclose(shard.target_scale, one.target_scale, rtol=TIGHT)
    assert list(scratch.iterdir()) == []  # the scratch folder is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "tmp"]  # none beside the data


def _edge_rows(case: str, i: int, rng: np.random.Generator) -> str:
    z = f"{rng.normal():.3f}"
    if case == "first third without targets":  # rank 0 of 3 keeps no row at all
        return f"{i},{z},{'' if i < 30 else rng.choice(['a', 'b'])}"
    if case == "short shards of a row number":  # an id on the file, not on 10-row shards
        return f"{i},{z},{rng.choice(['a', 'b'])}"
    if case == "a class in the last row only":
        return f"{i % 7},{z},{'z' if i == 59 else rng.choice(['a', 'b'])}"
    # dates whose order only the later rows show (day 13 or more)
    day = (i % 12) + 1 if i < 30 else (i % 28) + 1
    return f"{day:02d}/{(i % 12) + 1:02d}/2020,{z},{rng.choice(['a', 'b'])}"


@pytest.mark.parametrize(
    "case",
    [
        "first third without targets",
        "short shards of a row number",
        "a class in the last row only",
        "dates in an order the first rows leave open",
    ],
)
@pytest.mark.parametrize("ranks", [2, 3])
def test_what_one_shard_cannot_tell_is_decided_on_the_whole_file(tmp_path, case, ranks) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "edge.csv"
    path.write_text("\n".join(["x,z,y", *(_edge_rows(case, i, rng) for i in range(60))]) + "\n")
    settings = {"validation_split": 0.2, "seed": 0, "dtype": "float64"}
    one = prepare(path, settings=settings)
    for shard in run_ranks(ranks, lambda comm: prepare(path, settings=settings, across=comm)):
        _prepared_alike(one, shard)


def _table(n: int, seed: int) -> Table:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1, 1e3, 1]
    X[rng.random((n, 3)) < 0.2] = np.nan
    X[:, 2] = np.round(X[:, 2] * 2)  # many equal values: the median is one of them
    X[:, 0] = np.where(np.arange(n) < 3, np.nan, X[:, 0])  # rank 0 of 3+ may have none
    city = np.array(rng.choice(["a", "b", "c", None], size=n), dtype=object)
    columns = {"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2], "city": city}
    return Table.from_columns(columns, source="table")


@pytest.mark.parametrize("scale", ["standard", "minmax"])
@pytest.mark.parametrize(("n", "ranks"), [(101, 2), (100, 3), (40, 5), (9, 3)])
def test_preprocessing_statistics_are_reductions_over_the_ranks(scale, n, ranks) -> None:
    table = _table(n, seed=n)
    one = Preprocessor(scale).fit(table).to_dict()

    def fit(comm) -> dict:
        part = np.arange(comm.rank * n // ranks, (comm.rank + 1) * n // ranks)
        return Preprocessor(scale).fit(table.take(part), across=comm).to_dict()

    for got in run_ranks(ranks, fit):
        assert got["imputer"] == one["imputer"]  # np.nanmedian's own values, exactly
        assert got["encoder"] == one["encoder"]
        for key, value in one["scaler"].items():
            if key != "type":
                np.testing.assert_allclose(got["scaler"][key], value, rtol=TIGHT)


def test_fewer_rows_than_ranks_is_refused_on_every_rank(tmp_path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("x,y\n1,a\n2,b\n")
    with pytest.raises(ValueError, match=r"2 data row.*fewer than the 3 ranks"):
        run_ranks(3, lambda comm: prepare(path, across=comm))


def test_the_features_are_never_gathered(tmp_path) -> None:
    """Every rank gathers the targets (8 bytes a row) and summaries the size of a row (a
    count, a sum, a bisection step per column), never a column: measured by the bytes of
    each array a rank hands to a collective."""
    rng = np.random.default_rng(0)
    n, width = 600, 10
    rows = [",".join(f"{v:.6f}" for v in rng.normal(size=width)) + f",c{i % 3}" for i in range(n)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"x{j}" for j in range(width)) + ",label\n" + "\n".join(rows) + "\n")
    sent: dict[int, list[int]] = {0: [], 1: []}

    def work(comm) -> None:
        gather = comm.gather

        def counted(value):
            arrays = value if isinstance(value, list | tuple) else [value]
            sent[comm.rank] += [a.nbytes for a in arrays if isinstance(a, np.ndarray)]
            return gather(value)

        comm.gather = counted
        prepare(path, settings={"validation_split": 0.2}, across=comm)

    run_ranks(2, work)
    for sizes in sent.values():
        largest, *others = sorted(sizes, reverse=True)
        assert largest == 8 * (n // 2)  # the targets, class indices
        assert max(others) <= 2 * 8 * (width + 1), sorted(sizes)[-5:]  # a row's worth


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_prepare_a_numpy_table_as_one_process_does(tmp_path, suffix, ranks) -> None:
    """A .npy file is memory-mapped, so a rank reads only its rows; an archive's arrays
    are read whole and cut. Either way the preparation is one process's."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(301, 5)), rng.integers(0, 3, 301)
    X[rng.random(X.shape) < 0.1] = np.nan
    path = tmp_path / f"t{suffix}"
    if suffix == ".npy":
        np.save(path, np.column_stack([X, y]))
    else:
        np.savez(path, X=X, y=y)
    settings = {"validation_split": 0.2, "seed": 1, "dtype": "float64"}
    one = prepare(path, settings=settings)
    for shard in run_ranks(ranks, lambda comm: prepare(path, settings=settings, across=comm)):
        _prepared_alike(one, shard)


def test_a_rank_that_does_not_see_the_scratch_folder_says_so(tmp_path) -> None:
    """On another machine than rank 0's, a folder rank 0 made in its own temporary
    folder does not exist: that rank names it and says what to do, rather than failing
    to open a file."""
    path = _messy_csv(tmp_path / "t.csv")

    def work(comm):
        if comm.rank == 1:
            agree = comm.agree
            comm.agree = lambda value: (
                str(tmp_path / "on-rank-0s-machine") if agree(value) else None
            )
        return prepare(path, across=comm)

    with pytest.raises(OSError, match=r"rank 1 does not see the folder .*set TMPDIR"):
        run_ranks(2, work)


@pytest.mark.parametrize("stopped", [KeyboardInterrupt, ValueError])
def test_a_preparation_stopped_while_writing_leaves_no_scratch_folder(
    tmp_path, scratch, monkeypatch, stopped
) -> None:
    """Ctrl-C (every rank gets it) or an error while the ranks write the prepared rows:
    rank 0 removes the scratch folder before the job ends."""
    path = _messy_csv(tmp_path / "t.csv")

    def stopping(*args, **kwargs):
        raise stopped("stopped while writing")

    monkeypatch.setattr(Preprocessor, "transform", stopping)  # what each rank writes
    with pytest.raises(stopped):
        run_ranks(2, lambda comm: prepare(path, across=comm))
    assert list(scratch.iterdir()) == []


def test_ranks_on_several_machines_write_beside_the_data_file(tmp_path, scratch) -> None:
    """Another machine's ranks do not see this one's temporary folder, but they read
    the data file: the prepared rows go beside it, and are gone at the end."""
    path = _messy_csv(tmp_path / "t.csv")
    made: list[str] = []

    def work(comm):
        comm.on_one_machine = lambda: False
        agree = comm.agree
        comm.agree = lambda value: made.append(agree(value)) or made[-1]
        return prepare(path, across=comm)

    run_ranks(2, work)
    assert Path(made[0]).parent == tmp_path and not Path(made[0]).exists()
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "tmp"]
