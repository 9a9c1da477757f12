"""Every equation the LaTeX and Markdown renderers emit parses in a real TeX parser.

The parser is matplotlib's mathtext (``MathTextParser("path").parse``), which rejects what
TeX rejects in the constructs it knows, such as the double superscript
``\\mathbf{A}^{[1]}^{\\top}``. It does not know environments, so each ``pmatrix`` is
checked separately: its rows are split on ``\\\\`` and its cells on ``&``, every row has as
many cells as the first, every cell is a number that mathtext parses on its own, and the
matrix's shape subscript says the same shape. The matrix is then replaced by a plain
symbol and the rest of the equation goes to mathtext. The LaTeX document as a whole is
checked for what mathtext never sees: ASCII only, balanced braces and environments, and
no LaTeX special character left unescaped in the text between equations.

The traces are every shipped example and a network with batch norm, dropout, L1 and L2
under each optimizer, so that every kind of line the renderers can write is parsed.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources

import numpy as np
import pytest

import glassnet as gn
from glassnet.inspect import list_examples, load_example, parse_spec, render, trace
from glassnet.inspect.trace import Trace

mathtext = pytest.importorskip("matplotlib.mathtext")
PARSER = mathtext.MathTextParser("path")


@functools.cache
def _parse(math: str) -> None:
    """mathtext's verdict on ``$math$``, once per distinct equation (LaTeX and Markdown
    share most of theirs)."""
    PARSER.parse(f"${math}$")


MATRIX = re.compile(r"\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}(_\{(\d+) \\times (\d+)\})?", re.S)
NUMBER = re.compile(r"-?\d+(\.\d+)?( \\cdot 10\^\{-?\d+\})?|\\mathrm\{NaN\}|-?\\infty")
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]


def _example_spec(name: str) -> dict:
    folder = resources.files("glassnet.inspect").joinpath("examples")
    return json.loads(folder.joinpath(f"{name}.json").read_text("utf-8"))


def _traces() -> dict[str, Trace]:
    traces = {name: load_example(name).run() for name in list_examples()}
    regularized = _example_spec("regularized-2-3-1")
    for optimizer in OPTIMIZERS:
        raw = copy.deepcopy(regularized)
        raw["optimizer"] = {"name": optimizer, "learning_rate": 0.05}
        traces[f"regularized-{optimizer}"] = parse_spec(raw).run()
    softmax = {
        "layers": [
            {"activation": "elu", "W": [[0.4, -0.2], [0.1, 0.3]], "b": [0.0, 0.1]},
            {"activation": "softmax", "W": [[0.5, -0.5], [0.2, 0.1], [-0.3, 0.4]]},
        ],
        "loss": "cce",
        "l1": 0.01,
        "optimizer": "adamw",
        "X": [[1.0, -2.0], [0.5, 0.5]],
        "Y": [[0, 0, 1], [1, 0, 0]],
    }
    traces["softmax-cce-l1-adamw"] = parse_spec(softmax).run()
    rng = np.random.default_rng(0)
    standalone = gn.Network(
        [
            gn.Dense(2, 3, "tanh", rng=rng, dtype="float64"),
            gn.BatchNorm(3, dtype="float64"),
            gn.Dense(3, 1, "sigmoid", rng=rng, dtype="float64"),
        ],
        "bce",
    )
    X, Y = [[1.0, -2.0], [0.5, 0.5], [0.0, 1.5]], [1, 0, 1]
    traces["standalone-batch-norm"] = trace(standalone, X, Y, optimizer=gn.Adam(0.01))
    return traces


TRACES = _traces()


def _check_matrix(match: re.Match[str], where: str) -> None:
    rows = [row.split("&") for row in match[1].split(r"\\")]
    widths = {len(row) for row in rows}
    assert len(widths) == 1, f"{where}: rows of different lengths {widths}"
    for cell in (cell.strip() for row in rows for cell in row):
        assert NUMBER.fullmatch(cell), f"{where}: cell {cell!r} is not a number"
        _parse(re.sub(r"\d+", "1", cell))  # each form of number once: 1.1, -1 \cdot 10^{-1}, …
    if match[2]:
        assert (int(match[3]), int(match[4])) == (len(rows), widths.pop()), where


def _check_equation(equation: str, where: str) -> None:
    for match in MATRIX.finditer(equation):
        _check_matrix(match, where)
    plain = MATRIX.sub("M", equation)
    assert "\\begin" not in plain and "\\end" not in plain, where
    assert plain.count("{") == plain.count("}"), f"{where}: unbalanced braces in {plain}"
    try:
        _parse(plain)
    except ValueError as exc:
        raise AssertionError(f"{where}: mathtext rejects {plain!r}: {exc}") from None


def _equations(text: str, fmt: str) -> tuple[list[str], str]:
    """The display and inline equations of a rendered trace, and the text left around them."""
    display, inline = (r"\\\[(.*?)\\\]", r"\\\((.*?)\\\)")
    if fmt == "markdown":
        display, inline = (r"\$\$(.*?)\$\$", r"\$(.+?)\$")
    found = re.findall(display, text, re.S)
    rest = re.sub(display, " ", text, flags=re.S)
    found += re.findall(inline, rest)
    return found, re.sub(inline, " ", rest)


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
@pytest.mark.parametrize("name", sorted(TRACES))
def test_every_equation_parses_in_mathtext(name: str, fmt: str) -> None:
    text = render(TRACES[name], fmt)
    equations, _ = _equations(text, fmt)
    assert len(equations) > 20
    for index, equation in enumerate(equations):
        _check_equation(equation.strip(), f"{name} {fmt} equation {index}")


@pytest.mark.parametrize("name", sorted(TRACES))
def test_the_latex_document_is_plain_latex_with_amsmath(name: str) -> None:
    text = render(TRACES[name], "latex")
    assert text.isascii(), sorted({c for c in text if not c.isascii()})
    assert text.startswith("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}")
    assert text.rstrip().endswith("\\end{document}")
    unescaped = re.sub(r"\\[{}]", "", text)
    assert unescaped.count("{") == unescaped.count("}")
    begins = re.findall(r"\\begin\{(\w+)\}", text)
    assert begins.count("pmatrix") == len(re.findall(r"\\end\{pmatrix\}", text))
    assert text.count(r"\[") == text.count(r"\]") and text.count(r"\(") == text.count(r"\)")
    _, prose = _equations(text, "latex")
    # Outside math, LaTeX's special characters appear only escaped or as commands.
    for char in "_^&%#$~":
        assert not re.search(rf"(?<!\\){re.escape(char)}", prose), f"unescaped {char!r}"


def test_no_transpose_is_a_double_superscript() -> None:
    """``X^{[l]}^{\\top}`` is the old form that TeX rejects; a transpose braces its base."""
    for record in TRACES.values():
        for fmt in ("latex", "markdown"):
            text = render(record, fmt)
            assert not re.search(r"\]\}\^\{\\top\}", text)
            assert "^{\\top}" in text


def test_the_checker_rejects_a_double_superscript() -> None:
    with pytest.raises(AssertionError, match="mathtext rejects"):
        _check_equation(r"\mathbf{A}^{[1]}^{\top} = M", "probe")
    with pytest.raises(AssertionError, match="rows of different lengths"):
        _check_equation(r"\begin{pmatrix} 1 & 2 \\ 3 \end{pmatrix}", "probe")
