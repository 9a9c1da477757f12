"""The checks of a trace spec's values: every field's type and range, each error naming the
spec file (or example) and the field, as ``spec.json: layer 1: W[0][1] is 1e+400, …``.

A spec is JSON or TOML typed by hand, so anything may be anywhere: a string for a number,
``Infinity`` or ``10**400`` (a number that overflows float64) in a weight, a list for an
optimizer. Nothing past these checks sees a value of the wrong type.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import Array
from ..validation import check_integer, printable, shown

FLOAT64_MAX = float(np.finfo(np.float64).max)


class SpecError(ValueError):
    """A trace spec that is missing a key or whose values do not fit together."""


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)


def number(where: str, raw: dict[str, Any], key: str, default: float) -> float:
    """The finite number under ``key`` (``default`` when it is absent)."""
    value = raw.get(key, default)
    if not _is_number(value):
        raise SpecError(f"{where}: {key} must be a number, got {shown(value)}")
    if isinstance(value, int | np.integer) and abs(int(value)) > FLOAT64_MAX:
        raise SpecError(f"{where}: {key} is {shown(value)}, beyond float64's range (±1.8e308)")
    if not math.isfinite(value):
        raise SpecError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def integer(
    where: str, raw: dict[str, Any], key: str, default: int, low: int, high: int | None = None
) -> int:
    """The whole number in ``[low, high]`` under ``key`` (``default`` when it is absent)."""
    try:
        return check_integer(key, raw.get(key, default), low=low, high=high)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None


def text(where: str, raw: dict[str, Any], key: str) -> str:
    """The string under ``key`` ("" when absent), without control characters: a spec's
    name and description are printed, and must not drive the terminal."""
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise SpecError(f"{where}: {key} must be a string, got {shown(value)}")
    return printable(value)


def _first_bad_entry(value: Any, index: tuple[int, ...] = ()) -> tuple[tuple[int, ...], str] | None:
    """The index of the first entry of nested lists that is not a number float64 holds,
    and what is wrong with it; None when every entry is such a number."""
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _first_bad_entry(item, (*index, i))
            if found is not None:
                return found
        return None
    if isinstance(value, np.ndarray):  # a spec built in Python may hold arrays
        return None if value.dtype.kind in "iuf" else (index, f"holds {value.dtype}")
    if value is None:
        return index, "got null"
    if not _is_number(value):
        return index, f"got {shown(value)}"
    if isinstance(value, int | np.integer) and abs(int(value)) > FLOAT64_MAX:
        return index, f"is {shown(value)}, beyond float64's range (±1.8e308)"
    return None


def _at(key: str, index: tuple[int, ...]) -> str:
    return key + "".join(f"[{i}]" for i in index)


def array(where: str, value: Any, key: str, dtype: np.dtype[Any]) -> Array:
    """``value`` (nested lists of numbers) as an array of ``dtype``, every entry a finite
    number that ``dtype`` holds."""
    found = _first_bad_entry(value)
    if found is not None:
        index, problem = found
        if problem.startswith("is "):
            raise SpecError(f"{where}: {_at(key, index)} {problem}")
        what = "a number" if index else "a matrix of numbers (a list of equal rows)"
        raise SpecError(f"{where}: {_at(key, index)} must be {what}, {problem}")
    try:
        wide = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(
            f"{where}: {key} must be a matrix of numbers (a list of equal rows)"
        ) from None
    finite = np.isfinite(wide)
    if not finite.all():
        spot = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise SpecError(
            f"{where}: {_at(key, spot)} is {wide[spot]}: a spec's numbers must be finite "
            "(NaN, Infinity and 1e999 are not)"
        )
    with np.errstate(over="ignore"):
        narrow = wide.astype(dtype)
    if not np.isfinite(narrow).all():
        spot = tuple(int(i) for i in np.argwhere(~np.isfinite(narrow))[0])
        limit = float(np.finfo(dtype).max)
        raise SpecError(
            f"{where}: {_at(key, spot)} is {wide[spot]:g}, beyond {dtype}'s range "
            f"(±{limit:.2g}); the spec's dtype is {dtype}"
        )
    return narrow


def matrix(where: str, value: Any, key: str, dtype: np.dtype[Any]) -> Array:
    """``X``, ``Y`` or a ``W`` as a 2-D array (a row of ``X``/``Y`` is one sample, a list
    of ``W`` one column); ``X`` may hold grids, for a network that starts with a flatten."""
    values = array(where, value, key, dtype)
    if values.ndim == 1:
        values = values.reshape(1, -1) if key in ("X", "Y") else values.reshape(-1, 1)
    grid = key == "X" and values.ndim > 2  # samples that are grids, for a flatten layer
    if (values.ndim != 2 and not grid) or values.size == 0:
        raise SpecError(f"{where}: {key} must be a non-empty matrix, got shape {values.shape}")
    return values


def optimizer_settings(where: str, spec: Any) -> tuple[str, dict[str, Any]]:
    """An ``optimizer`` entry, a name or a table with ``name`` and numeric settings (true or
    false where a setting is on or off, as ``nesterov``), as ``(name, settings)``."""
    if isinstance(spec, str):
        return spec, {}
    if not isinstance(spec, dict):
        raise SpecError(
            f'{where}: optimizer must be a name ("adam") or a table with a name and its '
            f'settings ({{"name": "adam", "learning_rate": 0.01}}), got {shown(spec)}'
        )
    settings = dict(spec)
    name = settings.pop("name", None)
    if not isinstance(name, str):
        raise SpecError(
            f"{where}: optimizer needs a 'name' (sgd, momentum, adam, …), got {shown(name)}"
        )
    for key, value in settings.items():
        if not isinstance(value, bool):  # a bool is a switch; the optimizer checks which
            settings[key] = number(f"{where}: optimizer", settings, key, 0.0)
    return name, settings


def pair(
    where: str, raw: dict[str, Any], key: str, default: int | None, low: int, high: int
) -> tuple[int, int]:
    """A window's size, stride or padding under ``key``: one whole number from ``low`` to
    ``high`` for both axes, or a list ``[height, width]`` of two (``default`` when absent;
    a required key has ``None``)."""
    if key not in raw and default is not None:
        return default, default
    value = raw.get(key)
    if isinstance(value, list) and len(value) == 2:
        items = {f"{key}[{i}]": item for i, item in enumerate(value)}
        h, w = (integer(where, items, name, 0, low=low, high=high) for name in items)
        return h, w
    if isinstance(value, list):
        raise SpecError(
            f"{where}: {key} must be a whole number or a list [height, width] of two, "
            f"got a list of {len(value)}"
        )
    n = integer(where, {key: value}, key, 0, low=low, high=high)
    return n, n
