"""safetensors files: a network's weights as PyTorch's ``nn.Sequential`` names them, and a
PyTorch MLP's weights as a glassnet network (the glass box for PyTorch's own models).

The Sequential has one module per step, numbered from 0, and its state dict names each
tensor ``<index>.<name>``. A :class:`~glassnet.layers.Dense` layer is an ``nn.Linear``
(``weight`` is ``W``, ``(n_l, n_{l−1})``: glassnet's orientation is PyTorch's, so nothing
is transposed; ``bias`` is ``b``), with batch norm an ``nn.BatchNorm1d`` after it
(``weight`` ``γ``, ``bias`` ``β``, ``running_mean``, ``running_var``, and
``num_batches_tracked``, written as 0), then its activation's module; an identity
activation has none. Dropout is an ``nn.Dropout`` and flatten an ``nn.Flatten``: no tensors,
but each takes an index. So ``[4, 8, 3]`` with batch norm and dropout is::

    nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, eps=1e-05, momentum=0.1), nn.ReLU(),
                  nn.Dropout(p=0.2), nn.Linear(8, 3))     # 0.weight, 1.running_var, 4.bias…

**Logits.** A PyTorch classifier outputs logits and leaves softmax (sigmoid) to its loss.
Where the output activation and the loss fuse (softmax + cce, sigmoid + bce), the
Sequential ends at the last ``nn.Linear``: its output is glassnet's ``Z^[L]``,
``nn.CrossEntropyLoss()`` on it is glassnet's softmax output with cce, and
``nn.BCEWithLogitsLoss(reduction="sum")(Z, Y) / m`` glassnet's sigmoid with bce (the mean
over samples of a sum over outputs; the default reduction, a mean over both, is the same
for one output). Any other output activation is the Sequential's last module.
glassnet's mse is ``½‖ŷ − y‖²`` per sample: ``n_L/2 · nn.MSELoss()``. Import reads the
other way: without glassnet's metadata, the loss's natural output activation (softmax for
cce, sigmoid for bce, identity for mse) is put on the logits.

**Metadata.** ``glassnet.architecture`` holds JSON: the network's config (layers, loss,
dtype), the Sequential's modules and whether it ends in logits; ``glassnet.pytorch`` the
PyTorch code that loads the file. A file without them (``safetensors.torch.save_file``'s)
needs the activations and the loss given. Sizes come from the shapes; an ``nn.BatchNorm1d``
right after an ``nn.Linear`` goes inside its layer (elsewhere it is a layer of its own),
with PyTorch's ``eps=1e-5``, ``momentum=0.1``; a hidden ``nn.Linear`` directly followed by
another has no activation; dropout leaves no tensor, so only the metadata brings it back.

Batch norm normalizes with the batch's biased variance in training and the running
statistics at inference in both; only ``running_var``'s update differs (PyTorch's uses the
unbiased variance). GELU is glassnet's tanh form, ``nn.GELU(approximate="tanh")``.

A file is untrusted: :mod:`~glassnet.io.safetensors_format` checks its header and tensors
before use, and here their names and shapes must fit the architecture; every refusal is a
:class:`~glassnet.io.ModelFileError` naming the file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..activations import get_activation
from ..backend import resolve_dtype
from ..layers import LAYERS, BatchNorm, Dense, Layer
from ..losses import get_loss
from ..network import Network
from .archive import LIMITS, printable, quoted
from .files import atomic_write_bytes
from .safetensors_format import (
    batch_count,
    fail,
    float_tensor,
    read_safetensors,
    serialized,
)
from .spec_checks import check_spec

ARCHITECTURE_KEY = "glassnet.architecture"
PYTORCH_KEY = "glassnet.pytorch"
FORMAT_VERSION = 1
_LINEAR = {"weight": "W", "bias": "b"}
_BN = {"weight": "gamma", "bias": "beta", "running_mean": "running_mean"}
_BN |= {"running_var": "running_var"}
"""PyTorch's names of a module's tensors, to glassnet's names of its arrays."""
_NAME = re.compile(
    r"((?:[^.]+\.)*?)(\d{1,9})\.(weight|bias|running_mean|running_var|num_batches_tracked)"
)
"""A Sequential's tensor: a prefix the whole state dict shares, the index, the name."""
_PYTORCH_LOSS = {
    "softmax": "nn.CrossEntropyLoss()(logits, y)",
    "sigmoid": 'nn.BCEWithLogitsLoss(reduction="sum")(logits, Y) / m',
}
"""The PyTorch loss on the logits for each fused output activation (see the docstring)."""


