"""Issue 15, point 4: the prepared rows of a large table file are kept in a memory-mapped
cache beside it and reused while the file is unchanged (:mod:`glassnet.tabular.cache`).

Each test compares what comes from the cache with a fresh :func:`prepare` of the same file,
value for value, and shows that the file is not read again (its reader is made to fail).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet

from glassnet.tabular import Model
from glassnet.tabular import cache as cache_module
from glassnet.tabular.cache import FOLDER, cache_key, prepare_cached, uses_cache
from glassnet.tabular.prepare import prepare
from glassnet.training.options import settings_from

ARRAYS = ("X_train", "y_train", "X_val", "y_val")


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A CSV file as a spreadsheet writes it: numbers, a category, text labels, a gap."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3)).round(4)
    lines = ["size,weight,age,city,label"]
    for i, (a, b, c) in enumerate(X):
        label = "yes" if a + b > 0 else "no"
        lines.append(f"{a},{b},{'' if i % 37 == 0 else c},{'xyz'[i % 3]},{label}")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _settings(**given: object) -> dict:
    return settings_from({"cache": "yes", "target": "label", **given})


def _entries(path: Path) -> list[str]:
    folder = path.parent / FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _same(a, b) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.classes == b.classes and a.task == b.task and a.task_reason == b.task_reason
    assert a.columns == b.columns and a.dialect == b.dialect and a.description == b.description
    assert a.preprocessor.to_dict() == b.preprocessor.to_dict()


def _no_reading(monkeypatch) -> None:
    """Make any reading of the file fail: what comes back must come from the cache."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(cache_module, "prepare", refuse)


def test_second_run_maps_the_first_runs_rows_and_does_not_read_the_file(table, monkeypatch) -> None:
    fresh = prepare(table, settings=_settings())
    written = prepare_cached(table, settings=_settings())
    assert "written to" in written.cache_note
    _same(written, fresh)
    _no_reading(monkeypatch)
    read = prepare_cached(table, settings=_settings())
    assert "read from" in read.cache_note and "unchanged" in read.cache_note
    _same(read, fresh)
    assert isinstance(read.X_train, np.memmap) and isinstance(read.X_val, np.memmap)
    assert read.X_train.dtype == np.float32  # the dtype option's, not float64
    assert read.n_dropped == fresh.n_dropped and read.targets == fresh.targets


def test_a_changed_file_is_read_again_and_its_old_entry_removed(table, monkeypatch) -> None:
    prepare_cached(table, settings=_settings())
    (old,) = _entries(table)
    text = table.read_text().splitlines()
    table.write_text("\n".join(text[:-50]) + "\n")  # a shorter file
    stat = table.stat()
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = prepare_cached(table, settings=_settings())
    assert "written to" in again.cache_note
    assert again.n_rows == 400 - 50 == prepare(table, settings=_settings()).n_rows
    assert _entries(table) == [old]  # the same options: the same name, the new rows


def test_other_options_get_their_own_entry(table) -> None:
    a = prepare_cached(table, settings=_settings(seed=1))
    b = prepare_cached(table, settings=_settings(seed=2))
    assert len(_entries(table)) == 2
    assert not np.array_equal(a.y_train, b.y_train)  # another split
    assert cache_key(_settings(seed=1)) != cache_key(_settings(seed=2))
    # Options that do not change the prepared rows share an entry.
    assert cache_key(_settings(epochs=3, lr=0.1)) == cache_key(_settings())
    assert cache_key(_settings(), drop=["city"]) != cache_key(_settings())


@pytest.mark.parametrize(
    "damage",
    ["garbage json", "truncated X", "wrong width", "class index too large", "unknown task"],
)
def test_a_damaged_entry_is_discarded_said_and_rebuilt(table, damage) -> None:
    prepare_cached(table, settings=_settings())
    (name,) = _entries(table)
    folder = table.parent / FOLDER / name
    described = folder / "prepared.json"
    if damage == "garbage json":
        described.write_text("{not json")
    elif damage == "truncated X":
        data = (folder / "X_train.npy").read_bytes()
        (folder / "X_train.npy").write_bytes(data[: len(data) // 2])
    elif damage == "wrong width":
        np.save(folder / "X_val.npy", np.zeros((80, 2), np.float32))
        stated = json.loads(described.read_text())
        stated["shapes"]["X_val"] = [80, 2]  # as stated: only the preprocessing disagrees
        described.write_text(json.dumps(stated))
    elif damage == "class index too large":
        y = np.load(folder / "y_train.npy")
        np.save(folder / "y_train.npy", y + 5)
    else:
        described.write_text(described.read_text().replace('"binary"', '"rm -rf"'))
    again = prepare_cached(table, settings=_settings())
    assert again.cache_note.startswith("cache: discarded"), again.cache_note
    assert "written to" in again.cache_note
    _same(again, prepare(table, settings=_settings()))


def test_an_unwritable_folder_trains_without_the_cache(table, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache_module.tempfile, "mkdtemp", refuse)
    prepared = prepare_cached(table, settings=_settings())
    assert prepared.cache_note.startswith("cache: not written (Permission denied")
    _same(prepared, prepare(table, settings=_settings()))
    assert not isinstance(prepared.X_train, np.memmap)


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
    Model.fit(table, "label", cache="yes", **options)  # writes the entry
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
    assert "cache: the prepared rows" in first.stdout and "written to" in first.stdout
    second = glassnet(*args, "--out", tmp_path / "b")
    assert second.returncode == 0, second.stderr
    assert "cache: the prepared rows read from .glassnet-cache/rows.csv." in second.stdout
    epochs = [
        [line for line in r.stdout.splitlines() if line.startswith("epoch")]
        for r in (first, second)
    ]
    strip = [[line.rsplit("│", 1)[0] for line in lines] for lines in epochs]  # not the time
    assert strip[0] == strip[1] and len(strip[0]) == 2
