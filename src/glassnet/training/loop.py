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
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Array, on_device, to_device, to_host, xp
from ..losses import Loss
from ..metrics import Metric, get_metric
from ..optimizers import Optimizer
from ..validation import check_positive_number, check_sample_weight
from .augment import Augmentation
from .batches import TrainingData, batch_bounds, check_shuffle, epoch_order
from .callbacks import DivergenceCheck, EpochPrinter
from .checkpoint import restore_snapshot
from .divergence import non_finite_report
from .options import DEFAULTS, check_option, make_optimizer
from .state import Callback, History, TrainingDivergedError, TrainingState

if TYPE_CHECKING:
    from ..distributed import Communicator, DataParallel
    from .trainable import Trainable


def fit(
    network: Trainable,
    X: Any,
    y: Any = None,
    *,
    epochs: int = DEFAULTS["epochs"],
    batch_size: int | None = DEFAULTS["batch_size"],
    optimizer: Optimizer | str | None = None,
    learning_rate: float | None = None,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool | str = True,
    seed: int | None = DEFAULTS["seed"],
    sample_weight: Any = None,
    class_weight: str | Mapping[int, float] | None = None,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    metrics: Sequence[str] = (),
    callbacks: Sequence[Callback] = (),
    verbose: bool = False,
    resume: dict[str, Any] | None = None,
    augment: Augmentation | str | None = None,
    distributed: bool | Communicator = False,
) -> History:
    """Train ``network`` on ``X`` (``(m, n_0)``) and ``y`` by gradient descent.

    Parameters
    ----------
    X, y:
        The samples and their targets (class indices, one-hot rows or values), as arrays:
        in memory, or memory-mapped (``np.load(path, mmap_mode="r")``), which is read a
        mini-batch at a time and never copied whole. Or ``X`` a
        :class:`~glassnet.training.BatchSource` (``len(X)`` and ``X.rows(index) ->
        (X_rows, y_rows)``) and ``y`` omitted. Targets are encoded a few thousand rows
        at a time, never for the whole set at once.
    epochs:
        Passes over the training data.
    batch_size:
        ``None`` for batch gradient descent, ``1`` for stochastic, ``k`` for mini-batch
        (capped at ``m``).
    optimizer:
        An :class:`~glassnet.optimizers.Optimizer`, or a name (``'sgd'``, ``'momentum'``,
        ``'adam'``, …); default Adam, as ``glassnet train``.
    learning_rate:
        ``α`` of ``θ ← θ − α ∂J/∂θ`` for an optimizer given by name (default: the rule's
        own, 0.001 for Adam).
    validation_data:
        ``(X_val, y_val)``, evaluated after every epoch.
    shuffle, seed:
        Shuffle the samples every epoch with a generator seeded by ``seed`` (default 0,
        as the command line; ``None`` for a fresh seed each run). ``True`` permutes all
        rows; ``"blocks"`` permutes blocks of about 1 MiB of contiguous rows, then the
        rows within each buffer of 64 blocks, so that a file larger than memory is read
        close to sequentially (see :mod:`glassnet.training.batches`); ``False`` keeps
        the stored order. The same seed, network, data and mode give bitwise-identical
        training, whether the data are in memory, memory-mapped or a batch source.
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
        :class:`~glassnet.training.Callback` hooks (early stopping, learning-rate
        schedules, progress); ``verbose=True`` adds one that prints each epoch.
    resume:
        A snapshot from :class:`~glassnet.training.Checkpoint` (or a checkpoint file's
        ``training`` section): training continues after its epoch, with its parameters,
        optimizer state, random generators, callback state and history, and ends exactly
        as the uninterrupted run would. Pass the same data, options and callbacks.
    augment:
        Data augmentation of document 003 (:class:`~glassnet.training.augment.
        Augmentation`, or its text such as ``"shift=2,rotate=10"``): each training
        mini-batch's images, ``(m, C, H, W)`` or ``(m, H, W)``, moved, turned, flipped or
        made noisy at random before the step; validation data are left as they are. Each
        epoch's draws come from a generator seeded from the run's own, so a seed still
        gives the same run, and a resumed one the same as the uninterrupted.
    distributed:
        ``True`` (or a :class:`~glassnet.distributed.Communicator`): synchronous
        data-parallel training on the processes started by ``mpiexec -n K``, each called
        with the same arguments; ``batch_size`` is the global batch, of which each rank
        reads only its shard, and the history is the global one on every rank (see
        :mod:`glassnet.distributed.parallel`). Only the root prints (``verbose``); an
        error on one rank ends them all. With one process, training is as without it.

    Returns
    -------
    History
        Training and validation loss and metric per epoch.

    Raises
    ------
    TrainingDivergedError
        When the cost becomes NaN or inf, naming the epoch and step.

    Warns
    -----
    DivergenceWarning
        When the last epoch's loss is finite but far above the starting loss (more than 10
        times it and more than 1 above it; see
        :class:`~glassnet.training.callbacks.DivergenceCheck`).
    """
    parallel = _data_parallel(distributed)
    # Under MPI a failure on one rank must end them all: the others would wait for it.
    with nullcontext() if parallel is None else parallel.guard((TrainingDivergedError,)):
        data = TrainingData(network, X, y)
        m = data.m
        augmentation = _augmentation(augment, network)
        image_shape = _image_shape(network)  # what augmentation moves: rows as images
        shuffle = check_shuffle(shuffle)
        epochs = check_option("epochs", epochs)
        batch = (
            m
            if batch_size is None
            else min(check_positive_number("batch_size", batch_size, integer=True), m)
        )
        weights = _training_weights(network, data, sample_weight, class_weight)
        has_batch_norm = any(layer.min_batch_size > 1 for layer in network.layers)
        ranks = 1 if parallel is None else parallel.size
        if has_batch_norm and batch < 2 * ranks:
            per_rank = "" if ranks == 1 else f", 2 rows per rank on {ranks} ranks"
            raise ValueError(
                f"batch_size must be ≥ {2 * ranks} with batch norm (it normalizes over the "
                f"batch{per_rank}); got {batch_size}"
                + (f" with {m} sample(s)" if batch_size is None else "")
            )
        clip_norm = check_option("clip_norm", clip_norm)
        clip_value = check_option("clip_value", clip_value)
        optimizer = make_optimizer(optimizer, learning_rate)
        validation = None
        if validation_data is not None:
            if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (X_val, y_val)")
            validation = TrainingData(network, *validation_data, names=("X_val", "y_val"))
        extra_metrics = [get_metric(name) for name in metrics]  # names the unknown one
        # The divergence check is always on: a loss that explodes but stays finite would
        # otherwise end a run that looks successful.
        printing = verbose and (parallel is None or parallel.comm.is_root)
        callbacks = [*callbacks, *([EpochPrinter()] if printing else []), DivergenceCheck()]

        bounds = batch_bounds(m, batch, merge_single=has_batch_norm, smallest=2 * ranks)
        own = bounds  # the rows this process reads: all, or its shard of each batch
        if parallel is not None:
            seed, own = parallel.setup(network, m, seed), parallel.shard(bounds)
        state = TrainingState(
            network,
            optimizer,
            History(network.loss.metric),
            epochs,
            m,
            rng=np.random.default_rng(seed),
            callbacks=callbacks,
        )
        if resume is not None:
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
                if parallel is not None:  # each rank its own dropout masks this epoch
                    parallel.reseed(network, state.rng)
                order = epoch_order(state.rng, m, shuffle, data.block_rows())
                # Drawn from the run's generator, which checkpoints keep, after the shuffle:
                # without augmentation the run's draws are those of every earlier version.
                augment_rng = None
                if augmentation and parallel is None:
                    augment_rng = np.random.default_rng(state.rng.integers(2**63))
                elif augmentation and parallel is not None:
                    augment_rng = parallel.rank_rng(state.rng.integers(2**63))
                total_cost = 0.0
                tally = _MetricTally(network.loss)
                batches = zip(bounds, data.epoch(order, own), strict=True)
                for step, ((start, end), (Xb, Yb, rows)) in enumerate(batches, start=1):
                    if augmentation is not None and augment_rng is not None and len(Xb):
                        images = Xb.reshape(len(Xb), *image_shape)
                        Xb = augmentation.apply(images, augment_rng).reshape(Xb.shape)
                    wb = None if weights is None else weights[rows]
                    options: dict[str, Any] = {}
                    if parallel is not None:  # the global batch's gradient, summed over ranks
                        parallel.batch_rows = end - start
                        options["reducer"] = parallel
                    cost = network.train_step(
                        Xb,
                        Yb,
                        optimizer,
                        sample_weight=wb,
                        clip_norm=clip_norm,
                        clip_value=clip_value,
                        stop_if_non_finite=True,
                        **options,
                    )
                    if not math.isfinite(cost):
                        where = non_finite_report(network, cost)
                        raise TrainingDivergedError(
                            f"the cost became {cost} at epoch {epoch}, step {step}"
                            + (f" ({where})" if where else "")
                            + f"; try a smaller learning rate (now {optimizer.learning_rate:g}), "
                            "standardized inputs, or gradient clipping (clip_norm)"
                        )
                    state.step += 1
                    total_cost += cost * (end - start)
                    if len(Xb):
                        A = network.output_layer.forward_record()["A"]
                        assert A is not None
                        tally.add(A, Yb)
                    for cb in callbacks:
                        cb.on_batch_end(state, {"loss": cost, "size": end - start})
                if parallel is not None:  # the metric over every rank's rows; one batch norm
                    tally.total, count = parallel.end_epoch(network, [tally.total, tally.count])
                    tally.count = round(count)
                logs = {"loss": total_cost / m, state.history.metric: tally.result()}
                if validation is not None:
                    scores = _evaluate_data(network, validation, metrics=extra_metrics)
                    logs.update({f"val_{key}": value for key, value in scores.items()})
                logs["learning_rate"] = optimizer.learning_rate
                seconds = time.perf_counter() - started
                logs["seconds"] = seconds if parallel is None else parallel.agree(seconds)
                state.history.record(epoch, logs)
                for cb in callbacks:
                    cb.on_epoch_end(state, logs)
                if state.stop_training:
                    break
        for cb in callbacks:
            cb.on_train_end(state)
        return state.history


