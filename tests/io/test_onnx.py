"""ONNX export: the exported file, run by ONNX Runtime, against ``predict_output`` for every
activation, with batch norm and dropout, in float32 and float64 and on MNIST; the graph's
structure, symbolic batch and metadata; and the errors at the boundary."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.activations import ACTIVATIONS, Activation
from glassnet.io.onnx import DEFAULT_OPSET, GELU_OPSET, MIN_OPSET, export_onnx
from glassnet.layers import Dense, Dropout, Layer

onnx = pytest.importorskip(
    "onnx", reason='ONNX export tests need onnx: pip install "glassnet[onnx]"'
)
ort = pytest.importorskip(
    "onnxruntime", reason='ONNX export tests need onnxruntime: pip install "glassnet[onnx]"'
)

HIDDEN = sorted(name for name in ACTIVATIONS if name != "softmax")
OUTPUT_LOSS = {"softmax": "cce", "sigmoid": "bce"}  # every other output activation: mse
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def _run(path: Path, X: np.ndarray, input_name: str = "X") -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {input_name: X})
    return output


def _data(net: gn.Network, m: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features off-centre and off-scale, so that batch norm's running statistics are far
    from their initial (0, 1), and targets that fit the network's loss."""
    rng = np.random.default_rng(seed)
    X = rng.normal(1.5, 3.0, size=(m, net.n_features)).astype(net.dtype)
    if net.loss.name == "cce":
        return X, rng.integers(0, net.n_outputs, size=m)
    if net.loss.name == "bce":
        return X, rng.integers(0, 2, size=(m, net.n_outputs))
    return X, rng.normal(size=(m, net.n_outputs))


def _trained(net: gn.Network) -> tuple[gn.Network, np.ndarray]:
    X, y = _data(net)
    net.fit(X, y, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.05, seed=0)
    return net, X


def _assert_matches(net: gn.Network, path: Path, X: np.ndarray) -> None:
    expected = net.predict_output(X)
    actual = _run(path, X)
    assert actual.dtype == net.dtype
    tol = TOLERANCE[net.dtype.name]
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


# -- outputs against predict_output --------------------------------------------------------


@pytest.mark.parametrize("regularized", [False, True], ids=["plain", "batch_norm+dropout"])
@pytest.mark.parametrize("activation", HIDDEN)
def test_hidden_activation_matches_predict_output(tmp_path, activation, regularized):
    net = gn.Network.build(
        [6, 9, 7, 3],
        activation=activation,
        batch_norm=regularized,
        dropout=0.3 if regularized else 0.0,
        seed=0,
    )
    net, X = _trained(net)
    if regularized:
        norm = net.parametric_layers()[0].norm
        assert norm is not None  # running statistics far from their initial (0, 1):
        assert np.abs(norm.running_mean).max() > 0.1 and np.abs(norm.running_var - 1).max() > 0.1
    _assert_matches(net, export_onnx(net, tmp_path / "net.onnx"), X)


@pytest.mark.parametrize("output", sorted(ACTIVATIONS))
def test_output_activation_matches_predict_output(tmp_path, output):
    loss = OUTPUT_LOSS.get(output, "mse")
    net = gn.Network.build(
        [5, 8, 3], output_activation=output, loss=loss, batch_norm=True, dropout=0.2, seed=1
    )
    net, X = _trained(net)
    _assert_matches(net, export_onnx(net, tmp_path / "net.onnx"), X)


def _every_activation(dtype: str) -> gn.Network:
    """One network that chains every hidden activation (settings off their defaults),
    batch norm in every other layer, dropout, and a softmax output."""
    rng = np.random.default_rng(2)
    specs = [*HIDDEN, "softmax"]
    specs[specs.index("leaky_relu")] = {"name": "leaky_relu", "alpha": 0.2}
    specs[specs.index("elu")] = {"name": "elu", "alpha": 0.5}
    layers: list[Layer] = []
    n = 6
    for i, spec in enumerate(specs):
        n_out = 4 if i == len(specs) - 1 else 7
        last = i == len(specs) - 1
        batch_norm = not last and i % 2 == 0
        layers.append(Dense(n, n_out, spec, batch_norm=batch_norm, rng=rng, dtype=dtype))
        if i == 2:
            layers.append(Dropout(n_out, 0.25, rng=rng))
        n = n_out
    return gn.Network(layers, "cce")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opset", sorted({MIN_OPSET, DEFAULT_OPSET, GELU_OPSET, 21}))
