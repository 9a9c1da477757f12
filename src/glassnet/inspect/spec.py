"""Trace specs: a network with explicit weights, its data and its training rule, typed in
the way a textbook writes an example (JSON or TOML).

.. code-block:: json

    {"layers": [{"activation": "relu",    "W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05]},
                {"activation": "relu",    "W": [[0.5, 0.6], [0.7, 0.8]], "b": [0.1, 0.1]},
                {"activation": "sigmoid", "W": [[0.9, 1.0]],             "b": [0.15]}],
     "loss": "bce", "learning_rate": 0.1, "X": [[0.5, 1.0]], "Y": [[1.0]]}

``W`` of layer ``l`` is ``n_l × n_{l−1}`` as in the documents; ``X`` and ``Y`` list samples
as rows (a sample of ``X`` may be a grid, for a network that starts with a flatten layer).
Optional keys: ``l2`` (λ of document 001), ``l1`` (λ₁), ``optimizer`` (a name or a table
with ``name`` and its settings; default plain gradient descent with ``learning_rate``),
``dtype`` (default float64), ``steps`` (1 to :data:`~glassnet.inspect.trace.MAX_STEPS`,
default 1), ``seed`` (for dropout masks, default 0), and ``name`` / ``description`` /
``source`` (text; control characters are dropped, as the trace prints them).

A layer is dense unless its ``type`` names another kind; a dense layer may add
``"batch_norm": true`` or a table with ``gamma``, ``beta``, ``momentum`` and ``epsilon``.
Any other kind takes the keys of its ``config()``: ``{"type": "dropout", "rate": 0.5}``,
``{"type": "flatten", "input_shape": [2, 3]}``; a size it does not name is the output of
the layer below.

Image layers (``conv2d`` with explicit ``W`` of ``F × C × kh × kw``, ``max_pool2d``,
``avg_pool2d``, ``batch_norm2d``) and the spec's ``input_shape`` are described in
:mod:`glassnet.inspect.spec_images`: ``X`` then lists samples of ``C × H × W`` values
(``H × W`` for one channel).
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
from ..layers import BatchNorm, Dense, Layer, layer_from_config
from ..losses import get_loss
from ..network import Network
from ..optimizers import SGD, Optimizer, get_optimizer
from ..validation import shown
from . import spec_fields as fields
from .spec_fields import SpecError
from .spec_images import IMAGE_KINDS, as_maps, image_layer
from .spec_images import input_shape as image_input_shape
from .trace import MAX_STEPS, check_steps, describe_network, layer_infos

if TYPE_CHECKING:
    from .trace import Trace

MAX_SPEC_BYTES = 16 << 20
"""A spec is read whole: a small network and a few samples fit in far less."""

KNOWN_KEYS = {
    "layers",
    "loss",
    "learning_rate",
    "X",
    "Y",
    "l2",
    "l1",
    "seed",
    "optimizer",
    "dtype",
    "steps",
    "name",
    "description",
    "source",
    "input_shape",
}
LAYER_KEYS = {"type", "activation", "W", "b", "batch_norm"}
"""The keys of a dense layer; other kinds take the keys of their ``config()``."""

__all__ = ["SpecError", "TraceSpec", "list_examples", "load_example", "load_spec", "parse_spec"]


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

        steps = self.steps if steps is None else check_steps("steps", steps)
        record = trace(self.network, self.X, self.Y, steps=steps, optimizer=self.optimizer)
        record.name, record.description, record.source = self.name, self.description, self.source
        return record


TRANSPOSED = (
    ", or W^[{l}] was typed transposed: it is n_{l} × n_{below}, a row for each unit of "
    "layer {l} and a column for each input to it"
)
"""The hint where the numbers fit ``Wᵀ``: students often type the weights by inputs."""


def load_spec(path: str | os.PathLike[str]) -> TraceSpec:
    """Read a spec from a ``.json`` or ``.toml`` file."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a spec file")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"spec file {str(path)!r} does not exist") from None
    if size > MAX_SPEC_BYTES:
        raise SpecError(
            f"{path}: {size:,} bytes is more than a spec may be ({MAX_SPEC_BYTES:,}): a spec "
            "holds a small network and a few samples"
        )
    kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
    try:
        text = path.read_bytes().decode("utf-8")
        raw = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: not valid {kind}: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: its {kind} is nested too deeply to be a spec") from None
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
    try:
        dtype = resolve_dtype(raw.get("dtype", "float64"))
    except ValueError as exc:
        raise SpecError(f"{where}: {exc}") from None
    layers_raw = raw["layers"]
    if not isinstance(layers_raw, list) or not layers_raw:
        raise SpecError(f"{where}: 'layers' must be a non-empty list of layers")
    rng = np.random.default_rng(fields.integer(where, raw, "seed", 0, low=0))
    first_kind = _image_kind(layers_raw[0])
    if "input_shape" in raw and first_kind is None:
        raise SpecError(
            f"{where}: input_shape is for a network whose first layer takes images "
            f"({', '.join(IMAGE_KINDS)}); a flatten layer takes its own input_shape"
        )
    shape: tuple[int, ...] | None = None
    if first_kind is not None:  # the image layers take their input shape from X
        X_raw = fields.matrix(where, raw["X"], "X", dtype)
        shape = image_input_shape(where, raw, X_raw, first_kind)
    layers: list[Layer] = []
    for index, spec in enumerate(layers_raw, start=1):
        below = layers[-1] if layers else None
        here = f"{where}: layer {index}"
        kind = _image_kind(spec)
        if kind is not None:
            below_shape = below.output_shape if below is not None else shape
            layers.append(image_layer(here, kind, spec, dtype, below_shape))
            continue
        l = sum(1 for lower in layers if lower.params) + 1  # the documents' number of W
        layer = _layer(here, l, spec, dtype, below, rng)
        dense = layer.kind == Dense.kind
        if dense and below is not None and layer.n_in != below.n_out:
            raise SpecError(
                f"{where}: layer {index}: W is {layer.n_out} × {layer.n_in}, but layer {index - 1} "
                f"has {below.n_out} unit(s), so W^[{l}] must be {layer.n_out} × {below.n_out}"
            )
        layers.append(layer)
    try:
        loss = get_loss(raw["loss"])
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: loss: {exc}") from None
    l2, l1 = fields.number(where, raw, "l2", 0.0), fields.number(where, raw, "l1", 0.0)
    try:
        network = Network(layers, loss, l2=l2, l1=l1)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
    X = as_maps(fields.matrix(where, raw["X"], "X", dtype), network.input_shape)
    if X.shape[1:] != network.input_shape:
        first = layers[0]
        if "W" in first.params and X.ndim == 2:
            raise SpecError(
                f"{where}: X has {X.shape[1]} column(s), but layer 1's W is "
                f"{first.n_out} × {first.n_in}: each row of X needs {first.n_in} value(s)"
                + (TRANSPOSED.format(l=1, below=0) if X.shape[1] == first.n_out else "")
            )
        raise SpecError(
            f"{where}: each sample of X has shape {X.shape[1:]}, but the first layer "
            f"({first.kind}) takes samples of shape {network.input_shape}"
        )
    Y = fields.matrix(where, raw["Y"], "Y", dtype)
    if Y.shape[0] != X.shape[0]:
        raise SpecError(
            f"{where}: X has {X.shape[0]} row(s) but Y has {Y.shape[0]}: one per sample"
        )
    try:
        Y = network.check_y(Y, X.shape[0], name="Y")
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
    return TraceSpec(
        network=network,
        X=X,
        Y=Y,
        optimizer=_optimizer(where, raw),
        steps=fields.integer(where, raw, "steps", 1, low=1, high=MAX_STEPS),
        name=fields.text(where, raw, "name"),
        description=fields.text(where, raw, "description"),
        source=fields.text(where, raw, "source"),
        raw=raw,
    )


