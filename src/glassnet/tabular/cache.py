"""The prepared rows of a large table file, kept on disk beside it and reused while it is
unchanged.

Reading a CSV file of a gigabyte takes minutes and several times its size in memory
(``bench/memory.py``); the matrices :func:`~glassnet.tabular.prepare.prepare` makes of it
are a fraction of that. :func:`prepare_cached` writes them, with everything else
:class:`~glassnet.tabular.prepare.Prepared` holds, into a folder
``.glassnet-cache/{file name}.{key}`` beside the file, and the next run with the same file
and the same data options maps them into memory (``np.load(mmap_mode="r")``) instead of
reading the file: training then reads only the rows of each batch, and holds none of the
file (:mod:`glassnet.training.batches`).

- **Unchanged** means the same size, the same SHA-256 of the file's first and last
  64 KiB, and (for a file larger than those) the same modification time
  (:func:`~glassnet.tabular.checkpoints.data_fingerprint`, as ``--resume`` checks its
  data): a file moved, copied with its times (``cp -a``) or given other permissions is
  the same file; an edit of its middle that keeps its size and puts its modification time
  back is not seen. An entry of an older version of the file is removed when a new one
  is written.
- **The same options** are those :func:`~glassnet.tabular.prepare.prepare` reads
  (:data:`PREPARE_OPTIONS`): the target, the columns' handling, the file's dialect, the
  validation split and its seed, the scaling, the dtype (:func:`cache_key` hashes them).
  The refit of ``glassnet train`` on every row has its own entry.
- **Validated, not trusted**: an entry is read only if its description parses, names
  this file as it is now, and its arrays have the shapes and types it states; anything
  else is discarded, said, and the file prepared again.
- **Written atomically**: into a temporary folder, renamed when complete; a run stopped
  midway leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..distributed import Communicator
from ..io.archive import printable
from ..io.files import process_running, sync_folder
from ..io.model_file import json_default
from ..training.options import settings_from as training_settings
from .cache_entry import ARRAYS, description, prepared_from
from .checkpoints import data_fingerprint, fingerprint_changes
from .prepare import Prepared, prepare

FOLDER = ".glassnet-cache"
"""The folder beside the data file that holds its entries."""
AUTO_BYTES = 100_000_000
"""``cache="auto"`` keeps files of this size or more (100 MB: about 15 s of reading)."""
PREPARE_OPTIONS = (
    "target", "task", "delimiter", "decimal", "header", "encoding", "categorical", "drop",
    "id", "input_shape", "validation_split", "seed", "scale", "dtype",
)  # fmt: skip
"""The options :func:`~glassnet.tabular.prepare.prepare` reads: they change the rows."""


def uses_cache(data: Any, settings: Mapping[str, Any]) -> bool:
    """Whether ``data`` (a table file's path) is prepared through the cache, as the
    ``cache`` option says: ``yes``, ``no``, or ``auto`` (files of :data:`AUTO_BYTES` or more)."""
    choice = settings.get("cache", "auto")
    if choice == "no" or not isinstance(data, str | os.PathLike) or not Path(data).is_file():
        return False
    return choice == "yes" or Path(data).stat().st_size >= AUTO_BYTES


def prepare_cached(
    data: Any,
    target: Any = None,
    *,
    settings: Mapping[str, Any],
    drop: Sequence[str] = (),
    id: str | None = None,
    across: Communicator | None = None,
    warn: bool = True,
) -> Prepared:
    """:func:`~glassnet.tabular.prepare.prepare`'s result, through the cache where the
    ``cache`` option and ``data`` (a table file, one process, the target named) call for
    it; :attr:`~Prepared.cache_note` then says what the cache did, and ``warn`` also says
    it as a warning when an entry was written, discarded or could not be written."""
    chosen = training_settings(settings)
    named = target is None or isinstance(target, str) or _names(target) is not None
    if (across is not None and across.size > 1) or not named or not uses_cache(data, chosen):
        return prepare(data, target, settings=chosen, drop=drop, id=id, across=across)
    key = cache_key(chosen, target, drop, id)
    stamp = data_fingerprint(data)  # before reading: a file that changes meanwhile is stale
    found, note = read_entry(data, key, stamp, np.dtype(chosen["dtype"]))
    if found is not None:
        return replace(found, cache_note=note, data_file=str(data))
    scratch, wrote = new_entry_folder(data, key, stamp)
    prepared = None
    try:  # a file larger than memory: its columns and matrices go to the new entry's folder
        prepared = prepare(
            data, target, settings=chosen, drop=drop, id=id, across=across, scratch=scratch
        )
    except OSError as exc:  # a full disk, too many open files: prepared in memory instead
        if scratch is None:
            raise
        wrote = _not_kept(Path(data).name, exc)
    finally:
        if scratch is not None and prepared is None:
            shutil.rmtree(scratch, ignore_errors=True)
    if prepared is None:
        prepared = prepare(data, target, settings=chosen, drop=drop, id=id, across=across)
    elif scratch is not None:
        prepared, wrote = keep_entry(data, key, prepared, stamp, scratch)
    note = "\n".join(n for n in (note, wrote) if n)
    if warn:
        warnings.warn(note, stacklevel=3)
    return replace(prepared, cache_note=note)


def _names(target: Any) -> list[str] | None:
    if isinstance(target, list | tuple) and all(isinstance(name, str) for name in target):
        return list(target)
    return None


def cache_key(
    settings: Mapping[str, Any], target: Any = None, drop: Sequence[str] = (), id: Any = None
) -> str:
    """A digest of what changes the prepared rows of a file: :data:`PREPARE_OPTIONS`, with
    the target, the columns to drop and the id as :func:`~.prepare.prepare` combines those
    given apart with the settings' (so that ``glassnet train`` and ``Model.fit`` agree)."""
    chosen = {key: settings.get(key) for key in PREPARE_OPTIONS}
    if not chosen["validation_split"]:
        chosen["seed"] = None  # every row, in order: the seed draws nothing
    names = _names(target) or ([target] if isinstance(target, str) else None)
    named = names if names is not None else chosen["target"]
    chosen["target"] = ",".join(named) if isinstance(named, list | tuple) else named
    chosen["drop"] = sorted({*(chosen["drop"] or ()), *drop})
    chosen["id"] = id if id is not None else chosen["id"]
    text = json.dumps(chosen, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _changes(saved: Any, stamp: dict[str, Any]) -> list[str]:
    """How the file differs from the one an entry was written for (``[]``: the same)."""
    if not isinstance(saved, dict):
        return ["its entry does not say which version of it it holds"]
    return fingerprint_changes(saved, stamp)


def entry_folder(path: str | os.PathLike[str], key: str) -> Path:
    """Where the entry of the file ``path`` (links followed) for the digest ``key`` lives."""
    real = Path(path).resolve()
    return real.parent / FOLDER / f"{real.name}.{key}"


def read_entry(
    path: str | os.PathLike[str], key: str, stamp: dict[str, Any], dtype: np.dtype[Any]
) -> tuple[Prepared | None, str]:
    """The prepared rows of ``path`` stored for ``key``, mapped into memory, and a note;
    ``(None, why)`` when there is no entry for the file as ``stamp`` says it is, or the
    entry does not hold what it says (it is then removed)."""
    folder, name = entry_folder(path, key), Path(path).name
    if not folder.is_dir():
        return None, ""
    try:
        described = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
        if not isinstance(described, dict):
            raise ValueError("prepared.json is not an object")
        if changes := _changes(described.get("stamp"), stamp):
            return None, (
                f"cache: {name} changed since its rows were kept ({'; '.join(changes)}): "
                "reading it again"
            )
        prepared = prepared_from(described, folder, dtype)
    except Exception as exc:  # anything wrong in an entry: discard it, never end the run
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"cache: discarded {folder} ({_reason(exc)}); reading {name} again"
    where = f"{FOLDER}/{folder.name} beside {name}"
    return prepared, f"cache: the prepared rows read from {where} (the file is unchanged)"


def new_entry_folder(
    path: str | os.PathLike[str], key: str, stamp: dict[str, Any]
) -> tuple[Path | None, str]:
    """A new temporary folder for the entry of ``path`` for ``key`` (the stale entries of
    the file removed first), or ``None`` and why when none can be made there."""
    folder = entry_folder(path, key)
    temporary = folder.parent / f".{folder.name}.pid{os.getpid()}.{secrets.token_hex(4)}"
    try:
        folder.parent.mkdir(exist_ok=True)
        _remove_stale(folder.parent, Path(path).resolve().name, stamp)
        temporary.mkdir()  # with the rights mkdir gives, as the data file's folder
    except Exception as exc:
        return None, _not_kept(Path(path).name, exc)
    return temporary, ""


def keep_entry(
    path: str | os.PathLike[str],
    key: str,
    prepared: Prepared,
    stamp: dict[str, Any],
    temporary: Path,
) -> tuple[Prepared, str]:
    """The entry of ``path`` for ``key`` completed in ``temporary`` (``prepared``'s arrays
    that are not there yet, and its description), renamed into place, and read back mapped
    into memory, with a note; ``prepared`` itself and why, when it cannot be kept."""
    folder, name = entry_folder(path, key), Path(path).name
    try:
        shutil.rmtree(temporary / "columns", ignore_errors=True)  # the table's, while prepared
        for array_name in ARRAYS:
            array, file = getattr(prepared, array_name), temporary / f"{array_name}.npy"
            if array is not None and not file.exists():
                np.save(file, array, allow_pickle=False)
        described = description(prepared, stamp)
        text = json.dumps(described, default=json_default)
        (temporary / "prepared.json").write_text(text, encoding="utf-8")
        for file in temporary.iterdir():
            with file.open("rb+") as handle:
                os.fsync(handle.fileno())
        try:
            os.rename(temporary, folder)
            ours = True
        except OSError:  # another run wrote the entry meanwhile: keep theirs, checked
            ours = False
            shutil.rmtree(temporary, ignore_errors=True)
        sync_folder(folder.parent)
        if ours:
            mapped = replace(prepared, **_mapped_matrices(folder, prepared))
        else:
            kept = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
            if _changes(kept.get("stamp"), stamp):  # that run read another version of it
                raise ValueError(f"another run kept the rows of another version of {name}")
            mapped = prepared_from(kept, folder, prepared.X_train.dtype)
    except Exception as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        return prepared, _not_kept(name, exc)
    except BaseException:  # Ctrl-C: no half-written entry
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    size = sum(f.stat().st_size for f in folder.iterdir())
    every = sum(
        f.stat().st_size
        for entry in _entries_of(folder.parent, Path(path).resolve().name)
        for f in entry.iterdir()
    )
    return replace(mapped, data_file=prepared.data_file), (
        f"cache: the prepared rows ({_size(size)}; {_size(every)} in all the entries of "
        f"{name}) kept in {FOLDER}/{folder.name} beside it, for the next runs while it is "
        'unchanged (delete the folder to free the space; --cache no, or cache="no" in Python, '
        "turns the cache off)"
    )


def _mapped_matrices(folder: Path, prepared: Prepared) -> dict[str, Any]:
    """``X_train`` and ``X_val`` as mapped from the entry in ``folder`` this run wrote."""
    return {
        name: None if getattr(prepared, name) is None else np.load(folder / f"{name}.npy", "r")
        for name in ("X_train", "X_val")
    }


def _reason(exc: BaseException) -> str:
    """An error's text for a one-line note: printable (an entry's text comes from disk)."""
    return printable(str(exc) or type(exc).__name__, 200)


def _not_kept(name: str, exc: BaseException) -> str:
    return (
        f"cache: the prepared rows of {name} not kept ({_reason(exc)}); "
        "the file is read again on every run"
    )


def _size(n_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes} bytes"


def _entries_of(parent: Path, name: str) -> list[Path]:
    """The entries of the file ``name`` in the cache folder ``parent``."""
    entry = re.compile(re.escape(name) + r"\.[0-9a-f]{16}")
    return [folder for folder in parent.iterdir() if entry.fullmatch(folder.name)]


def _remove_stale(parent: Path, name: str, stamp: dict[str, Any]) -> None:
    """Remove the entries of the file ``name`` written for another version of it, and the
    temporary folders of runs stopped while writing one (their process is gone)."""
    for folder in _entries_of(parent, name):
        try:
            described = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
            stale = not isinstance(described, dict) or bool(_changes(described.get("stamp"), stamp))
        except Exception:  # unreadable: of no use to any run
            stale = True
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
    unfinished = re.compile(r"\." + re.escape(name) + r"\.[0-9a-f]{16}\.pid(?P<pid>[0-9]{1,9})\..+")
    for folder in parent.iterdir():
        if (found := unfinished.fullmatch(folder.name)) and not process_running(int(found["pid"])):
            shutil.rmtree(folder, ignore_errors=True)
