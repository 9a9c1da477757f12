"""Numbers and durations as the report writes them, in its captions and its tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def number(value: Any) -> str:
    """A number as the report prints it: ints with separators, floats to 4 decimals.

    Floats below 10⁻³ (not 0) take scientific notation, those from 10⁴ up one decimal and
    separators; anything that is not a number is ``str(value)``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.3e}"
    if abs(value) >= 1e4:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def duration(seconds: float) -> str:
    """``seconds`` as ``"0.41 s"``, ``"3 min 5 s"`` or ``"2 h 7 min"``."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
