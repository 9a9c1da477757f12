"""Trace specs: a network with explicit weights, its data and its training rule, typed in
the way a textbook writes an example (JSON or TOML).

.. code-block:: json

    {"layers": [{"activation": "relu",    "W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05]},
                {"activation": "relu",    "W": [[0.5, 0.6], [0.7, 0.8]], "b": [0.1, 0.1]},
                {"activation": "sigmoid", "W": [[0.9, 1.0]],             "b": [0.15]}],
     "loss": "bce", "learning_rate": 0.1, "X": [[0.5, 1.0]], "Y": [[1.0]]}

``W`` of layer ``l`` is ``n_l × n_{l−1}`` as in the documents; ``X`` and ``Y`` list samples
as rows. Optional keys: ``l2`` (λ of document 001), ``optimizer`` (a name or a table with
``name`` and its settings; default plain gradient descent with ``learning_rate``),
``dtype`` (default float64), ``steps``, and ``name`` / ``description`` / ``source``.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..activations import get_activation
from ..backend import Array, resolve_dtype
from ..layers import Dense
from ..losses import get_loss
from ..network import Network
from ..optimizers import SGD, Optimizer, get_optimizer

if TYPE_CHECKING:
    from .trace import Trace

KNOWN_KEYS = {
    "layers",
    "loss",
    "learning_rate",
    "X",
    "Y",
    "l2",
    "optimizer",
    "dtype",
    "steps",
    "name",
    "description",
    "source",
}
LAYER_KEYS = {"activation", "W", "b"}


class SpecError(ValueError):
    """A trace spec that is missing a key or whose values do not fit together."""


@dataclass
class TraceSpec:
    """A parsed spec: the network, the data as the network takes it, and the rule."""

    network: Network
    X: Array
    Y: Array
    optimizer: Optimizer
    steps: int = 1
    name: str = ""
    description: str = ""
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def run(self, steps: int | None = None) -> Trace:
        """Trace ``steps`` (default: the spec's) training steps of this spec's network."""
        from .trace import trace

        record = trace(
            self.network, self.X, self.Y, steps=steps or self.steps, optimizer=self.optimizer
        )
        record.name, record.description, record.source = self.name, self.description, self.source
        return record


def load_spec(path: str | os.PathLike[str]) -> TraceSpec:
    """Read a spec from a ``.json`` or ``.toml`` file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a spec file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"spec file {str(path)!r} does not exist") from None
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise SpecError(f"{path}: not valid {kind}: {exc}") from None
    return parse_spec(raw, source=str(path))


def parse_spec(raw: Any, source: str = "spec") -> TraceSpec:
    """Check a spec's keys and shapes and build what it describes."""
    where = source
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a spec is a table of keys (layers, loss, X, Y, …)")
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(KNOWN_KEYS)}")
    for key, meaning in (
        ("layers", "the list of layers"),
        ("loss", "mse, bce or cce"),
        ("X", "the inputs, one row per sample"),
        ("Y", "the targets, one row per sample"),
    ):
        if key not in raw:
            raise SpecError(f"{where}: missing key {key!r} ({meaning})")
    dtype = resolve_dtype(raw.get("dtype", "float64"))
    layers_raw = raw["layers"]
    if not isinstance(layers_raw, list) or not layers_raw:
        raise SpecError(f"{where}: 'layers' must be a non-empty list of layers")
    layers = [_layer(where, index, spec, dtype) for index, spec in enumerate(layers_raw, start=1)]
    for lower, upper, index in zip(layers, layers[1:], range(2, len(layers) + 1), strict=False):
        if upper.n_in != lower.n_out:
            raise SpecError(
                f"{where}: layer {index}: W is {upper.n_out} × {upper.n_in}, but layer {index - 1} "
                f"has {lower.n_out} unit(s), so W^[{index}] must be {upper.n_out} × {lower.n_out}"
            )
    try:
        loss = get_loss(raw["loss"])
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: loss: {exc}") from None
    network = Network(layers, loss, l2=_number(where, raw, "l2", 0.0))
    X = _matrix(where, raw["X"], "X", dtype)
    if X.shape[1] != network.n_features:
        raise SpecError(
            f"{where}: X has {X.shape[1]} column(s), but layer 1's W is "
            f"{layers[0].n_out} × {layers[0].n_in}: each row of X needs {layers[0].n_in} value(s)"
        )
    Y = _matrix(where, raw["Y"], "Y", dtype)
    if Y.shape[0] != X.shape[0]:
        raise SpecError(
            f"{where}: X has {X.shape[0]} row(s) but Y has {Y.shape[0]}: one per sample"
        )
    try:
        Y = network.check_y(Y, X.shape[0], name="Y")
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
    steps = int(_number(where, raw, "steps", 1))
    if steps < 1:
        raise SpecError(f"{where}: steps must be ≥ 1, got {steps}")
    return TraceSpec(
        network=network,
        X=X,
        Y=Y,
        optimizer=_optimizer(where, raw),
        steps=steps,
        name=str(raw.get("name", "")),
        description=str(raw.get("description", "")),
        source=str(raw.get("source", "")),
        raw=raw,
    )


