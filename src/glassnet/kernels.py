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

Three kinds of kernel, and what each promises:

- The update rules (``sgd``, ``momentum``, ``adam``) do the NumPy rule's operations in the
  same order and in the arrays' dtype, element by element, so the parameters are the same
  bit for bit.
- The layer and loss kernels (``bias_relu``, ``relu_backward``, ``softmax``,
  ``cce_from_logits``) compute the same formulas, but sum in another order than NumPy's
  pairwise sums and call another ``exp``: equal to NumPy's to rounding (a few units in the
  last place), and the same from run to run.
- The convolution and max-pool kernels (``conv_forward``, ``conv_weight_grad``,
  ``max_pool_forward``, ``max_pool_backward``) replace the memory passes of im2col and of
  the pooling loops, which NumPy runs on one core (issue 16): the convolutions equal the
  im2col products to rounding, the max pool the NumPy loop to the bit where windows tile.
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
            # The weight gradient's sums over the batch vectorize only when LLVM may
            # reassociate them (see _conv_weight_grad_kernel); no other kernel may.
            fastmath = {"reassoc", "contract"} if name in REASSOCIATED else False
            jit = numba.njit(error_model="numpy", nogil=True, cache=True, fastmath=fastmath)
            _COMPILED[name] = jit(KERNELS[name])
    return _COMPILED[name]


def run_compiled(
    name: str,
    arrays: Sequence[Array],
    settings: Sequence[Any] = (),
    *,
    flat: bool = True,
    sizes: Sequence[int] = (),
) -> bool:
    """Run kernel ``name`` on the C-contiguous ``arrays`` (flattened when ``flat``), the
    number ``settings`` cast to the arrays' dtype (as NumPy rounds a Python float against
    a float32 array), then the integer ``sizes`` as they are (windows, strides); ``False``,
    having done nothing, when it is not compiled, an array is strided, or the arrays are
    on a device (numba compiles for the host only)."""
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
        kernel(*[array.reshape(-1) for array in arrays], *numbers, *sizes)
    else:
        kernel(*arrays, *numbers, *sizes)
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


# -- convolution and max pooling, on arrays laid out (C, H, W, m) ---------------------------
# The layout of glassnet.layers.windows.pad: the sample varies fastest, so one row of a
# feature map for all samples, A[c, y], is a run of W·m neighbouring values, and the loops
# below run along such runs, which LLVM vectorizes.

CHUNK = 4096
"""Values of a row that the convolution kernels finish before moving on: a chunk of ``Z``
or ``δ`` (16 kB in float32) stays in the core's first-level cache across the window's
entries."""


def _conv_forward_kernel(A: Array, W: Array, b: Array, Z: Array, act: Array, relu: bool) -> None:
    # Z[f, y, x, i] = b[f] + Σ_{c,u,v} W[f, c, u, v] A[c, y + u, x + v, i], at stride 1: for
    # output row y, entry (c, u, v) of every window is the run A[c, y + u, v·m : (v + Wo)·m]
    # against the run Z[f, y, :], so the convolution is multiply-adds along runs, with no
    # im2col. Four entries per pass: Z's chunk is loaded and stored once per four products.
    # With relu, act = max(0, Z) (as ReLU.forward computes it) from the chunk still cached.
    C, Hp, Wp, m = A.shape
    F, _, kh, kw = W.shape
    Ho, n = Z.shape[1], Z.shape[2] * m
    rows, out, weights = A.reshape(C, Hp, Wp * m), Z.reshape(F, Ho, n), W.reshape(F, -1)
    activated = act.reshape(F, Ho, n)
    K = C * kh * kw
    channel, row, start = np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64)
    for k in range(K):  # entry k = (c, u, v): its channel, row offset and start in a row
        channel[k], row[k], start[k] = k // (kh * kw), (k // kw) % kh, (k % kw) * m
    for y in range(Ho):
        for t0 in range(0, n, CHUNK):
            size = min(n - t0, CHUNK)
            for f in range(F):
                z = out[f, y, t0 : t0 + size]
                z[:] = b[f]
                k = 0
                while k < K:
                    if k + 4 <= K:
                        s0, s1 = start[k] + t0, start[k + 1] + t0
                        s2, s3 = start[k + 2] + t0, start[k + 3] + t0
                        a0 = rows[channel[k], y + row[k], s0 : s0 + size]
                        a1 = rows[channel[k + 1], y + row[k + 1], s1 : s1 + size]
                        a2 = rows[channel[k + 2], y + row[k + 2], s2 : s2 + size]
                        a3 = rows[channel[k + 3], y + row[k + 3], s3 : s3 + size]
                        w0, w1 = weights[f, k], weights[f, k + 1]
                        w2, w3 = weights[f, k + 2], weights[f, k + 3]
                        for j in range(size):
                            z[j] += w0 * a0[j] + w1 * a1[j] + w2 * a2[j] + w3 * a3[j]
                        k += 4
                    else:
                        s0 = start[k] + t0
                        a0 = rows[channel[k], y + row[k], s0 : s0 + size]
                        w0 = weights[f, k]
                        for j in range(size):
                            z[j] += w0 * a0[j]
                        k += 1
                if relu:
                    a = activated[f, y, t0 : t0 + size]
                    for j in range(size):
                        a[j] = z[j] * (z[j] > 0)


