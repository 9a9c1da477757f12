"""The glass box on convolutional networks: the shipped conv-4x4 example recomputed number by
number with plain loops, feature maps kept as maps in the trace and printed as grids,
conv and pool layers in specs (and hostile ones refused by name), gradient checks and
diagnosis unchanged."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pytest

from glassnet import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, Network
from glassnet.cli import main
from glassnet.inspect import (
    SpecError,
    gradient_check,
    list_examples,
    load_example,
    parse_spec,
    render,
    trace,
)
from glassnet.inspect.diagnose import diagnose

EXAMPLE = "conv-4x4"


def _by_hand(spec: dict[str, Any]) -> dict[str, Any]:
    """Every number of one step of the conv-4x4 example with loops over indices, from the
    spec's own numbers: no glassnet, no vectorized convolution."""
    X = np.array(spec["X"], dtype=float)[0, 0]  # the one sample's one channel, 4×4
    K = np.array(spec["layers"][0]["W"], dtype=float)[0, 0]  # the one 2×2 filter
    b1 = spec["layers"][0]["b"][0]
    W2 = np.array(spec["layers"][3]["W"], dtype=float)[0]
    b2 = spec["layers"][3]["b"][0]
    y, lr = spec["Y"][0][0], spec["learning_rate"]
    Z1 = np.zeros((3, 3))
    for r in range(3):
        for c in range(3):
            Z1[r, c] = sum(K[u, v] * X[r + u, c + v] for u in range(2) for v in range(2)) + b1
    A1 = np.where(Z1 > 0, Z1, 0.0)
    P = np.zeros((2, 2))
    where = {}  # each pooled output's argmax in A1 (first in row-major order on ties)
    for r in range(2):
        for c in range(2):
            window = [(A1[r + u, c + v], (r + u, c + v)) for u in range(2) for v in range(2)]
            best = max(value for value, _ in window)
            P[r, c] = best
            where[r, c] = next(spot for value, spot in window if value == best)
    mask = np.zeros((3, 3))
    for spot in where.values():
        mask[spot] += 1
    a0 = [P[0, 0], P[0, 1], P[1, 0], P[1, 1]]  # flatten, row by row
    z2 = sum(W2[j] * a0[j] for j in range(4)) + b2
    a2 = 1 / (1 + math.exp(-z2))
    loss = -(y * math.log(a2) + (1 - y) * math.log(1 - a2))
    d2 = a2 - y  # sigmoid with BCE
    dW2 = [d2 * a0[j] for j in range(4)]
    dP = [W2[j] * d2 for j in range(4)]
    dA1 = np.zeros((3, 3))
    for j, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        dA1[where[r, c]] += dP[j]
    d1 = dA1 * (Z1 > 0)
    dK = np.zeros((2, 2))
    for u in range(2):
        for v in range(2):
            dK[u, v] = sum(d1[r, c] * X[r + u, c + v] for r in range(3) for c in range(3))
    db1 = d1.sum()
    return {
        "Z1": Z1, "A1": A1, "P": P, "mask": mask, "z2": z2, "a2": a2, "loss": loss,
        "d2": d2, "dW2": dW2, "db2": d2, "d1": d1, "dK": dK, "db1": db1,
        "K_new": K - lr * dK, "b1_new": b1 - lr * db1,
        "W2_new": [W2[j] - lr * dW2[j] for j in range(4)], "b2_new": b2 - lr * d2,
    }  # fmt: skip


def _example_spec() -> dict[str, Any]:
    from importlib import resources

    folder = resources.files("glassnet.inspect").joinpath("examples")
    return json.loads(folder.joinpath(f"{EXAMPLE}.json").read_text("utf-8"))


