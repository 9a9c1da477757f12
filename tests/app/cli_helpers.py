"""Running the ``glassnet`` command as a user does, for the tests of tests/app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def glassnet(
    *args: object, cwd: Path | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m glassnet ARGS`` in a subprocess, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error a user sees: exactly one line on stderr, no traceback, non-zero exit."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("glassnet: error: ")
    return lines[0]
