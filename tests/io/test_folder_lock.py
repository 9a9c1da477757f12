"""The run folder's lock, in one process: a second holder is refused with the first one's
PID, a lock file whose process is gone is taken over, and the lock leaves nothing behind.
Both ways of locking are tested: ``flock`` and, as on Windows, an exclusive lock file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glassnet.io import folder_lock
from glassnet.io.folder_lock import LOCK_FILE, FolderInUseError, FolderLock


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture(params=["flock", "exclusive-file"])
def locking(request, monkeypatch) -> str:
    if request.param == "exclusive-file":
        monkeypatch.setattr(folder_lock, "fcntl", None)
    return request.param


def test_a_second_lock_is_refused_naming_the_holder(tmp_path, locking) -> None:
    folder = tmp_path / "run"
    with FolderLock(folder, "run folder") as held:
        assert (folder / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(FolderInUseError) as caught, FolderLock(folder, "run folder"):
            pass
        assert caught.value.pid == os.getpid()
        assert str(caught.value).startswith(
            f"the run folder {folder} is in use by another process (PID {os.getpid()}): "
        )
        assert held.stale_pid is None
    assert not folder.exists()  # made for the lock, and left empty


def test_a_folder_with_files_stays_and_only_the_lock_goes(tmp_path, locking) -> None:
    folder = tmp_path / "run"
    with FolderLock(folder):
        (folder / "model.glassnet").write_bytes(b"m")
    assert sorted(p.name for p in folder.iterdir()) == ["model.glassnet"]


def test_the_lock_of_a_dead_process_is_taken_over(tmp_path, locking) -> None:
    pid = dead_pid()
    (tmp_path / LOCK_FILE).write_text(f"{pid}\n")
    with FolderLock(tmp_path) as lock:
        assert lock.stale_pid == pid
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / LOCK_FILE).exists() and tmp_path.is_dir()


def test_an_exclusive_lock_file_of_a_running_process_is_respected(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(folder_lock, "fcntl", None)
    (tmp_path / LOCK_FILE).write_text("1\n")  # PID 1 is running
    with pytest.raises(
        FolderInUseError, match=r"\(PID 1\).*if no such process runs, delete .*\.lock\)$"
    ):
        FolderLock(tmp_path).acquire()
    assert (tmp_path / LOCK_FILE).read_text() == "1\n"


def test_the_lock_is_released_when_the_block_raises(tmp_path, locking) -> None:
    with pytest.raises(KeyboardInterrupt), FolderLock(tmp_path):
        raise KeyboardInterrupt
    assert not (tmp_path / LOCK_FILE).exists()
    with FolderLock(tmp_path) as again:
        assert again.stale_pid is None
