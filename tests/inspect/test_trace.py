"""The trace: the documents' numbers, agreement with finite differences, and clear spec errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from glassnet.inspect import SpecError, list_examples, load_example, parse_spec, render, trace

DOC_TOL = 1e-3  # document 003 rounds ŷ to 0.816 before going on (seeds/README.md)

# Every number document 003's 2-2-2-1 walkthrough prints, in the documents' orientation.
DOC003 = {
    "forward": {
        1: {"Z": [[0.30], [0.60]], "A": [[0.30], [0.60]]},
        2: {"Z": [[0.61], [0.79]], "A": [[0.61], [0.79]]},
        3: {"Z": [[1.489]], "A": [[0.816]]},
    },
    "loss": 0.203,
    "backward": {
        3: {"delta": [[-0.184]], "dW": [[-0.11224, -0.14536]], "db": [[-0.184]]},
        2: {
            "delta": [[-0.1656], [-0.1840]],
            "dW": [[-0.04968, -0.09936], [-0.05520, -0.11040]],
            "db": [[-0.1656], [-0.1840]],
        },
        1: {
            "delta": [[-0.2116], [-0.24656]],
            "dW": [[-0.10580, -0.21160], [-0.12328, -0.24656]],
            "db": [[-0.2116], [-0.24656]],
        },
    },
    "params": {
        3: {"W": [[0.911224, 1.014536]], "b": [[0.1684]]},
        2: {"W": [[0.504968, 0.609936], [0.705520, 0.811040]], "b": [[0.11656], [0.11840]]},
        1: {"W": [[0.110580, 0.221160], [0.312328, 0.424656]], "b": [[0.07116], [0.074656]]},
    },
}


def glassnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_trace_of_the_walkthrough_has_every_number_of_document_003() -> None:
    result = glassnet("trace", "--example", "doc003-2-2-2-1", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["steps"] and len(data["steps"]) == 1
    step = data["steps"][0]
    assert list(step) == ["step", "forward", "loss", "backward", "params"]
    assert [e["layer"] for e in step["forward"]] == [1, 2, 3]
    assert [e["layer"] for e in step["backward"]] == [3, 2, 1]
    for entry in step["forward"]:
        for key in ("Z", "A"):
            np.testing.assert_allclose(
                entry[key], DOC003["forward"][entry["layer"]][key], atol=DOC_TOL
            )
    assert step["loss"] == pytest.approx(DOC003["loss"], abs=DOC_TOL)
    for entry in step["backward"]:
        for key in ("delta", "dW", "db"):
            np.testing.assert_allclose(
                entry[key], DOC003["backward"][entry["layer"]][key], atol=DOC_TOL
            )
    for entry in step["params"]:
        for key in ("W", "b"):
            np.testing.assert_allclose(
                entry[key], DOC003["params"][entry["layer"]][key], atol=DOC_TOL
            )


def test_text_trace_prints_every_number_of_document_003_within_its_rounding() -> None:
    result = glassnet("trace", "--example", "doc003-2-2-2-1")
    assert result.returncode == 0, result.stderr
    text = result.stdout

    def block(label: str) -> list[float]:
        """The numbers of the matrix printed under the line that starts with ``label``."""
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith(label))
        values = []
        for line in lines[start + 1 :]:
            if not line.strip().startswith("["):
                break
            values += [float(v) for v in line.strip()[1:-1].split()]
        return values

    for layer, entry in DOC003["forward"].items():
        for key, expected in entry.items():
            np.testing.assert_allclose(
                block(f"{key}^[{layer}] ="), np.ravel(expected), atol=DOC_TOL
            )
    loss = float(re.search(r"^\s*L = .* = ([\d.]+)$", text, re.MULTILINE).group(1))
    assert loss == pytest.approx(DOC003["loss"], abs=DOC_TOL)
    symbols = {"delta": "δ^[{}] =", "dW": "∂L/∂W^[{}] =", "db": "∂L/∂b^[{}] ="}
    for layer, entry in DOC003["backward"].items():
        for key, expected in entry.items():
            np.testing.assert_allclose(
                block(symbols[key].format(layer)), np.ravel(expected), atol=DOC_TOL
            )
    for layer, entry in DOC003["params"].items():
        for key, expected in entry.items():
            np.testing.assert_allclose(
                block(f"{key}^[{layer}] ←"), np.ravel(expected), atol=DOC_TOL
            )
    assert "sigmoid output with binary cross-entropy: f'(Z) cancels" in text
    assert "δ^[2] = (W^[3]ᵀ δ^[3]) ⊙ relu'(Z^[2])" in text


def test_the_simple_forward_pass_example_gives_0_5324() -> None:
    spec = load_example("doc003-2-1-1")
    record = trace(spec.network, spec.X, spec.Y, optimizer=spec.optimizer)
    assert record.steps[0].forward[0]["A"][0][0] == pytest.approx(0.5987, abs=5e-5)
    assert record.steps[0].forward[1]["A"][0][0] == pytest.approx(0.5324, abs=5e-5)


def test_markdown_and_latex_render_the_equations() -> None:
    record = load_example("doc003-2-2-2-1").run()
    latex = render(record, "latex")
    assert latex.count(r"\begin{pmatrix}") == latex.count(r"\end{pmatrix}") > 20
    assert latex.count(r"\[") == latex.count(r"\]")
    # The transpose braces its base: W^{[3]}^{\top} would be a double superscript, which
    # TeX, KaTeX and mathtext all reject.
    assert r"\delta^{[2]} = ({\mathbf{W}^{[3]}}^{\top} \delta^{[3]}) \odot" in latex
    assert r"}^{\top}" in latex and r"]}^{\top}" not in latex
    assert r"\begin{pmatrix} -0.184072 \end{pmatrix}_{1 \times 1}" in latex
    markdown = render(record, "markdown")
    assert markdown.startswith("# doc003-2-2-2-1") and "## step 1" in markdown
    assert (
        markdown.count("$$") % 2 == 0
        and r"\frac{\partial L}{\partial \mathbf{W}^{[1]}}" in markdown
    )


def test_the_trace_is_the_record_that_training_computes() -> None:
    spec = load_example("xor-2-2-1")
    twin = spec.network.astype("float64")
    record = trace(spec.network, spec.X, spec.Y, steps=3, optimizer=spec.optimizer)
    history = twin.fit(
        spec.X, spec.Y, epochs=3, batch_size=None, optimizer="sgd", learning_rate=0.5, shuffle=False
    )
    assert [s.loss for s in record.steps] == history.loss
    for entry, layer in zip(record.steps[-1].params, twin.parametric_layers(), strict=True):
        np.testing.assert_array_equal(entry["W"], layer.W)
        np.testing.assert_array_equal(np.ravel(entry["b"]), layer.b)


# -- random networks against finite differences ------------------------------------------

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu"]
OUTPUTS = [("mse", a) for a in [*ACTIVATIONS, "softmax"]] + [
    ("bce", "sigmoid"),
    ("bce", "softmax"),
    ("cce", "softmax"),
]
KINKED = {"relu", "leaky_relu", "elu"}


def _random_spec(case: int) -> dict:
    """A random spec: depth 1-4, widths 1-6, batch 1-5, every activation and loss, L2 or not."""
    rng = np.random.default_rng(1000 + case)
    loss, output = OUTPUTS[case % len(OUTPUTS)]
    depth = 1 + case % 4
    sizes = [int(rng.integers(1, 7)) for _ in range(depth + 1)]
    if output == "softmax" or loss == "cce":
        sizes[-1] = max(sizes[-1], 2)
    m = 1 + case % 5
    for _ in range(50):  # redraw until no pre-activation sits on a kink (|z| < 1e-3)
        layers = [
            {
                "activation": output
                if l == depth - 1
                else ACTIVATIONS[(case + l) % len(ACTIVATIONS)],
                "W": rng.normal(0, 0.8, (sizes[l + 1], sizes[l])).tolist(),
                "b": rng.normal(0, 0.3, sizes[l + 1]).tolist(),
            }
            for l in range(depth)
        ]
        X = rng.normal(size=(m, sizes[0]))
        if loss == "cce":
            Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
        elif loss == "bce":
            Y = rng.integers(0, 2, (m, sizes[-1])).astype(float)
        else:
            Y = rng.normal(size=(m, sizes[-1]))
        spec = {
            "layers": layers,
            "loss": loss,
            "learning_rate": 0.3,
            "X": X.tolist(),
            "Y": Y.tolist(),
            "l2": 0.0 if case % 2 else 0.4,
        }
        net = parse_spec(spec).network
        net.forward(np.asarray(X))
        if all(
            np.abs(layer.Z).min() > 1e-3
            for layer in net.parametric_layers()
            if layer.activation.name in KINKED
        ):
            return spec
    raise AssertionError("no kink-free draw")


@pytest.mark.parametrize("case", range(48))
def test_json_trace_agrees_with_finite_differences(case) -> None:
    raw = _random_spec(case)
    spec = parse_spec(raw)
    data = trace(spec.network, spec.X, spec.Y, optimizer=spec.optimizer).to_dict()["steps"][0]
    probe = parse_spec(raw)  # a second, untouched copy to differentiate numerically
    eps = 1e-6

    def cost() -> float:
        probe.network.forward(probe.X, training=True)
        return probe.network.cost(probe.Y)

    for layer, entry, after in zip(
        probe.network.parametric_layers(), reversed(data["backward"]), data["params"], strict=True
    ):
        for array, key, shaped in (
            (layer.W, "dW", lambda g: g),
            (layer.b, "db", lambda g: g.reshape(-1, 1)),
        ):
            numeric = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                saved = array[index]
                array[index] = saved + eps
                plus = cost()
                array[index] = saved - eps
                minus = cost()
                array[index] = saved
                numeric[index] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(
                entry[key], shaped(numeric), rtol=1e-6, atol=1e-6, err_msg=key
            )
            before = shaped(array)
            param = "W" if key == "dW" else "b"
            np.testing.assert_allclose(
                after[param], before - 0.3 * shaped(numeric), rtol=1e-6, atol=1e-6
            )


# -- bad specs ------------------------------------------------------------------------------


BASE = {
    "layers": [
        {"activation": "relu", "W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05]},
        {"activation": "sigmoid", "W": [[0.9, 1.0]], "b": [0.15]},
    ],
    "loss": "bce",
    "learning_rate": 0.1,
    "X": [[0.5, 1.0]],
    "Y": [[1.0]],
}


def _with(**changes):
    spec = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        if value is None:
            spec.pop(key)
        else:
            spec[key] = value
    return spec


TYPED_BY_INPUTS = {"activation": "relu", "W": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]}
"""A 3-unit first layer's weights typed as n_0 × n_1 instead of n_1 × n_0."""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            _with(layers=[BASE["layers"][0], {"activation": "sigmoid", "W": [[0.9, 1.0, 1.1]]}]),
            r"layer 2: W is 1 × 3, but layer 1 has 2 unit\(s\), so W\^\[2\] must be 1 × 2",
        ),
        (
            _with(layers=[{**BASE["layers"][0], "activation": "relu6"}, BASE["layers"][1]]),
            r"layer 1: activation: unknown activation 'relu6'",
        ),
        (_with(X=None), r"missing key 'X' \(the inputs, one row per sample\)"),
        (
            _with(layers=[BASE["layers"][0], {"activation": "sigmoid", "b": [0.1]}]),
            r"layer 2: missing key 'W'",
        ),
        (
            _with(layers=[BASE["layers"][0], {**BASE["layers"][1], "b": [0.1, 0.2]}]),
            r"layer 2: b has shape \(2,\), but W has 1 row\(s\)",
        ),
        (_with(X=[[0.5, 1.0, 2.0]]), r"X has 3 column\(s\), but layer 1's W is 2 × 2"),
        (  # W^[1] typed by inputs (2 × 3 for 2 inputs): X's 2 columns are its row count
            _with(layers=[{**TYPED_BY_INPUTS, "b": [0.1, 0.2]}, BASE["layers"][1]]),
            r"X has 2 column\(s\), but layer 1's W is 2 × 3: each row of X needs 3 value\(s\), "
            r"or W\^\[1\] was typed transposed: it is n_1 × n_0, a row for each unit of layer 1",
        ),
        (
            _with(layers=[{**TYPED_BY_INPUTS, "b": [0.1, 0.2, 0.3]}, BASE["layers"][1]]),
            r"layer 1: b has shape \(3,\), but W has 2 row\(s\): b\^\[1\] needs 2 value\(s\), "
            r"or W\^\[1\] was typed transposed",
        ),
        (_with(Y=[[1.0], [0.0]]), r"X has 1 row\(s\) but Y has 2"),
        (_with(loss="hinge"), r"loss: unknown loss 'hinge'"),
        (_with(learning_rate=None), r"missing key 'learning_rate'"),
        (_with(epochs=3), r"unknown key\(s\) \['epochs'\]"),
    ],
)
def test_bad_specs_name_the_key_and_the_layer(spec, message) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_a_bad_spec_file_is_one_line_from_the_command_line(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_with(X=None)))
    result = glassnet("trace", str(path))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"glassnet: error: {path}: missing key 'X' (the inputs, one row per sample)"
    )
    toml = tmp_path / "spec.toml"
    toml.write_text(
        'loss = "mse"\nlearning_rate = 0.5\nX = [[1.0]]\nY = [[2.0]]\n'
        '[[layers]]\nactivation = "identity"\nW = [[0.5]]\nb = [0.0]\n'
    )
    result = glassnet("trace", str(toml), "--format", "json")
    assert result.returncode == 0, result.stderr
    step = json.loads(result.stdout)["steps"][0]
    assert step["loss"] == pytest.approx(0.5 * (0.5 - 2.0) ** 2)  # ½(ŷ − y)² with ŷ = 0.5
    assert step["params"][0]["W"] == [[pytest.approx(0.5 - 0.5 * (0.5 - 2.0) * 1.0)]]


