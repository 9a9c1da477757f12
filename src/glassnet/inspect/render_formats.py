"""The formats a trace is rendered in: plain text, LaTeX and Markdown.

A format says how a heading, an equation, a matrix and each piece of notation look; the
layout of a step (:mod:`glassnet.inspect.render`) is written once against these pieces.
Symbols come from the layers as text (``"Z^[2]"``, ``"∂J/∂γ^[1]"``, ``"dropout(A^[1])"``)
and :func:`latex_symbol` turns them into LaTeX (``\\mathbf{Z}^{[2]}``, …).

The LaTeX uses only what LaTeX with amsmath accepts, and every equation also parses in
matplotlib's mathtext (the tests check both): a transposed symbol is braced before its
``^{\\top}`` (``{\\mathbf{A}^{[1]}}^{\\top}``, never a double superscript), and text outside
math is ASCII with LaTeX's special characters escaped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from .trace_maps import grids, is_maps, shape_note, summary

Matrix = list[list[float]]

# Unicode that the symbols, formulas, notes and descriptions use, as LaTeX math.
# Multi-character tokens come first so that "β₁" becomes \beta_1, not \beta and "₁".
MATH = {
    "λ_w": r"\lambda_w",
    "λ₁": r"\lambda_1",
    "β₁": r"\beta_1",
    "β₂": r"\beta_2",
    "ŷ": r"\hat{y}",
    "Ẑ": r"\hat{Z}",
    "x̂": r"\hat{x}",
    "½": r"\frac{1}{2}",
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\epsilon",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "ρ": r"\rho",
    "σ": r"\sigma",
    "Σ": r"\Sigma",
    "∂": r"\partial",
    "‖": r"\|",
    "²": "^{2}",
    "ᵀ": r"^{\top}",
    "ᵗ": "^{t}",
    "⊙": r"\odot",
    "∗": r"\ast",
    "⋆": r"\star",
    "×": r"\times",
    "≈": r"\approx",
    "≥": r"\geq",
    "≤": r"\leq",
    "→": r"\rightarrow",
    "←": r"\leftarrow",
    "−": "-",
}
TEXT = {"–": "--", "—": "---", "…": r"\dots{}", "’": "'", "“": "``", "”": "''"}
SPECIAL = {c: "\\" + c for c in "#$%&_{}"} | {
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_TOKENS = sorted([*MATH, *TEXT], key=len, reverse=True)
GREEK = {"α", "β", "γ", "δ", "ε", "θ", "λ", "μ", "ρ", "σ"}


def number(value: float, digits: int) -> str:
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


def latex_number(value: float, digits: int) -> str:
    """``1.5e-05`` as ``1.5 \\cdot 10^{-5}``; NaN and inf as math, not as words."""
    if math.isnan(value):
        return r"\mathrm{NaN}"
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    text = number(value, digits)
    mantissa, _, exponent = text.partition("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}" if exponent else text


def latex_text(text: str) -> str:
    """Text outside math as ASCII LaTeX: specials escaped, and each word with a symbol in
    it (``δ^[3]``, ``A^[0]ᵀ``, ``1 − β₁ᵗ``) as inline math."""
    out = []
    for word in re.split(r"(\s+)", text):
        parts = re.fullmatch(r"(\(*)(.*?)([),.;:!?]*)", word, re.S)
        assert parts is not None  # every part is optional
        lead, core, trail = parts.groups()
        if core and ("^[" in core or any(t in core for t in MATH)):
            out.append(_escape(lead) + rf"\({_math_word(core)}\)" + _escape(trail))
        else:
            out.append(_escape(word))
    return "".join(out)


def _escape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        token = next((t for t in TEXT if text.startswith(t, i)), None)
        out.append(TEXT[token] if token else SPECIAL.get(text[i], text[i]))
        i += len(token) if token else 1
    return "".join(out)


def _math_word(word: str) -> str:
    """One word of prose as math: a symbol of the documents' notation, or Unicode symbols
    spelled as LaTeX commands."""
    if word.endswith("ᵀ"):
        return f"{{{_math_word(word[:-1])}}}^{{\\top}}"
    if re.fullmatch(r"(∂\w/∂)?[\w\u0302]+\^\[[^\]]+\]", word):
        return latex_symbol(word)
    out, i = [], 0
    while i < len(word):
        token = next((t for t in MATH if word.startswith(t, i)), None)
        if token is not None:
            command = MATH[token]
            out.append(command + (" " if command[-1].isalpha() else ""))
        else:
            out.append(SPECIAL.get(word[i], word[i]) if word[i] in "#$%&" else word[i])
        i += len(token) if token else 1
    return re.sub(r"\^\[([^\]]*)\]", r"^{[\1]}", "".join(out)).strip()


def latex_note(text: str) -> str:
    """A note inside an equation: ``\\text{…}`` for the words, math for the symbols."""
    parts, words, i = [], "", 0
    while i < len(text):
        token = next((t for t in _TOKENS if text.startswith(t, i)), None)
        if token in MATH:
            parts += [rf"\text{{{words}}}"] if words else []
            parts.append(MATH[token])
            words, i = "", i + len(token)
            continue
        words += TEXT.get(token, "") if token else SPECIAL.get(text[i], text[i])
        i += len(token) if token else 1
    parts += [rf"\text{{{words}}}"] if words else []
    return " ".join(parts)


def latex_symbol(symbol: str) -> str:
    """A layer's text notation as LaTeX: ``∂J/∂W^[1]`` → ``\\frac{\\partial J}{\\partial
    \\mathbf{W}^{[1]}}``, ``BN(Z^[1])`` → ``\\mathrm{BN}(\\mathbf{Z}^{[1]})``."""
    if symbol.startswith("∂") and "/∂" in symbol:
        top, bottom = symbol[1:].split("/∂", 1)
        return rf"\frac{{\partial {top}}}{{\partial {latex_symbol(bottom)}}}"
    call = re.fullmatch(r"(\w+)\((.*)\)", symbol)
    if call:
        return rf"\mathrm{{{call[1]}}}({latex_symbol(call[2])})"
    layered = re.fullmatch(r"(.+?)\^\[(.+)\]", symbol)
    if layered:
        base = _latex_base(layered[1])
        braced = f"{{{base}}}" if "^" in base or "_" in base else base
        return f"{braced}^{{[{layered[2]}]}}"
    return _latex_base(symbol)


def _latex_base(name: str) -> str:
    """``W`` → ``\\mathbf{W}``, ``γ`` → ``\\gamma``, ``Ẑ`` → ``\\hat{\\mathbf{Z}}``,
    ``σ²_running`` → ``\\sigma^{2}_{\\mathrm{running}}``."""
    name, _, subscript = name.partition("_")
    power = ""
    if name.endswith("²"):
        name, power = name[:-1], "^{2}"
    decomposed = unicodedata.normalize("NFD", name)
    hat = decomposed.endswith("\u0302")
    core = decomposed.removesuffix("\u0302")
    if core in GREEK:
        latex = MATH[core]
    elif len(core) == 1 and core.isascii() and core.isalpha():
        latex = rf"\mathbf{{{core}}}"
    else:
        latex = rf"\mathrm{{{core}}}"
    if hat:
        latex = rf"\hat{{{latex}}}"
    sub = rf"_{{\mathrm{{{subscript}}}}}" if subscript else ""
    return latex + power + sub


def shape(matrix: Matrix) -> str:
    return f"{len(matrix)}×{len(matrix[0]) if matrix else 0}"


def _grouped(term: str) -> str:
    """``term`` in parentheses when it has several parts, for a text fraction."""
    return f"({term})" if " " in term and not term.startswith("√") else term


class Writer:
    """What differs between the formats: headings, equations, matrices and notation."""

    latex = False
    odot, minus = " ⊙ ", "−"
    mean, total = "(1/m)", "Σ_samples"

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.lines: list[str] = []

    def title(self, text: str) -> None:
        self.lines.append(text)

    def paragraph(self, text: str) -> None:
        self.lines.append(text)

    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        self.lines.append(text if level > 1 else f"── {text} " + "─" * max(0, 60 - len(text)))

    def group(self, symbol: str) -> None:
        """A label before the lines about one symbol (already in this format)."""
        self.lines.append(f"  {symbol}:")

    def sym(self, symbol: str) -> str:
        """A symbol in the documents' text notation, in this format."""
        return symbol

    def pick(self, text: str, latex: str) -> str:
        """The text or the LaTeX form of a piece of formula, for this format."""
        return latex if self.latex else text

    def transpose(self, symbol: str) -> str:
        return f"{symbol}ᵀ"

    def func(self, name: str, argument: str, prime: bool = False) -> str:
        mark = "'" if prime else ""
        return f"{name}{mark}({argument})"

    def frac(self, top: str, bottom: str) -> str:
        return f"{_grouped(top)} / {_grouped(bottom)}"

    def sqrt(self, argument: str) -> str:
        return f"√({argument})"

    def equation(self, left: str, formula: str, matrix: Matrix | None, note: str = "") -> None:
        """``left = formula = matrix`` (``formula`` may be empty), with its shape; ``left``
        may be a whole statement such as ``m ← β₁ m + (1 − β₁) g``."""
        size = f"  ({shape(matrix)})" if matrix is not None else ""
        rhs = f" = {formula}" if formula else ""
        self.lines.append(f"  {left}{rhs}{size}" + (f"   [{note}]" if note else ""))
        if matrix is not None:
            cells = [[number(v, self.digits) for v in row] for row in matrix]
            width = max(len(c) for row in cells for c in row)
            for row in cells:
                self.lines.append("      [ " + "  ".join(c.rjust(width) for c in row) + " ]")

    def array(
        self,
        left: str,
        formula: str,
        value: Any,
        note: str = "",
        axes: tuple[str, str] = ("sample", "channel"),
    ) -> None:
        """:meth:`equation` for a matrix, or for 4-D maps (``axes`` names their first two
        axes): the shape, then one grid per sample and channel when they are small, or
        summary statistics when they are not (see :mod:`~glassnet.inspect.trace_maps`)."""
        if not is_maps(value):
            self.equation(left, formula, value, note)
            return
        shown = grids(value, axes)
        size = shape_note(value, axes)
        if shown is None:
            details = "; ".join(filter(None, [note, size, summary(value, self.digits)]))
            self.equation(left, formula, None, details)
            return
        self.equation(left, formula, None, "; ".join(filter(None, [note, size])))
        # An update rule's statement ("W ← W − α g") is written once; its grids are W's.
        name = re.split(r" ← | \\leftarrow ", left)[0]
        for place, grid in shown:
            self.equation(name, "", grid, place)

    def scalar(self, left: str, formula: str, value: float) -> None:
        """``left = formula = value`` (``formula`` may be empty)."""
        middle = f" = {formula}" if formula else ""
        self.lines.append(f"  {left}{middle} = {number(value, self.digits)}")


