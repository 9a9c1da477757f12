"""Writing the run folder that :mod:`glassnet.report.run` reads: what ``glassnet train``
(or a Python user with a :class:`~glassnet.tabular.Model`) leaves behind besides the model
file, so that one module owns the format of both sides."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..io import atomic_savez, atomic_write_text
from ..network import Network
from ..tabular import Model, Prepared
from ..training import History
from ..training.options import make_optimizer, to_toml


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
    sizes = [network.n_features] + [layer.n_out for layer in parametric]
    first = parametric[0].activation
    hidden = first.name if len(parametric) > 1 and first is not None else "no"
    extras = []
    if any(layer.min_batch_size > 1 for layer in parametric):
        extras.append("batch norm")
    extras += sorted({layer.kind for layer in network.layers if not layer.params})
    return (
        "-".join(map(str, sizes))
        + f" ({hidden} hidden{', ' + ', '.join(extras) if extras else ''})"
    )


def write_run_files(
    out: Path,
    model: Model,
    data: Prepared,
    history: History,
    settings: dict[str, Any],
    seconds: float,
    command: str,
) -> None:
    """Write ``config.toml``, ``history.json``, ``summary.json`` and ``validation.npz``
    into ``out`` (each atomically), the files :func:`~glassnet.report.write_report` reads;
    ``command`` is what produced the run, as a user would type it again."""
    atomic_write_text(out / "config.toml", to_toml(settings))
    atomic_write_text(out / "history.json", json.dumps(history.as_dict(), indent=1))
    network = model.network
    final = {key: values[-1] for key, values in history.logs.items() if key.startswith("val_")}
    summary = {
        "data": data.description,
        "task": data.task,
        "target": data.target,
        "architecture": architecture(network)
        + f", {network.loss.output_activation} output, {network.loss.name} loss",
        "parameters": network.n_parameters(),
        "optimizer": optimizer_description(settings),
        "epochs": len(history.epoch),
        "batch_size": settings["batch_size"] or "all",
        "seconds_per_epoch": round(float(np.mean(history.seconds)), 4) if history.seconds else None,
        "seconds": round(seconds, 2),
        "final": {k: v for k, v in final.items() if math.isfinite(v)},
        "classes": [str(c) for c in data.classes] if data.classes is not None else None,
        "command": command,
        "glassnet_version": __version__,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    validation = model.validation_predictions(data)
    if validation is not None:
        y_true, y_pred = validation
        atomic_savez(out / "validation.npz", y_true=y_true, y_pred=y_pred)