def _data_parallel(distributed: Any) -> DataParallel | None:
    """What ``fit(distributed=...)`` trains with: ``None`` for one process."""
    if distributed is False or distributed is None:
        return None
    from ..distributed import DataParallel, communicator_of

    comm = communicator_of(distributed)
    return None if comm is None else DataParallel(comm)


def _augmentation(augment: Augmentation | str | None, network: Trainable) -> Augmentation | None:
    """``augment`` checked against the network's input, or ``None`` when it does nothing."""
    if augment is None:
        return None
    if isinstance(augment, str):
        augment = Augmentation.from_text(augment)
    if not isinstance(augment, Augmentation):
        raise TypeError(
            f"augment must be an Augmentation or its text, got {type(augment).__name__}"
        )
    if not augment.enabled:
        return None
    if len(_image_shape(network)) not in (2, 3):
        raise ValueError(
            f"augment moves images, (C, H, W) or (H, W) per sample, but the network takes "
            f"samples of shape {network.layers[0].input_shape}: give images and begin the "
            "network with Flatten() (or a convolution), or with a Reshape to an image"
        )
    return augment


def _image_shape(network: Trainable) -> tuple[int, ...]:
    """One sample's shape as an image: the network's input, or what a first Reshape lays
    a row of pixels out as (``--input-shape``)."""
    first = network.layers[0]
    return first.output_shape if first.kind == "reshape" else first.input_shape