@dataclass(frozen=True)
class Module:
    """One module of the ``nn.Sequential``: its index, its PyTorch code, the position of
    the glassnet layer it belongs to, and its tensors' names to glassnet's arrays."""

    index: int
    code: str
    layer: int
    arrays: dict[str, str] = field(default_factory=dict)


def pytorch_modules(layers: list[dict[str, Any]], fused_output: bool) -> list[Module]:
    """The Sequential of the layer configs ``layers`` (see the module docstring); without
    its last activation when ``fused_output`` (the Sequential then ends in logits)."""
    modules: list[Module] = []

    def add(code: str, position: int, arrays: dict[str, str] | None = None) -> None:
        modules.append(Module(len(modules), code, position, arrays or {}))

    for position, config in enumerate(layers):
        kind = config["type"]
        if kind == "dense":
            add(f"nn.Linear({config['n_in']}, {config['n_out']})", position, _LINEAR)
            if config.get("batch_norm"):
                add(_batch_norm_code(config["batch_norm"]), position, _BN)
            if not (fused_output and position == len(layers) - 1):
                code = _activation_code(config["activation"])
                if code is not None:
                    add(code, position)
        elif kind == "batch_norm":
            add(_batch_norm_code(config), position, _BN)
        elif kind == "dropout":
            add(f"nn.Dropout(p={config['rate']})", position)
        elif kind == "flatten":
            add("nn.Flatten()", position)
        else:
            raise NotImplementedError(
                f"layer {position} ({kind}) has no PyTorch module: only dense, batch norm, "
                "dropout and flatten layers do"
            )
    return modules


def _batch_norm_code(config: dict[str, Any]) -> str:
    return f"nn.BatchNorm1d({config['n']}, eps={config['epsilon']}, momentum={config['momentum']})"


def _activation_code(config: Any) -> str | None:
    activation = get_activation(config)
    alpha = getattr(activation, "alpha", None)
    codes = {
        "identity": None,
        "relu": "nn.ReLU()",
        "tanh": "nn.Tanh()",
        "sigmoid": "nn.Sigmoid()",
        "softmax": "nn.Softmax(dim=1)",
        "softplus": "nn.Softplus()",
        "gelu": 'nn.GELU(approximate="tanh")',
        "leaky_relu": f"nn.LeakyReLU(negative_slope={alpha})",
        "elu": f"nn.ELU(alpha={alpha})",
    }
    if activation.name not in codes:
        raise NotImplementedError(f"activation {activation.name!r} has no PyTorch module")
    return codes[activation.name]


def pytorch_code(network: Network) -> str:
    """The PyTorch code that builds ``network``'s Sequential, loads a file of it, and
    computes its output and loss as glassnet does."""
    modules = pytorch_modules(network.config()["layers"], network.fused_output)
    double = ".double()" if network.dtype == np.float64 else ""
    lines = [
        f"model = nn.Sequential({', '.join(m.code for m in modules)}){double}",
        "model.load_state_dict(safetensors.torch.load_file(PATH)); model.eval()",
    ]
    activation = network.output_layer.activation
    assert activation is not None
    if network.fused_output:
        lines.append(
            f"# model(X) gives logits: glassnet's output is torch.{activation.name}(model(X)"
            f"{', dim=1' if activation.name == 'softmax' else ''}); its loss "
            f"({network.loss.description}) is {_PYTORCH_LOSS[activation.name]}"
        )
    else:
        lines.append(f"# loss ({network.loss.description}): J = {network.loss.formula[0]}")
    return "\n".join(lines)