def test_conv_example_every_number_matches_loops_by_hand() -> None:
    hand = _by_hand(_example_spec())
    record = load_example(EXAMPLE).run()
    step = record.steps[0]
    conv, pool, flat, dense = step.forward
    close = {"rtol": 0, "atol": 1e-12}
    np.testing.assert_allclose(conv["Z"], [[hand["Z1"]]], **close)
    np.testing.assert_allclose(conv["A"], [[hand["A1"]]], **close)
    np.testing.assert_allclose(pool["A"], [[hand["P"]]], **close)
    np.testing.assert_allclose(pool["mask"], [[hand["mask"]]], **close)
    np.testing.assert_allclose(flat["A"], np.reshape(hand["P"], (4, 1)), **close)
    np.testing.assert_allclose(dense["Z"], [[hand["z2"]]], **close)
    np.testing.assert_allclose(dense["A"], [[hand["a2"]]], **close)
    assert step.loss == pytest.approx(hand["loss"], abs=1e-12)
    back_dense, back_conv = step.backward
    np.testing.assert_allclose(back_dense["delta"], [[hand["d2"]]], **close)
    np.testing.assert_allclose(back_dense["dW"], [hand["dW2"]], **close)
    np.testing.assert_allclose(back_dense["db"], [[hand["db2"]]], **close)
    np.testing.assert_allclose(back_conv["delta"], [[hand["d1"]]], **close)
    np.testing.assert_allclose(back_conv["dW"], [[hand["dK"]]], **close)
    np.testing.assert_allclose(back_conv["db"], [[hand["db1"]]], **close)
    after_conv, after_dense = step.params
    np.testing.assert_allclose(after_conv["W"], [[hand["K_new"]]], **close)
    np.testing.assert_allclose(after_conv["b"], [[hand["b1_new"]]], **close)
    np.testing.assert_allclose(after_dense["W"], [hand["W2_new"]], **close)
    np.testing.assert_allclose(after_dense["b"], [[hand["b2_new"]]], **close)


def test_conv_example_numbers_are_the_ones_a_learner_checks() -> None:
    """The example was chosen so that the numbers are few and round: no ReLU input is 0
    (where f' is a choice), no pooling window ties, and Z^[2] = 0 so ŷ = 1/2."""
    hand = _by_hand(_example_spec())
    np.testing.assert_array_equal(hand["Z1"], [[-1.5, 2.5, 3.5], [1.5, 0.5, -0.5], [5.5, 1.5, 0.5]])
    np.testing.assert_array_equal(hand["P"], [[2.5, 3.5], [5.5, 1.5]])
    assert hand["z2"] == 0 and hand["a2"] == 0.5 and hand["loss"] == pytest.approx(math.log(2))
    np.testing.assert_array_equal(hand["d1"], [[0, -0.25, 0.25], [0, 0, 0], [-0.125, 0.125, 0]])
    assert not (hand["Z1"] == 0).any()


