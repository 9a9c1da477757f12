"""Reading a model file's zip of ``.npy`` entries without trusting it.

A model file is data from anywhere, and its checksum has no key: whoever edits a file can
sign it again. So nothing in it is believed before it is checked, and nothing large is
allocated before the checks that bound it:

1. the zip's directory: a bounded number of entries, each a plain (stored or deflated,
   unencrypted) ``<name>.npy`` of bounded size — the size a zip entry declares is also
   the most that reading it can inflate to, so a small file cannot expand into gigabytes;
2. the JSON spec, read alone and bounded (:data:`LIMITS`);
3. each entry's ``.npy`` header against the spec's list of arrays (name, shape, dtype;
   never an object array, which could only be read by unpickling);
4. the checksum, in one streaming pass over the entries' bytes, a chunk at a time;
5. only then the arrays, each into memory once.

Every failure is a :class:`ModelFileError` that names the file and the cause.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy_format

from ..validation import printable as safe_text

SPEC_KEY = "spec.json"
CHECKSUM_KEY = "checksum"
_CHUNK = 1 << 20
_MAX_NPY_HEADER = 1 << 16
"""A ``.npy`` header is a short Python-literal dict; NumPy's own reader bounds it too."""


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, truncated, corrupted, edited, too new,
    or asking for more than a model file may (see :data:`LIMITS`)."""


@dataclass(frozen=True)
class Limits:
    """What a model file may ask for. Generous for the networks glassnet trains (an
    MNIST network is 0.1 % of them), small enough that no file exhausts a machine."""

    spec_bytes: int = 64 << 20
    """The JSON spec (the history of a long run included)."""
    entries: int = 10_000
    """Arrays in one file."""
    array_bytes: int = 4 << 30
    """All arrays together, as they are in memory (a checkpoint's training state too)."""
    units: int = 10_000_000
    """Any one size in the architecture (units of a layer, features in, classes out)."""
    parameters: int = 500_000_000
    """Numbers in all arrays together: a network of 100 million parameters, with the
    optimizer's moments and the best weights of a checkpoint."""
    layers: int = 10_000
    epochs: int = 1_000_000


LIMITS = Limits()

_DTYPES = frozenset(
    {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16"}
    | {"uint32", "uint64", "bool"}
)
"""The dtypes of a model file's arrays: numbers only (never objects, never structs)."""


@dataclass(frozen=True)
class Declared:
    """One array as the spec declares it."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize


class Archive:
    """An open model file whose zip directory passed the checks of step 1."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path, self.zip = path, archive
        self.members: dict[str, zipfile.ZipInfo] = {}
        infos = archive.infolist()
        if len(infos) > LIMITS.entries + 2:
            self.fail(
                f"it holds {len(infos):,} entries (a model file holds at most "
                f"{LIMITS.entries:,} arrays)"
            )
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or name[:-4] in self.members:
                self.fail(f"its entry {quoted(name)} is not one array of a model file")
            if info.flag_bits & 0x1:
                self.fail(f"its entry {quoted(name)} is encrypted, which model files never are")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                self.fail(
                    f"its entry {quoted(name)} is compressed with method {info.compress_type}; "
                    "model files are stored or deflated"
                )
            if info.file_size > LIMITS.array_bytes + _MAX_NPY_HEADER:
                self.fail(f"its entry {quoted(name)} declares {info.file_size:,} bytes")
            self.members[name[:-4]] = info

    def fail(self, cause: str) -> None:
        raise ModelFileError(f"{self.path}: {cause}")

    @contextmanager
    def entry(self, key: str) -> Iterator[IO[bytes]]:
        with _reading(self.path), self.zip.open(self.members[key]) as stream:
            yield stream

    def header(self, key: str, stream: IO[bytes]) -> Declared:
        """The shape and dtype an entry's ``.npy`` header gives; refused unless it is a
        plain array of numbers in C order (which is what :func:`save_model` writes)."""
        try:
            version = npy_format.read_magic(stream)
            read = {
                (1, 0): npy_format.read_array_header_1_0,
                (2, 0): npy_format.read_array_header_2_0,
            }.get(version)
            if read is None:
                raise ValueError(f".npy version {version}")
            shape, fortran, dtype = read(stream, max_header_size=_MAX_NPY_HEADER)
        except (ValueError, SyntaxError, TypeError, EOFError) as exc:
            raise ModelFileError(
                f"{self.path}: its entry {quoted(key)} is not a readable array ({_first(exc)})"
            ) from None
        if dtype.hasobject:
            self.fail(
                f"its entry {quoted(key)} holds pickled Python objects, which glassnet model "
                "files never do: it was not loaded, since unpickling can run code"
            )
        if dtype.name not in _DTYPES or dtype.names is not None:
            self.fail(f"its entry {quoted(key)} holds {quoted(str(dtype))} values, not numbers")
        if fortran and len(shape) > 1:
            self.fail(f"its entry {quoted(key)} is in Fortran order, which glassnet never writes")
        return Declared(tuple(shape), dtype)

    def small(self, key: str, limit: int) -> np.ndarray:
        """A one-dimensional ``uint8`` entry of at most ``limit`` bytes (the spec, the
        checksum), read whole."""
        if key not in self.members:
            self.fail(f"it is not a glassnet model file (it has no {key})")
        with self.entry(key) as stream:
            declared = self.header(key, stream)
            if declared.dtype != np.uint8 or len(declared.shape) != 1:
                self.fail(f"its {key} is not text (a {declared.dtype} array {declared.shape})")
            if declared.nbytes > limit:
                self.fail(
                    f"its {key} is {declared.nbytes:,} bytes, more than the {limit:,} allowed"
                )
            return np.frombuffer(self.exact(key, stream, declared.nbytes), dtype=np.uint8)

    def exact(self, key: str, stream: IO[bytes], nbytes: int) -> bytearray:
        """Exactly ``nbytes`` from ``stream``, or an error for a truncated entry."""
        buffer = bytearray(nbytes)
        view, filled = memoryview(buffer), 0
        with _reading(self.path):
            while filled < nbytes:
                got = stream.readinto(view[filled : filled + _CHUNK])  # type: ignore[attr-defined]
                if not got:
                    self.fail(f"its entry {quoted(key)} ends after {filled:,} of {nbytes:,} bytes")
                filled += got
        return buffer

    def digest_of(self, manifest: dict[str, Declared], spec: np.ndarray) -> str:
        """The checksum :func:`entries_checksum` would give, computed a chunk at a time
        from the file, each entry's header checked against ``manifest`` on the way."""
        digest = hashlib.sha256()
        for key in sorted([*manifest, SPEC_KEY]):
            if key == SPEC_KEY:
                _digest_header(digest, key, spec.dtype, spec.shape)
                digest.update(spec.tobytes())
                continue
            with self.entry(key) as stream:
                declared = self.header(key, stream)
                if declared != manifest[key]:
                    self.fail(
                        f"its array {quoted(key)} is {declared.dtype} {declared.shape} but its "
                        f"spec says {manifest[key].dtype} {manifest[key].shape}"
                    )
                _digest_header(digest, key, declared.dtype, declared.shape)
                left = declared.nbytes
                with _reading(self.path):
                    while left:
                        chunk = stream.read(min(left, _CHUNK))
                        if not chunk:
                            self.fail(f"its entry {quoted(key)} is truncated")
                        digest.update(chunk)
                        left -= len(chunk)
        return digest.hexdigest()

    def array(self, key: str, declared: Declared) -> np.ndarray:
        """An entry's array, read into memory once (after the checksum matched)."""
        with self.entry(key) as stream:
            self.header(key, stream)
            buffer = self.exact(key, stream, declared.nbytes)
        return np.frombuffer(buffer, dtype=declared.dtype).reshape(declared.shape)


@contextmanager
def open_archive(path: Path) -> Iterator[Archive]:
    """``path`` opened as a zip (bytes before the zip, as one prepended byte, are read
    past, as zip readers do), or a :class:`ModelFileError`."""
    with _reading(path):
        archive = zipfile.ZipFile(path)
    try:
        with _reading(path):
            opened = Archive(path, archive)
        yield opened
    finally:
        archive.close()


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Every way reading a damaged zip fails, as the one error of a bad model file."""
    try:
        yield
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a readable glassnet model file: it is truncated or corrupted, "
            f"or not a model file at all ({_first(exc)})"
        ) from None
    except (RuntimeError, NotImplementedError, OverflowError, UnicodeError) as exc:
        raise ModelFileError(
            f"{path} is not a readable glassnet model file ({_first(exc)})"
        ) from None
    except OSError as exc:
        if exc.filename is not None or isinstance(exc, FileNotFoundError | PermissionError):
            raise  # the file system's own error: it names the file
        raise ModelFileError(
            f"{path} is not a readable glassnet model file: it is corrupted ({_first(exc)})"
        ) from None
    except Exception as exc:  # zlib.error, lzma.LZMAError and the like: damaged data
        if type(exc).__module__ in ("zlib", "lzma", "bz2", "_lzma", "_bz2"):
            raise ModelFileError(
                f"{path} is not a readable glassnet model file: its compressed data is "
                f"corrupted ({_first(exc)})"
            ) from None
        raise


def parse_spec(path: Path, raw: np.ndarray) -> dict[str, Any]:
    """The JSON spec, as a dict; deep nesting, bad UTF-8 and bad JSON are refused."""
    try:
        spec = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: its {SPEC_KEY} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: its {SPEC_KEY} is nested too deeply to be a spec") from None
    if not isinstance(spec, dict):
        raise ModelFileError(f"{path}: its {SPEC_KEY} is not a JSON object")
    return spec


def read_manifest(
    path: Path, listed: Any, members: dict[str, zipfile.ZipInfo]
) -> dict[str, Declared]:
    """The spec's list of arrays, checked: each a shape of sizes and a dtype of numbers,
    all of them within :data:`LIMITS`, and exactly the arrays the zip holds."""
    if not isinstance(listed, dict):
        raise ModelFileError(f"{path}: its spec has no list of arrays")
    manifest: dict[str, Declared] = {}
    for key, entry in listed.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if (
            not isinstance(shape, list)
            or len(shape) > 8
            or any(type(n) is not int or not 0 <= n <= LIMITS.parameters for n in shape)
            or not isinstance(dtype, str)
            or dtype not in _DTYPES
        ):
            raise ModelFileError(
                f"{path}: its spec declares array {quoted(key)} as {quoted(str(entry))}, "
                "not a shape of sizes and a numeric dtype"
            )
        manifest[key] = Declared(tuple(shape), np.dtype(dtype))
    if sum(d.size for d in manifest.values()) > LIMITS.parameters or (
        sum(d.nbytes for d in manifest.values()) > LIMITS.array_bytes
    ):
        raise ModelFileError(
            f"{path}: its arrays hold {sum(d.size for d in manifest.values()):,} numbers, more "
            f"than a model file may ({LIMITS.parameters:,} numbers, {LIMITS.array_bytes:,} bytes)"
        )
    stored = set(members) - {SPEC_KEY, CHECKSUM_KEY}
    if absent := sorted(set(manifest) - stored):
        raise ModelFileError(
            f"{path}: its spec lists the array {quoted(absent[0])}, which the file does not hold"
        )
    if unlisted := sorted(stored - set(manifest)):
        raise ModelFileError(
            f"{path}: it holds the array {quoted(unlisted[0])}, which its spec does not list"
        )
    for key, declared in manifest.items():
        # The entry's inflated size is the array plus a header; a different one is a lie.
        size = members[key].file_size
        if not declared.nbytes < size <= declared.nbytes + _MAX_NPY_HEADER:
            raise ModelFileError(
                f"{path}: its entry {quoted(key)} has {size:,} bytes where the spec's "
                f"{declared.dtype} {declared.shape} array needs {declared.nbytes:,}"
            )
    return manifest


def _digest_header(digest: Any, key: str, dtype: np.dtype[Any], shape: tuple[int, ...]) -> None:
    digest.update(f"{key}:{dtype.str}:{shape};".encode())


def entries_checksum(entries: dict[str, np.ndarray]) -> str:
    """The SHA-256 a model file stores over its entries (every name, dtype, shape and
    byte, in name order), so that loading finds any change to them."""
    digest = hashlib.sha256()
    for key in sorted(entries):
        array = np.ascontiguousarray(entries[key])
        _digest_header(digest, key, array.dtype, array.shape)
        digest.update(array.tobytes())
    return digest.hexdigest()


def printable(text: str, limit: int = 80) -> str:
    """``text`` from a file as a one-line error may show it: without a terminal's escape
    sequences and control characters (:func:`glassnet.validation.printable`), line breaks
    as spaces, and at most ``limit`` characters."""
    clean = safe_text(text).replace("\n", " ").replace("\t", " ")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def quoted(value: Any, limit: int = 60) -> str:
    """``value`` from a file as an error message quotes it: its ``repr`` (which escapes
    control characters), cut to ``limit`` characters."""
    return printable(repr(value), limit)


def _first(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return printable(text, 200)
