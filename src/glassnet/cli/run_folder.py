"""The run folder of ``glassnet train``: where it is, its lock against other runs, and the
refusal to train over a finished run."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from ..data.images import is_image_folder
from ..io.folder_lock import FolderInUseError, FolderLock
from ..report.writing import MODEL_FILE


def run_folder(args: argparse.Namespace, data_path: str | None) -> Path:
    """The run folder (not created yet)."""
    data = None if data_path is None else Path(data_path)
    named = None if data is None else Path(os.path.abspath(data))  # "." named; links kept
    stem = "mnist-sample" if named is None else named.name if named.is_dir() else named.stem
    if args.out is not None:
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"--out {str(out)!r} is a file, not a folder")
    elif args.resume is not None:
        return Path(args.resume).resolve().parent.parent  # <run>/checkpoints/epoch-N.glassnet
    else:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{stem}-{stamp}"
        suffix = 1
        while out.exists():
            suffix += 1
            out = Path("runs") / f"{stem}-{stamp}-{suffix}"
    if data is not None and is_image_folder(data):
        _refuse_inside(out, data, stem, given=args.out is not None)
    return out


def _refuse_inside(out: Path, folder: Path, stem: str, given: bool) -> None:
    """Refuse a run folder inside the image folder ``folder``: made before the folder is
    read, it would be read as a class, and its figures as images the next time."""
    inside = folder.resolve()
    if out.resolve().is_relative_to(inside):
        which = f"--out {out}" if given else "the default run folder runs/"
        outside = os.path.relpath(inside.parent / "runs" / stem)
        raise ValueError(
            f"{which} would be inside the image folder {folder}, where it reads as a class: "
            f"give --out outside it, e.g. --out {outside}"
        )


def locked_run_folder(args: argparse.Namespace, data_path: str | None) -> FolderLock:
    """The run folder, locked against other runs (see :func:`run_folder`); one that holds a
    model is refused before any work. A default folder (no ``--out``) that another run took
    in the same second is passed over for the next name, as a taken name already is."""
    for _ in range(100):
        out = run_folder(args, data_path)
        refuse_finished(out, args)
        lock = FolderLock(out, "run folder")
        try:
            lock.acquire()
        except FolderInUseError:
            if args.out is not None or args.resume is not None:
                raise
            continue  # the other run has made the folder: the next name is free
        return lock
    raise FileExistsError(f"no free run folder under runs/ for {data_path or 'the sample'}")


def refuse_finished(out: Path, args: argparse.Namespace) -> None:
    """Refuse a run folder that holds a model, unless ``--overwrite``."""
    if (out / MODEL_FILE).exists() and not args.overwrite:
        raise FileExistsError(
            f"the run folder {out} already holds a model ({MODEL_FILE}); give --overwrite "
            "to replace it, or --out with a new folder"
        )