def test_every_activation_at_each_opset(tmp_path, opset, dtype):
    net, X = _trained(_every_activation(dtype))
    path = export_onnx(net, tmp_path / "net.onnx", opset=opset)
    model = onnx.load(path)
    assert model.opset_import[0].version == opset
    expected_type = onnx.TensorProto.FLOAT if dtype == "float32" else onnx.TensorProto.DOUBLE
    assert model.graph.input[0].type.tensor_type.elem_type == expected_type
    assert model.graph.output[0].type.tensor_type.elem_type == expected_type
    _assert_matches(net, path, X)


@pytest.mark.parametrize(
    ("opset", "dtype", "native"),
    [(17, "float32", False), (20, "float32", True), (20, "float64", False)],
)
def test_gelu_is_a_gelu_node_from_opset_20_in_float32(tmp_path, opset, dtype, native):
    net = gn.Network.build([4, 5, 2], activation="gelu", seed=0, dtype=dtype)
    ops = [
        n.op_type for n in onnx.load(export_onnx(net, tmp_path / "g.onnx", opset=opset)).graph.node
    ]
    assert ("Gelu" in ops) is native
    assert ("Tanh" in ops) is not native


@pytest.fixture(scope="module")
def mnist():
    return gn.datasets.load_mnist_small()


@pytest.mark.parametrize("regularized", [False, True], ids=["plain", "batch_norm+dropout"])
def test_mnist_784_64_10_matches_predict_output(tmp_path, mnist, regularized):
    net = gn.Network.build(
        [784, 64, 10], batch_norm=regularized, dropout=0.2 if regularized else 0.0, seed=0
    )
    net.fit(
        mnist.X_train[:2000],
        mnist.y_train[:2000],
        epochs=1,
        optimizer="sgd",
        learning_rate=0.1,
        seed=0,
    )
    X = mnist.X_test[:500]
    expected = net.predict_output(X)
    actual = _run(export_onnx(net, tmp_path / "mnist.onnx"), X)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)
    assert np.mean(actual.argmax(axis=1) == mnist.y_test[:500]) > 0.5  # it learned (chance: 0.1)


# -- the graph -----------------------------------------------------------------------------


def test_graph_is_gemm_and_activation_per_layer_and_passes_the_checker(tmp_path):
    net, _ = _trained(gn.Network.build([6, 9, 7, 3], batch_norm=True, dropout=0.5, seed=0))
    before = {name: array.copy() for name, array in [*net.parameters(), *net.buffers()]}
    model = onnx.load(export_onnx(net, tmp_path / "net.onnx"))
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == [
        "Gemm",
        "Relu",
        "Gemm",
        "Relu",
        "Gemm",
        "Softmax",
    ]
    assert all(
        dict((a.name, a.i) for a in n.attribute)["transB"] == 1 for n in model.graph.node[::2]
    )
    shapes = {t.name: tuple(t.dims) for t in model.graph.initializer}
    assert shapes == {
        "dense1.W": (9, 6), "dense1.b": (9,),
        "dense2.W": (7, 9), "dense2.b": (7,),
        "dense3.W": (3, 7), "dense3.b": (3,),
    }  # fmt: skip
    for name, array in [*net.parameters(), *net.buffers()]:  # folding copied, not mutated
        np.testing.assert_array_equal(array, before[name])


