"""Networks of any layers from a short description: the ``--layers`` string, or entries.

The string is a comma-separated list of tokens, read from the input up::

    conv32k3,pool2,conv64k3p1,pool2,flatten,128

builds, for an input of shape ``(1, 28, 28)`` and 10 outputs::

    conv32k3     Conv2D(1, 32, 3)           (1, 28, 28)  → (32, 26, 26)
    pool2        MaxPool2D(2)               (32, 26, 26) → (32, 13, 13)
    conv64k3p1   Conv2D(32, 64, 3, 1, 1)    (32, 13, 13) → (64, 13, 13)
    pool2        MaxPool2D(2)               (64, 13, 13) → (64, 6, 6)
    flatten      Flatten()                  (64, 6, 6)   → (2304,)
    128          Dense(2304, 128)           (2304,)      → (128,)
    (output)     Dense(128, 10)             (128,)       → (10,), always appended

The tokens (case does not matter, spaces around them neither):

- ``conv<F>k<K>[s<S>][p<P>]``: a :class:`Conv2D` of ``F`` filters of ``K × K``, stride
  ``S`` (default 1) and ``P`` zeros of padding on each side (default 0), with the hidden
  activation; its input channels are the channels of the layer below.
- ``pool<P>[s<S>]`` or ``maxpool<P>[s<S>]``: a :class:`MaxPool2D` of ``P × P`` windows at
  stride ``S`` (default ``P``); ``avgpool<P>[s<S>]``: an :class:`AvgPool2D`.
- ``bn``: batch norm for the layer just before it. After a dense layer it turns on that
  layer's own batch norm, ``A = f(BN(Z))`` as ``Network.build(batch_norm=True)`` does.
  After a convolution it adds a :class:`BatchNorm2D` over the channels of its output
  ``A`` (a convolution carries its activation, so the normalization comes after it).
- ``dropout<rate>``, e.g. ``dropout0.25``: a :class:`Dropout` of that rate, here.
- ``flatten``: a :class:`Flatten`; it is added by itself before the first dense layer
  when the shape below has more than one axis.
- a bare integer, e.g. ``128``: a hidden :class:`Dense` layer of that many units.

The same layers can be given as entries (from a TOML file's ``[[layers]]`` tables, say),
each a dict with a ``type`` and the arguments the string spells; :func:`parse_architecture`
returns exactly these::

    {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "stride": 1, "padding": 0,
     "batch_norm": False}
    {"type": "max_pool2d", "pool_size": 2, "stride": None}    (or "avg_pool2d")
    {"type": "dropout", "rate": 0.25}
    {"type": "flatten"}
    {"type": "dense", "n_out": 128, "batch_norm": False}

``conv2d`` and ``dense`` entries may also name their own ``activation`` and ``init``.
Every layer is connected to the output shape of the one below (:meth:`Layer.connect`) as
it is built, so an entry that does not fit is named with both shapes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import check_unit_interval
from .base import Layer, check_shape
from .batch_norm2d import BatchNorm2D
from .conv2d import Conv2D
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .pooling import AvgPool2D, MaxPool2D

EXPECTED = (
    "expected conv<F>k<K>[s<S>][p<P>] (e.g. conv32k3), pool<P>[s<S>] or maxpool<P>[s<S>] "
    "(e.g. pool2), avgpool<P>[s<S>], bn, dropout<rate> (e.g. dropout0.25), flatten, or a "
    "number of units (e.g. 128)"
)

_TOKENS = [
    (re.compile(r"conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?"), "conv2d"),
    (re.compile(r"(max|avg)?pool(\d+)(?:s(\d+))?"), "pool"),
    (re.compile(r"bn"), "bn"),
    (re.compile(r"dropout(\d*\.?\d+(?:e-?\d+)?)"), "dropout"),
    (re.compile(r"flatten"), "flatten"),
    (re.compile(r"(\d+)"), "dense"),
]

_KEYS = {
    "conv2d": (
        {"out_channels", "kernel_size"},
        {"stride", "padding", "batch_norm", "activation", "init"},
    ),
    "max_pool2d": ({"pool_size"}, {"stride"}),
    "avg_pool2d": ({"pool_size"}, {"stride"}),
    "dropout": ({"rate"}, set()),
    "flatten": (set(), set()),
    "dense": ({"n_out"}, {"batch_norm", "activation", "init"}),
}
"""Each entry type's required keys and its optional ones (besides ``type`` and ``token``)."""


