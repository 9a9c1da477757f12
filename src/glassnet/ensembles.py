"""Several trained networks of one shape as one wider network that averages them.

K networks of dense layers, alike but for their weights, become one network whose
output layer sees all K hidden stacks side by side::

    Z^[1]  = [W₁^[1]; …; W_K^[1]] A^[0] + [b₁^[1]; …; b_K^[1]]     (the rows stacked)
    Z^[l]  = diag(W₁^[l], …, W_K^[l]) A^[l−1] + [b₁^[l]; …]        (hidden layers: blocks)
    Z^[L]  = (1/K) [W₁^[L] … W_K^[L]] A^[L−1] + (1/K) Σ_k b_k^[L]

so ``Z^[L]`` is the mean of the K networks' ``Z^[L]``, exactly: a regression network's
output is the mean prediction, a classifier's the softmax (or sigmoid) of the mean logits.
Each hidden unit keeps its own activation, batch-norm parameters and running statistics,
so the K stacks never mix until the output. The result is a plain network: the model
file, ONNX export, the glass box and prediction need nothing new. The blocks off the
diagonal are zeros, so a network of several hidden layers costs K² times one network's
products there; one hidden layer (the tables' default) costs K times.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backend import to_host
from .layers.architecture import parse_architecture
from .network import Network

MERGEABLE = ("dense", "dropout", "flatten")
"""The layer types a merge knows: dense layers (with or without batch normalization), the
dropout between them, which acts unit by unit, and below the first dense layer a dropout
or flatten of the input, which every member shares unchanged."""

MAX_PARAMETERS = 50_000_000
"""The largest averaged network a merge builds (200 MB of float32): hidden layers after the
first grow K² times, as blocks on a diagonal, and a crafted ensemble should not exhaust
memory after every run has trained."""


def averageable(
    layers: Sequence[int | str], k: int, input_shape: Any = None, n_features: int | None = None
) -> bool:
    """Whether :func:`check_averageable` would let ``k`` such networks be merged."""
    try:
        check_averageable(layers, k, input_shape, n_features)
    except ValueError:
        return False
    return True


def check_averageable(
    layers: Sequence[int | str], k: int, input_shape: Any = None, n_features: int | None = None
) -> None:
    """Refuse, before any training, ``k`` networks of hidden ``layers`` (sizes and tokens,
    as ``--layers`` takes them) that :func:`average_networks` could not merge; with
    ``n_features``, also a merge over :data:`MAX_PARAMETERS` (counting one output)."""
    if input_shape:
        raise ValueError(
            "networks laid out as images (input_shape) cannot be averaged into one; "
            "train one (ensemble 1, --ensemble 1)"
        )
    specs = parse_architecture(",".join(str(item) for item in layers))
    others = [s["token"] for s in specs if s["type"] not in MERGEABLE]
    dense = [i for i, s in enumerate(specs) if s["type"] == "dense"]
    others += [
        s["token"] for i, s in enumerate(specs) if s["type"] == "flatten" and dense and i > dense[0]
    ]
    if others:
        raise ValueError(
            f"only dense networks can be averaged into one; the layers have {', '.join(others)} "
            "(train one network: ensemble 1, --ensemble 1)"
        )
    if n_features is not None and dense:
        sizes = [n_features, *(specs[i]["n_out"] for i in dense), 1]
        shapes = [{"n_in": a, "n_out": b} for a, b in itertools.pairwise(sizes)]
        size = _merged_parameters(shapes, k)
        if size > MAX_PARAMETERS:
            raise ValueError(
                f"{k} networks of these layers averaged would hold {size:,} parameters; "
                f"at most {MAX_PARAMETERS:,}"
            )


def average_networks(networks: Sequence[Network]) -> Network:
    """One network whose ``Z^[L]`` is the mean of the ``networks``' (see the module).

    Every network must have the same layers, sizes, activations, loss and dtype, of the
    types in :data:`MERGEABLE`, and the output layer no batch normalization (normalizing
    the mean is not the mean of the normalized). One network is returned as a copy.
    """
    if not networks:
        raise ValueError("average_networks needs at least one network")
    first = networks[0].config()
    for position, network in enumerate(networks[1:], start=2):
        if _shape_of(network.config()) != _shape_of(first):
            raise ValueError(
                f"network {position} differs in its layers from network 1; only networks "
                "of the same layers, sizes, loss and dtype can be averaged"
            )
    kinds = {layer["type"] for layer in first["layers"]}
    if unknown := sorted(kinds - set(MERGEABLE)):
        raise ValueError(
            f"only dense networks can be averaged into one; these have {', '.join(unknown)}"
        )
    dense = [i for i, layer in enumerate(first["layers"]) if layer["type"] == "dense"]
    if first["layers"][dense[-1]].get("batch_norm"):
        raise ValueError("a network whose output layer has batch normalization cannot be averaged")
    if [
        i for i, layer in enumerate(first["layers"]) if layer["type"] == "flatten" and i > dense[0]
    ]:
        raise ValueError("only a flatten below the first dense layer can be averaged")
    mixing = {first["layers"][i]["activation"]["name"] for i in dense[:-1]} & {"softmax"}
    if mixing:  # a unit's A must depend on its own Z only, or the stacks would mix
        raise ValueError("hidden layers with a softmax activation cannot be averaged")
    k = len(networks)
    size = _merged_parameters([first["layers"][i] for i in dense], k)
    if size > MAX_PARAMETERS:
        raise ValueError(
            f"{k} networks averaged would hold {size:,} parameters; at most {MAX_PARAMETERS:,}"
        )
    arrays = [{key: np.asarray(a) for key, a in to_host(n.arrays()).items()} for n in networks]
    config: dict[str, Any] = {**first, "layers": []}
    merged: dict[str, Any] = {}
    for position, layer in enumerate(first["layers"]):
        prefix = f"layers.{position}."
        own = [
            {key[len(prefix) :]: a for key, a in each.items() if key.startswith(prefix)}
            for each in arrays
        ]
        role = _role(position, dense)
        widened = _widen(layer, role, k)
        config["layers"].append(widened)
        for name, array in _merge_arrays(own, role, k).items():
            merged[prefix + name] = array
    return Network.from_config(config, merged)


def _merged_parameters(dense: list[dict[str, Any]], k: int) -> int:
    """The averaged network's weights and biases (batch norm's few left out)."""
    if len(dense) == 1:
        return dense[0]["n_in"] * dense[0]["n_out"] + dense[0]["n_out"]
    first, *hidden, last = dense
    total = k * first["n_out"] * (first["n_in"] + 1)
    total += sum(k * layer["n_out"] * (k * layer["n_in"] + 1) for layer in hidden)
    return total + last["n_out"] * (k * last["n_in"] + 1)


def _role(position: int, dense: list[int]) -> str:
    """``input`` (below the first dense layer: shared, unchanged), ``only`` (no hidden
    layer: the mean of the weights is the mean of the outputs), ``first``, ``output`` or
    ``hidden``; a dropout between dense layers is ``hidden``."""
    if position < dense[0]:
        return "input"
    if position == dense[0] == dense[-1]:
        return "only"
    if position == dense[-1]:
        return "output"
    return "first" if position == dense[0] else "hidden"


def _shape_of(config: dict[str, Any]) -> Any:
    """What must agree between the networks: everything but the weights' initializer."""
    return (
        [
            {key: value for key, value in layer.items() if key != "init"}
            for layer in config["layers"]
        ],
        config["loss"],
        config["dtype"],
    )


