"""One writer at a time in a folder: a lock file holding the writer's PID.

Two runs writing one run folder would interleave their files and leave a model, a history
and a report from different runs, each exiting 0. :class:`FolderLock` makes the second
refuse instead, naming the first one's PID.

Where the platform has ``fcntl.flock`` (Linux, macOS), the lock is the kernel's lock on the
file, which dies with its process: a lock file left by a killed run (SIGKILL, a crash) is
locked by no one and is simply taken over. Elsewhere the lock is the file itself, created
exclusively; one whose PID is no longer running is taken over.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType

from .files import process_running

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".lock"
_PID_WAITS = 50
"""Tries, 10 ms apart, to read the PID of a lock that was just taken (half a second)."""

_ATTEMPTS = 20
"""How often to try again when the lock file was removed under us by a run that just
ended (each retry means another run made progress, so this is never reached in practice)."""


class FolderInUseError(BlockingIOError):
    """The folder is locked by another running process, ``pid`` (``None``: unknown)."""

    def __init__(self, message: str, pid: int | None) -> None:
        super().__init__(message)
        self.pid = pid


class FolderLock:
    """An exclusive lock on ``folder`` (created if needed), as a context manager: on entry
    the lock file ``folder/.lock`` holds this process's PID; on exit it is removed, and so
    is the folder if the lock created it and nothing was written into it.

    ``stale_pid`` is the PID of a process whose lock was taken over because it no longer
    held it (it was killed), for the caller to say so.

    The folder is made on entry, before the caller has decided anything: a run that fails
    on its data must leave no empty folder behind, so the folders made here go again on
    exit when they are still empty.
    """

    def __init__(self, folder: str | os.PathLike[str], what: str = "folder") -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.what = what
        self.stale_pid: int | None = None
        self._handle: int | None = None
        self._created: list[Path] = []
        """The folders made for the lock, nearest first."""

    def __enter__(self) -> FolderLock:
        if self._handle is None:  # not taken already with acquire()
            self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, or raise :class:`FolderInUseError` naming the process that holds it."""
        for _ in range(_ATTEMPTS):
            if not self.folder.is_dir():
                missing = [p for p in (self.folder, *self.folder.parents) if not p.exists()]
                self.folder.mkdir(parents=True, exist_ok=True)
                self._created = self._created or missing
            handle = self._locked_handle()
            if handle is not None:
                self._handle = handle
                return
        raise FolderInUseError(
            f"could not lock the {self.what} {self.folder}: {self.path} keeps changing", None
        )

    def release(self) -> None:
        """Remove the lock file and let go of the lock (a no-op if not held)."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            # Removed while still locked: a run that opened the old file and gets the lock
            # after this sees that the name now points elsewhere, and starts over.
            self.path.unlink(missing_ok=True)
        finally:
            os.close(handle)
        for folder in self._created:
            try:
                folder.rmdir()  # only if empty: a run that failed before writing
            except OSError:
                break

    def _locked_handle(self) -> int | None:
        """An open, locked handle on the lock file holding our PID; ``None`` to try again."""
        if fcntl is None:
            return self._exclusive_handle()
        try:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the folder was removed by a run that just failed
            return None
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._in_use(_holder_pid(handle)) from None
            try:
                same = os.path.samestat(os.fstat(handle), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:  # the holder removed it as we opened it: lock the new one
                os.close(handle)
                return None
            previous = _read_pid(handle)
            if previous is not None and previous != os.getpid():
                self.stale_pid = previous
            _write_pid(handle)
        except BaseException:
            os.close(handle)
            raise
        return handle

    def _exclusive_handle(self) -> int | None:
        """The lock without ``flock``: the lock file, created exclusively."""
        try:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pid = _read_pid_of(self.path)
            if pid is None or process_running(pid):
                raise self._in_use(pid) from None
            self.stale_pid = pid
            self.path.unlink(missing_ok=True)
            return None
        except FileNotFoundError:
            return None
        try:
            _write_pid(handle)
        except BaseException:
            os.close(handle)
            raise
        return handle

    def _in_use(self, pid: int | None) -> FolderInUseError:
        holder = "another process" if pid is None else f"another process (PID {pid})"
        # Without flock a killed holder's file stays locked (when its PID cannot be probed).
        hint = "" if fcntl is not None else f" (if no such process runs, delete {self.path})"
        return FolderInUseError(
            f"the {self.what} {self.folder} is in use by {holder}: wait for it to end, or "
            f"choose another folder{hint}",
            pid,
        )


def _holder_pid(handle: int) -> int | None:
    """The PID in a lock file another process holds. It writes its PID just after it takes
    the lock, so a file still empty is read again for a moment before giving up."""
    for _ in range(_PID_WAITS):
        pid = _read_pid(handle)
        if pid is not None:
            return pid
        time.sleep(0.01)
    return None


def _read_pid(handle: int) -> int | None:
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        text = os.read(handle, 32)
    except OSError:
        return None
    return _parse_pid(text)


def _read_pid_of(path: Path) -> int | None:
    try:
        with path.open("rb") as file:
            return _parse_pid(file.read(32))
    except OSError:
        return None


def _parse_pid(text: bytes) -> int | None:
    """The PID in a lock file; ``None`` for an empty one (its writer had not written yet)."""
    try:
        pid = int(text.strip() or b"x")
    except ValueError:
        return None
    return pid if pid > 0 else None


def _write_pid(handle: int) -> None:
    os.ftruncate(handle, 0)
    os.lseek(handle, 0, os.SEEK_SET)
    os.write(handle, f"{os.getpid()}\n".encode())
