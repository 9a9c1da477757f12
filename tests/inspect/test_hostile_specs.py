"""Hostile and broken input to the glass box: spec files whose values have the wrong type or
overflow, flags out of range, text that would drive the terminal, and checks whose size
grows without bound. Each one gets a one-line error that names the file and the field (or
the flag), and never an internal error."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.inspect import (
    SpecError,
    gradient_check,
    load_example,
    load_spec,
    parse_spec,
    render,
    trace,
)
from glassnet.inspect.gradcheck import DEFAULT_MAX_ENTRIES
from glassnet.inspect.trace import MAX_NUMBERS, MAX_STEPS
from glassnet.layers import Dense
from glassnet.network import Network
from glassnet.validation import printable

# The module: ``glassnet.inspect.trace`` as an attribute is the function of that name.
trace_module = importlib.import_module("glassnet.inspect.trace")

XOR = {
    "name": "xor",
    "layers": [
        {"activation": "tanh", "W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.1]},
        {"activation": "sigmoid", "W": [[0.7, -0.6]], "b": [0.0]},
    ],
    "loss": "bce",
    "learning_rate": 0.5,
    "X": [[0, 0], [0, 1], [1, 0], [1, 1]],
    "Y": [[0], [1], [1], [0]],
}
HIDDEN = XOR["layers"][0]
OUTPUT = XOR["layers"][1]


def _spec(**changes: object) -> dict:
    spec = json.loads(json.dumps(XOR))
    spec.update(changes)
    return spec


def _write(tmp_path: Path, spec: dict, text: str | None = None) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(text if text is not None else json.dumps(spec), encoding="utf-8")
    return path


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line a user sees for a refused command: exit 1, ``glassnet: error:``."""
    assert main(list(argv)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("glassnet: error: "), err
    assert "internal error" not in err[0]
    return err[0]


# -- every spec field: its type and its range ----------------------------------------------

HUGE = "1" + "0" * 400  # a JSON integer that no float64 holds (10**400)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"steps": Infinity', r"steps must be an integer from 1 to 1,000, got inf"),
        ('"steps": NaN', r"steps must be an integer from 1 to 1,000, got nan"),
        (f'"steps": {HUGE}', r"steps must be an integer from 1 to 1,000, got 1000.*401 characters"),
        ('"steps": 1e300', r"steps must be an integer from 1 to 1,000, got 1e\+300"),
        ('"steps": 2.5', r"steps must be an integer from 1 to 1,000, got 2.5"),
        ('"steps": 0', r"steps must be an integer from 1 to 1,000, got 0"),
        ('"steps": "3"', r"steps must be an integer from 1 to 1,000, got '3' \(str\)"),
        ('"seed": -1', r"seed must be an integer ≥ 0, got -1"),
        ('"seed": 1.5', r"seed must be an integer ≥ 0, got 1.5"),
        (f'"l2": {HUGE}', r"l2 is 1000.*, beyond float64's range"),
        ('"l2": Infinity', r"l2 must be a finite number, got inf"),
        ('"learning_rate": "0.1"', r"learning_rate must be a number, got '0.1'"),
        (
            '"dtype": ["float64"]',
            r"dtype must be one of \['float32', 'float64'\], got \['float64'\]",
        ),
        ('"name": 5', r"name must be a string, got 5"),
        ('"description": ["a"]', r"description must be a string, got \['a'\]"),
        (
            '"optimizer": ["adam"]',
            r"optimizer must be a name \(\"adam\"\) or a table .* got \['adam'\]",
        ),
        ('"optimizer": 5', r"optimizer must be a name .* got 5"),
        ('"optimizer": {"name": 3}', r"optimizer needs a 'name' \(sgd, momentum, adam, …\), got 3"),
        (
            '"optimizer": {"name": "adam", "beta1": "x"}',
            r"optimizer: beta1 must be a number, got 'x'",
        ),
        (
            '"optimizer": {"name": "adam", "beta1": 1e999}',
            r"optimizer: beta1 must be a finite number, got inf",
        ),
        ('"X": [[0, 0], [0, true], [1, 0], [1, 1]]', r"X\[1\]\[1\] must be a number, got True"),
        ('"X": "abc"', r"X must be a matrix of numbers \(a list of equal rows\), got 'abc'"),
        ('"Y": [[0], [1], [1], [1e999]]', r"Y\[3\]\[0\] is inf: a spec's numbers must be finite"),
        ('"Y": [[0], [1], [null], [0]]', r"Y\[2\]\[0\] must be a number, got null"),
    ],
)
def test_a_spec_field_of_the_wrong_type_or_range_names_the_file_and_the_field(
    tmp_path, capsys, text, message
) -> None:
    key = text.split(":")[0]
    body = json.dumps({k: v for k, v in XOR.items() if f'"{k}"' != key})
    path = _write(tmp_path, {}, body[:-1] + ", " + text + "}")
    with pytest.raises(SpecError, match=f"^{re.escape(str(path))}: {message}"):
        load_spec(path)
    line = _error(capsys, "trace", str(path))
    assert re.match(f"glassnet: error: {re.escape(str(path))}: {message}", line)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (
            {**HIDDEN, "W": [[int(HUGE), 0.0], [0.3, 0.8]]},
            r"W\[0\]\[0\] is 1000.*, beyond float64's range",
        ),
        (
            {**HIDDEN, "W": [[0.5, float("nan")], [0.3, 0.8]]},
            r"W\[0\]\[1\] is nan: a spec's numbers must be finite",
        ),
        ({**HIDDEN, "b": ["a", "b"]}, r"b\[0\] must be a number, got 'a'"),
        ({**HIDDEN, "b": [0.1, 1e999]}, r"b\[1\] is inf"),
        (
            {**HIDDEN, "batch_norm": {"gamma": "x"}},
            r"batch_norm: gamma must be a matrix of numbers",
        ),
        (
            {**HIDDEN, "batch_norm": {"momentum": [1]}},
            r"batch_norm: momentum must be a number, got \[1\]",
        ),
        ({**HIDDEN, "batch_norm": [1]}, r"batch_norm must be true, false or a table, got \[1\]"),
    ],
)
def test_a_bad_value_in_a_layer_names_the_layer_and_the_field(layer, message) -> None:
    with pytest.raises(SpecError, match=f"^spec: layer 1: {message}"):
        parse_spec(_spec(layers=[layer, OUTPUT]))


