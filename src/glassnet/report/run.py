"""The run folder that ``glassnet train`` writes, read and checked.

- ``history.json``: ``{"metric": "accuracy" | "rmse", "epoch": [1, 2, …], "loss": […],
  "val_loss": […], "accuracy": […], "val_f1_macro": […], "learning_rate": […],
  "seconds": […]}``, one value per epoch for each log;
- ``summary.json`` (optional): what was trained and how, and the ``final`` metrics;
- ``validation.npz`` (optional): ``y_true`` and ``y_pred`` on the validation data, class
  indices for classification (``summary["classes"]`` names them), values for regression;
- ``model.glassnet`` (optional): the trained model, read only when the network is drawn.

Every error names the folder or the file, and what in it is wrong.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..losses import LOSSES, TASKS, loss_for_task
from ..metrics import confusion_matrix
from ..tabular import Model
from ..tabular.columns import describe_columns
from ..tabular.units import LOSS_UNITS

# A hand-written summary may give the kind of task rather than one of the losses' tasks.
_GENERIC_CLASSIFICATION = "classification"


@dataclass
class Run:
    """What a run folder holds, checked and converted: logs become float arrays."""

    folder: Path
    logs: dict[str, Array]
    """Log name → ``(n_epochs,)`` float64, NaN where a value is missing; has ``"epoch"``."""
    metric: str | None
    """The metric logged beside the loss (``"accuracy"``, ``"rmse"``), if known."""
    summary: dict[str, Any] = field(default_factory=dict)
    y_true: Array | None = None
    """``(m,)`` class indices, or ``(m,)`` / ``(m, k)`` float targets; with ``y_pred``."""
    y_pred: Array | None = None
    note: str | None = None
    """Why the validation data is not shown, when ``validation.npz`` is there but cannot be
    drawn (several yes/no targets have no one confusion matrix)."""
    _model: Model | None = field(default=None, repr=False, compare=False)

    @property
    def is_classification(self) -> bool:
        """Whether the run classified: from the summary's task, else from its metric."""
        task = self.summary.get("task")
        if task in TASKS:
            return loss_for_task(task).is_classification
        if isinstance(task, str):
            return task == _GENERIC_CLASSIFICATION
        return any(
            loss.metric == self.metric and loss().is_classification for loss in LOSSES.values()
        )

    @property
    def loss_units(self) -> str | None:
        """What the loss is measured on when that is not the target itself: a regression
        of ``glassnet train`` learns ``(y − mean) / std``, so its loss is in standardized
        units while its metrics are in the target's (``summary["loss_units"]`` may say)."""
        given = self.summary.get("loss_units")
        if isinstance(given, str):
            return given
        if not self.is_classification and self.summary.get("target"):
            return LOSS_UNITS
        return None

    def class_names(self) -> list[str]:
        """The classes' names, from ``summary["classes"]``, else their indices ``0 … K−1``."""
        assert self.y_true is not None and self.y_pred is not None
        classes = self.summary.get("classes")
        if isinstance(classes, list):
            return [str(c) for c in classes]
        return [str(k) for k in range(int(max(self.y_true.max(), self.y_pred.max())) + 1)]

    def confusion(self) -> Array:
        """``C[i, j]``: validation samples of true class ``i`` predicted as ``j``, ``(K, K)``.

        Every class of :meth:`class_names` gets its row and column, also one that neither
        array holds.
        """
        assert self.y_true is not None and self.y_pred is not None
        K = len(self.class_names())
        return confusion_matrix(self.y_true, self.y_pred, labels=np.arange(K))

    def trained_model(self) -> Model | None:
        """The run's ``model.glassnet``, read once; ``None`` without one."""
        path = self.folder / "model.glassnet"
        if self._model is None and path.is_file():
            self._model = Model.load(path)
        return self._model

    def input_columns(self) -> list[tuple[str, str]]:
        """``(column, what the model does with it)`` for each input column of the run's
        model (kept, scaled, one-hot with its categories, dates to numbers, the id,
        dropped and why); ``[]`` without a model file or for a model of arrays."""
        model = self.trained_model()
        return [] if model is None else describe_columns(model.columns, model.preprocessor)

    def task_reason(self) -> str | None:
        """Why the run's task is what it is, as the model recorded it."""
        model = self.trained_model()
        reason = None if model is None else model.metadata.get("task_reason")
        return reason if isinstance(reason, str) and reason else None

    def best_validation_epoch(self) -> tuple[int, float] | None:
        """``(epoch, val_loss)`` where the validation loss was lowest, if it was logged."""
        val_loss = self.logs.get("val_loss")
        if val_loss is None or not np.isfinite(val_loss).any():
            return None
        i = int(np.nanargmin(val_loss))
        return int(self.logs["epoch"][i]), float(val_loss[i])


