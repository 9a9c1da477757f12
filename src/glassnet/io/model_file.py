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

Loading reads arrays with ``allow_pickle=False``, so it can never run code; it rebuilds
the network from the JSON and checks every array's shape against the architecture,
naming the layer when one is off. Writes go to a temporary file in the same folder that
is renamed over the target, so a crash never leaves a half-written model.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..network import Network
from .files import atomic_savez

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
SPEC_KEY = "spec.json"
CHECKSUM_KEY = "checksum"


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, truncated, corrupted, edited or too new."""


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
    arrays = {key: np.asarray(array) for key, array in network.arrays().items()}
    training_json = None
    if training is not None:
        training_json = {k: v for k, v in training.items() if k != "arrays"}
        for key, array in training.get("arrays", {}).items():
            arrays[f"training.{key}"] = np.asarray(array)
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
    spec_bytes = json.dumps(spec, indent=1, default=_json_default).encode("utf-8")
    entries = {SPEC_KEY: np.frombuffer(spec_bytes, dtype=np.uint8), **arrays}
    entries[CHECKSUM_KEY] = np.frombuffer(entries_checksum(entries).encode("ascii"), dtype=np.uint8)
    _write_atomically(path, entries)
    return path


def load_model(path: str | os.PathLike[str]) -> SavedModel:
    """Read a model file written by :func:`save_model`; never runs code from the file.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        When ``path`` is not a file.
    ModelFileError
        When the file is not a glassnet model, is truncated, corrupted or edited, comes
        from a newer format version, or holds arrays that do not fit its architecture.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a model file")
    entries = _read_entries(path)
    if SPEC_KEY not in entries or CHECKSUM_KEY not in entries:
        raise ModelFileError(f"{path} is not a glassnet model file (it has no {SPEC_KEY})")
    stored = entries.pop(CHECKSUM_KEY).tobytes().decode("ascii", errors="replace")
    if stored != entries_checksum(entries):
        raise ModelFileError(
            f"{path} does not match its checksum: the file was modified or corrupted"
        )
    try:
        spec = json.loads(entries.pop(SPEC_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: its {SPEC_KEY} is not valid JSON ({exc})") from None
    _check_format(path, spec)
    try:
        network = _rebuild_network(spec["network"], entries)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    training = spec.get("training")
    if training is not None:
        prefix = "training."
        training["arrays"] = {
            key[len(prefix) :]: array for key, array in entries.items() if key.startswith(prefix)
        }
    return SavedModel(
        network=network,
        preprocessor=spec.get("preprocessor"),
        classes=spec.get("classes"),
        metadata=spec.get("metadata") or {},
        training=training,
    )


def _rebuild_network(spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Network:
    try:
        return Network.from_config(spec, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(str(exc).strip("'\"")) from None


def _check_format(path: Path, spec: Any) -> None:
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a glassnet model file")
    version = spec.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{path}: format_version is missing or not an integer")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by a newer glassnet (model format {version}; this glassnet "
            f"reads up to {FORMAT_VERSION}): upgrade glassnet to load it"
        )


def _read_entries(path: Path) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a readable glassnet model file: it is truncated or corrupted, "
            "or not a model file at all"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ModelFileError(f"{path} is not a glassnet model file (not an archive)")
            return {key: archive[key] for key in archive.files}
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise ModelFileError(
                f"{path} holds pickled Python objects, which glassnet model files never do: "
                "it was not loaded, since unpickling can run code"
            ) from None
        raise ModelFileError(
            f"{path} is not a readable glassnet model file: it is truncated or corrupted ({exc})"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelFileError(
            f"{path} is not a readable glassnet model file: it is truncated or corrupted ({exc})"
        ) from None


def entries_checksum(entries: dict[str, np.ndarray]) -> str:
    """The SHA-256 a model file stores over its entries (every name, dtype, shape and
    byte, in name order), so that loading finds any change to them."""
    digest = hashlib.sha256()
    for key in sorted(entries):
        array = np.ascontiguousarray(entries[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _write_atomically(path: Path, entries: dict[str, np.ndarray]) -> None:
    atomic_savez(path, **entries)


def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays inside metadata become plain JSON numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON data")
