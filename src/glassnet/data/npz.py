"""Arrays from NumPy ``.npz`` archives, read without unpickling anything."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..backend import Array

ZIP_MAGIC = b"PK"
NPY_MAGIC = b"\x93NUMPY"


def load_npz(path: str | os.PathLike[str], X: str = "X", y: str = "y") -> tuple[Array, Array]:
    """The arrays stored under the keys ``X`` and ``y`` of a ``.npz`` archive.

    Returns ``X`` of shape ``(m, …)`` and ``y`` of shape ``(m, …)``. Nothing is unpickled:
    an array of Python objects is refused, since unpickling a file can run code in it.
    """
    path = Path(path)
    with path.open("rb") as handle:
        start = handle.read(len(NPY_MAGIC))
    if start.startswith(NPY_MAGIC):
        raise ValueError(
            f"{path}: a .npy file (one array); expected a .npz archive with arrays "
            f"{X!r} and {y!r} (np.savez({path.stem}.npz, {X}=…, {y}=…))"
        )
    if not start.startswith(ZIP_MAGIC):
        raise ValueError(f"{path}: not a .npz archive (expected a zip file, found {start!r}…)")
    with np.load(path, allow_pickle=False) as archive:
        for key in (X, y):
            if key not in archive.files:
                raise ValueError(
                    f"{path}: no array {key!r}; the archive holds: "
                    + (", ".join(repr(k) for k in archive.files) or "nothing")
                )
        arrays = [_read(archive, key, path) for key in (X, y)]
    if arrays[0].ndim == 0 or arrays[1].ndim == 0 or len(arrays[0]) != len(arrays[1]):
        raise ValueError(
            f"{path}: {X!r} and {y!r} must have the same number of samples (rows): "
            f"{X!r} has shape {arrays[0].shape}, {y!r} has shape {arrays[1].shape}"
        )
    return arrays[0], arrays[1]


def _read(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> Array:
    try:
        return archive[key]
    except ValueError as exc:  # NumPy refuses object arrays when allow_pickle=False
        raise ValueError(
            f"{path}: array {key!r} holds pickled Python objects, which glassnet does not "
            f"load (unpickling can run code); save it with a numeric dtype"
        ) from exc
