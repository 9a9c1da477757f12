"""The array library and the dtype policy, chosen in one place.

Every other module takes ``xp`` from here, so that a GPU array library with NumPy's API
(CuPy) can be swapped in later without touching the math. NumPy is the default and the
reference implementation.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

xp = np

Array: TypeAlias = npt.NDArray[Any]
"""An array of the active array library (a NumPy ndarray by default)."""

FLOAT_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
DEFAULT_DTYPE = "float32"


def row_sum(M: Array) -> Array:
    """``Σ_k M[i, k]`` for each row ``i``: shape ``(m,)``.

    NumPy reduces along a short last axis (the ``n_L`` outputs of each sample) one row at
    a time; a matrix-vector product with a vector of ones does it in BLAS, several times
    faster for the ``m × 10`` arrays of the output layer.
    """
    return M @ xp.ones(M.shape[1], dtype=M.dtype)


def resolve_dtype(dtype: str | npt.DTypeLike | None) -> np.dtype[Any]:
    """Return the floating dtype named by ``dtype`` (``"float32"`` or ``"float64"``).

    Training runs in exactly this dtype: nothing inside upcasts.
    """
    if dtype is None:
        dtype = DEFAULT_DTYPE
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype must be one of {sorted(FLOAT_DTYPES)}, got {dtype!r}") from exc
    if resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(FLOAT_DTYPES)}, got {resolved.name!r}")
    return np.dtype(resolved)
