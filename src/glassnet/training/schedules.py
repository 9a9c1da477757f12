"""Learning-rate schedules.

The schedules are plain functions of the epoch (:class:`StepDecay`,
:class:`ExponentialDecay`, :class:`CosineDecay`) applied by :class:`LearningRateScheduler`;
:class:`ReduceLROnPlateau` reacts to a monitored value instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..validation import check_non_negative_number, check_positive_number
from .callbacks import Monitor
from .state import Callback

if TYPE_CHECKING:
    from .state import TrainingState


class StepDecay:
    """``α_e = α₀ · γ^⌊(e − 1) / step_size⌋``: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_positive_number("step_size", step_size, integer=True)
        self.gamma = check_positive_number("gamma", gamma)

    def __call__(self, epoch: int, initial: float) -> float:
        return initial * self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialDecay:
    """``α_e = α₀ · γ^(e − 1)``."""

    def __init__(self, gamma: float) -> None:
        self.gamma = check_positive_number("gamma", gamma)

    def __call__(self, epoch: int, initial: float) -> float:
        return initial * self.gamma ** (epoch - 1)


class CosineDecay:
    """``α_e = α_min + ½ (α₀ − α_min)(1 + cos(π (e − 1) / total))`` (Loshchilov & Hutter, 2017)."""

    def __init__(self, total_epochs: int, min_learning_rate: float = 0.0) -> None:
        self.total = check_positive_number("total_epochs", total_epochs, integer=True)
        self.min_learning_rate = check_non_negative_number("min_learning_rate", min_learning_rate)

    def __call__(self, epoch: int, initial: float) -> float:
        progress = min(epoch - 1, self.total) / self.total
        return self.min_learning_rate + 0.5 * (initial - self.min_learning_rate) * (
            1 + math.cos(math.pi * progress)
        )


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of each epoch from ``schedule(epoch,
    initial_learning_rate)``."""

    has_state = True

    def __init__(self, schedule: StepDecay | ExponentialDecay | CosineDecay | Any) -> None:
        self.schedule = schedule
        self.initial: float | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        if self.initial is None:  # a resumed run keeps the rate the schedule started from
            self.initial = state.optimizer.learning_rate

    def state_dict(self) -> dict[str, Any]:
        return {"initial": self.initial}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.initial = state["initial"]

    def on_epoch_begin(self, state: TrainingState) -> None:
        assert self.initial is not None
        state.optimizer.learning_rate = float(self.schedule(state.epoch, self.initial))


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_learning_rate``."""

    has_state = True

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        factor: float = 0.1,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        cooldown: int = 0,
        min_learning_rate: float = 0.0,
    ) -> None:
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor!r}")
        self.factor = factor
        self.tracker = Monitor(monitor, mode, min_delta)
        self.patience = int(check_non_negative_number("patience", patience))
        self.cooldown = int(check_non_negative_number("cooldown", cooldown))
        self.min_learning_rate = check_non_negative_number("min_learning_rate", min_learning_rate)
        self._cooling = 0

    def state_dict(self) -> dict[str, Any]:
        return {**self.tracker.state_dict(), "cooling": self._cooling}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.tracker.load_state_dict(state)
        self._cooling = int(state["cooling"])

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        improved = self.tracker.improved(logs)
        if self._cooling:
            self._cooling -= 1
            self.tracker.wait = 0
        elif not improved and self.tracker.wait >= self.patience:
            optimizer = state.optimizer
            optimizer.learning_rate = max(
                optimizer.learning_rate * self.factor, self.min_learning_rate
            )
            self.tracker.wait = 0
            self._cooling = self.cooldown
