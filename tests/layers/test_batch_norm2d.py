"""BatchNorm2D: central differences, PyTorch's batch_norm in training mode, a hand-made
check of the statistics, its config, model file and shape errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.layers as layers
from glassnet.layers.batch_norm2d import BatchNorm2D
from glassnet.layers.conv2d import Conv2D
from glassnet.layers.dense import Dense
from glassnet.layers.flatten import Flatten


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuilding a network (gradient_check's float64 copy, a model file) reads the
    registry of layer kinds."""
    monkeypatch.setitem(layers.LAYERS, "conv2d", Conv2D)
    monkeypatch.setitem(layers.LAYERS, "batch_norm2d", BatchNorm2D)


def norm_net(rng, C=2, H=5, W=4, F=3):
    """Conv2D → BatchNorm2D → Conv2D → Flatten → Dense softmax: the norm's ∂L/∂x feeds
    the first convolution's gradients."""
    conv1 = Conv2D(
        C, F, 3, padding=1, activation="tanh", input_size=(H, W), rng=rng, dtype="float64"
    )
    norm = BatchNorm2D(
        F,
        input_size=(H, W),
        gamma=rng.uniform(0.5, 1.5, F),
        beta=rng.normal(0, 0.3, F),
        dtype="float64",
    )
    conv2 = Conv2D(
        F, 2, 2, stride=2, padding=1, activation="tanh", input_size=(H, W), rng=rng, dtype="float64"
    )
    shape = conv2.output_shape
    dense = Dense(int(np.prod(shape)), 3, "softmax", rng=rng, dtype="float64")
    return gn.Network([conv1, norm, conv2, Flatten(shape), dense], loss="cce")


@pytest.mark.parametrize(("m", "H", "W"), [(4, 5, 4), (1, 3, 3), (3, 1, 2), (2, 6, 7)])
def test_gradient_check(m, H, W):
    rng = np.random.default_rng(m * 100 + H * 10 + W)
    net = norm_net(rng, H=H, W=W)
    X = rng.normal(size=(m, 2, H, W))
    result = gn.inspect.gradient_check(net, X, rng.integers(0, 3, m), max_entries=60)
    assert result.passed, str(result)
    assert {"gamma2", "beta2", "W1"} <= {check.name for check in result.arrays}, str(result)


def test_statistics_per_channel():
    """In training, each channel comes out with mean β and standard deviation γ over
    (m, H, W) (up to ε); the running averages move by momentum towards the batch's."""
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(6, 3, 4, 5))
    norm = BatchNorm2D(
        3, gamma=[1.0, 2.0, 0.5], beta=[0.0, -1.0, 4.0], momentum=0.25, dtype="float64"
    )
    out = norm.forward(X, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [0.0, -1.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [1.0, 2.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(norm.buffers["running_mean"], 0.25 * X.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(norm.buffers["running_var"], 0.75 + 0.25 * X.var(axis=(0, 2, 3)))
    inference = norm.forward(X, training=False)  # with the running statistics
    mean, var = norm.buffers["running_mean"], norm.buffers["running_var"]
    expected = (X - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    expected = (
        expected * np.array([1.0, 2.0, 0.5])[:, None, None] + np.array([0, -1, 4])[:, None, None]
    )
    np.testing.assert_allclose(inference, expected, rtol=1e-12)


@pytest.mark.parametrize(("m", "C", "H", "W"), [(4, 3, 5, 6), (2, 1, 3, 3), (5, 4, 1, 1)])
def test_matches_torch(m, C, H, W):
    torch = pytest.importorskip("torch", reason="PyTorch is the second library compared")
    rng = np.random.default_rng(C)
    X = rng.normal(1.0, 2.0, size=(m, C, H, W))
    gamma, beta = rng.uniform(0.5, 2, C), rng.normal(size=C)
    mean0, var0 = rng.normal(size=C), rng.uniform(0.5, 2, C)
    norm = BatchNorm2D(
        C,
        gamma=gamma,
        beta=beta,
        running_mean=mean0,
        running_var=var0,
        momentum=0.3,
        dtype="float64",
    )
    out = norm.forward(X, training=True)
    dout = rng.normal(size=out.shape)
    dX = norm.backward(dout.copy())

    Xt = torch.tensor(X, requires_grad=True)
    gt, bt = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    rm, rv = torch.tensor(mean0), torch.tensor(var0)
    outt = torch.nn.functional.batch_norm(Xt, rm, rv, gt, bt, training=True, momentum=0.3, eps=1e-5)
    outt.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, outt.detach().numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(norm.grads["gamma"], gt.grad.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(norm.grads["beta"], bt.grad.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(norm.buffers["running_mean"], rm.numpy(), rtol=0, atol=1e-12)
    # PyTorch's running variance averages the unbiased batch variance (n/(n−1) times the
    # biased one, n = m·H·W); glassnet's, like its BatchNorm's, the biased one.
    n = m * H * W
    unbiased = (rv.numpy() - 0.7 * var0) / 0.3
    np.testing.assert_allclose(
        norm.buffers["running_var"], 0.7 * var0 + 0.3 * unbiased * (n - 1) / n, rtol=0, atol=1e-12
    )


def test_config_and_model_file_round_trip(tmp_path):
    from glassnet.io import load_model, save_model

    rng = np.random.default_rng(1)
    net = norm_net(rng)
    X = rng.normal(size=(4, 2, 5, 4))
    net.forward(X, training=True)  # running statistics away from their start
    norm = net.layers[1]
    assert repr(norm) == "BatchNorm2D(3, input_size=(5, 4), momentum=0.1, epsilon=1e-05)"
    assert BatchNorm2D.array_shapes(norm.config()) == dict.fromkeys(
        ("gamma", "beta", "running_mean", "running_var"), (3,)
    )
    clone = BatchNorm2D.from_config(norm.config(), {**norm.params, **norm.buffers}, "float64")
    A = rng.normal(size=(4, 3, 5, 4))
    np.testing.assert_array_equal(clone.forward(A), norm.forward(A))

    loaded = load_model(save_model(tmp_path / "bn.glassnet", net)).network
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
    np.testing.assert_array_equal(
        loaded.layers[1].buffers["running_var"], norm.buffers["running_var"]
    )


def test_connect_and_errors():
    norm = BatchNorm2D(3)
    assert not norm.sized
    norm.connect((3, 8, 8))
    assert norm.input_shape == norm.output_shape == (3, 8, 8)
    with pytest.raises(
        ValueError, match=r"BatchNorm2D\(3, input_size=\(8, 8\).*\(3, 8, 8\).*\(3, 9, 8\)"
    ):
        norm.connect((3, 9, 8))
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2D\(3, .*expects inputs of shape \(3, height, width\).*\(4, 8, 8\)",
    ):
        BatchNorm2D(3).connect((4, 8, 8))
    with pytest.raises(ValueError, match=r"channels ≥ 1, got 0"):
        BatchNorm2D(0)
    with pytest.raises(ValueError, match=r"momentum must be in \(0, 1\], got 0"):
        BatchNorm2D(2, momentum=0)
    with pytest.raises(ValueError, match=r"at least 2 samples"):
        BatchNorm2D(2).forward(np.ones((1, 2, 1, 1)), training=True)
    assert BatchNorm2D(2, input_size=(1, 1)).min_batch_size == 2
    assert BatchNorm2D(2, input_size=(2, 1)).min_batch_size == 1
