"""Reshape: rows of pixels laid out as images for the convolutions above (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.inspect import gradient_check
from glassnet.io import load_model, save_model
from glassnet.layers import Reshape


def _net(dtype: str = "float64") -> gn.Network:
    rng = np.random.default_rng(0)
    layers = [Reshape((2, 3, 4)), gn.Conv2D(2, 3, 2, rng=rng, dtype=dtype), gn.Flatten()]
    return gn.Network(
        [
            Reshape((2, 3, 4), input_shape=24),
            *layers[1:],
            gn.Dense(18, 2, "softmax", rng=rng, dtype=dtype),
        ],
        loss="cce",
    )


def test_rows_become_images_in_c_order_and_gradients_flow_back() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 24))
    net = _net()
    net.forward(X)
    np.testing.assert_array_equal(net.layers[0].forward_record()["A"], X.reshape(5, 2, 3, 4))
    net.layers[0].propagate_input_grad = True
    dA = rng.standard_normal((5, 2, 3, 4))
    np.testing.assert_array_equal(net.layers[0].backward(dA), dA.reshape(5, 24))
    check = gradient_check(net, X, rng.integers(0, 2, 5))
    assert check.max_relative_error < 1e-7


def test_a_shape_that_does_not_hold_the_values_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"lays out 24 values per sample, but the layer below gives 25"
    ):
        Reshape((2, 3, 4), input_shape=25)
    with pytest.raises(ValueError, match="output_shape must be a positive integer"):
        Reshape((2, 0, 4))


def test_it_survives_a_model_file(tmp_path) -> None:
    net = _net("float32")
    path = save_model(tmp_path / "r.glassnet", net)
    loaded = load_model(path).network
    assert loaded.layers[0].input_shape == (24,) and loaded.layers[0].output_shape == (2, 3, 4)
    X = np.random.default_rng(2).random((3, 24), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
