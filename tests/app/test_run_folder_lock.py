"""Run folders that two runs, a killed run or a failed run would spoil (issue 10, point 7):
one run at a time in a folder, a lock left by a killed run taken over, no lock left after
an error, and a killed writer's temporary file removed by the next run. Real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import glassnet, one_line_error
from training_process import LONG, Training, small_csv


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return small_csv(tmp_path_factory.mktemp("data") / "small.csv")


def dead_pid() -> int:
    """The PID of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


SHORT = ["--epochs", "2", "--layers", "4", "--no-report", "-q"]


def test_a_second_run_into_a_busy_folder_refuses_naming_the_first(data, tmp_path) -> None:
    out = tmp_path / "run"
    first = Training(data, *LONG, "--out", out, cwd=tmp_path, stderr=tmp_path / "first.txt")
    first.wait_for_an_epoch()
    assert (out / ".lock").read_text().strip() == str(first.pid)
    second = glassnet("train", data, *SHORT, "--out", out)
    line = one_line_error(second)
    assert f"PID {first.pid}" in line and str(out) in line and "in use" in line
    first.process.send_signal(signal.SIGTERM)
    status, _, stderr = first.finish()
    assert status == 143, stderr
    assert not (out / ".lock").exists() and not (out / "model.glassnet").exists()
    again = glassnet("train", data, *SHORT, "--out", out)  # free again
    assert again.returncode == 0, again.stderr
    assert (out / "model.glassnet").is_file() and not (out / ".lock").exists()


def test_two_runs_started_together_never_both_succeed(data, tmp_path) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "glassnet", "train", str(data), *SHORT, "--out", str(out)]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(60), run.communicate()[1]) for run in runs]
    assert sorted(status for status, _ in results) == [0, 1], results
    refusal = next(stderr for status, stderr in results if status == 1)
    # Refused on the lock while the other trains, or, if that one finished first, on its model.
    assert re.search(r"in use by another process \(PID \d+\)|already holds a model", refusal)
    assert not (out / ".lock").exists()


def test_two_runs_without_out_started_together_get_a_folder_each(data, tmp_path) -> None:
    command = [sys.executable, "-m", "glassnet", "train", str(data), *SHORT]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True) for _ in "ab"
    ]
    results = [(run.wait(60), run.communicate()[1]) for run in runs]
    assert [status for status, _ in results] == [0, 0], results
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2 and all((f / "model.glassnet").is_file() for f in folders)


def test_the_lock_of_a_killed_run_is_taken_over_with_a_message(data, tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    pid = dead_pid()
    (out / ".lock").write_text(f"{pid}\n")
    result = glassnet("train", data, "--epochs", "2", "--layers", "4", "--no-report", "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"took over the lock left by process {pid}, which no longer holds it" in result.stdout
    assert (out / "model.glassnet").is_file() and not (out / ".lock").exists()


def test_a_run_that_fails_leaves_neither_its_lock_nor_an_empty_folder(data, tmp_path) -> None:
    out = tmp_path / "runs" / "run"
    line = one_line_error(glassnet("train", data, *SHORT, "--target", "nope", "--out", out))
    assert "nope" in line
    assert not (tmp_path / "runs").exists()


def test_a_killed_writers_temporary_file_is_removed_by_the_next_run(data, tmp_path) -> None:
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    stale = out / f".model.glassnet.pid{dead_pid()}.k3j5x9ab.tmp"
    stale_checkpoint = out / "checkpoints" / f".epoch-0001.glassnet.pid{dead_pid()}.abcdefgh.tmp"
    live = out / f".summary.json.pid{os.getpid()}.abcdefgh.tmp"  # this test's own
    for path in (stale, stale_checkpoint, live):
        path.write_bytes(b"half a file")
    result = glassnet("train", data, *SHORT, "--checkpoint-every", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and not stale_checkpoint.exists()
    assert live.read_bytes() == b"half a file"  # its writer is running: left alone
    assert (out / "model.glassnet").is_file()
