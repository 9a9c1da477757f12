"""Checks at the public boundary: every message names the argument, what was expected
and what was received, with a hint where one helps.

Nothing inside the engine validates again; it asserts invariants only.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from .backend import Array, xp

_TOO_LONG = 40
"""Characters of a value's repr that a message shows (a JSON integer may have 400 digits)."""


def shown(value: Any) -> str:
    """``repr(value)``, cut short when it is long: what a message says it received."""
    text = repr(value)
    if len(text) <= _TOO_LONG:
        return text
    return f"{text[: _TOO_LONG - 10]}… ({len(text)} characters)"


# A terminal escape sequence (ESC [ … m colours, ESC ] … BEL sets the window title, ESC
# and one character), removed whole so that no "[31m" is left behind; then any other
# control character but tab and newline, and the bidirectional overrides that can show
# text in another order than it is (U+202A–U+202E, U+2066–U+2069).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` from a file (a spec's description, a column name, a class label) made safe
    to print on a terminal: escape sequences and control characters removed, tab and
    newline kept. Without it a file could recolour, clear or retitle the user's terminal."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def closest(word: str, known: Iterable[str]) -> str | None:
    """The one of ``known`` closest to a mistyped ``word`` (case aside: ``Relu`` is
    ``relu``), or ``None`` when none is close: the "did you mean" of an error."""
    lowered = {str(name).lower(): str(name) for name in known}
    close = difflib.get_close_matches(word.lower(), lowered, n=1)
    return lowered[close[0]] if close else None


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def _as_float(value: int | float | np.integer | np.floating) -> float:
    """``value`` as a float: inf for an int beyond float64's range (a JSON ``10**400`` is a
    Python int, and ``float()`` of it raises OverflowError, not a ValueError)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def check_positive_number(name: str, value: Any, *, integer: bool = False) -> Any:
    """``value`` if it is a finite number > 0 (an integer when ``integer``), else ValueError."""
    kind = "an integer" if integer else "a number"
    if not _is_number(value):
        raise TypeError(f"{name} must be {kind} > 0, got {shown(value)} ({type(value).__name__})")
    if integer and isinstance(value, int | np.integer):
        if value <= 0:
            raise ValueError(f"{name} must be {kind} > 0, got {shown(value)}")
        return int(value)
    number = _as_float(value)
    if integer and math.isfinite(number) and not number.is_integer():
        raise TypeError(f"{name} must be {kind} > 0, got {shown(value)}")
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be {kind} > 0, got {shown(value)}")
    return int(number) if integer else number


def check_non_negative_number(name: str, value: Any) -> float:
    """``value`` as a float if it is finite and ≥ 0, else ValueError."""
    if not _is_number(value):
        raise TypeError(f"{name} must be a number ≥ 0, got {shown(value)} ({type(value).__name__})")
    number = _as_float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a number ≥ 0, got {shown(value)}")
    return number


def check_integer(name: str, value: Any, *, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int if it is a whole number in ``[low, high]`` (no upper bound when
    ``high`` is None), else an error naming ``name`` and the range.

    A float that is a whole number (``2.0``, ``1e3``) counts, as JSON and TOML may write one.
    """
    wanted = f"an integer ≥ {low:,}" if high is None else f"an integer from {low:,} to {high:,}"
    if not _is_number(value):
        raise TypeError(f"{name} must be {wanted}, got {shown(value)} ({type(value).__name__})")
    if not isinstance(value, int | np.integer):
        number = _as_float(value)
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError(f"{name} must be {wanted}, got {shown(value)}")
    whole = int(value)
    if whole < low or (high is not None and whole > high):
        raise ValueError(f"{name} must be {wanted}, got {shown(value)}")
    return whole


def check_unit_interval(name: str, value: Any) -> float:
    """``value`` as a float if it is in ``[0, 1)`` (a rate, a fraction, a decay), else an
    error naming ``name``."""
    number = check_non_negative_number(name, value)
    if number >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return number