def _layer(where: str, index: int, spec: Any, dtype: np.dtype[Any]) -> Dense:
    here = f"{where}: layer {index}"
    if not isinstance(spec, dict):
        raise SpecError(f"{here}: a layer is a table with activation, W and b")
    unknown = sorted(set(spec) - LAYER_KEYS)
    if unknown:
        raise SpecError(f"{here}: unknown key(s) {unknown}; a layer has activation, W and b")
    if "W" not in spec:
        raise SpecError(f"{here}: missing key 'W' (the n_l × n_(l-1) weight matrix)")
    W = _matrix(here, spec["W"], "W", dtype)
    try:
        activation = get_activation(spec.get("activation", "identity"))
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: activation: {exc}") from None
    b = spec.get("b")
    if b is not None:
        b_array = np.asarray(b, dtype=float)
        if b_array.reshape(-1).shape != (W.shape[0],) or b_array.ndim > 2:
            raise SpecError(
                f"{here}: b has shape {b_array.shape}, but W has {W.shape[0]} row(s): "
                f"b^[{index}] needs {W.shape[0]} value(s)"
            )
        b = b_array.reshape(-1)
    return Dense(W.shape[1], W.shape[0], activation, W=W, b=b, dtype=dtype)


def _matrix(where: str, value: Any, key: str, dtype: np.dtype[Any]) -> Array:
    try:
        array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise SpecError(
            f"{where}: {key} must be a matrix of numbers (a list of equal rows)"
        ) from None
    if array.ndim == 1:
        array = array.reshape(1, -1) if key in ("X", "Y") else array.reshape(-1, 1)
    if array.ndim != 2 or array.size == 0:
        raise SpecError(f"{where}: {key} must be a non-empty matrix, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise SpecError(f"{where}: {key} contains NaN or inf")
    return array


def _number(where: str, raw: dict[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _optimizer(where: str, raw: dict[str, Any]) -> Optimizer:
    spec = raw.get("optimizer")
    if spec is None:
        if "learning_rate" not in raw:
            raise SpecError(
                f"{where}: missing key 'learning_rate' (α of gradient descent), or an 'optimizer'"
            )
        try:
            return SGD(_number(where, raw, "learning_rate", 0.0))
        except ValueError as exc:
            raise SpecError(f"{where}: learning_rate: {exc}") from None
    settings = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = settings.pop("name", None)
    if not isinstance(name, str):
        raise SpecError(f"{where}: optimizer needs a 'name' (sgd, momentum, adam, …)")
    if "learning_rate" in raw and "learning_rate" not in settings:
        settings["learning_rate"] = raw["learning_rate"]
    try:
        return get_optimizer(name, **settings)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: optimizer: {exc}") from None


def _examples() -> dict[str, Any]:
    from importlib import resources

    folder = resources.files("glassnet.inspect").joinpath("examples")
    return {
        item.name.removesuffix(".json"): item
        for item in folder.iterdir()
        if item.name.endswith(".json")
    }


def list_examples() -> dict[str, str]:
    """``{name: description}`` of the specs shipped with glassnet."""
    return {
        name: json.loads(item.read_text("utf-8")).get("description", "")
        for name, item in sorted(_examples().items())
    }


def load_example(name: str) -> TraceSpec:
    """The shipped spec called ``name`` (see :func:`list_examples`)."""
    examples = _examples()
    if name not in examples:
        raise SpecError(f"unknown example {name!r}; the examples are {', '.join(sorted(examples))}")
    return parse_spec(json.loads(examples[name].read_text("utf-8")), source=f"example {name}")
