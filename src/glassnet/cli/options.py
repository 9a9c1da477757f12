"""The training options: one table for the command line, the TOML config file and the API.

Each :class:`Option` names a flag (``--batch-size``), which is also its key in a config
file (``batch-size = 64``, or ``batch_size``), and says how to read and check a value.
:func:`resolve` merges the defaults, a config file and the command line, in that order.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..activations import ACTIVATIONS
from ..initializers import INITIALIZERS
from ..metrics import METRICS
from ..optimizers import OPTIMIZERS


def _sizes(text: str | Sequence[int]) -> list[int]:
    if not isinstance(text, str):
        return [int(n) for n in text]
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--layers must be comma-separated integers such as 64,32, got {text!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise ValueError(f"--layers sizes must be ≥ 1, got {text!r}")
    return sizes


def _names(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return [str(t) for t in text]
    return [part.strip() for part in text.split(",") if part.strip()]


def _fraction(text: str | float) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise ValueError(f"must be in [0, 1), got {text!r}")
    return value


def _flag(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {text!r}")


@dataclass(frozen=True)
class Option:
    """One training option: its flag, how to read it, its default and its help."""

    flag: str
    read: Callable[[Any], Any]
    default: Any
    help: str
    choices: Sequence[str] | None = None
    metavar: str | None = None

    @property
    def key(self) -> str:
        """The name in Python (``batch_size``)."""
        return self.flag.replace("-", "_")

    def parse(self, value: Any, source: str) -> Any:
        """``value`` read and checked, or a ValueError naming the option and ``source``."""
        if value is None:
            return None
        try:
            parsed = self.read(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source} --{self.flag}: {exc}") from None
        if self.choices is not None and parsed not in self.choices:
            raise ValueError(
                f"{source} --{self.flag} must be one of {', '.join(self.choices)}, got {parsed!r}"
            )
        return parsed


OPTIMIZER_NAMES = sorted([*OPTIMIZERS, "momentum", "nesterov"])

TRAIN_OPTIONS: tuple[Option, ...] = (
    Option(
        "target", str, None, "the CSV's target column (default: its last column)", metavar="COLUMN"
    ),
    Option("task", str, "auto", "what to predict", ("auto", "regression", "binary", "multiclass")),
    Option("layers", _sizes, [64, 32], "hidden layer sizes, e.g. 64,32", metavar="SIZES"),
    Option("activation", str, "relu", "hidden activation", sorted(set(ACTIVATIONS) - {"softmax"})),
    Option(
        "init",
        str,
        None,
        "weight initialization (default: He for ReLU, else Xavier)",
        sorted(INITIALIZERS),
    ),
    Option("dropout", _fraction, 0.0, "dropout rate after each hidden layer"),
    Option("batch-norm", _flag, False, "batch normalization before each hidden activation"),
    Option("l1", float, 0.0, "L1 penalty λ₁ (cost + λ₁/m Σ|W|)"),
    Option("l2", float, 0.0, "L2 penalty λ (cost + λ/(2m) Σ‖W‖²)"),
    Option("optimizer", str, "adam", "update rule", OPTIMIZER_NAMES),
    Option("lr", float, None, "learning rate α (default: 0.001 for Adam/RMSprop, else 0.01)"),
    Option("weight-decay", float, None, "AdamW's decoupled weight decay (default 0.01)"),
    Option("epochs", int, 20, "passes over the training data"),
    Option("batch-size", int, 32, "mini-batch size (1: stochastic; 0: the whole set)"),
    Option(
        "schedule",
        str,
        "none",
        "learning-rate schedule",
        ("none", "step", "exponential", "cosine", "plateau"),
    ),
    Option(
        "early-stopping",
        int,
        0,
        "stop after this many epochs without improvement (0: off)",
        metavar="PATIENCE",
    ),
    Option("monitor", str, "val_loss", "what early stopping and the plateau schedule watch"),
    Option("min-delta", float, 0.0, "the smallest change that counts as an improvement"),
    Option("clip-norm", float, None, "clip the gradients' global L2 norm to this"),
    Option("clip-value", float, None, "clip each gradient entry to ±this"),
    Option("class-weight", str, None, "weight classes by inverse frequency", ("balanced",)),
    Option("validation-split", _fraction, 0.2, "fraction held out for validation (0: none)"),
    Option("scale", str, "standard", "scaling of numeric columns", ("standard", "minmax", "none")),
    Option(
        "categorical",
        _names,
        [],
        "columns to treat as categorical, e.g. zip,state",
        metavar="COLUMNS",
    ),
    Option("delimiter", str, ",", "the CSV's field separator"),
    Option("metrics", _names, [], "more validation metrics, e.g. f1_macro,r2", metavar="NAMES"),
    Option("dtype", str, "float32", "floating-point precision", ("float32", "float64")),
    Option("seed", int, 0, "random seed: the same seed and data give the same model"),
    Option(
        "checkpoint-every",
        int,
        0,
        "write a checkpoint every N epochs (0: only on Ctrl-C)",
        metavar="N",
    ),
)
OPTIONS_BY_KEY = {option.key: option for option in TRAIN_OPTIONS}


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Add every training option as a flag; defaults stay unset so a config file can fill them."""
    for option in TRAIN_OPTIONS:
        parser.add_argument(
            f"--{option.flag}",
            dest=option.key,
            default=None,
            metavar=option.metavar or option.key.upper(),
            help=_help(option),
        )


def _help(option: Option) -> str:
    text = option.help
    if option.choices is not None:
        text += f" ({'|'.join(option.choices)})"
    if option.default not in (None, [], ""):
        shown = (
            ",".join(map(str, option.default))
            if isinstance(option.default, list)
            else option.default
        )
        text += f"; default {shown}"
    return text


def read_config(path: Path) -> dict[str, Any]:
    """The options in a TOML file, keys as flags (``batch-size``) or names (``batch_size``)."""
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path}: {exc}") from None
    raw = raw.get("train", raw)  # a [train] table, or options at the top level
    settings = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in OPTIONS_BY_KEY:
            known = ", ".join(option.flag for option in TRAIN_OPTIONS)
            raise ValueError(f"config file {path}: unknown option {key!r}; known options: {known}")
        settings[name] = OPTIONS_BY_KEY[name].parse(value, f"config file {path}:")
    return settings


def resolve(args: argparse.Namespace, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every option's value: the command line over the config file over the default."""
    settings = {option.key: option.default for option in TRAIN_OPTIONS}
    settings.update(config or {})
    for option in TRAIN_OPTIONS:
        value = getattr(args, option.key, None)
        if value is not None:
            settings[option.key] = option.parse(value, "option")
    for key in ("epochs", "checkpoint_every", "early_stopping", "batch_size"):
        minimum = 1 if key == "epochs" else 0
        if settings[key] < minimum:
            raise ValueError(f"--{key.replace('_', '-')} must be ≥ {minimum}, got {settings[key]}")
    for name in settings["metrics"]:
        if name.lower() not in METRICS:
            raise ValueError(
                f"--metrics: unknown metric {name!r}; known: {', '.join(sorted(METRICS))}"
            )
    return settings


def to_toml(settings: dict[str, Any]) -> str:
    """The settings as a TOML config file that ``--config`` reads back."""
    lines = []
    for option in TRAIN_OPTIONS:
        value = settings.get(option.key)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif isinstance(value, list):
            text = "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
        else:
            text = repr(value)
        lines.append(f"{option.flag} = {text}")
    return "\n".join(lines) + "\n"
