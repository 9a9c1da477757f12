"""Atomic writes against a hostile file system (issue 10, point 7): a killed writer's
temporary file is told by its PID and removed by the next write, the folder is synced after
the rename, and a full disk names the file being written."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glassnet.io import files
from glassnet.io.files import (
    TEMPORARY_NAME,
    atomic_write_bytes,
    process_running,
    remove_stale_temporaries,
    sync_folder,
)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_temporary_file_is_named_after_its_writers_pid(tmp_path, monkeypatch) -> None:
    seen: list[str] = []
    replace = os.replace

    def spy(source: str, target: str) -> None:
        seen.append(Path(source).name)
        replace(source, target)

    monkeypatch.setattr(files.os, "replace", spy)
    atomic_write_bytes(tmp_path / "model.glassnet", b"new")
    (name,) = seen
    match = TEMPORARY_NAME.match(name)
    assert match is not None and name.startswith(".model.glassnet.pid")
    assert int(match["pid"]) == os.getpid()
    assert (tmp_path / "model.glassnet").read_bytes() == b"new"


def test_the_next_write_removes_only_dead_writers_temporary_files(tmp_path) -> None:
    dead = tmp_path / f".model.glassnet.pid{dead_pid()}.k3j5x9ab.tmp"
    mine = tmp_path / f".history.json.pid{os.getpid()}.abcdefgh.tmp"
    init = tmp_path / ".old.json.pid1.abcdefgh.tmp"  # PID 1 runs as long as the system does
    legacy = tmp_path / ".summary.json.abcdefgh.tmp"  # no PID: whose it is cannot be told
    other = tmp_path / "notes.tmp"
    for path in (dead, mine, init, legacy, other):
        path.write_bytes(b"x")
    atomic_write_bytes(tmp_path / "summary.json", b"{}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([mine.name, init.name, legacy.name, other.name, "summary.json"])


def test_removing_stale_files_reports_them_and_tolerates_a_missing_folder(tmp_path) -> None:
    dead = tmp_path / f".a.csv.pid{dead_pid()}.abcdefgh.tmp"
    dead.write_bytes(b"x")
    assert remove_stale_temporaries(tmp_path) == [dead]
    assert remove_stale_temporaries(tmp_path / "missing") == []


def test_process_running(tmp_path) -> None:
    assert process_running(os.getpid()) and process_running(1)
    assert not process_running(dead_pid())
    assert not process_running(0) and not process_running(-5)


def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch) -> None:
    synced: list[str] = []
    fsync = os.fsync

    def spy(handle: int) -> None:
        is_folder = os.path.samestat(os.fstat(handle), os.stat(tmp_path))
        synced.append("folder" if is_folder else "file")
        fsync(handle)

    monkeypatch.setattr(files.os, "fsync", spy)
    atomic_write_bytes(tmp_path / "a.json", b"{}")
    assert synced == ["file", "folder"]


def test_a_folder_that_cannot_be_synced_is_not_an_error(tmp_path, monkeypatch) -> None:
    def refuse(*args: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "open", refuse)
    sync_folder(tmp_path)  # as on Windows, where a folder cannot be opened: nothing raised


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch) -> None:
    path = tmp_path / "model.glassnet"
    path.write_bytes(b"old")

    def full(handle: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(path, b"new")
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value) == f"[Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}: '{path}'"
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.glassnet"]


def test_an_error_with_no_number_still_names_the_file(tmp_path, monkeypatch) -> None:
    def broken(*args: object) -> None:
        raise OSError("the device went away")

    monkeypatch.setattr(files.os, "replace", broken)
    path = tmp_path / "a.txt"
    with pytest.raises(
        OSError, match=rf"^cannot write {re.escape(str(path))}: the device went away$"
    ):
        atomic_write_bytes(path, b"x")