def evaluate(
    network: Trainable,
    X: Array,
    Y: Array,
    chunk: int = 4096,
    metrics: Sequence[str | Metric] = (),
) -> dict[str, float]:
    """Mean loss (without the regularization terms), the metric, and any ``metrics``,
    on checked arrays ``X`` (``(m, n_0)``) and ``Y`` (``(m, n_L)``)."""
    chunks = (
        (X[start : start + chunk], Y[start : start + chunk]) for start in range(0, len(X), chunk)
    )
    return _scores(network, chunks, X.shape[0], metrics)


def _evaluate_data(
    network: Trainable, data: TrainingData, chunk: int = 4096, metrics: Sequence[Metric] = ()
) -> dict[str, float]:
    """:func:`evaluate` on a data set read ``chunk`` rows at a time, its targets encoded
    per chunk (the validation set of :func:`fit`)."""
    batches = data.epoch(None, batch_bounds(data.m, chunk))
    return _scores(network, ((Xc, Yc) for Xc, Yc, _ in batches), data.m, metrics)


def _scores(
    network: Trainable,
    chunks: Iterable[tuple[Array, Array]],
    m: int,
    metrics: Sequence[str | Metric],
) -> dict[str, float]:
    """The scores of :func:`evaluate` over ``(X, Y)`` chunks of ``m`` rows in all."""
    total = 0.0
    tally = _MetricTally(network.loss)
    outputs, targets = [], []
    for Xc, Yc in chunks:
        Xc, Yc = to_device(Xc), to_device(Yc)  # the network's device (fit and evaluate set it)
        A = network.forward(Xc)
        total += float(network.per_sample_loss(Yc).sum())
        tally.add(A, Yc)
        if metrics:
            outputs.append(A.copy())
            targets.append(Yc)
    scores = {"loss": total / m, network.loss.metric: tally.result()}
    if metrics:
        A, Y = to_host(xp.concatenate(outputs)), to_host(xp.concatenate(targets))
        with on_device("cpu"):  # the metrics count on the host
            scores.update(_named_scores(network.loss, A, Y, metrics))
    return scores