def test_a_weight_that_overflows_float64_is_refused_with_its_place(tmp_path, capsys) -> None:
    # 10**400 is a JSON integer: Python reads it exactly, and NumPy's conversion used to
    # raise an OverflowError, reported as an internal error.
    text = json.dumps(XOR).replace("[[0.7, -0.6]]", f"[[0.7, {HUGE}]]")
    path = _write(tmp_path, {}, text)
    line = _error(capsys, "trace", str(path))
    assert re.match(
        rf"glassnet: error: {re.escape(str(path))}: layer 2: W\[0\]\[1\] is 1000.*"
        r"beyond float64's range \(±1\.8e308\)$",
        line,
    )


def test_a_weight_beyond_float32_is_refused_when_the_spec_is_float32() -> None:
    spec = _spec(dtype="float32", layers=[{**HIDDEN, "W": [[0.5, 1e39], [0.3, 0.8]]}, OUTPUT])
    with pytest.raises(SpecError, match=r"layer 1: W\[0\]\[1\] is 1e\+39, beyond float32's range"):
        parse_spec(spec)
    assert parse_spec(_spec(layers=[{**HIDDEN, "W": [[0.5, 1e39], [0.3, 0.8]]}, OUTPUT]))


# -- flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["trace", "--steps", "1000000"],
            r"--steps must be an integer from 1 to 1,000, got 1000000",
        ),
        (["trace", "--steps", "0"], r"--steps must be an integer from 1 to 1,000, got 0"),
        (["trace", "--digits", "-1"], r"--digits must be an integer from 1 to 17, got -1"),
        (["trace", "--digits", "0"], r"--digits must be an integer from 1 to 17, got 0"),
        (
            ["gradcheck", "--epsilon", "0"],
            r"--epsilon must be a number in \(0, 1\) \(a small step such as 1e-6\), got 0.0",
        ),
        (["gradcheck", "--epsilon=-1e-6"], r"--epsilon must be a number in \(0, 1\) .*got -1e-06"),
        (["gradcheck", "--epsilon", "nan"], r"--epsilon must be a number in \(0, 1\) .*got nan"),
        (
            ["gradcheck", "--threshold", "-1"],
            r"--threshold must be a number in \(0, 1\) .*got -1.0",
        ),
        (
            ["gradcheck", "--threshold", "nan"],
            r"--threshold must be a number in \(0, 1\) .*got nan",
        ),
        (
            ["gradcheck", "--threshold", "1"],
            r"--threshold must be a number in \(0, 1\) \(the relative error is at most 1; the default is 1e-7\), got 1.0",
        ),
        (["gradcheck", "--max-entries", "0"], r"--max-entries must be an integer ≥ 1, got 0"),
        (["gradcheck", "--max-entries", "-3"], r"--max-entries must be an integer ≥ 1, got -3"),
        (["gradcheck", "--rows", "0"], r"--rows must be an integer ≥ 1, got 0"),
    ],
)
def test_a_flag_out_of_range_is_one_line_naming_the_flag(capsys, argv, message) -> None:
    line = _error(capsys, *argv, "--example", "xor-2-2-1")
    assert re.fullmatch(f"glassnet: error: {message}", line), line


