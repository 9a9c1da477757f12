"""The diagnosis: per-layer numbers re-derived by hand, and deliberately broken set-ups named."""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.activations import get_activation
from glassnet.inspect.diagnose import (
    SIGMOID_SATURATION,
    VANISHING_RATIO,
    DiagnosisWatch,
    diagnose,
    non_finite_report,
    watch_line,
)
from glassnet.layers import Dense, Flatten, Layer
from glassnet.training import History, TrainingState


def _classification(m: int = 256, n: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def _regression(m: int = 200, n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    return X, X @ rng.normal(size=n) + 0.1 * rng.normal(size=m)


def _gradient_norms(net: gn.Network, X: np.ndarray, y: np.ndarray) -> list[float]:
    """‖∂J/∂W^[l]‖ from the network's own forward and backward pass (no batch norm)."""
    Xc = net.check_X(X)
    net.forward(Xc, training=True)
    net.backward(net.check_y(y, Xc.shape[0]))
    return [float(np.linalg.norm(layer.dW)) for layer in net.parametric_layers()]


# -- the broken set-ups ---------------------------------------------------------------------


def test_deep_sigmoid_network_with_large_weights_is_saturated() -> None:
    X, y = _classification()
    net = gn.Network.build([16] + [32] * 7 + [1], activation="sigmoid", seed=0)
    rng = np.random.default_rng(1)
    for layer in net.parametric_layers():
        layer.W[...] = 4 * rng.standard_normal(layer.W.shape)  # |z| of order 10
    diagnosis = diagnose(net, X, y, learning_rate=0.1)

    finding = diagnosis.finding("saturation")
    assert finding is not None
    assert finding.layers == (1, 2, 3, 4, 5, 6, 7)  # every hidden layer; the fused output is fine
    assert "layers 1–7" in finding.message
    assert "init='xavier_normal'" in finding.advice and "activation='relu'" in finding.advice
    assert "--init xavier_normal" in finding.advice and "--activation relu" in finding.advice
    activations = _forward_activations(net, X)
    for stats, A in zip(diagnosis.layers[:-1], activations, strict=False):
        hand = np.mean((A < SIGMOID_SATURATION) | (A > 1 - SIGMOID_SATURATION))
        assert stats.saturated_fraction == pytest.approx(hand, abs=2e-3) and hand > 0.5


def _forward_activations(net: gn.Network, X: np.ndarray) -> list[np.ndarray]:
    """A^[1] … A^[L] computed from W and b directly (no glassnet forward pass)."""
    A, out = X, []
    for layer in net.parametric_layers():
        Z = A @ layer.W.T.astype(np.float64) + layer.b
        A = 1 / (1 + np.exp(-Z))
        out.append(A)
    return out


def test_deep_sigmoid_network_has_vanishing_gradients_toward_the_input() -> None:
    X, y = _classification()
    net = gn.Network.build([16] + [32] * 9 + [1], activation="sigmoid", seed=0, dtype="float64")
    diagnosis = diagnose(net, X, y, learning_rate=0.1)

    norms = _gradient_norms(net, X, y)
    ratios = [g / norms[-1] for g in norms]
    expected = tuple(l for l, r in enumerate(ratios, start=1) if r < VANISHING_RATIO)
    finding = diagnosis.finding("vanishing_gradients")
    assert finding is not None
    assert expected[0] == 1 and len(expected) >= 3  # σ' ≤ 1/4 at every layer down
    assert finding.layers == expected and finding.layer == 1
    assert ratios[0] < 1e-4
    assert "activation='relu'" in finding.advice and "batch_norm=True" in finding.advice
    tiny = diagnosis.finding("tiny_updates")  # 0.1 · ‖∂J/∂W^[1]‖ is far below 1e-6 ‖W^[1]‖
    assert tiny is not None and 1 in tiny.layers and "vanishing" in tiny.advice
    assert "saturation" not in diagnosis.kinds  # small weights: no saturation, σ' ≤ 1/4 does it


def test_relu_layer_with_a_large_negative_bias_is_dead() -> None:
    X, y = _classification()
    net = gn.Network.build([16, 32, 32, 32, 1], activation="relu", seed=0)
    net.parametric_layers()[1].b[:] = -10.0
    diagnosis = diagnose(net, X, y, learning_rate=0.1)

    finding = diagnosis.finding("dead_relu")
    assert finding is not None
    assert finding.layer == 2
    # Layer 3 dies with it: its input A^[2] is all zero and its biases start at 0.
    assert finding.layers == (2, 3)
    assert "32 of 32 (mean bias -10)" in finding.message
    assert "its input is all 0" in finding.message
    assert "leaky_relu" in finding.advice and "he_normal" in finding.advice
    first = diagnosis.layers[0]
    assert first.dead_fraction == 0.0 and diagnosis.layers[1].dead_fraction == 1.0
    assert all(s.grad_norm == 0.0 for s in diagnosis.layers)  # no gradient gets through


def test_a_learning_rate_of_10_is_named_before_and_after_it_diverges() -> None:
    X, y = _regression()
    net = gn.Network.build([8, 32, 32, 1], loss="mse", seed=0)
    before = diagnose(net, X, y, learning_rate=10)
    large = before.finding("large_updates")
    assert large is not None and large.layers == (1, 2, 3)
    norms = _gradient_norms(net.astype("float64"), X, y)
    for stats, norm in zip(before.layers, norms, strict=True):
        assert stats.update_ratio == pytest.approx(10 * norm / stats.weight_norm, rel=1e-4)
        assert stats.update_ratio > 0.1
    assert "lower the learning rate" in large.advice

    with pytest.raises(gn.TrainingDivergedError), np.errstate(all="ignore"):
        net.fit(X, y, optimizer="sgd", learning_rate=10, epochs=5, batch_size=32, seed=0)
    after = diagnose(net, X, y)
    assert {"non_finite", "exploding_gradients"} <= after.kinds
    non_finite = after.finding("non_finite")
    assert non_finite is not None and non_finite.message == after.non_finite
    assert "is the first non-finite quantity" in non_finite.message
    assert "clip_norm=1.0" in non_finite.advice
    json.dumps(after.to_dict(), allow_nan=False)  # NaN and inf become null


def test_exploding_gradients_in_a_deep_network_with_large_weights() -> None:
    X, y = _regression()
    net = gn.Network.build([8] + [32] * 8 + [1], activation="relu", loss="mse", seed=0)
    for layer in net.parametric_layers():
        layer.W *= 3  # each ReLU layer multiplies the backward signal by about 3
    diagnosis = diagnose(net, X, y)
    finding = diagnosis.finding("exploding_gradients")
    assert finding is not None and 1 in finding.layers
    assert diagnosis.layers[0].grad_norm > 1e3
    assert "clip_norm=1.0" in finding.advice


# -- a healthy network ----------------------------------------------------------------------


def test_a_he_initialized_relu_network_on_mnist_has_no_findings() -> None:
    data = gn.datasets.load_mnist_small()
    net = gn.Network.build([784, 128, 64, 10], activation="relu", seed=0)
    diagnosis = diagnose(net, data.X_train[:512], data.y_train[:512], learning_rate=0.1)
    assert diagnosis.findings == [] and diagnosis.healthy
    assert [s.activation for s in diagnosis.layers] == ["relu", "relu", "softmax"]
    assert all(1e-4 < (s.update_ratio or 0) < 1e-1 for s in diagnosis.layers)
    assert "no problems found" in str(diagnosis)


# -- the numbers, recomputed ----------------------------------------------------------------


def test_per_layer_numbers_match_independent_computations() -> None:
    X, y = _classification(m=64, n=6)
    net = gn.Network.build([6, 20, 12, 1], activation="relu", seed=3, dtype="float64", l2=0.1)
    net.parametric_layers()[0].b[:5] = -100.0  # exactly 5 of 20 units dead
    diagnosis = diagnose(net, X, y, learning_rate=0.05)

    net.forward(X, training=True)
    cost = net.cost(net.check_y(y, 64))
    net.backward(net.check_y(y, 64))
    assert diagnosis.cost == pytest.approx(cost, rel=1e-12)
    last = float(np.linalg.norm(net.parametric_layers()[-1].dW))
    for stats, layer in zip(diagnosis.layers, net.parametric_layers(), strict=True):
        W, dW = layer.W, layer.dW
        assert stats.weight_norm == pytest.approx(np.sqrt(np.sum(W * W)), rel=1e-12)
        assert stats.grad_norm == pytest.approx(np.linalg.norm(dW), rel=1e-12)
        assert stats.bias_grad_norm == pytest.approx(np.linalg.norm(layer.db), rel=1e-12)
        assert stats.grad_to_last == pytest.approx(np.linalg.norm(dW) / last, rel=1e-12)
        assert stats.update_norm == pytest.approx(0.05 * np.linalg.norm(dW), rel=1e-12)
        assert stats.update_ratio == pytest.approx(
            0.05 * np.linalg.norm(dW) / np.linalg.norm(W), rel=1e-12
        )
        assert stats.mean_abs_activation == pytest.approx(np.abs(layer.A).mean(), rel=1e-12)
    first = diagnosis.layers[0]
    Z1 = X @ net.parametric_layers()[0].W.T + net.parametric_layers()[0].b
    assert first.dead_fraction == np.mean(np.all(Z1 <= 0, axis=0)) == 5 / 20
    assert first.zero_fraction == pytest.approx(np.mean(np.maximum(Z1, 0) == 0))
    assert first.saturated_fraction is None and diagnosis.layers[-1].dead_fraction is None


def test_update_ratios_follow_the_optimizers_next_step() -> None:
    X, y = _classification(m=64, n=6)
    net = gn.Network.build([6, 10, 1], seed=0, dtype="float64")
    diagnosis = diagnose(net, X, y, optimizer=gn.Adam(1e-3))
    _gradient_norms(net, X, y)
    for stats, layer in zip(diagnosis.layers, net.parametric_layers(), strict=True):
        g = layer.dW  # Adam's first step: α m̂/(√v̂ + ε) = α g/(|g| + ε)
        assert stats.update_norm == pytest.approx(np.linalg.norm(1e-3 * g / (np.abs(g) + 1e-8)))
    assert diagnosis.update_rule == "adam (lr 0.001)"
    with pytest.raises(ValueError, match="not both"):
        diagnose(net, X, y, learning_rate=0.1, optimizer=gn.SGD(0.1))


def test_diagnose_leaves_network_and_optimizer_unchanged() -> None:
    X, y = _classification(m=128, n=6)
    net = gn.Network.build([6, 16, 8, 1], batch_norm=True, dropout=0.3, seed=0)
    optimizer = gn.Adam(1e-2)
    net.fit(X, y, epochs=1, batch_size=32, optimizer=optimizer, seed=0)
    saved = [(n, a.copy()) for n, a in net.parameters() + net.buffers()]
    moments = {i: {k: a.copy() for k, a in s.items()} for i, s in optimizer.state.items()}
    iterations = optimizer.iterations
    rng_state = [layer.rng.bit_generator.state for layer in net.layers if layer.rng is not None]
    Z_before = net.parametric_layers()[0].Z.copy()

    first = diagnose(net, X, y, optimizer=optimizer)
    second = diagnose(net, X, y, optimizer=optimizer)

    assert first.to_dict() == second.to_dict()  # dropout off: the same every time
    for (name, before), (_, now) in zip(saved, net.parameters() + net.buffers(), strict=True):
        assert np.array_equal(before, now), name  # running_mean, running_var included
    assert optimizer.iterations == iterations
    for i, state in optimizer.state.items():
        for key in ("m", "v"):
            assert np.array_equal(state[key], moments[i][key])
    assert rng_state == [l.rng.bit_generator.state for l in net.layers if l.rng is not None]
    assert np.array_equal(net.parametric_layers()[0].Z, Z_before)


def test_to_dict_is_json_and_str_is_a_table() -> None:
    X, y = _classification()
    net = gn.Network.build([16, 8, 1], seed=0)
    net.parametric_layers()[0].b[:] = -10.0
    diagnosis = diagnose(net, X, y, learning_rate=0.1)
    data = json.loads(json.dumps(diagnosis.to_dict(), allow_nan=False))
    assert data["n_samples"] == 256 and len(data["layers"]) == 2
    assert data["layers"][0]["dead_fraction"] == 1.0
    assert data["findings"][0]["kind"] == "dead_relu" and data["findings"][0]["layers"] == [1]
    text = str(diagnosis).splitlines()
    assert text[0].startswith("diagnosis on 256 samples") and "sgd (lr 0.1)" in text[0]
    assert text[2].split()[:3] == ["1", "16→8", "relu"] and text[2].split()[-3] == "100%"
    assert "findings:" in text and any(line.startswith("  dead relu") for line in text)


# -- the first NaN or inf -------------------------------------------------------------------


def test_non_finite_report_names_z2_when_a_huge_weight_overflows_float32() -> None:
    net = gn.Network.from_parameters(
        [
            {"W": [[1.0, 0.0], [0.0, 1.0]], "b": [1.0, 1.0], "activation": "relu"},
            {"W": [[1e38, 1e38], [0.1, 0.1]], "b": [0.0, 0.0], "activation": "relu"},
            {"W": [[1.0, 1.0]], "b": [0.0], "activation": "identity"},
        ],
        loss="mse",
        dtype="float32",
    )
    X = np.array([[1.0, 1.0], [2.0, 0.5], [1.0, 0.5], [-2.0, -2.0]], dtype=np.float32)
    y = np.zeros(4)
    with np.errstate(all="ignore"):
        net.forward(X, training=True)
        cost = net.cost(net.check_y(y, 4))
    report = non_finite_report(net, cost)
    assert report is not None
    # Rows 1–3 have a1 + a2 ≥ 3.5, so z = 1e38 (a1 + a2) > 3.4e38; row 4 has A^[1] = 0.
    assert report.startswith("Z^[2] (layer 2, dense) is the first non-finite quantity")
    assert "3 of 8 entries are inf" in report
    assert "overflowed float32" in report and "largest |W^[2]| = 1e+38" in report
    assert non_finite_report(gn.Network.build([2, 2], seed=0)) is None  # never run

    finding = diagnose(net, X, y).finding("non_finite")
    assert finding is not None and finding.layer == 2 and finding.message.startswith("Z^[2]")


def test_non_finite_report_prefers_the_parameters_and_then_the_cost() -> None:
    net = gn.Network.build([3, 4, 2], seed=0)
    X = np.ones((5, 3), dtype=np.float32)
    net.forward(X, training=True)
    assert non_finite_report(net, float("nan")).startswith("the cost J = nan (loss)")
    net.parametric_layers()[1].b[1] = np.inf
    assert non_finite_report(net).startswith("b^[2] (layer 2, dense)")
    assert "1 of 2 entries are inf" in non_finite_report(net)


def test_non_finite_report_reads_the_backward_pass() -> None:
    net = gn.Network.build([3, 4, 2], seed=0)
    X = np.ones((5, 3), dtype=np.float32)
    net.forward(X, training=True)
    net.backward(net.check_y([0, 1, 0, 1, 1], 5))
    assert non_finite_report(net) is None
    net.parametric_layers()[0].dW[0, 0] = np.nan
    assert non_finite_report(net) == (
        "∂J/∂W^[1] (layer 1, backward pass) is the first non-finite quantity: "
        "1 of 12 entries are NaN"
    )


# -- during training ------------------------------------------------------------------------


def test_watch_records_every_epoch_and_prints_a_finding_once() -> None:
    X, y = _classification(m=128)
    net = gn.Network.build([16, 8, 1], seed=0)
    net.parametric_layers()[0].b[:] = -10.0
    stream = io.StringIO()
    watch = DiagnosisWatch(X, y, stream=stream, max_samples=100)
    net.fit(
        X, y, epochs=3, batch_size=32, optimizer="sgd", learning_rate=0.1, seed=0, callbacks=[watch]
    )

    assert [entry["epoch"] for entry in watch.history] == [0, 1, 2, 3]
    assert watch.history[0]["n_samples"] == 100
    assert watch.history[0]["layers"][0]["epoch_change_ratio"] is None
    # Dead hidden units: A^[1] = 0, so neither ∂J/∂W^[1] nor ∂J/∂W^[2] = δ^[2] A^[1]ᵀ moves.
    assert [entry["layers"][1]["epoch_change_ratio"] for entry in watch.history[1:]] == [0, 0, 0]
    assert all(entry["layers"][0]["dead_fraction"] == 1.0 for entry in watch.history)
    printed = stream.getvalue()
    assert printed.count("dead relu") == 1  # named once, before training, not every epoch
    assert printed.startswith("before training  diagnosis: dead relu: layer 1")
    assert watch.last is not None and "dead_relu" in watch.last.kinds


def test_watch_does_not_change_training() -> None:
    X, y = _classification(m=96)
    watch = DiagnosisWatch(X, y, every=2, stream=io.StringIO())
    runs = []
    for callbacks in ([], [watch]):
        net = gn.Network.build([16, 8, 1], dropout=0.2, seed=0)
        net.fit(X, y, epochs=4, batch_size=32, optimizer=gn.Adam(1e-2), seed=0, callbacks=callbacks)
        runs.append([a.copy() for _, a in net.parameters()])
    for a, b in zip(*runs, strict=True):
        assert np.array_equal(a, b)
    assert [entry["epoch"] for entry in watch.history] == [0, 2, 4]
    changes = [entry["layers"][0]["epoch_change_ratio"] for entry in watch.history]
    assert changes[0] is None and 1e-4 < changes[1] < 1 and 1e-4 < changes[2] < 1
    assert watch.history[1]["update_rule"] == "adam (lr 0.01)"


def test_watch_says_when_a_problem_goes_away() -> None:
    X, y = _regression()
    net = gn.Network.build([8, 16, 1], loss="mse", seed=0)
    state = TrainingState(net, gn.SGD(10.0), History("rmse"), epochs=1)
    lines: list[str] = []
    watch = DiagnosisWatch(X, y, printer=lines.append, layer_line=False)  # findings only
    watch.on_train_begin(state)
    state.optimizer.learning_rate, state.epoch = 1e-3, 1  # as a schedule would
    watch.on_epoch_begin(state)
    watch.on_epoch_end(state, {})
    assert lines[0].startswith("before training  diagnosis: large updates: layers 1–2")
    assert lines[1:] == ["epoch 1  diagnosis: large updates no longer seen"]


# -- the watch's line of numbers ------------------------------------------------------------

_LAYER = re.compile(
    r"l(?P<l>\d+) ‖∂J/∂W‖ (?P<grad>\S+)(?: \(÷last (?P<last>\S+)\))? "
    r"ΔW/W (?P<update>\S+)(?: sat (?P<sat>\d+)%)?$"
)


def _watch_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if "  watch: " in line]


def _close_to_printed(printed: str, exact: float) -> bool:
    """``printed`` is ``exact`` written with two significant digits: they differ by at most
    half a unit of the last digit printed (plus 1e-6 relative, for a value on a tie)."""
    value = float(printed)
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - 1)
    return abs(value - exact) <= 0.5 * unit + 1e-6 * abs(exact)


