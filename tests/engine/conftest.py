"""The ``gpu`` marker: tests that need CuPy and a CUDA GPU (``pytest -m gpu`` runs them)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA GPU (skipped without them)")
