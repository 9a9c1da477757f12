"""MaxPool2D and AvgPool2D: a hand-worked example, finite differences, PyTorch parity."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import Network, backend
from glassnet.inspect import gradient_check
from glassnet.layers import Dense, Flatten
from glassnet.layers.conv2d import Conv2D
from glassnet.layers.pooling import AvgPool2D, MaxPool2D, Pool2D

# (pool_size, stride, (C, H, W)): tiled, overlapping, stride > pool, odd and non-square
# sizes with rows left over, and a window as large as the whole map.
CASES = [
    (2, None, (2, 4, 6)),
    (3, 1, (2, 5, 5)),
    ((3, 2), (2, 1), (3, 7, 5)),
    (2, 3, (1, 8, 7)),
    (3, None, (2, 7, 8)),
    ((5, 4), None, (2, 5, 4)),
]
KINDS = [MaxPool2D, AvgPool2D]


@pytest.fixture(autouse=True, params=[True, False], ids=["compiled", "numpy"])
def compiling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test with glassnet's compiled kernels (when numba is installed) and with NumPy
    alone: both paths must hold (see test_conv_kernels.py for the one against the other)."""
    monkeypatch.setattr(backend, "USE_COMPILED", request.param)


X_4x4 = np.array(
    [
        [1.0, 3.0, 2.0, 1.0],
        [4.0, 2.0, 0.0, 1.0],
        [5.0, 6.0, 1.0, 2.0],
        [7.0, 8.0, 3.0, 4.0],
    ]
).reshape(1, 1, 4, 4)
dA_2x2 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)


def test_max_pool_by_hand() -> None:
    layer = MaxPool2D(2, input_shape=(1, 4, 4))
    A = layer.forward(X_4x4)
    np.testing.assert_array_equal(A[0, 0], [[4.0, 2.0], [8.0, 4.0]])
    dX = layer.backward(dA_2x2.copy())
    assert dX is not None
    # Each window's gradient lands on its max: 4 at (1,0), 2 at (0,2), 8 at (3,1), 4 at (3,3).
    expected = np.zeros((4, 4))
    expected[1, 0], expected[0, 2], expected[3, 1], expected[3, 3] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(dX[0, 0], expected)
    np.testing.assert_array_equal(
        layer.forward_record()["mask"], (expected > 0).reshape(X_4x4.shape)
    )


def test_avg_pool_by_hand() -> None:
    layer = AvgPool2D(2, input_shape=(1, 4, 4))
    A = layer.forward(X_4x4)
    np.testing.assert_array_equal(A[0, 0], [[2.5, 1.0], [6.5, 2.5]])
    dX = layer.backward(dA_2x2.copy())
    assert dX is not None
    expected = np.kron([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2))) / 4
    np.testing.assert_array_equal(dX[0, 0], expected)


