"""IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.

The layout (big-endian): two zero bytes, a type byte, a byte giving the number of
dimensions ``n``, then ``n`` unsigned 32-bit sizes, then the data in row-major order.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

from ..backend import Array, resolve_dtype

IDX_TYPES: dict[int, np.dtype[np.generic]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""The IDX type byte and the big-endian dtype of the data it announces."""

GZIP_MAGIC = b"\x1f\x8b"

MNIST_PREFIXES = {"train": "train", "test": "t10k"}
"""The file-name prefix of each split, as published by LeCun et al. and Zalando."""


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (told by its content, not its name)."""
    data = path.read_bytes()
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # a bad or cut-off gzip stream
        raise ValueError(f"{path}: not a readable gzip file ({exc})") from exc


def _hex(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data)


def load_idx(path: str | os.PathLike[str]) -> Array:
    """Read an IDX file into an array of the shape and type its header gives.

    ``path``: an IDX file, raw or gzip-compressed. Returns e.g. ``(60000, 28, 28)`` uint8
    for MNIST training images, ``(60000,)`` uint8 for their labels, in native byte order.
    Type bytes 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32) and
    0x0E (float64) are read. A ValueError names the file and what is wrong with it.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: wrong magic number: expected 00 00 <type> <dimensions>, found "
            f"{_hex(data[:4]) or 'an empty file'}; is this an IDX file?"
        )
    type_byte, ndim = data[2], data[3]
    if type_byte not in IDX_TYPES:
        supported = ", ".join(f"0x{t:02X} ({d.name})" for t, d in IDX_TYPES.items())
        raise ValueError(
            f"{path}: unsupported IDX data type 0x{type_byte:02X}; supported: {supported}"
        )
    if ndim == 0:
        raise ValueError(f"{path}: the IDX header gives 0 dimensions; expected at least 1")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(
            f"{path}: truncated header: {ndim} dimensions need {offset} header bytes, "
            f"the file has {len(data)}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[type_byte]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(data) - offset
    if found != expected:
        what = "truncated data" if found < expected else "extra bytes after the data"
        raise ValueError(
            f"{path}: {what}: the header's shape {shape} of {dtype.name} needs "
            f"{expected} bytes of data, found {found}"
        )
    # astype copies into native byte order, so the result is writable and fast to compute on.
    return (
        np.frombuffer(data, dtype=dtype, offset=offset)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def load_idx_pair(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]
) -> tuple[Array, Array]:
    """Images and their labels: ``X`` of shape ``(m, prod(image shape))``, ``y`` of ``(m,)``.

    Both keep the files' dtypes (uint8 for MNIST); each image is flattened row by row.
    A ValueError names both files when their sample counts differ.
    """
    images, labels = load_idx(images_path), load_idx(labels_path)
    if labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: labels must be 1-D (an idx1 file), got shape {labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"images and labels differ in count: {images_path} has {images.shape[0]} "
            f"images, {labels_path} has {labels.shape[0]} labels"
        )
    return images.reshape(images.shape[0], -1), labels


def _find_mnist_file(directory: Path, prefix: str, kind: str, idx: str) -> Path:
    # The published names, gzip or unzipped; some mirrors write ".idx3-ubyte" with a dot.
    names = [f"{prefix}-{kind}-{idx}-ubyte", f"{prefix}-{kind}.{idx}-ubyte"]
    candidates = [directory / (name + ext) for name in names for ext in (".gz", "")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{directory}: no {kind} file for this split; looked for "
        + ", ".join(c.name for c in candidates)
    )


def load_mnist_dir(
    directory: str | os.PathLike[str],
    split: Literal["train", "test"] = "train",
    *,
    dtype: str = "float32",
) -> tuple[Array, Array]:
    """MNIST or Fashion-MNIST from a directory of the published IDX files.

    ``split``: ``"train"`` (``train-images-idx3-ubyte.gz`` …) or ``"test"``
    (``t10k-…``); unzipped files are found too. Returns ``X`` of shape ``(m, 784)``, pixels
    ``x / 255`` in ``[0, 1]`` as ``dtype``, and ``y`` of shape ``(m,)``, int64 labels.
    """
    if split not in MNIST_PREFIXES:
        raise ValueError(f"split must be one of {sorted(MNIST_PREFIXES)}, got {split!r}")
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist")
    prefix = MNIST_PREFIXES[split]
    images_path = _find_mnist_file(directory, prefix, "images", "idx3")
    labels_path = _find_mnist_file(directory, prefix, "labels", "idx1")
    X, y = load_idx_pair(images_path, labels_path)
    if X.dtype != np.uint8:
        raise ValueError(f"{images_path}: expected uint8 pixels (type 0x08), got {X.dtype}")
    resolved = resolve_dtype(dtype)
    return X.astype(resolved) / resolved.type(255), y.astype(np.int64)
