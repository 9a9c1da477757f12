"""The network: a sequence of layers, a loss, and the regularized cost of document 001.

Forward propagation is BP step 1, :meth:`Network.backward` is BP steps 2–4::

    δ^[L] = ∂L/∂A^[L] ⊙ f'(Z^[L])        (or the fused A^[L] − Y)
    δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙ f'(Z^[l])
    ∂J/∂W^[l] = (1/m) δ^[l] A^[l−1]ᵀ + (λ/m) W^[l]
    ∂J/∂b^[l] = (1/m) Σ_samples δ^[l]

with the cost ``J = (1/m) Σ_i w_i ℓ(ŷ_i, y_i) + λ/(2m) Σ_l ‖W^[l]‖² + λ₁/m Σ_l |W^[l]|``
(biases excluded; the sample weights ``w_i`` are 1 unless given, and the L1 term is the
same idea with absolute values, whose gradient is ``(λ₁/m) sign(W)``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .activations import get_activation
from .backend import Array, blas_threads, on_device, pack_layers, resolve_dtype, to_host, xp
from .devices import OnDevice
from .layers import Layer, layer_from_config
from .layers.stacks import connect_layers, dense_from_parameters, dense_stack
from .losses import Loss, get_loss, pair_output
from .optimizers import clip_gradients
from .penalties import Penalties
from .training import History
from .training import evaluate as evaluate_arrays
from .training import fit as fit_network
from .validation import check_features, check_non_negative_number, check_shape_is, check_targets

if TYPE_CHECKING:
    from .optimizers import Optimizer
    from .training.trainable import GradientSum

PREDICT_CHUNK = 4096
"""Samples per forward pass at inference: bounds memory on large inputs."""
PREDICT_BYTES = 64 << 20
"""The most bytes one layer's working array may take in a forward pass at inference."""


