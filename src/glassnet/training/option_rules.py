"""How the training options' values are read from text (a flag, a config file) and
checked from Python: the readers take text or TOML values, the checks take
``(label, value)`` and name ``label`` in their error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..metrics import METRICS
from ..validation import check_non_negative_number, check_positive_number, check_unit_interval


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


def comma_sizes(text: str | Sequence[int]) -> list[int]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        raise ValueError(f"must be comma-separated integers such as 64,32, got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError(f"sizes must be integers ≥ 1, got {text!r}")
    return sizes


def comma_names(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return [str(t) for t in text]
    return [part.strip() for part in text.split(",") if part.strip()]


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


def positive_int(label: str, value: Any) -> int:
    return int(check_positive_number(label, value, integer=True))


MAX_EPOCHS = 1_000_000
"""More than any run needs (a million passes over the data), few enough that a crafted
config or checkpoint cannot ask a run never to end."""


def epoch_count(label: str, value: Any) -> int:
    """A positive number of epochs, at most :data:`MAX_EPOCHS`."""
    epochs = positive_int(label, value)
    if epochs > MAX_EPOCHS:
        raise ValueError(f"{label} must be at most {MAX_EPOCHS:,}, got {epochs:,}")
    return epochs


def non_negative_int(label: str, value: Any) -> int:
    number = check_non_negative_number(label, value)
    if not float(number).is_integer():
        raise TypeError(f"{label} must be an integer ≥ 0, got {value!r}")
    return int(number)


def positive(label: str, value: Any) -> float:
    return float(check_positive_number(label, value))


def non_negative(label: str, value: Any) -> float:
    return check_non_negative_number(label, value)


def layer_sizes(label: str, value: Any) -> list[int]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{label} must be a list of layer sizes such as [64, 32], got {value!r}")
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in value):
        raise ValueError(f"{label} must hold integers ≥ 1, got {value!r}")
    return list(value)


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