def parse_architecture(text: str, *, name: str = "layers") -> list[dict[str, Any]]:
    """The entries of an architecture string (see the module's description), in order.

    ``name`` is what error messages call the string (the CLI passes ``"--layers"``); each
    entry keeps the ``token`` it was read from, for the messages of :func:`build_layers`.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string such as 'conv32k3,pool2,128', got {text!r}")
    specs: list[dict[str, Any]] = []
    for position, raw in enumerate(text.split(","), start=1):
        token = raw.strip().lower()
        if not token:
            raise ValueError(
                f"{name}: entry {position} of {text!r} is empty; separate layers with single "
                "commas, e.g. 'conv32k3,pool2,128'"
            )
        spec = _read_token(token)
        if spec is None:
            raise ValueError(f"{name}: {raw.strip()!r} is not a layer; {EXPECTED}")
        if spec["type"] == "bn":
            previous = specs[-1] if specs else None
            if previous is None or previous["type"] not in ("conv2d", "dense"):
                below = "nothing" if previous is None else repr(previous["token"])
                raise ValueError(
                    f"{name}: 'bn' must follow a conv or dense layer (it normalizes that "
                    f"layer), but it follows {below}"
                )
            if previous["batch_norm"]:
                raise ValueError(f"{name}: {previous['token']!r} is followed by 'bn' twice")
            previous["batch_norm"] = True
            continue
        specs.append(spec)
    return specs


def _read_token(token: str) -> dict[str, Any] | None:
    """The entry one lower-case token spells, or ``None`` when it spells none."""
    for pattern, kind in _TOKENS:
        match = pattern.fullmatch(token)
        if match is None:
            continue
        groups = match.groups()
        if kind == "conv2d":
            F, K, S, P = groups
            return {
                "type": "conv2d",
                "out_channels": int(F),
                "kernel_size": int(K),
                "stride": 1 if S is None else int(S),
                "padding": 0 if P is None else int(P),
                "batch_norm": False,
                "token": token,
            }
        if kind == "pool":
            how, P, S = groups
            return {
                "type": "avg_pool2d" if how == "avg" else "max_pool2d",
                "pool_size": int(P),
                "stride": None if S is None else int(S),
                "token": token,
            }
        if kind == "dropout":
            return {"type": "dropout", "rate": float(groups[0]), "token": token}
        if kind == "dense":
            return {"type": "dense", "n_out": int(groups[0]), "batch_norm": False, "token": token}
        return {"type": kind, "token": token}
    return None


def build_layers(
    specs: str | Sequence[dict[str, Any]],
    input_shape: int | tuple[int, ...],
    n_outputs: int,
    activation: str,
    output_activation: str,
    *,
    init: str | None,
    dropout: float,
    batch_norm: bool,
    rng: np.random.Generator,
    dtype: np.dtype[Any],
    name: str = "layers",
) -> list[Layer]:
    """The layers of ``specs`` (a string or its entries) on inputs of ``input_shape``,
    then a dense output layer of ``n_outputs`` units with ``output_activation``.

    As in :func:`~glassnet.layers.stacks.dense_stack`, ``activation`` goes in the hidden
    layers (convolutions included), ``dropout`` adds a :class:`Dropout` of that rate after
    each hidden dense layer, and ``batch_norm`` gives every hidden dense layer its batch
    norm and every convolution a :class:`BatchNorm2D` (as a ``bn`` after each would).
    Each layer is connected to the output shape of the one below; an entry that does not
    fit raises a ``ValueError`` naming its token, the layer and both shapes.
    """
    entries = parse_architecture(specs, name=name) if isinstance(specs, str) else list(specs)
    shape = check_shape("input_shape", input_shape)
    dropout = check_unit_interval("dropout", dropout)
    layers: list[Layer] = []

    def add(layer: Layer, label: str) -> None:
        """Connect ``layer`` to the shape so far, keep it, and move the shape on."""
        nonlocal shape
        try:
            layer.connect(shape)
        except ValueError as exc:
            raise ValueError(f"{name}: {label} does not fit the layer below: {exc}") from None
        layers.append(layer)
        shape = layer.output_shape

    for position, entry in enumerate(entries, start=1):
        kind = _check_entry(entry, position, name)
        label = repr(entry["token"]) if "token" in entry else f"entry {position} ({kind})"
        if kind == "dense" and len(shape) > 1:
            add(Flatten(), "the flatten added before it")
        try:
            made = _make(entry, shape, activation, batch_norm, init, rng, dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {label} cannot be built: {exc}") from None
        for layer in made:
            add(layer, label)
        if kind == "dense" and dropout:
            add(Dropout(shape, dropout, rng=rng), f"the dropout after {label}")
    if len(shape) > 1:
        add(Flatten(), "the flatten added before the output layer")
    output = Dense(shape[0], n_outputs, output_activation, init=init, rng=rng, dtype=dtype)
    add(output, "the output layer")
    return layers


def _check_entry(entry: Any, position: int, name: str) -> str:
    """The entry's type, once its keys are those the type takes."""
    if not isinstance(entry, dict) or entry.get("type") not in _KEYS:
        got = entry.get("type") if isinstance(entry, dict) else entry
        raise ValueError(
            f"{name}: entry {position} has no known type (got {got!r}); expected one of "
            f"{', '.join(map(repr, _KEYS))}"
        )
    kind: str = entry["type"]
    required, optional = _KEYS[kind]
    keys = set(entry) - {"type", "token"}
    if missing := sorted(required - keys):
        raise ValueError(f"{name}: entry {position} ({kind}) lacks {', '.join(missing)}")
    if unknown := sorted(keys - required - optional):
        raise ValueError(
            f"{name}: entry {position} ({kind}) has unknown key(s) {', '.join(unknown)}; it "
            f"takes {', '.join(sorted(required | optional))}"
        )
    return kind


