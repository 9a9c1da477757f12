"""The ``glassnet`` command, driven as a user would drive it."""

from __future__ import annotations

import re
import subprocess
import sys


def test_train_with_no_arguments_trains_on_the_shipped_sample() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "network: 784-128-10" in out
    assert re.search(r"^epoch 1/2 .*val_accuracy", out, re.MULTILINE)
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.9  # two epochs of SGD on 10k MNIST digits give about 0.91-0.92


def test_help_lists_the_train_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "train" in result.stdout
