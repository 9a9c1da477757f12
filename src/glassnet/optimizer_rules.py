"""The update rules written out, as text and as LaTeX, for the glass box.

:mod:`glassnet.optimizers` computes each rule; this table says it in the documents'
symbols, line by line, so that a trace or a report can print a step with its numbers.
"""

from __future__ import annotations

from typing import NamedTuple


class RuleLine(NamedTuple):
    """One line of an update rule for a parameter ``θ`` with gradient ``g``, as text and as
    LaTeX, where ``$theta`` and ``$g`` stand for their symbols (``string.Template``);
    ``key`` names the quantity of :meth:`Optimizer.explain` that the line computes."""

    key: str
    text: str
    latex: str


_VELOCITY = RuleLine("velocity", "v ← μ v + $g", r"v \leftarrow \mu v + $g")
_ADAM = (
    RuleLine("t", "t", "t"),
    RuleLine("bias1", "1 − β₁ᵗ", r"1 - \beta_1^{t}"),
    RuleLine("bias2", "1 − β₂ᵗ", r"1 - \beta_2^{t}"),
    RuleLine("m", "m ← β₁ m + (1 − β₁) $g", r"m \leftarrow \beta_1 m + (1 - \beta_1) $g"),
    RuleLine(
        "v", "v ← β₂ v + (1 − β₂) $g ⊙ $g", r"v \leftarrow \beta_2 v + (1 - \beta_2) $g \odot $g"
    ),
    RuleLine("m_hat", "m̂ = m / (1 − β₁ᵗ)", r"\hat{m} = \frac{m}{1 - \beta_1^{t}}"),
    RuleLine("v_hat", "v̂ = v / (1 − β₂ᵗ)", r"\hat{v} = \frac{v}{1 - \beta_2^{t}}"),
)
_ADAM_STEP = RuleLine("step", "α m̂ / (√v̂ + ε)", r"\frac{\alpha \hat{m}}{\sqrt{\hat{v}} + \epsilon}")
_DECAY = RuleLine("decay", "α λ_w $theta", r"\alpha \lambda_w $theta")
RULES: dict[str, tuple[RuleLine, ...]] = {
    "sgd": (RuleLine("step", "α $g", r"\alpha $g"),),
    "momentum": (_VELOCITY, RuleLine("step", "α v", r"\alpha v")),
    "nesterov": (_VELOCITY, RuleLine("step", "α ($g + μ v)", r"\alpha ($g + \mu v)")),
    "adagrad": (
        RuleLine("sum_squares", "G ← G + $g ⊙ $g", r"G \leftarrow G + $g \odot $g"),
        RuleLine("step", "α $g / (√G + ε)", r"\frac{\alpha $g}{\sqrt{G} + \epsilon}"),
    ),
    "rmsprop": (
        RuleLine(
            "mean_square",
            "s ← ρ s + (1 − ρ) $g ⊙ $g",
            r"s \leftarrow \rho s + (1 - \rho) $g \odot $g",
        ),
        RuleLine("step", "α $g / (√s + ε)", r"\frac{\alpha $g}{\sqrt{s} + \epsilon}"),
    ),
    "adam": (*_ADAM, _ADAM_STEP),
    "adamw": (*_ADAM[:3], _DECAY, *_ADAM[3:], _ADAM_STEP),
}
"""Each rule's lines in the order computed, before ``θ ← θ − step`` (AdamW: ``θ ← θ − decay −
step``): the glass box writes these out with the numbers of :meth:`Optimizer.explain`."""
TITLES = {"sgd": "gradient descent", "momentum": "gradient descent with momentum"}
TITLES |= {"nesterov": "gradient descent with Nesterov momentum", "adagrad": "Adagrad"}
TITLES |= {"rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
