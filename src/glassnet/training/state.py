"""What training keeps and what callbacks see: :class:`History`, :class:`TrainingState`,
and the :class:`Callback` interface itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..optimizers import Optimizer

if TYPE_CHECKING:
    from .trainable import Trainable


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or inf during training."""


class DivergenceWarning(RuntimeWarning):
    """Training ended with a finite loss far above the one it started from (see
    :class:`~glassnet.training.callbacks.DivergenceCheck`)."""


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch, as in Keras' ``History``.

    ``history.logs`` maps ``"loss"``, the metric (``"accuracy"`` or ``"rmse"``), their
    ``"val_"`` counterparts, ``"learning_rate"`` and ``"seconds"`` to lists;
    ``history["val_loss"]`` reads one.
    """

    metric: str
    """The metric's name: ``'accuracy'`` or ``'rmse'``."""
    epoch: list[int] = field(default_factory=list)
    logs: dict[str, list[float]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> list[float]:
        return self.logs[key]

    @property
    def loss(self) -> list[float]:
        """Training cost ``J`` (loss plus regularization), averaged over the epoch's batches."""
        return self.logs.get("loss", [])

    @property
    def train_metric(self) -> list[float]:
        return self.logs.get(self.metric, [])

    @property
    def val_loss(self) -> list[float]:
        return self.logs.get("val_loss", [])

    @property
    def val_metric(self) -> list[float]:
        return self.logs.get("val_" + self.metric, [])

    @property
    def seconds(self) -> list[float]:
        return self.logs.get("seconds", [])

    def record(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.logs.setdefault(key, []).append(value)

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "epoch": self.epoch, **self.logs}


@dataclass
class TrainingState:
    """What callbacks see: the network, the optimizer and the history so far."""

    network: Trainable
    optimizer: Optimizer
    history: History
    epochs: int
    n_samples: int = 0
    """Training samples per epoch."""
    epoch: int = 0
    step: int = 0
    """Steps taken since training began (over all epochs)."""
    stop_training: bool = False
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    """The generator that shuffles the samples each epoch."""
    callbacks: Sequence[Callback] = ()


class Callback:
    """Base class: every hook does nothing.

    A callback whose decisions depend on earlier epochs sets ``has_state = True`` and
    implements :meth:`state_dict` and :meth:`load_state_dict`, so that a checkpoint can
    carry it over and a resumed run decides exactly as an uninterrupted one.
    """

    has_state = False

    def state_dict(self) -> dict[str, Any]:
        """JSON data (plus arrays under ``"arrays"``) that :meth:`load_state_dict` restores."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""

    def on_train_begin(self, state: TrainingState) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, state: TrainingState) -> None:
        """Before each epoch; ``state.epoch`` counts from 1."""

    def on_batch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        """After each update; ``logs`` has the batch's ``loss`` and ``size``."""

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        """After each epoch's validation; ``logs`` is what the history records."""

    def on_train_end(self, state: TrainingState) -> None:
        """After the last epoch, or after a callback stopped training."""
