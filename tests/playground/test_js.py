"""The page's JavaScript unit tests (``tests/playground/js/*.test.mjs``), run by ``node --test``.

They check the page's pure modules (the URL fragment, number formatting, colour scales, the
notation renderer, the API client); the drawing is checked in a browser by ``test_e2e.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js"
ROOT = Path(__file__).resolve().parents[2]


def test_javascript_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the page's JavaScript unit tests need Node.js 20+")
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs files in {JS_TESTS}"
    result = subprocess.run(
        [node, "--test", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # The runner's own summary: every test passed and none was skipped or left out.
    passed = re.search(r"^# pass (\d+)$", report, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", report, re.MULTILINE)
    assert passed is not None and failed is not None, report
    assert int(passed.group(1)) >= 25, report
    assert int(failed.group(1)) == 0, report
