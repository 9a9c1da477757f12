"""Optional compiled kernels for the elementwise work of a training step.

A training step is eight matrix products, which BLAS runs near the machine's limit, and a
few dozen elementwise passes (the bias, the activation and its derivative, softmax, the
loss, the update rule), which NumPy runs one call and one pass over memory each. On small
batches the calls cost as much as the products. With numba installed (``glassnet[fast]``)
each group of passes below is one compiled loop instead; without it, or with
:data:`glassnet.backend.USE_COMPILED` off, the NumPy code beside each caller runs.

Every kernel runs on one thread. Split over the two cores of the development machine the
update rules alone ran faster (SGD's step 14 µs instead of 23), but a training epoch ran
2.6× slower with numba's workqueue threads and 18× slower with its OpenMP threads: those
threads and BLAS's wait for a core by spinning, and each steals the other's.

Two kinds of kernel, and what each promises:

- The update rules (``sgd``, ``momentum``, ``adam``) do the NumPy rule's operations in the
  same order and in the arrays' dtype, element by element, so the parameters are the same
  bit for bit.
- The layer and loss kernels (``bias_relu``, ``relu_backward``, ``softmax``,
  ``cce_from_logits``) compute the same formulas, but sum in another order than NumPy's
  pairwise sums and call another ``exp``: equal to NumPy's to rounding (a few units in the
  last place), and the same from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .backend import Array

_COMPILED: dict[str, Any] = {}


def compiled(name: str) -> Any:
    """The compiled kernel ``name``, or ``None`` without numba or with compiling off."""
    if not backend.USE_COMPILED:
        return None
    if name not in _COMPILED:
        try:
            import numba  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            _COMPILED[name] = None
        else:
            # error_model="numpy": a division by zero gives inf as in NumPy, not an
            # exception, and lets the loops vectorize. cache: compile once per machine.
            jit = numba.njit(error_model="numpy", nogil=True, cache=True)
            _COMPILED[name] = jit(KERNELS[name])
    return _COMPILED[name]


def run_compiled(
    name: str, arrays: Sequence[Array], settings: Sequence[Any] = (), *, flat: bool = True
) -> bool:
    """Run kernel ``name`` on the C-contiguous ``arrays`` (flattened when ``flat``) and the
    number ``settings`` cast to the arrays' dtype (as NumPy rounds a Python float against
    a float32 array); ``False``, having done nothing, when it is not compiled, an array
    is strided, or the arrays are on a device (numba compiles for the host only)."""
    # Called several times a step: plain loops, no generators (each costs a microsecond).
    kernel = compiled(name)
    if kernel is None or not isinstance(arrays[0], np.ndarray):  # a device's arrays: xp's code
        return False
    for array in arrays:
        if not array.flags.c_contiguous:
            return False
    if settings:
        cast = arrays[0].dtype.type
        numbers = [value if isinstance(value, bool) else cast(value) for value in settings]
    else:
        numbers = []
    if flat:
        kernel(*[array.reshape(-1) for array in arrays], *numbers)
    else:
        kernel(*arrays, *numbers)
    return True


# -- the update rules: bit for bit the NumPy rules of glassnet.optimizers ------------------


def _sgd_kernel(theta: Array, grad: Array, alpha: Any) -> None:
    # θ ← θ − α g
    for i in range(theta.size):
        theta[i] -= grad[i] * alpha


def _momentum_kernel(
    theta: Array, grad: Array, velocity: Array, mu: Any, alpha: Any, nesterov: bool
) -> None:
    # v ← μ v + g, θ ← θ − α v (Nesterov: θ ← θ − α (μ v + g)).
    for i in range(theta.size):
        v = velocity[i] * mu + grad[i]
        velocity[i] = v
        theta[i] -= ((v * mu + grad[i]) if nesterov else v) * alpha


def _adam_kernel(
    theta: Array, grad: Array, m: Array, v: Array, keep1: Any, keep2: Any, alpha: Any, eps: Any
) -> None:
    # m ← m + (g − m)(1 − β₁), v ← v + (g² − v)(1 − β₂), θ ← θ − α_t m / (√v + ε_t).
    # Each value read once into a local: LLVM cannot tell that the arrays do not overlap,
    # and re-reading m[i] and v[i] after the stores kept it from vectorizing (185 → 69 µs
    # a step on 235,146 parameters, the same numbers).
    for i in range(theta.size):
        g = grad[i]
        m_i = m[i] + (g - m[i]) * keep1
        v_i = v[i] + (g * g - v[i]) * keep2
        m[i], v[i] = m_i, v_i
        theta[i] -= m_i / (np.sqrt(v_i) + eps) * alpha


# -- a layer's elementwise work, fused -----------------------------------------------------


def _bias_relu_kernel(Z: Array, b: Array, A: Array) -> None:
    # Z ← Z + b (eq. 1's bias), A = max(0, Z) (eq. 2): one pass instead of three.
    m, n = Z.shape
    for i in range(m):
        for j in range(n):
            z = Z[i, j] + b[j]
            Z[i, j] = z
            A[i, j] = z * (z > 0)  # as NumPy's Z * (Z > 0): NaN stays NaN


def _relu_backward_kernel(dA: Array, Z: Array, db: Array) -> None:
    # δ = ∂L/∂A ⊙ 1[Z > 0] in place (BP step 3), and ∂L/∂b = Σ_samples δ beside it.
    m, n = Z.shape
    db[:] = 0
    for i in range(m):
        for j in range(n):
            g = dA[i, j] * (Z[i, j] > 0)
            dA[i, j] = g
            db[j] += g


def _softmax_kernel(Z: Array, A: Array) -> None:
    # a_k = e^{z_k − max z} / Σ_j e^{z_j − max z}, a row at a time.
    m, n = Z.shape
    for i in range(m):
        top = Z[i, 0]
        for k in range(1, n):
            top = max(top, Z[i, k])
        total = 0
        for k in range(n):
            e = np.exp(Z[i, k] - top)
            A[i, k] = e
            total += e
        for k in range(n):
            A[i, k] /= total


def _cce_from_logits_kernel(Z: Array, Y: Array, losses: Array) -> None:
    # ℓ_i = Σ_k y_k (logsumexp(s) − s_k), s = z − max z, a row at a time.
    m, n = Z.shape
    for i in range(m):
        top = Z[i, 0]
        for k in range(1, n):
            top = max(top, Z[i, k])
        total = 0
        weight = 0
        dot = 0
        for k in range(n):
            s = Z[i, k] - top
            total += np.exp(s)
            weight += Y[i, k]
            dot += Y[i, k] * s
        losses[i] = np.log(total) * weight - dot


KERNELS: dict[str, Callable[..., None]] = {
    "sgd": _sgd_kernel,
    "momentum": _momentum_kernel,
    "adam": _adam_kernel,
    "bias_relu": _bias_relu_kernel,
    "relu_backward": _relu_backward_kernel,
    "softmax": _softmax_kernel,
    "cce_from_logits": _cce_from_logits_kernel,
}
"""Each kernel's Python body, by name."""
