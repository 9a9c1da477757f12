"""Regression scores in the target's own units while training, not in standardized ones.

A regression target is learned standardized, ``(y − mean) / std``, so that the loss and the
learning rate mean the same whatever the unit. The scores a user reads are another matter:
an RMSE of 0.85 standard deviations while training and of 56.6 beats per minute in
``glassnet evaluate`` look like two models. :class:`TargetUnits` puts every score that has
a unit (RMSE, MAE, MSE) back in the target's units as each epoch ends, before the history,
the progress line or early stopping read it; R² is the same in any unit. The loss stays
standardized (the network minimizes it); the report labels it so.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

from ..backend import Array
from ..metrics import METRICS
from ..network import Network
from ..training import Callback, TrainingState

LOSS_UNITS = "standardized target"
"""What the loss of a regression is measured on: ``(y − mean) / std``, not ``y``."""


def scale_arrays(scale: tuple[Any, Any]) -> tuple[Array, Array]:
    """A target scale ``(mean, std)`` as two float64 arrays ``(k,)``, one entry per target."""
    mean, std = (np.atleast_1d(np.asarray(part, dtype=np.float64)) for part in scale)
    return mean, std


def saved_scale(saved: Any) -> tuple[Any, Any]:
    """A target scale read from a model file: two numbers, or two lists (one per target)."""
    mean, std = saved
    if isinstance(mean, list):
        return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
    return float(mean), float(std)


def to_units(values: Array, scale: tuple[Any, Any]) -> Array:
    """Standardized values ``(m, k)`` or ``(m,)`` in the target's units: ``v · std + mean``."""
    mean, std = scale_arrays(scale)
    real = np.asarray(values, dtype=np.float64)
    if real.ndim == 1:
        return real * std[0] + mean[0]
    return real * std + mean


class TargetUnits(Callback):
    """Puts the scores of a standardized regression back in the target's units each epoch.

    The validation scores (``val_rmse``, ``val_mae``, ``val_mse``, ``val_r2``) are measured
    again on the validation rows ``X_val`` ``(m, n_0)`` with the predictions and the truth
    ``y_val`` (standardized, ``(m,)`` or ``(m, k)``) both in the target's units, exactly as
    :meth:`~glassnet.tabular.Model.evaluate` measures them. The training RMSE, a running
    mean over the epoch's batches, is scaled by ``std`` for one target; for several, whose
    units differ, it is measured again on the training rows at the end of the epoch.
    """

    def __init__(
        self,
        network: Network,
        scale: tuple[Any, Any],
        train: tuple[Array, Array],
        validation: tuple[Array, Array] | None,
    ) -> None:
        self.network, self.scale = network, scale
        self.train, self.validation = train, validation

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        updates: dict[str, float] = {}
        metric = state.history.metric
        _, std = scale_arrays(self.scale)
        if metric in logs and metric in METRICS:
            if std.size == 1:
                updates[metric] = float(logs[metric]) * float(std[0])
            else:
                updates[metric] = self._score(metric, *self.train)
        if self.validation is not None:
            for key in logs:
                name = key.removeprefix("val_")
                if key.startswith("val_") and name in METRICS and not METRICS[name].needs_proba:
                    updates[key] = self._score(name, *self.validation)
        for key, value in updates.items():
            state.history.logs[key][-1] = value
            if isinstance(logs, MutableMapping):  # what the callbacks after this one read
                logs[key] = value

    def _score(self, name: str, X: Array, y: Array) -> float:
        predicted = to_units(self.network.predict_output(X), self.scale)
        truth = to_units(y, self.scale)
        if predicted.ndim == 2 and predicted.shape[1] == 1 and truth.ndim == 1:
            predicted = predicted[:, 0]
        return float(METRICS[name](truth, predicted))
