"""``mpiexec -n 2 glassnet train`` (issue 12): the command as a user starts it on two ranks.

One run folder, written by rank 0 alone, whose summary records the two ranks; the model
of one process with the same options (in float64); an error inside training on one rank
ends both with its one line; killing one rank ends the job within seconds, and rank 0's
last checkpoint resumes on two ranks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet
from training_process import LONG, small_csv

from glassnet.io import load_model

pytest.importorskip("mpi4py", reason='the MPI tests need mpi4py (pip install "glassnet[mpi]")')

_BESIDE = Path(sys.executable).parent / "mpiexec"
MPIEXEC = str(_BESIDE) if _BESIDE.exists() else shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(
    MPIEXEC is None, reason="no mpiexec: the MPI tests need an MPI library (pip install mpich)"
)

SAME = ["--epochs", "4", "--batch-size", "16", "--early-stopping", "0", "--refit"]
SAME += ["--layers", "8,4", "--dtype", "float64", "--seed", "3", "--no-report"]
"""Options of a short run in float64, the same for one process and for two ranks; the
model saved is a refit on every row for the best epoch count, trained on the ranks too."""


def mpi_command(*args: object, ranks: int = 2) -> list[str]:
    assert MPIEXEC is not None
    return [MPIEXEC, "-n", str(ranks), sys.executable, "-m", "glassnet", *map(str, args)]


def mpi_glassnet(
    *args: object, cwd: Path, timeout: float = 60, ranks: int = 2
) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n RANKS python -m glassnet ARGS``, its output captured as text."""
    command = mpi_command(*args, ranks=ranks)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )


def glassnet_lines(stderr: str) -> list[str]:
    """glassnet's own lines on stderr (MPICH adds its own about the abort)."""
    return [line for line in stderr.splitlines() if line.startswith("glassnet:")]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return small_csv(tmp_path_factory.mktemp("data") / "small.csv")


