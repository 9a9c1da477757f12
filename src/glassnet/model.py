"""A deployable model: the preprocessing, the network, the class labels and the target
scale, trained, saved and used together (what ``glassnet train`` writes and
``glassnet predict`` reads).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .backend import Array
from .data import LabelEncoder, Preprocessor, Table
from .data.table import missing_mask
from .io import load_model, save_model
from .losses import TASKS, Task
from .network import Network

MAX_CLASSES_FOR_NUMBERS = 20
"""A numeric target with at most this many distinct integer values is taken as classes."""


def infer_task(target: Array, kind: str) -> Task:
    """Guess the task from the target column.

    Text labels: binary for two classes, multiclass for more. Numbers: binary for two
    distinct values, multiclass for 3 … 20 distinct integers, regression otherwise.
    """
    present = target[~missing_mask(target)]
    distinct = np.unique(present.astype(str) if kind == "categorical" else present)
    if distinct.size < 2:
        raise ValueError(f"the target has {distinct.size} distinct value(s); nothing to learn")
    if distinct.size == 2:
        return "binary"
    if kind == "categorical":
        return "multiclass"
    if distinct.size <= MAX_CLASSES_FOR_NUMBERS and np.all(distinct == np.round(distinct)):
        return "multiclass"
    return "regression"


@dataclass
class Model:
    """A network with the preprocessing of its inputs and the meaning of its outputs."""

    network: Network
    task: Task
    preprocessor: Preprocessor | None = None
    """Turns a :class:`~glassnet.data.Table` into the network's input; ``None`` when the
    model takes numeric arrays directly."""
    classes: list[Any] | None = None
    """The label of each class index, for classification."""
    target: str | None = None
    target_scale: tuple[float, float] | None = None
    """``(mean, std)``: regression targets are learned standardized and scaled back."""
    metadata: dict[str, Any] = field(default_factory=dict)

    # -- data in ------------------------------------------------------------------------

    def features(self, data: Table | Any) -> Array:
        """The network's input ``(m, n_0)`` for a table (through the preprocessing) or an
        array of already numeric features."""
        if isinstance(data, Table):
            if self.preprocessor is None:
                raise TypeError("this model takes numeric arrays, not tables")
            return self.preprocessor.transform(data)
        return self.network.check_X(data)

    def encode_target(self, values: Array) -> Array:
        """Targets as the network learns them: class indices, or standardized values."""
        if self.task == "regression":
            mean, std = self.target_scale or (0.0, 1.0)
            return (np.asarray(values, dtype=np.float64) - mean) / std
        assert self.classes is not None
        encoder = LabelEncoder()
        encoder.classes_ = list(self.classes)
        return encoder.transform(values)

    # -- data out -----------------------------------------------------------------------

    def output(self, data: Table | Any) -> Array:
        """The network's output ``A^[L]`` for ``data``: one forward pass, which
        :meth:`proba_from` and :meth:`predictions_from` read without running it again."""
        return self.network.predict_output(self.features(data))

    def predict_proba(self, data: Table | Any) -> Array:
        """Class probabilities ``(m, K)`` (for binary: ``[P(class 0), P(class 1)]``)."""
        return self.proba_from(self.output(data))

    def predict(self, data: Table | Any) -> Array:
        """Class labels (as the training data named them) or values in the target's units."""
        return self.predictions_from(self.output(data))

    def proba_from(self, A: Array) -> Array:
        """Class probabilities from the network's output ``A`` (see :meth:`predict_proba`)."""
        if self.task == "regression":
            raise ValueError("predict_proba is for classifiers; this model does regression")
        return np.hstack([1 - A, A]) if self.task == "binary" else A

    def predictions_from(self, A: Array) -> Array:
        """Labels or target-unit values from the network's output ``A`` (see :meth:`predict`)."""
        if self.task == "regression":
            mean, std = self.target_scale or (0.0, 1.0)
            values = A.astype(np.float64) * std + mean
            return values[:, 0] if values.shape[1] == 1 else values
        indices = self.network.loss.decide(A)
        assert self.classes is not None
        return np.asarray(self.classes, dtype=object)[indices]

    # -- files --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], training: dict[str, Any] | None = None) -> Path:
        """Write the model file (atomically); ``training`` adds a checkpoint's state."""
        metadata = {
            **self.metadata,
            "task": self.task,
            "target": self.target,
            "target_scale": None if self.target_scale is None else list(self.target_scale),
        }
        return save_model(
            path,
            self.network,
            preprocessor=None if self.preprocessor is None else self.preprocessor.to_dict(),
            classes=self.classes,
            metadata=metadata,
            training=training,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> tuple[Model, dict[str, Any] | None]:
        """The model in a file and, for a checkpoint, its training state (else ``None``)."""
        saved = load_model(path)
        metadata = dict(saved.metadata)
        task = metadata.pop("task", None)
        if task not in TASKS:
            task = saved.network.loss.task
        scale = metadata.pop("target_scale", None)
        model = cls(
            network=saved.network,
            task=task,
            preprocessor=None
            if saved.preprocessor is None
            else Preprocessor.from_dict(saved.preprocessor),
            classes=saved.classes,
            target=metadata.pop("target", None),
            target_scale=None if scale is None else (float(scale[0]), float(scale[1])),
            metadata=metadata,
        )
        return model, saved.training