def test_trace_list_and_unknown_example() -> None:
    listed = glassnet("trace", "--list")
    assert "doc003-2-2-2-1" in listed.stdout and "doc003-2-1-1" in listed.stdout
    result = glassnet("trace", "--example", "nope")
    assert result.returncode != 0 and "unknown example 'nope'; the examples are" in result.stderr


def test_gradcheck_command_gives_a_verdict() -> None:
    result = glassnet("gradcheck", "--example", "doc002-3-4-2")
    assert result.returncode == 0 and "PASS" in result.stdout
    assert re.search(r"^W1\s+\(4, 3\)", result.stdout, re.MULTILINE)  # document 002's 4×3 ∂C/∂W¹


# -- every layer and every rule ----------------------------------------------------------

REGULARIZED = {
    "layers": [
        {
            "activation": "relu",
            "W": [[0.5, -0.3], [0.2, 0.8], [-0.6, 0.4]],
            "b": [0.1, -0.1, 0.0],
            "batch_norm": {"gamma": [1.2, 0.8, 1.0], "beta": [0.1, 0.0, -0.1]},
        },
        {"type": "dropout", "rate": 0.25},
        {"activation": "sigmoid", "W": [[0.7, -0.5, 0.3]], "b": [0.05]},
    ],
    "loss": "bce",
    "l2": 0.1,
    "l1": 0.05,
    "optimizer": {"name": "adam", "learning_rate": 0.05},
    "seed": 3,
    "X": [[0.5, 1.0], [-1.0, 0.5], [1.5, -0.5], [0.0, -1.0], [0.3, 0.2]],
    "Y": [[1], [0], [1], [0], [1]],
}


