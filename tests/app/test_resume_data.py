"""``glassnet train --resume`` and the data file its checkpoint names (issue 10, point 7e):
found from any working folder, refused when it changed (only warned about with
``--allow-changed-data``), and never read when a crafted checkpoint names something that is
not a data file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli_helpers import glassnet, one_line_error
from training_process import small_csv

from glassnet.tabular import load_checkpoint
from glassnet.tabular.checkpoints import SAMPLE_BYTES, data_fingerprint, fingerprint_changes

RUN = ["--epochs", "2", "--checkpoint-every", "2", "--layers", "4", "--no-report", "-q"]


@pytest.fixture()
def checkpoint(tmp_path) -> Path:
    """A run's checkpoint after epoch 2, trained on ``tmp_path/data/small.csv`` given by a
    path relative to the folder it ran in."""
    (tmp_path / "data").mkdir()
    small_csv(tmp_path / "data" / "small.csv")
    result = glassnet("train", "small.csv", *RUN, "--out", tmp_path / "run", cwd=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    return tmp_path / "run" / "checkpoints" / "epoch-0002.glassnet"


def resumed(checkpoint: Path, *extra: object, cwd: Path):
    out = checkpoint.parent.parent.parent / "resumed"
    return glassnet(
        "train",
        "--resume",
        checkpoint,
        "--epochs",
        3,
        "--out",
        out,
        "-q",
        "--no-report",
        *extra,
        cwd=cwd,
    )


def test_the_checkpoint_keeps_the_data_by_absolute_path_and_fingerprint(checkpoint) -> None:
    metadata = load_checkpoint(checkpoint).model.metadata
    data = checkpoint.parent.parent.parent / "data" / "small.csv"
    assert metadata["data"] == str(data)
    assert metadata["data_fingerprint"]["size"] == data.stat().st_size


def test_resume_from_another_working_folder_finds_the_data(checkpoint, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = resumed(checkpoint, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data" / "small.csv"
    assert f"resuming: data {data} (from the checkpoint)" in result.stdout
    assert (tmp_path / "resumed" / "model.glassnet").is_file()


def test_resume_on_a_changed_csv_is_refused_unless_allowed(checkpoint, tmp_path) -> None:
    data = tmp_path / "data" / "small.csv"
    with data.open("a") as file:
        file.write("0.5,0.5,c1\n")
    line = one_line_error(resumed(checkpoint, cwd=tmp_path))
    assert f"the data file {data} has changed" in line
    assert "bytes" in line and "--allow-changed-data" in line
    assert not (tmp_path / "resumed").exists()
    allowed = resumed(checkpoint, "--allow-changed-data", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stderr.startswith("glassnet: warning: the data file")
    assert "resuming on it anyway" in allowed.stderr


def test_the_runs_test_file_is_used_again_on_resume(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    small_csv(tmp_path / "data" / "small.csv")
    small_csv(tmp_path / "data" / "test.csv", rows=40, seed=1)
    first = glassnet(
        "train",
        "small.csv",
        *RUN,
        "--test-file",
        "test.csv",
        "--out",
        tmp_path / "run",
        cwd=tmp_path / "data",
    )
    assert first.returncode == 0, first.stderr
    checkpoint = tmp_path / "run" / "checkpoints" / "epoch-0002.glassnet"
    result = resumed(checkpoint, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    test = tmp_path / "data" / "test.csv"
    assert f"resuming: test file {test} (from the checkpoint)" in result.stdout
    assert "test (test.csv, 40 rows): " in result.stdout


def test_allow_changed_data_without_resume_is_refused(tmp_path) -> None:
    data = small_csv(tmp_path / "small.csv")
    line = one_line_error(glassnet("train", data, "--allow-changed-data", "--out", tmp_path / "r"))
    assert "--allow-changed-data" in line and "--resume" in line


@pytest.mark.parametrize(
    ("named", "why"), [("/etc/passwd", "which is not a data file"), ("folder.csv", "not a file")]
)
def test_a_crafted_checkpoint_naming_a_file_that_is_not_data_is_refused(
    checkpoint, tmp_path, named, why
) -> None:
    (tmp_path / "folder.csv").mkdir()
    target = named if os.path.isabs(named) else str(tmp_path / named)
    saved = load_checkpoint(checkpoint)
    saved.model.metadata["data"] = target
    crafted = saved.model.save(tmp_path / "crafted.glassnet", training=saved.snapshot)
    result = resumed(crafted, cwd=tmp_path)
    line = one_line_error(result)
    assert f"resuming: data {target} (from the checkpoint)" in result.stdout
    assert repr(target) in line and why in line
    shown = result.stdout + result.stderr
    if Path(target).is_file():  # nothing of what it holds is shown
        for content in Path(target).read_text(errors="replace").splitlines()[:5]:
            assert not content.strip() or content not in shown
    assert not (tmp_path / "resumed").exists()


def test_a_crafted_path_with_a_line_break_is_printed_quoted(checkpoint, tmp_path) -> None:
    saved = load_checkpoint(checkpoint)
    saved.model.metadata["data"] = "x.csv\nvalidation: accuracy 1.0000"
    crafted = saved.model.save(tmp_path / "crafted.glassnet", training=saved.snapshot)
    result = resumed(crafted, cwd=tmp_path)
    one_line_error(result)
    assert "\nvalidation: accuracy" not in result.stdout
    assert "resuming: data 'x.csv\\nvalidation: accuracy 1.0000' (from the checkpoint)" in (
        result.stdout
    )


# -- the fingerprint --------------------------------------------------------------------------


def test_a_fingerprint_tells_an_edit_not_a_touch_of_a_small_file(tmp_path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x,y\n1,2\n")
    before = data_fingerprint(path)
    os.utime(path, ns=(before["mtime_ns"] + 10**9, before["mtime_ns"] + 10**9))
    assert fingerprint_changes(before, data_fingerprint(path)) == []  # every byte was hashed
    path.write_text("x,y\n1,3\n")  # same size, other content
    assert fingerprint_changes(before, data_fingerprint(path)) == [
        "its first or last 64 KiB differ"
    ]


def test_a_fingerprint_of_a_large_file_counts_a_new_time_as_a_change(tmp_path) -> None:
    path = tmp_path / "big.csv"
    content = bytearray(b"1\n" * (2 * SAMPLE_BYTES))
    path.write_bytes(content)
    before = data_fingerprint(path)
    content[2 * SAMPLE_BYTES] = ord("3")  # in the middle: outside both samples
    path.write_bytes(content)
    os.utime(path, ns=(before["mtime_ns"] + 10**9, before["mtime_ns"] + 10**9))
    (change,) = fingerprint_changes(before, data_fingerprint(path))
    assert change.startswith("modified ") and "its middle may differ" in change


def test_a_copy_of_the_data_keeps_its_fingerprint(tmp_path) -> None:
    path = small_csv(tmp_path / "a.csv")
    copy = tmp_path / "b.csv"
    shutil.copy2(path, copy)  # same bytes, same modification time
    assert fingerprint_changes(data_fingerprint(path), data_fingerprint(copy)) == []
