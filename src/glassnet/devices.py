"""Where a network's arrays live: :class:`OnDevice`, the device half of
:class:`~glassnet.network.Network`.

A network has a ``device`` (``"cpu"``, the default, or ``"cuda"``): its parameters,
gradients and buffers are arrays of that device's library (see :mod:`glassnet.backend`),
and its forward and backward passes, :meth:`~glassnet.network.Network.fit` and
:meth:`~glassnet.network.Network.predict` run with ``xp`` holding that library's names.
Inputs come from the host and are moved on arrival; what is written or shown (model files,
the trace, the gradient check) is brought back with :func:`~glassnet.backend.to_host`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import Flat, check_device, current_device, on_device, pack_layers, to_device

if TYPE_CHECKING:
    from typing import Self

    from .layers import Layer


class OnDevice:
    """The device of a network of ``layers`` whose flat buffers are ``_storage``."""

    device: str = "cpu"
    layers: list[Layer]
    _storage: Flat
    last_input: Any

    def to(self, device: str) -> Self:
        """Move every parameter, gradient, buffer and cached array to ``device`` (``"cpu"``,
        ``"cuda"`` or ``"auto"``) and return this network. The flat parameter and gradient
        buffers are made anew there; an optimizer's state is made on the device at its
        first step, so train with a fresh optimizer (or one that has only trained there).

        ``"cuda"`` without CuPy raises ImportError; with CuPy but no GPU, RuntimeError.
        """
        device = check_device(device)
        if device == self.device:
            return self
        for layer in self.layers:
            _move(layer, device, set())
        self.last_input = None
        with on_device(device):  # the buffers' zeros in the device's library
            self._storage = pack_layers(self.parametric_layers())
        self.device = device
        return self

    def parametric_layers(self) -> list[Layer]:
        raise NotImplementedError

    def on_device(self) -> AbstractContextManager[None]:
        """The block in which this network computes: ``xp`` is its device's library."""
        if self.device == current_device():
            return nullcontext()
        return on_device(self.device)

    def arrive(self, array: Any) -> Any:
        """``array`` (``None`` passes) moved to this network's device if it is not there."""
        if array is None or self.device == "cpu":
            return array
        return to_device(array, self.device)


def _move(owner: Any, device: str, seen: set[int]) -> None:
    """Move every array attribute of ``owner`` (a layer, its activation, its batch norm)
    to ``device``, recursing into attributes that are layers or activations."""
    from .activations import Activation
    from .layers import Layer

    if id(owner) in seen:
        return
    seen.add(id(owner))
    for name, value in list(vars(owner).items()):
        if hasattr(value, "shape") and hasattr(value, "ndim") and not isinstance(value, np.generic):
            setattr(owner, name, to_device(value, device))
        elif isinstance(value, Layer | Activation):
            _move(value, device, seen)