class Latex(Writer):
    latex = True
    odot, minus = r" \odot ", "-"
    mean, total = r"\frac{1}{m}", r"\sum_{\text{samples}}"
    math_open, math_close = r"\[", r"\]"

    def title(self, text: str) -> None:
        self.lines.append(rf"\section*{{{latex_text(text)}}}")

    def paragraph(self, text: str) -> None:
        self.lines.append("")
        self.lines.append(latex_text(text))

    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        command = r"\subsection*" if level == 1 else r"\paragraph"
        self.lines.append(f"{command}{{{latex_text(text)}}}")

    def group(self, symbol: str) -> None:
        self.lines.append("")
        self.lines.append(rf"\noindent For \({symbol}\):")

    def sym(self, symbol: str) -> str:
        return latex_symbol(symbol)

    def transpose(self, symbol: str) -> str:
        return f"{{{symbol}}}^{{\\top}}"

    def func(self, name: str, argument: str, prime: bool = False) -> str:
        mark = "'" if prime else ""
        return rf"\mathrm{{{name}}}{mark}({argument})"

    def frac(self, top: str, bottom: str) -> str:
        return rf"\frac{{{top}}}{{{bottom}}}"

    def sqrt(self, argument: str) -> str:
        return rf"\sqrt{{{argument}}}"

    def matrix(self, matrix: Matrix) -> str:
        rows = [" & ".join(latex_number(v, self.digits) for v in row) for row in matrix]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"

    def display(self, body: str) -> None:
        self.lines.append(f"{self.math_open} {body} {self.math_close}")

    def equation(self, left: str, formula: str, matrix: Matrix | None, note: str = "") -> None:
        body = f"{left} = {formula}" if formula else left
        if matrix is not None:
            size = shape(matrix).replace("×", r" \times ")
            body += f" = {self.matrix(matrix)}_{{{size}}}"
        if note:
            body += rf" \quad {latex_note(f'({note})')}"
        self.display(body)

    def scalar(self, left: str, formula: str, value: float) -> None:
        middle = f" = {formula}" if formula else ""
        self.display(f"{left}{middle} = {latex_number(value, self.digits)}")


class Markdown(Latex):
    math_open, math_close = "$$", "$$"

    def title(self, text: str) -> None:
        self.lines.append(f"# {text}")

    def paragraph(self, text: str) -> None:
        self.lines.append("")
        self.lines.append(text)

    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        self.lines.append("#" * (level + 1) + " " + text)
        self.lines.append("")

    def group(self, symbol: str) -> None:
        self.lines.append("")
        self.lines.append(f"For ${symbol}$:")
        self.lines.append("")
