"""Model files: data, not code.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding:

- ``spec.json``: a JSON document (stored as bytes) with the format name and version, the
  architecture (each layer's config), the loss and regularization, the preprocessing,
  the class labels, free-form metadata, and the name, shape and dtype of every array;
- one array per parameter and buffer, named ``layers.<i>.<name>`` (``layers.0.W``);
- optionally the training state of a checkpoint (arrays such as the optimizer's moments
  under ``training.<name>``; the epoch, step, random-generator states and history in the
  JSON);
- ``checksum``: the SHA-256 of everything above, so that a truncated, corrupted or
  hand-edited file is refused instead of loading as a different model.

Loading never unpickles, so it can never run code, and it trusts nothing in the file: the
checksum has no key, so whoever edits a file can sign it again. :mod:`glassnet.io.archive`
bounds the zip, the spec and the arrays before reading them and verifies the checksum in
a streaming pass; :mod:`glassnet.io.spec_checks` checks every field of the spec against
:data:`~glassnet.io.archive.LIMITS`; the layers check every array against the
architecture (and refuse NaN and inf), naming the layer when one is off. Every refusal is
a :class:`ModelFileError` naming the file. Writes go to a temporary file in the same
folder that is renamed over the target, so a crash never leaves a half-written model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import to_host
from ..network import Network
from .archive import (
    CHECKSUM_KEY,
    LIMITS,
    SPEC_KEY,
    ModelFileError,
    entries_checksum,
    open_archive,
    parse_spec,
    printable,
    read_manifest,
)
from .files import atomic_savez
from .spec_checks import check_arrays, check_spec

FORMAT = "glassnet-model"
FORMAT_VERSION = 1


@dataclass
class SavedModel:
    """What a model file holds: the network and everything needed to use it."""

    network: Network
    preprocessor: dict[str, Any] | None = None
    """The fitted :class:`~glassnet.data.Preprocessor` as ``to_dict()`` gave it."""
    classes: list[Any] | None = None
    """The class label of each output index (classification), e.g. ``["<=50K", ">50K"]``."""
    metadata: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    """A checkpoint's training state (see :mod:`glassnet.training.checkpoint`): JSON data, with its
    arrays under ``training["arrays"]``."""


def save_model(
    path: str | os.PathLike[str],
    network: Network,
    *,
    preprocessor: dict[str, Any] | None = None,
    classes: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> Path:
    """Write ``network`` (and what goes with it) to ``path``, atomically; return the path.

    ``training["arrays"]`` may map names to arrays (a checkpoint's optimizer state and
    the like); everything else in ``training`` and ``metadata`` must be JSON data.
    """
    path = Path(path)
    # From a device (a GPU-trained network), each array comes to the host here.
    arrays = {key: np.ascontiguousarray(to_host(a)) for key, a in network.arrays().items()}
    training_json = None
    if training is not None:
        training_json = {k: v for k, v in training.items() if k != "arrays"}
        for key, array in training.get("arrays", {}).items():
            arrays[f"training.{key}"] = np.ascontiguousarray(to_host(array))
    spec = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "network": network.config(),
        "preprocessor": preprocessor,
        "classes": classes,
        "metadata": metadata or {},
        "training": training_json,
        "arrays": {
            key: {"shape": list(a.shape), "dtype": a.dtype.name} for key, a in arrays.items()
        },
    }
    spec_bytes = json.dumps(spec, indent=1, default=json_default).encode("utf-8")
    entries = {SPEC_KEY: np.frombuffer(spec_bytes, dtype=np.uint8), **arrays}
    entries[CHECKSUM_KEY] = np.frombuffer(entries_checksum(entries).encode("ascii"), dtype=np.uint8)
    _write_atomically(path, entries)
    return path


def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file written by :func:`save_model`; never runs code from the file, and
    allocates nothing large before the file's sizes are checked against
    :data:`~glassnet.io.archive.LIMITS` and its checksum is verified (see
    :mod:`glassnet.io.archive`).

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        When ``path`` is not a file.
    ModelFileError
        When the file is not a glassnet model, is truncated, corrupted or edited, comes
        from a newer format version, asks for more than a model file may, or holds
        values that do not fit its architecture (non-finite parameters among them).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a model file")
    with open_archive(path) as archive:
        if SPEC_KEY not in archive.members or CHECKSUM_KEY not in archive.members:
            raise ModelFileError(f"{path} is not a glassnet model file (it has no {SPEC_KEY})")
        raw_spec = archive.small(SPEC_KEY, LIMITS.spec_bytes)
        stored = archive.small(CHECKSUM_KEY, 256).tobytes().decode("ascii", errors="replace")
        spec = parse_spec(path, raw_spec)
        _check_format(path, spec)
        manifest = read_manifest(path, spec.get("arrays"), archive.members)
        check_spec(path, spec)
        check_arrays(path, spec["network"], manifest)
        if stored != archive.digest_of(manifest, raw_spec):
            raise ModelFileError(
                f"{path} does not match its checksum: the file was modified or corrupted"
            )
        arrays = {key: archive.array(key, declared) for key, declared in manifest.items()}
    network = _rebuild_network(path, spec["network"], arrays)
    training = spec.get("training")
    if training is not None:
        prefix = "training."
        training["arrays"] = {
            key[len(prefix) :]: _finite(path, key, array)
            for key, array in arrays.items()
            if key.startswith(prefix)
        }
    return SavedModel(
        network=network,
        preprocessor=spec.get("preprocessor"),
        classes=spec.get("classes"),
        metadata=spec.get("metadata") or {},
        training=training,
    )


def _rebuild_network(path: Path, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    try:
        return Network.from_config(spec, arrays)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        # The spec passed check_spec's bounds; what is still wrong, the layers name.
        cause = str(exc).strip("'\"") or type(exc).__name__
        raise ModelFileError(f"{path}: {printable(cause, 300)}") from None


def _finite(path: Path, key: str, array: np.ndarray) -> np.ndarray:
    """A training array (an optimizer's moments) that resuming may use: finite numbers."""
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ModelFileError(f"{path}: its array {key!r} holds NaN or inf")
    return array


def _check_format(path: Path, spec: Any) -> None:
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a glassnet model file")
    version = spec.get("format_version")
    if type(version) is not int:
        raise ModelFileError(f"{path}: format_version is missing or not an integer")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by a newer glassnet (model format {version}; this glassnet "
            f"reads up to {FORMAT_VERSION}): upgrade glassnet to load it"
        )


def _write_atomically(path: Path, entries: dict[str, np.ndarray]) -> None:
    atomic_savez(path, **entries)


def json_default(value: Any) -> Any:
    """NumPy scalars and arrays inside metadata become plain JSON numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")