def _regularized(**changes) -> dict:
    spec = json.loads(json.dumps(REGULARIZED))
    spec.update(changes)
    return spec


def _relu_prime(Z: np.ndarray) -> np.ndarray:
    return (Z > 0).astype(float)


def test_batch_norm_dropout_and_the_penalties_are_traced_number_for_number() -> None:
    """Every new quantity of the JSON against a hand computation from the documents'
    formulas, in float64 at 1e-12: Ẑ, BN(Z), the mask's scaling, G = ∂L/∂BN per sample,
    δ through batch norm, ∂J/∂γ, ∂J/∂β, and the L2 and L1 terms of J and of ∂J/∂W."""
    spec = parse_spec(_regularized(steps=2))
    record = trace(spec.network, spec.X, spec.Y, steps=2, optimizer=spec.optimizer)
    lam, lam1, eps, p = 0.1, 0.05, 1e-5, 0.25
    before = record.initial
    for step in record.to_dict()["steps"]:
        dense1, dropout, dense2 = step["forward"]
        assert [dense1["kind"], dropout["kind"], dense2["kind"]] == ["dense", "dropout", "dense"]
        assert [dense1["layer"], dropout["layer"], dense2["layer"]] == [1, 1, 2]
        W1, gamma, beta = (np.array(before[0][k]) for k in ("W", "gamma", "beta"))
        W2 = np.array(before[1]["W"])
        Z = np.array(dense1["Z"])  # n × m: samples in columns
        m = Z.shape[1]
        mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        Z_hat = (Z - mu) / np.sqrt(var + eps)
        np.testing.assert_allclose(dense1["Z_hat"], Z_hat, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dense1["BN"], gamma * Z_hat + beta, rtol=1e-12, atol=1e-12)
        A1 = np.maximum(gamma * Z_hat + beta, 0)
        np.testing.assert_allclose(dense1["A"], A1, atol=1e-12)
        M = np.array(dropout["mask"])
        assert set(np.unique(M)) <= {0.0, 1.0}
        np.testing.assert_allclose(dropout["A"], A1 * M / (1 - p), rtol=1e-12, atol=1e-12)
        # the loss line: J = L + λ/(2m) Σ‖W‖² + λ₁/m Σ|W|
        terms = step["loss_terms"]
        squares = (W1**2).sum() + (W2**2).sum()
        absolutes = np.abs(W1).sum() + np.abs(W2).sum()
        assert terms["l2"] == pytest.approx(lam / (2 * m) * squares, rel=1e-12)
        assert terms["l1"] == pytest.approx(lam1 / m * absolutes, rel=1e-12)
        assert terms["data"] + terms["l2"] + terms["l1"] == pytest.approx(step["loss"], rel=1e-12)
        # backward: the output, then through dropout and batch norm
        out, hidden = step["backward"]
        delta2 = np.array(out["delta"])
        A_in = np.array(dropout["A"])
        for entry, W, A_prev in ((out, W2, A_in), (hidden, W1, np.array(spec.X).T)):
            np.testing.assert_allclose(entry["dW_l2"], lam / m * W, rtol=1e-12)
            np.testing.assert_allclose(entry["dW_l1"], lam1 / m * np.sign(W), rtol=1e-12)
            data = np.array(entry["dW"]) - entry["dW_l2"] - np.array(entry["dW_l1"])
            delta = np.array(entry["delta"])
            np.testing.assert_allclose(data, delta @ A_prev.T / m, rtol=1e-10, atol=1e-12)
        G = (W2.T @ delta2) * M / (1 - p) * _relu_prime(gamma * Z_hat + beta)
        np.testing.assert_allclose(hidden["dbeta"], G.mean(axis=1, keepdims=True), atol=1e-12)
        np.testing.assert_allclose(
            hidden["dgamma"], (G * Z_hat).mean(axis=1, keepdims=True), atol=1e-12
        )
        mean = lambda x: x.mean(axis=1, keepdims=True)  # noqa: E731
        delta1 = gamma / np.sqrt(var + eps) * (G - mean(G) - Z_hat * mean(G * Z_hat))
        np.testing.assert_allclose(hidden["delta"], delta1, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hidden["db"], 0, atol=1e-12)  # b before batch norm: no effect
        before = step["params"]