def test_diagnose_flags_out_of_range_name_the_flag(tmp_path, capsys) -> None:
    # The flags are checked before the model file is read: no model is needed to see them.
    model, data = str(tmp_path / "model.glassnet"), str(tmp_path / "data.csv")
    assert _error(capsys, "diagnose", model, data, "--rows", "-5") == (
        "glassnet: error: --rows must be an integer ≥ 1, got -5"
    )
    assert _error(capsys, "diagnose", model, data, "--lr", "nan") == (
        "glassnet: error: --lr must be a number > 0, got nan"
    )


def test_render_and_gradient_check_refuse_bad_settings_by_their_argument_names() -> None:
    spec = parse_spec(_spec())
    record = spec.run()
    with pytest.raises(ValueError, match=r"^digits must be an integer from 1 to 17, got 40$"):
        render(record, digits=40)
    with pytest.raises(ValueError, match=r"^epsilon must be a number in \(0, 1\)"):
        gradient_check(spec.network, spec.X, spec.Y, epsilon=0.0)
    with pytest.raises(ValueError, match=r"^threshold must be a number in \(0, 1\)"):
        gradient_check(spec.network, spec.X, spec.Y, threshold=float("nan"))
    with pytest.raises(ValueError, match=r"^max_entries must be an integer ≥ 1, got 0$"):
        gradient_check(spec.network, spec.X, spec.Y, max_entries=0)


# -- the trace's size is bounded -------------------------------------------------------------


def test_trace_refuses_more_than_max_steps_before_tracing_any() -> None:
    spec = parse_spec(_spec())
    before = spec.network.layers[0].params["W"].copy()
    with pytest.raises(ValueError, match=r"^steps must be an integer from 1 to 1,000, got 1001$"):
        trace(spec.network, spec.X, spec.Y, steps=MAX_STEPS + 1)
    np.testing.assert_array_equal(spec.network.layers[0].params["W"], before)  # no step taken
    assert len(spec.run(MAX_STEPS).steps) == MAX_STEPS == 1_000


def test_trace_of_a_large_network_is_bounded_by_the_numbers_it_keeps(monkeypatch) -> None:
    # A 100 × 100 W: each step keeps W, ∂J/∂W and the update's step (30,000 numbers) and a
    # few hundred more; with a budget of 100,000 numbers, 3 steps fit and 4 do not.
    assert MAX_NUMBERS == 5_000_000
    monkeypatch.setattr(trace_module, "MAX_NUMBERS", 100_000)
    rng = np.random.default_rng(0)
    layers = [
        Dense(100, 100, "tanh", W=rng.normal(0, 0.1, (100, 100)), dtype="float64"),
        Dense(100, 1, "identity", W=rng.normal(0, 0.1, (1, 100)), dtype="float64"),
    ]
    net = Network(layers, "mse")
    X, Y = rng.normal(size=(2, 100)), rng.normal(size=(2, 1))
    with pytest.raises(
        ValueError,
        match=r"^steps: 4 steps of this network would keep 12\d,\d{3} numbers \(3\d,\d{3} per "
        r"step\), more than a trace keeps \(100,000\); trace at most 3 steps$",
    ):
        trace(net, X, Y, steps=4)
    assert len(trace(net, X, Y, steps=3).steps) == 3


