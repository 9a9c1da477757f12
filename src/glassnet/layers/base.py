"""The interface every layer implements, whatever its kind.

A layer is one step of the forward pass with its backward pass beside it. Samples are
rows: a layer takes ``A_prev`` of shape ``(m, *input_shape)`` and gives
``(m, *output_shape)``, for shapes of any rank (a dense layer's are ``(n_{l−1},)`` and
``(n_l,)``; an image's ``(channels, height, width)``).

What the rest of glassnet reads through this interface, and nothing else:

- ``params`` and ``grads``: the arrays training updates, with the same keys; ``buffers``:
  state learned otherwise (batch norm's running statistics). All three are saved.
- ``forward(A_prev, training)`` and ``backward(dA)``.
- ``forward_record()`` and ``backward_record()``: the arrays of the last pass, in the
  order they were computed, under the documents' names (``Z``, ``A``, ``delta``, ``dW``).
  The trace, the diagnosis and the non-finite search read these.
- ``regularized``: the parameters the L1 and L2 terms apply to (weights, not biases).
- ``fix_randomness(rng)``: the one way to make a layer that draws random numbers draw
  nothing more, for the gradient check, the diagnosis and the pictures.
- ``config()`` and ``from_config()``: rebuild the layer from JSON data plus its arrays.
- ``connect(input_shape)``: take the output shape of the layer below. A layer built
  without its input shape (``Flatten()``, a pooling layer) is not :attr:`~Layer.sized`
  until then, and sets its input and output shapes here; one built with them checks that
  they fit, with an error that names the layer and both shapes.

A new kind of layer is a subclass in a file of its own plus one line in the registry of
:mod:`glassnet.layers`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..activations import Activation
from ..backend import Array, xp

NOTATION = {
    "W": "W^[{l}]",
    "b": "b^[{l}]",
    "gamma": "γ^[{l}]",
    "beta": "β^[{l}]",
    "running_mean": "μ_running^[{l}]",
    "running_var": "σ²_running^[{l}]",
    "Z": "Z^[{l}]",
    "Z_hat": "Ẑ^[{l}]",
    "BN": "BN(Z^[{l}])",
    "A": "A^[{l}]",
    "mask": "M^[{l}]",
    "delta": "δ^[{l}]",
    "dW": "∂J/∂W^[{l}]",
    "db": "∂J/∂b^[{l}]",
    "dgamma": "∂J/∂γ^[{l}]",
    "dbeta": "∂J/∂β^[{l}]",
}
"""The documents' names of the arrays layers keep, for layer ``l``."""


