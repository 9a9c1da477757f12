"""The trace: the documents' numbers, agreement with finite differences, and clear spec errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from glassnet.inspect import SpecError, load_example, parse_spec, render, trace

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
    assert r"\delta^{[2]} = (\mathbf{W}^{[3]}^{\top} \delta^{[3]}) \odot" in latex
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
