"""How the diagnosis writes its numbers: short, and ``—`` where a quantity does not apply."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def sci(value: float | None) -> str:
    """Two significant digits in scientific notation (``'2.1e-05'``), ``'0'``, or ``'—'``."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return "0" if value == 0 else f"{value:.1e}"


def percent(value: float | None) -> str:
    """``'42%'``, or ``'—'``."""
    return "—" if value is None else f"{value:.0%}"


def json_float(value: Any) -> Any:
    """``value`` with NaN and inf as ``None``, which JSON can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def layer_range(indices: Sequence[int]) -> str:
    """``'layer 2'``, ``'layers 1–5'`` or ``'layers 1, 3, 4'``."""
    if len(indices) == 1:
        return f"layer {indices[0]}"
    if list(indices) == list(range(indices[0], indices[-1] + 1)):
        return f"layers {indices[0]}–{indices[-1]}"
    return "layers " + ", ".join(map(str, indices))


def advice(*items: str) -> str:
    """The items in order, without repeats, joined by ``'; '``."""
    return "; ".join(dict.fromkeys(items))
