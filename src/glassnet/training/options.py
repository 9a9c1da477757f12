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
from ..optimizers import OPTIMIZERS, Optimizer, get_optimizer
from .callbacks import EarlyStopping
from .option_rules import (
    boolean,
    check_fraction,
    comma_names,
    comma_sizes,
    fraction,
    integer,
    layer_sizes,
    metric_names,
    non_empty_text,
    non_negative,
    non_negative_int,
    number,
    positive,
    positive_int,
    yes_no,
)
from .schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateScheduler,
    ReduceLROnPlateau,
    StepDecay,
)
from .state import Callback


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
    keyword: str | None = None
    """The keyword of :func:`~glassnet.training.fit` when it differs from :attr:`key`
    (``learning_rate`` for ``--lr``); both are accepted from Python."""

    @property
    def key(self) -> str:
        """The settings' key (``batch_size``)."""
        return self.flag.replace("-", "_")

    @property
    def python_name(self) -> str:
        """The name a Python user writes, and that errors from Python name."""
        return self.keyword or self.key

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
    Option(
        "layers",
        comma_sizes,
        [64, 32],
        "hidden layer sizes, e.g. 64,32",
        metavar="SIZES",
        check=layer_sizes,
    ),
    Option("activation", str, "relu", "hidden activation", sorted(set(ACTIVATIONS) - {"softmax"})),
    Option(
        "init",
        str,
        None,
        "weight initialization (default: He for ReLU, else Xavier)",
        sorted(INITIALIZERS),
    ),
    Option("dropout", fraction, 0.0, "dropout rate after each hidden layer", check=check_fraction),
    Option(
        "batch-norm",
        yes_no,
        False,
        "batch normalization before each hidden activation",
        check=boolean,
    ),
    Option("l1", number, 0.0, "L1 penalty λ₁ (cost + λ₁/m Σ|W|)", check=non_negative),
    Option("l2", number, 0.0, "L2 penalty λ (cost + λ/(2m) Σ‖W‖²)", check=non_negative),
    Option("optimizer", str, "adam", "update rule", OPTIMIZER_NAMES),
    Option(
        "lr",
        number,
        None,
        "learning rate α (default: 0.001 for Adam/RMSprop, else 0.01)",
        check=positive,
        keyword="learning_rate",
    ),
    Option(
        "weight-decay",
        number,
        None,
        "AdamW's decoupled weight decay (default 0.01)",
        check=non_negative,
    ),
    Option("epochs", integer, 20, "passes over the training data", check=positive_int),
    Option(
        "batch-size",
        integer,
        32,
        "mini-batch size (1: stochastic; 0: the whole set)",
        check=non_negative_int,
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
        integer,
        0,
        "stop after this many epochs without improvement (0: off)",
        metavar="PATIENCE",
        check=non_negative_int,
    ),
    Option(
        "monitor",
        str,
        "val_loss",
        "what early stopping and the plateau schedule watch",
        check=non_empty_text,
    ),
    Option(
        "min-delta",
        number,
        0.0,
        "the smallest change that counts as an improvement",
        check=non_negative,
    ),
    Option("clip-norm", number, None, "clip the gradients' global L2 norm to this", check=positive),
    Option("clip-value", number, None, "clip each gradient entry to ±this", check=positive),
    Option("class-weight", str, None, "weight classes by inverse frequency", ("balanced",)),
    Option(
        "validation-split",
        fraction,
        0.2,
        "fraction held out for validation (0: none)",
        check=check_fraction,
    ),
    Option("scale", str, "standard", "scaling of numeric columns", ("standard", "minmax", "none")),
    Option(
        "categorical",
        comma_names,
        [],
        "columns to treat as categorical, e.g. zip,state",
        metavar="COLUMNS",
    ),
    Option("delimiter", str, ",", "the CSV's field separator"),
    Option(
        "metrics",
        comma_names,
        [],
        "more validation metrics, e.g. f1_macro,r2",
        metavar="NAMES",
        check=metric_names,
    ),
    Option("dtype", str, "float32", "floating-point precision", ("float32", "float64")),
    Option(
        "seed",
        integer,
        0,
        "random seed: the same seed and data give the same model",
        check=non_negative_int,
    ),
    Option(
        "checkpoint-every",
        integer,
        0,
        "write a checkpoint every N epochs (0: only on Ctrl-C)",
        metavar="N",
        check=non_negative_int,
    ),
)
OPTIONS_BY_KEY = {
    name: option for option in TRAIN_OPTIONS for name in {option.key, option.python_name}
}
DEFAULTS: dict[str, Any] = {option.key: option.default for option in TRAIN_OPTIONS}
"""Every option's one default, for the API, the command line and config files alike."""


def check_option(key: str, value: Any) -> Any:
    """``value`` of the option ``key`` (``"epochs"``), checked by the table's rule; the
    error names the argument as a Python user writes it (``learning_rate``)."""
    option = OPTIONS_BY_KEY[key]
    return option.validate(value, option.python_name)


def settings_from(given: Mapping[str, Any] | None = None, /, **options: Any) -> dict[str, Any]:
    """Every option's value for Python callers: the table's default, overridden by
    ``given`` and ``options`` (``epochs=30``, ``layers=[64, 32]``, ``learning_rate=0.01``),
    each checked by the table's rule. An unknown name is a TypeError listing the known
    ones; ``None`` keeps the default."""
    chosen = dict(DEFAULTS)
    for name, value in {**(given or {}), **options}.items():
        option = OPTIONS_BY_KEY.get(name)
        if option is None:
            known = ", ".join(option.python_name for option in TRAIN_OPTIONS)
            raise TypeError(f"unknown training option {name!r}; the options are: {known}")
        if value is None:
            continue
        if isinstance(option.default, list) and isinstance(value, str | tuple):
            value = option.read(value)  # "64,32" or (64, 32) → [64, 32]
        chosen[option.key] = check_option(option.key, value)
    return chosen


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
        settings["learning_rate"] = check_option("lr", learning_rate)
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