def _make(
    entry: dict[str, Any],
    shape: tuple[int, ...],
    activation: str,
    batch_norm: bool,
    init: str | None,
    rng: np.random.Generator,
    dtype: np.dtype[Any],
) -> list[Layer]:
    """The layer(s) of one checked entry on inputs of ``shape``: a convolution with its
    batch norm makes two."""
    kind = entry["type"]
    if kind == "conv2d":
        if len(shape) != 3:
            raise ValueError(
                "a convolution takes inputs of shape (channels, height, width), but the layer "
                f"below gives outputs of shape {shape}"
            )
        conv = Conv2D(
            shape[0],
            entry["out_channels"],
            entry["kernel_size"],
            entry.get("stride", 1),
            entry.get("padding", 0),
            entry.get("activation", activation),
            init=entry.get("init", init),
            rng=rng,
            dtype=dtype,
        )
        if not (batch_norm or entry.get("batch_norm", False)):
            return [conv]
        return [conv, BatchNorm2D(conv.out_channels, dtype=dtype)]
    if kind in ("max_pool2d", "avg_pool2d"):
        pool = MaxPool2D if kind == "max_pool2d" else AvgPool2D
        return [pool(entry["pool_size"], entry.get("stride"))]
    if kind == "dropout":
        return [Dropout(shape, entry["rate"], rng=rng)]
    if kind == "flatten":
        return [Flatten()]
    return [
        Dense(
            shape[0],
            entry["n_out"],
            entry.get("activation", activation),
            init=entry.get("init", init),
            batch_norm=batch_norm or bool(entry.get("batch_norm", False)),
            rng=rng,
            dtype=dtype,
        )
    ]