def save_safetensors(
    network: Network, path: str | os.PathLike[str], metadata: dict[str, str] | None = None
) -> Path:
    """Write ``network``'s parameters and buffers to the safetensors file ``path`` so that
    ``nn.Sequential(...).load_state_dict(safetensors.torch.load_file(path))`` loads them
    (the Sequential is in the file's ``glassnet.pytorch`` metadata); return the path.

    ``metadata``: more text to store in the header (str → str), beside glassnet's own
    ``glassnet.architecture`` and ``glassnet.pytorch``. Written atomically.

    Raises
    ------
    NotImplementedError
        For a layer or activation PyTorch has no module for here (a custom one).
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a glassnet Network, got {type(network).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory; give a file name")
    extra = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        raise TypeError("metadata must map strings to strings (safetensors stores only text)")
    if taken := sorted({ARCHITECTURE_KEY, PYTORCH_KEY, "format"} & set(extra)):
        raise ValueError(f"metadata key {taken[0]!r} is glassnet's own; choose another")
    config = network.config()
    modules = pytorch_modules(config["layers"], network.fused_output)
    arrays = network.arrays()
    tensors: dict[str, np.ndarray] = {}
    for module in modules:
        for name, ours in module.arrays.items():
            tensors[f"{module.index}.{name}"] = np.ascontiguousarray(
                arrays[f"layers.{module.layer}.{ours}"]
            )
        if module.arrays is _BN:  # a buffer of PyTorch's alone (a batch count), unused here
            tensors[f"{module.index}.num_batches_tracked"] = np.zeros((), dtype=np.int64)
    architecture = {
        "format_version": FORMAT_VERSION,
        "network": config,
        "sequential": [module.code for module in modules],
        "output": "logits" if network.fused_output else "activation",
    }
    header = {
        **extra,
        "format": "pt",  # PyTorch's layout, as Hugging Face's loaders read this key
        ARCHITECTURE_KEY: json.dumps(architecture),
        PYTORCH_KEY: pytorch_code(network),
    }
    return atomic_write_bytes(path, serialized(tensors, header))


def load_safetensors(
    path: str | os.PathLike[str],
    architecture: Mapping[str, Any] | None = None,
    *,
    dtype: str | None = None,
) -> Network:
    """A glassnet network from the safetensors file of an ``nn.Sequential`` MLP: one that
    :func:`save_safetensors` wrote, or ``safetensors.torch.save_file(model.state_dict(),
    path)`` (tensor names may share a prefix, ``"net.0.weight"``).

    ``architecture``: what the tensors do not say, where the file's metadata does not (it
    then wins over the metadata): ``{"activation": "relu", "loss": "cce"}`` with one
    activation for every hidden layer or a list of one per hidden layer, and optionally
    ``"output_activation"`` (default: the loss's, put on the Sequential's logits).
    ``dtype``: the network's, ``"float32"`` or ``"float64"``; by default float64 when the
    file holds F64 tensors, else float32.

    Raises
    ------
    ModelFileError
        When the file is not a safetensors file of an MLP that fits its architecture.
    ValueError
        When ``architecture`` is not one.
    """
    if architecture is not None:
        architecture = _checked_architecture(architecture)
    chosen = None if dtype is None else resolve_dtype(dtype).name
    path = Path(path)
    tensors, metadata = read_safetensors(path)
    if chosen is None:
        wide = any(array.dtype == np.float64 for array in tensors.values())
        chosen = "float64" if wide else "float32"
    if architecture is not None:
        return _from_state_dict(path, tensors, architecture, chosen)
    if ARCHITECTURE_KEY not in metadata:
        fail(
            path,
            f"it has no {ARCHITECTURE_KEY} metadata, so the activations and the loss must be "
            "given: architecture={'activation': 'relu', 'loss': 'cce'}, or glassnet import "
            "--activation relu --loss cce",
        )
    asked = None if dtype is None else chosen
    return _from_metadata(path, tensors, metadata[ARCHITECTURE_KEY], asked)


def _checked_architecture(architecture: Mapping[str, Any]) -> dict[str, Any]:
    known = ("activation", "loss", "output_activation")
    if unknown := sorted(set(architecture) - set(known)):
        raise ValueError(f"architecture has the unknown key {unknown[0]!r}; it takes {known}")
    if "activation" not in architecture or "loss" not in architecture:
        raise ValueError(
            "architecture needs 'activation' (a name, or a list of one per hidden layer) and "
            f"'loss' (a name), got {dict(architecture)!r}"
        )
    activation = architecture["activation"]
    names = activation if isinstance(activation, list) else [activation]
    for name in [*names, architecture.get("output_activation") or "identity"]:
        get_activation(name)
    return {**architecture, "loss": get_loss(architecture["loss"])}


def _from_metadata(
    path: Path, tensors: dict[str, np.ndarray], text: str, dtype: str | None
) -> Network:
    """The network the file's own architecture describes, each tensor in its place."""
    try:
        architecture = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        fail(path, f"its {ARCHITECTURE_KEY} metadata is not JSON")
    config = architecture.get("network") if isinstance(architecture, dict) else None
    if not isinstance(config, dict):
        fail(path, f"its {ARCHITECTURE_KEY} metadata holds no network")
    version = architecture.get("format_version")
    if type(version) is not int or version > FORMAT_VERSION:
        fail(path, f"its {ARCHITECTURE_KEY} is format {version!r}: upgrade glassnet to read it")
    check_spec(path, {"network": config})  # every size bounded, the loss and dtype named
    config = {**config, "dtype": dtype or config["dtype"]}
    try:
        last = config["layers"][-1]
        output = get_activation(last["activation"]).name if last["type"] == "dense" else None
        fused = get_loss(config["loss"]).fused_activation == output
        modules = pytorch_modules(config["layers"], fused)
        needed = [LAYERS[layer["type"]].array_shapes(layer) for layer in config["layers"]]
    except (KeyError, TypeError, ValueError, NotImplementedError) as exc:
        fail(path, f"its {ARCHITECTURE_KEY} is no network glassnet builds ({_cause(exc)})")
    arrays, left = {}, dict(tensors)
    for module in modules:
        for name, ours in module.arrays.items():
            key = f"{module.index}.{name}"
            if key not in left:
                fail(path, f"it lacks the tensor {key!r}, the {name} of its {module.code}")
            shapes = needed[module.layer]
            assert shapes is not None, "dense and batch norm layers name their arrays' shapes"
            arrays[f"layers.{module.layer}.{ours}"] = float_tensor(
                path, key, left.pop(key), shapes[ours]
            )
        if "running_var" in module.arrays:
            key = f"{module.index}.num_batches_tracked"
            batch_count(path, key, left.pop(key, None))
    if left:
        fail(path, f"it holds the tensor {quoted(min(left))}, which its architecture does not")
    try:
        return Network.from_config(config, arrays)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        fail(path, _cause(exc))


