"""Errors about a file's rows name the file.

Deep in preparing a table, a check knows the values, not where they came from ("the
target has 1 distinct value"); at the public boundary the file is known. :func:`naming`
puts its name in front of any ValueError that does not already say it, so that a user
with several files open sees which one to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .inputs import is_path


@contextmanager
def naming(data: Any) -> Iterator[None]:
    """Within the block, a ValueError about ``data`` (a path) names it; the error keeps
    its type (a subclass stays one)."""
    try:
        yield
    except ValueError as exc:
        if not is_path(data):
            raise
        name, message = str(data), str(exc)
        if name in message or Path(name).name in message:
            raise
        exc.args = (f"{name}: {message}", *exc.args[1:])
        raise
