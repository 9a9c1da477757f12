"""A ``glassnet train`` running in the background, for the tests that signal it, lock its
folder against another run, or resume it: started, waited on until it has finished an
epoch, then stopped and read."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

LONG = ["--epochs", "100000", "--early-stopping", "0", "--layers", "4", "--no-report"]
"""Options of a run that trains until it is stopped, an epoch every millisecond or so."""


def small_csv(path: Path, rows: int = 120, seed: int = 0) -> Path:
    """A CSV of two numeric columns and a 2-class target."""
    rng = np.random.default_rng(seed)
    lines = ["x,y,label"]
    for _ in range(rows):
        label = int(rng.integers(0, 2))
        lines.append(f"{rng.normal(label, 0.5):.3f},{rng.normal(-label, 0.5):.3f},c{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


class Training:
    """``python -m glassnet train ARGS`` in the background; stdout is drained by a thread
    (a full pipe would block the run's prints), stderr goes to a file."""

    def __init__(self, *args: object, cwd: Path, stderr: Path) -> None:
        self._stderr_path = stderr
        self._stderr = stderr.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "glassnet", "train", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._epoch = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if re.match(r"epoch\s+\d+/", line):
                self._epoch.set()

    def wait_for_an_epoch(self, timeout: float = 30) -> None:
        """Return once the run has printed a finished epoch (fail if it ends first)."""
        if not self._epoch.wait(timeout):
            self.process.kill()
            raise AssertionError(f"no epoch within {timeout}s: {self.finish()}")

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """``(exit status, stdout, stderr)`` once the run has ended."""
        status = self.process.wait(timeout)
        self._reader.join(timeout)
        self._stderr.close()
        return status, "".join(self.lines), self._stderr_path.read_text()
