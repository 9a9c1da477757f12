"""The training options: one table for the Python API, the command line and the TOML file.

Each :class:`Option` names a flag (``--batch-size``), which is also its key in a config
file (``batch-size = 64``, or ``batch_size``) and, with underscores, the keyword of
:func:`~glassnet.training.fit` or :class:`~glassnet.tabular.Model`; it says how to read a
value from text, how to check it, and its one default. :func:`resolve` merges the
defaults, a config file and the command line, in that order; :func:`check_option` checks
a value passed from Python with the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..activations import ACTIVATIONS
from ..data import parse_delimiter, parse_encoding
from ..initializers import INITIALIZERS
from ..losses import TASKS
from ..optimizers import OPTIMIZERS, Optimizer, get_optimizer
from .callbacks import EarlyStopping
from .option_rules import (
    Option,
    augmentation_text,
    auto_yes_no,
    boolean,
    check_auto_yes_no,
    check_fraction,
    comma_layers,
    comma_names,
    comma_numbers,
    dimensions,
    ensemble_size,
    epoch_count,
    fraction,
    image_size,
    integer,
    layer_list,
    metric_names,
    non_empty_text,
    non_negative,
    non_negative_int,
    number,
    penalty_choices,
    positive,
    shape_of,
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

OPTIMIZER_NAMES = sorted([*OPTIMIZERS, "momentum", "nesterov"])

TRAIN_OPTIONS: tuple[Option, ...] = (
    Option(
        "target",
        str,
        None,
        "the CSV's target column (default: its last column)",
        metavar="COLUMN",
        needs_data=True,
    ),
    Option("task", str, "auto", "what to predict", ("auto", *TASKS), needs_data=True),
    Option(
        "layers",
        comma_layers,
        [64, 32],
        "hidden layers: sizes such as 64,32, or convolutions such as conv32k3,pool2,128",
        metavar="LAYERS",
        check=layer_list,
    ),
    Option(
        "input-shape",
        dimensions,
        None,
        "lay each row out as an image, e.g. 1x28x28, for convolutions on a table of pixels",
        metavar="CxHxW",
        check=shape_of,
    ),
    Option(
        "augment",
        str,
        None,
        "augment training images, e.g. shift=2,rotate=10,noise=0.05 (flip: mirror them)",
        metavar="SPEC",
        check=augmentation_text,
    ),
    Option(
        "image-size",
        dimensions,
        None,
        "resize images to HxW, or N for NxN (default: the first image's size)",
        metavar="HxW",
        check=image_size,
        needs_data=True,
    ),
    Option(
        "color",
        str,
        "auto",
        "images as grayscale or rgb (auto: rgb if any image has colour)",
        ("auto", "grayscale", "rgb"),
        needs_data=True,
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
    Option(
        "epochs",
        integer,
        20,
        "passes over the training data (with --resume: train on to this epoch)",
        check=epoch_count,
        on_resume=True,
    ),
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
    Option(
        "refit",
        yes_no,
        False,
        "after early stopping, train a fresh network on every row for the best epoch count",
        check=boolean,
    ),
    Option(
        "l2-choices",
        comma_numbers,
        [],
        "L2 penalties to choose λ from, e.g. 0.01,0.1,0.3,1: the one whose runs reach the "
        "lowest validation loss (each run's best, averaged over the --ensemble runs); by "
        "default 0.01,0.1,0.3,1 where --ensemble is 3 by default, none otherwise",
        metavar="LAMBDAS",
        check=penalty_choices,
    ),
    Option(
        "ensemble",
        integer,
        1,
        "train K networks (seeds seed … seed+K−1, each its own validation rows) and average "
        "them into one network K times as wide; 3 (with --l2-choices 0.01,0.1,0.3,1) for a "
        "table of up to 20,000 rows and 300,000 values (rows × features) with validation "
        "rows and dense layers, in one process, "
        "unless --ensemble, --l2-choices, --l2, --epochs, --early-stopping, "
        "--checkpoint-every, --no-refit, --watch or --resume is given",
        metavar="K",
        check=ensemble_size,
    ),
    Option(
        "restore-best",
        yes_no,
        True,
        "after early stopping, keep the best epoch's weights (--no-restore-best: the last)",
        check=boolean,
        on_resume=True,
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
        needs_data=True,
    ),
    Option(
        "scale",
        str,
        "standard",
        "scaling of numeric columns",
        ("standard", "minmax", "none"),
        needs_data=True,
    ),
    Option(
        "categorical",
        comma_names,
        [],
        "columns to treat as categorical, e.g. zip,state",
        metavar="COLUMNS",
        needs_data=True,
    ),
    Option(
        "delimiter",
        parse_delimiter,
        None,
        "the CSV's field separator: , ; tab or | (default: detected)",
        needs_data=True,
    ),
    Option(
        "decimal",
        str,
        None,
        "the decimal mark of the CSV's numbers (default: detected)",
        (".", ","),
        needs_data=True,
    ),
    Option(
        "header",
        yes_no,
        None,
        "whether the CSV's first row names the columns (default: detected)",
        check=boolean,
        needs_data=True,
        switch=True,
    ),
    Option(
        "encoding",
        parse_encoding,
        None,
        "the CSV's text encoding, e.g. cp1252 or latin-1 (default: UTF-8, or what a "
        "byte-order mark says)",
        needs_data=True,
    ),
    Option(
        "drop",
        comma_names,
        [],
        "columns to leave out, e.g. name,notes",
        metavar="COLUMNS",
        needs_data=True,
    ),
    Option(
        "id",
        str,
        None,
        "a column kept out of the features and written beside each prediction",
        metavar="COLUMN",
        needs_data=True,
    ),
    Option(
        "cache",
        auto_yes_no,
        "auto",
        "keep a table file's prepared rows in .glassnet-cache beside it, memory-mapped and "
        "reused while the file is unchanged: auto (files of 100 MB or more), yes or no",
        metavar="WHEN",
        check=check_auto_yes_no,
        needs_data=True,
        on_resume=True,
    ),
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
        on_resume=True,
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
                restore_best_weights=settings["restore_best"],
            )
        )
    return callbacks
