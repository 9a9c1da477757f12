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

- **Unchanged** means the same size and modification time (nanoseconds), as ``make``
  decides; any write to the file changes them. An entry of an older version of the file
  is removed when a new one is written.
- **The same options** are those that change the prepared rows: the target, the columns'
  handling, the file's dialect, the validation split and its seed, the scaling, the dtype
  (the ``key`` hashes them). The refit of ``glassnet train`` on every row has its own.
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
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import Preprocessor
from ..distributed import Communicator
from ..io.files import process_running, sync_folder
from ..losses import TASKS
from ..training.options import TRAIN_OPTIONS
from ..training.options import settings_from as training_settings
from .columns import ColumnPlan
from .labels import saved_classes
from .prepare import Prepared, prepare
from .units import saved_scale

FOLDER = ".glassnet-cache"
"""The folder beside the data file that holds its entries."""
AUTO_BYTES = 100_000_000
"""``cache="auto"`` keeps files of this size or more (100 MB: about 15 s of reading)."""
FORMAT = 1
"""The version of an entry's layout; an entry of another is prepared again."""
ARRAYS = ("X_train", "y_train", "X_val", "y_val")
PREPARED_KEYS = {"seed", "dtype", "input_shape"}
"""Options that change the prepared rows besides those about the data file: the split's
seed, the matrices' dtype, and whether constant columns are kept (a fixed input shape)."""


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
) -> Prepared:
    """:func:`~glassnet.tabular.prepare.prepare`'s result, through the cache where the
    ``cache`` option and ``data`` (a table file, one process) call for it; its description
    :attr:`~Prepared.cache_note` then says whether the rows came from the cache or went to it."""
    chosen = training_settings(settings)
    if (across is not None and across.size > 1) or not uses_cache(data, chosen):
        return prepare(data, target, settings=chosen, drop=drop, id=id, across=across)
    key = cache_key(chosen, target, drop, id)
    found, note = read_entry(data, key)
    if found is not None:
        return with_note(found, note)
    prepared = prepare(data, target, settings=chosen, drop=drop, id=id, across=across)
    prepared, wrote = write_entry(data, key, prepared)
    return with_note(prepared, "; ".join(n for n in (note, wrote) if n))


def cache_key(
    settings: Mapping[str, Any], target: Any = None, drop: Sequence[str] = (), id: Any = None
) -> str:
    """A digest of the options that change the prepared rows of a file."""
    keys = {o.key for o in TRAIN_OPTIONS if o.needs_data} | PREPARED_KEYS
    given = {"target+": target if isinstance(target, str | list) else None}
    chosen = {k: settings.get(k) for k in sorted(keys)} | given | {"drop+": list(drop), "id+": id}
    text = json.dumps(chosen, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _stamp(path: Path) -> dict[str, Any]:
    status = path.stat()
    return {"file": str(path.resolve()), "bytes": status.st_size, "mtime_ns": status.st_mtime_ns}


def entry_folder(path: str | os.PathLike[str], key: str) -> Path:
    """Where the entry of ``path`` for options of digest ``key`` lives."""
    path = Path(path)
    return path.resolve().parent / FOLDER / f"{path.name}.{key}"


def read_entry(path: str | os.PathLike[str], key: str) -> tuple[Prepared | None, str]:
    """The prepared rows of ``path`` stored for ``key``, mapped into memory, and a note;
    ``(None, why)`` when there is no entry for the file as it is now, or it does not hold
    what it says (it is then removed)."""
    folder = entry_folder(path, key)
    if not folder.is_dir():
        return None, ""
    try:
        described = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
        if not isinstance(described, dict) or described.get("format") != FORMAT:
            raise ValueError("written by another version of glassnet")
        if described.get("stamp") != _stamp(Path(path)):
            return None, ""  # the file changed: written again below, over this one
        prepared = _prepared(described, folder)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"cache: discarded {folder} ({exc}); reading {Path(path).name} again"
    where = f"{FOLDER}/{folder.name} beside {Path(path).name}"
    return prepared, f"cache: the prepared rows read from {where} (the file is unchanged)"


def write_entry(path: str | os.PathLike[str], key: str, prepared: Prepared) -> tuple[Prepared, str]:
    """``prepared`` written as the entry of ``path`` for ``key`` and read back mapped into
    memory (so that training holds no copy of the rows), with a note; ``prepared`` itself
    and why, when the folder cannot be written."""
    path, folder = Path(path), entry_folder(path, key)
    stamp = _stamp(path)
    try:
        folder.parent.mkdir(exist_ok=True)
        _remove_stale(folder.parent, path.name, stamp)
        temporary = Path(
            tempfile.mkdtemp(prefix=f".{folder.name}.pid{os.getpid()}.", dir=folder.parent)
        )
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o777 & ~umask)  # mkdtemp's folder is private; give mkdir's rights
    except OSError as exc:
        return prepared, f"cache: not written ({exc.strerror or exc}: {folder.parent})"
    try:
        for name in ARRAYS:
            array = getattr(prepared, name)
            if array is not None:
                np.save(temporary / f"{name}.npy", array, allow_pickle=False)
        described = _description(prepared, stamp)
        (temporary / "prepared.json").write_text(json.dumps(described), encoding="utf-8")
        for file in temporary.iterdir():
            with file.open("rb+") as handle:
                os.fsync(handle.fileno())
        try:
            os.rename(temporary, folder)
        except OSError:  # another run wrote it meanwhile (or a stale entry is in the way)
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(temporary, folder)
        sync_folder(folder.parent)
    except BaseException as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(exc, OSError):
            return prepared, f"cache: not written ({exc.strerror or exc}: {folder})"
        raise
    mapped = _prepared(described, folder)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    return mapped, (
        f"cache: the prepared rows ({size:,.1f} MB) written to {FOLDER}/{folder.name} beside "
        f"{path.name}, for the next runs while it is unchanged (--cache no: never)"
    )