def test_max_pool_ties_go_to_the_first_entry() -> None:
    X = np.array([[2.0, 2.0], [2.0, 1.0]]).reshape(1, 1, 2, 2)
    layer = MaxPool2D(2, input_shape=(1, 2, 2))
    layer.forward(X)
    dX = layer.backward(np.full((1, 1, 1, 1), 5.0))
    assert dX is not None
    np.testing.assert_array_equal(dX[0, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_overlapping_windows_add_up_in_the_mask() -> None:
    # 3×3 windows at stride 1 over a map whose largest entry is in the middle: all four
    # windows take it, so the mask counts 4 there and the gradient is the sum of dA.
    X = np.arange(16.0).reshape(1, 1, 4, 4)
    X[0, 0, 1, 2] = 100.0  # inside all four windows
    layer = MaxPool2D(3, 1, input_shape=(1, 4, 4))
    layer.forward(X)
    mask = layer.mask
    assert mask is not None and mask[0, 0, 1, 2] == 4 and mask.sum() == 4
    dX = layer.backward(dA_2x2.copy())
    assert dX is not None and dX[0, 0, 1, 2] == 10.0 and np.count_nonzero(dX) == 1


def numeric_input_gradient(layer: Pool2D, X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """``∂/∂X Σ G ⊙ pool(X)`` by central differences."""
    eps, grad = 1e-6, np.zeros_like(X)
    for index in np.ndindex(X.shape):
        original = X[index]
        X[index] = original + eps
        plus = float(np.sum(G * layer.forward(X)))
        X[index] = original - eps
        minus = float(np.sum(G * layer.forward(X)))
        X[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("pool", "stride", "shape"), CASES)
def test_input_gradient_matches_finite_differences(
    kind: type[Pool2D], pool: int, stride: int | None, shape: tuple[int, int, int]
) -> None:
    rng = np.random.default_rng(0)
    layer = kind(pool, stride, input_shape=shape)
    X = rng.standard_normal((2, *shape))  # continuous: no ties, no argmax moved by ε
    A = layer.forward(X)
    assert A.shape == (2, *layer.output_shape)
    G = rng.standard_normal(A.shape)
    dX = layer.backward(G)
    assert dX is not None
    numeric = numeric_input_gradient(layer, X, G)
    relative = np.linalg.norm(dX - numeric) / (np.linalg.norm(dX) + np.linalg.norm(numeric))
    assert relative < 1e-7


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("pool", "stride", "shape"), CASES[1:4])
def test_gradient_check_through_a_pool(
    kind: type[Pool2D], pool: int, stride: int | None, shape: tuple[int, int, int]
) -> None:
    # A convolution below the pool: its ∂J/∂W passes through the pool's backward (a pool
    # at the bottom would never run backward, as nothing below it learns).
    rng = np.random.default_rng(1)
    C, H, W = shape
    conv = Conv2D(
        C, 2, 2, padding=1, activation="tanh", input_size=(H, W), rng=rng, dtype="float64"
    )
    pool_layer = kind(pool, stride, input_shape=conv.output_shape)
    flat = Flatten(pool_layer.output_shape)
    out = Dense(flat.n_out, 3, "softmax", rng=rng, dtype="float64")
    net = Network([conv, pool_layer, flat, out], loss="cce")
    X = rng.standard_normal((4, *shape))
    y = rng.integers(0, 3, 4)
    check = gradient_check(net, X, y, max_entries=None)
    assert check.passed, str(check)
    assert check.max_relative_error < 1e-7


@pytest.mark.parametrize(("kind", "name"), [(MaxPool2D, "max_pool2d"), (AvgPool2D, "avg_pool2d")])
@pytest.mark.parametrize(("pool", "stride", "shape"), CASES)
def test_torch_parity(
    kind: type[Pool2D], name: str, pool: int, stride: int | None, shape: tuple[int, int, int]
) -> None:
    torch = pytest.importorskip("torch")  # the reference implementation, when installed
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, *shape))  # no ties among the window entries
    layer = kind(pool, stride, input_shape=shape)
    A = layer.forward(X)
    G = rng.standard_normal(A.shape)
    dX = layer.backward(G)
    X_t = torch.tensor(X, requires_grad=True)
    A_t = getattr(torch.nn.functional, name)(X_t, pool, stride if stride is not None else pool)
    A_t.backward(torch.tensor(G))
    assert X_t.grad is not None
    np.testing.assert_allclose(A, A_t.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(dX, X_t.grad.numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_config_and_dtype(kind: type[Pool2D]) -> None:
    layer = kind((3, 2), 2)
    assert not layer.sized
    layer.connect((4, 9, 6))
    assert layer.output_shape == (4, 4, 3)  # ⌊(9 − 3)/2⌋ + 1, ⌊(6 − 2)/2⌋ + 1
    copy = kind.from_config(layer.config(), {}, "float32")
    assert (copy.pool_size, copy.stride, copy.input_shape) == ((3, 2), (2, 2), (4, 9, 6))
    assert kind.array_shapes(layer.config()) == {}
    assert repr(layer) == f"{kind.__name__}((3, 2), stride=(2, 2))"
    X = np.ones((2, 4, 9, 6), dtype=np.float32)
    A = layer.forward(X)
    dX = layer.backward(np.ones_like(A))
    assert A.dtype == np.float32 and dX is not None and dX.dtype == np.float32


def test_a_map_smaller_than_the_window_names_the_layer_and_both_shapes() -> None:
    with pytest.raises(
        ValueError, match=r"MaxPool2D\(2\) expects .*height ≥ 2 and width ≥ 2.*\(8, 1, 1\)"
    ):
        MaxPool2D(2).connect((8, 1, 1))
    with pytest.raises(
        ValueError, match=r"AvgPool2D\(2\) expects .*\(channels, height, width\).*\(64,\)"
    ):
        AvgPool2D(2).connect((64,))
    layer = MaxPool2D(2, input_shape=(3, 4, 4))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(3, 4, 4\).*\(3, 6, 6\)"):
        layer.connect((3, 6, 6))


@pytest.mark.parametrize("bad", [0, -1, (2, 0), (2, 2, 2), 1.5, True, "2"])
def test_bad_pool_size(bad: object) -> None:
    with pytest.raises(ValueError, match="pool_size must be"):
        MaxPool2D(bad)  # type: ignore[arg-type]


def test_flatten_takes_its_shape_from_below() -> None:
    flat = Flatten()
    assert not flat.sized and repr(flat) == "Flatten()"
    flat.connect((3, 2, 2))
    assert flat.output_shape == (12,)
    assert Flatten.from_config(flat.config(), {}, "float32").input_shape == (3, 2, 2)
    with pytest.raises(
        ValueError, match=r"Flatten\(\(3, 2, 2\)\) expects inputs of shape \(3, 2, 2\).*\(3, 4\)"
    ):
        flat.connect((3, 4))


def test_dense_connect_names_both_sizes() -> None:
    dense = Dense(4, 2, dtype="float64")
    dense.connect((4,))  # equal: nothing to do
    with pytest.raises(
        ValueError, match=r"Dense\(4, 2.*expects 4 inputs \(W has shape \(2, 4\)\).*gives 5"
    ):
        dense.connect((5,))
