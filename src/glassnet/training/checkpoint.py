"""Checkpoints: everything training needs to continue exactly where it stopped.

A snapshot, taken at the end of an epoch, holds the epoch and step counts, the state of
every random generator (the shuffling one and each layer's that draws, such as dropout),
the optimizer's :meth:`~glassnet.optimizers.Optimizer.state_dict`, the callbacks' state,
the history so far, and copies of the parameters and buffers. :func:`glassnet.training.fit`
with ``resume=snapshot`` puts all of it back, so that a run interrupted and resumed ends
with bitwise the same parameters as one left alone.

Snapshots are JSON data plus arrays under ``"arrays"``, the form that
:func:`glassnet.io.save_model` stores in a model file's ``training`` section.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .state import Callback

if TYPE_CHECKING:
    from .state import TrainingState
    from .trainable import Trainable

Snapshot = dict[str, Any]
T = TypeVar("T", bound="Trainable")


def take_snapshot(state: TrainingState, callbacks: Sequence[Callback]) -> Snapshot:
    """The training state at the end of ``state.epoch``, with every array copied."""
    network, optimizer = state.network, state.optimizer
    arrays: dict[str, np.ndarray] = {}
    for name, array in network.parameters() + network.buffers():
        arrays[f"network.{name}"] = array.copy()
    optimizer_state = optimizer.state_dict()
    for key, array in optimizer_state.pop("arrays").items():
        arrays[f"optimizer.{key}"] = array
    callback_states = []
    for position, callback in enumerate(stateful(callbacks)):
        own = callback.state_dict()
        for key, array in own.pop("arrays", {}).items():
            arrays[f"callbacks.{position}.{key}"] = array
        callback_states.append({"kind": type(callback).__name__, **own})
    return {
        "epoch": state.epoch,
        "step": state.step,
        "rng": copy.deepcopy(state.rng.bit_generator.state),
        # The key predates layers other than dropout that draw; it holds every such layer's.
        "dropout_rng": [copy.deepcopy(rng.bit_generator.state) for rng in _layer_rngs(network)],
        "optimizer": optimizer_state,
        "callbacks": callback_states,
        "history": state.history.as_dict(),
        "arrays": arrays,
    }


def restore_snapshot(
    state: TrainingState, callbacks: Sequence[Callback], snapshot: Snapshot
) -> None:
    """Put ``snapshot`` back into ``state`` (network, optimizer, generators, history) and
    the ``callbacks``, which must be the same kinds in the same order as when it was taken."""
    network, optimizer = state.network, state.optimizer
    arrays: Mapping[str, np.ndarray] = snapshot["arrays"]
    for name, array in network.parameters() + network.buffers():
        key = f"network.{name}"
        if key not in arrays or arrays[key].shape != array.shape:
            raise ValueError(f"the checkpoint does not fit this network: {name} differs")
        array[...] = arrays[key]
    saved_optimizer = {
        **snapshot["optimizer"],
        "arrays": {
            key.removeprefix("optimizer."): array
            for key, array in arrays.items()
            if key.startswith("optimizer.")
        },
    }
    optimizer.load_state_dict(saved_optimizer, [array for _, array in network.parameters()])
    state.rng.bit_generator.state = snapshot["rng"]
    for rng, rng_state in zip(_layer_rngs(network), snapshot["dropout_rng"], strict=True):
        rng.bit_generator.state = rng_state
    kinds = [type(cb).__name__ for cb in stateful(callbacks)]
    if [own.get("kind") for own in snapshot["callbacks"]] != kinds:
        saved_kinds = [own.get("kind") for own in snapshot["callbacks"]]
        raise ValueError(
            f"the checkpoint was trained with the callbacks {saved_kinds}, "
            f"but this run has {kinds}: resume with the same options"
        )
    for position, (callback, own) in enumerate(
        zip(stateful(callbacks), snapshot["callbacks"], strict=True)
    ):
        prefix = f"callbacks.{position}."
        own_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        callback.load_state_dict({**own, "arrays": own_arrays})
    history = snapshot["history"]
    state.history.epoch = list(history["epoch"])
    state.history.logs = {k: list(v) for k, v in history.items() if k not in ("metric", "epoch")}
    state.epoch = int(snapshot["epoch"])
    state.step = int(snapshot["step"])


_SNAPSHOT_FIELDS: dict[str, type] = {
    "epoch": int,
    "step": int,
    "rng": dict,
    "dropout_rng": list,
    "optimizer": dict,
    "callbacks": list,
    "history": dict,
    "arrays": dict,
}


def check_snapshot(snapshot: Any) -> None:
    """A ValueError naming the field, unless ``snapshot`` has the form
    :func:`take_snapshot` gives (a checkpoint file is data from anywhere; the values
    themselves are checked again where :func:`restore_snapshot` puts them back)."""
    if not isinstance(snapshot, dict):
        raise ValueError("its training state is not a JSON object")
    for key, kind in _SNAPSHOT_FIELDS.items():
        value = snapshot.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(
                f"its training state's {key!r} is {type(value).__name__}, not {kind.__name__}"
            )
    if snapshot["epoch"] < 0 or snapshot["step"] < 0:
        raise ValueError("its training state counts a negative epoch or step")
    history = snapshot["history"]
    if not isinstance(history.get("epoch"), list) or not all(
        isinstance(values, list) for key, values in history.items() if key != "metric"
    ):
        raise ValueError("its training state's history is not lists of numbers by epoch")
    for position, own in enumerate(snapshot["callbacks"]):
        if not isinstance(own, dict):
            raise ValueError(f"its training state's callback {position} is not a JSON object")
    for position, own in enumerate(snapshot["dropout_rng"]):
        if not isinstance(own, dict):
            raise ValueError(f"its training state's generator {position} is not a JSON object")


def _layer_rngs(network: Trainable) -> list[np.random.Generator]:
    return [layer.rng for layer in network.layers if layer.rng is not None]


def network_at(network: T, snapshot: Snapshot) -> T:
    """A copy of ``network`` with the parameters and buffers the snapshot holds (those of
    its epoch, not the live ones)."""
    copy_ = network.astype(network.dtype.name)
    for name, array in copy_.parameters() + copy_.buffers():
        array[...] = snapshot["arrays"][f"network.{name}"]
    return copy_


def stateful(callbacks: Sequence[Callback]) -> list[Callback]:
    """The callbacks whose state a checkpoint carries, in order."""
    return [cb for cb in callbacks if cb.has_state]


class Checkpoint(Callback):
    """Take a snapshot at the end of every epoch; hand every ``every``-th to ``save``.

    ``last`` always holds the latest snapshot, so that an interrupted run can still be
    saved at its last complete epoch (``glassnet train`` does this on Ctrl-C).
    """

    def __init__(self, save: Callable[[Snapshot], object] | None = None, every: int = 1) -> None:
        self.save, self.every = save, int(every)
        self.last: Snapshot | None = None

    def on_epoch_end(self, state: TrainingState, logs: Mapping[str, float]) -> None:
        self.last = take_snapshot(state, state.callbacks)
        if self.save is not None and self.every > 0 and state.epoch % self.every == 0:
            self.save(self.last)
