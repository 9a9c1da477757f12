"""ONNX export of convolutional networks: the exported file, run by ONNX Runtime, against
``predict_output`` and ``predict`` for convolutions of every stride, padding and kernel
shape, max and average pooling, batch norm over channels (folded or not), several
activations, in float32 and float64, trained and untrained; and the graph's nodes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import glassnet as gn
from glassnet.io.onnx import export_onnx
from glassnet.io.onnx_raw import to_onnx
from glassnet.layers import (
    AvgPool2D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
)
from glassnet.layers.architecture import build_layers

onnx = pytest.importorskip(
    "onnx", reason='ONNX export tests need onnx: pip install "glassnet[onnx]"'
)
ort = pytest.importorskip(
    "onnxruntime", reason='ONNX export tests need onnxruntime: pip install "glassnet[onnx]"'
)

TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


def _run(path: Path | bytes, X: np.ndarray, input_name: str = "X") -> list[np.ndarray]:
    source = path if isinstance(path, bytes) else str(path)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(None, {input_name: X})


def _norm(channels: int, rng: np.random.Generator, dtype: str) -> BatchNorm2D:
    """Batch norm with statistics and parameters far from their initial ones, so that an
    export that dropped or misplaced any of them would be off."""
    return BatchNorm2D(
        channels,
        gamma=rng.uniform(0.5, 2.0, channels),
        beta=rng.normal(0, 1, channels),
        running_mean=rng.normal(0, 2, channels),
        running_var=rng.uniform(0.3, 3.0, channels),
        epsilon=1e-3,
        dtype=dtype,
    )


def _strided_max(rng: np.random.Generator, dtype: str) -> tuple[list[Layer], str]:
    """Rectangular kernel, stride (2, 1), padding (1, 0); max pool with stride > window."""
    return [
        Conv2D(2, 3, (3, 2), (2, 1), (1, 0), "relu", input_size=(9, 7), rng=rng, dtype=dtype),
        MaxPool2D((2, 2), stride=(2, 3)),
        Flatten(),
        Dense(12, 4, "softmax", rng=rng, dtype=dtype),
    ], "cce"


def _normed_avg(rng: np.random.Generator, dtype: str) -> tuple[list[Layer], str]:
    """Batch norm after a tanh conv (a node), average pooling with a (2, 3) window at
    stride (1, 2), then an identity conv whose batch norm is folded into it."""
    return [
        Conv2D(1, 4, 3, 1, 1, "tanh", input_size=(6, 8), rng=rng, dtype=dtype),
        _norm(4, rng, dtype),
        AvgPool2D((2, 3), stride=(1, 2)),
        Conv2D(4, 2, 2, 2, 0, "identity", rng=rng, dtype=dtype),
        Dropout((2, 2, 1), 0.3, rng=rng),
        _norm(2, rng, dtype),
        Flatten(),
        Dense(4, 1, "sigmoid", rng=rng, dtype=dtype),
    ], "bce"


def _chained(rng: np.random.Generator, dtype: str) -> tuple[list[Layer], str]:
    """Leaky ReLU and ELU convolutions, kernel = input size after a pool, a hidden dense
    layer with its own batch norm, dropout, and a regression output."""
    leaky = {"name": "leaky_relu", "alpha": 0.2}
    return [
        Conv2D(3, 5, (1, 3), 1, (0, 1), leaky, input_size=(5, 5), rng=rng, dtype=dtype),
        AvgPool2D(2, stride=1),
        Conv2D(5, 4, 4, 1, 0, {"name": "elu", "alpha": 0.5}, rng=rng, dtype=dtype),
        _norm(4, rng, dtype),
        Flatten(),
        Dense(4, 6, "gelu", batch_norm=True, rng=rng, dtype=dtype),
        Dropout(6, 0.5, rng=rng),
        Dense(6, 2, "identity", rng=rng, dtype=dtype),
    ], "mse"


NETWORKS = {"strided_max": _strided_max, "normed_avg": _normed_avg, "chained": _chained}


def _network(kind: str, dtype: str, seed: int = 0) -> gn.Network:
    layers, loss = NETWORKS[kind](np.random.default_rng(seed), dtype)
    return gn.Network(layers, loss)


def _images(net: gn.Network, m: int = 23, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.5, 2.0, size=(m, *net.input_shape)).astype(net.dtype)


def _assert_matches(net: gn.Network, path: Path, X: np.ndarray) -> None:
    (actual,) = _run(path, X)
    expected = net.predict_output(X)
    assert actual.dtype == net.dtype and actual.shape == expected.shape
    tol = TOLERANCE[net.dtype.name]
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    if net.loss.is_classification:  # the decisions too, exactly
        np.testing.assert_array_equal(net.loss.decide(actual), net.predict(X))


# -- outputs against predict_output --------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_conv_network_matches_predict_output(tmp_path, kind, dtype):
    net = _network(kind, dtype)
    path = export_onnx(net, tmp_path / "conv.onnx")
    onnx.checker.check_model(onnx.load(path), full_check=True)
    _assert_matches(net, path, _images(net))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opset", [13, 21])
def test_oldest_and_newest_opsets(tmp_path, opset, dtype):
    net = _network("normed_avg", dtype, seed=3)
    path = export_onnx(net, tmp_path / "conv.onnx", opset=opset)
    assert onnx.load(path).opset_import[0].version == opset
    _assert_matches(net, path, _images(net, seed=4))


def test_a_trained_conv_network_matches_with_its_labels(tmp_path):
    """Trained a few steps on random 1×8×8 images of 3 classes: the parameters and the
    batch norm's running statistics are no longer the initial ones."""
    rng = np.random.default_rng(0)
    X = rng.normal(1.0, 2.0, size=(60, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    layers = build_layers(
        "conv4k3p1,bn,pool2,conv3k3,avgpool2s1,flatten,8",
        input_shape=(1, 8, 8),
        n_outputs=3,
        activation="relu",
        output_activation="softmax",
        init=None,
        dropout=0.2,
        batch_norm=False,
        rng=rng,
        dtype=np.dtype(np.float32),
    )
    net = gn.Network(layers, "cce")
    before = [layer.W.copy() for layer in net.layers if isinstance(layer, Conv2D)]
    net.fit(X, y, epochs=3, batch_size=10, optimizer="sgd", learning_rate=0.05, seed=0)
    convs = [layer for layer in net.layers if isinstance(layer, Conv2D)]
    assert all(np.abs(conv.W - W).max() > 1e-4 for conv, W in zip(convs, before, strict=True))
    (norm,) = (layer for layer in net.layers if isinstance(layer, BatchNorm2D))
    assert np.abs(norm.norm.running_mean).max() > 0.05  # moved from its initial 0
    path = export_onnx(net, tmp_path / "trained.onnx")
    _assert_matches(net, path, X)
    ops = [node.op_type for node in onnx.load(path).graph.node]
    assert ops.count("Conv") == 2 and ops.count("BatchNormalization") == 1
    # Through the graph with labels (raw rows in: flat C·H·W values), the same labels.
    model = SimpleNamespace(
        network=net, preprocessor=None, classes=["a", "b", "c"], target_scale=None, metadata={}
    )
    labels, probabilities = _run(
        to_onnx(model).SerializeToString(), X.reshape(60, -1).astype(np.float64)
    )
    np.testing.assert_array_equal(labels, np.array(["a", "b", "c"])[net.predict(X)])
    np.testing.assert_allclose(probabilities, net.predict_output(X), rtol=1e-5, atol=1e-5)


# -- the graph -----------------------------------------------------------------------------


def test_float32_nodes_are_the_layers_operators(tmp_path):
    net = _network("normed_avg", "float32")
    model = onnx.load(export_onnx(net, tmp_path / "conv.onnx"))
    assert [node.op_type for node in model.graph.node] == [
        "Reshape",  # to (batch, C, H, W): a no-op on images
        "Conv",
        "Tanh",
        "BatchNormalization",
        "AveragePool",
        "Conv",  # its batch norm folded into W and b, its dropout left out
        "Flatten",
        "Gemm",
        "Sigmoid",
    ]
    nodes = {node.output[0]: node for node in model.graph.node}
    attributes = {
        name: {a.name: list(a.ints) or a.f for a in nodes[name].attribute}
        for name in ("conv1.Z", "conv2.A", "avgpool1.A", "bn1.A")
    }
    assert attributes["conv1.Z"] == {"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1] * 4}
    assert attributes["conv2.A"] == {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [0] * 4}
    assert attributes["avgpool1.A"] == {"kernel_shape": [2, 3], "strides": [1, 2]}
    assert attributes["bn1.A"]["epsilon"] == pytest.approx(1e-3)
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 1, 6, 8]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["input_shape"] == "[1, 6, 8]"
    assert meta["activations"] == '["tanh", "identity", "sigmoid"]'
    assert meta["batch_norm"] == "folded into Conv, BatchNormalization"
    assert "convolutional network on inputs of shape (1, 6, 8)" in model.doc_string


def test_identity_conv_batch_norm_is_folded_into_w_and_b(tmp_path):
    net = _network("normed_avg", "float32")
    conv, norm = net.layers[3], net.layers[5]
    assert isinstance(conv, Conv2D) and isinstance(norm, BatchNorm2D)
    model = onnx.load(export_onnx(net, tmp_path / "conv.onnx"))
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    # By hand: s = γ / √(σ² + ε) scales each filter; b' = s (b − μ) + β.
    s = norm.norm.gamma / np.sqrt(norm.norm.running_var + 1e-3)
    for f in range(2):
        np.testing.assert_allclose(arrays["conv2.W"][f], conv.W[f] * s[f], rtol=1e-6)
    expected_b = s * (conv.b - norm.norm.running_mean) + norm.norm.beta
    np.testing.assert_allclose(arrays["conv2.b"], expected_b, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(arrays["conv1.W"], net.layers[0].W)  # not folded


def test_float64_writes_conv_and_average_pool_out(tmp_path):
    """ONNX Runtime has no double Conv or AveragePool: strided slices and a product."""
    net = _network("chained", "float64")
    ops = [n.op_type for n in onnx.load(export_onnx(net, tmp_path / "c.onnx")).graph.node]
    assert "Conv" not in ops and "AveragePool" not in ops
    # conv1 is 1×3 (3 slices), avgpool 2×2 (4), conv2 4×4 (16): one Slice per offset.
    assert ops.count("Slice") == 3 + 4 + 16
    assert ops.count("MatMul") == 2 and ops.count("Sum") == 1 and ops.count("Pad") == 1


@pytest.mark.parametrize("batch", [1, 17])
def test_batch_dimension_is_symbolic(tmp_path, batch):
    net = _network("strided_max", "float32")
    path = export_onnx(net, tmp_path / "conv.onnx")
    X = _images(net, m=batch, seed=batch)
    (out,) = _run(path, X)
    assert out.shape == (batch, 4)
    np.testing.assert_allclose(out, net.predict_output(X), rtol=1e-5, atol=1e-5)