def test_batch_norm_is_folded_into_w_and_b(tmp_path):
    net, _ = _trained(gn.Network.build([3, 4, 2], batch_norm=True, seed=0))
    layer = net.parametric_layers()[0]
    norm = layer.norm
    assert norm is not None
    model = onnx.load(export_onnx(net, tmp_path / "net.onnx"))
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    s = norm.gamma / np.sqrt(norm.running_var + norm.epsilon)
    np.testing.assert_allclose(arrays["dense1.W"], layer.W * s[:, None], rtol=1e-6)
    np.testing.assert_allclose(
        arrays["dense1.b"], s * (layer.b - norm.running_mean) + norm.beta, rtol=1e-6, atol=1e-7
    )
    np.testing.assert_array_equal(arrays["dense2.W"], net.parametric_layers()[1].W)


@pytest.mark.parametrize("batch", [1, 37])
def test_batch_dimension_is_symbolic(tmp_path, batch):
    net = gn.Network.build([5, 8, 3], seed=0)
    path = export_onnx(net, tmp_path / "net.onnx")
    graph = onnx.load(path).graph
    for value in (graph.input[0], graph.output[0]):
        first, second = value.type.tensor_type.shape.dim
        assert first.dim_param == "batch"
        assert second.dim_value == (5 if value is graph.input[0] else 3)
    X = np.random.default_rng(batch).normal(size=(batch, 5)).astype(np.float32)
    out = _run(path, X)
    assert out.shape == (batch, 3)
    np.testing.assert_allclose(out, net.predict_output(X), rtol=1e-5, atol=1e-5)


def test_metadata_and_doc_string(tmp_path):
    net = gn.Network.build([5, 8, 3], batch_norm=True, seed=0)
    model = onnx.load(export_onnx(net, tmp_path / "net.onnx"))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["glassnet_version"] == gn.__version__
    assert meta["loss"] == "cce"
    assert meta["layer_sizes"] == "[5, 8, 3]"
    assert meta["activations"] == '["relu", "softmax"]'
    assert meta["dtype"] == "float32"
    assert meta["batch_norm"] == "folded into Gemm"
    assert model.producer_name == "glassnet" and model.producer_version == gn.__version__
    assert "5-8-3" in model.doc_string and "Batch norm is folded" in model.doc_string


@pytest.mark.parametrize(
    ("sizes", "loss", "expected"),
    [([4, 3], "cce", "probabilities"), ([4, 1], "bce", "probabilities"), ([4, 2], "mse", "values")],
)
def test_output_is_named_after_the_loss(tmp_path, sizes, loss, expected):
    net = gn.Network.build(sizes, loss=loss, seed=0)
    graph = onnx.load(export_onnx(net, tmp_path / "net.onnx")).graph
    assert [v.name for v in graph.input] == ["X"]
    assert [v.name for v in graph.output] == [expected]


def test_custom_input_and_output_names(tmp_path):
    net = gn.Network.build([4, 6, 1], loss="mse", seed=0)  # identity output: Gemm is last
    path = export_onnx(net, tmp_path / "net.onnx", input_name="features", output_name="price")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [v.name for v in session.get_inputs()] == ["features"]
    assert [v.name for v in session.get_outputs()] == ["price"]
    X = np.ones((3, 4), np.float32)
    np.testing.assert_allclose(_run(path, X, "features"), net.predict_output(X), rtol=1e-5)


def test_writes_atomically_over_an_existing_file_and_creates_folders(tmp_path):
    net = gn.Network.build([4, 2], seed=0)
    target = tmp_path / "models" / "v1" / "net.onnx"
    assert export_onnx(net, str(target)) == target
    first = target.read_bytes()
    assert export_onnx(gn.Network.build([4, 3], seed=0), target) == target
    assert target.read_bytes() != first
    assert sorted(p.name for p in target.parent.iterdir()) == ["net.onnx"]


# -- errors --------------------------------------------------------------------------------


class Swish(Activation):
    name = "swish"

    def forward(self, Z):
        return Z / (1 + np.exp(-Z))


class Scale(Layer):
    kind = "scale"

    def __init__(self, n: int) -> None:
        self.input_shape = self.output_shape = (n,)

    def forward(self, A_prev, training=False):
        return 2 * A_prev

    def __repr__(self) -> str:
        return f"Scale({self.n_in})"


