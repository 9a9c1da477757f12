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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import Array, xp
from .callbacks import Callback, EpochPrinter
from .metrics import Metric, correct_count, get_metric, metric_name
from .optimizers import SGD, Optimizer
from .validation import check_positive_number, check_sample_weight

if TYPE_CHECKING:
    from .network import Network


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or inf during training."""


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

    network: Network
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
    sample_weight: Any = None,
    class_weight: str | Mapping[int, float] | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    metrics: Sequence[str] = (),
    callbacks: Sequence[Callback] = (),
    verbose: bool = False,
    resume: dict[str, Any] | None = None,
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
    sample_weight:
        ``w_i ≥ 0`` per sample, shape ``(m,)``: the cost becomes ``(1/m) Σ_i w_i ℓ_i``.
    class_weight:
        ``{class: weight}`` or ``"balanced"`` (``m / (K · count_k)``, as scikit-learn),
        multiplied into the sample weights; classification losses only.
    clip_norm, clip_value:
        Rescale the gradients when their global L2 norm exceeds ``clip_norm``, and/or
        clip each entry to ``[−clip_value, clip_value]``, before every update.
    metrics:
        More metrics to compute on the validation data each epoch, by name
        (``"f1_macro"``, ``"precision_macro"``, ``"r2"``, ``"mae"``, … — see
        :data:`glassnet.metrics.METRICS`), logged as ``"val_<name>"``.
    callbacks:
        :class:`~glassnet.callbacks.Callback` hooks (early stopping, learning-rate
        schedules, progress); ``verbose=True`` adds one that prints each epoch.
    resume:
        A snapshot from :class:`~glassnet.checkpoint.Checkpoint` (or a checkpoint file's
        ``training`` section): training continues after its epoch, with its parameters,
        optimizer state, random generators, callback state and history, and ends exactly
        as the uninterrupted run would. Pass the same data, options and callbacks.

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
    weights = _combined_weights(network, Y, sample_weight, class_weight)
    has_batch_norm = any(layer.norm is not None for layer in network.dense_layers)
    if has_batch_norm and batch < 2:
        raise ValueError(
            "batch_size must be ≥ 2 with batch norm (it normalizes over the batch); got "
            f"{batch_size}" + (f" with {m} sample(s)" if batch_size is None else "")
        )
    if clip_norm is not None:
        clip_norm = check_positive_number("clip_norm", clip_norm)
    if clip_value is not None:
        clip_value = check_positive_number("clip_value", clip_value)
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
    extra_metrics = [get_metric(name) for name in metrics]
    callbacks = list(callbacks) + ([EpochPrinter()] if verbose else [])

    bounds = batch_bounds(m, batch, merge_single=has_batch_norm)
    # Mini-batches are gathered into one reused buffer: no copy of the whole dataset per
    # epoch, and no fresh allocation per step.
    X_batch = xp.empty((max(end - start for start, end in bounds), X.shape[1]), dtype=X.dtype)
    state = TrainingState(
        network,
        optimizer,
        History(metric_name(network.loss.name)),
        epochs,
        m,
        rng=np.random.default_rng(seed),
        callbacks=callbacks,
    )
    if resume is not None:
        from .checkpoint import restore_snapshot

        restore_snapshot(state, callbacks, resume)
    for cb in callbacks:
        cb.on_train_begin(state)
    # Overflow and 0/0 show up as a non-finite cost, which is caught each step and reported
    # with the first non-finite quantity; NumPy's own warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(state.epoch + 1, epochs + 1):
            state.epoch = epoch
            for cb in callbacks:
                cb.on_epoch_begin(state)
            started = time.perf_counter()
            order = state.rng.permutation(m) if shuffle else None
            total_cost = 0.0
            tally = _MetricTally(network.loss.name)
            for step, (start, end) in enumerate(bounds, start=1):
                if order is None:
                    Xb, Yb = X[start:end], Y[start:end]
                    wb = None if weights is None else weights[start:end]
                else:
                    rows = order[start:end]
                    Xb = xp.take(X, rows, axis=0, out=X_batch[: rows.size], mode="clip")
                    Yb = Y[rows]
                    wb = None if weights is None else weights[rows]
                cost = network.train_step(
                    Xb,
                    Yb,
                    optimizer,
                    sample_weight=wb,
                    clip_norm=clip_norm,
                    clip_value=clip_value,
                    stop_if_non_finite=True,
                )
                A = network.output_layer.A
                assert A is not None
                if not math.isfinite(cost):
                    from .inspect.diagnose import non_finite_report

                    where = non_finite_report(network, cost)
                    raise TrainingDivergedError(
                        f"the cost became {cost} at epoch {epoch}, step {step}"
                        + (f" ({where})" if where else "")
                        + f"; try a smaller learning rate (now {optimizer.learning_rate:g}), "
                        "standardized inputs, or gradient clipping (clip_norm)"
                    )
                state.step += 1
                total_cost += cost * Xb.shape[0]
                tally.add(A, Yb)
                for cb in callbacks:
                    cb.on_batch_end(state, {"loss": cost, "size": Xb.shape[0]})
            logs = {"loss": total_cost / m, state.history.metric: tally.result()}
            if validation is not None:
                scores = evaluate(network, *validation, metrics=extra_metrics)
                logs.update({f"val_{key}": value for key, value in scores.items()})
            logs["learning_rate"] = optimizer.learning_rate
            logs["seconds"] = time.perf_counter() - started
            state.history.record(epoch, logs)
            for cb in callbacks:
                cb.on_epoch_end(state, logs)
            if state.stop_training:
                break
    for cb in callbacks:
        cb.on_train_end(state)
    return state.history


def batch_bounds(m: int, batch: int, merge_single: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of each mini-batch of an epoch of ``m`` samples.

    With ``merge_single`` (batch norm, which cannot normalize one sample), a last batch of a
    single sample joins the batch before it.
    """
    bounds = [(start, min(start + batch, m)) for start in range(0, m, batch)]
    if merge_single and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], m)]
    return bounds


