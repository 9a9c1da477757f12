"""The safetensors format itself, read without trusting the file and written without
needing the ``safetensors`` package (:mod:`glassnet.io.safetensors` maps its tensors to
layers).

A file is an 8-byte little-endian size ``n``, a JSON header of ``n`` bytes (each tensor's
``dtype``, ``shape`` and ``data_offsets`` into the data that follows, and an optional
``__metadata__`` table of text), then the tensors' bytes, little-endian, in C order.

Reading checks, before any tensor is read: ``n`` within :data:`~glassnet.io.LIMITS` and
the file; a JSON object that names no key twice; each tensor's dtype one of the numbers an
MLP holds, its shape a few bounded sizes, its byte count the one its dtype and shape need;
the tensors' offsets tiling the data exactly, with no overlap, gap or trailing byte (as
the format requires, so that no other content hides in a file); at most
:data:`~glassnet.io.LIMITS` tensors and numbers. Then each tensor's values must be finite.
Every refusal is a :class:`~glassnet.io.ModelFileError` that names the file.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np

from .archive import LIMITS, ModelFileError, printable, quoted

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8"}
"""The dtypes read (``BF16``'s bits are the top half of a float32's): floats for weights,
int64 for ``num_batches_tracked``."""
_WRITTEN = {"float64": "F64", "float32": "F32", "int64": "I64"}
_ORDER = {"I64": 0, "F64": 1, "F32": 2}
"""The package's order of dtypes (its enum, descending): eight-byte tensors first keeps
every tensor aligned after the header's padding to 8 bytes."""