class Network(OnDevice, Penalties):
    """A network of layers trained by backpropagation, on its :attr:`device` (see
    :mod:`glassnet.devices`).

    Parameters
    ----------
    layers:
        The layers, input side first; the last computes ``Z`` and ``A = f(Z)`` (a
        :class:`Dense` layer).
    loss:
        ``'mse'``, ``'bce'`` or ``'cce'`` (or a :class:`Loss`).
    l2:
        ``λ`` of the regularized cost ``J = L + λ/(2m) Σ‖W‖²`` (document 001).
    l1:
        ``λ₁`` of an L1 term ``λ₁/m Σ|W|``, which pushes weights to exactly zero.

    Use :meth:`build` to make one from layer sizes, or :meth:`from_parameters` to type in
    a textbook example's weights.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        loss: str | Loss = "cce",
        *,
        l2: float = 0.0,
        l1: float = 0.0,
    ) -> None:
        connect_layers(layers)
        self.layers = list(layers)
        self.loss = get_loss(loss)
        self.l2 = check_non_negative_number("l2", l2)
        self.l1 = check_non_negative_number("l1", l1)
        dtypes = {layer.dtype for layer in self.layers if layer.dtype is not None}
        if len(dtypes) != 1:
            raise ValueError(f"all layers must share one dtype, got {sorted(map(str, dtypes))}")
        self.dtype: np.dtype[Any] = dtypes.pop()
        # Below the first layer with parameters nothing is left to learn: skipping ∂L/∂A_prev
        # there saves the widest of the backward pass's matrix multiplications.
        for layer in self.layers:
            layer.propagate_input_grad = False
            if layer.params:
                break
        self._last_m = 0
        self.last_input: Array | None = None
        # The parameters and gradients as views of two flat buffers: one optimizer pass.
        self._storage = pack_layers(self.parametric_layers())

    # -- construction -------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str | None = None,
        loss: str | None = None,
        init: str | None = None,
        l2: float = 0.0,
        l1: float = 0.0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        seed: int | np.random.Generator | None = None,
        dtype: str = "float32",
        device: str = "cpu",
    ) -> Network:
        """A network with layer sizes ``[n_0, n_1, …, n_L]`` on ``device`` (drawn on the CPU).

        ``activation`` is used in the hidden layers. The output activation and the loss
        default to each other's natural partner: softmax with ``'cce'`` when there are
        several outputs, sigmoid with ``'bce'`` for one; name either to choose.
        ``dropout`` adds a :class:`~glassnet.layers.Dropout` of that rate after each hidden
        layer; ``batch_norm`` normalizes each hidden layer's ``Z`` before its activation.

        >>> net = Network.build([784, 128, 10], seed=0)   # ReLU, softmax, cross-entropy
        """
        if output_activation is not None:  # "logistic" → "sigmoid", "Softmax" → …
            output_activation = get_activation(output_activation).name
        output_activation, chosen_loss = pair_output(int(sizes[-1]), output_activation, loss)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        layers = dense_stack(
            sizes,
            activation,
            output_activation,
            init=init,
            dropout=dropout,
            batch_norm=batch_norm,
            rng=rng,
            dtype=resolve_dtype(dtype),
        )
        return cls(layers, chosen_loss, l2=l2, l1=l1).to(device)

    @classmethod
    def from_parameters(
        cls,
        layers: Sequence[dict[str, Any]],
        loss: str | Loss,
        *,
        l2: float = 0.0,
        dtype: str = "float64",
    ) -> Network:
        """A network with explicit weights, as a textbook example gives them.

        Each entry is ``{"W": n_l × n_{l−1}, "b": n_l, "activation": name}``::

            Network.from_parameters(
                [{"W": [[0.1, 0.3]], "b": [0.05], "activation": "sigmoid"},
                 {"W": [[0.2]], "b": [0.01], "activation": "sigmoid"}],
                loss="mse")
        """
        return cls(dense_from_parameters(layers, resolve_dtype(dtype)), loss, l2=l2)

    # -- structure ----------------------------------------------------------------------

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape, ``(n_0,)`` for a network that starts with a dense layer."""
        return self.layers[0].input_shape

    @property
    def n_features(self) -> int:
        """``n_0``: the number of input values per sample."""
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def output_layer(self) -> Layer:
        """Layer ``L``: the one whose ``A`` is the network's output ``ŷ``."""
        return self.layers[-1]

    @property
    def fused_output(self) -> bool:
        """Whether ``δ^[L] = A^[L] − Y`` (sigmoid + BCE, softmax + CCE)."""
        activation = self.output_layer.activation
        assert activation is not None
        return self.loss.fused_activation == activation.name

    def numbered_layers(self) -> list[tuple[int, Layer]]:
        """Each layer with the documents' number ``l``: the layers with parameters count
        1 … L; a layer without any (dropout, flatten) carries the number of the layer
        below it, whose ``A^[l]`` it acts on (0 for the input)."""
        numbered, l = [], 0
        for layer in self.layers:
            if layer.params:
                l += 1
            numbered.append((l, layer))
        return numbered

    def parametric_layers(self) -> list[Layer]:
        """The layers that carry parameters, numbered 1 … L in the documents."""
        return [layer for layer in self.layers if layer.params]

    def fix_randomness(self, rng: np.random.Generator | None) -> None:
        """Make every layer draw nothing more at random (see :meth:`Layer.fix_randomness`):
        with ``rng``, each dropout layer keeps one mask; with ``None``, dropout is off."""
        for layer in self.layers:
            layer.fix_randomness(rng)

    def parameters(self) -> list[tuple[str, Array]]:
        """``[("W1", W^[1]), ("b1", b^[1]), …]``: the arrays training updates, in place."""
        return self._named("params")

    def gradients(self) -> list[tuple[str, Array]]:
        """``[("W1", ∂J/∂W^[1]), …]`` from the last :meth:`backward`, as :meth:`parameters`."""
        return self._named("grads")

    def buffers(self) -> list[tuple[str, Array]]:
        """Learned state that is not a parameter: ``[("running_mean1", …), …]``."""
        return self._named("buffers")

    def _named(self, group: str) -> list[tuple[str, Array]]:
        # Arrays are numbered by the documents' layer index l, which counts the layers
        # with parameters.
        return [
            (f"{name}{index}", array)
            for index, layer in enumerate(self.parametric_layers(), start=1)
            for name, array in getattr(layer, group).items()
        ]

    def n_parameters(self) -> int:
        return sum(int(array.size) for _, array in self.parameters())

    def config(self) -> dict[str, Any]:
        """JSON data that rebuilds this network with :meth:`from_config`, given
        :meth:`arrays`: each layer's ``config()``, the loss, ``λ``, ``λ₁`` and the dtype."""
        return {
            "layers": [layer.config() for layer in self.layers],
            "loss": self.loss.name,
            "l2": self.l2,
            "l1": self.l1,
            "dtype": self.dtype.name,
        }

    def arrays(self) -> dict[str, Array]:
        """Every parameter and buffer as ``{"layers.<position>.<name>": array}``."""
        return {
            f"layers.{position}.{name}": array
            for position, layer in enumerate(self.layers)
            for name, array in {**layer.params, **layer.buffers}.items()
        }

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        arrays: dict[str, Any],
        rngs: Sequence[np.random.Generator | None] | None = None,
    ) -> Network:
        """Rebuild a network from :meth:`config` and :meth:`arrays`; a ValueError names
        the layer whose arrays do not fit. ``rngs``: a generator per layer that draws."""
        if missing := [key for key in ("layers", "loss", "dtype") if key not in config]:
            raise ValueError(f"the network's config lacks {', '.join(map(repr, missing))}")
        layers = []
        for position, layer_config in enumerate(config["layers"]):
            where = f"layer {position} ({layer_config.get('type')})"
            prefix = f"layers.{position}."
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            rng = None if rngs is None else rngs[position]
            try:  # exact: a missing array would be filled with a default, another model
                layer = layer_from_config(layer_config, own, config["dtype"], rng, exact=True)
            except KeyError as exc:
                raise ValueError(f"{where}: missing array {exc}") from None
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            layers.append(layer)
        return cls(layers, config["loss"], l2=config.get("l2", 0.0), l1=config.get("l1", 0.0))

    def astype(self, dtype: str) -> Network:
        """A copy of this network (parameters and buffers) in ``dtype``; each layer that
        draws at random gets a copy of its generator (the same draws, independently)."""
        config = {**self.config(), "dtype": resolve_dtype(dtype).name}
        rngs = [copy.deepcopy(layer.rng) for layer in self.layers]
        return Network.from_config(config, to_host(self.arrays()), rngs).to(self.device)

    # -- the engine ---------------------------------------------------------------------

    def forward(self, X: Array, training: bool = False) -> Array:
        """BP step 1: ``A^[L]`` for ``X`` of shape ``(m, n_0)``, storing every ``Z``, ``A``.

        ``X`` must already be a float array of the network's dtype; the public methods
        (:meth:`predict`, :meth:`fit`) check and convert it.
        """
        shape = self.layers[0].input_shape
        check_shape_is("X", X, (*X.shape[:1], *shape), f"a row of shape {shape} per sample")
        with self.on_device():
            A = X = self.arrive(X)
            for layer in self.layers:
                A = layer.forward(A, training)
        self._last_m = X.shape[0]
        self.last_input = X  # A^[0] of the record the glass box reads
        return A

    def cost(self, Y: Array, sample_weight: Array | None = None) -> float:
        """``J = (1/m) Σ_i w_i ℓ_i + λ/(2m) Σ_l ‖W^[l]‖² + λ₁/m Σ_l |W^[l]|`` for the last
        forward pass, targets ``Y`` and optional sample weights ``w`` of shape ``(m,)``."""
        with self.on_device():
            losses, weights = self.per_sample_loss(self.arrive(Y)), self.arrive(sample_weight)
            data = losses.mean() if weights is None else xp.vdot(losses, weights) / losses.size
            return float(data) + self.penalty(self._last_m)

    def per_sample_loss(self, Y: Array) -> Array:
        """``ℓ(ŷ_i, y_i)`` of the last forward pass; from ``Z^[L]`` for a fused pairing."""
        Z, A = self._last_output(Y)
        if self.fused_output:
            return self.loss.per_sample_from_logits(Z, Y)
        return self.loss.per_sample(A, Y)

    def output_delta(self, Y: Array) -> Array:
        """BP step 2: ``δ^[L] = A − Y`` (fused) or ``∂L/∂A ⊙ f'(Z)`` (document 003, case 1)."""
        out, (Z, A) = self.output_layer, self._last_output(Y)
        assert out.activation is not None, "an output layer has an activation"
        if self.fused_output:
            # Sigmoid + BCE and softmax + CCE: the f'(Z) factor cancels ∂L/∂A's denominator.
            return self.loss.fused_delta(A, Y)
        return out.activation.backward(self.loss.gradient(A, Y), Z, A)

    def _last_output(self, Y: Array) -> tuple[Array, Array]:
        """``Z^[L]``, ``A^[L]`` of the last forward pass, for targets ``Y`` of their shape (a 1-D
        ``y`` would broadcast against ``(m, 1)`` into a wrong cost without a word)."""
        Z, A = (self.output_layer.forward_record()[key] for key in ("Z", "A"))
        if Z is None or A is None:
            raise ValueError("no forward pass to compare Y with: call forward(X) first")
        check_shape_is("Y", Y, A.shape, "that of the last pass's A^[L] (check_y encodes labels)")
        return Z, A

    def backward(
        self,
        Y: Array,
        sample_weight: Array | None = None,
        *,
        m: int | None = None,
        regularize: bool = True,
    ) -> None:
        """BP steps 2–4 for the last forward pass; fills each layer's gradients. ``m``: the
        ``1/m``'s batch size if not these rows' (they are a shard of it, in data-parallel
        training; without ``regularize``, the caller adds the penalty's part later)."""
        with self.on_device():
            dZ = self.output_delta(self.arrive(Y))
            m = dZ.shape[0] if m is None else m
            if sample_weight is None:
                dZ *= 1.0 / m  # δ^[L]/m: the 1/m of BP step 4, once (see glassnet.layers)
            else:
                dZ *= (self.arrive(sample_weight) * (1.0 / m))[:, None]
            grad = self.output_layer.backward_dZ(dZ)
            for layer in reversed(self.layers[:-1]):
                if grad is None:  # below the first layer with parameters: nothing left to learn
                    break
                grad = layer.backward(grad)
            if regularize:
                self.regularize_gradients(m)

    def train_step(
        self,
        X: Array,
        Y: Array,
        optimizer: Optimizer,
        *,
        sample_weight: Array | None = None,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        stop_if_non_finite: bool = False,
        reducer: GradientSum | None = None,
    ) -> float:
        """One step of gradient descent on a batch; returns its cost ``J``: forward
        propagation, the cost, backpropagation, optional clipping, then the
        optimizer's update: the step of document 003's training loop, shared by
        :func:`~glassnet.training.fit` and :func:`~glassnet.inspect.trace`. ``X`` and ``Y``
        must be checked arrays of the network's dtype. With ``stop_if_non_finite``, a NaN
        or inf cost is returned before the update. With a ``reducer`` (data-parallel, see
        :mod:`glassnet.distributed`), ``X`` is this process's shard of a global batch."""
        if reducer is None:
            self.forward(X, training=True)
            cost = self.cost(Y, sample_weight)
            if stop_if_non_finite and not math.isfinite(cost):
                return cost
            self.backward(Y, sample_weight)
        # The arrays without their names: naming them costs more than a small layer's step.
        layers = self.parametric_layers()
        grads = [grad for layer in layers for grad in layer.grads.values()]
        if reducer is not None:
            cost = reducer.gradients(self, X, Y, sample_weight, grads, self._storage)
            if stop_if_non_finite and not math.isfinite(cost):
                return cost
        params = [theta for layer in layers for theta in layer.params.values()]
        with self.on_device():
            if clip_norm is not None or clip_value is not None:
                clip_gradients(grads, max_norm=clip_norm, max_value=clip_value)
            optimizer.step(params, grads, self._storage)
        return cost

    # -- the public API -----------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, *, threads: int | None = None, **options: Any) -> History:
        """Train by gradient descent: :func:`glassnet.training.fit` with this network, e.g.
        ``net.fit(X, y, epochs=20)``; ``threads`` caps BLAS's threads (needs threadpoolctl);
        ``device="cuda"`` moves the network there first (see :meth:`to`)."""
        self.to(options.pop("device", self.device))
        with blas_threads(threads), self.on_device():
            return fit_network(self, X, y, **options)

    def check_X(self, X: Any, name: str = "X") -> Array:
        """``X`` checked and converted to an ``(m, *input_shape)`` array of the dtype, on
        the host (the device's copy is made where it is read)."""
        with on_device("cpu"):
            return check_features(X, self.input_shape, self.dtype, name=name)

    def check_y(self, y: Any, n_samples: int, name: str = "y") -> Array:
        """``y`` checked and converted to the ``(m, n_L)`` targets the loss compares with."""
        with on_device("cpu"):  # on the host, as check_X
            array = check_targets(y, n_samples, self.n_outputs, name=name)
            return self.loss.targets(array, self.n_outputs, self.dtype, name)

    def predict_output(self, X: Any) -> Array:
        """``A^[L]`` for each row of ``X``: probabilities for classifiers, values for regression."""
        X = self.check_X(X)  # on the host; each chunk's outputs come back to it
        rows = self.predict_chunk()
        chunks = (X[i : i + rows] for i in range(0, X.shape[0], rows))
        return np.concatenate([to_host(self.forward(chunk)) for chunk in chunks])

    def predict_chunk(self) -> int:
        """Rows per forward pass at inference: :data:`PREDICT_CHUNK`, or fewer where a layer
        would hold more than :data:`PREDICT_BYTES` for them (a convolution's windows)."""
        widest = max(layer.values_per_sample for layer in self.layers) * self.dtype.itemsize
        return max(1, min(PREDICT_CHUNK, PREDICT_BYTES // widest))

    def predict(self, X: Any) -> Array:
        """Class indices for ``cce``, 0/1 labels for ``bce``, the outputs for ``mse``."""
        return self.loss.decide(self.predict_output(X))

    def evaluate(self, X: Any, y: Any, metrics: Sequence[str] = ()) -> dict[str, float]:
        """``{"loss": L, metric: value, …}`` on ``(X, y)``: the loss without regularization,
        accuracy or RMSE, and any named ``metrics`` (``"f1_macro"``, ``"r2"``, …)."""
        X = self.check_X(X)
        with self.on_device():
            return evaluate_arrays(self, X, self.check_y(y, X.shape[0]), metrics=metrics)

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Network([\n  {inner}\n], loss={self.loss.name!r}, l2={self.l2}, l1={self.l1})"