def _conv_weight_grad_kernel(A: Array, dZ: Array, dW: Array) -> None:
    # ∂L/∂W[f, c, u, v] = Σ_{y, x, i} dZ[f, y, x, i] A[c, y + u, x + v, i]: per output row and
    # chunk, dot products of dZ's run with A's, two filters by two entries at a time (four
    # sums from four loads). The sums are reassociated (fastmath) so that they vectorize:
    # equal to the matrix product's to rounding, and the same from run to run.
    C, Hp, Wp, m = A.shape
    F, _, kh, kw = dW.shape
    Ho, n = dZ.shape[1], dZ.shape[2] * m
    rows, deltas, grads = A.reshape(C, Hp, Wp * m), dZ.reshape(F, Ho, n), dW.reshape(F, -1)
    K = C * kh * kw
    channel, row, start = np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64)
    for k in range(K):
        channel[k], row[k], start[k] = k // (kh * kw), (k // kw) % kh, (k % kw) * m
    zero = dW.dtype.type(0)
    grads[:] = zero
    for y in range(Ho):
        for t0 in range(0, n, CHUNK):
            size = min(n - t0, CHUNK)
            for f in range(0, F, 2):
                g = min(f + 1, F - 1)  # an odd F pairs the last filter with itself
                d0, d1 = deltas[f, y, t0 : t0 + size], deltas[g, y, t0 : t0 + size]
                for k in range(0, K, 2):
                    l = min(k + 1, K - 1)
                    s0, s1 = start[k] + t0, start[l] + t0
                    a0 = rows[channel[k], y + row[k], s0 : s0 + size]
                    a1 = rows[channel[l], y + row[l], s1 : s1 + size]
                    p00, p01, p10, p11 = zero, zero, zero, zero
                    for j in range(size):
                        p00 += d0[j] * a0[j]
                        p01 += d0[j] * a1[j]
                        p10 += d1[j] * a0[j]
                        p11 += d1[j] * a1[j]
                    grads[f, k] += p00
                    if l != k:
                        grads[f, l] += p01
                    if g != f:
                        grads[g, k] += p10
                        if l != k:
                            grads[g, l] += p11


def _max_pool_forward_kernel(X: Array, A: Array, p: int, q: int, s: int, t: int) -> None:
    # A[c, y, x] = max over the window of X[c, s·y + u, t·x + v], a run of m samples at a
    # time; a NaN wins, as in np.maximum.
    C, Ho, Wo, m = A.shape
    for c in range(C):
        for y in range(Ho):
            for x in range(Wo):
                out = A[c, y, x]
                out[:] = X[c, s * y, t * x]
                for k in range(1, p * q):
                    a = X[c, s * y + k // q, t * x + k % q]
                    for i in range(m):
                        if a[i] > out[i] or a[i] != a[i]:
                            out[i] = a[i]


def _max_pool_backward_kernel(
    X: Array, A: Array, dA: Array, dX: Array, p: int, q: int, s: int, t: int
) -> None:
    # dX (zeros on entry) += ∂L/∂A routed to the first window entry equal to its max: the
    # NumPy loop of MaxPool2D._route, one window at a time instead of one offset at a time
    # over the whole batch, so that X and dX are walked once (where windows overlap, an
    # entry's shares are summed in that other order).
    C, Ho, Wo, m = A.shape
    left = np.empty(m, dA.dtype)  # the gradient not yet routed, per sample
    for c in range(C):
        for y in range(Ho):
            for x in range(Wo):
                top = A[c, y, x]
                left[:] = dA[c, y, x]
                for k in range(p * q):
                    a = X[c, s * y + k // q, t * x + k % q]
                    d = dX[c, s * y + k // q, t * x + k % q]
                    for i in range(m):
                        routed = left[i] * (a[i] == top[i])
                        d[i] += routed
                        left[i] -= routed


KERNELS: dict[str, Callable[..., None]] = {
    "sgd": _sgd_kernel,
    "momentum": _momentum_kernel,
    "adam": _adam_kernel,
    "bias_relu": _bias_relu_kernel,
    "relu_backward": _relu_backward_kernel,
    "softmax": _softmax_kernel,
    "cce_from_logits": _cce_from_logits_kernel,
    "conv_forward": _conv_forward_kernel,
    "conv_weight_grad": _conv_weight_grad_kernel,
    "max_pool_forward": _max_pool_forward_kernel,
    "max_pool_backward": _max_pool_backward_kernel,
}
"""Each kernel's Python body, by name."""

REASSOCIATED = frozenset({"conv_weight_grad"})
"""The kernels compiled with reassociation allowed (their sums in another order)."""