def test_a_directory_is_refused_by_name(tmp_path):
    net = gn.Network.build([4, 2], seed=0)
    with pytest.raises(IsADirectoryError, match=re.escape(f"{str(tmp_path)!r} is a directory")):
        export_onnx(net, tmp_path)


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            lambda: [Dense(4, 3, "relu"), Dense(3, 2, Swish())],
            r"Dense layer 2 \(Dense\(3, 2, activation='swish'\)\) cannot be exported to ONNX: its activation Swish \('swish'\)",
        ),
        (
            lambda: [Dense(4, 3, "relu"), Scale(3), Dense(3, 2, "softmax")],
            r"layer 2 \(Scale\(3\)\) cannot be exported to ONNX: only Dense, Dropout and Flatten",
        ),
    ],
    ids=["activation", "layer"],
)
def test_what_onnx_cannot_express_is_refused_naming_the_layer(tmp_path, layers, message):
    target = tmp_path / "net.onnx"
    with pytest.raises(NotImplementedError, match=message):
        export_onnx(gn.Network(layers(), "cce"), target)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"opset": MIN_OPSET - 1},
            ValueError,
            rf"opset must be between {MIN_OPSET} and \d+ .*got {MIN_OPSET - 1}",
        ),
        ({"opset": 10_000}, ValueError, r"opset must be between .*got 10000"),
        ({"opset": "17"}, TypeError, r"opset must be an integer, got '17' \(str\)"),
        ({"input_name": ""}, ValueError, r"input_name must be a non-empty string, got ''"),
        ({"output_name": 3}, ValueError, r"output_name must be a non-empty string, got 3"),
        (
            {"input_name": "Y", "output_name": "Y"},
            ValueError,
            r"input_name and output_name must differ, both are 'Y'",
        ),
        (
            {"input_name": "dense1.W"},
            ValueError,
            r"also the name of a tensor inside the graph \(dense1.W\)",
        ),
    ],
)
def test_bad_arguments_are_named(tmp_path, options, error, message):
    net = gn.Network.build([4, 3, 2], seed=0)
    with pytest.raises(error, match=message):
        export_onnx(net, tmp_path / "net.onnx", **options)
    assert list(tmp_path.iterdir()) == []


def test_a_network_is_required(tmp_path):
    with pytest.raises(TypeError, match=r"network must be a glassnet Network, got dict"):
        export_onnx({"W": [[1.0]]}, tmp_path / "net.onnx")


def test_without_onnx_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "glassnet[onnx]"')):
        export_onnx(gn.Network.build([4, 2], seed=0), tmp_path / "net.onnx")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_network_of_images_exports_with_its_flatten(tmp_path, dtype) -> None:
    """A Flatten first layer takes (batch, 3, 4) images in ONNX as in glassnet."""
    rng = np.random.default_rng(0)
    net = gn.Network(
        [
            gn.Flatten((3, 4)),
            Dense(12, 5, "tanh", rng=rng, dtype=dtype),
            Dense(5, 3, "softmax", rng=rng, dtype=dtype),
        ],
        "cce",
    )
    X = rng.normal(size=(20, 3, 4)).astype(dtype)
    net.fit(X, rng.integers(0, 3, 20), epochs=2, batch_size=5, seed=0)
    path = export_onnx(net, tmp_path / "images.onnx")
    _assert_matches(net, path, X)
    graph = onnx.load(str(path)).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, 4]


@pytest.mark.parametrize(
    "classes", [[0, 1], ["no", "yes"], [False, True], [np.int64(3), np.int64(7)]]
)
def test_class_labels_travel_in_the_metadata_with_their_type(tmp_path, classes) -> None:
    """Issue 9, item 1: a runtime reads back the labels exactly as the model was trained."""
    import json

    net = gn.Network.build([3, 4, 1], seed=0)
    path = export_onnx(net, tmp_path / "labelled.onnx", classes=classes)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["classes"]) == [c.item() if hasattr(c, "item") else c for c in classes]
    assert [type(c) for c in json.loads(meta["classes"])] == [
        type(c.item() if hasattr(c, "item") else c) for c in classes
    ]
    assert meta["loss"] == "bce"  # the other metadata stays