def _from_state_dict(
    path: Path, tensors: dict[str, np.ndarray], architecture: dict[str, Any], dtype: str
) -> Network:
    """The network of a Sequential's tensors, with ``architecture``'s activations and loss
    (see the module docstring for where batch norm goes and when an activation is left out)."""
    prefix, modules = _by_module(path, tensors)
    linears = [index for index in sorted(modules) if not _is_norm(modules[index])]
    given = architecture["activation"]
    if isinstance(given, list) and len(given) != len(linears) - 1:
        raise ValueError(
            f"architecture's activation lists {len(given)} names, but {path} has "
            f"{len(linears) - 1} hidden layers"
        )
    output = architecture.get("output_activation") or architecture["loss"].output_activation
    layers: list[Layer] = []
    width: int | None = None
    inside: set[int] = set()  # the batch norms that sit inside a dense layer
    for index in sorted(modules):
        if index in inside:
            continue
        if _is_norm(modules[index]):
            layers.append(_norm(path, f"{prefix}{index}.", modules[index], width, dtype))
            width = layers[-1].n_out
            continue
        W, b = _linear(path, f"{prefix}{index}.", modules[index], width)
        norm, last = None, index
        if _is_norm(modules.get(index + 1, {})):
            norm = _norm(path, f"{prefix}{index + 1}.", modules[index + 1], W.shape[0], dtype)
            inside.add(index + 1)
            last += 1
        hidden = linears.index(index)
        activation = given[hidden] if isinstance(given, list) and hidden < len(given) else given
        if hidden == len(linears) - 1:
            activation = output
        elif last + 1 in modules:  # nothing between this module and the next: no activation
            if isinstance(given, list) and get_activation(activation).name != "identity":
                fail(path, f"no module follows {prefix}{last} for the activation {activation!r}")
            activation = "identity"
        width = W.shape[0]
        layers.append(
            Dense(W.shape[1], width, activation, W=W, b=b, batch_norm=norm or False, dtype=dtype)
        )
    try:
        return Network(layers, architecture["loss"])
    except ValueError as exc:
        fail(path, _cause(exc))