def _image_kind(spec: Any) -> str | None:
    """The kind of an image layer's table (see :mod:`.spec_images`), else None."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    return kind if isinstance(kind, str) and kind in IMAGE_KINDS else None


def _layer(
    here: str,
    l: int,
    spec: Any,
    dtype: np.dtype[Any],
    below: Layer | None,
    rng: np.random.Generator,
) -> Layer:
    """Layer ``l`` of the documents (if it has parameters) from its table in the spec."""
    if not isinstance(spec, dict):
        raise SpecError(f"{here}: a layer is a table with activation, W and b")
    kind = spec.get("type", "dense")
    if kind != Dense.kind:
        return _other_layer(here, kind, spec, dtype, below, rng)
    unknown = sorted(set(spec) - LAYER_KEYS)
    if unknown:
        raise SpecError(
            f"{here}: unknown key(s) {unknown}; a layer has activation, W and b "
            "(and optionally batch_norm)"
        )
    if "W" not in spec:
        raise SpecError(f"{here}: missing key 'W' (the n_l × n_(l-1) weight matrix)")
    W = fields.matrix(here, spec["W"], "W", dtype)
    try:
        activation = get_activation(spec.get("activation", "identity"))
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: activation: {exc}") from None
    b = spec.get("b")
    if b is not None:
        b_array = fields.array(here, b, "b", dtype)
        if b_array.reshape(-1).shape != (W.shape[0],) or b_array.ndim > 2:
            raise SpecError(
                f"{here}: b has shape {b_array.shape}, but W has {W.shape[0]} row(s): "
                f"b^[{l}] needs {W.shape[0]} value(s)"
                + (TRANSPOSED.format(l=l, below=l - 1) if b_array.size == W.shape[1] else "")
            )
        b = b_array.reshape(-1)
    norm = _batch_norm(here, spec.get("batch_norm", False), W.shape[0], dtype)
    try:
        return Dense(W.shape[1], W.shape[0], activation, W=W, b=b, batch_norm=norm, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: {exc}") from None


def _batch_norm(here: str, value: Any, n: int, dtype: np.dtype[Any]) -> bool | BatchNorm:
    """``batch_norm`` of a dense layer: ``true``/``false`` or a table of its settings."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, dict):
        raise SpecError(f"{here}: batch_norm must be true, false or a table, got {shown(value)}")
    unknown = sorted(set(value) - {"gamma", "beta", "momentum", "epsilon"})
    if unknown:
        raise SpecError(
            f"{here}: batch_norm: unknown key(s) {unknown}; it takes gamma, beta, momentum, epsilon"
        )
    where = f"{here}: batch_norm"
    settings: dict[str, Any] = {
        key: fields.array(where, value[key], key, dtype)
        for key in ("gamma", "beta")
        if key in value
    }
    for key in ("momentum", "epsilon"):
        if key in value:
            settings[key] = fields.number(where, value, key, 0.0)
    try:
        return BatchNorm(n, **settings, dtype=dtype)
    except ValueError as exc:  # a γ or β of the wrong length, a momentum out of (0, 1]
        raise SpecError(f"{here}: {exc}") from None


