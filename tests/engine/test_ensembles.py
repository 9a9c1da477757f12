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


def test_an_input_dropout_is_shared_and_hidden_softmax_or_huge_merges_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import glassnet.ensembles as ensembles

    def built(seed: int, activation: str = "relu") -> gn.Network:
        layers = build_layers(
            "dropout0.2,6", (4,), 2, activation, "softmax", init=None, dropout=0.0,
            batch_norm=False, rng=np.random.default_rng(seed), dtype=np.dtype("float64"),
        )  # fmt: skip
        return gn.Network(layers, loss="cce")

    members = [built(seed) for seed in range(3)]
    X = np.random.default_rng(3).normal(size=(5, 4))
    merged = average_networks(members)
    assert merged.layers[0].config()["type"] == "dropout" and merged.n_features == 4
    expected = np.mean([_logits(member, X) for member in members], axis=0)
    np.testing.assert_allclose(_logits(merged, X), expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="softmax activation cannot be averaged"):
        average_networks([built(0, "softmax"), built(1, "softmax")])
    # 3 members of 4-6-2: 3·6·(4+1) + 2·(3·6+1) = 128 parameters averaged.
    monkeypatch.setattr(ensembles, "MAX_PARAMETERS", 127)
    with pytest.raises(ValueError, match="would hold 128 parameters; at most 127"):
        average_networks(members)