def _linear(
    path: Path, prefix: str, params: dict[str, Any], width: int | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """An ``nn.Linear``'s ``W`` and ``b`` (``None`` for ``bias=False``: a bias of zeros)."""
    W = float_tensor(path, f"{prefix}weight", params["weight"], None)
    if W.ndim != 2 or min(W.shape) < 1 or (width is not None and W.shape[1] != width):
        needed = f"(n_out, {width})" if width is not None else "(n_out, n_in)"
        fail(path, f"its tensor {quoted(prefix + 'weight')} has shape {W.shape}, not {needed}")
    b = params.get("bias")
    return W, None if b is None else float_tensor(path, f"{prefix}bias", b, (W.shape[0],))


def _by_module(path: Path, tensors: dict[str, np.ndarray]) -> tuple[str, dict[int, dict[str, Any]]]:
    """The tensors of each module index, ``{0: {"weight": …, "bias": …}, …}``, and the
    prefix their names share."""
    prefixes: set[str] = set()
    modules: dict[int, dict[str, np.ndarray]] = {}
    for name, array in tensors.items():
        match = _NAME.fullmatch(name)
        if match is None:
            fail(
                path,
                f"its tensor {quoted(name)} is not named as an nn.Sequential's are ('0.weight', "
                "'0.bias', '1.running_mean', …)",
            )
        if any(n > LIMITS.units for n in array.shape):
            fail(path, f"its tensor {quoted(name)} of shape {array.shape} is too large")
        prefixes.add(match[1])
        modules.setdefault(int(match[2]), {})[match[3]] = array
    if not modules:
        fail(path, "it holds no tensors")
    if len(prefixes) > 1:
        a, b = sorted(prefixes)[:2]
        fail(path, f"its tensors' names start with both {quoted(a)} and {quoted(b)}")
    prefix = prefixes.pop()
    for index, params in modules.items():
        if not _is_norm(params) and (set(params) - {"weight", "bias"} or "weight" not in params):
            names = ", ".join(sorted(params))
            fail(path, f"its module {prefix}{index} ({names}) is no nn.Linear or nn.BatchNorm1d")
    return prefix, modules


def _is_norm(params: dict[str, Any]) -> bool:
    return bool({"running_mean", "running_var", "num_batches_tracked"} & set(params))


def _norm(
    path: Path, prefix: str, params: dict[str, Any], width: int | None, dtype: str
) -> BatchNorm:
    """An ``nn.BatchNorm1d``'s tensors, with PyTorch's default ``eps`` and ``momentum``."""
    left = dict(params)
    batch_count(path, f"{prefix}num_batches_tracked", left.pop("num_batches_tracked", None))
    if missing := sorted(set(_BN) - set(left)):
        fail(path, f"its batch norm {prefix[:-1]} lacks the tensor {prefix}{missing[0]}")
    n = width if width is not None else max(1, int(np.size(left["weight"])))
    ours = {_BN[name]: float_tensor(path, prefix + name, left[name], (n,)) for name in _BN}
    try:
        return BatchNorm(n, momentum=0.1, epsilon=1e-5, dtype=dtype, **ours)
    except ValueError as exc:
        fail(path, f"its batch norm {prefix[:-1]}: {_cause(exc)}")


def _cause(exc: BaseException) -> str:
    return printable(str(exc).strip("'\"") or type(exc).__name__, 200)
