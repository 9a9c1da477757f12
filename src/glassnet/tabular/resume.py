"""Resuming a model's training from Python: a checkpoint file's model and its training
state, both checked against each other (what ``glassnet train --resume`` reads)."""

from __future__ import annotations

import os

from ..io import ModelFileError, load_model
from ..training.checkpoint import check_snapshot
from .checkpoints import Checkpointed
from .model import Model
from .saved_checks import check_settings_fit, model_parts


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpointed[Model]:
    """A checkpoint file's model and training state; a ValueError for a plain model file,
    a :class:`~glassnet.io.ModelFileError` for a state that does not fit its model."""
    saved = load_model(path)
    if saved.training is None:
        raise ValueError(f"{path} is a model file, not a checkpoint: it has no training state")
    model = Model(**model_parts(saved, path))
    try:
        check_snapshot(saved.training)
        if "settings" in model.metadata:
            check_settings_fit(model.settings, model.network)
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return Checkpointed(model, saved.training, str(path))