# -- the gradient check: what it checks, said ---------------------------------------------


def _wide_spec(n: int) -> dict:
    rng = np.random.default_rng(1)
    return _spec(
        layers=[
            {"activation": "tanh", "W": rng.normal(0, 0.3, (n, 2)).tolist(), "b": [0.0] * n},
            {"activation": "sigmoid", "W": rng.normal(0, 0.3, (1, n)).tolist(), "b": [0.0]},
        ]
    )


def test_gradcheck_samples_a_large_array_by_default_and_says_so(tmp_path, capsys) -> None:
    path = _write(tmp_path, _wide_spec(600))  # W1 and W2 have 1,200 and 600 entries
    assert main(["gradcheck", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "checking 1,000 of 1,200 entries of W1, chosen at random (seed 0); "
        "--max-entries N to change"
    ) in out
    assert "of 600 entries of W2" not in out  # fewer than 1,000: every entry, no note
    assert re.search(r"^W1 .* 1,000 of 1,200$", out, re.MULTILINE)
    assert re.search(r"^W2 .* 600$", out, re.MULTILINE) and "PASS" in out
    result = gradient_check(*_network_and_data(_wide_spec(600)))
    assert [c.checked for c in result.arrays] == [DEFAULT_MAX_ENTRIES, 600, 600, 1]
    assert [c.size for c in result.arrays] == [1_200, 600, 600, 1]


def test_gradcheck_max_entries_changes_the_sample(tmp_path, capsys) -> None:
    path = _write(tmp_path, _wide_spec(600))
    assert main(["gradcheck", str(path), "--max-entries", "5000"]) == 0
    out = capsys.readouterr().out
    assert "chosen at random" not in out and re.search(r"^W1 .* 1,200$", out, re.MULTILINE)


def _network_and_data(spec: dict) -> tuple:
    parsed = parse_spec(spec)
    return parsed.network, parsed.X, parsed.Y


def test_gradient_check_reports_progress_once_per_entry() -> None:
    ticks: list[int] = []
    result = gradient_check(*_network_and_data(_spec()), progress=ticks.append)
    assert len(ticks) == sum(c.checked for c in result.arrays) == 4 + 2 + 2 + 1


# -- text from a file is printed without control characters ---------------------------------

ESCAPES = {
    "name": "\x1b]0;pwned\x07xor \x1b[2J",
    "description": "\x1b[31mred\x1b[0m and a bell\x07; a \u202eright-to-left override",
    "source": "a\rcarriage return",
}


def test_printable_strips_escape_sequences_and_control_characters() -> None:
    assert printable("\x1b[31mred\x1b[0m") == "red"
    assert printable("\x1b]0;title\x07after") == "after"
    assert printable("a\x07b\x00c\x7fd\x9be\u202ef\rg") == "abcdefg"
    assert printable("tab\tnewline\n ∂J/∂W é") == "tab\tnewline\n ∂J/∂W é"  # kept


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_a_spec_with_escape_sequences_prints_none(tmp_path, capsys, fmt) -> None:
    path = _write(tmp_path, _spec(**ESCAPES))
    assert main(["trace", str(path), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\r" not in out
    assert "xor" in out and "red and a bell; a right-to-left override" in out
    assert main(["gradcheck", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "gradient check of xor :" in out


def test_parse_spec_keeps_no_control_characters_in_its_text() -> None:
    spec = parse_spec(_spec(**ESCAPES))
    assert (spec.name, spec.description, spec.source) == (
        "xor ",
        "red and a bell; a right-to-left override",
        "acarriage return",
    )
    record = spec.run()
    record.name = "\x1b[1mbold\x1b[0m"  # set through the API: render strips it too
    assert render(record).splitlines()[0] == "bold"


def test_the_shipped_examples_still_trace_and_check(capsys) -> None:
    assert main(["gradcheck", "--example", "regularized-2-3-1"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert load_example("xor-2-2-1").steps == 3
