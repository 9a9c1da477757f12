"""Networks averaged into one (``glassnet.ensembles``): the merged network's ``Z^[L]`` is
the mean of the members' ``Z^[L]``, computed here by running each member on its own."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.ensembles import average_networks
from glassnet.layers.architecture import build_layers


def _logits(network: gn.Network, X: np.ndarray) -> np.ndarray:
    network.forward(X)
    return np.array(network.output_layer.forward_record()["Z"])


@pytest.mark.parametrize(
    "build",
    [
        {"sizes": [4, 5, 3]},  # one hidden layer, softmax
        {"sizes": [4, 5, 6, 3], "batch_norm": True},  # blocks on the diagonal, BN per unit
        {"sizes": [4, 5, 6, 1], "loss": "mse", "output_activation": "linear", "dropout": 0.2},
        {"sizes": [4, 1]},  # no hidden layer: the weights themselves are averaged
    ],
)
def test_the_merged_output_is_the_mean_of_the_members_logits(build: dict) -> None:
    sizes = build.pop("sizes")
    members = [gn.Network.build(sizes, seed=seed, dtype="float64", **build) for seed in range(3)]
    rng = np.random.default_rng(7)
    for member in members:  # running statistics that differ from member to member
        for _, buffer in member.buffers():
            buffer[...] = rng.uniform(0.5, 1.5, buffer.shape)
    X = rng.normal(size=(9, 4))
    merged = average_networks(members)
    expected = np.mean([_logits(member, X) for member in members], axis=0)
    np.testing.assert_allclose(_logits(merged, X), expected, rtol=0, atol=1e-12)
    hidden = [n * 3 for n in sizes[1:-1]]  # each hidden layer three times as wide
    widths = [layer.n_out for layer in merged.parametric_layers()]
    assert widths == [*hidden, sizes[-1]]
    # The members are untouched, and one member is returned as a copy.
    assert average_networks(members[:1]) is not members[0]
    np.testing.assert_array_equal(_logits(average_networks(members[:1]), X), _logits(members[0], X))


def test_only_networks_of_the_same_dense_layers_are_averaged() -> None:
    with pytest.raises(ValueError, match="network 2 differs"):
        average_networks([gn.Network.build([4, 5, 3], seed=0), gn.Network.build([4, 6, 3])])
    with pytest.raises(ValueError, match="at least one"):
        average_networks([])
    layers = build_layers(
        "conv4k3,pool2,8", (1, 8, 8), 3, "relu", "softmax", init=None, dropout=0.0,
        batch_norm=False, rng=np.random.default_rng(0), dtype=np.dtype("float32"),
    )  # fmt: skip
    conv = gn.Network(layers, loss="cce")
    with pytest.raises(ValueError, match=r"only dense networks.*conv2d"):
        average_networks([conv, conv])
