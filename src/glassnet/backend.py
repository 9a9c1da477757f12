"""The array library and the dtype policy, chosen in one place.

Every other module takes ``xp`` from here and computes with ``xp.matmul``, ``xp.sum``, …:
``xp`` is a module object holding NumPy's names (an attribute costs what ``np.`` costs, a
dictionary look-up), whose names are those of another array library with NumPy's API
(CuPy, for ``device="cuda"``) for the duration of ``with on_device(device):``. NumPy is
the default and the reference implementation; nothing but this module imports CuPy.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt


class ArrayNamespace(types.ModuleType):
    """The active array library's names (see the module's docstring): a module whose
    ``__dict__`` is a copy of the library's, swapped whole by :func:`on_device`."""

    def use(self, library: types.ModuleType) -> None:
        """Make this namespace's names those of ``library``."""
        names = dict(vars(library))
        names["__name__"] = self.__name__
        self.__dict__.clear()
        self.__dict__.update(names)


if TYPE_CHECKING:
    xp = np
else:
    xp = ArrayNamespace("glassnet.backend.xp")
    ArrayNamespace.use(xp, np)

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
        start = address(base)
        offsets = [(address(a) - start) // a.itemsize for a in arrays]
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


# -- devices ------------------------------------------------------------------------------
# A device is a name and the array library that computes on it: "cpu" is NumPy, "cuda" is
# CuPy (imported on first use, here only). Tests register a stand-in library under another
# name (see register_device) to run the engine on arrays that refuse to become NumPy's.

DEVICES: dict[str, types.ModuleType] = {"cpu": np}
"""The array library of each device name known so far (``"cuda"`` once CuPy is loaded)."""
_active = ["cpu"]


def register_device(name: str, library: types.ModuleType) -> None:
    """Make ``name`` a device whose arrays are ``library``'s (NumPy's API; its arrays have
    ``.get()`` returning a NumPy array, as CuPy's do). For tests and other backends."""
    DEVICES[name] = library


def check_device(device: Any) -> str:
    """``device`` (``"cpu"``, ``"cuda"``, ``"auto"`` or a registered name) checked, with
    its library loaded; ``"auto"`` is ``"cuda"`` when CuPy sees a GPU, else ``"cpu"``.

    ``"cuda"`` without CuPy is an ImportError, and with CuPy but no usable GPU a
    RuntimeError, each in one line saying which is missing.
    """
    if device == "auto":
        try:
            return check_device("cuda")
        except (ImportError, RuntimeError):
            return "cpu"
    if device in DEVICES:
        return str(device)
    if device != "cuda":
        names = sorted({*DEVICES, "cuda", "auto"})
        raise ValueError(f"device must be one of {names}, got {device!r}")
    try:
        import cupy  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise ImportError(
            'device="cuda" needs CuPy, which is not installed: pip install "glassnet[gpu]"'
        ) from exc
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDA's own error type: no driver, no device, …
        raise RuntimeError(
            f'device="cuda": CuPy is installed but finds no CUDA GPU ({exc})'
        ) from None
    if count < 1:
        raise RuntimeError('device="cuda": CuPy is installed but finds no CUDA GPU')
    DEVICES["cuda"] = cupy
    return "cuda"


def current_device() -> str:
    """The device whose library ``xp`` holds now (``"cpu"`` outside :func:`on_device`)."""
    return _active[-1]


@contextmanager
def on_device(device: str) -> Iterator[None]:
    """Compute the block with ``device``'s array library: ``xp`` holds its names until the
    block ends (then those of the device before). Not thread-safe: one device at a time."""
    device = check_device(device)
    if device == _active[-1]:
        yield
        return
    ArrayNamespace.use(xp, DEVICES[device])  # type: ignore[arg-type]
    _active.append(device)
    try:
        yield
    finally:
        _active.pop()
        ArrayNamespace.use(xp, DEVICES[_active[-1]])  # type: ignore[arg-type]


def to_device(array: Any, device: str | None = None) -> Array:
    """``array`` as an array of ``device`` (default: the active one); no copy when it is one
    already. Host data goes to the device here and only here."""
    library = DEVICES[check_device(device) if device is not None else _active[-1]]
    if library is np:
        return to_host(array)
    result: Array = library.asarray(array)
    return result


def to_host(array: Any) -> Any:
    """``array`` as a NumPy array (itself when it is one); anything else as it is but for
    the arrays inside a dict, list or tuple. Where results are written or shown."""
    if isinstance(array, np.ndarray | np.generic):
        return array
    if hasattr(array, "get") and hasattr(array, "shape"):  # a device array (CuPy's API)
        return array.get()
    if isinstance(array, dict):
        return {key: to_host(value) for key, value in array.items()}
    if type(array) in (list, tuple):
        return type(array)(to_host(value) for value in array)
    return array


def on_host(array: Any) -> bool:
    """Whether ``array`` lives in host memory (a NumPy array or scalar)."""
    return isinstance(array, np.ndarray | np.generic)


def address(array: Array) -> int:
    """The address of ``array``'s first element, on the host or the device."""
    interface = getattr(array, "__cuda_array_interface__", None)
    if interface is None:
        interface = array.__array_interface__
    return int(interface["data"][0])
