"""The validation loss of early stopping, weighted as the training loss is."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np

from ..backend import Array
from ..network import PREDICT_CHUNK, Network
from ..training import Callback, TrainingState


class WeightedValidationLoss(Callback):
    """Replaces each epoch's ``val_loss`` by ``Σ wᵢℓᵢ / Σ wᵢ`` over the validation rows,
    before the history and early stopping read it.

    The loop's validation loss counts every row once; with sample or class weights, early
    stopping would then keep the epoch best for the unweighted problem (with
    ``class_weight={0: 1000, 1: 1e-4}``, one that predicts class 1 too), not for the one
    being trained. Placed before :class:`~glassnet.training.EarlyStopping` in the callbacks.

    ``X``: the validation rows ``(m, n_0)`` in the network's dtype; ``y``: their targets as
    the network learns them; ``weights``: ``(m,)``, ≥ 0, not all zero.
    """

    def __init__(self, network: Network, X: Array, y: Array, weights: Array) -> None:
        self.network, self.X = network, X
        self.Y = network.check_y(y, X.shape[0], name="y_val")
        self.weights = np.asarray(weights, dtype=np.float64)

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        total = 0.0
        for start in range(0, self.X.shape[0], PREDICT_CHUNK):
            stop = start + PREDICT_CHUNK
            self.network.forward(self.X[start:stop])
            losses = self.network.per_sample_loss(self.Y[start:stop])
            total += float(np.dot(losses, self.weights[start:stop]))
        value = total / float(self.weights.sum())
        state.history.logs["val_loss"][-1] = value
        if isinstance(logs, MutableMapping):  # what the callbacks after this one read
            logs["val_loss"] = value