def test_conv_example_is_listed_and_traced_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    description = list_examples()[EXAMPLE]
    assert "2×2 kernel, stride 1" in description and "max_pool2d" in description
    assert main(["trace", "--example", EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert "Z^[1] = W^[1] ∗ A^[0] + b^[1]" in out
    # Z^[1] as a 3×3 grid of sample 1, channel 1, its first row as the loops compute it.
    assert re.search(
        r"Z\^\[1\]  \(3×3\)   \[sample 1, channel 1\]\n +\[ +-1\.5 +2\.5 +3\.5 \]", out
    )
    assert "∂L/∂W^[1] = (1/m) A^[0] ⋆ δ^[1]" in out
    assert "filter 1, channel 1" in out
    for fmt in ("markdown", "latex", "json"):
        assert main(["trace", "--example", EXAMPLE, "--format", fmt]) == 0
        out = capsys.readouterr().out
        if fmt == "json":
            step = json.loads(out)["steps"][0]
            assert np.shape(step["forward"][0]["Z"]) == (1, 1, 3, 3)
            assert np.shape(step["backward"][1]["dW"]) == (1, 1, 2, 2)
        else:
            assert r"\ast" in out and r"\star" in out


def _image_net(seed: int, size: int = 6, channels: int = 2) -> Network:
    rng = np.random.default_rng(seed)
    return Network(
        [
            Conv2D(channels, 3, 3, padding=1, activation="tanh", input_size=size, rng=rng,
                   dtype="float64"),
            MaxPool2D(2),
            Conv2D(3, 2, 2, stride=1, activation="relu", rng=rng, dtype="float64"),
            AvgPool2D(2, stride=1),
            Flatten(),
            Dense(2 * ((size // 2) - 2) ** 2, 3, "softmax", rng=rng, dtype="float64"),
        ],
        "cce",
    )  # fmt: skip


def test_gradient_check_passes_on_a_conv_pool_flatten_dense_network() -> None:
    rng = np.random.default_rng(3)
    net = _image_net(1)
    X = rng.normal(size=(3, 2, 6, 6))
    y = np.array([0, 2, 1])
    result = gradient_check(net, X, y, max_entries=None)
    assert {a.name for a in result.arrays} >= {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert result.max_relative_error < 1e-7, str(result)


def test_diagnose_runs_on_a_conv_network_and_finds_dead_feature_maps() -> None:
    rng = np.random.default_rng(4)
    net = _image_net(2)
    X = rng.normal(size=(8, 2, 6, 6))
    y = rng.integers(0, 3, 8)
    healthy = diagnose(net, X, y, learning_rate=0.1)
    assert len(healthy.layers) == 3 and np.isfinite(healthy.cost)
    assert str(healthy)
    # A bias far below any input kills every ReLU unit of the second convolution.
    net.layers[2].b[...] = -1e3
    sick = diagnose(net, X, y, learning_rate=0.1)
    dead = sick.finding("dead_relu")
    assert dead is not None and dead.layer == 2, str(sick)
    assert json.dumps(sick.to_dict())


def test_large_feature_maps_are_summarized_not_printed() -> None:
    net = _image_net(5, size=12, channels=1)
    X = np.random.default_rng(5).normal(size=(2, 1, 12, 12))
    text = render(trace(net, X, np.array([0, 1])))
    assert "2×3×12×12: samples × channels × height × width; min " in text
    assert "sample 1, channel 1" not in text.split("Z^[2] = W^[2]")[0].split("step 1")[1]
    # The 6×6 maps of the pooling layer are small enough to print.
    assert "maxpool(A^[1])  (6×6)   [sample 2, channel 3]" in text
    assert "mean over" not in text  # the trace never averages; only the filter picture does


XOR_LIKE = {
    "layers": [{"activation": "sigmoid", "W": [[0.5, -0.5]], "b": [0.0]}],
    "loss": "bce",
    "learning_rate": 0.1,
    "X": [[0, 1]],
    "Y": [[1]],
}


SPEC: dict[str, Any] = {
    "layers": [
        {"type": "conv2d", "activation": "relu", "W": [[[[1, 0], [0, -1]]], [[[0, 1], [1, 0]]]],
         "b": [0.1, -0.1], "padding": [1, 0]},
        {"type": "batch_norm2d", "gamma": [1.0, 2.0], "beta": [0.0, 0.5]},
        {"type": "avg_pool2d", "pool_size": [2, 1]},
        {"type": "flatten"},
        {"activation": "identity", "W": [[0.1] * 8], "b": [0.0]},
    ],
    "loss": "mse",
    "learning_rate": 0.1,
    "X": [[[1, 2, 0], [0, 1, 3], [2, 2, 1]], [[0, 1, 1], [3, 0, 2], [1, 1, 0]]],
    "Y": [[0.5], [-0.5]],
}  # fmt: skip


def _spec(**changes: Any) -> dict[str, Any]:
    spec = json.loads(json.dumps(SPEC))
    spec.update(changes)
    return spec


def _layer(index: int, **changes: Any) -> dict[str, Any]:
    spec = _spec()
    spec["layers"][index] = {**spec["layers"][index], **changes}
    for key in [k for k, v in changes.items() if v is None]:
        del spec["layers"][index][key]
    return spec


def test_spec_declares_conv_batch_norm_and_avg_pool_layers() -> None:
    parsed = parse_spec(_spec())
    kinds = [layer.kind for layer in parsed.network.layers]
    assert kinds == ["conv2d", "batch_norm2d", "avg_pool2d", "flatten", "dense"]
    assert parsed.X.shape == (2, 1, 3, 3)  # (m, H, W) read as one channel
    conv = parsed.network.layers[0]
    assert conv.output_shape == (2, 4, 2) and conv.padding == (1, 0)
    np.testing.assert_array_equal(conv.W[1, 0], [[0, 1], [1, 0]])
    # The same samples written (m, C, H, W), with the input shape declared, are the same.
    explicit = parse_spec(_spec(X=[[x] for x in SPEC["X"]], input_shape=[1, 3, 3]))
    np.testing.assert_array_equal(explicit.X, parsed.X)
    assert gradient_check(parsed.network, parsed.X, parsed.Y).max_relative_error < 1e-7
    text = render(parsed.run())
    assert (
        "x̂^[2] = (A^[1] − μ)" in text
        and "μ and σ² of each channel over the batch and positions" in text
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_layer(0, W=[[[1, 0], [0, 1]]]), r"layer 1: W of a conv2d layer must be F × C × kh × kw"),
        (_layer(0, W=[[[[1, 0], [0, "x"]]]]), r"layer 1: W\[0\]\[0\]\[1\]\[1\] must be a number"),
        (_layer(0, W=[[[[1, 0], [0, 1]], [[1, 0], [0, 1]]]]), r"filters see 2 channel\(s\), but its input has 1"),
        (_layer(0, b=[0.1]), r"b has shape \(1,\), but W has 2 filter\(s\)"),
        (_layer(0, stride=0), r"layer 1: stride must be an integer from 1 to 64, got 0"),
        (_layer(0, stride="2"), r"layer 1: stride must be an integer"),
        (_layer(0, padding=10**9), r"layer 1: padding must be an integer from 0 to 64"),
        (_layer(0, padding=[1, 2, 3]), r"padding must be a whole number or a list \[height, width\]"),
        (_layer(0, activation="softmax"), r"layer 1: a Conv2D layer cannot use softmax"),
        (_layer(0, kernel_size=3), r"layer 1: unknown key\(s\) \['kernel_size'\]; a conv2d layer takes W"),
        (_layer(0, W=[[[[1] * 5] * 5]] * 2), r"layer 1: .*cannot take inputs of shape \(1, 3, 3\)"),
        (_layer(2, pool_size=None), r"layer 3: missing key 'pool_size'"),
        (_layer(2, pool_size=[4, 4]), r"layer 3: .*height ≥ 4"),
        (_layer(1, gamma=[1.0]), r"layer 2: .*gamma"),
        (_spec(input_shape=[1, 4, 4]), r"input_shape is \(1, 4, 4\), but each sample of X has shape \(3, 3\)"),
        (_spec(input_shape="3x3"), r"input_shape must be a list \[channels, height, width\]"),
        (_spec(X=[[1, 2, 3]]), r"the first layer is conv2d, which takes images"),
        (_spec(layers=[SPEC["layers"][4], SPEC["layers"][0]], X=[[1] * 8]), r"layer 2: a conv2d layer takes channels × height × width maps, but the layer below gives outputs of shape \(1,\)"),
        ({**XOR_LIKE, "input_shape": [2]}, r"input_shape is for a network whose first layer takes images"),
    ],
)  # fmt: skip
def test_hostile_image_specs_get_errors_that_name_the_field(spec: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(spec, source="spec.json")


def test_conv_on_conv_latex_writes_the_full_convolution_and_parses() -> None:
    """``δ^[1] = (rot180(W^[2]) ∗_full δ^[2]) ⊙ f'(Z^[1])`` when a convolution feeds
    another; every display without a matrix (the maps' headers) parses in mathtext."""
    mathtext = pytest.importorskip("matplotlib.mathtext", reason="mathtext parses the LaTeX")
    rng = np.random.default_rng(6)
    net = Network(
        [
            Conv2D(1, 2, 2, activation="tanh", input_size=4, rng=rng, dtype="float64"),
            Conv2D(2, 1, 2, activation="relu", rng=rng, dtype="float64"),
            Flatten(),
            Dense(4, 1, "sigmoid", rng=rng, dtype="float64"),
        ],
        "bce",
    )
    record = trace(net, rng.normal(size=(2, 1, 4, 4)), np.array([[0], [1]]))
    text = render(record)
    assert "δ^[1] = (rot180(W^[2]) ∗_full δ^[2]) ⊙ tanh'(Z^[1])" in text
    latex = render(record, "latex")
    assert r"\mathrm{rot180}(\mathbf{W}^{[2]}) \ast_{\mathrm{full}} \delta^{[2]}" in latex
    parser = mathtext.MathTextParser("path")
    displays = re.findall(r"^\\\[ (.*) \\\]$", latex, re.M)
    headers = [d for d in displays if "pmatrix" not in d]
    assert len(headers) >= 8
    for display in headers:
        parser.parse(f"${display}$")