class Layer:
    """A step of the forward pass, with ``forward`` and ``backward`` and named arrays."""

    kind: ClassVar[str] = "layer"
    regularized: ClassVar[tuple[str, ...]] = ()
    """The names of the parameters that L1 and L2 penalize."""
    input_shape: tuple[int, ...]
    """One sample's input shape (without the batch axis)."""
    output_shape: tuple[int, ...]
    activation: Activation | None = None
    """The activation ``f`` of ``A = f(Z)``, for layers that have one."""
    rng: np.random.Generator | None = None
    """The generator of a layer that draws random numbers; checkpoints save its state."""
    propagate_input_grad: bool = True
    """Whether :meth:`backward` returns ``∂L/∂A_prev``; the network turns it off below the
    first layer with parameters, where nothing is left to learn."""
    holds_arrays: ClassVar[bool] = True
    """``False`` for a kind of layer that learns and keeps no arrays (dropout, reshape,
    pooling): its :meth:`array_shapes` is ``{}`` whatever the config."""

    @property
    def sized(self) -> bool:
        """Whether the layer knows its input shape: from its arguments, or from the layer
        below through :meth:`connect`. Until then it has no ``input_shape`` at all."""
        return hasattr(self, "input_shape")

    def connect(self, input_shape: tuple[int, ...]) -> None:
        """Take ``input_shape``, one sample's shape as the layer below outputs it.

        A layer built without its input shape sets its ``input_shape`` and
        ``output_shape`` here (a subclass that can be built so overrides this); one that
        has them checks that they are equal, with a :class:`ValueError` naming the layer,
        what it expects and what it got.
        """
        shape = tuple(int(n) for n in input_shape)
        if not self.sized:
            raise TypeError(f"{self.kind} layers need their input shape when they are built")
        if shape == self.input_shape:
            return
        W = self.params.get("W")
        weights = "" if W is None else f" (W has shape {tuple(W.shape)})"
        if len(shape) == len(self.input_shape) == 1:
            raise ValueError(
                f"{self!r} expects {self.n_in} inputs{weights}, but the layer below gives "
                f"{shape[0]}"
            )
        raise ValueError(
            f"{self!r} expects inputs of shape {self.input_shape}{weights}, but the layer "
            f"below gives outputs of shape {shape}"
        )

    @property
    def n_in(self) -> int:
        """The number of input values per sample."""
        return math.prod(self.input_shape)

    @property
    def n_out(self) -> int:
        """The number of output values per sample."""
        return math.prod(self.output_shape)

    @property
    def params(self) -> dict[str, Array]:
        return {}

    @property
    def grads(self) -> dict[str, Array]:
        return {}

    @property
    def buffers(self) -> dict[str, Array]:
        return {}

    @property
    def dtype(self) -> np.dtype[Any] | None:
        """The dtype of the parameters, or ``None`` for a layer without any."""
        params = self.params
        return next(iter(params.values())).dtype if params else None

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        """This layer's output for ``A_prev`` of shape ``(m, *input_shape)``, caching what
        backward needs (BP step 1)."""
        raise NotImplementedError

    def backward(self, dA: Array) -> Array | None:
        """Given ``∂L/∂A`` of this layer's output, fill ``grads`` and return ``∂L/∂A_prev``
        (``None`` when ``propagate_input_grad`` is off)."""
        raise NotImplementedError

    def backward_dZ(self, dZ: Array) -> Array | None:
        """BP step 4 from ``∂L/∂Z`` directly: the output layer's entry point, which the
        network calls with the output delta. Only layers with an activation have it."""
        raise TypeError(f"a {self.kind} layer has no Z, so it cannot be the output layer")

    def output_problem(self) -> str | None:
        """Why this layer cannot be a network's output layer, or ``None`` when it can: the
        loss and its fused delta need the layer's ``Z`` and ``A = f(Z)``."""
        if self.activation is None:
            return f"the last layer must compute Z and A = f(Z) (a Dense layer), not {self.kind}"
        return None

    def forward_record(self) -> dict[str, Array | None]:
        """The arrays of the last forward pass, in the order they were computed."""
        return {}

    def backward_record(self) -> dict[str, Array | None]:
        """The arrays of the last backward pass: deltas, then gradients."""
        return {}

    def notation(self, key: str, l: int) -> str:
        """The documents' name of the array ``key`` of this layer, numbered ``l``
        (``"Z"`` → ``"Z^[2]"``)."""
        return NOTATION.get(key, key + "^[{l}]").format(l=l)

    @property
    def min_batch_size(self) -> int:
        """The smallest training batch this layer can learn from (batch norm needs 2)."""
        return 1

    @property
    def values_per_sample(self) -> int:
        """The most numbers a forward pass holds per sample in this layer (its output; a
        convolution's windows too), for sizing the chunks of a prediction."""
        return self.n_out

    def fix_randomness(self, rng: np.random.Generator | None) -> None:
        """Draw nothing more at random: with ``rng``, draw each random choice once from it
        and keep it; with ``None``, leave randomness out. A layer that draws nothing
        ignores this."""

    def config(self) -> dict[str, Any]:
        """The settings that rebuild this layer with :meth:`from_config`."""
        raise NotImplementedError

    def input_shape_entry(self, start: int = 0) -> list[int] | None:
        """``input_shape[start:]`` as :meth:`config` saves it, a list, or ``None`` while the
        layer is not :attr:`sized` (``start=1``: a map's ``(H, W)``, without ``C``);
        :func:`shape_from_entry` reads it back."""
        return list(self.input_shape[start:]) if self.sized else None

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        dtype: np.dtype[Any] | str,
        rng: np.random.Generator | None = None,
    ) -> Layer:
        """Rebuild a layer from :meth:`config` and its ``params`` and ``buffers``."""
        raise NotImplementedError

    @classmethod
    def array_shapes(cls, config: dict[str, Any]) -> dict[str, tuple[int, ...]] | None:
        """The shape of each array (``params`` and ``buffers``) that a layer of ``config``
        holds, told without building it, so that a model file's arrays are checked against
        the architecture before they are read: ``{}`` where the layer does not
        :attr:`holds_arrays`, otherwise ``None`` (the default) where only the built layer
        can tell, and then the file's overall bounds alone apply."""
        return None if cls.holds_arrays else {}


def shape_from_entry(entry: Any) -> tuple[Any, ...] | None:
    """A shape a config saved (:meth:`Layer.input_shape_entry`): the list as a tuple, or
    ``None`` as it is; the layer checks its entries."""
    return None if entry is None else tuple(entry)


def is_count(value: Any, low: int = 1) -> bool:
    """Whether ``value`` is an integer ≥ ``low``; ``True`` and ``False`` are not, though
    Python's ``bool`` is a subclass of ``int``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return False
    return bool(value >= low)


def as_parameter(value: Any, shape: tuple[int, ...], name: str, dtype: np.dtype[Any]) -> Array:
    """A fresh, contiguous copy of ``value`` with the expected shape, or a clear error."""
    array = xp.array(value, dtype=dtype)
    if len(shape) == 1 and array.shape == (shape[0], 1):
        array = array.reshape(shape)  # the documents' column vector
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not xp.all(xp.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return xp.ascontiguousarray(array)


def check_shape(name: str, shape: Any) -> tuple[int, ...]:
    """``shape`` as a tuple of positive integers (an int is a 1-D shape)."""
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if not dims or any(not isinstance(n, int | np.integer) or n < 1 for n in dims):
        raise ValueError(f"{name} must be a positive integer or a tuple of them, got {shape!r}")
    return tuple(int(n) for n in dims)
