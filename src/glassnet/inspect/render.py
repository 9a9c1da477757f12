"""Rendering a :class:`~glassnet.inspect.trace.Trace` as text, Markdown or LaTeX.

Each step is written as document 003 writes its walkthrough, for whatever layers the
network has: ``Z^[l] = W^[l] A^[l−1] + b^[l]`` and ``A^[l] = f(Z^[l])`` (with batch norm
``Ẑ^[l]`` and ``BN(Z^[l]) = γ ⊙ Ẑ + β`` between them; dropout's mask ``M^[l]``), the loss
with its L2 and L1 terms, ``δ^[L]`` and how it was formed, ``δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙
f'(Z^[l])``, ``∂J/∂W^[l] = (1/m) δ^[l] A^[l−1]ᵀ + (λ/m) W^[l] + (λ₁/m) sign(W^[l])``,
``∂J/∂b^[l] = (1/m) Σ δ^[l]`` (and ``∂J/∂γ``, ``∂J/∂β``), then the optimizer's rule line by
line with its numbers, each matrix with its shape.

What the layout knows of a layer is its record's keys (``Z``, ``Z_hat``, ``mask``, …), its
parameters and its notation; an array it has no formula for is still shown, by its name.
The cost is ``L`` as in document 003, or ``J`` (document 001) when L2 or L1 is on.

Convolutional layers are written the same way, with ``Z^[l] = W^[l] ∗ A^[l−1] + b^[l]``,
``δ^[l] = ∂L/∂A^[l] ⊙ f'(Z^[l])`` (``∂L/∂A^[l]`` routed back through the pooling and
flatten layers above, or ``rot180(W^[l+1]) ∗_full δ^[l+1]``), ``∂L/∂W^[l] = (1/m)
A^[l−1] ⋆ δ^[l]`` and ``∂L/∂b^[l] = (1/m) Σ δ^[l]`` over samples and positions; their
maps are printed as grids, one per sample and channel (:mod:`.trace_maps`).
"""

from __future__ import annotations

from functools import partial
from string import Template
from typing import Any

from ..validation import check_integer, printable
from .render_formats import Latex, Markdown, Writer
from .trace import LayerInfo, Trace, TraceStep, describe_network
from .trace_maps import IMAGE_KINDS, POOLS, incoming_note, is_maps, window_text

WRITERS: dict[str, type[Writer]] = {"text": Writer, "markdown": Markdown, "latex": Latex}
FILTERS = ("filter", "channel")
"""The first two axes of a convolution's ``W`` and ``∂L/∂W``."""
LATEX_DOCUMENT = (r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}")
MAX_DIGITS = 17
"""Significant digits enough to write any float64 exactly; more would print rounding noise."""


def check_digits(name: str, digits: object) -> int:
    """``digits`` as an int from 1 to :data:`MAX_DIGITS`, else an error naming ``name``."""
    return check_integer(name, digits, low=1, high=MAX_DIGITS)


def render(trace: Trace, fmt: str = "text", digits: int = 6) -> str:
    """The trace as ``"text"``, ``"markdown"`` or ``"latex"`` (numbers to ``digits``
    significant digits; the JSON keeps full precision). The LaTeX is a whole document for
    LaTeX with amsmath; the Markdown's equations are ``$$ … $$`` blocks."""
    if fmt not in WRITERS:
        raise ValueError(f"format must be one of text, markdown, latex, json; got {fmt!r}")
    page = _Page(trace, WRITERS[fmt](check_digits("digits", digits)))
    page.preamble()
    for step in trace.steps:
        page.step(step)
    body = "\n".join(page.w.lines).strip() + "\n"
    if fmt == "latex":
        return "\n".join([*LATEX_DOCUMENT, "", body, r"\end{document}"]) + "\n"
    return body


