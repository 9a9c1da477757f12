"""Issue 15, point 4: the prepared rows of a large table file are kept in a memory-mapped
cache beside it and reused while the file is unchanged (:mod:`glassnet.tabular.cache`).

Each test compares what comes from the cache with a fresh :func:`prepare` of the same file,
value for value, and shows that the file is not read again (its reader is made to fail).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet

from glassnet.data import cells
from glassnet.tabular import Model
from glassnet.tabular import cache as cache_module
from glassnet.tabular.cache import FOLDER, cache_key, prepare_cached, uses_cache
from glassnet.tabular.checkpoints import data_fingerprint
from glassnet.tabular.prepare import prepare
from glassnet.training.options import settings_from

ARRAYS = ("X_train", "y_train", "X_val", "y_val")


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A CSV file as a spreadsheet writes it: numbers, a category, text labels, a gap, and
    a second numeric target."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3)).round(4)
    lines = ["size,weight,age,city,label,score"]
    for i, (a, b, c) in enumerate(X):
        label = "yes" if a + b > 0 else "no"
        gap = "" if i % 37 == 0 else c
        lines.append(f"{a},{b},{gap},{'xyz'[i % 3]},{label},{round(2 * a - b, 3)}")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _settings(**given: object) -> dict:
    return settings_from({"cache": "yes", "target": "label", **given})


def _cached(path: Path, **given: object):
    with warnings.catch_warnings():  # a kept or discarded entry is said as a warning
        warnings.simplefilter("ignore")
        return prepare_cached(path, settings=_settings(**given))


def _entries(path: Path) -> list[str]:
    folder = path.parent / FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _same(a, b) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype
    for part in ("classes", "task", "task_reason", "columns", "dialect", "description"):
        assert getattr(a, part) == getattr(b, part), part
    for part in ("target", "targets", "n_outputs", "n_dropped", "data_file"):
        assert getattr(a, part) == getattr(b, part), part
    assert a.preprocessor.to_dict() == b.preprocessor.to_dict()
    np.testing.assert_array_equal(
        np.asarray(a.target_scale, dtype=float), np.asarray(b.target_scale, dtype=float)
    )


def _no_reading(monkeypatch) -> None:
    """Make any reading of the file fail: what comes back must come from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(cache_module, "prepare", refuse)


@pytest.mark.parametrize(
    "given",
    [{}, {"target": "score"}, {"target": "label,score", "task": "regression"}],
    ids=["binary", "regression", "two targets"],
)
def test_second_run_maps_the_first_runs_rows_and_does_not_read_the_file(
    table, monkeypatch, given
) -> None:
    if given.get("target") == "label,score":  # two numeric targets: label as 0/1
        text = table.read_text().replace(",yes,", ",1,").replace(",no,", ",0,")
        table.write_text(text)
    fresh = prepare(table, settings=_settings(**given))
    with pytest.warns(UserWarning, match="kept in .glassnet-cache/rows.csv"):
        written = prepare_cached(table, settings=_settings(**given))
    _same(written, fresh)
    _no_reading(monkeypatch)
    read = _cached(table, **given)
    assert "read from" in read.cache_note and "unchanged" in read.cache_note
    _same(read, fresh)
    assert isinstance(read.X_train, np.memmap) and isinstance(read.X_val, np.memmap)
    assert read.X_train.dtype == np.float32  # the dtype option's, not float64


def test_a_changed_file_is_read_again_and_its_old_entry_removed(table) -> None:
    _cached(table)
    (old,) = _entries(table)
    text = table.read_text().splitlines()
    table.write_text("\n".join(text[:-50]) + "\n")  # a shorter file
    again = _cached(table)
    assert again.cache_note.startswith("cache: rows.csv changed since its rows were kept")
    assert again.n_rows == 400 - 50 == prepare(table, settings=_settings()).n_rows
    assert _entries(table) == [old]  # the same options: the same name, the new rows


def test_an_edit_that_keeps_size_and_modification_time_is_seen(table) -> None:
    _cached(table)
    before = table.stat()
    text = table.read_text()
    moved = text.replace(",x,", ",_,").replace(",y,", ",x,").replace(",z,", ",y,")
    table.write_text(moved.replace(",_,", ",z,"))  # every city moved: the same length
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))  # as touch -r does
    assert table.stat().st_size == before.st_size
    again = _cached(table)
    assert "changed since" in again.cache_note
    _same(again, prepare(table, settings=_settings()))