def _sigmoid_gradients(
    net: gn.Network, X: np.ndarray, y: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``A^[l]`` and ``∂L/∂W^[l]`` of a sigmoid network with a BCE loss, by BP steps 1–4 in
    NumPy (samples in rows): ``δ^[L] = A^[L] − Y``, ``δ^[l] = δ^[l+1] W^[l+1] ⊙ A(1 − A)``,
    ``∂L/∂W^[l] = (1/m) δ^[l]ᵀ A^[l−1]``."""
    Ws = [np.asarray(layer.params["W"], dtype=np.float64) for layer in net.parametric_layers()]
    bs = [np.asarray(layer.params["b"], dtype=np.float64) for layer in net.parametric_layers()]
    activations = [X.astype(np.float64)]
    for W, b in zip(Ws, bs, strict=True):
        activations.append(1 / (1 + np.exp(-(activations[-1] @ W.T + b))))
    m = X.shape[0]
    delta = activations[-1] - y.reshape(m, 1)
    grads = []
    for l in range(len(Ws), 0, -1):
        grads.append(delta.T @ activations[l - 1] / m)
        A = activations[l - 1]
        delta = (delta @ Ws[l - 1]) * A * (1 - A)
    return activations[1:], grads[::-1]


def test_the_watch_names_vanishing_gradients_on_a_line_every_epoch() -> None:
    X, y = _classification(m=128)
    net = gn.Network.build([16] + [32] * 9 + [1], activation="sigmoid", seed=0, dtype="float64")
    lines: list[str] = []
    watch = DiagnosisWatch(X, y, max_samples=100, printer=lines.append)
    net.fit(
        X, y, epochs=3, batch_size=32, optimizer="sgd", learning_rate=0.1, seed=0, callbacks=[watch]
    )

    watched = _watch_lines(lines)
    assert [line.split("  watch: ")[0] for line in watched] == [
        "before training",
        "epoch 1",
        "epoch 2",
        "epoch 3",
    ]
    for line, entry in zip(watched, watch.history, strict=True):
        # ‖∂J/∂W^[1]‖ is orders of magnitude below ‖∂J/∂W^[10]‖, and the line says so.
        assert entry["layers"][0]["grad_to_last"] < VANISHING_RATIO
        assert "⇒ vanishing gradients in layers 1–" in line
        assert line.count(" │ ") == 9  # one part per layer, on one line
        assert "\n" not in line
    assert sum("diagnosis: vanishing gradients" in line for line in lines) == 1  # named once


def test_the_numbers_the_watch_prints_are_the_gradient_norms() -> None:
    X, y = _classification(m=128)
    net = gn.Network.build([16] + [24] * 4 + [1], activation="sigmoid", seed=2, dtype="float64")
    lines: list[str] = []
    watch = DiagnosisWatch(X, y, max_samples=100, printer=lines.append)
    net.fit(
        X, y, epochs=2, batch_size=32, optimizer="sgd", learning_rate=0.5, seed=0, callbacks=[watch]
    )

    # The last line is the network as training left it: recompute its numbers in NumPy.
    line = _watch_lines(lines)[-1]
    assert line.startswith("epoch 2  watch: ")
    parts = line.removeprefix("epoch 2  watch: ").split("  ⇒ ")[0].split(" │ ")
    activations, grads = _sigmoid_gradients(net, X[:100], y[:100])
    norms = [float(np.linalg.norm(g)) for g in grads]
    weights = [float(np.linalg.norm(layer.params["W"])) for layer in net.parametric_layers()]
    assert len(parts) == len(norms) == 5
    for l, (part, A) in enumerate(zip(parts, activations, strict=True), start=1):
        match = _LAYER.match(part)
        assert match is not None, part
        assert int(match["l"]) == l
        assert _close_to_printed(match["grad"], norms[l - 1]), (part, norms[l - 1])
        assert _close_to_printed(match["update"], 0.5 * norms[l - 1] / weights[l - 1]), part
        if l < len(norms):
            assert _close_to_printed(match["last"], norms[l - 1] / norms[-1]), part
        else:
            assert match["last"] is None  # the output layer's ratio to itself is left out
        saturated = np.mean((A < SIGMOID_SATURATION) | (A > 1 - SIGMOID_SATURATION))
        assert abs(int(match["sat"]) - 100 * saturated) <= 0.5 + 1e-9, part


def test_watch_line_is_the_diagnosis_in_one_line() -> None:
    X, y = _classification(m=64, n=6)
    net = gn.Network.build([6, 20, 12, 1], activation="relu", seed=3, dtype="float64")
    net.parametric_layers()[0].b[:5] = -100.0  # 5 of 20 units dead
    diagnosis = diagnose(net, X, y, learning_rate=0.05)
    line = watch_line(diagnosis, "epoch 7")
    s1, s2, s3 = diagnosis.layers
    assert line == (
        f"epoch 7  watch: l1 ‖∂J/∂W‖ {s1.grad_norm:.1e} (÷last {s1.grad_to_last:.1e}) "
        f"ΔW/W {s1.update_ratio:.1e} dead 25% │ "
        f"l2 ‖∂J/∂W‖ {s2.grad_norm:.1e} (÷last {s2.grad_to_last:.1e}) "
        f"ΔW/W {s2.update_ratio:.1e} dead {s2.dead_fraction:.0%} │ "
        f"l3 ‖∂J/∂W‖ {s3.grad_norm:.1e} ΔW/W {s3.update_ratio:.1e} "
        f"sat {s3.saturated_fraction:.0%}"
    )


# -- any kind of layer ----------------------------------------------------------------------


class PointwiseConv(Layer):
    """A 1×1 convolution, its arrays named as a Conv2D layer names them: ``W`` of shape
    ``(c_out, c_in, 1, 1)`` and ``Z[:, o] = Σ_c W[o, c] A_prev[:, c] + b[o]`` at each
    pixel; ``A = f(Z)``."""

    kind = "pointwise_conv"
    regularized = ("W",)

    def __init__(self, c_in: int, c_out: int, size: tuple[int, int], W: Any, b: Any) -> None:
        self.input_shape, self.output_shape = (c_in, *size), (c_out, *size)
        self.activation = get_activation("relu")
        self.W, self.b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)
        self.A_prev: Any = None
        self.Z: Any = None
        self.A: Any = None
        self.dZ: Any = None

    @property
    def params(self) -> dict[str, Any]:
        return {"W": self.W, "b": self.b}

    @property
    def grads(self) -> dict[str, Any]:
        return {"W": self.dW, "b": self.db}

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        self.A_prev = A_prev
        self.Z = np.einsum("oc,mchw->mohw", self.W[:, :, 0, 0], A_prev) + self.b[:, None, None]
        self.A = self.activation.forward(self.Z)
        return self.A

    def backward(self, dA: Any) -> Any:
        self.dZ = self.activation.backward(dA, self.Z, self.A)
        self.dW[:, :, 0, 0] = np.einsum("mohw,mchw->oc", self.dZ, self.A_prev)
        self.db[:] = self.dZ.sum(axis=(0, 2, 3))
        if not self.propagate_input_grad:
            return None
        return np.einsum("mohw,oc->mchw", self.dZ, self.W[:, :, 0, 0])

    def forward_record(self) -> dict[str, Any]:
        return {"Z": self.Z, "A": self.A}

    def backward_record(self) -> dict[str, Any]:
        delta = None if self.dZ is None else self.dZ * self.dZ.shape[0]
        return {"delta": delta, "dW": self.dW, "db": self.db}

    def config(self) -> dict[str, Any]:
        c_in, *size = self.input_shape
        return {"type": self.kind, "c_in": c_in, "c_out": self.output_shape[0], "size": size}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], arrays: dict[str, Any], dtype: Any, rng: Any = None
    ) -> PointwiseConv:
        size = tuple(config["size"])
        return cls(config["c_in"], config["c_out"], size, arrays["W"], arrays["b"])


def conv_network() -> tuple[gn.Network, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    b = np.array([-100.0, 0.1, 0.1, 0.1])  # channel 1 is dead at all 9 pixels
    conv = PointwiseConv(2, 4, (3, 3), rng.normal(size=(4, 2, 1, 1)), b)
    dense = Dense(36, 1, "sigmoid", rng=rng, dtype="float64")
    net = gn.Network([conv, Flatten((4, 3, 3)), dense], gn.losses.BinaryCrossEntropy())
    X = rng.normal(size=(20, 2, 3, 3))
    return net, X, (X[:, 0].sum(axis=(1, 2)) > 0).astype(np.int64)


def test_a_convolution_layer_is_diagnosed_through_the_layer_interface() -> None:
    net, X, y = conv_network()
    diagnosis = diagnose(net, X, y, learning_rate=0.1)
    conv, dense = diagnosis.layers
    assert (conv.index, conv.n_in, conv.n_out, conv.activation) == (1, 18, 36, "relu")
    W, b = net.layers[0].params["W"][:, :, 0, 0], net.layers[0].params["b"]
    Z = np.einsum("oc,mchw->mohw", W, X) + b[:, None, None]  # the pass, by hand
    units = Z.reshape(20, 36)
    assert conv.dead_fraction == np.mean(np.all(units <= 0, axis=0)) == 9 / 36
    assert conv.zero_fraction == pytest.approx(np.mean(np.maximum(units, 0) == 0), rel=1e-12)
    assert conv.weight_norm == pytest.approx(np.linalg.norm(W), rel=1e-12)
    net.forward(net.check_X(X), training=True)
    net.backward(net.check_y(y, 20))
    dW = net.layers[0].grads["W"]
    assert conv.grad_norm == pytest.approx(np.linalg.norm(dW), rel=1e-12) and conv.grad_norm > 0
    assert conv.update_ratio == pytest.approx(0.1 * np.linalg.norm(dW) / np.linalg.norm(W))
    assert conv.grad_to_last == pytest.approx(conv.grad_norm / dense.grad_norm, rel=1e-12)
    assert "dead 25%" in watch_line(diagnosis, "epoch 1")


def test_glassnet_diagnose_takes_a_spec_as_trace_and_gradcheck_do(tmp_path, capsys) -> None:
    """A typed-in network is diagnosed on its own X and Y, at its own learning rate."""
    from glassnet.cli import main
    from glassnet.inspect import parse_spec

    spec = {
        "loss": "mse",
        "learning_rate": 0.5,
        "X": [[1, 2], [0.5, 0.1], [0.2, 0.9]],
        "Y": [[1], [0], [1]],
        "layers": [
            {"W": [[0.1, 0.2], [0.4, 0.5], [0.3, 0.3]], "b": [0, 0, 0], "activation": "sigmoid"},
            {"W": [[1, 1, 1]], "b": [0], "activation": "sigmoid"},
        ],
    }
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(spec))
    assert main(["diagnose", str(path)]) == 0
    out = capsys.readouterr().out
    again = parse_spec(spec)  # the cost computed apart from the command
    again.network.forward(again.X)
    cost = again.network.cost(again.Y)
    assert out.startswith(f"diagnosis on 3 samples: cost J = {cost:.4f}, next step by sgd (lr 0.5)")
    assert main(["diagnose", str(path), str(tmp_path / "rows.csv")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"glassnet: error: {path} is a spec, which holds its own X and Y: leave out DATA"
    )
