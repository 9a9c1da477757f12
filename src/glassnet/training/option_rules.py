"""What a training option is (:class:`Option`), and how the options' values are read from
text (a flag, a config file) and checked from Python: the readers take text or TOML
values, the checks take ``(label, value)`` and name ``label`` in their error. The table
of the options themselves is :data:`glassnet.training.options.TRAIN_OPTIONS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..layers.architecture import parse_architecture
from ..metrics import METRICS
from ..validation import (
    check_non_negative_number,
    check_positive_number,
    check_unit_interval,
    closest,
)
from .augment import Augmentation


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
    needs_data: bool = False
    """Whether the option is about a data file (``--target``): without one, ``glassnet
    train`` trains on the shipped MNIST sample, which the option would not change."""
    switch: bool = False
    """An on-or-off option whose default is "detect" (``None``): ``--header`` and
    ``--no-header`` on the command line, like the options whose default is a bool."""
    on_resume: bool = False
    """Whether a resumed run may change it (``--epochs``): the others would make the
    resumed run differ from the one its checkpoint belongs to."""

    @property
    def is_flag(self) -> bool:
        """Whether the option is on or off (``--batch-norm`` and ``--no-batch-norm``)."""
        return self.switch or isinstance(self.default, bool)

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
            meant = closest(str(value), self.choices)
            raise ValueError(
                f"{label} must be one of {', '.join(map(repr, self.choices))}, got {value!r}"
                + (f" (did you mean {meant!r}?)" if meant else "")
            )
        return value if self.check is None else self.check(label, value)

    def parse(self, value: Any, source: str) -> Any:
        """``value`` read and checked, or a ValueError naming the option and ``source``."""
        if value is None:
            return None
        try:
            parsed = self.read(value)
        except (TypeError, ValueError) as exc:  # "the delimiter must be …": named once
            message = str(exc).removeprefix(f"the {self.key} ").removeprefix(f"{self.key} ")
            raise ValueError(f"{source} --{self.flag} {message}") from None
        try:
            return self.validate(parsed, f"--{self.flag}")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source} {exc}") from None


def integer(text: str | int) -> int:
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f"must be an integer, got {text!r}")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be an integer, got {text!r}") from None


def number(text: str | float) -> float:
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"must be a number, got {text!r}")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be a number, got {text!r}") from None


def comma_layers(text: str | Sequence[int | str]) -> list[int | str]:
    """``64,32`` → ``[64, 32]``; ``conv32k3,pool2,128`` → ``["conv32k3", "pool2", 128]``:
    sizes of dense layers as numbers, the other layers as their tokens."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    return [int(p) if isinstance(p, str) and p.strip().isdigit() else p for p in parts]


def layer_list(label: str, value: Any) -> list[int | str]:
    """Hidden layers: sizes (``[64, 32]``) and, for networks of other layers, the tokens of
    :mod:`glassnet.layers.architecture` (``["conv32k3", "pool2", 128]``)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise TypeError(
            f"{label} must be a list of layers such as [64, 32] or ['conv32k3', 'pool2', 128], "
            f"got {value!r}"
        )
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"{label} must hold sizes and layer tokens, got {item!r}")
        if isinstance(item, int) and item < 1:
            raise ValueError(f"{label} must hold integers ≥ 1, got {value!r}")
    parse_architecture(",".join(map(str, value)), name=label)  # each token checked, named
    return list(value)


def dimensions(text: str | Sequence[int]) -> list[int]:
    """``1x28x28`` (or ``1,28,28``, or a list) → ``[1, 28, 28]``."""
    parts = text.replace("×", "x").replace(",", "x").split("x") if isinstance(text, str) else text
    try:
        return [int(part) for part in parts]
    except (TypeError, ValueError):
        raise ValueError(f"must be sizes such as 1x28x28, got {text!r}") from None


def shape_of(label: str, value: Any) -> list[int]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{label} must be a shape such as [1, 28, 28], got {value!r}")
    if not value or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in value):
        raise ValueError(f"{label} must hold integers ≥ 1, such as 1x28x28, got {value!r}")
    return list(value)


def image_size(label: str, value: Any) -> list[int]:
    """``[H, W]``; one number is a square (``32`` is ``32x32``)."""
    size = shape_of(label, value)
    if len(size) == 1:
        return [size[0], size[0]]
    if len(size) != 2:
        raise ValueError(
            f"{label} must be HxW such as 32x32 (or one number for a square), got {value!r}"
        )
    return size


def comma_names(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return [str(t) for t in text]
    return [part.strip() for part in text.split(",") if part.strip()]


def comma_numbers(text: str | Sequence[float]) -> list[float]:
    """``0.01,0.1,0.3`` → ``[0.01, 0.1, 0.3]`` (an empty text: none; one number: itself)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return [float(text)]
    if not isinstance(text, str | Sequence):
        raise ValueError(f"must be numbers such as 0.1,0.3,1, got {text!r}")
    if isinstance(text, str) and not text.strip():
        return []
    parts = text.split(",") if isinstance(text, str) else list(text)
    if any(isinstance(p, str) and not p.strip() for p in parts):
        raise ValueError(f"must be numbers separated by single commas, got {text!r}")
    return [number(p) for p in parts]


