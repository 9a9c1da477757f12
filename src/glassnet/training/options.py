"""The training options: one table for the Python API, the command line and the TOML file.

Each :class:`Option` names a flag (``--batch-size``), which is also its key in a config
file (``batch-size = 64``, or ``batch_size``) and, with underscores, the keyword of
:func:`~glassnet.training.fit` or :class:`~glassnet.tabular.Model`; it says how to read a
value from text, how to check it, and its one default. :func:`resolve` merges the
defaults, a config file and the command line, in that order; :func:`check_option` checks
a value passed from Python with the same rule.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..activations import ACTIVATIONS
from ..initializers import INITIALIZERS
from ..losses import TASKS
from ..metrics import METRICS
from ..optimizers import OPTIMIZERS, Optimizer, get_optimizer
from ..validation import check_non_negative_number, check_positive_number
from .callbacks import EarlyStopping
from .schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateScheduler,
    ReduceLROnPlateau,
    StepDecay,
)
from .state import Callback


def _integer(text: str | int) -> int:
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f"must be an integer, got {text!r}")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be an integer, got {text!r}") from None


def _number(text: str | float) -> float:
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"must be a number, got {text!r}")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be a number, got {text!r}") from None


def _sizes(text: str | Sequence[int]) -> list[int]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        raise ValueError(f"must be comma-separated integers such as 64,32, got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError(f"sizes must be integers ≥ 1, got {text!r}")
    return sizes


def _names(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return [str(t) for t in text]
    return [part.strip() for part in text.split(",") if part.strip()]


def _fraction(text: str | float) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise ValueError(f"must be in [0, 1), got {text!r}")
    return value


def _check_fraction(label: str, value: Any) -> float:
    number = check_non_negative_number(label, value)
    if number >= 1:
        raise ValueError(f"{label} must be in [0, 1), got {value!r}")
    return number


def _flag(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {text!r}")


def _positive_int(label: str, value: Any) -> int:
    return int(check_positive_number(label, value, integer=True))


def _non_negative_int(label: str, value: Any) -> int:
    number = check_non_negative_number(label, value)
    if not float(number).is_integer():
        raise TypeError(f"{label} must be an integer ≥ 0, got {value!r}")
    return int(number)


def _positive(label: str, value: Any) -> float:
    return float(check_positive_number(label, value))


def _non_negative(label: str, value: Any) -> float:
    return check_non_negative_number(label, value)


def _metric_names(label: str, value: Any) -> list[str]:
    names = [str(name) for name in value]
    for name in names:
        if name.lower() not in METRICS:
            raise ValueError(
                f"{label}: unknown metric {name!r}; known: {', '.join(sorted(METRICS))}"
            )
    return names


@dataclass(frozen=True)
class Option:
    """One training option: its flag, how to read and check it, its default and its help."""

    flag: str
    read: Callable[[Any], Any]
    """Text (a flag's value) or a TOML value → the Python value."""
    default: Any
    help: str
    choices: Sequence[str] | None = None
    metavar: str | None = None
    check: Callable[[str, Any], Any] | None = None
    """``check(label, value)``: the value if it is valid, else an error naming ``label``."""

    @property
    def key(self) -> str:
        """The name in Python (``batch_size``)."""
        return self.flag.replace("-", "_")

    def validate(self, value: Any, label: str) -> Any:
        """A Python ``value`` checked (``None`` passes: it means "not given")."""
        if value is None:
            return None
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{label} must be one of {', '.join(self.choices)}, got {value!r}")
        return value if self.check is None else self.check(label, value)

    def parse(self, value: Any, source: str) -> Any:
        """``value`` read and checked, or a ValueError naming the option and ``source``."""
        if value is None:
            return None
        try:
            parsed = self.read(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source} --{self.flag} {exc}") from None
        try:
            return self.validate(parsed, f"--{self.flag}")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source} {exc}") from None


OPTIMIZER_NAMES = sorted([*OPTIMIZERS, "momentum", "nesterov"])

