"""Training: document 003's loop of gradient descent, and everything around it.

- :func:`fit` and :func:`evaluate` (:mod:`.loop`): epochs of mini-batches, validation, a
  :class:`History`; they reach the network only through its methods, so this package
  needs nothing above the layers and optimizers;
- the epoch's order and the mini-batches' rows (:mod:`.batches`): in-memory or
  memory-mapped arrays, or a :class:`BatchSource`, read a batch at a time; the block
  shuffle for data larger than memory;
- callbacks (:mod:`.callbacks`), learning-rate schedules (:mod:`.schedules`) and
  checkpoints (:mod:`.checkpoint`) as hooks into the loop;
- the one table of training options and their defaults (:mod:`.options`), which the API,
  the command line and config files all read;
- the search for the first NaN or inf when training diverges (:mod:`.divergence`).
"""

from .batches import ArraySource, BatchSource, batch_bounds
from .callbacks import EarlyStopping, EarlyStoppingSeen, EpochPrinter, ProgressBar, format_logs
from .checkpoint import Checkpoint, Snapshot
from .divergence import non_finite_report
from .loop import evaluate, fit
from .options import DEFAULTS, TRAIN_OPTIONS, make_callbacks, make_optimizer
from .schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateScheduler,
    ReduceLROnPlateau,
    StepDecay,
)
from .state import Callback, History, TrainingDivergedError, TrainingState

__all__ = [
    "DEFAULTS",
    "TRAIN_OPTIONS",
    "ArraySource",
    "BatchSource",
    "Callback",
    "Checkpoint",
    "CosineDecay",
    "EarlyStopping",
    "EarlyStoppingSeen",
    "EpochPrinter",
    "ExponentialDecay",
    "History",
    "LearningRateScheduler",
    "ProgressBar",
    "ReduceLROnPlateau",
    "Snapshot",
    "StepDecay",
    "TrainingDivergedError",
    "TrainingState",
    "batch_bounds",
    "evaluate",
    "fit",
    "format_logs",
    "make_callbacks",
    "make_optimizer",
    "non_finite_report",
]