MAX_CHOICES = 100
"""More λ than a search needs; a crafted config cannot ask for millions of runs."""


def penalty_choices(label: str, value: Any) -> list[float]:
    """Distinct L2 penalties ≥ 0 to choose from, in the order given (none: no choice), at
    most :data:`MAX_CHOICES`."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{label} must be a list of numbers such as [0.1, 0.3, 1], got {value!r}")
    if len(value) > MAX_CHOICES:
        raise ValueError(f"{label} holds {len(value):,} values; at most {MAX_CHOICES}")
    choices = [non_negative(label, item) for item in value]
    if len(set(choices)) != len(choices):
        raise ValueError(f"{label} must not repeat a value, got {value!r}")
    return choices


def fraction(text: str | float) -> float:
    """A fraction read from text; :func:`check_fraction` checks its range."""
    return number(text)


check_fraction = check_unit_interval
"""``check(label, value)`` of a value in ``[0, 1)``."""


def yes_no(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {text!r}")


def auto_yes_no(text: str | bool) -> str:
    """``"auto"``, or ``"yes"``/``"no"`` for any spelling :func:`yes_no` reads (and a bool)."""
    if isinstance(text, str) and text.lower() == "auto":
        return "auto"
    try:
        return "yes" if yes_no(text) else "no"
    except (AttributeError, ValueError):
        raise ValueError(f"must be auto, yes or no, got {text!r}") from None


def check_auto_yes_no(label: str, value: Any) -> str:
    """``value`` as :func:`auto_yes_no` reads it (``True`` from Python is ``"yes"``)."""
    try:
        return auto_yes_no(value)
    except ValueError as exc:
        raise ValueError(f"{label} {exc}") from None


def positive_int(label: str, value: Any) -> int:
    return int(check_positive_number(label, value, integer=True))


MAX_ENSEMBLE = 100
"""More networks than averaging gains from (the gain is flat after a handful), few enough
that a crafted config cannot ask for a network thousands of times as wide."""


def ensemble_size(label: str, value: Any) -> int:
    """A number of networks to average, 1 to :data:`MAX_ENSEMBLE`."""
    return _positive_at_most(label, value, MAX_ENSEMBLE)


MAX_EPOCHS = 1_000_000
"""More than any run needs (a million passes over the data), few enough that a crafted
config or checkpoint cannot ask a run never to end."""


def epoch_count(label: str, value: Any) -> int:
    """A positive number of epochs, at most :data:`MAX_EPOCHS`."""
    return _positive_at_most(label, value, MAX_EPOCHS)


def _positive_at_most(label: str, value: Any, most: int) -> int:
    count = positive_int(label, value)
    if count > most:
        raise ValueError(f"{label} must be at most {most:,}, got {count:,}")
    return count


def non_negative_int(label: str, value: Any) -> int:
    number = check_non_negative_number(label, value)
    if not float(number).is_integer():
        raise TypeError(f"{label} must be an integer ≥ 0, got {value!r}")
    return int(number)


def positive(label: str, value: Any) -> float:
    return float(check_positive_number(label, value))


def non_negative(label: str, value: Any) -> float:
    return check_non_negative_number(label, value)


def augmentation_text(label: str, value: Any) -> str:
    """Augmentation as text (``shift=2,rotate=10``), read once to name a bad field."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be text such as 'shift=2,rotate=10', got {value!r}")
    try:
        Augmentation.from_text(value)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None
    return value


def boolean(label: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{label} must be True or False, got {value!r}")
    return value


def non_empty_text(label: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{label} must be a non-empty string, got {value!r}")
    return value


def metric_names(label: str, value: Any) -> list[str]:
    names = [str(name) for name in value]
    for name in names:
        if name.lower() not in METRICS:
            raise ValueError(
                f"{label}: unknown metric {name!r}; known: {', '.join(sorted(METRICS))}"
            )
    return names