def _widen(layer: dict[str, Any], role: str, k: int) -> dict[str, Any]:
    """The layer's config K times as wide where its units are (its input, its output)."""
    widened = dict(layer)
    if role in ("only", "input"):
        return widened
    if layer["type"] == "dropout":
        widened["n"] = layer["n"] * k
        return widened
    if role != "first":
        widened["n_in"] = layer["n_in"] * k
    if role != "output":
        widened["n_out"] = layer["n_out"] * k
        if layer.get("batch_norm"):
            widened["batch_norm"] = {**layer["batch_norm"], "n": layer["n_out"] * k}
    return widened


def _merge_arrays(own: list[dict[str, np.ndarray]], role: str, k: int) -> dict[str, np.ndarray]:
    """Each array of the K layers merged as the module's equations say."""
    if not own[0]:
        return {}
    merged: dict[str, np.ndarray] = {}
    for name in own[0]:
        parts = [each[name] for each in own]
        if role == "only":  # W and b: Z is linear in them
            merged[name] = np.mean(parts, axis=0, dtype=np.float64).astype(parts[0].dtype)
        elif name == "W":
            if role == "first":
                merged[name] = np.concatenate(parts, axis=0)
            elif role == "hidden":
                merged[name] = _block_diagonal(parts)
            else:
                merged[name] = np.concatenate(parts, axis=1) / parts[0].dtype.type(k)
        elif name == "b" and role == "output":
            merged[name] = np.mean(parts, axis=0, dtype=np.float64).astype(parts[0].dtype)
        else:  # a bias or batch norm's γ, β and running statistics: one value a unit
            merged[name] = np.concatenate(parts, axis=0)
    return merged


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    """The K blocks on the diagonal of one matrix, zeros elsewhere: unit stacks that never
    read each other's activations."""
    rows, cols = blocks[0].shape
    out = np.zeros((rows * len(blocks), cols * len(blocks)), dtype=blocks[0].dtype)
    for i, block in enumerate(blocks):
        out[i * rows : (i + 1) * rows, i * cols : (i + 1) * cols] = block
    return out