def _first_non_finite(array: Array) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])


def check_features(
    X: Any, input_shape: int | tuple[int, ...], dtype: np.dtype[Any], *, name: str = "X"
) -> Array:
    """``X`` as a C-contiguous ``(m, *input_shape)`` array of ``dtype`` (``(m, n_0)`` for a
    network that starts with a dense layer).

    Raises a ValueError naming ``name`` for a wrong rank, an empty array, a wrong number
    of features or a NaN/inf, and a TypeError for non-numeric data.
    """
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    try:
        array = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{name} must be a {len(shape) + 1}-D array of numbers; could not read it: {exc}"
        ) from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if len(shape) == 1:
        if array.ndim == 1:
            raise ValueError(
                f"{name} must be 2-D (samples, features), got shape {array.shape}; use "
                f"{name}.reshape(-1, 1) for one feature or {name}.reshape(1, -1) for one sample"
            )
        if array.ndim != 2:
            raise ValueError(f"{name} must be 2-D (samples, features), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {array.shape})")
    if len(shape) == 1 and array.shape[1] != shape[0]:
        raise ValueError(
            f"{name} has {array.shape[1]} features, but the network's first layer expects "
            f"{shape[0]} (W^[1] has shape (n_1, {shape[0]}))"
        )
    if array.shape[1:] != shape:
        raise ValueError(
            f"{name} has samples of shape {array.shape[1:]}, but the network's first layer "
            f"expects {shape} (so {name} must have shape (m, {', '.join(map(str, shape))}))"
        )
    array = xp.ascontiguousarray(array, dtype=dtype)
    # A sum is finite only if every term is (NaN and inf propagate), and it reads X once
    # without the m × n boolean temporary of isfinite; an overflowing sum of finite values
    # falls through to the exact count below, which then finds nothing.
    if not math.isfinite(float(array.sum())) and (
        count := int(xp.count_nonzero(~xp.isfinite(array)))
    ):
        raise ValueError(
            f"{name} contains {count} NaN or inf value(s), the first at (row, column) "
            f"{_first_non_finite(array)}; impute or drop them before training"
        )
    return array


def check_targets(y: Any, n_samples: int, n_outputs: int, *, name: str = "y") -> np.ndarray:
    """``y`` as a finite numeric 1-D or 2-D array with ``n_samples`` rows.

    What its columns must hold depends on the loss; :meth:`glassnet.losses.Loss.targets`
    checks that next.
    """
    try:
        array = np.asarray(y)
    except ValueError as exc:
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers, got dtype {array.dtype}; encode class names as "
            f"integers 0 … {n_outputs - 1} first"
        )
    if array.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {array.shape}")
    if array.shape[0] != n_samples:
        raise ValueError(
            f"X and {name} must have the same number of samples: X has {n_samples}, "
            f"{name} has {array.shape[0]}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} contains NaN or inf, the first at index {_first_non_finite(array)}"
        )
    return array


def check_sample_weight(weights: Any, n_samples: int, dtype: np.dtype[Any]) -> Array:
    """Per-sample weights as a ``(m,)`` array of ``dtype``: finite and ≥ 0, not all zero."""
    array = np.asarray(weights)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must hold numbers, got dtype {array.dtype}")
    if array.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), got {array.shape}")
    if not np.all(np.isfinite(array)) or array.min() < 0:
        raise ValueError("sample_weight must be finite and ≥ 0")
    if not array.any():
        raise ValueError("sample_weight is zero for every sample")
    return xp.ascontiguousarray(array, dtype=dtype)


def check_shape_is(name: str, array: Array, expected: tuple[int, ...], why: str) -> None:
    """Refuse ``array`` unless its shape is ``expected``, saying ``why`` (for the engine's own
    methods, which a learner calls by hand: a comparison of two tuples, cheap each step)."""
    if tuple(array.shape) != tuple(expected):
        raise ValueError(f"{name} has shape {tuple(array.shape)}, not {tuple(expected)}: {why}")
