"""Rendering a :class:`~glassnet.inspect.trace.Trace` as text, Markdown or LaTeX.

Each step is written as document 003 writes its walkthrough: ``Z^[l] = W^[l] A^[l−1] +
b^[l]`` and ``A^[l] = f(Z^[l])`` for each layer, the loss, ``δ^[L]`` and how it was
formed, ``δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙ f'(Z^[l])``, ``∂L/∂W^[l] = (1/m) δ^[l] A^[l−1]ᵀ``,
``∂L/∂b^[l] = (1/m) Σ δ^[l]``, and the update, each matrix with its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .trace import Matrix, Trace

LOSS_FORMULAS = {
    "mse": (
        "L = (1/m) Σ ½‖ŷ − y‖²",
        r"L = \frac{1}{m}\sum_i \tfrac12 \lVert \hat y_i - y_i \rVert^2",
    ),
    "bce": (
        "L = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)]",
        r"L = -\frac{1}{m}\sum_i \left[y_i \log \hat y_i + (1 - y_i)\log(1 - \hat y_i)\right]",
    ),
    "cce": (
        "L = −(1/m) Σ Σ_k y_k log ŷ_k",
        r"L = -\frac{1}{m}\sum_i \sum_k y_{ik} \log \hat y_{ik}",
    ),
}
LOSS_NAMES = {
    "mse": "mean squared error",
    "bce": "binary cross-entropy",
    "cce": "categorical cross-entropy",
}


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


def _shape(matrix: Matrix) -> str:
    return f"{len(matrix)}×{len(matrix[0]) if matrix else 0}"


class _Writer:
    """What differs between the formats: how a symbol, an equation and a matrix look."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.lines: list[str] = []

    def heading(self, text: str, level: int) -> None:
        raise NotImplementedError

    def equation(
        self, left: str, formula: str, matrix: Matrix | None, note: str = "", relation: str = "="
    ) -> None:
        """``left relation formula = matrix`` (``formula`` may be empty), with its shape."""
        raise NotImplementedError

    def scalar(self, left: str, formula: str, value: float) -> None:
        raise NotImplementedError

    def symbol(self, name: str, layer: int | str, prime: bool = False) -> str:
        raise NotImplementedError


class _Text(_Writer):
    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        self.lines.append(text if level > 1 else f"── {text} " + "─" * max(0, 60 - len(text)))

    def symbol(self, name: str, layer: int | str, prime: bool = False) -> str:
        return {"dW": f"∂L/∂W^[{layer}]", "db": f"∂L/∂b^[{layer}]", "delta": f"δ^[{layer}]"}.get(
            name, f"{name}^[{layer}]"
        )

    def equation(
        self, left: str, formula: str, matrix: Matrix | None, note: str = "", relation: str = "="
    ) -> None:
        shape = f"  ({_shape(matrix)})" if matrix is not None else ""
        rhs = f" {relation} {formula}" if formula else ""
        self.lines.append(f"  {left}{rhs}{shape}" + (f"   [{note}]" if note else ""))
        if matrix is not None:
            cells = [[_number(v, self.digits) for v in row] for row in matrix]
            width = max(len(c) for row in cells for c in row)
            for row in cells:
                self.lines.append("      [ " + "  ".join(c.rjust(width) for c in row) + " ]")

    def scalar(self, left: str, formula: str, value: float) -> None:
        self.lines.append(f"  {left} = {formula} = {_number(value, self.digits)}")


class _Latex(_Writer):
    math_open, math_close = r"\[", r"\]"

    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        self.lines.append((r"\subsection*{" if level == 1 else r"\paragraph{") + text + "}")

    def symbol(self, name: str, layer: int | str, prime: bool = False) -> str:
        return {
            "dW": rf"\frac{{\partial L}}{{\partial \mathbf{{W}}^{{[{layer}]}}}}",
            "db": rf"\frac{{\partial L}}{{\partial \mathbf{{b}}^{{[{layer}]}}}}",
            "delta": rf"\delta^{{[{layer}]}}",
        }.get(name, rf"\mathbf{{{name}}}^{{[{layer}]}}")

    def matrix(self, matrix: Matrix) -> str:
        rows = [" & ".join(_number(v, self.digits) for v in row) for row in matrix]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"

    def equation(
        self, left: str, formula: str, matrix: Matrix | None, note: str = "", relation: str = "="
    ) -> None:
        rel = {"←": r"\leftarrow"}.get(relation, relation)
        body = f"{left} {rel} {formula}" if formula else left
        if matrix is not None:
            shape = _shape(matrix).replace("×", r" \times ")
            body += f" = {self.matrix(matrix)}_{{{shape}}}"
        if note:
            body += rf" \quad \text{{({note})}}"
        self.lines.append(f"{self.math_open} {body} {self.math_close}")

    def scalar(self, left: str, formula: str, value: float) -> None:
        self.lines.append(
            f"{self.math_open} {left} = {formula} = {_number(value, self.digits)} {self.math_close}"
        )


class _Markdown(_Latex):
    math_open, math_close = "$$", "$$"

    def heading(self, text: str, level: int) -> None:
        self.lines.append("")
        self.lines.append("#" * (level + 1) + " " + text)
        self.lines.append("")


def render(trace: Trace, fmt: str = "text", digits: int = 6) -> str:
    """The trace as ``"text"``, ``"markdown"`` or ``"latex"`` (numbers to ``digits``
    significant digits; the JSON keeps full precision)."""
    writers: dict[str, Callable[[int], _Writer]] = {
        "text": _Text,
        "markdown": _Markdown,
        "latex": _Latex,
    }
    if fmt not in writers:
        raise ValueError(f"format must be one of text, markdown, latex, json; got {fmt!r}")
    out = writers[fmt](digits)
    latex = fmt != "text"
    _preamble(out, trace, latex)
    for step in trace.steps:
        _step(out, trace, step, latex)
    return "\n".join(out.lines).strip() + "\n"


