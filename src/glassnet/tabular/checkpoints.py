"""A checkpoint file as :func:`~glassnet.tabular.load_checkpoint` reads it: the model at
its epoch and the training state to resume from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ..training import Snapshot


class _SavedModel(Protocol):
    """What a checkpoint needs of its model: the metadata the run stored."""

    metadata: dict[str, Any]

    @property
    def settings(self) -> dict[str, Any]: ...


M = TypeVar("M", bound=_SavedModel)


@dataclass(frozen=True)
class Checkpointed(Generic[M]):
    """A checkpoint file: the model at its epoch, and the training state to resume from."""

    model: M
    snapshot: Snapshot
    path: str

    @property
    def epoch(self) -> int:
        """The last finished epoch."""
        return int(self.snapshot["epoch"])

    @property
    def settings(self) -> dict[str, Any]:
        """The training options of the run, to resume it with."""
        if "settings" not in self.model.metadata:
            raise ValueError(
                f"{self.path} was not written by glassnet train (it has no settings to "
                "resume with); resume it from Python with fit(resume=...)"
            )
        return self.model.settings

    @property
    def data(self) -> str | None:
        """The CSV file the run trained on (``None``: the shipped MNIST sample)."""
        if "data" not in self.model.metadata:
            raise ValueError(
                f"{self.path} was trained on data in memory, which a checkpoint does not "
                "hold; resume it from Python: Model.fit(data, ..., resume=load_checkpoint(path))"
            )
        data = self.model.metadata["data"]
        return None if data is None else str(data)