def _named_scores(
    loss: Loss, A: Array, Y: Array, metrics: Sequence[str | Metric]
) -> dict[str, float]:
    """Each metric on outputs ``A`` and targets ``Y``, as labels or values as it needs."""
    truth, proba, predicted = loss.labels(Y), loss.scores(A), loss.decide(A)
    scores = {}
    for metric in map(get_metric, metrics):
        scores[metric.name] = float(metric(truth, proba if metric.needs_proba else predicted))
    return scores


def combined_weights(
    network: Trainable, Y: Array, sample_weight: Any, class_weight: str | Mapping[int, float] | None
) -> Array | None:
    """Per-sample weights ``w_i`` (shape ``(m,)``) from ``sample_weight`` times the class
    weights (``"balanced"``: ``m / (K · count_k)``, as scikit-learn), or ``None``."""
    labels = None if class_weight is None else network.loss.class_labels(Y)
    return _weights(network, Y.shape[0], sample_weight, class_weight, labels, Y.shape[1])


def _training_weights(
    network: Trainable,
    data: TrainingData,
    sample_weight: Any,
    class_weight: str | Mapping[int, float] | None,
) -> Array | None:
    """:func:`combined_weights` for the training set, its class labels read in chunks."""
    labels, n_outputs = data.class_labels() if class_weight is not None else (None, 1)
    return _weights(network, data.m, sample_weight, class_weight, labels, n_outputs)


def _weights(
    network: Trainable,
    m: int,
    sample_weight: Any,
    class_weight: str | Mapping[int, float] | None,
    labels: Any,
    n_outputs: int,
) -> Array | None:
    """The per-sample weights of ``m`` samples whose class indices are ``labels``."""
    weights = (
        None if sample_weight is None else check_sample_weight(sample_weight, m, network.dtype)
    )
    if class_weight is None:
        return weights
    n_classes = max(n_outputs, 2)
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
    """Accumulates the loss's metric over batches without keeping their outputs."""

    def __init__(self, loss: Loss) -> None:
        self.loss = loss
        self.total = 0.0
        self.count = 0

    def add(self, A: Array, Y: Array) -> None:
        total, count = self.loss.metric_terms(A, Y)
        self.total += total
        self.count += count

    def result(self) -> float:
        return self.loss.metric_value(self.total, self.count)