def _preamble(out: _Writer, trace: Trace, latex: bool) -> None:
    sizes = [len(trace.X)] + [len(p["W"]) for p in trace.initial]
    m = len(trace.X[0])
    title = trace.name or "glassnet trace"
    if isinstance(out, _Markdown):
        out.lines.append(f"# {title}")
    elif latex:
        out.lines.append(rf"\section*{{{title}}}")
    else:
        out.lines.append(title)
    if trace.description:
        out.lines.append(trace.description)
    summary = (
        f"{'-'.join(map(str, sizes))} network ({', '.join(trace.activations)}), "
        f"{LOSS_NAMES[trace.loss_name]} loss, {_rule(trace)}, m = {m} sample{'s' if m != 1 else ''}"
        + (f", L2 λ = {trace.l2:g}" if trace.l2 else "")
    )
    if latex:  # plain LaTeX has no α or λ outside math mode
        summary = summary.replace("α = ", r"$\alpha$ = ").replace("λ = ", r"$\lambda$ = ")
    out.lines.append(summary)
    out.heading("initial parameters", 2)
    for p in trace.initial:
        out.equation(out.symbol("W", p["layer"]), "", p["W"])
        out.equation(out.symbol("b", p["layer"]), "", p["b"])
    out.equation(out.symbol("A", 0), "X", trace.X, "inputs, one column per sample")
    out.equation("Y", "", trace.Y, "targets")


def _rule(trace: Trace) -> str:
    config = trace.optimizer
    if config.get("name") == "sgd" and not config.get("momentum"):
        return f"gradient descent α = {config['learning_rate']:g}"
    settings = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in config.items()
        if k != "name"
    )
    return f"{config['name']} ({settings})"


def _step(out: _Writer, trace: Trace, step: Any, latex: bool) -> None:
    L = len(trace.activations)
    out.heading(f"step {step.step}", 1)
    out.heading("forward propagation (BP step 1)", 2)
    for entry in step.forward:
        l, f = entry["layer"], trace.activations[entry["layer"] - 1]
        Z, A, W, b, A_prev = (
            out.symbol(n, i) for n, i in (("Z", l), ("A", l), ("W", l), ("b", l), ("A", l - 1))
        )
        out.equation(Z, f"{W} {A_prev} + {b}", entry["Z"])
        fname = rf"\mathrm{{{f}}}" if latex else f
        out.equation(A, f"{fname}({Z})", entry["A"])
    formula = LOSS_FORMULAS[trace.loss_name][1 if latex else 0]
    if trace.l2:
        formula += (
            r" + \frac{\lambda}{2m}\sum_l \lVert \mathbf{W}^{[l]} \rVert^2"
            if latex
            else " + λ/(2m) Σ_l ‖W^[l]‖²"
        )
    out.heading("loss", 2)
    out.scalar(
        "J" if trace.l2 else "L",
        formula.split(" = ", 1)[1] if not latex else formula.split("=", 1)[1],
        step.loss,
    )
    out.heading("backpropagation (BP steps 2–4)", 2)
    dot = r" \odot " if latex else " ⊙ "
    minus = "-" if latex else "−"
    for entry in step.backward:
        l = entry["layer"]
        f = trace.activations[l - 1]
        delta, Z = out.symbol("delta", l), out.symbol("Z", l)
        fprime = (rf"\mathrm{{{f}}}'" if latex else f"{f}'") + f"({Z})"
        if l == L:
            if trace.fused:
                formula, note = (
                    f"{out.symbol('A', L)} {minus} Y",
                    f"{f} output with {LOSS_NAMES[trace.loss_name]}: f'(Z) cancels",
                )
            else:
                dLdA = (
                    r"\frac{\partial L}{\partial \mathbf{A}^{[" + str(L) + "]}}"
                    if latex
                    else f"∂L/∂A^[{L}]"
                )
                formula, note = f"{dLdA}{dot}{fprime}", "document 003, BP step 2, case 1"
        else:
            W_next = out.symbol("W", l + 1) + (r"^{\top}" if latex else "ᵀ")
            formula, note = f"({W_next} {out.symbol('delta', l + 1)}){dot}{fprime}", ""
        out.equation(delta, formula, entry["delta"], note)
        A_prev_T = out.symbol("A", l - 1) + (r"^{\top}" if latex else "ᵀ")
        mean = r"\frac{1}{m}" if latex else "(1/m)"
        reg = (
            (rf" + \frac{{\lambda}}{{m}} {out.symbol('W', l)}" if latex else f" + (λ/m) W^[{l}]")
            if trace.l2
            else ""
        )
        out.equation(out.symbol("dW", l), f"{mean} {delta} {A_prev_T}{reg}", entry["dW"])
        total = r"\sum_{\text{samples}}" if latex else "Σ_samples"
        out.equation(out.symbol("db", l), f"{mean} {total} {delta}", entry["db"])
    rule = _rule(trace)
    out.heading(f"update ({rule})", 2)
    plain = trace.optimizer.get("name") == "sgd" and not trace.optimizer.get("momentum")
    alpha = r"\alpha" if latex else "α"
    minus = "-" if latex else "−"
    for p in step.params:
        l = p["layer"]
        for name, grad in (("W", "dW"), ("b", "db")):
            symbol = out.symbol(name, l)
            formula = f"{symbol} {minus} {alpha} {out.symbol(grad, l)}" if plain else ""
            out.equation(symbol, formula, p[name], relation="←")