def test_two_ranks_write_one_run_folder_with_the_model_of_one_process(data, tmp_path) -> None:
    two = mpi_glassnet("train", data, *SAME, "--out", "two", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    lines = two.stdout.splitlines()
    assert lines[0] == "training on 2 ranks (MPI)", two.stdout
    # Rank 0 alone speaks: each line of a one-process run once, not twice.
    assert sum(line.startswith("epoch 4/4") for line in lines) == 1, two.stdout
    assert sum(line.startswith("model: ") for line in lines) == 1, two.stdout
    assert sum(line.startswith("refit: ") for line in lines) == 1, two.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two"]  # no runs/, no other folder
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["ranks"] == 2
    assert summary["batch_size"] == 16  # the global batch, as given
    assert summary["command"].startswith("mpiexec -n 2 glassnet train")
    assert "batch 16 (over 2 ranks)" in two.stdout

    one = glassnet("train", data, *SAME, "--out", tmp_path / "one")
    assert one.returncode == 0, one.stderr
    assert not one.stdout.startswith("training on"), one.stdout
    assert json.loads((tmp_path / "one" / "summary.json").read_text())["ranks"] == 1

    two = load_model(tmp_path / "two" / "model.glassnet").network
    assert all(p.dtype == np.float64 for layer in two.layers for p in layer.params.values())
    _same_parameters(tmp_path / "two" / "model.glassnet", tmp_path / "one" / "model.glassnet")
    h_two, h_one = (json.loads((tmp_path / n / "history.json").read_text()) for n in ("two", "one"))
    np.testing.assert_allclose(h_two["loss"], h_one["loss"], rtol=1e-10)
    np.testing.assert_allclose(h_two["val_loss"], h_one["val_loss"], rtol=1e-10)


def _same_parameters(a: Path, b: Path) -> None:
    ours, theirs = (load_model(path).network for path in (a, b))
    for layer_a, layer_b in zip(ours.layers, theirs.layers, strict=True):
        for key, value in layer_b.params.items():
            scale = np.abs(value).max()
            np.testing.assert_allclose(
                layer_a.params[key], value, rtol=0, atol=1e-10 * scale, err_msg=key
            )


def test_a_run_resumes_on_another_number_of_ranks(data, tmp_path) -> None:
    """Without dropout the ranks train what one process trains, so a run checkpointed on
    2 ranks and resumed on 3 ends as one process's uninterrupted run (1e-10)."""
    short = [option for option in SAME if option != "--refit"] + ["--no-refit"]
    short[short.index("--epochs") + 1] = "2"
    first = mpi_glassnet(
        "train", data, *short, "--checkpoint-every", "1", "--out", "run", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    resumed = mpi_glassnet(
        "train",
        "--resume",
        "run/checkpoints/epoch-0002.glassnet",
        "--epochs",
        "4",
        "--overwrite",
        "--no-report",
        cwd=tmp_path,
        ranks=3,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "batch 16 (over 3 ranks)" in resumed.stdout
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["ranks"] == 3
    short[short.index("--epochs") + 1] = "4"
    one = glassnet("train", data, *short, "--out", tmp_path / "one")
    assert one.returncode == 0, one.stderr
    _same_parameters(tmp_path / "run" / "model.glassnet", tmp_path / "one" / "model.glassnet")


def test_distributed_in_one_process_trains_on_one_rank(data, tmp_path) -> None:
    result = glassnet("train", data, *SAME, "--distributed", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "training on 1 rank (MPI)"
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["ranks"] == 1


def test_an_error_inside_training_on_rank_0_ends_both_ranks_with_its_one_line(
    data, tmp_path
) -> None:
    # Rank 0 alone writes checkpoints: here it cannot, at the end of epoch 1, while rank 1
    # goes on into epoch 2 and would wait for rank 0 in its first Allreduce for ever.
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoints").write_text("a file where the checkpoints' folder should be")
    started = time.monotonic()
    result = mpi_glassnet(
        "train", data, *LONG, "--checkpoint-every", "1", "--out", out, cwd=tmp_path, timeout=40
    )
    assert time.monotonic() - started < 30
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    (line,) = glassnet_lines(result.stderr)
    assert line.startswith("glassnet: error: rank 0: "), result.stderr
    assert "checkpoints" in line, line
    assert result.stdout.splitlines()[0] == "training on 2 ranks (MPI)"
    assert not (out / "model.glassnet").exists()
    assert not (out / ".lock").exists()  # rank 0 let go of it before it aborted the job


def test_a_run_that_fails_on_every_rank_leaves_no_run_folder(tmp_path) -> None:
    """As in one process: the run folder made for a run that wrote nothing goes, lock
    and all, although an MPI job ends its ranks without running their ``with`` exits."""
    data = tmp_path / "two.csv"
    data.write_text("x,y\n1,a\n2,b\n")  # no validation row for early stopping to watch
    result = mpi_glassnet("train", data, "--out", "run", cwd=tmp_path)
    assert result.returncode != 0
    assert "no row is left for validation" in result.stderr, result.stderr
    assert not (tmp_path / "run").exists()


def test_a_bad_option_value_is_said_once(data, tmp_path) -> None:
    # Every rank meets it; rank 0's line alone reaches the user.
    result = mpi_glassnet("train", data, "--epochs", "zero", "--out", "run", cwd=tmp_path)
    assert result.returncode != 0
    (line,) = glassnet_lines(result.stderr)
    assert line.startswith("glassnet: error: rank 0: ") and "epochs" in line, result.stderr
    assert not (tmp_path / "run").exists()


def _descendants(pid: int) -> list[int]:
    """The processes started (directly or not) by ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rank_of(pid: int) -> int | None:
    """The MPI rank a launcher gave process ``pid`` (MPICH's or Open MPI's variable)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for item in environ:
        name, _, value = item.partition(b"=")
        if name in (b"PMI_RANK", b"OMPI_COMM_WORLD_RANK") and value.isdigit():
            return int(value)
    return None


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("stop", ["kill rank 1", "ctrl-c on mpiexec"])
def test_a_killed_rank_or_ctrl_c_ends_the_job_and_rank_0s_checkpoint_resumes(
    data, tmp_path, stop
) -> None:
    out = tmp_path / "run"
    command = mpi_command("train", data, *LONG, "--checkpoint-every", "1", "--out", out)
    job = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 40
        while len(list((out / "checkpoints").glob("epoch-*.glassnet"))) < 2:
            assert job.poll() is None, job.communicate()[1]
            assert time.monotonic() < deadline, "no two checkpoints within 40 s"
            time.sleep(0.05)
        ranks = {_rank_of(pid): pid for pid in _descendants(job.pid)}
        assert {0, 1} <= set(ranks), ranks
        if stop == "kill rank 1":
            os.kill(ranks[1], signal.SIGKILL)
        else:  # what a terminal sends mpiexec on Ctrl-C; it passes it on to every rank
            os.kill(job.pid, signal.SIGINT)
        stopped = time.monotonic()
        _, stderr = job.communicate(timeout=20)
        assert time.monotonic() - stopped < 10, "the job went on"
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0, stderr
    for pid in ranks.values():  # no rank outlives the job by more than a few seconds
        while _rank_of(pid) is not None:
            assert time.monotonic() - stopped < 10, f"rank still running: {pid}"
            time.sleep(0.05)

    if stop == "kill rank 1":  # the last checkpoint rank 0 wrote before the job ended
        last = max((out / "checkpoints").glob("epoch-*.glassnet"))
    else:  # rank 0 saved the last finished epoch and said how to resume
        assert job.returncode == 130, stderr
        assert not (out / ".lock").exists()  # let go, as one process lets go
        assert "glassnet: stopped: rank 0: interrupted by SIGINT" in stderr  # not an error
        said = [line for line in stderr.splitlines() if line.startswith("resume with: ")]
        assert len(said) == 1, stderr
        words = said[0].removeprefix("resume with: ").split()
        assert words[:6] == ["mpiexec", "-n", "2", "glassnet", "train", "--resume"], said
        last = tmp_path / words[6]
    epoch = int(last.stem.split("-")[1])
    resumed = mpi_glassnet(
        "train", "--resume", last, "--epochs", epoch + 2, "--no-report", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[0] == "training on 2 ranks (MPI)"
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == list(range(1, epoch + 3))
    assert json.loads((out / "summary.json").read_text())["ranks"] == 2


def test_predict_under_mpiexec_runs_once(data, tmp_path) -> None:
    """Only training runs on every rank: predict, evaluate and the others are rank 0's,
    so their output comes once, not once per rank."""
    trained = glassnet("train", data, *SAME, "--out", tmp_path / "run")
    assert trained.returncode == 0, trained.stderr
    model = tmp_path / "run" / "model.glassnet"
    one = glassnet("predict", model, data)
    two = mpi_glassnet("predict", model, data, cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    assert two.stdout == one.stdout and len(one.stdout.splitlines()) == 121  # header + rows
