"""The training loop of document 003 ("Training a Neural Network: An Iterative Process").

1. Initialize parameters (done when the network is built).
2. For each epoch, shuffle, and for each mini-batch: forward propagation, loss,
   backpropagation, parameter update.
3. Evaluate on the validation set after each epoch.

The batch size picks the flavour of gradient descent: ``batch_size=None`` is batch
gradient descent (one step per epoch on all ``m`` samples), ``1`` is stochastic gradient
descent, and ``k`` is mini-batch gradient descent.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import Array, xp
from .metrics import correct_count, metric_name
from .optimizers import SGD, Optimizer
from .validation import check_positive_number

if TYPE_CHECKING:
    from .network import Network


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or inf during training."""


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch."""

    metric: str
    """The metric's name: ``'accuracy'`` or ``'rmse'``."""
    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    """Training cost ``J`` (loss plus L2 term), averaged over the epoch's batches."""
    train_metric: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "epoch": self.epoch,
            "loss": self.loss,
            "train_metric": self.train_metric,
            "val_loss": self.val_loss,
            "val_metric": self.val_metric,
            "seconds": self.seconds,
        }


class Callback:
    """Hooks into :func:`fit`. Override what you need; set ``stop_training`` to stop."""

    stop_training = False

    def on_train_begin(self, network: Network) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None: ...

    def on_train_end(self, history: History, network: Network) -> None: ...


class EpochPrinter(Callback):
    """Prints one line per epoch: loss, metric, and their validation values."""

    def __init__(self, epochs: int, stream: Any = None) -> None:
        self.epochs = epochs
        self.stream = stream

    def on_epoch_end(self, epoch: int, logs: dict[str, float], network: Network) -> None:
        width = len(str(self.epochs))
        parts = [f"epoch {epoch:>{width}}/{self.epochs}"]
        parts += [f"{key} {value:.4f}" for key, value in logs.items() if key != "seconds"]
        parts.append(f"{logs['seconds']:.2f}s")
        print("  ".join(parts), file=self.stream or sys.stdout, flush=True)


def fit(
    network: Network,
    X: Any,
    y: Any,
    *,
    epochs: int = 10,
    batch_size: int | None = 32,
    learning_rate: float = 0.01,
    optimizer: Optimizer | None = None,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    callbacks: Sequence[Callback] = (),
    verbose: bool = False,
) -> History:
    """Train ``network`` on ``X`` (``(m, n_0)``) and ``y`` by gradient descent.

    Parameters
    ----------
    epochs:
        Passes over the training data.
    batch_size:
        ``None`` for batch gradient descent, ``1`` for stochastic, ``k`` for mini-batch
        (capped at ``m``).
    learning_rate:
        ``α`` of ``θ ← θ − α ∂J/∂θ``; used when no ``optimizer`` is given.
    optimizer:
        An :class:`~glassnet.optimizers.Optimizer`; default :class:`~glassnet.optimizers.SGD`.
    validation_data:
        ``(X_val, y_val)``, evaluated after every epoch.
    shuffle, seed:
        Shuffle the samples every epoch with a generator seeded by ``seed``. The same
        seed, network and data give bitwise-identical training.
    callbacks:
        :class:`Callback` hooks; ``verbose=True`` adds one that prints each epoch.

    Returns
    -------
    History
        Training and validation loss and metric per epoch.

    Raises
    ------
    TrainingDivergedError
        When the cost becomes NaN or inf, naming the epoch and step.
    """
    X = network.check_X(X)
    m = X.shape[0]
    Y = network.check_y(y, m)
    epochs = check_positive_number("epochs", epochs, integer=True)
    batch = (
        m
        if batch_size is None
        else min(check_positive_number("batch_size", batch_size, integer=True), m)
    )
    if optimizer is None:
        optimizer = SGD(learning_rate)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a glassnet Optimizer, got {type(optimizer).__name__}")
    validation = None
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val = network.check_X(validation_data[0], name="X_val")
        validation = (X_val, network.check_y(validation_data[1], X_val.shape[0], name="y_val"))
    rng = np.random.default_rng(seed)
    callbacks = list(callbacks) + ([EpochPrinter(epochs)] if verbose else [])

    # Mini-batches are gathered into one reused buffer: no copy of the whole dataset per
    # epoch, and no fresh allocation per step.
    X_batch = xp.empty((batch, X.shape[1]), dtype=X.dtype)
    params = [theta for _, theta in network.parameters()]
    grads = [grad for _, grad in network.gradients()]
    history = History(metric=metric_name(network.loss.name))
    for cb in callbacks:
        cb.on_train_begin(network)
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        order = rng.permutation(m) if shuffle else None
        total_cost = 0.0
        tally = _MetricTally(network.loss.name)
        for step, start in enumerate(range(0, m, batch), start=1):
            if order is None:
                Xb, Yb = X[start : start + batch], Y[start : start + batch]
            else:
                rows = order[start : start + batch]
                Xb = xp.take(X, rows, axis=0, out=X_batch[: rows.size], mode="clip")
                Yb = Y[rows]
            A = network.forward(Xb, training=True)
            cost = network.cost(Yb)
            if not math.isfinite(cost):
                raise TrainingDivergedError(
                    f"the cost became {cost} at epoch {epoch}, step {step}; try a smaller "
                    f"learning rate (now {optimizer.learning_rate:g}), standardized inputs, "
                    "or gradient clipping"
                )
            network.backward(Yb)
            optimizer.step(params, grads)
            total_cost += cost * Xb.shape[0]
            tally.add(A, Yb)
        logs = {"loss": total_cost / m, history.metric: tally.result()}
        if validation is not None:
            scores = evaluate(network, *validation)
            logs["val_loss"], logs["val_" + history.metric] = scores["loss"], scores[history.metric]
        logs["seconds"] = time.perf_counter() - started
        _record(history, epoch, logs)
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs, network)
        if any(cb.stop_training for cb in callbacks):
            break
    for cb in callbacks:
        cb.on_train_end(history, network)
    return history


def evaluate(network: Network, X: Array, Y: Array, chunk: int = 4096) -> dict[str, float]:
    """Mean loss (without the L2 term) and the metric of ``network`` on checked arrays."""
    total = 0.0
    tally = _MetricTally(network.loss.name)
    for start in range(0, X.shape[0], chunk):
        Yc = Y[start : start + chunk]
        A = network.forward(X[start : start + chunk])
        total += float(network.per_sample_loss(Yc).sum())
        tally.add(A, Yc)
    return {"loss": total / X.shape[0], metric_name(network.loss.name): tally.result()}


class _MetricTally:
    """Accumulates the metric over batches without keeping their outputs."""

    def __init__(self, loss_name: str) -> None:
        self.loss_name = loss_name
        self.total = 0.0
        self.count = 0

    def add(self, A: Array, Y: Array) -> None:
        if self.loss_name in ("bce", "cce"):
            self.total += correct_count(A, Y, self.loss_name)
            self.count += Y.shape[0] * (Y.shape[1] if self.loss_name == "bce" else 1)
        else:
            R = A - Y
            self.total += float(xp.vdot(R, R))
            self.count += R.size

    def result(self) -> float:
        mean = self.total / self.count
        return mean if self.loss_name in ("bce", "cce") else math.sqrt(mean)


def _record(history: History, epoch: int, logs: dict[str, float]) -> None:
    history.epoch.append(epoch)
    history.loss.append(logs["loss"])
    history.train_metric.append(logs[history.metric])
    history.seconds.append(logs["seconds"])
    if "val_loss" in logs:
        history.val_loss.append(logs["val_loss"])
        history.val_metric.append(logs["val_" + history.metric])
