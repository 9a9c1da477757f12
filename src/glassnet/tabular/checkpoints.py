"""A checkpoint file as :func:`~glassnet.tabular.load_checkpoint` reads it: the model at
its epoch and the training state to resume from, and the files its run trained on.

A run remembers its data file by absolute path (so that it resumes from any working folder)
and by a fingerprint (so that a resumed run does not continue silently on other data). A
checkpoint is a file anyone could have written, so a path read from one is checked to name a
regular data file before anything opens it: a crafted checkpoint naming ``/etc/passwd`` or a
device is refused without a byte of it being read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from ..data.files import TABLE_SUFFIXES
from ..data.images import is_image_folder
from ..training import Snapshot

DATA_SUFFIXES = (".csv", ".tsv", ".txt", *TABLE_SUFFIXES)
"""The suffixes of the files a checkpoint may name as its data or test file."""

SAMPLE_BYTES = 64 * 1024
"""A fingerprint hashes this many bytes at the start of the file and as many at its end:
fast on a file of gigabytes; the size and modification time catch most edits in between."""


class _SavedModel(Protocol):
    """What a checkpoint needs of its model: the metadata the run stored."""

    metadata: dict[str, Any]

    @property
    def settings(self) -> dict[str, Any]: ...


M = TypeVar("M", bound=_SavedModel)


@dataclass(frozen=True)
class Checkpointed(Generic[M]):
    """A checkpoint file: the model at its epoch, and the training state to resume from."""

    model: M
    snapshot: Snapshot
    path: str

    @property
    def epoch(self) -> int:
        """The last finished epoch."""
        return int(self.snapshot["epoch"])

    @property
    def settings(self) -> dict[str, Any]:
        """The training options of the run, to resume it with."""
        if "settings" not in self.model.metadata:
            raise ValueError(
                f"{self.path} was not written by glassnet train (it has no settings to "
                "resume with); resume it from Python with fit(resume=...)"
            )
        return self.model.settings

    @property
    def data(self) -> str | None:
        """The CSV file the run trained on, as stored (``None``: the shipped MNIST sample);
        :meth:`check_data` checks it before it is read."""
        if "data" not in self.model.metadata:
            raise ValueError(
                f"{self.path} was trained on data in memory, which a checkpoint does not "
                "hold; resume it from Python: Model.fit(data, ..., resume=load_checkpoint(path))"
            )
        data = self.model.metadata["data"]
        return None if data is None else str(data)

    @property
    def test_file(self) -> str | None:
        """The file the run was to be tested on, as stored (``None``: none)."""
        test_file = self.model.metadata.get("test_file")
        return None if test_file is None else str(test_file)

    def check_data(self, allow_changed: bool = False) -> str | None:
        """:attr:`data` once checked: a regular data file (see :func:`checked_file`) that is
        the same as when the run trained on it. A file that changed since is refused with
        a ValueError saying how, or with ``allow_changed`` only warned about."""
        data = self.data
        if data is None:
            return None
        path = checked_file(data, self.path, "data")
        saved = self.model.metadata.get("data_fingerprint")
        if not isinstance(saved, dict):
            return path  # a checkpoint from before fingerprints: nothing to compare with
        changes = fingerprint_changes(saved, data_fingerprint(path))
        if changes:
            what = f"the data file {path} has changed since {self.path} was written"
            why = "; ".join(changes)
            if not allow_changed:
                raise ValueError(
                    f"{what} ({why}): resuming on other data would not continue the same "
                    "run; train a new run on it, or give --allow-changed-data to resume anyway"
                )
            warnings.warn(f"{what} ({why}); resuming on it anyway", stacklevel=2)
        return path


def checked_file(path: str, source: str, what: str = "data") -> str:
    """``path``, named by the checkpoint ``source`` as its ``what`` file, once known to be a
    regular file with a data suffix (:data:`DATA_SUFFIXES`); a relative path (from before
    paths were stored absolute) is taken from the working folder. Nothing is opened: the
    error names the path, never shows what the file holds."""
    file = Path(path)
    images = what == "data" and is_image_folder(file)  # a folder of class folders of images
    if file.suffix.lower() not in DATA_SUFFIXES and not images:
        raise ValueError(
            f"{source} names {path!r} as its {what} file, which is not a data file "
            f"({', '.join(DATA_SUFFIXES)}): refused, as a checkpoint could name any file"
        )
    if not file.exists():
        where = "" if file.is_absolute() else f" (relative to the working folder {Path.cwd()})"
        raise FileNotFoundError(
            f"the {what} file {path!r}{where}, named by {source}, does not exist"
        )
    if not file.is_file() and not images:
        raise ValueError(f"{source} names {path!r} as its {what} file, which is not a file")
    return os.path.abspath(file)


def run_files(data: str | None, test_file: str | None) -> dict[str, Any]:
    """What a run's model (and so each checkpoint) keeps of its files, for ``metadata``:
    the data and test file by absolute path, and the data file's fingerprint."""
    files: dict[str, Any] = {}
    if data is not None:
        files["data"] = os.path.abspath(data)
        files["data_fingerprint"] = data_fingerprint(data)
    if test_file is not None:
        files["test_file"] = os.path.abspath(test_file)
    return files