def evaluate(
    network: Network,
    X: Array,
    Y: Array,
    chunk: int = 4096,
    metrics: Sequence[str | Metric] = (),
) -> dict[str, float]:
    """Mean loss (without the regularization terms), the metric, and any ``metrics``,
    on checked arrays ``X`` (``(m, n_0)``) and ``Y`` (``(m, n_L)``)."""
    total = 0.0
    tally = _MetricTally(network.loss.name)
    outputs = []
    for start in range(0, X.shape[0], chunk):
        Yc = Y[start : start + chunk]
        A = network.forward(X[start : start + chunk])
        total += float(network.per_sample_loss(Yc).sum())
        tally.add(A, Yc)
        if metrics:
            outputs.append(A.copy())
    scores = {"loss": total / X.shape[0], metric_name(network.loss.name): tally.result()}
    if metrics:
        scores.update(_named_scores(network.loss.name, xp.concatenate(outputs), Y, metrics))
    return scores


def _named_scores(
    loss_name: str, A: Array, Y: Array, metrics: Sequence[str | Metric]
) -> dict[str, float]:
    """Each metric on outputs ``A`` and targets ``Y``, as labels or values as it needs."""
    from .network import decide

    if loss_name == "cce":
        truth, proba = Y.argmax(axis=1), A
    elif loss_name == "bce" and Y.shape[1] == 1:
        truth, proba = (Y[:, 0] >= 0.5).astype(np.int64), A[:, 0]
    else:
        truth, proba = Y, A
    predicted = decide(A, loss_name)
    scores = {}
    for metric in map(get_metric, metrics):
        scores[metric.name] = float(metric(truth, proba if metric.needs_proba else predicted))
    return scores


def _combined_weights(
    network: Network, Y: Array, sample_weight: Any, class_weight: str | Mapping[int, float] | None
) -> Array | None:
    """Per-sample weights from ``sample_weight`` times the class weights, or ``None``."""
    m = Y.shape[0]
    weights = (
        None if sample_weight is None else check_sample_weight(sample_weight, m, network.dtype)
    )
    if class_weight is None:
        return weights
    loss = network.loss.name
    if loss not in ("bce", "cce") or (loss == "bce" and Y.shape[1] != 1):
        raise ValueError(
            "class_weight needs a classification loss with one label per sample "
            f"(cce, or bce with one output); this network's loss is {loss!r} "
            f"with {Y.shape[1]} output(s); use sample_weight instead"
        )
    labels = Y.argmax(axis=1) if loss == "cce" else (Y[:, 0] >= 0.5).astype(np.int64)
    n_classes = max(Y.shape[1], 2)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes)
        table = np.where(counts > 0, m / (n_classes * np.maximum(counts, 1)), 0.0)
    else:
        table = np.ones(n_classes)
        for label, weight in class_weight.items():
            if not 0 <= int(label) < n_classes:
                raise ValueError(
                    f"class_weight names class {label!r}, but the classes are 0 … {n_classes - 1}"
                )
            table[int(label)] = check_positive_number(f"class_weight[{label!r}]", weight)
    per_sample = xp.asarray(table[labels], dtype=network.dtype)
    return per_sample if weights is None else per_sample * weights


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
