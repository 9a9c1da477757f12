"""The trace: every number of forward propagation, the loss, backpropagation and the
update, step by step, in the documents' notation and orientation.

The trace is not a second implementation: each step runs the network's own ``forward``,
``cost``, ``backward`` and the optimizer's ``step`` (exactly what :func:`~glassnet.fit`
runs) and reads, through the :class:`~glassnet.layers.Layer` interface, the record each
layer keeps of its last pass, whatever its kind. Only the orientation changes: the
documents put samples in columns, so ``Z^[l]``, ``A^[l]``, ``δ^[l]`` (and ``Ẑ``, ``M``, …)
are shown ``n_l × m``, and vectors such as ``b^[l]`` and ``∂J/∂b^[l]`` as ``n_l × 1``
columns. Feature maps and filters, 4-D arrays, keep their own layout (see
:mod:`~glassnet.inspect.trace_maps`). What the trace adds is read off the same step: the
L1 and L2 terms of the cost and of ``∂J/∂W``, and the optimizer's named quantities
(:meth:`Optimizer.explain`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import to_host
from ..optimizer_rules import RuleLine
from ..optimizers import SGD, Optimizer
from ..validation import check_integer
from .trace_maps import describe_image_network, has_images, maps

if TYPE_CHECKING:
    from ..layers import Layer
    from ..losses import Loss
    from ..network import Network

Matrix = list[list[float]]

MAX_STEPS = 1_000
"""The most steps one trace records: every step keeps every ``Z``, ``A``, ``δ``, gradient and
update as numbers to print, so a trace grows with its steps; a thousand is far more than
anyone reads, and bounds what ``--steps`` can ask for."""
MAX_NUMBERS = 5_000_000
"""The most numbers one trace of several steps keeps (about 200 MB as Python floats): a
large network reaches it in fewer than :data:`MAX_STEPS` steps. One step is always traced."""


def check_steps(name: str, steps: object) -> int:
    """``steps`` as an int if it is from 1 to :data:`MAX_STEPS`, else an error naming
    ``name`` (``"steps"``, ``"--steps"``, a spec file's key)."""
    return check_integer(name, steps, low=1, high=MAX_STEPS)


def columns(array: Any) -> Matrix:
    """An ``(m, …)`` array of samples in rows as the documents' ``n × m`` matrix."""
    values = np.asarray(array, dtype=np.float64)
    return values.reshape(values.shape[0], -1).T.tolist()


def shaped(array: Any, per_sample: bool) -> Any:
    """An array as the trace keeps it: 4-D feature maps ``(m, C, H, W)`` or filters
    ``(F, C, kh, kw)`` nested as they are, anything else as :func:`columns` (one sample
    per row, ``per_sample``) or :func:`oriented` puts it. A device's array comes to the host."""
    array = to_host(array)
    if np.ndim(array) == 4:
        return maps(array)
    return columns(array) if per_sample else oriented(array)


def oriented(array: Any) -> Matrix:
    """A parameter-shaped array as a matrix: vectors as ``n × 1`` columns, matrices as they
    are, higher ranks with their first axis as rows."""
    values = np.asarray(array, dtype=np.float64)
    if values.ndim < 2:
        return values.reshape(-1, 1).tolist()
    return values.reshape(values.shape[0], -1).tolist()


@dataclass(frozen=True)
class LayerInfo:
    """What the renderer needs to know about one layer, read through the Layer interface."""

    index: int
    """The position in ``network.layers``."""
    l: int
    """The documents' layer number (see :meth:`Network.numbered_layers`)."""
    kind: str
    activation: str | None
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: tuple[str, ...]
    regularized: tuple[str, ...]
    forward_keys: tuple[str, ...]
    backward_keys: tuple[str, ...]
    notation: dict[str, str]
    """The documents' symbol of each array key (``"Z"`` → ``"Z^[2]"``)."""
    input_symbol: str
    """The symbol of this layer's input: the output of the layer below, or ``A^[0]``."""
    config: dict[str, Any]

    def symbol(self, key: str) -> str:
        return self.notation.get(key, f"{key}^[{self.l}]")


def layer_infos(network: Network) -> list[LayerInfo]:
    """One :class:`LayerInfo` per layer of ``network``, input side first."""
    infos: list[LayerInfo] = []
    below = "A^[0]"
    for index, (l, layer) in enumerate(network.numbered_layers()):
        forward, backward = tuple(layer.forward_record()), tuple(layer.backward_record())
        params = tuple(layer.params)
        keys = {*forward, *backward, *params, *(f"d{p}" for p in params), "A"}
        infos.append(
            LayerInfo(
                index=index,
                l=l,
                kind=layer.kind,
                activation=None if layer.activation is None else layer.activation.name,
                input_shape=layer.input_shape,
                output_shape=layer.output_shape,
                params=params,
                regularized=tuple(layer.regularized),
                forward_keys=forward,
                backward_keys=backward,
                notation={key: layer.notation(key, l) for key in sorted(keys)},
                input_symbol=below,
                config=layer.config(),
            )
        )
        below = layer.notation("A", l)
    return infos


def describe_network(
    layers: list[LayerInfo], loss_description: str, l2: float = 0.0, l1: float = 0.0
) -> str:
    """``"a 2-2-2-1 network (relu, relu, sigmoid) with binary cross-entropy"``, naming the
    layers without an activation (dropout, flatten, …) and the L2 and L1 terms. A network
    with image layers is described layer by layer, with each one's kernel or window."""
    if has_images(layers):
        text = describe_image_network(layers, loss_description)
        penalties = [f"L2 λ = {l2:g}"] if l2 else []
        penalties += [f"L1 λ₁ = {l1:g}"] if l1 else []
        return ", ".join([text, *penalties])
    sizes = ["×".join(map(str, layers[0].input_shape))]
    activations, others = [], []
    for info in layers:
        if info.activation is not None:
            sizes.append("×".join(map(str, info.output_shape)))
            norm = " with batch norm" if "BN" in info.forward_keys else ""
            activations.append(info.activation + norm)
            continue
        settings = ", ".join(
            f"{key} {value}"
            for key, value in info.config.items()
            if key not in ("type", "n", "input_shape")  # sizes are in the network's sizes
        )
        where = "on the input" if info.l == 0 else f"after layer {info.l}"
        others.append(f"{info.kind}{f' ({settings})' if settings else ''} {where}")
    text = f"a {'-'.join(sizes)} network ({', '.join(activations)}) with {loss_description}"
    penalties = [f"L2 λ = {l2:g}"] if l2 else []
    penalties += [f"L1 λ₁ = {l1:g}"] if l1 else []
    return ", ".join([text, *others, *penalties])


@dataclass
class TraceStep:
    """One step: the forward pass, the loss, the backward pass and the updated parameters.

    ``loss_terms`` (``{"data", "l2", "l1"}``, only for a regularized network) splits the
    cost ``J``; ``update`` holds the rule's scalars of the step (Adam's ``t`` and bias
    corrections), and each entry of ``params`` the rule's arrays under ``"update"``.
    """

    step: int
    forward: list[dict[str, Any]]
    loss: float
    backward: list[dict[str, Any]]
    params: list[dict[str, Any]]
    loss_terms: dict[str, float] = field(default_factory=dict)
    update: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of one step; ``loss_terms`` and ``update`` only where they apply."""
        return {
            "step": self.step,
            "forward": self.forward,
            "loss": self.loss,
            **({"loss_terms": self.loss_terms} if self.loss_terms else {}),
            "backward": self.backward,
            "params": self.params,
            **({"update": self.update} if self.update else {}),
        }


@dataclass
class Trace:
    """The record of :func:`trace`; :meth:`to_dict` is the JSON of ``glassnet trace``."""

    steps: list[TraceStep]
    X: Any
    """``A^[0] = X`` in the documents' orientation, ``n_0 × m`` (a sample of any shape is
    one column, its values in row-major order); images ``(m, C, H, W)`` as they are."""
    Y: Matrix
    """The targets, ``n_L × m``."""
    initial: list[dict[str, Any]]
    """The parameters before the first step, as ``params``."""
    activations: list[str]
    loss_name: str
    l2: float
    fused: bool
    """Whether ``δ^[L] = A^[L] − Y`` (sigmoid + BCE, softmax + CCE)."""
    optimizer: dict[str, Any]
    layers: list[LayerInfo]
    loss: Loss
    rule: tuple[RuleLine, ...]
    """The optimizer's rule, written once (:meth:`Optimizer.rule`)."""
    rule_description: str
    l1: float = 0.0
    input_shape: tuple[int, ...] = ()
    name: str = ""
    description: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"steps": [{"step", "forward", "loss", "backward", "params"}, …]}``."""
        return {"steps": [step.to_dict() for step in self.steps]}


def trace(
    network: Network,
    X: Any,
    Y: Any,
    *,
    steps: int = 1,
    optimizer: Optimizer | None = None,
    learning_rate: float = 0.1,
) -> Trace:
    """Train ``network`` for ``steps`` full-batch steps on ``(X, Y)``, recording each one.

    ``X`` is ``(m, *input_shape)`` and ``Y`` the targets as :meth:`Network.fit` takes them.
    The network is updated in place, as training would (dropout draws a new mask each
    step); pass ``network.astype(...)`` to keep the original. Without ``optimizer``, plain
    gradient descent with ``learning_rate``.

    ``steps`` is at most :data:`MAX_STEPS`, and a trace of several steps keeps at most
    :data:`MAX_NUMBERS` numbers: the first step's size says how many steps fit, and a
    ValueError says so before the second step when they do not.
    """
    steps = check_steps("steps", steps)
    X = network.check_X(X)
    Y = network.check_y(Y, X.shape[0])
    optimizer = optimizer if optimizer is not None else SGD(learning_rate)
    infos = layer_infos(network)
    initial = [_params(layer, info) for layer, info in _with_params(network, infos)]
    record = []
    for step in range(1, steps + 1):
        before = [
            to_host({k: v.copy() for k, v in layer.params.items()}) for layer in network.layers
        ]
        # J's penalty terms at the parameters the step starts from (empty without them).
        terms = network.penalty_terms(X.shape[0]) if network.l1 or network.l2 else {}
        # The step of fit; the record is read from the layers after it (the update changes
        # the parameters, not the Z, A, δ and gradients that the step stored).
        loss = network.train_step(X, Y, optimizer)
        forward = [
            _arrays({"layer": info.l, "kind": info.kind}, layer.forward_record(), info)
            for layer, info in zip(network.layers, infos, strict=True)
        ]
        backward = [
            _backward(network, layer, info, before[info.index], X.shape[0])
            for layer, info in reversed(list(zip(network.layers, infos, strict=True)))
            if info.backward_keys
        ]
        params, scalars = _updates(network, infos, optimizer, before)
        if terms:
            terms = {"data": loss - terms["l2"] - terms["l1"], **terms}
        record.append(TraceStep(step, forward, loss, backward, params, terms, scalars))
        if step == 1 and steps > 1:
            _check_size(_count(record[0].to_dict()), steps)
    parametric = network.parametric_layers()
    return Trace(
        steps=record,
        X=shaped(X, per_sample=True),
        Y=columns(Y),
        initial=initial,
        activations=[d.activation.name if d.activation else d.kind for d in parametric],
        loss_name=network.loss.name,
        l2=network.l2,
        fused=network.fused_output,
        optimizer=optimizer.config(),
        layers=infos,
        loss=network.loss,
        rule=optimizer.rule(),
        rule_description=optimizer.describe(),
        l1=network.l1,
        input_shape=network.input_shape,
    )


def _count(record: Any) -> int:
    """The numbers in a step's record (nested dicts and lists of floats)."""
    if isinstance(record, dict):
        return sum(_count(value) for value in record.values())
    if isinstance(record, list):
        return sum(_count(value) for value in record)
    return 1