def read_run(folder: Path) -> Run:
    """Read and check the run folder ``folder``.

    Raises FileNotFoundError if it or its ``history.json`` does not exist,
    NotADirectoryError if it is a file, ValueError if a file in it is malformed.
    """
    if not folder.exists():
        raise FileNotFoundError(f"run folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; write_report needs a run folder")
    history_path = folder / "history.json"
    if not history_path.is_file():
        raise FileNotFoundError(
            f"run folder {folder} has no history.json; a run folder is what `glassnet train` "
            "writes (history.json, summary.json, validation.npz)"
        )
    history = _read_json(history_path)
    logs, metric = _check_history(history_path, history)
    summary_path = folder / "summary.json"
    summary = _read_json(summary_path) if summary_path.is_file() else {}
    if not isinstance(summary, dict):
        raise ValueError(f"{summary_path} must hold a JSON object, got {type(summary).__name__}")
    run = Run(folder, logs, metric, summary)
    validation_path = folder / "validation.npz"
    if validation_path.is_file():
        several = _several_labels(validation_path, run)
        if several:
            run.note = (
                f"validation.npz holds {several} yes/no targets; a confusion matrix is "
                "drawn for one target only, so none is drawn here."
            )
        else:
            run.y_true, run.y_pred = _read_validation(validation_path, run)
    return run


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None


def _check_history(path: Path, history: Any) -> tuple[dict[str, Array], str | None]:
    """The per-epoch logs of ``history.json`` as float arrays of one length, and the metric."""
    if not isinstance(history, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(history).__name__}")
    metric = history.get("metric")
    if metric is not None and not isinstance(metric, str):
        raise ValueError(f'{path}: "metric" must be a name such as "accuracy", got {metric!r}')
    logs: dict[str, Array] = {}
    for name, values in history.items():
        if not isinstance(values, list):
            continue  # "metric", and anything else that is not a per-epoch log
        try:
            # JSON has no NaN: a diverged epoch is written as null.
            logs[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f'{path}: "{name}" must be a list of numbers') from None
        if logs[name].ndim != 1:
            raise ValueError(f'{path}: "{name}" must be a flat list of numbers, one per epoch')
    if "loss" not in logs:
        raise ValueError(f'{path} has no "loss" list; found {sorted(logs) or "no lists"}')
    n_epochs = logs["loss"].size
    if n_epochs == 0:
        raise ValueError(f'{path}: "loss" is empty; the run has no finished epoch')
    logs.setdefault("epoch", np.arange(1.0, n_epochs + 1))
    uneven = {name: v.size for name, v in logs.items() if v.size != n_epochs}
    if uneven:
        raise ValueError(
            f'{path}: every log needs one value per epoch ({n_epochs}, as "loss"), '
            f"but these differ: {uneven}"
        )
    if metric is None:
        metric = next((name for name in ("accuracy", "rmse") if name in logs), None)
    return logs, metric


def _several_labels(path: Path, run: Run) -> int:
    """How many yes/no targets a classification's ``validation.npz`` holds when more than
    one (its ``y_true`` has a column each), else 0."""
    if not run.is_classification:
        return 0
    try:
        with np.load(path, allow_pickle=False) as arrays:
            shape: tuple[int, ...] = arrays["y_true"].shape if "y_true" in arrays.files else ()
    except (OSError, ValueError, zipfile.BadZipFile):
        return 0  # _read_validation names what is wrong
    return int(shape[1]) if len(shape) == 2 and shape[1] > 1 else 0


def _read_validation(path: Path, run: Run) -> tuple[Array, Array]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            found = {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a readable .npz file: {exc}") from None
    missing = [name for name in ("y_true", "y_pred") if name not in found]
    if missing:
        raise ValueError(f"{path} lacks {' and '.join(missing)}; found {sorted(found)}")
    y_true, y_pred = (np.asarray(found[name]) for name in ("y_true", "y_pred"))
    if y_true.shape[0] != y_pred.shape[0] or y_true.shape[0] == 0:
        raise ValueError(
            f"{path}: y_true has {y_true.shape[0]} samples and y_pred {y_pred.shape[0]}; "
            "both need the same number, at least 1"
        )
    if not run.is_classification:
        return y_true.astype(float), y_pred.astype(float)
    return _class_indices(path, "y_true", y_true, run), _class_indices(path, "y_pred", y_pred, run)


def _class_indices(path: Path, name: str, y: Array, run: Run) -> Array:
    """``y`` as ``(m,)`` int64 class indices, each below the number of named classes."""
    y = y.reshape(y.shape[0], -1)
    if y.shape[1] != 1:
        raise ValueError(f"{path}: {name} must be class indices of shape (m,), got {y.shape}")
    y = y[:, 0]
    if y.dtype.kind not in "iub" and not (
        y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y))
    ):
        raise ValueError(f"{path}: {name} must be class indices (integers), got {y.dtype}")
    indices = y.astype(np.int64)
    classes = run.summary.get("classes")
    limit = len(classes) if isinstance(classes, list) else None
    if indices.min() < 0 or (limit is not None and indices.max() >= limit):
        raise ValueError(
            f"{path}: {name} holds class indices from {indices.min()} to {indices.max()}, "
            f"but summary.json names {limit} classes (indices 0 to {limit - 1 if limit else 0})"
        )
    return indices