class _Page:
    """The layout of a trace, written once for every format."""

    def __init__(self, trace: Trace, writer: Writer) -> None:
        self.trace, self.w = trace, writer
        self.regularized = bool(trace.l2 or trace.l1)
        self.cost = "J" if self.regularized else "L"

    def sym(self, info: LayerInfo, key: str) -> str:
        """The symbol of ``key`` of a layer, with gradients of the cost ``L`` or ``J``."""
        if key.startswith("d") and key[1:] in info.params:
            return self.w.sym(f"∂{self.cost}/∂{info.symbol(key[1:])}")
        return self.w.sym(info.symbol(key))

    # -- the whole trace --------------------------------------------------------------

    def preamble(self) -> None:
        trace, w = self.trace, self.w
        m = len(trace.Y[0])
        # A trace's name and description may come from a file: printed without the control
        # characters that would drive the terminal.
        w.title(printable(trace.name) or "glassnet trace")
        if trace.description:
            w.paragraph(printable(trace.description))
        network = describe_network(trace.layers, trace.loss.description, trace.l2, trace.l1)
        w.paragraph(f"{network}; {trace.rule_description}; m = {m} sample{'s' * (m != 1)}")
        w.heading("initial parameters", 2)
        for info, entry in zip(self._with_params(), trace.initial, strict=True):
            for name in info.params:
                w.array(self.sym(info, name), "", entry[name], axes=FILTERS)
        note = "inputs, one column per sample"
        if is_maps(trace.X):
            note = "inputs"
        elif len(trace.input_shape) > 1:
            grid = "×".join(map(str, trace.input_shape))
            note += f"; each sample's {grid} values in one column, row by row"
        w.array(w.sym("A^[0]"), w.sym("X"), trace.X, note)
        w.equation(w.sym("Y"), "", trace.Y, "targets")

    def step(self, step: TraceStep) -> None:
        w, layers = self.w, self.trace.layers
        w.heading(f"step {step.step}", 1)
        w.heading("forward propagation (BP step 1)", 2)
        for info, entry in zip(layers, step.forward, strict=True):
            for key in info.forward_keys:
                if key in entry:
                    self.forward(info, key, entry)
        w.heading("loss", 2)
        self.loss(step)
        w.heading("backpropagation (BP steps 2–4)", 2)
        backward = [info for info in reversed(layers) if info.backward_keys]
        for info, entry in zip(backward, step.backward, strict=True):
            for key in info.backward_keys:
                if key in entry:
                    self.backward(info, key, entry)
        w.heading(f"update ({self.trace.rule_description})", 2)
        self.update(step)

    def _with_params(self) -> list[LayerInfo]:
        return [info for info in self.trace.layers if info.params]

    # -- forward propagation ----------------------------------------------------------

    def forward(self, info: LayerInfo, key: str, entry: dict[str, Any]) -> None:
        w, matrix = self.w, entry[key]
        s = partial(self.sym, info)
        before = w.sym(info.input_symbol)
        if key == "Z" and info.kind == "conv2d":
            conv = w.pick(" ∗ ", r" \ast ")
            w.array(s("Z"), f"{s('W')}{conv}{before} + {s('b')}", matrix, window_text(info))
        elif key == "A" and info.kind in POOLS:
            w.array(s(key), "", matrix, f"{POOLS[info.kind]} of {window_text(info)}")
        elif key == "mask" and info.kind in POOLS:
            note = "how many windows took each entry of the input as their max"
            w.array(s(key), "", matrix, note)
        elif key == "Z" and {"W", "b"} <= set(info.params):
            w.equation(s("Z"), f"{s('W')} {before} + {s('b')}", matrix)
        elif key == "Z_hat":  # a dense layer's Z, or the input of batch norm on its own
            inner = s("Z") if "Z" in info.forward_keys else before
            normal = w.frac(f"{inner} {w.minus} {self._mu()}", w.sqrt(self._variance()))
            over = "channel over the batch and positions" if info.kind in IMAGE_KINDS else ""
            w.array(s(key), normal, matrix, f"μ and σ² of each {over or 'unit over the batch'}")
        elif key == "BN":
            w.array(s(key), f"{s('gamma')}{w.odot}{s('Z_hat')} + {s('beta')}", matrix)
        elif key == "A" and info.activation is not None:
            inner = s("BN") if "BN" in info.forward_keys else s("Z")
            w.array(s(key), w.func(info.activation, inner), matrix)
        elif key == "mask":
            rate = info.config.get("rate")
            note = "1 = kept, 0 = dropped" + (f"; p = {rate:g}" if rate is not None else "")
            w.equation(s(key), "", matrix, note)
        elif key == "A" and "mask" in entry and info.kind not in POOLS:
            scale = f" / (1 {w.minus} p)"
            w.equation(s(key), f"{before}{w.odot}{s('mask')}{scale}", matrix)
        else:
            note = ""
            if key == "A" and info.input_shape != info.output_shape:
                grid = "×".join(map(str, info.input_shape))
                note = f"each sample's {grid} values as one column of {info.output_shape[0]}"
            w.array(s(key), "", matrix, note)

    def _mu(self) -> str:
        return self.w.pick("μ", r"\mu")

    def _variance(self) -> str:
        return self.w.pick("σ² + ε", r"\sigma^{2} + \epsilon")

    # -- the loss ---------------------------------------------------------------------

    def loss(self, step: TraceStep) -> None:
        trace, w = self.trace, self.w
        formula = w.pick(*trace.loss.formula)
        if not step.loss_terms:
            w.scalar("L", formula, step.loss)
            return
        w.scalar("L", formula, step.loss_terms["data"])
        names = sorted({name for info in trace.layers for name in info.regularized})
        terms = ["L"]
        for key, on in (("l2", trace.l2), ("l1", trace.l1)):
            if on:
                term = " + ".join(self._penalty(key, name) for name in names)
                w.scalar(term, "", step.loss_terms[key])
                terms.append(term)
        w.scalar("J", " + ".join(terms), step.loss)

    def _penalty(self, key: str, name: str) -> str:
        symbol = self.w.sym(f"{name}^[l]")
        if key == "l2":
            return self.w.pick(
                f"λ/(2m) Σ_l ‖{symbol}‖²", rf"\frac{{\lambda}}{{2m}} \sum_l \|{symbol}\|^{{2}}"
            )
        return self.w.pick(
            f"(λ₁/m) Σ_l Σ|{symbol}|", rf"\frac{{\lambda_1}}{{m}} \sum_l \sum |{symbol}|"
        )

    # -- backpropagation --------------------------------------------------------------

    def backward(self, info: LayerInfo, key: str, entry: dict[str, Any]) -> None:
        if key == "delta":
            self.delta(info, entry)
        elif key.startswith("d") and key[1:] in info.params:
            self.gradient(info, key[1:], entry)
        else:
            self.w.array(self.sym(info, key), "", entry[key])

    def delta(self, info: LayerInfo, entry: dict[str, Any]) -> None:
        trace, w = self.trace, self.w
        s = partial(self.sym, info)
        f = info.activation or "f"
        if info.index == len(trace.layers) - 1:  # BP step 2: the output layer
            if trace.fused:
                formula = f"{s('A')} {w.minus} {w.sym('Y')}"
                note = f"{f} output with {trace.loss.description}: f'(Z) cancels"
            else:
                dA = w.sym(f"∂L/∂{info.symbol('A')}")
                formula = f"{dA}{w.odot}{w.func(f, s('Z'), prime=True)}"
                note = f"∂L/∂ŷ = {trace.loss.gradient_formula[0]}, per sample"
            w.equation(s("delta"), formula, entry["delta"], note)
            return
        incoming, note = self._incoming(info)
        if "BN" not in info.forward_keys:  # BP step 3
            formula = f"{incoming}{w.odot}{w.func(f, s('Z'), prime=True)}"
            w.array(s("delta"), formula, entry["delta"], note)
            return
        # Batch norm: first the gradient at BN(Z), then back through the normalization.
        G, Zh = self._G(info), s("Z_hat")
        at_bn = f"{incoming}{w.odot}{w.func(f, s('BN'), prime=True)}"
        w.equation(G, at_bn, None, note or "the gradient at BN(Z), per sample")
        mean = partial(w.func, "mean")
        scale = w.frac(s("gamma"), w.sqrt(self._variance()))
        inner = f"{G} {w.minus} {mean(G)} {w.minus} {Zh}{w.odot}{mean(G + w.odot + Zh)}"
        w.array(s("delta"), f"{scale}{w.odot}({inner})", entry["delta"], "means over the batch")

    def _G(self, info: LayerInfo) -> str:
        return self.w.sym(f"G^[{info.l}]")

    def _incoming(self, info: LayerInfo) -> tuple[str, str]:
        """``∂L/∂A^[l]`` per sample as the layers above form it: ``(W^[l+1]ᵀ δ^[l+1])``,
        through any dropout masks in between; for image layers ``rot180(W^[l+1]) ∗_full
        δ^[l+1]``, or ``∂L/∂A^[l]`` with a note that says how pooling and flatten route it.
        Returns the formula and the note (empty when the formula says it all)."""
        w, layers = self.w, self.trace.layers
        above = next((u for u in layers[info.index + 1 :] if u.params), None)
        if above is None or "W" not in above.params or "delta" not in above.backward_keys:
            return w.sym(f"∂L/∂{info.symbol('A')}"), ""
        between = layers[info.index + 1 : above.index]
        if above.kind == "conv2d" and not between:
            W, delta = self.sym(above, "W"), self.sym(above, "delta")
            full = w.pick(
                f"(rot180({W}) ∗_full {delta})",
                rf"(\mathrm{{rot180}}({W}) \ast_{{\mathrm{{full}}}} {delta})",
            )
            return full, ""
        if any(u.kind in IMAGE_KINDS for u in [info, *between, above]):
            return w.sym(f"∂L/∂{info.symbol('A')}"), incoming_note(info, between, above)
        text = f"({w.transpose(self.sym(above, 'W'))} {self.sym(above, 'delta')})"
        for layer in between:
            if "mask" in layer.forward_keys:
                text += f"{w.odot}{self.sym(layer, 'mask')} / (1 {w.minus} p)"
        return text, ""

    def gradient(self, info: LayerInfo, name: str, entry: dict[str, Any]) -> None:
        """BP step 4: ``∂J/∂θ`` of one parameter, with its L2 and L1 parts."""
        w = self.w
        s = partial(self.sym, info)
        formula = ""
        if "delta" in entry and info.kind == "conv2d":
            star, where = (
                w.pick(" ⋆ ", r" \star "),
                w.pick("samples, positions", r"\text{samples, positions}"),
            )
            total = w.total.replace("samples", where) if not w.latex else rf"\sum_{{{where}}}"
            formula = f"{w.mean} {w.sym(info.input_symbol)}{star}{s('delta')}"
            formula = formula if name == "W" else f"{w.mean} {total} {s('delta')}"
        elif "delta" in entry and name == "W":
            formula = f"{w.mean} {s('delta')} {w.transpose(w.sym(info.input_symbol))}"
        elif "delta" in entry and name == "b":
            formula = f"{w.mean} {w.total} {s('delta')}"
        elif "BN" in info.forward_keys and name in ("gamma", "beta"):
            G = self._G(info)
            product = f"{G}{w.odot}{s('Z_hat')}" if name == "gamma" else G
            formula = f"{w.mean} {w.total} {product}"
        parts = []
        if f"d{name}_l2" in entry:
            l2 = w.pick(f"(λ/m) {s(name)}", rf"\frac{{\lambda}}{{m}} {s(name)}")
            parts.append((l2, entry[f"d{name}_l2"]))
        if f"d{name}_l1" in entry:
            sign = w.pick(
                f"(λ₁/m) sign({s(name)})",
                rf"\frac{{\lambda_1}}{{m}} \operatorname{{sign}}({s(name)})",
            )
            parts.append((sign, entry[f"d{name}_l1"]))
        formula = " + ".join([formula, *(term for term, _ in parts)]) if formula else formula
        w.array(s(f"d{name}"), formula, entry[f"d{name}"], axes=FILTERS)
        for term, matrix in parts:
            w.array(term, "", matrix, axes=FILTERS)

    # -- the update -------------------------------------------------------------------

    def update(self, step: TraceStep) -> None:
        """The optimizer's rule, line by line, with the numbers of each parameter."""
        w, rule = self.w, self.trace.rule
        for line in rule:
            if line.key in step.update:  # the rule's scalars: Adam's t and 1 − βᵗ
                w.scalar(w.pick(line.text, line.latex), "", step.update[line.key])
        lines = [line for line in rule if line.key not in step.update]
        for info, entry in zip(self._with_params(), step.params, strict=True):
            for name in info.params:
                theta, g = self.sym(info, name), self.sym(info, f"d{name}")
                quantities = entry.get("update", {}).get(name, {})
                if len(lines) > 2:
                    w.group(theta)
                for line in lines:
                    matrix = entry[name] if line.key == "theta" else quantities.get(line.key)
                    if matrix is not None:
                        text = Template(w.pick(line.text, line.latex)).substitute(theta=theta, g=g)
                        w.array(text, "", matrix, axes=FILTERS)
