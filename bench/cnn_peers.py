"""The convolutional rows of bench/accuracy.py: one architecture string, two libraries.

glassnet builds the network from the string with
:func:`glassnet.layers.architecture.build_layers`; :func:`torch_model` reads the same
entries (:func:`~glassnet.layers.architecture.parse_architecture`) and builds PyTorch's
``Conv2d``, ``MaxPool2d``/``AvgPool2d``, ``Dropout``, ``Flatten`` and ``Linear`` in the
same order, initialized as glassnet's are: He normal (``fan_in = C·kh·kw`` for a
convolution) for every ReLU layer, Xavier uniform for the softmax output, zero biases.
As in ``build_layers``, the recipe's ``dropout`` adds a dropout after each hidden dense
layer and ``batch_norm`` a batch norm after each convolution's ReLU and before each hidden
dense layer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.layers.architecture import build_layers, parse_architecture


def glassnet_network(
    layers: str,
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    dropout: float,
    batch_norm: bool,
    seed: int,
    l2: float = 0.0,
) -> gn.Network:
    """The network of ``layers`` on ``input_shape`` images, a softmax output of
    ``n_outputs``, ReLU inside, float32."""
    built = build_layers(
        layers,
        tuple(input_shape),
        n_outputs,
        "relu",
        "softmax",
        init=None,
        dropout=dropout,
        batch_norm=batch_norm,
        rng=np.random.default_rng(seed),
        dtype=np.dtype("float32"),
    )
    return gn.Network(built, loss="cce", l2=l2)


def torch_model(
    layers: str, input_shape: Sequence[int], n_outputs: int, *, dropout: float, batch_norm: bool
) -> Any:
    """The same network as :func:`glassnet_network` in PyTorch, logits out (the loss has
    the softmax); draws from torch's global generator (seed it first)."""
    from torch import nn

    def he(layer: Any) -> Any:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")  # glassnet's He normal
        nn.init.zeros_(layer.bias)
        return layer

    modules: list[Any] = []
    channels, flat = int(input_shape[0]), None
    probe_shape = tuple(int(n) for n in input_shape)
    for entry in parse_architecture(layers):
        kind = entry["type"]
        if kind == "conv2d":
            F = entry["out_channels"]
            modules += [
                he(nn.Conv2d(channels, F, entry["kernel_size"], entry["stride"], entry["padding"])),
                nn.ReLU(),
            ]
            if batch_norm or entry["batch_norm"]:
                modules.append(nn.BatchNorm2d(F))
            channels = F
        elif kind in ("max_pool2d", "avg_pool2d"):
            pool = nn.MaxPool2d if kind == "max_pool2d" else nn.AvgPool2d
            modules.append(pool(entry["pool_size"], entry["stride"]))
        elif kind == "dropout":
            modules.append(nn.Dropout(entry["rate"]))
        elif kind == "flatten":
            modules.append(nn.Flatten())
        else:  # dense
            if flat is None:
                flat = _flat_size(modules, probe_shape)
                if not any(isinstance(module, nn.Flatten) for module in modules):
                    modules.append(nn.Flatten())
            modules.append(he(nn.Linear(flat, entry["n_out"])))
            if batch_norm or entry["batch_norm"]:
                modules.append(nn.BatchNorm1d(entry["n_out"]))
            modules.append(nn.ReLU())
            if dropout:
                modules.append(nn.Dropout(dropout))
            flat = entry["n_out"]
    if flat is None:
        flat = _flat_size(modules, probe_shape)
        modules.append(nn.Flatten())
    output = nn.Linear(flat, n_outputs)
    nn.init.xavier_uniform_(output.weight)  # glassnet's default for the softmax output
    nn.init.zeros_(output.bias)
    return nn.Sequential(*modules, output)


def _flat_size(modules: list[Any], input_shape: tuple[int, ...]) -> int:
    """The number of values per sample after ``modules``, found by running a zero image."""
    import torch
    from torch import nn

    with torch.no_grad():
        out = nn.Sequential(*modules).eval()(torch.zeros((1, *input_shape)))
    return int(out.numel())