def _other_layer(
    here: str,
    kind: Any,
    spec: dict[str, Any],
    dtype: np.dtype[Any],
    below: Layer | None,
    rng: np.random.Generator,
) -> Layer:
    """A layer of another kind from the keys of its ``config()``; the sizes it does not
    name are the output of the layer below."""
    config = dict(spec, type=kind)
    if below is not None:
        shape = below.output_shape
        config.setdefault("n", shape[0] if len(shape) == 1 else list(shape))
        config.setdefault("input_shape", list(shape))
    try:
        layer = layer_from_config(config, {}, dtype, rng)
    except KeyError as exc:
        raise SpecError(f"{here}: a {kind} layer needs the key {exc}") from None
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{here}: {exc}") from None
    unknown = sorted(set(spec) - set(layer.config()))
    if unknown:
        known = ", ".join(sorted(set(layer.config()) - {"type"}))
        raise SpecError(f"{here}: unknown key(s) {unknown}; a {kind} layer takes {known}")
    return layer


def _optimizer(where: str, raw: dict[str, Any]) -> Optimizer:
    spec = raw.get("optimizer")
    if spec is None:
        if "learning_rate" not in raw:
            raise SpecError(
                f"{where}: missing key 'learning_rate' (α of gradient descent), or an 'optimizer'"
            )
        learning_rate = fields.number(where, raw, "learning_rate", 0.0)
        try:
            return SGD(learning_rate)
        except ValueError as exc:
            raise SpecError(f"{where}: {exc}") from None
    name, settings = fields.optimizer_settings(where, spec)
    if "learning_rate" in raw and "learning_rate" not in settings:
        settings["learning_rate"] = fields.number(where, raw, "learning_rate", 0.0)
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
    """``{name: description}`` of the specs shipped with glassnet: what each network and
    rule is (read from the spec itself), then what the example shows."""
    examples = {}
    for name, item in sorted(_examples().items()):
        spec = parse_spec(json.loads(item.read_text("utf-8")), source=f"example {name}")
        examples[name] = f"{summary(spec)}. {spec.description}".strip()
    return examples


def summary(spec: TraceSpec) -> str:
    """``"a 2-2-2-1 network (relu, relu, sigmoid) with binary cross-entropy; 1 step of
    gradient descent α = 0.1 on 1 sample"``."""
    network, m = spec.network, spec.X.shape[0]
    steps = f"{spec.steps} step{'s' if spec.steps != 1 else ''}"
    samples = "1 sample" if m == 1 else f"{m} samples in one batch"
    described = describe_network(
        layer_infos(network), network.loss.description, network.l2, network.l1
    )
    return f"{described}; {steps} of {spec.optimizer.describe()} on {samples}"


def load_example(name: str) -> TraceSpec:
    """The shipped spec called ``name`` (see :func:`list_examples`)."""
    examples = _examples()
    if name not in examples:
        raise SpecError(f"unknown example {name!r}; the examples are {', '.join(sorted(examples))}")
    return parse_spec(json.loads(examples[name].read_text("utf-8")), source=f"example {name}")
