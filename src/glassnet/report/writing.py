"""Writing the run folder that :mod:`glassnet.report.run` reads: what ``glassnet train``
(or a Python user with a :class:`~glassnet.tabular.Model`) leaves behind besides the model
file, so that one module owns the format of both sides."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..io import atomic_savez, atomic_write_text
from ..network import Network
from ..tabular import Model, Prepared
from ..training import History
from ..training.config_file import to_toml
from ..training.options import make_optimizer

MODEL_FILE = "model.glassnet"
"""The trained model's file in a run folder."""


def optimizer_description(settings: dict[str, Any]) -> str:
    """``adam (lr 0.001, beta1 0.9, …)``: the update rule the settings ask for."""
    optimizer = make_optimizer(settings["optimizer"], settings["lr"], settings["weight_decay"])
    config = optimizer.config()
    extras = [f"{k} {v}" for k, v in config.items() if k not in ("name", "learning_rate") and v]
    described = ", ".join([f"lr {optimizer.learning_rate:g}", *extras])
    return f"{config['name']} ({described})"


def architecture(network: Network) -> str:
    """``784-64-32-10 (relu hidden, dropout)``: the sizes and what sits between them."""
    parametric = network.parametric_layers()
    first = parametric[0].activation
    hidden = first.name if len(parametric) > 1 and first is not None else "no"
    if any(len(layer.output_shape) > 1 for layer in network.layers):
        # Images: each shape that a layer changes, 1×28×28 → 8×26×26 → 8×13×13 → 1352 → …
        shapes = [network.input_shape] + [
            layer.output_shape
            for layer in network.layers
            if layer.output_shape != layer.input_shape
        ]
        kinds = dict.fromkeys(layer.kind for layer in network.layers if layer.kind != "dense")
        return " → ".join("×".join(map(str, shape)) for shape in shapes) + (
            f" ({', '.join(kinds)}; {hidden} hidden)"
        )
    sizes = [network.n_features] + [layer.n_out for layer in parametric]
    extras = []
    if any(layer.min_batch_size > 1 for layer in parametric):
        extras.append("batch norm")
    extras += sorted({layer.kind for layer in network.layers if not layer.params})
    return (
        "-".join(map(str, sizes))
        + f" ({hidden} hidden{', ' + ', '.join(extras) if extras else ''})"
    )


def _beside(folder: Path, name: str | None) -> str | None:
    """``name`` (a file named from the working folder) as a path relative to ``folder``."""
    if name is None or not Path(name).exists():
        return name
    return os.path.relpath(Path(name).resolve(), folder.resolve())


def write_run_files(
    out: Path,
    model: Model,
    data: Prepared,
    history: History,
    settings: dict[str, Any],
    seconds: float,
    command: str,
    *,
    files: Mapping[str, str | None] | None = None,
    early_stopping: Mapping[str, Any] | None = None,
    test: Mapping[str, Any] | None = None,
    ranks: int = 1,
    search: Mapping[str, Any] | None = None,
    saved: Model | None = None,
) -> dict[str, Any]:
    """Write ``config.toml``, ``history.json``, ``summary.json`` and ``validation.npz``
    into ``out`` (each atomically), the files :func:`~glassnet.report.write_report` reads;
    return the summary.

    ``command`` is what produced the run, as a user would type it again. ``files``: the
    run's ``data`` and ``test-file`` as given (default: the file ``data`` came from), so
    that ``config.toml`` alone reproduces the run. ``early_stopping``: what it did
    (:meth:`~glassnet.training.EarlyStopping.summary`); the ``final`` scores are then
    those of the epoch whose weights the model holds. ``test``: the scores on a test file.
    ``ranks``: the processes that trained (an MPI job's size; the batch size is global).
    ``search``: the first runs that chose λ and the networks averaged (``model`` is then
    the chosen first run, whose history and validation predictions the files hold).
    ``saved``: the model saved, when not ``model`` (a refit, the averaged network), whose
    architecture the summary gives.
    """
    run_files = dict(files) if files is not None else {"data": data.data_file}
    # Files are written relative to the run folder, which the config is read beside, so
    # that --config reproduces the run from any working folder.
    run_files = {key: _beside(out, name) for key, name in run_files.items()}
    chosen = dict(settings)
    if chosen.get("target") is None and isinstance(data.target, str):
        chosen["target"] = data.target  # the column the run chose, so that it is kept
    from_sample = run_files.get("data") is None and not data.in_memory
    atomic_write_text(out / "config.toml", to_toml(chosen, run_files, data_options=not from_sample))
    atomic_write_text(out / "history.json", json.dumps(history.as_dict(), indent=1))
    network = (saved or model).network
    weights_epoch = None if early_stopping is None else early_stopping.get("weights_of_epoch")
    summary: dict[str, Any] = {
        "data": data.description,
        "task": data.task,
        "target": data.target,
        "architecture": architecture(network) + _output_text(network),
        "parameters": network.n_parameters(),
        "optimizer": optimizer_description(settings),
        "epochs": len(history.epoch),
        "batch_size": settings["batch_size"] or "all",
        "ranks": ranks,
        "seconds_per_epoch": round(float(np.mean(history.seconds)), 4) if history.seconds else None,
        "seconds": round(seconds, 2),
        "final": _final(history, weights_epoch),
        "classes": [str(c) for c in data.classes] if data.classes is not None else None,
    }
    if early_stopping is not None:
        summary["early_stopping"] = dict(early_stopping)
    if test is not None:
        summary["test"] = dict(test)
    if search is not None:
        summary["search"] = dict(search)
    summary |= {
        "command": command,
        "glassnet_version": __version__,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    validation = model.validation_predictions(data)
    if validation is not None:
        y_true, y_pred = validation
        atomic_savez(out / "validation.npz", y_true=y_true, y_pred=y_pred)
    else:
        (out / "validation.npz").unlink(missing_ok=True)  # an earlier run's, if replaced
    return summary


def _output_text(network: Any) -> str:
    return f", {network.loss.output_activation} output, {network.loss.name} loss"


def _final(history: History, epoch: int | None) -> dict[str, float]:
    """The validation scores of ``epoch`` (default: the last), the finite ones."""
    at = history.epoch.index(epoch) if epoch in history.epoch else -1
    logs = {key: values[at] for key, values in history.logs.items() if key.startswith("val_")}
    return {key: value for key, value in logs.items() if math.isfinite(value)}
