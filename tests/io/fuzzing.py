"""Seeded mutations of the files glassnet reads from strangers: model files and checkpoints.

Each mutation returns the bytes of a new file made from a valid one. Two families:

- **damage** (bytes flipped, cut, prepended, appended, zeroed, repeated): what a disk, a
  download or a careless editor does; the checksum no longer matches.
- **crafting** (a field of the JSON spec or an array changed, then the checksum
  recomputed, as anyone can): what an attacker does; only validation of the content can
  refuse it. Zip-level crafts (other compressions, the encryption flag, entries added,
  renamed or duplicated, a lying size in the directory, a deflated memory bomb, pickled
  arrays) go with them.

Used by tests/io/test_fuzz.py (a few hundred cases, in the suite) and bench/fuzz.py (tens
of thousands). Nothing here is glassnet's code: the files are rebuilt with ``zipfile``
and ``numpy.lib.format`` alone, so a bug in glassnet's reader cannot hide in its writer.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.io import ModelFileError
from glassnet.tabular import Model, load_checkpoint

MEMORY_BOUND = 64 << 20
"""What one case may allocate (``tracemalloc``): the files are small, so anything near this
is a reader allocating what a file declares before checking it."""
TIME_BOUND = 5.0
"""Seconds one case may take."""

Entries = dict[str, bytes]
"""A model file as its zip entries: name (without ``.npy``) → the ``.npy`` bytes."""

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**9,
    10**12,
    10**400,
    -(10**6),
    0.0,
    -1.0,
    1e308,
    float("nan"),
    float("inf"),
    -float("inf"),
    "",
    "x" * 100_000,
    "\x1b[31mred\x1b[0m\x07",
    "/etc/passwd",
    "../../../../etc/shadow",
    [],
    [1, 2, 3],
    [[[[]]]],
    {},
    {"type": "dense"},
    "relu",
    "NaN",
]


# -- reading and writing the zip without glassnet -----------------------------------------


def read_entries(data: bytes) -> Entries:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename[:-4]: archive.read(info) for info in archive.infolist()}


def write_entries(entries: Entries, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, payload in entries.items():
            archive.writestr(name + ".npy", payload)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def from_npy(payload: bytes) -> np.ndarray:
    return np.lib.format.read_array(io.BytesIO(payload), allow_pickle=False)


def spec_of(entries: Entries) -> dict[str, Any]:
    return json.loads(from_npy(entries["spec.json"]).tobytes())


def resign(entries: Entries, spec: dict[str, Any] | str | None = None) -> Entries:
    """``entries`` with ``spec`` (a dict, or raw JSON text) and the checksum recomputed
    the way the format documents it: SHA-256 over ``name:dtype:shape;`` and the bytes of
    every entry but the checksum, in name order."""
    entries = dict(entries)
    if spec is not None:
        text = spec if isinstance(spec, str) else json.dumps(spec)
        entries["spec.json"] = npy(np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
    digest = hashlib.sha256()
    for name in sorted(set(entries) - {"checksum"}):
        array = np.ascontiguousarray(from_npy(entries[name]))
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    entries["checksum"] = npy(np.frombuffer(digest.hexdigest().encode("ascii"), dtype=np.uint8))
    return entries


# -- damage ---------------------------------------------------------------------------------


def flip(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for i in rng.integers(0, len(out), size=int(rng.integers(1, 9))):
        out[i] ^= int(rng.integers(1, 256))
    return bytes(out)


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def prepend(data: bytes, rng: np.random.Generator) -> bytes:
    return rng.bytes(int(rng.integers(1, 17))) + data


def append(data: bytes, rng: np.random.Generator) -> bytes:
    return data + rng.bytes(int(rng.integers(1, 4097)))


def zero_range(data: bytes, rng: np.random.Generator) -> bytes:
    start = int(rng.integers(0, len(data)))
    stop = min(len(data), start + int(rng.integers(1, 513)))
    return data[:start] + bytes(stop - start) + data[stop:]


def repeat_range(data: bytes, rng: np.random.Generator) -> bytes:
    start = int(rng.integers(0, len(data)))
    piece = data[start : start + int(rng.integers(1, 257))]
    return data[:start] + piece + data[start:]


# -- crafting: the spec ----------------------------------------------------------------------


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the paths to its containers' items)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += json_paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for position, inner in enumerate(value[:50]):
            found += json_paths(inner, (*prefix, position))
    return found


def set_at(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


def _choose_path(spec: dict[str, Any], rng: np.random.Generator) -> tuple[Any, ...]:
    # Half of the time a field glassnet reads to build the model, the other half anywhere.
    paths = json_paths(spec)
    if rng.random() < 0.5:
        vital = [p for p in paths if p and p[0] in ("network", "classes", "preprocessor")]
        paths = vital or paths
    return paths[int(rng.integers(0, len(paths)))]


def spec_value(entries: Entries, rng: np.random.Generator) -> Entries:
    """One field of the spec (a size, a name, an epsilon, a class list…) set to a
    hostile value, re-signed."""
    spec = spec_of(entries)
    value = HOSTILE_VALUES[int(rng.integers(0, len(HOSTILE_VALUES)))]
    return resign(entries, _json(set_at(spec, _choose_path(spec, rng), value)))


def spec_delete(entries: Entries, rng: np.random.Generator) -> Entries:
    spec = spec_of(entries)
    path = _choose_path(spec, rng)
    if path:
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
    return resign(entries, spec)


def spec_scale(entries: Entries, rng: np.random.Generator) -> Entries:
    """A number of the spec multiplied by a large or negative factor (sizes, epochs,
    epsilons, scales, means), re-signed."""
    spec = spec_of(entries)
    numbers = [
        p
        for p in json_paths(spec)
        if isinstance(get_at(spec, p), int | float) and not isinstance(get_at(spec, p), bool)
    ]
    if not numbers:
        return spec_value(entries, rng)
    path = numbers[int(rng.integers(0, len(numbers)))]
    factor = [10**3, 10**6, 10**9, -1, 0, 10**200][int(rng.integers(0, 6))]
    value = get_at(spec, path) * factor
    return resign(entries, _json(set_at(spec, path, value)))


def spec_nested(entries: Entries, rng: np.random.Generator) -> Entries:
    """A field replaced by JSON nested hundreds of thousands deep (a RecursionError for a
    reader that recurses)."""
    depth = int(rng.integers(10_000, 200_000))
    deep = '"deep": ' + "[" * depth + "]" * depth + ", "
    return resign(
        entries, json.dumps(spec_of(entries)).replace('"metadata": ', deep + '"metadata": ', 1)
    )


def spec_not_json(entries: Entries, rng: np.random.Generator) -> Entries:
    raw = from_npy(entries["spec.json"]).tobytes()
    cut = raw[: int(rng.integers(0, len(raw)))] + rng.bytes(int(rng.integers(0, 8)))
    return resign(entries, cut.decode("utf-8", errors="replace"))


def get_at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _json(value: Any) -> str:
    # Python's json writes NaN and Infinity (as glassnet's writer would); 10**400 as digits.
    return json.dumps(value)


# -- crafting: the arrays ---------------------------------------------------------------------


def _parameter(entries: Entries, rng: np.random.Generator) -> str:
    names = sorted(k for k in entries if k.startswith(("layers.", "training.")))
    return names[int(rng.integers(0, len(names)))]


def array_value(entries: Entries, rng: np.random.Generator) -> Entries:
    """One number of a parameter set to NaN, ±inf, a huge or a negative value, re-signed."""
    name = _parameter(entries, rng)
    array = from_npy(entries[name]).copy()
    if array.size and array.dtype.kind == "f":
        value = [np.nan, np.inf, -np.inf, 3e38, -1.0, 1e30][int(rng.integers(0, 6))]
        array.flat[int(rng.integers(0, array.size))] = value
    entries = {**entries, name: npy(array)}
    return resign(entries)


def array_shape(entries: Entries, rng: np.random.Generator) -> Entries:
    """A parameter of another shape (and, half the time, the spec's list says so too)."""
    name = _parameter(entries, rng)
    array = from_npy(entries[name])
    shape = tuple(int(n) + int(rng.integers(-1, 3)) for n in array.shape) or (2,)
    shape = tuple(max(0, n) for n in shape)
    entries = {**entries, name: npy(np.zeros(shape, dtype=array.dtype))}
    spec = spec_of(entries)
    if rng.random() < 0.5:
        spec["arrays"][name]["shape"] = list(shape)
    return resign(entries, spec)


def array_dtype(entries: Entries, rng: np.random.Generator) -> Entries:
    """A parameter stored as another dtype: integers, complex, strings, or Python objects
    (which ``.npy`` can only hold pickled)."""
    name = _parameter(entries, rng)
    array = from_npy(entries[name])
    kind = ["int64", "complex128", "U3", "object", "float16", "bool"][int(rng.integers(0, 6))]
    entries = {**entries, name: npy(array.astype(kind))}
    spec = spec_of(entries)
    if rng.random() < 0.5:
        spec["arrays"][name]["dtype"] = kind
    if kind == "object":  # a checksum over pickled bytes cannot be recomputed by array
        return entries
    return resign(entries, spec)


def declared_huge(entries: Entries, rng: np.random.Generator) -> Entries:
    """The spec's list of arrays (and a layer's sizes) claiming a shape of 10⁶ × 10⁶."""
    spec = spec_of(entries)
    name = _parameter(entries, rng)
    spec["arrays"][name]["shape"] = [10**6, 10**6]
    if rng.random() < 0.5:
        spec["network"]["layers"][0]["n_out"] = 10**9
    return resign(entries, spec)


def memory_bomb(entries: Entries, rng: np.random.Generator) -> bytes:
    """A deflated entry of zeros whose declared size is hundreds of MB: a small file
    that inflates to a large one (the checksum not recomputed: that alone would cost the
    fuzzer the memory)."""
    name = _parameter(entries, rng)
    n_out = int(rng.integers(20_000, 60_000))
    spec = spec_of(entries)
    layer = int(name.split(".")[1]) if name.startswith("layers.") else 0
    n_in = spec["network"]["layers"][layer].get("n_in", 8)
    spec["network"]["layers"][layer]["n_out"] = n_out
    spec["arrays"][name] = {"shape": [n_out, n_in * 100], "dtype": "float32"}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (n_out, n_in * 100)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, payload in resign(entries, spec).items():
            if key == name:
                with archive.open(key + ".npy", "w", force_zip64=True) as stream:
                    stream.write(header.getvalue())
                    zeros = bytes(1 << 20)
                    for _ in range(n_out * n_in * 400 // len(zeros)):
                        stream.write(zeros)
            else:
                archive.writestr(key + ".npy", payload)
    return buffer.getvalue()


# -- crafting: the zip ------------------------------------------------------------------------


def recompress(entries: Entries, rng: np.random.Generator) -> bytes:
    method = [zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2, zipfile.ZIP_DEFLATED][int(rng.integers(0, 3))]
    return write_entries(entries, method)


def encrypted_flag(entries: Entries, rng: np.random.Generator) -> bytes:
    """The "encrypted" bit set in the central directory of one entry."""
    data = bytearray(write_entries(entries))
    positions = [i for i in range(len(data) - 4) if data[i : i + 4] == b"PK\x01\x02"]
    at = positions[int(rng.integers(0, len(positions)))]
    data[at + 8] |= 0x01
    return bytes(data)


def lying_size(entries: Entries, rng: np.random.Generator) -> bytes:
    """The uncompressed size of one entry in the central directory set to a lie."""
    data = bytearray(write_entries(entries))
    positions = [i for i in range(len(data) - 4) if data[i : i + 4] == b"PK\x01\x02"]
    at = positions[int(rng.integers(0, len(positions)))]
    size = [0, 1, 0xFFFFFFFE, int(rng.integers(0, 1 << 31))][int(rng.integers(0, 4))]
    struct.pack_into("<I", data, at + 24, size)
    return bytes(data)


def entries_changed(entries: Entries, rng: np.random.Generator) -> bytes:
    """An entry dropped, renamed, duplicated, or a stranger added (not ``.npy``, or an
    array no spec lists)."""
    choice = int(rng.integers(0, 4))
    name = sorted(entries)[int(rng.integers(0, len(entries)))]
    if choice == 0:
        return write_entries({k: v for k, v in entries.items() if k != name})
    if choice == 1:
        renamed = {("x" + k if k == name else k): v for k, v in entries.items()}
        return write_entries(renamed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the point of this case
        for key, payload in entries.items():
            archive.writestr(key + ".npy", payload)
        if choice == 2:
            archive.writestr(name + ".npy", entries[name])  # the same name twice
        else:
            archive.writestr("notes.txt", b"hello")
    return buffer.getvalue()


def pickled(entries: Entries, rng: np.random.Generator) -> bytes:
    """An entry replaced by a pickled object whose unpickling would end the process."""

    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (exec, ("raise SystemExit('unpickled: code ran')",))

    name = ["spec.json", "checksum", _parameter(entries, rng)][int(rng.integers(0, 3))]
    return write_entries({**entries, name: npy(np.array([Boom()], dtype=object))})


# -- the catalogue ----------------------------------------------------------------------------

Mutation = Callable[[bytes, np.random.Generator], bytes]


def _on_entries(change: Callable[[Entries, np.random.Generator], Any]) -> Mutation:
    def mutate(data: bytes, rng: np.random.Generator) -> bytes:
        result = change(read_entries(data), rng)
        return result if isinstance(result, bytes) else write_entries(result)

    mutate.__name__ = change.__name__
    return mutate


MUTATIONS: dict[str, Mutation] = {
    fn.__name__: fn for fn in (flip, truncate, prepend, append, zero_range, repeat_range)
}
MUTATIONS.update(
    {
        change.__name__: _on_entries(change)
        for change in (
            spec_value,
            spec_delete,
            spec_scale,
            spec_nested,
            spec_not_json,
            array_value,
            array_shape,
            array_dtype,
            declared_huge,
            recompress,
            encrypted_flag,
            lying_size,
            entries_changed,
            pickled,
        )
    }
)
DAMAGE = frozenset({"flip", "truncate", "prepend", "append", "zero_range", "repeat_range"})
"""The mutations that change bytes without re-signing: a file they leave loadable must
load as the original model."""
SLOW_MUTATIONS: dict[str, Mutation] = {"memory_bomb": _on_entries(memory_bomb)}
"""Mutations that cost the fuzzer itself seconds (bench/fuzz.py runs them too)."""


def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """The ``seed``-th mutation of a valid file's ``data``: its name and the new bytes."""
    rng = np.random.default_rng(seed)
    names = sorted(MUTATIONS)
    name = names[int(rng.integers(0, len(names)))]
    return name, MUTATIONS[name](data, rng)


# -- running a case -------------------------------------------------------------------------


def _table(path: Path, rng: np.random.Generator, classes: bool) -> Path:
    rows = ["age,colour,size,target"]
    for i in range(60):
        colour = ["red", "green", "blue"][i % 3]
        size = rng.normal()
        target = ["small", "large"][int(size > 0)] if classes else f"{2 * size + 1:.4f}"
        rows.append(f"{20 + i % 7},{colour},{size:.4f},{target}")
    path.write_text("\n".join(rows) + "\n")
    return path


def make_originals(folder: Path) -> dict[str, tuple[Path, Path]]:
    """Valid files to mutate, each with a CSV it predicts: a classifier with batch norm, a
    regressor, and a checkpoint written by ``glassnet train``."""
    rng = np.random.default_rng(0)
    classes = _table(folder / "classes.csv", rng, classes=True)
    values = _table(folder / "values.csv", rng, classes=False)
    files = {}
    model = Model.fit(classes, "target", layers=[6], epochs=2, batch_norm=True, seed=0)
    files["classifier"] = (model.save(folder / "classifier.glassnet"), classes)
    model = Model.fit(values, "target", layers=[5], epochs=2, seed=0)
    files["regressor"] = (model.save(folder / "regressor.glassnet"), values)
    run = folder / "run"
    subprocess.run(
        [
            *(sys.executable, "-m", "glassnet", "train", classes, "--target", "target"),
            *("--epochs", "2", "--layers", "4", "--checkpoint-every", "1"),
            *("--out", run, "--no-report", "--quiet"),
        ],
        check=True,
        capture_output=True,
    )
    files["checkpoint"] = (sorted((run / "checkpoints").glob("*.glassnet"))[-1], classes)
    return files


def load_or_refuse(
    path: Path, data: Path, checkpoint: bool, expected: np.ndarray | None = None
) -> str:
    """Load ``path`` as glassnet does and predict ``data`` with it; ``"refused"`` or
    ``"loaded"``, or ``"unusable"`` (loaded, and predicting ``data`` refused in one line:
    numbers that overflow, columns that an edit changed). Anything else fails the test:
    another exception type, a message of several lines or without the file's name, NaN
    predictions from a model that loaded, or, for a damaged file (``expected``: the
    original's output), a model that loads but is not the original (a flipped bit in a
    zip header's timestamp changes nothing; one in a weight must be refused)."""
    try:
        model = load_checkpoint(path).model if checkpoint else Model.load(path)
    except ModelFileError as exc:
        message = str(exc)
        assert str(path) in message, message
        assert "\n" not in message and len(message) < 600, message
        return "refused"
    try:
        output = model.output(data)
    except ValueError as exc:
        # A file that loads but cannot serve this data (its columns, or numbers that
        # overflow, edited): said in one line, not NaN predictions or another exception.
        assert "\n" not in str(exc) and type(exc) is ValueError, repr(exc)
        return "unusable"
    assert np.isfinite(output).all(), f"{path} loaded and predicted non-finite numbers"
    if expected is not None:
        assert np.array_equal(output, expected), f"{path} is damaged but loaded as another model"
    return "loaded"


def measured(
    path: Path, data: Path, checkpoint: bool, expected: np.ndarray | None = None
) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = load_or_refuse(path, data, checkpoint, expected)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, time.perf_counter() - started, peak
