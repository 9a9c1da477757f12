"""The playground's settings: what a page may ask for, checked at the door.

One table of limits serves the server (every request is checked against it) and the page
(``GET /api/options`` sends it), so that a slider cannot ask for what the server refuses.
Every error is a :class:`ConfigError` whose message starts with the field it is about.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..activations import ACTIVATIONS
from .datasets import CLASSES, TASKS

LIMITS: dict[str, Any] = {
    "layers": 8,
    "units": 16,
    "samples": 2000,
    "min_samples": 20,
    "batch_size": 500,
    "learning_rate": 10.0,
    "noise": 0.5,
    "train_ratio": [0.1, 0.9],
    "dropout": 0.9,
    "l1": 10.0,
    "l2": 10.0,
    "seed": 2**32 - 1,
    "boundary_n": 100,
    "play_seconds": 600,
    "body_bytes": 1 << 20,
}
"""The bounds of every setting: memory and time stay small whatever a page sends."""

HIDDEN_ACTIVATIONS = sorted(name for name in ACTIVATIONS if name != "softmax")
"""Softmax couples a layer's units; it is the output of a multi-class network only."""

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


class ConfigError(ValueError):
    """A request field that is missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class LayerConfig:
    """One hidden layer: ``units`` neurons with ``activation``, then dropout of ``dropout``."""

    units: int = 16
    activation: str = "relu"
    dropout: float = 0.0


@dataclass(frozen=True)
class Config:
    """A playground session's settings (the body of ``POST /api/reset``).

    The defaults train the spiral to a test loss below 0.1 in well under a second of
    training on one core: two hidden layers of 16 ReLU units, Adam with ``α = 0.01``,
    mini-batches of 16 from 500 training points.
    """

    dataset: str = "spiral"
    noise: float = 0.1
    train_ratio: float = 0.5
    samples: int = 1000
    layers: tuple[LayerConfig, ...] = (LayerConfig(), LayerConfig())
    batch_norm: bool = False
    l1: float = 0.0
    l2: float = 0.0
    optimizer: str = "adam"
    learning_rate: float = 0.01
    batch_size: int = 16
    seed: int = 0
    csv: dict[str, str] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as the page sends it."""
        data = asdict(self)
        data["layers"] = [asdict(layer) for layer in self.layers]
        return data


def _number(
    body: dict[str, Any], name: str, low: float, high: float, default: float, above: bool = False
) -> float:
    """``body[name]`` from ``low`` to ``high``; with ``above``, greater than ``low``."""
    value = body.get(name, default)
    span = f"greater than {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number {span}, got {value!r}")
    if not (low < value if above else low <= value) or value > high:
        raise ConfigError(f"{name} must be {span}, got {value!r}")
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON from a page may write 16 as 16.0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low} to {high}, got {value!r}")
    return value


def _choice(body: dict[str, Any], name: str, known: list[str], default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or value.lower() not in known:
        raise ConfigError(f"{name} must be one of {', '.join(known)}, got {value!r}")
    return value.lower()


def _layer(index: int, raw: Any) -> LayerConfig:
    where = f"layers[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be an object with units, activation and dropout")
    unknown = sorted(set(raw) - {"units", "activation", "dropout"})
    if unknown:
        raise ConfigError(
            f"{where} has unknown field(s) {unknown}; it takes units, activation, dropout"
        )
    try:
        return LayerConfig(
            units=_integer(raw, "units", 1, LIMITS["units"], LayerConfig.units),
            activation=_choice(raw, "activation", HIDDEN_ACTIVATIONS, LayerConfig.activation),
            dropout=_number(raw, "dropout", 0.0, LIMITS["dropout"], 0.0),
        )
    except ConfigError as exc:
        raise ConfigError(f"{where}.{exc}") from None


def _csv(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("csv must be null or an object with text, x, y and target")
    unknown = sorted(set(raw) - {"text", "x", "y", "target"})
    if unknown:
        raise ConfigError(f"csv has unknown field(s) {unknown}; it takes text, x, y, target")
    for key in ("text", "x", "y", "target"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ConfigError(f"csv.{key} must be a non-empty string, got {raw.get(key)!r}")
    return {key: raw[key] for key in ("text", "x", "y", "target")}


def parse_config(body: Any) -> Config:
    """A :class:`Config` from a request body; a field left out takes its default."""
    if not isinstance(body, dict):
        got = "nothing" if body is None else f"a JSON {_json_kind(body)}"
        raise ConfigError(
            f'the body must be a JSON object of settings, such as {{"dataset": "spiral"}}; '
            f"got {got}"
        )
    known = set(Config.__dataclass_fields__)
    unknown = sorted(set(body) - known)
    if unknown:
        raise ConfigError(f"unknown field(s) {unknown}; the settings are {sorted(known)}")
    default = Config()
    layers_raw = body.get("layers", [asdict(layer) for layer in default.layers])
    if not isinstance(layers_raw, list) or len(layers_raw) > LIMITS["layers"]:
        raise ConfigError(
            f"layers must be a list of at most {LIMITS['layers']} hidden layers, got "
            f"{len(layers_raw) if isinstance(layers_raw, list) else repr(layers_raw)}"
        )
    batch_norm = body.get("batch_norm", default.batch_norm)
    if not isinstance(batch_norm, bool):
        raise ConfigError(f"batch_norm must be true or false, got {batch_norm!r}")
    low_ratio, high_ratio = LIMITS["train_ratio"]
    config = Config(
        dataset=_choice(body, "dataset", list(TASKS), default.dataset),
        noise=_number(body, "noise", 0.0, LIMITS["noise"], default.noise),
        train_ratio=_number(body, "train_ratio", low_ratio, high_ratio, default.train_ratio),
        samples=_integer(
            body, "samples", LIMITS["min_samples"], LIMITS["samples"], default.samples
        ),
        layers=tuple(_layer(i, raw) for i, raw in enumerate(layers_raw)),
        batch_norm=batch_norm,
        l1=_number(body, "l1", 0.0, LIMITS["l1"], default.l1),
        l2=_number(body, "l2", 0.0, LIMITS["l2"], default.l2),
        optimizer=_choice(body, "optimizer", OPTIMIZERS, default.optimizer),
        learning_rate=_number(body, "learning_rate", 0.0, LIMITS["learning_rate"], 0.01, True),
        batch_size=_integer(body, "batch_size", 1, LIMITS["batch_size"], default.batch_size),
        seed=_integer(body, "seed", 0, LIMITS["seed"], default.seed),
        csv=_csv(body.get("csv")),
    )
    if config.batch_norm and config.layers and config.batch_size < 2:
        raise ConfigError(
            "batch_size must be at least 2 with batch_norm: a batch's variance needs 2 samples"
        )
    if config.dataset == "csv" and config.csv is None:
        raise ConfigError("csv must hold {text, x, y, target} when the dataset is csv")
    return config


def options() -> dict[str, Any]:
    """The body of ``GET /api/options``: what the page may choose from, and the defaults."""
    return {
        "datasets": [
            {"name": name, "task": "csv" if CLASSES[name] < 0 else TASKS[name], "classes": k}
            for name, k in ((name, max(CLASSES[name], 0)) for name in CLASSES)
        ],
        "activations": HIDDEN_ACTIVATIONS,
        "optimizers": OPTIMIZERS,
        "limits": LIMITS,
        "defaults": Config().to_dict(),
    }


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (``array``, ``string``, …)."""
    kinds = ((bool, "boolean"), (int | float, "number"), (str, "string"), (list, "array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "value")