def data_fingerprint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The file's size, modification time and the SHA-256 of its first and last
    :data:`SAMPLE_BYTES` (of all of it, when that covers it); for a folder of images, the
    SHA-256 of its files' names and sizes, their total size and latest modification."""
    if Path(path).is_dir():
        files = sorted(p for p in Path(path).rglob("*") if p.is_file())
        stats = [p.stat() for p in files]
        listing = hashlib.sha256()
        for name, stat in zip(files, stats, strict=True):
            listing.update(f"{name.relative_to(path)}\0{stat.st_size}\0".encode())
        return {
            "size": sum(stat.st_size for stat in stats),
            "mtime_ns": max((stat.st_mtime_ns for stat in stats), default=0),
            "sha256_sample": listing.hexdigest(),
            "sample_bytes": 0,
        }
    with open(path, "rb") as file:
        stat = os.fstat(file.fileno())
        digest = hashlib.sha256(file.read(SAMPLE_BYTES))
        if stat.st_size > SAMPLE_BYTES:
            file.seek(max(SAMPLE_BYTES, stat.st_size - SAMPLE_BYTES))
            digest.update(file.read(SAMPLE_BYTES))
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256_sample": digest.hexdigest(),
        "sample_bytes": SAMPLE_BYTES,
    }


def fingerprint_changes(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """How the file of fingerprint ``now`` differs from the one of ``saved``, in words
    (``[]``: the same, as far as a fingerprint tells)."""
    changes = []
    if saved.get("size") != now["size"]:
        changes.append(f"its size is {now['size']:,} bytes, was {_shown(saved.get('size'))}")
    if saved.get("sha256_sample") != now["sha256_sample"]:
        folder = now["sample_bytes"] == 0
        changes.append(
            "its files' names or sizes differ" if folder else "its first or last 64 KiB differ"
        )
    whole = now["size"] <= 2 * SAMPLE_BYTES  # the hash covered every byte: a time says nothing
    if not changes and not whole and saved.get("mtime_ns") != now["mtime_ns"]:
        changes.append(
            f"modified {_time(now['mtime_ns'])}, was {_time(saved.get('mtime_ns'))}; its "
            "middle may differ"
        )
    return changes


def _shown(size: Any) -> str:
    return f"{size:,}" if isinstance(size, int) else "unknown"


def _time(ns: Any) -> str:
    if not isinstance(ns, int):
        return "unknown"
    return dt.datetime.fromtimestamp(ns / 1e9).isoformat(sep=" ", timespec="seconds")
