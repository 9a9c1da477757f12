"""The array library and the dtype policy, chosen in one place.

Every other module takes ``xp`` from here, so that a GPU array library with NumPy's API
(CuPy) can be swapped in later without touching the math. NumPy is the default and the
reference implementation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

xp = np

Array: TypeAlias = npt.NDArray[Any]
"""An array of the active array library (a NumPy ndarray by default)."""
Flat: TypeAlias = tuple[Array, Array] | None
"""A network's parameters and gradients as two 1-D buffers (see :func:`pack`), or ``None``."""

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


def pack_groups(
    groups: Sequence[dict[str, Array]], align: int = 16
) -> tuple[Array, list[dict[str, Array]]]:
    """One zeroed 1-D buffer holding a copy of every array of ``groups``, in order, and the
    groups again as views of it (same keys, shapes and values).

    Each view starts at a multiple of ``align`` elements (64 bytes in float32: a cache
    line), so that the matrix products read aligned rows; the gaps stay 0.
    """
    arrays = [array for group in groups for array in group.values()]
    sizes = [-(-array.size // align) * align for array in arrays]
    buffer = xp.zeros(sum(sizes), dtype=arrays[0].dtype)
    views = iter(views_like(buffer, arrays, offsets=list(accumulate([0, *sizes[:-1]]))))
    packed = [{key: next(views) for key in group} for group in groups]
    for group, own in zip(groups, packed, strict=True):
        for key, array in group.items():
            own[key][...] = array
    return buffer, packed


def pack_layers(layers: Sequence[Any]) -> Flat:
    """Copy the layers' ``params`` into one 1-D buffer and their ``grads`` into another, and
    give each layer views of them (``layer.bind(params, grads)``), so that an optimizer
    updates every parameter in one pass; ``None`` when a layer has no ``bind``."""
    if not layers or not all(hasattr(layer, "bind") for layer in layers):
        return None
    theta, params = pack_groups([layer.params for layer in layers])
    grad, grads = pack_groups([layer.grads for layer in layers])
    for layer, own_params, own_grads in zip(layers, params, grads, strict=True):
        layer.bind(own_params, own_grads)
    return theta, grad


def views_like(
    buffer: Array,
    arrays: Sequence[Array],
    base: Array | None = None,
    offsets: list[int] | None = None,
) -> list[Array]:
    """Views of the 1-D ``buffer`` shaped as ``arrays``, at the offsets (in elements) the
    ``arrays`` have in their own 1-D buffer ``base``, or at ``offsets``."""
    if offsets is None:
        assert base is not None and all(a.base is base for a in arrays), "not views of base"
        start = base.__array_interface__["data"][0]
        offsets = [(a.__array_interface__["data"][0] - start) // a.itemsize for a in arrays]
    return [buffer[o : o + a.size].reshape(a.shape) for o, a in zip(offsets, arrays, strict=True)]


def holds(flat: Flat, params: Sequence[Array], grads: Sequence[Array]) -> bool:
    """Whether every one of ``params`` and ``grads`` is still a view of ``flat``'s buffers
    (a layer may have replaced an array since they were packed)."""
    return (
        flat is not None
        and all(array.base is flat[0] for array in params)
        and all(array.base is flat[1] for array in grads)
    )


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """Run the block with at most ``threads`` BLAS threads (``None``: as they are)."""
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ImportError(
            f"threads={threads} needs threadpoolctl, which is not installed: "
            "pip install threadpoolctl (or leave threads unset)"
        ) from exc
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


# -- optional compiled kernels ------------------------------------------------------------
# glassnet.kernels holds them (numba, optional); this switch sits here, at the bottom of the
# house, so that every layer can read it.

USE_COMPILED = True
"""Whether glassnet may use the compiled kernels of :mod:`glassnet.kernels` when numba is
installed; ``False`` runs everything in NumPy."""
