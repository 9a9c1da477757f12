"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
HOUSING = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "california-housing"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, monkeypatch) -> None:
    code = BLOCKS[index]
    for package in ("torch", "safetensors"):  # optional: PyTorch is not a test dependency
        if f"import {package}" in code:
            pytest.importorskip(package, reason=f"the example needs {package}, not installed")
    if "housing.csv" in code:
        if not HOUSING.exists():
            pytest.skip(f"needs the shared datasets beside the repository: {HOUSING} is absent")
        monkeypatch.chdir(HOUSING)
    namespace: dict[str, object] = {}
    exec(compile(code, f"README.md example {index + 1}", "exec"), namespace)
    if "history" in namespace and "val_r2" in code:
        assert namespace["history"]["val_r2"][-1] > 0.7  # type: ignore[index]
