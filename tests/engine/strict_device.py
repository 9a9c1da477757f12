"""A stand-in device library for tests: NumPy's arithmetic behind arrays that refuse to
become NumPy arrays, as CuPy's do.

``StrictArray`` wraps an ndarray. NumPy cannot read it (``np.asarray`` raises, NumPy's
functions and ufuncs refuse it), it refuses NumPy arrays as operands or as values to
store, and it gives its data back only through ``.get()``, as CuPy does. The module
:data:`library` has NumPy's names, each function wrapped to take and give StrictArrays
(``asarray``/``array`` alone accept host data: the one way onto the device). Code that
silently moves device data to the host, or mixes host arrays into device arithmetic,
fails under it.
"""

from __future__ import annotations

import operator
import types
from typing import Any

import numpy as np

REFUSED = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)
TRANSFERS = {"asarray", "array"}
"""The functions that accept host arrays (they copy them onto the device)."""
NOT_IN_CUPY = {"take": {"mode"}}
"""Keyword arguments NumPy accepts that CuPy's function of the same name does not."""


class StrictArray:
    """A device array: an ndarray that only this module's functions may touch."""

    __array_ufunc__ = None  # NumPy's ufuncs refuse it; `ndarray + StrictArray` defers here
    __slots__ = ("_a", "base")

    def __init__(self, data: np.ndarray, base: StrictArray | None = None) -> None:
        self._a, self.base = data, base

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(REFUSED)

    def __array_function__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(REFUSED)

    def get(self) -> np.ndarray:
        """A NumPy copy of the data: the explicit way to the host."""
        return self._a.copy()

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return dict(self._a.__array_interface__)

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    ndim = property(lambda self: self._a.ndim)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: self._view(self._a.T))

    def _view(self, result: Any) -> Any:
        """``result`` of an operation on this array, wrapped; a view keeps the owner as base."""
        if isinstance(result, np.ndarray) and result.base is not None:
            if np.may_share_memory(result, self._a):
                return StrictArray(result, self.base if self.base is not None else self)
        return wrap(result)

    def __getitem__(self, key: Any) -> Any:
        return self._view(self._a[unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[unwrap(key)] = unwrap(value)

    def __getattr__(self, name: str) -> Any:
        if name in ("__array_interface__", "__array_struct__", "ctypes", "tofile", "tobytes"):
            raise AttributeError(f"a device array has no {name}")
        attribute = getattr(self._a, name)
        if not callable(attribute):
            return wrap(attribute)

        def method(*args: Any, **kwargs: Any) -> Any:
            return self._view(attribute(*unwrap(args), **unwrap(kwargs)))

        return method

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __float__(self) -> float:  # CuPy converts a 0-d array (waiting for the device)
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __repr__(self) -> str:
        return f"StrictArray({self._a!r})"


def _binary(op: Any) -> Any:
    def method(self: StrictArray, other: Any) -> Any:
        return wrap(op(self._a, unwrap(other)))

    return method


def _reflected(op: Any) -> Any:
    def method(self: StrictArray, other: Any) -> Any:
        return wrap(op(unwrap(other), self._a))

    return method


def _inplace(op: Any) -> Any:
    def method(self: StrictArray, other: Any) -> StrictArray:
        op(self._a, unwrap(other))
        return self

    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "pow", "matmul", "mod", "and", "or"):
    _op = getattr(operator, f"{_name}_") if _name in ("and", "or") else getattr(operator, _name)
    setattr(StrictArray, f"__{_name}__", _binary(_op))
    setattr(StrictArray, f"__r{_name}__", _reflected(_op))
    setattr(StrictArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StrictArray, f"__{_name}__", _binary(getattr(operator, _name)))
StrictArray.__neg__ = lambda self: wrap(-self._a)  # type: ignore[attr-defined]
StrictArray.__abs__ = lambda self: wrap(abs(self._a))  # type: ignore[attr-defined]
StrictArray.__invert__ = lambda self: wrap(~self._a)  # type: ignore[attr-defined]
StrictArray.__hash__ = None  # type: ignore[assignment]


def unwrap(value: Any, transfer: bool = False) -> Any:
    """The ndarrays inside ``value``; a host array (not a scalar) is a TypeError, as
    CuPy's functions refuse NumPy arrays, unless ``transfer``."""
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, np.ndarray):
        if transfer:
            return value.copy()
        raise TypeError(
            f"Unsupported type {type(value)} (a host array where a device array was needed)"
        )
    if isinstance(value, tuple | list):
        return type(value)(unwrap(item, transfer) for item in value)
    if isinstance(value, dict):
        return {key: unwrap(item, transfer) for key, item in value.items()}
    return value


def wrap(value: Any) -> Any:
    """``value`` with each ndarray (or NumPy scalar: CuPy gives 0-d arrays) wrapped."""
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(item) for item in value)
    return value


def _function(name: str, function: Any) -> Any:
    refused = NOT_IN_CUPY.get(name, set())

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if refused & set(kwargs):
            raise TypeError(
                f"{name}() got an unexpected keyword argument {sorted(refused & set(kwargs))}"
            )
        transfer = name in TRANSFERS
        out = kwargs.get("out")
        if transfer and args and isinstance(args[0], StrictArray):
            dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
            same = dtype is None or np.dtype(dtype) == args[0].dtype
            if name == "asarray" and same:
                return args[0]
        result = function(*unwrap(args, transfer), **unwrap(kwargs, transfer))
        if isinstance(out, StrictArray) and result is out._a:
            return out
        return wrap(result)

    wrapped.__name__ = name
    return wrapped


def _namespace(name: str, source: types.ModuleType) -> types.ModuleType:
    module = types.ModuleType(name)
    for key in dir(source):
        value = getattr(source, key)
        if isinstance(value, type) or key.startswith("_") or not callable(value):
            setattr(module, key, value)
        else:
            setattr(module, key, _function(key, value))
    return module


library = _namespace("strict_device", np)
library.linalg = _namespace("strict_device.linalg", np.linalg)  # type: ignore[attr-defined]
