"""Ctrl-C and SIGTERM during ``glassnet train`` (issue 10, point 6), with real signals sent
to a real run: the first stops it at the end of a step and saves its last finished epoch,
later ones wait until that checkpoint is written, the exit status is 128 + the signal's
number, and the printed resume command continues the run."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import threading
import time
from pathlib import Path

import pytest
from cli_helpers import glassnet
from training_process import LONG, Training, small_csv

from glassnet.cli.signals import SIGNALS, Interrupted, StopOnSignal, interrupted
from glassnet.tabular import load_checkpoint


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return small_csv(tmp_path_factory.mktemp("data") / "small.csv")


def interrupted_run(
    data: Path, out: Path, *signals: signal.Signals, gap: float = 0.0, lead: float = 0.0
):
    """Train until an epoch has finished, send ``signals`` ``gap`` seconds apart (``lead``
    seconds after the first), and return ``(status, stdout, stderr)``."""
    run = Training(data, *LONG, "--out", out, cwd=out.parent, stderr=out.parent / "stderr.txt")
    run.wait_for_an_epoch()
    for position, signum in enumerate(signals):
        if position and (gap or lead):
            time.sleep(lead if position == 1 and lead else gap)
        os.kill(run.pid, signum)
    return run.finish()


def saved_checkpoint(stderr: str, name: str) -> tuple[Path, int, str]:
    """The checkpoint the run says it saved, its epoch, and the resume command it printed."""
    saved = re.search(rf"interrupted by {name}: saved the state after epoch (\d+) to (.+)", stderr)
    command = re.search(r"resume with: (glassnet train --resume .+)", stderr)
    assert saved and command, stderr
    return Path(saved[2]), int(saved[1]), command[1]


def resume(command: str, epoch: int, cwd: Path):
    """The printed resume command, training two more epochs."""
    words = shlex.split(command)
    assert words[:3] == ["glassnet", "train", "--resume"], command
    return glassnet(*words[1:], "--epochs", epoch + 2, "-q", "--no-report", cwd=cwd)


@pytest.mark.parametrize("gap", [0.0, 0.015], ids=["within-1ms", "15ms-apart"])
def test_two_ctrl_c_save_the_last_epoch_exit_130_and_the_run_resumes(data, tmp_path, gap) -> None:
    out = tmp_path / "run"
    status, stdout, stderr = interrupted_run(data, out, signal.SIGINT, signal.SIGINT, gap=gap)
    assert status == 130, stderr
    path, epoch, command = saved_checkpoint(stderr, "SIGINT")
    assert epoch >= 1 and f"epoch {epoch:>6}/100000" in stdout  # the last epoch it printed
    assert f"epoch {epoch + 1:>6}/100000" not in stdout
    checkpoint = load_checkpoint(out.parent / path)
    assert checkpoint.epoch == epoch
    assert "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints"]  # the lock is gone
    resumed = resume(command, epoch, cwd=out.parent)
    assert resumed.returncode == 0, resumed.stderr
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == list(range(1, epoch + 3))


def test_sigterm_saves_the_last_epoch_and_exits_143(data, tmp_path) -> None:
    out = tmp_path / "run"
    status, _, stderr = interrupted_run(data, out, signal.SIGTERM)
    assert status == 143, stderr
    path, epoch, command = saved_checkpoint(stderr, "SIGTERM")
    assert load_checkpoint(out.parent / path).epoch == epoch
    resumed = resume(command, epoch, cwd=out.parent)
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads((out / "history.json").read_text())["loss"]) == epoch + 2


def test_a_burst_of_signals_waits_for_the_checkpoint_and_the_first_decides(data, tmp_path) -> None:
    out = tmp_path / "run"
    burst = [signal.SIGTERM, *[signal.SIGINT, signal.SIGTERM] * 15]
    # Signals pending together are handled in the order of their numbers (SIGINT, 2, before
    # SIGTERM, 15), whichever came first; so the first is given time to be handled alone.
    status, _, stderr = interrupted_run(data, out, *burst, gap=0.0005, lead=0.05)
    assert status == 143, stderr  # SIGTERM came first
    assert "Traceback" not in stderr
    path, epoch, _ = saved_checkpoint(stderr, "SIGTERM")
    assert load_checkpoint(out.parent / path).epoch == epoch
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [path.name]  # no .tmp


# -- the handlers themselves, in this process -------------------------------------------------


@pytest.fixture()
def own_handlers():
    """This process's SIGINT and SIGTERM handlers, put back after the test (an interrupted
    guard leaves both ignored, as the command ends)."""
    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def wait_for_delivery() -> None:
    for _ in range(200):  # a signal sent to oneself is handled at the next bytecode or so
        time.sleep(0.001)


def test_outside_training_the_first_signal_stops_at_once(own_handlers) -> None:
    with pytest.raises(Interrupted) as caught, StopOnSignal():
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for_delivery()
    assert caught.value.exit_status == 143 and caught.value.name == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) == signal.getsignal(signal.SIGTERM) == signal.SIG_IGN


def test_in_training_signals_wait_for_the_end_of_the_step(own_handlers) -> None:
    with StopOnSignal() as guard, pytest.raises(Interrupted) as caught, guard.training():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for_delivery()  # nothing raised in the middle of a step
        assert guard.received == signal.SIGINT and guard.later == [signal.SIGTERM]
        guard.on_batch_end(None, {"loss": 0.0, "size": 1})
    assert caught.value.exit_status == 130


def test_without_a_signal_the_previous_handlers_come_back(own_handlers) -> None:
    def mine(signum, frame) -> None:
        pass

    signal.signal(signal.SIGTERM, mine)
    with StopOnSignal() as guard, guard.training():
        assert signal.getsignal(signal.SIGTERM) not in (mine, signal.SIG_DFL)
    assert signal.getsignal(signal.SIGTERM) is mine
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_outside_the_main_thread_nothing_is_installed() -> None:
    before = {signum: signal.getsignal(signum) for signum in SIGNALS}
    during: list[object] = []

    def enter() -> None:
        with StopOnSignal():
            during.extend(signal.getsignal(signum) for signum in SIGNALS)

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    assert during == list(before.values())  # no error, and Python's handling stays


def test_a_plain_keyboard_interrupt_counts_as_sigint() -> None:
    assert interrupted(KeyboardInterrupt()).exit_status == 130
    assert interrupted(Interrupted(signal.SIGTERM)).exit_status == 143
