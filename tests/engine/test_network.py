"""The network as data: ``config()`` and ``arrays()`` rebuild it exactly
(``from_config``), and a rebuild that does not fit names the layer."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn


def _net() -> gn.Network:
    return gn.Network.build([4, 6, 3], dropout=0.2, batch_norm=True, l2=0.01, l1=0.001, seed=0)


def test_config_and_arrays_rebuild_the_same_network() -> None:
    net = _net()
    X = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    net.fit(X, np.arange(16) % 3, epochs=2, batch_size=8, seed=0)
    config = json.loads(json.dumps(net.config()))  # JSON data, nothing else
    rebuilt = gn.Network.from_config(config, net.arrays())
    assert (rebuilt.l2, rebuilt.l1, rebuilt.loss.name) == (0.01, 0.001, "cce")
    np.testing.assert_array_equal(rebuilt.predict_output(X), net.predict_output(X))
    for (name, a), (_, b) in zip(
        rebuilt.parameters() + rebuilt.buffers(), net.parameters() + net.buffers(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_rebuild_with_a_wrong_or_missing_array_names_the_layer() -> None:
    net = _net()
    arrays = net.arrays()
    wrong = {**arrays, "layers.2.W": np.zeros((3, 5))}
    with pytest.raises(
        ValueError, match=r"layer 2 \(dense\): W must have shape \(3, 6\), got \(3, 5\)"
    ):
        gn.Network.from_config(net.config(), wrong)
    missing = {k: v for k, v in arrays.items() if k != "layers.0.running_var"}
    with pytest.raises(
        ValueError, match=r"layer 0 \(dense\): missing array\(s\) \['running_var'\]"
    ):
        gn.Network.from_config(net.config(), missing)
    extra = {**arrays, "layers.1.W": np.zeros((6, 6))}
    with pytest.raises(
        ValueError, match=r"layer 1 \(dropout\): no array 'W' belongs to this layer"
    ):
        gn.Network.from_config(net.config(), extra)


def test_astype_keeps_each_dropout_generator_but_draws_independently() -> None:
    """A copy draws the same masks as the original, without moving its generator."""
    net = _net()
    twin = net.astype("float32")
    dropout, dropout_twin = net.layers[1], twin.layers[1]
    assert dropout.rng is not None and dropout_twin.rng is not None
    assert dropout_twin.rng is not dropout.rng
    A = np.ones((5, 6), dtype=np.float32)
    first_twin = dropout_twin.forward(A, training=True) != 0
    first = dropout.forward(A, training=True) != 0
    np.testing.assert_array_equal(first_twin, first)
    assert (dropout.forward(A, training=True) != 0).tolist() != first.tolist()
