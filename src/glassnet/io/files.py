"""Atomic writes: a temporary file in the target's folder, then a rename over the target.

The temporary file's name holds the writer's PID (``.model.glassnet.pid1234.k3j5x9ab.tmp``),
so that one left behind by a writer killed mid-write (SIGKILL, a crash) can be told from one
being written right now: the next write into the folder removes those whose writer is no
longer running. After the rename the folder itself is synced, so that the new name (not only
the new bytes) survives a power cut.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

TEMPORARY_NAME = re.compile(r"^\..+\.pid(?P<pid>[0-9]+)\.[a-z0-9_]+\.tmp$")
"""The name of :func:`atomic_write_bytes`'s temporary files: ``.{name}.pid{PID}.{random}.tmp``."""


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | memoryview) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never
    half of one: a crash or a full disk leaves the old file (or none) in place. An error
    names ``path``: a full disk shows in ``write`` or ``fsync``, whose errors name no file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.pid{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise _naming(exc, path) from exc
    try:
        # mkstemp makes the file private (0600); give it the permissions open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from exc
        raise
    sync_folder(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savez(path: str | os.PathLike[str], **arrays: Any) -> Path:
    """``numpy.savez`` of ``arrays`` to ``path`` (no ``.npz`` appended), atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getbuffer())


def sync_folder(folder: str | os.PathLike[str]) -> None:
    """``fsync`` the folder, so that a rename in it is on disk too, not only the file's
    bytes. Where a folder cannot be opened or synced (Windows, some network file systems)
    there is nothing more to do, and the write itself has succeeded: that is not an error."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of :func:`atomic_write_bytes` in ``folder`` whose writer
    is no longer running (it was killed mid-write); return them. Those of a running writer,
    or of one whose state cannot be told, are left alone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # gone, or not ours to list: the write itself will say what is wrong
        return removed
    for entry in entries:
        match = TEMPORARY_NAME.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        if process_running(int(match["pid"])):
            continue
        try:
            os.unlink(entry.path)
        except OSError:  # removed by another writer first, or not ours to remove
            continue
        removed.append(Path(entry.path))
    return removed


def process_running(pid: int) -> bool:
    """Whether the process ``pid`` exists (``True`` where that cannot be told, so that
    nothing of a live process is ever taken for stale)."""
    if pid <= 0:
        return False  # no writer has such a PID; os.kill(0, …) would mean the process group
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end the process there, not probe it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` as an error that names ``path``, the file being written: ``write`` and
    ``fsync`` on a full disk (ENOSPC) raise with no file name, and the temporary file's
    name would mean nothing to the reader."""
    if exc.errno is None:
        return OSError(f"cannot write {path}: {exc}")
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