def serialized(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The file's bytes: by the ``safetensors`` package where it is installed, else by
    :func:`safetensors_bytes` (the same bytes, up to the order of the metadata's keys,
    which the package does not keep)."""
    try:
        from safetensors.numpy import save
    except ImportError:
        return safetensors_bytes(tensors, metadata)
    return save(tensors, metadata=metadata)


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """The safetensors file of float64, float32 and int64 ``tensors``, as the package
    writes it: an 8-byte little-endian header size, the JSON header padded with spaces to
    a multiple of 8 bytes, then each tensor's bytes, little-endian, in the package's order."""
    order = sorted(tensors, key=lambda name: (_ORDER[_WRITTEN[tensors[name].dtype.name]], name))
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    data: list[bytes] = []
    offset = 0
    for name in order:
        array = tensors[name]
        data.append(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())
        header[name] = {
            "dtype": _WRITTEN[array.dtype.name],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data[-1])],
        }
        offset += len(data[-1])
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(data)


@dataclass(frozen=True)
class _Entry:
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def read_safetensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and the ``__metadata__`` of a safetensors file, every part checked
    before any tensor is read (see the module docstring); BF16 is read as float32."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"safetensors file {str(path)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a safetensors file")
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = stream.read(8)
        if len(head) < 8:
            fail(path, f"it has {size} bytes, too few for a safetensors file")
        n = int.from_bytes(head, "little")
        if n > min(LIMITS.spec_bytes, size - 8):
            fail(
                path,
                f"its header claims {n:,} bytes, but the file holds {size - 8:,} after its "
                f"size and a header may have at most {LIMITS.spec_bytes:,}",
            )
        metadata, entries = _header(path, stream.read(n), size - 8 - n)
        tensors = {name: _tensor(path, stream, 8 + n, name, e) for name, e in entries.items()}
    return tensors, metadata


def _header(path: Path, raw: bytes, data_bytes: int) -> tuple[dict[str, str], dict[str, _Entry]]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for name, value in pairs:  # JSON keeps the last of two; a reader must not guess
            if name in seen:
                fail(path, f"its header names {quoted(name)} twice")
            seen[name] = value
        return seen

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(path, f"its header is not JSON ({printable(str(exc), 100)}): not a safetensors file")
    except RecursionError:
        fail(path, "its header is nested too deeply to be a safetensors header")
    if not isinstance(header, dict):
        fail(path, "its header is not a JSON object: not a safetensors file")
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        fail(path, "its __metadata__ is not a table of text")
    if len(header) > LIMITS.entries:
        fail(path, f"it holds {len(header):,} tensors (at most {LIMITS.entries:,})")
    entries = {name: _entry(path, name, info, data_bytes) for name, info in header.items()}
    if sum(math.prod(e.shape) for e in entries.values()) > LIMITS.parameters:
        fail(path, f"its tensors hold more than {LIMITS.parameters:,} numbers")
    end = 0
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin != end:
            problem = "overlaps the tensor before it" if entry.begin < end else "leaves a gap"
            fail(path, f"its tensor {quoted(name)} (bytes {entry.begin}–{entry.end}) {problem}")
        end = entry.end
    if end != data_bytes:
        fail(path, f"it has {data_bytes - end:,} bytes after its last tensor")
    return metadata, entries


def _entry(path: Path, name: str, info: Any, data_bytes: int) -> _Entry:
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        fail(path, f"its header entry {quoted(name)} is not a tensor's dtype, shape and offsets")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPES:
        fail(
            path,
            f"its tensor {quoted(name)} has dtype {quoted(str(dtype))}; an MLP's tensors are "
            f"{', '.join(DTYPES)}",
        )
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or any(type(n) is not int or not 0 <= n <= LIMITS.parameters for n in shape)
        or not isinstance(offsets, list)
        or len(offsets) != 2
        or any(type(n) is not int or n < 0 for n in offsets)
    ):
        fail(path, f"its tensor {quoted(name)} has shape {shape!r:.40} and offsets {offsets!r:.40}")
    begin, end = offsets
    nbytes = math.prod(shape) * np.dtype(DTYPES[dtype]).itemsize
    if not begin <= end <= data_bytes:
        fail(
            path,
            f"its tensor {quoted(name)} lies at bytes {begin:,}–{end:,}, outside the "
            f"{data_bytes:,} bytes of data the file holds",
        )
    if end - begin != nbytes:
        fail(
            path,
            f"its tensor {quoted(name)} takes {end - begin:,} bytes, but a {dtype} tensor of "
            f"shape {tuple(shape)} needs {nbytes:,}",
        )
    return _Entry(dtype, tuple(shape), begin, end)


def _tensor(path: Path, stream: IO[bytes], start: int, name: str, entry: _Entry) -> np.ndarray:
    stream.seek(start + entry.begin)
    raw = stream.read(entry.end - entry.begin)
    if len(raw) != entry.end - entry.begin:
        fail(path, f"it ends inside its tensor {quoted(name)}: it is truncated")
    array = np.frombuffer(raw, dtype=DTYPES[entry.dtype]).reshape(entry.shape)
    if entry.dtype == "BF16":
        array = (array.astype(np.uint32) << 16).view(np.float32)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        fail(path, f"its tensor {quoted(name)} holds NaN or inf")
    return array.astype(array.dtype.newbyteorder("="))


def batch_count(path: Path, key: str, count: np.ndarray | None) -> None:
    """PyTorch's count of batches seen, where present: an int64 scalar ≥ 0 (unused here)."""
    if count is not None and (count.dtype != np.int64 or count.shape != () or count < 0):
        fail(path, f"its tensor {quoted(key)} is not a count of batches (an int64 scalar)")


def float_tensor(
    path: Path, key: str, array: np.ndarray, shape: tuple[int, ...] | None
) -> np.ndarray:
    """``array``, the tensor ``key``, if it holds floats (of ``shape``, when given)."""
    if array.dtype.kind != "f":
        fail(path, f"its tensor {quoted(key)} holds {array.dtype} values, not floats")
    if shape is not None and array.shape != shape:
        fail(path, f"its tensor {quoted(key)} has shape {array.shape}, but needs {shape}")
    return array


def fail(path: Path, cause: str) -> NoReturn:
    raise ModelFileError(f"{path}: {cause}")
