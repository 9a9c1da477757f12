"""Callbacks: hooks into the training loop.

A callback overrides the hooks it needs; each receives the
:class:`~glassnet.training.TrainingState` (network, optimizer, history, epoch, step) and,
at the end of a batch or an epoch, that batch's or epoch's logs. Setting
``state.stop_training`` ends training after the current epoch.

The learning-rate schedules are in :mod:`glassnet.training.schedules`, checkpoints in
:mod:`glassnet.training.checkpoint`.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Mapping
from typing import IO, Any

from ..metrics import METRICS
from ..validation import check_non_negative_number
from .state import Callback, DivergenceWarning, TrainingState

DIVERGENCE_RATIO = 10.0
"""A final training loss more than this many times the starting loss has diverged …"""
DIVERGENCE_MARGIN = 1.0
"""… when it is also more than this above it (a loss of 0.001 that ends at 0.02 has not)."""


def _monitored(logs: Mapping[str, float], monitor: str) -> float:
    if monitor not in logs:
        raise ValueError(
            f"monitor {monitor!r} is not among this epoch's logs ({', '.join(logs)}); "
            "pass validation_data to monitor a 'val_' value"
        )
    return float(logs[monitor])


def _greater_is_better(monitor: str) -> bool:
    """Whether ``monitor`` (``"val_f1_macro"``, ``"loss"``, …) improves as it rises."""
    name = monitor.removeprefix("val_")
    return name in METRICS and METRICS[name].greater_is_better


class Monitor:
    """Tracks the best value of one log entry (greater or smaller is better)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode == "auto":
            mode = "max" if _greater_is_better(monitor) else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.min_delta = check_non_negative_number("min_delta", min_delta)
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])

    def improved(self, logs: Mapping[str, float]) -> bool:
        """Record this epoch's value; whether it beat the best by more than ``min_delta``."""
        value = _monitored(logs, self.monitor)
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self.best, self.wait = value, 0
        else:
            self.wait += 1
        return better


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs, and (by default) put back the weights of the best epoch.

    ``mode='auto'`` maximizes accuracy, F1 and R², and minimizes everything else. After
    training, :attr:`stopped_epoch` is the epoch it stopped at (0: it did not stop),
    :attr:`best_epoch` the best one, :attr:`weights_epoch` the epoch whose weights the
    network ends with, and :meth:`describe` says all of it in one line.
    """

    has_state = True

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        self.tracker = Monitor(monitor, mode, min_delta)
        self.patience = int(check_non_negative_number("patience", patience))
        self.restore_best_weights = restore_best_weights
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.last_epoch = 0
        """The last epoch trained, once training has ended."""
        self.epochs = 0
        """The epochs training was asked for, once it has ended."""
        self._best: list[Any] = []

    @property
    def best(self) -> float:
        """The best value of the monitored log so far."""
        return self.tracker.best

    @property
    def restored(self) -> bool:
        """Whether the network ended with the best epoch's weights (put back at the end)."""
        return self.restore_best_weights and bool(self._best)

    @property
    def weights_epoch(self) -> int:
        """The epoch whose weights the network ended with: the best, or else the last."""
        return self.best_epoch if self.restored else self.last_epoch

    def on_train_begin(self, state: TrainingState) -> None:
        self.stopped_epoch = 0

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        if self.tracker.improved(logs):
            self.best_epoch = state.epoch
            if self.restore_best_weights:
                arrays = state.network.parameters() + state.network.buffers()
                self._best = [array.copy() for _, array in arrays]
        elif self.tracker.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True

    def state_dict(self) -> dict[str, Any]:
        return {
            **self.tracker.state_dict(),
            "best_epoch": self.best_epoch,
            "arrays": {str(i): array for i, array in enumerate(self._best)},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.tracker.load_state_dict(state)
        self.best_epoch = int(state["best_epoch"])
        arrays = state.get("arrays", {})
        self._best = [arrays[str(i)].copy() for i in range(len(arrays))]

    def on_train_end(self, state: TrainingState) -> None:
        self.last_epoch, self.epochs = state.epoch, state.epochs
        if self.restored:
            arrays = state.network.parameters() + state.network.buffers()
            for (_, array), best in zip(arrays, self._best, strict=True):
                array[...] = best

    def summary(self) -> dict[str, Any]:
        """What early stopping did, as JSON data: ``monitor``, ``patience``,
        ``stopped_epoch`` (``None``: it did not stop), ``best_epoch``, ``best`` (the
        monitored value there) and ``weights_of_epoch``."""
        return {
            "monitor": self.tracker.monitor,
            "patience": self.patience,
            "stopped_epoch": self.stopped_epoch or None,
            "best_epoch": self.best_epoch,
            "best": self.best,
            "weights_of_epoch": self.weights_epoch,
        }

    def describe(self) -> str:
        """One line: where training stopped and why, the best epoch, and which weights
        the network kept."""
        monitor = self.tracker.monitor
        by = f" by more than {self.tracker.min_delta:g}" if self.tracker.min_delta else ""
        if self.stopped_epoch:
            what = (
                f"stopped at epoch {self.stopped_epoch} of {self.epochs} (no improvement "
                f"of {monitor}{by} in {self.patience} epochs)"
            )
        else:
            what = (
                "did not stop: ran its one epoch"
                if self.last_epoch == 1
                else f"did not stop: ran all {self.last_epoch} epochs"
            )
        kept = (
            "its weights restored"
            if self.restored
            else f"kept the weights of the last epoch, {self.last_epoch}"
        )
        return (
            f"early stopping: {what}; best epoch {self.best_epoch} ({monitor} "
            f"{self.best:.4f}), {kept}"
        )


SHORT_NAMES = {"accuracy": "acc", "learning_rate": "lr", "f1_macro": "f1"}


def format_logs(logs: Mapping[str, float]) -> str:
    """``loss 0.1234  acc 0.9876 │ val loss 0.2345  acc 0.9712 │ lr 0.001  1.23s``."""

    def item(key: str, value: float) -> str:
        name = SHORT_NAMES.get(key, key)
        return f"{name} {value:.4g}" if key == "learning_rate" else f"{name} {value:.4f}"

    train = [
        item(k, v)
        for k, v in logs.items()
        if not k.startswith("val_") and k not in ("learning_rate", "seconds")
    ]
    val = [item(k[4:], v) for k, v in logs.items() if k.startswith("val_")]
    rest = [item("learning_rate", logs["learning_rate"])] if "learning_rate" in logs else []
    if "seconds" in logs:
        rest.append(f"{logs['seconds']:.2f}s")
    groups = ["  ".join(train), ("val " + "  ".join(val)) if val else "", "  ".join(rest)]
    return " │ ".join(group for group in groups if group)


class EarlyStoppingSeen(Callback):
    """Keeps the run's early stopping, the options' own included, to report after the run
    what it did (:attr:`stopper`: ``None`` when the run had none)."""

    def __init__(self) -> None:
        self.stopper: EarlyStopping | None = None

    def on_train_end(self, state: TrainingState) -> None:
        found = (cb for cb in state.callbacks if isinstance(cb, EarlyStopping))
        self.stopper = next(found, None)


class DivergenceCheck(Callback):
    """Warns when training ends far above where it started, which a NaN check misses: the
    loss exploded and stayed finite (Adam at a learning rate of 10⁶ ends near 10⁴ or 10⁹).

    The rule: the last epoch's training loss is more than :data:`DIVERGENCE_RATIO` times
    the starting loss and more than :data:`DIVERGENCE_MARGIN` above it. The starting loss is
    the smaller of the first batch's loss, which is measured at the initial parameters
    before any update, and the first epoch's mean: a learning rate large enough to diverge
    does so within the first epoch, whose mean is then already huge. :func:`fit` adds this
    check to every run; the warning is a :class:`DivergenceWarning`.
    """

    def __init__(self) -> None:
        self.first_batch: float | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        self.first_batch = None

    def on_batch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        if self.first_batch is None:
            self.first_batch = float(logs["loss"])

    def on_train_end(self, state: TrainingState) -> None:
        losses = state.history.loss
        if not losses:
            return
        starts = [v for v in (self.first_batch, losses[0]) if v is not None and math.isfinite(v)]
        start, last = min(starts, default=losses[0]), losses[-1]
        if last > DIVERGENCE_RATIO * start and last > start + DIVERGENCE_MARGIN:
            warnings.warn(
                f"training diverged: the training loss ended at {last:.4g} in epoch "
                f"{state.history.epoch[-1]}, up from {start:.4g} at the start (more than "
                f"{DIVERGENCE_RATIO:g} times it); try a smaller learning rate (now "
                f"{state.optimizer.learning_rate:g}), gradient clipping (clip_norm) or "
                "standardized inputs",
                DivergenceWarning,
                stacklevel=2,
            )


class EpochPrinter(Callback):
    """Prints one line per epoch: loss, metric, their validation values and the time."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        width = len(str(state.epochs))
        line = f"epoch {state.epoch:>{width}}/{state.epochs}  {format_logs(logs)}"
        print(line, file=self.stream or sys.stdout, flush=True)


class ProgressBar(Callback):
    """A per-batch progress bar (tqdm) with the running loss, and one line per epoch.

    Needs the optional dependency ``tqdm`` (``pip install glassnet[cli]``).
    """

    def __init__(self, stream: IO[str] | None = None, leave: bool = False) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("ProgressBar needs tqdm: pip install tqdm") from exc
        self._tqdm = tqdm
        self.stream, self.leave = stream, leave
        self._bar: Any = None
        self._seen = 0
        self._loss = 0.0

    def on_epoch_begin(self, state: TrainingState) -> None:
        width = len(str(state.epochs))
        self._bar = self._tqdm(
            total=state.n_samples,
            desc=f"epoch {state.epoch:>{width}}/{state.epochs}",
            unit="sample",
            unit_scale=True,
            leave=self.leave,
            file=self.stream or sys.stderr,
            dynamic_ncols=True,
        )
        self._seen, self._loss = 0, 0.0

    def on_batch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        size = int(logs["size"])
        self._seen += size
        self._loss += logs["loss"] * size
        self._bar.update(size)
        if state.step % 20 == 0:
            self._bar.set_postfix(loss=f"{self._loss / self._seen:.4f}", refresh=False)

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self._bar.close()
        width = len(str(state.epochs))
        self._tqdm.write(
            f"epoch {state.epoch:>{width}}/{state.epochs}  {format_logs(logs)}",
            file=self.stream or sys.stdout,
        )
