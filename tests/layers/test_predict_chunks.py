"""Prediction in chunks sized by the widest layer: a convolution's windows, not just 4,096
rows, bound the memory of a forward pass at inference."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.network import PREDICT_BYTES, PREDICT_CHUNK


def _cnn(dtype: str) -> gn.Network:
    rng = np.random.default_rng(0)
    layers = [
        gn.Conv2D(1, 32, 3, padding=1, input_size=(28, 28), rng=rng, dtype=dtype),
        gn.MaxPool2D(2),
        gn.Conv2D(32, 64, 3, padding=1, rng=rng, dtype=dtype),
        gn.Flatten(),
        gn.Dense(64 * 14 * 14, 10, "softmax", rng=rng, dtype=dtype),
    ]
    return gn.Network(layers, loss="cce")


def test_a_convolution_s_windows_size_the_chunks() -> None:
    net = _cnn("float32")
    # The second convolution's im2col: 32 channels × 3 × 3 per position, 14 × 14 positions.
    windows = 32 * 3 * 3 * 14 * 14
    assert net.layers[2].values_per_sample == windows
    assert net.predict_chunk() == PREDICT_BYTES // (windows * 4) < PREDICT_CHUNK
    assert _cnn("float64").predict_chunk() == PREDICT_BYTES // (windows * 8)
    assert gn.Network.build([784, 256, 10]).predict_chunk() == PREDICT_CHUNK


def test_chunked_prediction_equals_one_pass() -> None:
    net = _cnn("float64")
    X = np.random.default_rng(1).random((2 * net.predict_chunk() + 7, 1, 28, 28))
    np.testing.assert_allclose(net.predict_output(X), net.forward(X), rtol=1e-12, atol=1e-15)