def _remove_stale(parent: Path, name: str, stamp: dict[str, Any]) -> None:
    """Remove the entries of the file ``name`` written for another version of it, and the
    temporary folders of runs stopped while writing one (their process is gone)."""
    entry = re.compile(re.escape(name) + r"\.[0-9a-f]{16}")
    unfinished = re.compile(r"\." + re.escape(name) + r"\.[0-9a-f]{16}\.pid(?P<pid>[0-9]+)\..+")
    for folder in parent.iterdir():
        if entry.fullmatch(folder.name):
            try:
                described = json.loads((folder / "prepared.json").read_text(encoding="utf-8"))
                stale = described.get("stamp") != stamp
            except (OSError, ValueError, AttributeError):
                stale = True
        else:
            found = unfinished.fullmatch(folder.name)
            stale = found is not None and not process_running(int(found["pid"]))
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def _description(prepared: Prepared, stamp: dict[str, Any]) -> dict[str, Any]:
    scale = prepared.target_scale
    return {
        "format": FORMAT,
        "stamp": stamp,
        "description": prepared.description,
        "task": prepared.task,
        "classes": _plain(prepared.classes),
        "target": prepared.target,
        "target_scale": None if scale is None else [np.asarray(p).tolist() for p in scale],
        "n_dropped": prepared.n_dropped,
        "data_file": prepared.data_file,
        "task_reason": prepared.task_reason,
        "targets": list(prepared.targets),
        "columns": None if prepared.columns is None else prepared.columns.to_list(),
        "dialect": prepared.dialect,
        "n_outputs": prepared.n_outputs,
        "preprocessor": None if prepared.preprocessor is None else prepared.preprocessor.to_dict(),
        "shapes": {
            name: list(getattr(prepared, name).shape)
            for name in ARRAYS
            if getattr(prepared, name) is not None
        },
    }


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _prepared(described: dict[str, Any], folder: Path) -> Prepared:
    """The :class:`Prepared` an entry describes, each part checked against the others."""
    shapes = described["shapes"]
    arrays: dict[str, Array | None] = {}
    for name in ARRAYS:
        if name not in shapes:
            arrays[name] = None
            continue
        try:
            array = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{name}.npy: {exc}") from None
        if list(array.shape) != shapes[name] or array.dtype.kind not in "iuf":
            raise ValueError(f"{name}.npy holds {array.dtype} {array.shape}, not {shapes[name]}")
        arrays[name] = array if name.startswith("X") else np.array(array)
    X_train, y_train, X_val, y_val = (arrays[name] for name in ARRAYS)
    if X_train is None or y_train is None or (X_val is None) != (y_val is None):
        raise ValueError("its arrays are incomplete")
    preprocessor = (
        None
        if described["preprocessor"] is None
        else Preprocessor.from_dict(described["preprocessor"])
    )
    width = None if preprocessor is None else preprocessor.n_features_out
    for X, y in ((X_train, y_train), (X_val, y_val)):
        if X is not None and y is not None:
            if len(X) != len(y):
                raise ValueError(f"{len(X)} rows do not fit {len(y)} targets")
            if X.ndim != 2 or (width is not None and X.shape[1] != width):
                raise ValueError(f"rows of shape {X.shape} for {width} features")
    classes = saved_classes(described["classes"])
    if classes is not None and y_train.dtype.kind in "iu":
        if y_train.size and not 0 <= int(y_train.min()) <= int(y_train.max()) < len(classes):
            raise ValueError("its class indices do not fit its classes")
    if described["task"] not in TASKS:
        raise ValueError(f"unknown task {described['task']!r}")
    columns, scale = described["columns"], described["target_scale"]
    return Prepared(
        description=str(described["description"]),
        task=described["task"],
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        preprocessor=preprocessor,
        classes=classes,
        target=described["target"],
        target_scale=None if scale is None else saved_scale(scale),
        n_dropped=int(described["n_dropped"]),
        data_file=described["data_file"],
        task_reason=str(described["task_reason"]),
        targets=[str(t) for t in described["targets"]],
        columns=None if columns is None else ColumnPlan.from_list(columns),
        dialect=described["dialect"],
        n_outputs=int(described["n_outputs"]),
    )


def with_note(prepared: Prepared, note: str) -> Prepared:
    """``prepared`` with ``note`` as its :attr:`~Prepared.cache_note`."""
    return replace(prepared, cache_note=note)