TRAIN_OPTIONS: tuple[Option, ...] = (
    Option(
        "target", str, None, "the CSV's target column (default: its last column)", metavar="COLUMN"
    ),
    Option("task", str, "auto", "what to predict", ("auto", *TASKS)),
    Option("layers", _sizes, [64, 32], "hidden layer sizes, e.g. 64,32", metavar="SIZES"),
    Option("activation", str, "relu", "hidden activation", sorted(set(ACTIVATIONS) - {"softmax"})),
    Option(
        "init",
        str,
        None,
        "weight initialization (default: He for ReLU, else Xavier)",
        sorted(INITIALIZERS),
    ),
    Option(
        "dropout", _fraction, 0.0, "dropout rate after each hidden layer", check=_check_fraction
    ),
    Option("batch-norm", _flag, False, "batch normalization before each hidden activation"),
    Option("l1", _number, 0.0, "L1 penalty λ₁ (cost + λ₁/m Σ|W|)", check=_non_negative),
    Option("l2", _number, 0.0, "L2 penalty λ (cost + λ/(2m) Σ‖W‖²)", check=_non_negative),
    Option("optimizer", str, "adam", "update rule", OPTIMIZER_NAMES),
    Option(
        "lr",
        _number,
        None,
        "learning rate α (default: 0.001 for Adam/RMSprop, else 0.01)",
        check=_positive,
    ),
    Option(
        "weight-decay",
        _number,
        None,
        "AdamW's decoupled weight decay (default 0.01)",
        check=_non_negative,
    ),
    Option("epochs", _integer, 20, "passes over the training data", check=_positive_int),
    Option(
        "batch-size",
        _integer,
        32,
        "mini-batch size (1: stochastic; 0: the whole set)",
        check=_non_negative_int,
    ),
    Option(
        "schedule",
        str,
        "none",
        "learning-rate schedule",
        ("none", "step", "exponential", "cosine", "plateau"),
    ),
    Option(
        "early-stopping",
        _integer,
        0,
        "stop after this many epochs without improvement (0: off)",
        metavar="PATIENCE",
        check=_non_negative_int,
    ),
    Option("monitor", str, "val_loss", "what early stopping and the plateau schedule watch"),
    Option(
        "min-delta",
        _number,
        0.0,
        "the smallest change that counts as an improvement",
        check=_non_negative,
    ),
    Option(
        "clip-norm", _number, None, "clip the gradients' global L2 norm to this", check=_positive
    ),
    Option("clip-value", _number, None, "clip each gradient entry to ±this", check=_positive),
    Option("class-weight", str, None, "weight classes by inverse frequency", ("balanced",)),
    Option(
        "validation-split",
        _fraction,
        0.2,
        "fraction held out for validation (0: none)",
        check=_check_fraction,
    ),
    Option("scale", str, "standard", "scaling of numeric columns", ("standard", "minmax", "none")),
    Option(
        "categorical",
        _names,
        [],
        "columns to treat as categorical, e.g. zip,state",
        metavar="COLUMNS",
    ),
    Option("delimiter", str, ",", "the CSV's field separator"),
    Option(
        "metrics",
        _names,
        [],
        "more validation metrics, e.g. f1_macro,r2",
        metavar="NAMES",
        check=_metric_names,
    ),
    Option("dtype", str, "float32", "floating-point precision", ("float32", "float64")),
    Option("seed", _integer, 0, "random seed: the same seed and data give the same model"),
    Option(
        "checkpoint-every",
        _integer,
        0,
        "write a checkpoint every N epochs (0: only on Ctrl-C)",
        metavar="N",
        check=_non_negative_int,
    ),
)
OPTIONS_BY_KEY = {option.key: option for option in TRAIN_OPTIONS}
DEFAULTS: dict[str, Any] = {option.key: option.default for option in TRAIN_OPTIONS}
"""Every option's one default, for the API, the command line and config files alike."""


def check_option(key: str, value: Any, label: str | None = None) -> Any:
    """``value`` of the option ``key`` (``"epochs"``), checked by the table's rule; the
    error names ``label`` (default ``key``), the argument as a Python user wrote it."""
    return OPTIONS_BY_KEY[key].validate(value, label or key)


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


def resolve(given: Mapping[str, Any], config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every option's value: ``given`` (the command line's text, by key; ``None`` where not
    given) over the config file over the default."""
    settings = dict(DEFAULTS)
    settings.update(config or {})
    for option in TRAIN_OPTIONS:
        value = given.get(option.key)
        if value is not None:
            settings[option.key] = option.parse(value, "option")
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


# -- from settings to the objects of training ----------------------------------------------


def make_optimizer(
    optimizer: Optimizer | str | None = None,
    learning_rate: float | None = None,
    weight_decay: float | None = None,
) -> Optimizer:
    """An optimizer from a name (default: the table's, Adam) and optional settings, or
    ``optimizer`` itself when it already is one.

    Without a learning rate each rule takes its own default (0.001 for Adam and RMSprop,
    0.01 for SGD, momentum and Adagrad).
    """
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None or weight_decay is not None:
            raise ValueError(
                "learning_rate and weight_decay go to the optimizer itself when you pass "
                f"one: {type(optimizer).__name__}(learning_rate=…)"
            )
        return optimizer
    if optimizer is not None and not isinstance(optimizer, str):
        raise TypeError(
            f"optimizer must be a glassnet Optimizer or a name such as 'adam', got "
            f"{type(optimizer).__name__}"
        )
    name = optimizer or DEFAULTS["optimizer"]
    settings: dict[str, Any] = {}
    if learning_rate is not None:
        settings["learning_rate"] = check_option("lr", learning_rate, "learning_rate")
    elif name in ("momentum", "nesterov"):
        settings["learning_rate"] = 0.01
    if weight_decay is not None:
        if name not in ("adam", "adamw"):
            raise ValueError(f"weight_decay applies to adam and adamw, not {name}")
        settings["weight_decay"] = check_option("weight_decay", weight_decay)
    return get_optimizer(name, **settings)


def make_callbacks(settings: dict[str, Any]) -> list[Callback]:
    """The learning-rate schedule and early stopping that ``settings`` ask for, in a fixed
    order (a checkpoint relies on it)."""
    callbacks: list[Callback] = []
    epochs, schedule = settings["epochs"], settings["schedule"]
    if schedule == "step":
        callbacks.append(LearningRateScheduler(StepDecay(max(1, epochs // 3), 0.1)))
    elif schedule == "exponential":
        callbacks.append(LearningRateScheduler(ExponentialDecay(0.01 ** (1 / epochs))))
    elif schedule == "cosine":
        callbacks.append(LearningRateScheduler(CosineDecay(epochs)))
    elif schedule == "plateau":
        callbacks.append(
            ReduceLROnPlateau(settings["monitor"], min_delta=settings["min_delta"], patience=3)
        )
    if settings["early_stopping"]:
        callbacks.append(
            EarlyStopping(
                settings["monitor"],
                patience=settings["early_stopping"],
                min_delta=settings["min_delta"],
            )
        )
    return callbacks