def test_a_file_that_changes_while_it_is_read_is_read_again_next_time(table, monkeypatch) -> None:
    def prepare_then_append(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        with table.open("a") as file:  # another program appends meanwhile
            file.write("\n".join(["1,2,3,x,yes,0.5"] * 50) + "\n")
        return prepared

    monkeypatch.setattr(cache_module, "prepare", prepare_then_append)
    first = _cached(table)
    assert first.n_rows == 400
    monkeypatch.setattr(cache_module, "prepare", prepare)
    second = _cached(table)
    assert "changed since" in second.cache_note and second.n_rows == 450


def test_other_options_get_their_own_entry(table) -> None:
    a, b = _cached(table, seed=1), _cached(table, seed=2)
    assert len(_entries(table)) == 2
    assert not np.array_equal(a.y_train, b.y_train)  # another split
    assert cache_key(_settings(seed=1)) != cache_key(_settings(seed=2))
    assert cache_key(_settings(), drop=["city"]) != cache_key(_settings())
    assert cache_key(_settings(scale="minmax")) != cache_key(_settings())
    # What does not change the prepared rows shares an entry.
    assert cache_key(_settings(epochs=3, lr=0.1, cache="auto")) == cache_key(_settings())
    split_0 = [cache_key(_settings(validation_split=0.0, seed=s)) for s in (1, 2)]
    assert split_0[0] == split_0[1]  # no rows drawn: the seed changes nothing
    as_text = cache_key(_settings(target="label,score"))
    assert as_text == cache_key(settings_from({"cache": "yes", "target": ["label", "score"]}))
    # glassnet train gives the target, columns to drop and id in the settings; Model.fit
    # gives them apart too: the same rows, the same entry.
    assert cache_key(_settings(), "label") == cache_key(_settings())
    assert cache_key(_settings(drop=["city"]), "label", ["city"]) == cache_key(
        _settings(drop=["city"])
    )


def test_a_file_moved_copied_or_given_other_rights_is_the_same_file(table, tmp_path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    table = table.rename(folder / table.name)
    _cached(table)
    table.chmod(0o600)
    moved = tmp_path / "moved"
    folder.rename(moved)  # the folder, with its cache
    again = _cached(moved / "rows.csv")
    assert "(the file is unchanged)" in again.cache_note
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)  # as cp -a: times kept
    assert "(the file is unchanged)" in _cached(copy / "rows.csv").cache_note


def test_targets_given_as_values_are_never_cached(table, tmp_path) -> None:
    features = tmp_path / "features.csv"
    features.write_text("\n".join(line.rsplit(",", 2)[0] for line in table.read_text().split()))
    y1, y2 = np.arange(400) % 2, np.arange(400) % 3
    settings = settings_from({"cache": "yes"})
    one = prepare_cached(features, y1, settings=settings)
    two = prepare_cached(features, y2, settings=settings)
    assert one.cache_note == two.cache_note == "" and not _entries(features)
    assert one.classes == [0, 1] and two.classes == [0, 1, 2]


def test_a_link_and_its_file_share_one_entry(table, tmp_path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    link = other / "link.csv"
    link.symlink_to(table)
    _cached(table)
    read = _cached(link)
    assert "read from .glassnet-cache/rows.csv." in read.cache_note
    assert not (other / FOLDER).exists() and len(_entries(table)) == 1
    assert read.data_file == str(link)  # the path this run was given


def _damage(folder: Path, damage: str) -> None:
    described = folder / "prepared.json"
    stated = json.loads(described.read_text())
    if damage == "garbage json":
        described.write_text("{not json")
        return
    if damage == "deep json":
        described.write_text("[" * 100_000 + "]" * 100_000)
        return
    if damage == "truncated X":
        data = (folder / "X_train.npy").read_bytes()
        (folder / "X_train.npy").write_bytes(data[: len(data) // 2])
    elif damage == "wrong width":
        np.save(folder / "X_val.npy", np.zeros((80, 2), np.float32))
        stated["shapes"]["X_val"] = [80, 2]  # as stated: only the preprocessing disagrees
    elif damage == "float64 X":
        X = np.load(folder / "X_train.npy")
        np.save(folder / "X_train.npy", X.astype(np.float64))
    elif damage == "NaN in X":
        X = np.load(folder / "X_train.npy")
        X[5, 1] = np.nan
        np.save(folder / "X_train.npy", X)
    elif damage == "class index too large":
        np.save(folder / "y_val.npy", np.load(folder / "y_val.npy") + 5)
    else:  # a field of the wrong type or value
        field, value = {
            "unknown task": ("task", "rm -rf"),
            "regression task": ("task", "regression"),
            "columns not a list": ("columns", "abc"),
            "columns of another plan": ("columns", []),
            "huge outputs": ("n_outputs", 10**400),
            "wrong outputs": ("n_outputs", 5),
            "dialect not a dict": ("dialect", "abc"),
            "no preprocessor": ("preprocessor", None),
            "targets of another run": ("targets", ["a", "b", "c"]),
            "nested classes": ("classes", [["no", "yes"]]),
            "target not text": ("target", 5),
            "shapes not a dict": ("shapes", [1, 2]),
            "another version": ("glassnet", "0.0.1"),
        }[damage]
        stated[field] = value
    described.write_text(json.dumps(stated))


DAMAGES = [
    "garbage json", "deep json", "truncated X", "wrong width", "float64 X", "NaN in X",
    "class index too large", "unknown task", "regression task", "columns not a list",
    "columns of another plan", "huge outputs", "wrong outputs", "dialect not a dict",
    "no preprocessor", "targets of another run", "nested classes", "target not text",
    "shapes not a dict", "another version",
]  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_entry_is_discarded_said_and_rebuilt(table, damage) -> None:
    _cached(table)
    (name,) = _entries(table)
    _damage(table.parent / FOLDER / name, damage)
    again = _cached(table)
    assert again.cache_note.startswith("cache: discarded"), again.cache_note
    assert "kept in" in again.cache_note
    _same(again, prepare(table, settings=_settings()))


def test_a_damaged_neighbour_entry_does_not_stop_the_run(table) -> None:
    _cached(table, seed=1)
    (name,) = _entries(table)
    _damage(table.parent / FOLDER / name, "deep json")
    for pid in ("99999999999999999999", "999999999"):  # PIDs no process has
        (table.parent / FOLDER / f".{name}.pid{pid}.abcd").mkdir()
    again = _cached(table, seed=2)
    assert "kept in" in again.cache_note
    # The unreadable neighbour and the folder of a run that is gone are removed; a name
    # that no PID can have is not one of glassnet's, and is left alone.
    kept = f"rows.csv.{cache_key(_settings(seed=2))}"
    assert _entries(table) == [f".{name}.pid99999999999999999999.abcd", kept]


def test_another_run_that_kept_the_entry_first_wins(table, monkeypatch) -> None:
    fresh = prepare(table, settings=_settings())
    key = cache_key(_settings())
    stamp = data_fingerprint(table)
    other_run, _ = cache_module.new_entry_folder(table, key, stamp)
    assert other_run is not None
    cache_module.keep_entry(table, key, fresh, stamp, other_run)
    (name,) = _entries(table)
    theirs = (table.parent / FOLDER / name / "X_train.npy").stat().st_ino
    monkeypatch.setattr(cache_module, "read_entry", lambda *args: (None, ""))  # raced
    mine = _cached(table)
    assert "kept in" in mine.cache_note
    assert (table.parent / FOLDER / name / "X_train.npy").stat().st_ino == theirs
    _same(mine, fresh)


def test_an_unwritable_folder_trains_without_the_cache(table, monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "mkdir", refuse)
    prepared = _cached(table)
    assert prepared.cache_note.startswith("cache: the prepared rows of rows.csv not kept")
    assert "read again on every run" in prepared.cache_note
    _same(prepared, prepare(table, settings=_settings()))
    assert not isinstance(prepared.X_train, np.memmap)


@pytest.mark.parametrize("where", ["reading", "writing the matrices"])
def test_a_full_disk_prepares_in_memory_and_says_so(table, monkeypatch, where) -> None:
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if where == "reading":
        monkeypatch.setattr(cells.Filled, "_flush", full)
    else:
        monkeypatch.setattr(np.lib.format, "write_array_header_1_0", full)
    prepared = _cached(table)
    assert prepared.cache_note.startswith("cache: the prepared rows of rows.csv not kept")
    assert "No space left on device" in prepared.cache_note and not _entries(table)
    _same(prepared, prepare(table, settings=_settings()))


def test_auto_keeps_only_large_files(table, monkeypatch) -> None:
    auto = settings_from({"target": "label"})
    assert auto["cache"] == "auto" and not uses_cache(table, auto)
    monkeypatch.setattr(cache_module, "AUTO_BYTES", table.stat().st_size)
    assert uses_cache(table, auto)
    assert not uses_cache(table, settings_from({"cache": "no"}))
    assert not uses_cache(np.zeros((3, 2)), settings_from({"cache": "yes"}))


def test_a_model_trained_from_the_cache_is_the_same_model(table, monkeypatch) -> None:
    options = {"epochs": 4, "layers": [8], "refit": False}
    plain = Model.fit(table, "label", cache="no", **options)
    with pytest.warns(UserWarning, match="cache: the prepared rows"):  # Python users hear it
        Model.fit(table, "label", cache="yes", **options)
    _no_reading(monkeypatch)
    cached = Model.fit(table, "label", cache="yes", **options)
    for (name, a), (_, b) in zip(
        plain.network.parameters(), cached.network.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert cached.predict(table).tolist() == plain.predict(table).tolist()


def test_the_command_says_what_the_cache_did(table, tmp_path) -> None:
    args = ("train", table, "--cache", "yes", "--epochs", "2", "--no-report")
    first = glassnet(*args, "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    assert "cache: the prepared rows (" in first.stdout and "kept in" in first.stdout
    assert "warning" not in first.stderr.lower()  # said once, not also as a warning
    second = glassnet(*args, "--out", tmp_path / "b")
    assert second.returncode == 0, second.stderr
    assert "cache: the prepared rows read from .glassnet-cache/rows.csv." in second.stdout
    epochs = [
        [line.rsplit("│", 1)[0] for line in run.stdout.splitlines() if line.startswith("epoch")]
        for run in (first, second)
    ]  # the epochs' lines, but their times
    assert epochs[0] == epochs[1] and len(epochs[0]) == 2
