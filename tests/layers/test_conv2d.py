"""Conv2D: backpropagation against central differences, against PyTorch's autograd, and
one example worked by hand; its config, model file and shape errors.

Gradient checks run in float64 at ``gradient_check``'s default threshold (1e-7); torch
parity is 1e-6 in float64, the issue's criterion.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.layers as layers
from glassnet import backend
from glassnet.layers.conv2d import Conv2D
from glassnet.layers.dense import Dense
from glassnet.layers.flatten import Flatten
from glassnet.layers.windows import col2im, im2col, output_size


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuilding a network (gradient_check's float64 copy, a model file) reads the
    registry of layer kinds."""
    monkeypatch.setitem(layers.LAYERS, "conv2d", Conv2D)


@pytest.fixture(autouse=True, params=[True, False], ids=["compiled", "numpy"])
def compiling(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test with glassnet's compiled kernels (when numba is installed) and with NumPy
    alone: both paths must hold (see test_conv_kernels.py for the one against the other)."""
    monkeypatch.setattr(backend, "USE_COMPILED", request.param)


def conv_net(rng, C, H, W, convs, n_classes=3, activation="tanh"):
    """Conv2D layers (each ``(F, kernel, stride, padding)``) → Flatten → Dense softmax."""
    stack, shape = [], (C, H, W)
    for F, kernel, stride, padding in convs:
        layer = Conv2D(
            shape[0], F, kernel, stride, padding, activation,
            input_size=shape[1:], rng=rng, dtype="float64",
        )  # fmt: skip
        layer.b[:] = rng.normal(0, 0.1, F)  # nonzero biases, so a wrong db shows
        stack.append(layer)
        shape = layer.output_shape
    stack += [
        Flatten(shape),
        Dense(int(np.prod(shape)), n_classes, "softmax", rng=rng, dtype="float64"),
    ]
    return gn.Network(stack, loss="cce")


def random_case(seed):
    """Random channels, sizes, kernels (often rectangular), strides and paddings."""
    rng = np.random.default_rng(seed)
    C, H, W = int(rng.integers(1, 4)), int(rng.integers(3, 10)), int(rng.integers(3, 10))
    kernel = (int(rng.integers(1, H + 1)), int(rng.integers(1, W + 1)))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding = (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    return C, H, W, [(int(rng.integers(1, 4)), kernel, stride, padding)]


EDGE_CASES = {
    "kernel = input size": (2, 5, 5, [(3, 5, 1, 0)]),
    "kernel = input size, rectangular": (1, 4, 6, [(2, (4, 6), 1, 0)]),
    "stride > kernel": (2, 9, 8, [(3, 2, 3, 0)]),
    "stride > kernel, rectangular": (1, 7, 9, [(2, (1, 2), (3, 4), 1)]),
    "odd sizes, padding": (3, 7, 5, [(2, 3, 2, 1)]),
    "kernel larger than input, padded": (1, 3, 3, [(2, 5, 1, 2)]),
    "two convolutions": (2, 8, 7, [(3, 3, 1, 1), (2, (2, 3), 2, 0)]),
    "two convolutions, strided": (1, 9, 9, [(2, (3, 2), (2, 1), (0, 1)), (3, 3, 2, 1)]),
}


@pytest.mark.parametrize(
    "case",
    list(EDGE_CASES.values()) + [random_case(seed) for seed in range(6)],
    ids=list(EDGE_CASES) + [f"random-{seed}" for seed in range(6)],
)
def test_gradient_check(case):
    C, H, W, convs = case
    rng = np.random.default_rng(1)
    net = conv_net(rng, C, H, W, convs)
    X = rng.normal(size=(3, C, H, W))
    y = rng.integers(0, 3, size=3)
    result = gn.inspect.gradient_check(net, X, y, max_entries=60)
    assert result.passed, str(result)
    assert {check.name for check in result.arrays} >= {"W1", "b1"}, str(result)


def test_gradient_check_input_gradient_through_relu():
    """The lower layer's W is only right if ∂L/∂A_prev of the upper one is (ReLU between)."""
    rng = np.random.default_rng(5)
    net = conv_net(rng, 2, 6, 6, [(3, 3, 1, 1), (2, 2, 2, 0)], activation="elu")
    X = rng.normal(size=(4, 2, 6, 6))
    result = gn.inspect.gradient_check(net, X, rng.integers(0, 3, 4), max_entries=None)
    assert result.passed, str(result)


TORCH_CASES = [
    (2, 3, 7, 6, 4, (3, 2), (2, 1), (1, 0), "tanh"),
    (3, 2, 5, 5, 3, 5, 1, 0, "relu"),
    (2, 1, 6, 7, 2, 2, 3, 1, "sigmoid"),
    (2, 2, 4, 4, 2, 3, 1, 2, "identity"),
    (4, 3, 9, 11, 5, (1, 3), (2, 3), (2, 1), "relu"),
]


@pytest.mark.parametrize("case", TORCH_CASES)
def test_matches_torch(case):
    torch = pytest.importorskip("torch", reason="PyTorch is the second library compared")
    m, C, H, W, F, kernel, stride, padding, activation = case
    rng = np.random.default_rng(2)
    layer = Conv2D(C, F, kernel, stride, padding, activation, rng=rng, dtype="float64")
    layer.b[:] = rng.normal(size=F)
    X = rng.normal(size=(m, C, H, W))
    A = layer.forward(X, training=True)
    dA = rng.normal(size=A.shape)
    dX = layer.backward(dA.copy())

    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(layer.W, requires_grad=True)
    bt = torch.tensor(layer.b, requires_grad=True)
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
    Zt = torch.nn.functional.conv2d(Xt, Wt, bt, stride=stride, padding=padding)
    At = f.get(activation, lambda z: z)(Zt)
    At.backward(torch.tensor(dA))
    np.testing.assert_allclose(A, At.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(layer.dW, Wt.grad.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(layer.db, bt.grad.numpy(), rtol=0, atol=1e-6)


def test_worked_example_by_hand():
    """A 3×3 image and a 2×2 kernel, identity activation, every number worked out by hand.

    Z[y, x] = Σ_{u,v} W[u, v] X[y+u, x+v] + b:  1·1+2·2+3·4+4·5 + 0.5 = 37.5, and so on.
    With ∂L/∂Z = 1 everywhere, ∂L/∂W[u, v] is the sum of the 2×2 block of X at (u, v),
    ∂L/∂b = 4, and ∂L/∂X[p, q] is the sum of the kernel entries that touch (p, q).
    """
    X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    layer = Conv2D(1, 1, 2, activation="identity", W=[[[[1, 2], [3, 4]]]], b=[0.5], dtype="float64")
    Z = layer.forward(X, training=True)
    np.testing.assert_array_equal(Z, [[[[37.5, 47.5], [67.5, 77.5]]]])
    dX = layer.backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(layer.dW, [[[[12, 16], [24, 28]]]])
    np.testing.assert_array_equal(layer.db, [4])
    np.testing.assert_array_equal(dX, [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]])


def test_im2col_col2im_are_adjoint():
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: col2im is exactly the transpose that backward needs."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 7, 8))
    cols = im2col(x, 3, 2, (2, 3))
    c = rng.normal(size=cols.shape)
    assert cols.shape == (3 * 3 * 2, 2 * 3 * 3)
    assert np.isclose(np.vdot(cols, c), np.vdot(x, col2im(c, x.shape, 3, 2, (2, 3))))


def test_output_size():
    assert output_size(28, 5, 1, 2) == 28
    assert output_size(7, 3, 2, 1) == 4
    with pytest.raises(ValueError, match=r"kernel of size 5 does not fit an input of size 3"):
        output_size(3, 5, 1, 0)


def test_default_init_uses_conv_fans():
    """He: Var W = 2 / (C·kh·kw); Xavier: Var W = 2 / (C·kh·kw + F·kh·kw), as PyTorch counts."""
    rng = np.random.default_rng(4)
    he = Conv2D(8, 64, 5, rng=rng, dtype="float64")
    assert he.init == "he_normal"
    assert he.W.var() == pytest.approx(2 / 200, rel=0.05)
    xavier = Conv2D(8, 64, 5, activation="tanh", rng=rng, dtype="float64")
    assert xavier.init == "xavier_uniform"
    assert xavier.W.var() == pytest.approx(2 / (200 + 1600), rel=0.05)


def test_config_and_model_file_round_trip(tmp_path):
    from glassnet.io import load_model, save_model

    rng = np.random.default_rng(6)
    net = conv_net(rng, 2, 6, 5, [(3, (3, 2), (2, 1), 1)])
    conv = net.layers[0]
    clone = Conv2D.from_config(conv.config(), conv.params, "float64")
    assert (
        repr(clone)
        == repr(conv)
        == ("Conv2D(2, 3, (3, 2), stride=(2, 1), padding=1, activation='tanh', input_size=(6, 5))")
    )
    assert Conv2D.array_shapes(conv.config()) == {"W": (3, 2, 3, 2), "b": (3,)}
    X = rng.normal(size=(4, 2, 6, 5))
    np.testing.assert_array_equal(clone.forward(X), conv.forward(X))

    path = save_model(tmp_path / "conv.glassnet", net)
    loaded = load_model(path).network
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
    assert loaded.layers[0].config() == conv.config()


def test_connect_sets_and_checks_shapes():
    layer = Conv2D(3, 8, 5, stride=2, padding=1)
    assert not layer.sized
    layer.connect((3, 28, 28))
    assert layer.input_shape == (3, 28, 28) and layer.output_shape == (8, 13, 13)
    layer.connect((3, 28, 28))  # equal: fine
    with pytest.raises(ValueError, match=r"Conv2D\(3, 8, 5.*\(3, 28, 28\).*\(3, 32, 32\)"):
        layer.connect((3, 32, 32))
    with pytest.raises(
        ValueError,
        match=r"Conv2D\(3, 8, 5.*expects inputs of shape \(3, height, width\).*\(1, 28, 28\)",
    ):
        Conv2D(3, 8, 5).connect((1, 28, 28))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(3, height, width\).*\(784,\)"):
        Conv2D(3, 8, 5).connect((784,))
    with pytest.raises(
        ValueError,
        match=r"Conv2D\(1, 2, 5, activation=.relu.\) cannot take inputs of shape \(1, 4, 9\).*kernel of size 5",
    ):
        Conv2D(1, 2, 5).connect((1, 4, 9))


def test_argument_errors():
    with pytest.raises(ValueError, match=r"in_channels ≥ 1 and out_channels ≥ 1, got \(0, 4\)"):
        Conv2D(0, 4, 3)
    with pytest.raises(ValueError, match=r"stride must be an integer ≥ 1.*got 0"):
        Conv2D(1, 4, 3, stride=0)
    with pytest.raises(ValueError, match=r"kernel_size must be .* pair of them, got \(3, 3, 3\)"):
        Conv2D(1, 4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"W must have shape \(4, 1, 3, 3\), got \(4, 9\)"):
        Conv2D(1, 4, 3, W=np.zeros((4, 9)))
    with pytest.raises(ValueError, match=r"cannot use softmax"):
        Conv2D(1, 4, 3, activation="softmax")


def test_cannot_be_the_output_layer():
    with pytest.raises(ValueError, match=r"conv2d layer cannot be the output layer"):
        gn.Network([Conv2D(1, 2, 3, input_size=5)], loss="mse")


def test_records_and_float32():
    """The records have the documents' names and shapes; float32 stays float32."""
    rng = np.random.default_rng(7)
    layer = Conv2D(2, 3, 3, padding=1, input_size=(4, 4), rng=rng)
    X = rng.normal(size=(5, 2, 4, 4)).astype(np.float32)
    A = layer.forward(X, training=True)
    dX = layer.backward(np.ones_like(A))
    assert A.dtype == dX.dtype == layer.dW.dtype == np.float32
    assert list(layer.forward_record()) == ["Z", "A"]
    record = layer.backward_record()
    assert list(record) == ["delta", "dW", "db"]
    assert record["delta"].shape == (5, 3, 4, 4)
    np.testing.assert_allclose(record["delta"], 5 * layer.dZ)
