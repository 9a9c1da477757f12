"""ONNX export: the network's inference forward pass as an ONNX graph.

Each :class:`~glassnet.layers.Dense` layer becomes one ``Gemm`` node with ``transB=1``,
``Z = X Wᵀ + b``, the samples-as-rows equation of :mod:`glassnet.layers`, with ``W`` of
shape ``(n_l, n_{l−1})`` and ``b`` stored as initializers, followed by its activation's
node. The input is ``(batch, n_0)`` with a symbolic ``batch``; the output is ``A^[L]``:
probabilities for ``cce`` and ``bce``, values for ``mse``.

A convolutional network takes ``(batch, C, H, W)`` and its layers become ``Conv`` (and its
activation), ``MaxPool``, ``AveragePool``, ``BatchNormalization`` and ``Flatten`` nodes
(see :mod:`glassnet.io.onnx_layers`, which also says how they are written in float64).

Batch norm is folded into the ``Gemm`` before it. At inference it is an affine map of
``Z`` with the running statistics, so with ``s = γ / √(σ² + ε)``::

    BN(W a + b) = s ⊙ (W a + b − μ) + β = W' a + b'
    W' = diag(s) W        b' = s ⊙ (b − μ) + β

(computed in float64, then cast to the network's dtype). The graph is then one ``Gemm``
and one activation per layer, runs as fast as a network without batch norm, and agrees
with glassnet to float32 rounding. Dropout is the identity at inference and is left out.

Activations map to ONNX operators one to one, except:

- GELU (tanh form) is ``Gelu(approximate="tanh")`` from opset 20 on, and written out as
  ``½ z (1 + tanh(√(2/π)(z + 0.044715 z³)))`` with ``Mul``, ``Add`` and ``Tanh`` below;
- in a float64 network, leaky ReLU, ELU, softplus and GELU are written out with
  elementwise operators at every opset: ONNX Runtime's CPU provider has no double kernels
  for ``LeakyRelu``, ``Elu`` and ``Softplus``, and its double ``Gelu`` is off by ~1e-8.

The default opset is 17, which ONNX Runtime has read since 1.13 (late 2022) and most
other runtimes read too; ``opset=20`` or later gives the native ``Gelu`` node.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..activations import ACTIVATIONS, Activation
from ..layers import (
    AvgPool2D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    Reshape,
)
from ..network import Network
from .files import atomic_write_bytes
from .onnx_graph import (
    DEFAULT_OPSET,
    GELU_OPSET,
    INSTALL_HINT,
    MIN_OPSET,
    Graph,
    check_opset,
    labels_json,
    require_onnx,
)
from .onnx_layers import batch_norm2d, conv2d, folded_norms, pool2d

if TYPE_CHECKING:
    import onnx

__all__ = [
    "DEFAULT_OPSET",
    "GELU_OPSET",
    "INSTALL_HINT",
    "MIN_OPSET",
    "add_network",
    "export_onnx",
    "network_props",
    "network_summary",
]

# Activations with an ONNX operator of their own (leaky ReLU's and ELU's ``alpha`` included).
_ONE_TO_ONE = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "leaky_relu": "LeakyRelu",
    "elu": "Elu",
    "softplus": "Softplus",
}
# The layers of a convolutional network, whose nodes are in onnx_layers.
_CONVOLUTIONAL = (Conv2D, MaxPool2D, AvgPool2D, BatchNorm2D)
# Those written out with elementwise operators in float64 (see the module docstring).
_WRITTEN_OUT_IN_FLOAT64 = {"leaky_relu", "elu", "softplus", "gelu"}


def export_onnx(
    network: Network,
    path: str | os.PathLike[str],
    *,
    opset: int | None = None,
    input_name: str = "X",
    output_name: str | None = None,
    classes: Sequence[Any] | None = None,
) -> Path:
    """Write ``network``'s inference forward pass to the ONNX file ``path``; return the path.

    ``classes``: the label of each output class, stored as JSON in the model's metadata
    (``classes``) with its type (``[0, 1]``, ``["no", "yes"]``, ``[false, true]``), so
    that a runtime turns the probabilities back into the labels the model was trained on.

    The model takes ``input_name`` of shape ``(batch, n_0)`` in the network's dtype
    (float32 or float64) and gives ``output_name`` of shape ``(batch, n_L)``: by default
    ``"probabilities"`` for ``cce`` and ``bce``, ``"values"`` for ``mse``. Batch norm is
    folded into the weights and dropout left out (see :mod:`glassnet.io.onnx`). For a
    tabular model on raw rows (its preprocessing, labels and units in the graph too), see
    :func:`glassnet.io.onnx_raw.to_onnx`.

    ``opset`` is the ONNX operator set, ``13`` or later, default ``17``. The file is
    checked with ``onnx.checker`` and written atomically (a temporary file in the same
    folder renamed over ``path``).

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    IsADirectoryError
        When ``path`` is a directory.
    NotImplementedError
        When a layer or activation has no ONNX form (a custom one).

    >>> export_onnx(net, "mnist.onnx")  # doctest: +SKIP
    """
    onnx = require_onnx()
    if not isinstance(network, Network):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"path {str(path)!r} is a directory; give a file name such as "
            f"{str(path / 'model.onnx')!r}"
        )
    opset = check_opset(opset, onnx.defs.onnx_opset_version())
    if output_name is None:
        output_name = "probabilities" if network.loss.is_classification else "values"
    for name, value in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if input_name == output_name:
        raise ValueError(f"input_name and output_name must differ, both are {input_name!r}")

    model = _build_model(network, opset, input_name, output_name)
    if classes is not None:
        onnx.helper.set_model_props(
            model,
            {**{p.key: p.value for p in model.metadata_props}, "classes": labels_json(classes)},
        )
    onnx.checker.check_model(model, full_check=True)
    return atomic_write_bytes(path, model.SerializeToString())


def add_network(graph: Graph, network: Network, input_name: str, output_name: str) -> str:
    """Append ``network``'s inference forward pass to ``graph``: from ``input_name``
    ``(batch, *input_shape)`` in the network's dtype to ``output_name`` ``(batch, n_L)``,
    ``A^[L]``; returns ``output_name``."""
    A = input_name
    first = next(layer for layer in network.layers if not isinstance(layer, Dropout))
    if len(network.input_shape) > 1 and not isinstance(first, Flatten):
        # (batch, C, H, W) whatever the input's layout: a no-op on images, and what lets a
        # graph whose input is flat rows of C·H·W values (a tabular model's) feed them.
        shape = graph.constant("input.shape", [-1, *network.input_shape], np.int64)
        A = graph.node("Reshape", [A, shape], "input.images")
    counts: Counter[str] = Counter()
    folded = folded_norms(network.layers)  # by the Conv below them, which does them
    done = {id(norm) for norm in folded.values()}
    for position, layer in enumerate(network.layers, start=1):
        if isinstance(layer, Dropout) or id(layer) in done:
            continue  # dropout is the identity at inference
        output = output_name if layer is network.output_layer else None
        counts[layer.kind] += 1
        index = counts[layer.kind]  # the documents' l counts Dense layers; Conv2D alike
        if isinstance(layer, Flatten):
            A = graph.node("Flatten", [A], f"flatten{position}.A", axis=1)
        elif isinstance(layer, Reshape):  # rows of pixels laid out as images
            shape = graph.constant(f"reshape{position}.shape", [-1, *layer.output_shape], np.int64)
            A = graph.node("Reshape", [A, shape], f"reshape{position}.A")
        elif isinstance(layer, Dense):
            A = _dense(graph, layer, index, A, output)
        elif isinstance(layer, Conv2D):
            A = _conv(graph, layer, index, A, folded.get(id(layer)))
        elif isinstance(layer, MaxPool2D | AvgPool2D):
            kind = "maxpool" if isinstance(layer, MaxPool2D) else "avgpool"
            A = pool2d(graph, layer, f"{kind}{index}", A)
        elif isinstance(layer, BatchNorm2D):
            A = batch_norm2d(graph, layer, f"bn{index}", A)
        else:
            raise NotImplementedError(
                f"layer {position} ({layer!r}) cannot be exported to ONNX: only Dense, "
                "Dropout and Flatten layers, Reshape, and the convolutional ones (Conv2D, "
                "MaxPool2D, AvgPool2D, BatchNorm2D) can"
            )
    if A != output_name:  # the last layer is not Dense (a network of Flatten alone)
        A = graph.node("Identity", [A], output_name)
    return A


def _sizes(network: Network) -> list[int]:
    """``n_0`` (one sample's values, flattened) and each Dense layer's units."""
    return [
        network.n_features,
        *(layer.n_out for layer in network.layers if isinstance(layer, Dense)),
    ]


def _activations(network: Network) -> list[str]:
    return [layer.activation.name for layer in network.layers if isinstance(layer, Dense | Conv2D)]


def _convolutional(network: Network) -> bool:
    return any(isinstance(layer, _CONVOLUTIONAL) for layer in network.layers)


def _batch_norm(network: Network) -> str:
    """How the network's batch norm is exported, for the metadata: ``"none"``, or one or
    more of ``"folded into Gemm"``, ``"folded into Conv"``, ``"BatchNormalization"``."""
    folded = {id(norm) for norm in folded_norms(network.layers).values()}
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    norms = [layer for layer in network.layers if isinstance(layer, BatchNorm2D)]
    ways = [
        way
        for way, used in (
            ("folded into Gemm", any(layer.norm is not None for layer in dense)),
            ("folded into Conv", any(id(norm) in folded for norm in norms)),
            ("BatchNormalization", any(id(norm) not in folded for norm in norms)),
        )
        if used
    ]
    return ", ".join(ways) or "none"


def network_summary(network: Network) -> str:
    """``"a 6-9-3 multilayer perceptron (relu, softmax), loss cce, float32"``, or for a
    convolutional network its layers: ``"a convolutional network on inputs of shape
    (1, 8, 8) (Conv2D(1, 4, 3, activation='relu') → MaxPool2D(2) → ...), loss cce, ..."``."""
    tail = f"loss {network.loss.name}, {network.dtype.name}"
    if _convolutional(network):
        layers = " → ".join(repr(layer) for layer in network.layers)
        return (
            f"a convolutional network on inputs of shape {network.input_shape} ({layers}), {tail}"
        )
    return (
        f"a {'-'.join(map(str, _sizes(network)))} multilayer perceptron "
        f"({', '.join(_activations(network))}), {tail}"
    )


def network_props(network: Network) -> dict[str, str]:
    """The network's metadata in an exported model: loss, input shape, sizes (``n_0``
    and each Dense layer's), activations (of the Dense and Conv2D layers), dtype, and how
    batch norm is exported."""
    return {
        "loss": network.loss.name,
        "input_shape": json.dumps(list(network.input_shape)),
        "layer_sizes": json.dumps(_sizes(network)),
        "activations": json.dumps(_activations(network)),
        "dtype": network.dtype.name,
        "batch_norm": _batch_norm(network),
    }


def _build_model(
    network: Network, opset: int, input_name: str, output_name: str
) -> onnx.ModelProto:
    """The ONNX model of ``network``'s inference forward pass (see :func:`export_onnx`)."""
    import onnx.helper

    from .._version import __version__

    graph = Graph(network.dtype, opset)
    add_network(graph, network, input_name, output_name)
    taken = graph.clashes([input_name], [output_name])
    if taken:
        raise ValueError(
            f"input_name {input_name!r} or output_name {output_name!r} is also the name of "
            f"a tensor inside the graph ({', '.join(taken)}); choose another"
        )
    elem_type = onnx.helper.np_dtype_to_tensor_dtype(network.dtype)
    folded = {
        "folded into Gemm": " Batch norm is folded into each Gemm's W and b.",
        "folded into Conv": " Batch norm after an identity Conv is folded into its W and b.",
    }
    doc = (
        f"glassnet {__version__}: {network_summary(network)}. "
        f"Input {input_name!r} (batch, {', '.join(map(str, network.input_shape))}); "
        f"output {output_name!r} (batch, {network.n_outputs}) is A^[L]."
        + "".join(text for way, text in folded.items() if way in _batch_norm(network))
    )
    return graph.model(
        [
            onnx.helper.make_tensor_value_info(
                input_name, elem_type, ["batch", *network.input_shape]
            )
        ],
        [onnx.helper.make_tensor_value_info(output_name, elem_type, ["batch", network.n_outputs])],
        doc,
        network_props(network),
    )


def _dense(graph: Graph, layer: Dense, index: int, A_prev: str, output: str | None) -> str:
    """``A^[l] = f(A^[l−1] Wᵀ + b)`` (batch norm folded into ``W``, ``b``) for ``l = index``;
    returns ``A^[l]``'s name, ``output`` when given."""
    activation = _checked_activation(layer, f"Dense layer {index}")
    A = output or f"dense{index}.A"
    Z = A if activation.name == "identity" else f"dense{index}.Z"
    W, b = _folded_parameters(layer)
    W_name, b_name = graph.constant(f"dense{index}.W", W), graph.constant(f"dense{index}.b", b)
    graph.node("Gemm", [A_prev, W_name, b_name], Z, transB=1)
    if activation.name != "identity":
        _activation(graph, activation, Z, A)
    return A


def _conv(graph: Graph, layer: Conv2D, index: int, A_prev: str, norm: BatchNorm2D | None) -> str:
    """``A^[l] = f(W ∗ A^[l−1] + b)`` (``norm`` folded into ``W``, ``b``), its nodes in
    :mod:`glassnet.io.onnx_layers`; returns ``A^[l]``'s name."""
    activation = _checked_activation(layer, f"Conv2D layer {index}")
    A = f"conv{index}.A"
    Z = A if activation.name == "identity" else f"conv{index}.Z"
    conv2d(graph, layer, f"conv{index}", A_prev, Z, norm)
    if activation.name != "identity":
        _activation(graph, activation, Z, A)
    return A


def _checked_activation(layer: Dense | Conv2D, label: str) -> Activation:
    """The layer's activation, or a NotImplementedError when it is not glassnet's own."""
    activation = layer.activation
    if ACTIVATIONS.get(activation.name) is not type(activation):
        raise NotImplementedError(
            f"{label} ({layer!r}) cannot be exported to ONNX: its activation "
            f"{type(activation).__name__} ({activation.name!r}) is not one of glassnet's "
            f"own ({', '.join(sorted(ACTIVATIONS))})"
        )
    return activation


def _folded_parameters(layer: Dense) -> tuple[np.ndarray, np.ndarray]:
    """``W' = diag(s) W`` and ``b' = s ⊙ (b − μ) + β`` with ``s = γ / √(σ² + ε)``, in
    float64; ``W`` and ``b`` themselves when the layer has no batch norm."""
    W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
    norm = layer.norm
    if norm is None:
        return W, b
    gamma, beta, mean, var = (
        np.asarray(array, dtype=np.float64)
        for array in (norm.gamma, norm.beta, norm.running_mean, norm.running_var)
    )
    s = gamma / np.sqrt(var + norm.epsilon)
    return W * s[:, None], s * (b - mean) + beta


def _activation(graph: Graph, activation: Activation, Z: str, A: str) -> None:
    """The nodes of ``A = f(Z)``."""
    name = activation.name
    alpha = getattr(activation, "alpha", None)
    attributes: dict[str, Any] = {} if alpha is None else {"alpha": float(alpha)}
    written_out = name in _WRITTEN_OUT_IN_FLOAT64 and graph.dtype == np.float64
    if name == "softmax":
        graph.node("Softmax", [Z], A, axis=-1)
    elif name == "gelu":
        if graph.opset >= GELU_OPSET and not written_out:
            graph.node("Gelu", [Z], A, approximate="tanh")
        else:
            _gelu(graph, Z, A)
    elif written_out:
        _written_out(graph, name, attributes.get("alpha", 0.0), Z, A)
    else:
        graph.node(_ONE_TO_ONE[name], [Z], A, **attributes)


def _gelu(graph: Graph, Z: str, A: str) -> None:
    """``A = ½ Z (1 + tanh(u))``, ``u = √(2/π)(Z + 0.044715 Z³)``, as glassnet's GELU."""
    from ..activations import GELU

    Z2 = graph.node("Mul", [Z, Z], f"{A}.z2")
    Z3 = graph.node("Mul", [Z2, Z], f"{A}.z3")
    kZ3 = graph.node("Mul", [Z3, graph.scalar(GELU._K)], f"{A}.kz3")
    u = graph.node(
        "Mul", [graph.node("Add", [Z, kZ3], f"{A}.z+kz3"), graph.scalar(GELU._C)], f"{A}.u"
    )
    one_plus_T = graph.node(
        "Add", [graph.node("Tanh", [u], f"{A}.tanh"), graph.scalar(1.0)], f"{A}.1+tanh"
    )
    half_Z = graph.node("Mul", [Z, graph.scalar(0.5)], f"{A}.z/2")
    graph.node("Mul", [half_Z, one_plus_T], A)


def _written_out(graph: Graph, name: str, alpha: float, Z: str, A: str) -> None:
    """Leaky ReLU, ELU and softplus with elementwise operators that have double kernels."""
    zero = graph.scalar(0.0)
    if name == "softplus":
        # log(1 + e^z) = max(z, 0) + log(1 + e^{−|z|}): no overflow for large |z|.
        negative_abs = graph.node("Neg", [graph.node("Abs", [Z], f"{A}.|z|")], f"{A}.-|z|")
        one_plus = graph.node(
            "Add", [graph.node("Exp", [negative_abs], f"{A}.exp"), graph.scalar(1.0)], f"{A}.1+exp"
        )
        log = graph.node("Log", [one_plus], f"{A}.log")
        graph.node("Add", [graph.node("Max", [Z, zero], f"{A}.max"), log], A)
        return
    if name == "leaky_relu":
        negative = graph.node("Mul", [Z, graph.scalar(alpha)], f"{A}.negative")
    else:  # elu: α(e^{min(z, 0)} − 1), as glassnet computes it
        exp = graph.node("Exp", [graph.node("Min", [Z, zero], f"{A}.min")], f"{A}.exp")
        negative = graph.node(
            "Mul",
            [graph.node("Sub", [exp, graph.scalar(1.0)], f"{A}.exp-1"), graph.scalar(alpha)],
            f"{A}.negative",
        )
    positive = graph.node("Greater", [Z, zero], f"{A}.z>0")
    graph.node("Where", [positive, Z, negative], A)
