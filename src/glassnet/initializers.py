"""Weight initialization: Xavier/Glorot and He, uniform and normal (document 003, advanced topics).

Each initializer draws ``W^[l]`` of shape ``(n_l, n_{l−1})`` from an explicit
``numpy.random.Generator``, so that the same seed gives the same network. Biases start at 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .backend import Array, xp

Initializer = Callable[[int, int, np.random.Generator, np.dtype], Array]


def xavier_uniform(n_out: int, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> Array:
    """``W ~ U(−r, r)`` with ``r = √(6 / (n_in + n_out))`` (Glorot & Bengio, 2010)."""
    r = math.sqrt(6.0 / (n_in + n_out))
    return xp.asarray(rng.uniform(-r, r, size=(n_out, n_in)), dtype=dtype)


def xavier_normal(n_out: int, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> Array:
    """``W ~ N(0, σ²)`` with ``σ = √(2 / (n_in + n_out))``."""
    sigma = math.sqrt(2.0 / (n_in + n_out))
    return xp.asarray(rng.normal(0.0, sigma, size=(n_out, n_in)), dtype=dtype)


def he_normal(n_out: int, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> Array:
    """``W ~ N(0, σ²)`` with ``σ = √(2 / n_in)`` (He et al., 2015): keeps ReLU signals' variance."""
    sigma = math.sqrt(2.0 / n_in)
    return xp.asarray(rng.normal(0.0, sigma, size=(n_out, n_in)), dtype=dtype)


def he_uniform(n_out: int, n_in: int, rng: np.random.Generator, dtype: np.dtype) -> Array:
    """``W ~ U(−r, r)`` with ``r = √(6 / n_in)``."""
    r = math.sqrt(6.0 / n_in)
    return xp.asarray(rng.uniform(-r, r, size=(n_out, n_in)), dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}
_ALIASES = {
    "glorot_uniform": "xavier_uniform",
    "glorot_normal": "xavier_normal",
    "xavier": "xavier_uniform",
    "glorot": "xavier_uniform",
    "he": "he_normal",
    "kaiming": "he_normal",
}
_RELU_FAMILY = {"relu", "leaky_relu", "elu", "gelu", "softplus"}


def default_initializer(activation_name: str) -> str:
    """He for the ReLU family, Xavier for the rest: each keeps its activation's variance."""
    return "he_normal" if activation_name in _RELU_FAMILY else "xavier_uniform"


def get_initializer(name: str) -> Initializer:
    """Return the initializer called ``name``."""
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in INITIALIZERS:
        known = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown init {name!r}; expected one of {known}")
    return INITIALIZERS[key]


def canonical_initializer_name(name: str) -> str:
    """The registry name behind an alias (``'he'`` → ``'he_normal'``)."""
    get_initializer(name)
    return _ALIASES.get(name.lower(), name.lower())
