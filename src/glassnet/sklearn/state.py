"""A fitted estimator's pickled state: its parameters and the bytes of a glassnet model
file, never a pickled network.

Pickle is how scikit-learn moves estimators between processes (``GridSearchCV(n_jobs=2)``,
joblib), so the estimators must pickle; but a pickle runs code when loaded, and a model
file must not (see :mod:`glassnet.io.model_file`). So ``__getstate__`` holds plain
parameters and a model file's bytes, and ``__setstate__`` reads the bytes back with the
loader that never unpickles: what a pickle of an estimator carries of the model is data,
checked on the way in like any model file. The fitted attributes that are not the model
(``n_iter_``, the history, the feature names, the type of the class labels) travel in the
model file's metadata, under :data:`METADATA_KEY`.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..tabular import Model
from ..training import History

METADATA_KEY = "sklearn"
"""The model file's metadata entry that holds an estimator's other fitted attributes."""


def model_bytes(model: Model, fitted: dict[str, Any]) -> bytes:
    """The model file of ``model`` as bytes, with ``fitted`` (JSON data) in its metadata.

    :func:`~glassnet.io.save_model` writes to a path, atomically, so the bytes go through a
    temporary folder that is removed at once.
    """
    marked = replace(model, metadata={**model.metadata, METADATA_KEY: fitted})
    with tempfile.TemporaryDirectory(prefix="glassnet-") as folder:
        path = marked.save(Path(folder) / "estimator.glassnet")
        return path.read_bytes()


def model_from_bytes(data: bytes) -> tuple[Model, dict[str, Any]]:
    """The model in a model file's bytes and the fitted attributes of its metadata, read
    with :meth:`Model.load` (checksummed, checked, never unpickled)."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"an estimator's model file must be bytes, got {type(data).__name__}")
    with tempfile.TemporaryDirectory(prefix="glassnet-") as folder:
        path = Path(folder) / "estimator.glassnet"
        path.write_bytes(data)
        model = Model.load(path)
    metadata = dict(model.metadata)
    fitted = metadata.pop(METADATA_KEY, {})
    if not isinstance(fitted, dict):
        raise ValueError(f"the model file's {METADATA_KEY!r} metadata is not a JSON object")
    return replace(model, metadata=metadata), fitted


def history_to_json(history: History) -> dict[str, Any]:
    """A :class:`History` as JSON data (the floats of each log, per epoch)."""
    return {
        "metric": history.metric,
        "epoch": [int(e) for e in history.epoch],
        "logs": {key: [float(v) for v in values] for key, values in history.logs.items()},
    }


def history_from_json(data: dict[str, Any]) -> History:
    """The :class:`History` that :func:`history_to_json` wrote."""
    logs = {str(key): [float(v) for v in values] for key, values in data["logs"].items()}
    return History(str(data["metric"]), [int(e) for e in data["epoch"]], logs)


def array_to_json(values: Array) -> dict[str, Any]:
    """Labels or names ``(k,)`` with their dtype, so that they come back as the same array
    (``classes_`` of floats stays floats, of text stays text)."""
    return {"dtype": values.dtype.str, "values": values.tolist()}


def array_from_json(data: dict[str, Any]) -> Array:
    """The array that :func:`array_to_json` wrote; object and text arrays only hold text,
    numbers or booleans, as JSON does."""
    dtype = np.dtype(data["dtype"])
    if dtype.kind not in "biufUO":
        raise ValueError(f"labels of dtype {dtype} cannot come from a model file")
    if dtype.kind == "O":
        out = np.empty(len(data["values"]), dtype=object)
        out[:] = data["values"]
        return out
    return np.asarray(data["values"], dtype=dtype)
