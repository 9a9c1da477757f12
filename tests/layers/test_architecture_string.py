"""The architecture string: parsing, the shapes it builds, and errors that name the token."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from glassnet import Network
from glassnet.layers import Dense, Dropout, Flatten, Layer
from glassnet.layers.architecture import build_layers, parse_architecture
from glassnet.layers.batch_norm2d import BatchNorm2D
from glassnet.layers.conv2d import Conv2D
from glassnet.layers.pooling import AvgPool2D, MaxPool2D

LENET = "conv32k3,pool2,conv64k3p1,pool2,flatten,128"


def build(text: Any, shape: Any = (1, 28, 28), **options: Any) -> list[Layer]:
    settings: dict[str, Any] = {
        "init": None,
        "dropout": 0.0,
        "batch_norm": False,
        "rng": np.random.default_rng(0),
        "dtype": np.dtype("float64"),
        **options,
    }
    return build_layers(text, shape, 10, "relu", "softmax", **settings)


def shapes(layers: list[Layer]) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [(type(layer).__name__, layer.input_shape, layer.output_shape) for layer in layers]


def test_parse() -> None:
    assert parse_architecture(LENET) == [
        {"type": "conv2d", "out_channels": 32, "kernel_size": 3, "stride": 1, "padding": 0, "batch_norm": False, "token": "conv32k3"},
        {"type": "max_pool2d", "pool_size": 2, "stride": None, "token": "pool2"},
        {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "stride": 1, "padding": 1, "batch_norm": False, "token": "conv64k3p1"},
        {"type": "max_pool2d", "pool_size": 2, "stride": None, "token": "pool2"},
        {"type": "flatten", "token": "flatten"},
        {"type": "dense", "n_out": 128, "batch_norm": False, "token": "128"},
    ]  # fmt: skip
    specs = parse_architecture(" Conv8k5s2p2, BN ,avgpool3s2,maxpool2,dropout0.25,64,bn")
    assert [(s["type"], s.get("batch_norm")) for s in specs] == [
        ("conv2d", True),
        ("avg_pool2d", None),
        ("max_pool2d", None),
        ("dropout", None),
        ("dense", True),
    ]
    assert (specs[0]["kernel_size"], specs[0]["stride"], specs[0]["padding"]) == (5, 2, 2)
    assert (specs[1]["pool_size"], specs[1]["stride"]) == (3, 2)
    assert specs[3]["rate"] == 0.25


def test_mnist_shapes() -> None:
    layers = build(LENET)
    # 28 − 3 + 1 = 26, ⌊26/2⌋ = 13, 13 + 2 − 3 + 1 = 13, ⌊13/2⌋ = 6, 64·6·6 = 2304.
    assert shapes(layers) == [
        ("Conv2D", (1, 28, 28), (32, 26, 26)),
        ("MaxPool2D", (32, 26, 26), (32, 13, 13)),
        ("Conv2D", (32, 13, 13), (64, 13, 13)),
        ("MaxPool2D", (64, 13, 13), (64, 6, 6)),
        ("Flatten", (64, 6, 6), (2304,)),
        ("Dense", (2304,), (128,)),
        ("Dense", (128,), (10,)),
    ]
    assert [getattr(layer.activation, "name", None) for layer in layers] == [
        "relu", None, "relu", None, None, "relu", "softmax"
    ]  # fmt: skip
    assert isinstance(layers[2], Conv2D) and layers[2].padding == (1, 1)
    assert all(layer.dtype in (None, np.float64) for layer in layers)
    net = Network(layers, loss="cce")
    X = np.random.default_rng(1).standard_normal((2, 1, 28, 28))
    out = net.predict_output(X)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)


def test_flatten_is_added_where_needed() -> None:
    assert [type(x).__name__ for x in build("conv4k3,16")] == [
        "Conv2D",
        "Flatten",
        "Dense",
        "Dense",
    ]
    assert [type(x).__name__ for x in build("avgpool2")] == ["AvgPool2D", "Flatten", "Dense"]
    assert shapes(build("avgpool2"))[1] == ("Flatten", (1, 14, 14), (196,))
    # A plain multilayer perceptron on rows: no flatten at all.
    assert shapes(build("128,64", (784,))) == [
        ("Dense", (784,), (128,)),
        ("Dense", (128,), (64,)),
        ("Dense", (64,), (10,)),
    ]


def test_batch_norm_and_dropout() -> None:
    layers = build("conv4k3,bn,pool2,16,bn,dropout0.5,8")
    assert [type(x).__name__ for x in layers] == [
        "Conv2D", "BatchNorm2D", "MaxPool2D", "Flatten", "Dense", "Dropout", "Dense", "Dense"
    ]  # fmt: skip
    assert isinstance(layers[1], BatchNorm2D) and layers[1].input_shape == (4, 26, 26)
    assert isinstance(layers[4], Dense) and layers[4].norm is not None
    assert isinstance(layers[6], Dense) and layers[6].norm is None
    assert isinstance(layers[5], Dropout) and layers[5].rate == 0.5
    # The options do for every hidden layer what the tokens do for one.
    layers = build("conv4k3,16", batch_norm=True, dropout=0.25)
    assert [type(x).__name__ for x in layers] == [
        "Conv2D", "BatchNorm2D", "Flatten", "Dense", "Dropout", "Dense"
    ]  # fmt: skip
    assert isinstance(layers[3], Dense) and layers[3].norm is not None
    assert isinstance(layers[5], Dense) and layers[5].norm is None  # never the output layer


def test_entries_as_a_file_would_give_them() -> None:
    entries = [
        {"type": "conv2d", "out_channels": 3, "kernel_size": [2, 3], "activation": "tanh"},
        {"type": "avg_pool2d", "pool_size": 2, "stride": 1},
        {"type": "dense", "n_out": 5},
    ]
    layers = build(entries, (2, 6, 6))
    assert shapes(layers)[:2] == [
        ("Conv2D", (2, 6, 6), (3, 5, 4)),
        ("AvgPool2D", (3, 5, 4), (3, 4, 3)),
    ]
    assert isinstance(layers[0], Conv2D) and layers[0].activation.name == "tanh"
    assert isinstance(layers[1], AvgPool2D) and isinstance(layers[2], Flatten)


def test_same_seed_same_weights() -> None:
    first, second = build("conv4k3,8"), build("conv4k3,8")
    np.testing.assert_array_equal(first[0].params["W"], second[0].params["W"])
    np.testing.assert_array_equal(first[2].params["W"], second[2].params["W"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conv32x3", r"^layers: 'conv32x3' is not a layer; expected conv<F>k<K>\[s<S>\]\[p<P>\]"),
        ("conv32k3,pol2", r"'pol2' is not a layer; expected .*pool<P>"),
        ("128,,10", r"entry 2 of '128,,10' is empty"),
        ("dropout", r"'dropout' is not a layer"),
        ("bn,128", r"'bn' must follow a conv or dense layer .* but it follows nothing"),
        ("pool2,bn", r"'bn' must follow a conv or dense layer .* but it follows 'pool2'"),
        ("conv8k3,bn,bn", r"'conv8k3' is followed by 'bn' twice"),
    ],
)
def test_bad_tokens(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_architecture(text)


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^--layers: 'conv32x3' is not a layer"):
        parse_architecture("conv32x3", name="--layers")
    with pytest.raises(TypeError, match="layers must be a string"):
        parse_architecture(12)  # type: ignore[arg-type]


def test_a_layer_that_does_not_fit_names_itself_and_both_shapes() -> None:
    # 28 → 26 → 13 → 6 → 3 → 1: the fifth pool gets a 1×1 map.
    with pytest.raises(
        ValueError,
        match=r"^layers: 'pool2' does not fit the layer below: MaxPool2D\(2\) expects inputs "
        r"of shape \(channels, height, width\) with height ≥ 2 and width ≥ 2, but the layer "
        r"below gives outputs of shape \(8, 1, 1\)",
    ):
        build("conv8k3,pool2,pool2,pool2,pool2,pool2")
    with pytest.raises(ValueError, match=r"'conv8k5' does not fit .*Conv2D.*\(1, 4, 4\)"):
        build("conv8k5", (1, 4, 4))
    with pytest.raises(
        ValueError, match=r"'conv8k3' cannot be built: a convolution takes .*\(16,\)"
    ):
        build("16,conv8k3")
    with pytest.raises(ValueError, match=r"'pool2' does not fit .*MaxPool2D\(2\).*\(784,\)"):
        build("pool2", (784,))


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"type": "conv3d"}], r"entry 1 has no known type \(got 'conv3d'\)"),
        (["conv8k3"], r"entry 1 has no known type"),
        ([{"type": "conv2d", "out_channels": 4}], r"entry 1 \(conv2d\) lacks kernel_size"),
        (
            [{"type": "dense", "n_out": 4, "units": 4}],
            r"entry 1 \(dense\) has unknown key\(s\) units",
        ),
        (
            [{"type": "conv2d", "out_channels": 0, "kernel_size": 3}],
            r"entry 1 \(conv2d\) cannot be built: .*out_channels",
        ),
        (
            [{"type": "max_pool2d", "pool_size": 0}],
            r"entry 1 \(max_pool2d\) cannot be built: pool_size must be",
        ),
    ],
)
def test_bad_entries(entries: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(entries)


def test_bad_rates() -> None:
    with pytest.raises(
        ValueError, match=r"'dropout1.5' cannot be built: dropout rate must be in \[0, 1\)"
    ):
        build("dropout1.5,16")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        build("16", dropout=1.0)


def test_pool_stride_from_the_token() -> None:
    layers = build("maxpool3s2,avgpool2s1", (2, 9, 9))
    assert isinstance(layers[0], MaxPool2D) and layers[0].stride == (2, 2)
    assert shapes(layers)[:2] == [
        ("MaxPool2D", (2, 9, 9), (2, 4, 4)),
        ("AvgPool2D", (2, 4, 4), (2, 3, 3)),
    ]