def _adam_by_hand(thetas, grads, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    """Document 003's Adam, written out in float64: the quantities of each step."""
    m = v = 0.0
    theta, out = thetas, []
    for t, g in enumerate(grads, start=1):
        decay = lr * wd * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        step = lr * m_hat / (np.sqrt(v_hat) + eps)
        theta = theta - decay - step
        out.append({"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "step": step, "theta": theta})
        if wd:
            out[-1]["decay"] = decay
    return out


@pytest.mark.parametrize(("name", "wd"), [("adam", 0.0), ("adamw", 0.01)])
def test_adams_moments_bias_corrections_and_step_equal_the_hand_computation(name, wd) -> None:
    spec = parse_spec(_regularized(optimizer={"name": name, "learning_rate": 0.05}))
    record = trace(spec.network, spec.X, spec.Y, steps=3, optimizer=spec.optimizer)
    steps = record.to_dict()["steps"]
    for t, step in enumerate(steps, start=1):
        assert step["update"] == {
            "t": t,
            "bias1": pytest.approx(1 - 0.9**t, rel=1e-15),
            "bias2": pytest.approx(1 - 0.999**t, rel=1e-15),
        }
    names = [("W", "dW"), ("b", "db"), ("gamma", "dgamma"), ("beta", "dbeta")]
    for index, entry in enumerate(record.initial):
        backward_index = len(record.initial) - 1 - index
        for param, grad in names:
            if param not in entry:
                continue
            grads = [np.array(s["backward"][backward_index][grad]) for s in steps]
            expected = _adam_by_hand(np.array(entry[param]), grads, 0.05, wd=wd)
            for step, hand in zip(steps, expected, strict=True):
                shown = step["params"][index]["update"][param]
                assert sorted(shown) == sorted(k for k in hand if k != "theta")
                for key, value in shown.items():
                    np.testing.assert_allclose(value, hand[key], rtol=1e-12, atol=1e-12)
                np.testing.assert_allclose(
                    step["params"][index][param], hand["theta"], rtol=1e-12, atol=1e-12
                )


@pytest.mark.parametrize("nesterov", [False, True])
def test_the_momentum_velocity_and_step_equal_the_hand_computation(nesterov) -> None:
    name = "nesterov" if nesterov else "momentum"
    spec = parse_spec(_regularized(optimizer={"name": name, "learning_rate": 0.1}))
    record = trace(spec.network, spec.X, spec.Y, steps=3, optimizer=spec.optimizer)
    steps = record.to_dict()["steps"]
    assert all("update" not in step for step in steps)  # no scalars in this rule
    for index, entry in enumerate(record.initial):
        theta, v = np.array(entry["W"]), 0.0
        for step in steps:
            g = np.array(step["backward"][len(record.initial) - 1 - index]["dW"])
            v = 0.9 * v + g  # v ← μ v + g
            move = 0.1 * (g + 0.9 * v if nesterov else v)
            theta = theta - move
            shown = step["params"][index]["update"]["W"]
            np.testing.assert_allclose(shown["velocity"], v, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(shown["step"], move, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(step["params"][index]["W"], theta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "key"), [("adagrad", "sum_squares"), ("rmsprop", "mean_square")])
def test_the_adaptive_rules_accumulator_and_step_equal_the_hand_computation(name, key) -> None:
    spec = parse_spec(_regularized(optimizer={"name": name, "learning_rate": 0.1}))
    record = trace(spec.network, spec.X, spec.Y, steps=3, optimizer=spec.optimizer)
    steps = record.to_dict()["steps"]
    eps = 1e-10 if name == "adagrad" else 1e-8
    theta, s = np.array(record.initial[1]["W"]), 0.0
    for step in steps:
        g = np.array(step["backward"][0]["dW"])
        s = s + g * g if name == "adagrad" else 0.9 * s + 0.1 * g * g
        move = 0.1 * g / (np.sqrt(s) + eps)
        theta = theta - move
        shown = step["params"][1]["update"]["W"]
        np.testing.assert_allclose(shown[key], s, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(shown["step"], move, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(step["params"][1]["W"], theta, rtol=1e-12, atol=1e-12)


def test_the_text_trace_writes_out_every_layer_and_the_rule() -> None:
    spec = parse_spec(_regularized(steps=1))
    record = spec.run()
    text = render(record, "text")
    for line in [
        "Ẑ^[1] = (Z^[1] − μ) / √(σ² + ε)",
        "BN(Z^[1]) = γ^[1] ⊙ Ẑ^[1] + β^[1]",
        "A^[1] = relu(BN(Z^[1]))",
        "M^[1]  (3×5)   [1 = kept, 0 = dropped; p = 0.25]",
        "dropout(A^[1]) = A^[1] ⊙ M^[1] / (1 − p)",
        "Z^[2] = W^[2] dropout(A^[1]) + b^[2]",
        "J = L + λ/(2m) Σ_l ‖W^[l]‖² + (λ₁/m) Σ_l Σ|W^[l]|",
        "∂J/∂W^[2] = (1/m) δ^[2] dropout(A^[1])ᵀ + (λ/m) W^[2] + (λ₁/m) sign(W^[2])",
        "G^[1] = (W^[2]ᵀ δ^[2]) ⊙ M^[1] / (1 − p) ⊙ relu'(BN(Z^[1]))",
        "δ^[1] = γ^[1] / √(σ² + ε) ⊙ (G^[1] − mean(G^[1]) − Ẑ^[1] ⊙ mean(G^[1] ⊙ Ẑ^[1]))",
        "∂J/∂γ^[1] = (1/m) Σ_samples G^[1] ⊙ Ẑ^[1]",
        "∂J/∂β^[1] = (1/m) Σ_samples G^[1]",
        "update (Adam α = 0.05, β₁ = 0.9, β₂ = 0.999, ε = 1e-08)",
        "1 − β₁ᵗ = 0.1",
        "1 − β₂ᵗ = 0.001",
        "m ← β₁ m + (1 − β₁) ∂J/∂γ^[1]",
        "v ← β₂ v + (1 − β₂) ∂J/∂W^[1] ⊙ ∂J/∂W^[1]",
        "m̂ = m / (1 − β₁ᵗ)",
        "v̂ = v / (1 − β₂ᵗ)",
        "W^[2] ← W^[2] − α m̂ / (√v̂ + ε)",
    ]:
        assert line in text, line
    # the printed m̂ of W^[2] is the JSON's, to the printed digits
    lines = text.splitlines()
    start = lines.index("  W^[2]:")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("  m̂ = m"))
    printed = [float(v) for v in lines[at + 1].strip()[1:-1].split()]
    shown = record.steps[0].params[1]["update"]["W"]["m_hat"]
    np.testing.assert_allclose(printed, np.ravel(shown), rtol=1e-5)


def test_a_network_that_starts_with_flatten_traces_in_every_format() -> None:
    from glassnet.inspect import gradient_check

    spec = load_example("grid-2x3-2-1")
    assert spec.X.shape == (3, 2, 3) and gradient_check(spec.network, spec.X, spec.Y).passed
    record = spec.run()
    step = record.to_dict()["steps"][0]
    flatten = step["forward"][0]
    assert (flatten["layer"], flatten["kind"]) == (0, "flatten")
    np.testing.assert_array_equal(flatten["A"], np.asarray(spec.X).reshape(3, 6).T)
    assert record.X == flatten["A"]  # A^[0] = X, each 2×3 sample as one column
    assert [e["layer"] for e in step["backward"]] == [2, 1]
    text = render(record, "text")
    assert "flatten(A^[0])  (6×3)   [each sample's 2×3 values as one column of 6]" in text
    assert "∂L/∂W^[1] = (1/m) δ^[1] flatten(A^[0])ᵀ" in text
    assert "v ← μ v + ∂L/∂W^[1]" in text and "W^[1] ← W^[1] − α v" in text
    assert r"{\mathrm{flatten}(\mathbf{A}^{[0]})}^{\top}" in render(record, "latex")
    assert "## step 2" in render(record, "markdown")


def test_trace_list_describes_each_example_without_the_documents() -> None:
    """``--list`` says what each example is (architecture, loss, rule, data) from the spec
    itself, so a reader needs none of the source documents."""
    listed = glassnet("trace", "--list")
    assert listed.returncode == 0, listed.stderr
    assert (
        "doc003-2-2-2-1\n    a 2-2-2-1 network (relu, relu, sigmoid) with binary cross-entropy; 1 step of gradient descent α = 0.1 on 1 sample. "
        in listed.stdout
    )
    assert "loss 0.203" in listed.stdout
    descriptions = list_examples()
    assert {"regularized-2-3-1", "grid-2x3-2-1", "xor-2-2-1"} <= set(descriptions)
    for name, text in descriptions.items():
        spec = load_example(name)
        assert f"{name}\n    {text}" in listed.stdout
        assert text.startswith("a ") and " network (" in text, name
        assert spec.network.loss.description in text and spec.optimizer.describe() in text
        m = spec.X.shape[0]
        assert f"on {m} sample" in text, name
        assert not re.search(r"document|seeds/|\b00[0-3]\b", text, re.IGNORECASE), name
    assert (
        "a 2-3-1 network (relu with batch norm, sigmoid) with binary cross-entropy, dropout "
        "(rate 0.5) after layer 1, L2 λ = 0.1, L1 λ₁ = 0.05; 2 steps of Adam α = 0.05"
    ) in descriptions["regularized-2-3-1"]


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            {"type": "dropout", "rate": 0.5, "p": 1},
            r"layer 2: unknown key\(s\) \['p'\]; a dropout layer takes n, rate",
        ),
        ({"type": "dropout"}, r"layer 2: a dropout layer needs the key 'rate'"),
        ({"type": "pool"}, r"layer 2: unknown layer type 'pool'"),
        ({"type": "dropout", "rate": 1.5}, r"layer 2: dropout rate must be in \[0, 1\), got 1.5"),
    ],
)
def test_bad_layers_of_other_kinds_name_the_layer(layer, message) -> None:
    spec = _with(layers=[BASE["layers"][0], layer, BASE["layers"][1]])
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_a_flatten_spec_checks_the_shape_of_each_sample() -> None:
    spec = {
        "layers": [{"type": "flatten", "input_shape": [2, 2]}, {"W": [[1, 0, 0, 1]]}],
        "loss": "mse",
        "learning_rate": 0.1,
        "X": [[[1, 2, 3], [4, 5, 6]]],
        "Y": [[1.0]],
    }
    message = (
        r"each sample of X has shape \(2, 3\), but the first layer \(flatten\) takes "
        r"samples of shape \(2, 2\)"
    )
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)
    spec["layers"][1]["W"] = [[1, 0, 0]]  # W^[1] is the first W, after the flatten layer
    with pytest.raises(
        SpecError,
        match=r"layer 2: W is 1 × 3, but layer 1 has 4 unit\(s\), so W\^\[1\] must be 1 × 4",
    ):
        parse_spec(spec)
    spec["layers"][0] = {"type": "flatten"}
    with pytest.raises(SpecError, match=r"layer 1: a flatten layer needs the key 'input_shape'"):
        parse_spec(spec)