def _check_size(per_step: int, steps: int) -> None:
    if per_step * steps > MAX_NUMBERS:
        fits = max(1, MAX_NUMBERS // per_step)
        raise ValueError(
            f"steps: {steps:,} steps of this network would keep {per_step * steps:,} numbers "
            f"({per_step:,} per step), more than a trace keeps ({MAX_NUMBERS:,}); trace at "
            f"most {fits:,} step{'s' * (fits != 1)}"
        )


def _with_params(network: Network, infos: list[LayerInfo]) -> list[tuple[Layer, LayerInfo]]:
    return [(layer, info) for layer, info in zip(network.layers, infos, strict=True) if info.params]


def _params(layer: Layer, info: LayerInfo) -> dict[str, Any]:
    return {
        "layer": info.l,
        **{name: shaped(array, per_sample=False) for name, array in layer.params.items()},
    }


def _arrays(entry: dict[str, Any], arrays: dict[str, Any], info: LayerInfo) -> dict[str, Any]:
    """``entry`` with each recorded array: gradients of parameters shaped as the parameter,
    everything else (one row per sample) as ``n × m``."""
    for key, array in arrays.items():
        if array is not None:
            grad_of_param = key.startswith("d") and key[1:] in info.params
            entry[key] = shaped(array, per_sample=not grad_of_param)
    return entry


def _backward(
    network: Network, layer: Layer, info: LayerInfo, before: dict[str, Any], m: int
) -> dict[str, Any]:
    """The backward record, with the L2 and L1 parts of each ``∂J/∂W`` under ``dW_l2`` and
    ``dW_l1``: ``(λ/m) W`` and ``(λ₁/m) sign(W)`` of the ``W`` the step started from."""
    entry = _arrays({"layer": info.l, "kind": info.kind}, layer.backward_record(), info)
    for name in info.regularized:
        if network.l2:
            entry[f"d{name}_l2"] = shaped(network.l2 / m * before[name], per_sample=False)
        if network.l1:
            l1 = network.l1 / m * np.sign(before[name])
            entry[f"d{name}_l1"] = shaped(l1, per_sample=False)
    return entry


def _updates(
    network: Network,
    infos: list[LayerInfo],
    optimizer: Optimizer,
    before: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The parameters after the step, each with the rule's arrays under ``"update"``, and
    the rule's scalars (the same for every parameter)."""
    params: list[dict[str, Any]] = []
    scalars: dict[str, float] = {}
    position = 0  # the optimizer keeps its state by position in network.parameters()
    for layer, info in _with_params(network, infos):
        entry = _params(layer, info)
        entry["update"] = {}
        for name in layer.params:
            explained = optimizer.explain(  # on the host, from a device's arrays
                before[info.index][name],
                to_host(layer.grads[name]),
                to_host(optimizer.state.get(position, {})),
            )
            position += 1
            entry["update"][name] = {
                key: shaped(value, per_sample=False)
                for key, value in explained.items()
                if np.ndim(value)
            }
            scalars |= {k: float(v) for k, v in explained.items() if not np.ndim(v)}
        params.append(entry)
    return params, scalars
