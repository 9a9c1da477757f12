"""The compiled convolution and max-pool kernels against the NumPy code beside them (issue
16): the same layers run once with ``backend.USE_COMPILED`` on and once off.

Tolerances: the direct convolution sums the window's entries in another order than BLAS
and reassociates the weight gradient's sums over the batch, so it equals the im2col
products to rounding (relative 1e-12 in float64, 1e-5 in float32); the max pool does the
NumPy loop's comparisons and products, so it is equal to the bit, except that where
windows overlap it adds an entry's shares window by window (equal to rounding). The NumPy
path keeps its own tests in test_conv2d.py and test_pooling.py, which run with compiling
on and off.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_pooling import CASES

from glassnet import backend
from glassnet.layers.conv2d import Conv2D
from glassnet.layers.pooling import MaxPool2D

pytest.importorskip(
    "numba", reason='the compiled kernels need numba (pip install "glassnet[fast]")'
)

# (C, F, kernel, padding, H, W): LeNet's first layer; odd F and odd C·kh·kw (the kernels'
# pairs and groups of four with a remainder); a rectangular kernel; C > 1; a batch whose
# rows span several chunks of the kernels' loops.
DIRECT_CASES = [
    (1, 6, 5, 2, 28, 28),
    (1, 3, 3, 0, 7, 9),
    (1, 5, (2, 3), 1, 6, 5),
    (2, 4, 3, 1, 8, 8),
    (3, 8, (1, 1), 0, 5, 4),
]


def chwn(X: np.ndarray) -> np.ndarray:
    """``X`` of shape ``(m, C, H, W)`` laid out in memory as ``(C, H, W, m)``, as a
    convolution's output is."""
    return np.ascontiguousarray(X.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def both_ways(run, monkeypatch: pytest.MonkeyPatch) -> list:
    """``run()`` with the compiled kernels, then with NumPy alone."""
    results = []
    for use in (True, False):
        monkeypatch.setattr(backend, "USE_COMPILED", use)
        results.append(run())
    return results


@pytest.mark.parametrize("activation", ["relu", "tanh"])  # the ReLU fused in the kernel
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", DIRECT_CASES)
@pytest.mark.parametrize("m", [1, 37])
def test_direct_convolution_equals_the_im2col_products(
    case, m: int, dtype: str, activation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    C, F, kernel, padding, H, W = case
    rng = np.random.default_rng(4)
    X = rng.standard_normal((m, C, H, W)).astype(dtype)
    weights = Conv2D(C, F, kernel, 1, padding, input_size=(H, W), rng=rng, dtype=dtype)
    b = rng.standard_normal(F)
    dA = rng.standard_normal((m, *weights.output_shape)).astype(dtype)

    def run() -> tuple[np.ndarray, ...]:
        layer = Conv2D(
            C, F, kernel, 1, padding, activation, input_size=(H, W), W=weights.W, b=b, dtype=dtype
        )
        A = layer.forward(X, training=True)
        dX = layer.backward(dA.copy())
        assert (layer.cols is None) == backend.USE_COMPILED  # the direct path, or im2col's
        assert dX is not None and A.dtype == dX.dtype == layer.dW.dtype == np.dtype(dtype)
        return layer.Z, A, dX, layer.dW, layer.db

    tolerance = {"float64": 1e-12, "float32": 1e-5}[dtype]
    for fast, plain, name in zip(*both_ways(run, monkeypatch), "Z A dX dW db".split(), strict=True):
        scale = np.abs(plain).max()
        np.testing.assert_allclose(fast, plain, rtol=0, atol=tolerance * scale, err_msg=name)


def test_the_direct_path_is_kept_for_few_small_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "USE_COMPILED", True)
    cases = {(1, 6, 5, 1): True, (1, 16, 5, 1): False, (6, 8, 5, 1): False, (1, 6, 5, 2): False}
    for (C, F, k, stride), direct in cases.items():
        layer = Conv2D(C, F, k, stride, input_size=(8, 8), dtype="float64")
        layer.forward(np.ones((2, C, 8, 8)))
        assert (layer.cols is None) == direct, (C, F, k, stride)


def test_direct_backward_after_compiling_is_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The forward pass went direct (no cols); backward then falls back to im2col's product.
    rng = np.random.default_rng(5)
    X, dA = rng.standard_normal((3, 1, 6, 6)), rng.standard_normal((3, 2, 6, 6))
    layers = [Conv2D(1, 2, 3, padding=1, input_size=6, rng=rng, dtype="float64")]
    layers.append(Conv2D(1, 2, 3, padding=1, input_size=6, W=layers[0].W, dtype="float64"))
    monkeypatch.setattr(backend, "USE_COMPILED", True)
    layers[0].forward(X)
    monkeypatch.setattr(backend, "USE_COMPILED", False)
    layers[0].backward(dA.copy())
    layers[1].forward(X)
    layers[1].backward(dA.copy())
    np.testing.assert_allclose(layers[0].dW, layers[1].dW, rtol=1e-12)


POOL_CASES = CASES  # tiled, overlapping, stride > pool, rows left over, the whole map


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("pool", "stride", "shape"), POOL_CASES)
def test_max_pool_kernels_equal_numpy_to_the_bit(
    pool, stride, shape, ties: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(6)
    X = rng.standard_normal((9, *shape))
    if ties:  # a ReLU's output: many zeros (of both signs) and repeated values; the max of
        # 0.0 and -0.0 may have either sign (NumPy's SIMD maximum follows the hardware's)
        X = np.round(X) * (X > 0) - 0.0 * (X <= 0)
    X = chwn(X)
    layer = MaxPool2D(pool, stride, input_shape=shape)
    dA = rng.standard_normal((9, *layer.output_shape))

    def run() -> tuple[np.ndarray, ...]:
        A = layer.forward(X)
        dX = layer.backward(dA)
        assert dX is not None and layer.mask is not None
        return A, dX, layer.mask

    fast, plain = both_ways(run, monkeypatch)
    for a, b, name in zip(fast, plain, ["A", "dX", "mask"], strict=True):
        if layer._tiled or name == "A":
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:  # overlapping windows: an entry's shares summed in another order
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14, err_msg=name)
    # A keeps the (C, H, W, m) layout, which the next convolution reads without a copy.
    assert fast[0].transpose(1, 2, 3, 0).flags.c_contiguous


@pytest.mark.parametrize(("pool", "stride", "shape"), POOL_CASES)
def test_max_pool_kernels_match_torch(pool, stride, shape) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    X = chwn(rng.standard_normal((3, *shape)))
    layer = MaxPool2D(pool, stride, input_shape=shape)
    A = layer.forward(X)
    G = rng.standard_normal(A.shape)
    dX = layer.backward(G)
    X_t = torch.tensor(np.ascontiguousarray(X), requires_grad=True)
    A_t = torch.nn.functional.max_pool2d(X_t, pool, stride if stride is not None else pool)
    A_t.backward(torch.tensor(G))
    assert X_t.grad is not None and dX is not None
    np.testing.assert_allclose(A, A_t.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dX, X_t.grad.numpy(), rtol=0, atol=1e-12)
