"""Optimizers: each update rule written once, for one parameter array.

An optimizer sees only the parameters and their gradients, ``step(params, grads)``, and
updates the parameters in place. State a rule needs (a velocity, running averages) is kept
per parameter and created on first use; :meth:`Optimizer.state_dict` and
:meth:`Optimizer.load_state_dict` carry it through a checkpoint. Every rule updates in
place through a scratch array (work space, not state): a step allocates nothing here. The
rules and defaults follow PyTorch's ``torch.optim`` (document 003 names momentum, Adagrad,
RMSprop and Adam among the advanced topics). For the glass box each rule is also written
out as text and LaTeX (:data:`RULES`), and :meth:`Optimizer.explain` gives the numbers of
its quantities for one parameter after a step, computed on copies after the fact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from .backend import Array, Flat, holds, views_like, xp
from .kernels import run_compiled
from .optimizer_rules import RULES, TITLES, RuleLine
from .validation import check_non_negative_number, check_positive_number, check_unit_interval


class Optimizer:
    """Base class: :meth:`step` applies :meth:`update` to every parameter."""

    name = "optimizer"
    symbols: ClassVar[dict[str, str]] = {"learning_rate": "α"}
    """The documents' symbols of the settings that :meth:`describe` shows."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_positive_number("learning_rate", learning_rate)
        self.state: dict[int, dict[str, Array]] = {}
        """Per parameter (by position), the arrays its rule keeps: ``{"m": …, "v": …}``."""
        self.iterations = 0
        self._scratch: dict[int, Array] = {}
        # Flat steps: one buffer per state key laid out as the parameters' buffer "θ".
        self._flat: dict[str, Array] = {}

    def step(self, params: Sequence[Array], grads: Sequence[Array], flat: Flat = None) -> None:
        """Update every ``params[i]`` in place from ``grads[i]``. With ``flat = (θ, g)``, 1-D
        buffers whose views at the same offsets they are, the rule runs once over the whole
        (the same numbers: every rule is elementwise), a few calls a step, not a few per array."""
        self.iterations += 1
        if flat is not None and holds(flat, params, grads):
            theta, grad = flat
            if self._flat.get("θ") is not theta:
                self._link_flat(params, theta)
            keys = len(self._flat)
            self.update(theta, grad, self._flat, self._scratch[-1])
            if len(self._flat) != keys:  # state created on first use: share it per parameter
                self._link_flat(params, theta)
            return
        for i, (theta, grad) in enumerate(zip(params, grads, strict=True)):
            scratch = self._scratch.get(i)
            if scratch is None:
                scratch = self._scratch[i] = xp.empty_like(theta)
            self.update(theta, grad, self.state.setdefault(i, {}), scratch)

    def update(self, theta: Array, grad: Array, state: dict[str, Array], scratch: Array) -> None:
        """The rule for one array; ``state`` is that array's own, ``scratch`` a free array of
        ``theta``'s shape."""
        raise NotImplementedError

    def _link_flat(self, params: Sequence[Array], theta: Array) -> None:
        """Gather each state key into one buffer laid out as ``theta``; ``state[i]`` views it."""
        same = self._flat.get("θ") is theta  # keys added on first use: keep the others
        flat: dict[str, Array] = {"θ": theta}
        states = [self.state.setdefault(i, {}) for i in range(len(params))]
        for key in sorted({key for own in states for key in own} | set(self._flat) - {"θ"}):
            buffer = self._flat[key] if same and key in self._flat else xp.zeros_like(theta)
            for own, view in zip(states, views_like(buffer, params, theta), strict=True):
                if key in own and own[key].base is not buffer:
                    view[...] = own[key]
                own[key] = view
            flat[key] = buffer
        self._flat, self._scratch[-1] = flat, xp.empty_like(theta)

    @staticmethod
    def _zeros(state: dict[str, Array], key: str, like: Array) -> Array:
        """``state[key]``, created as zeros shaped like ``like`` on first use."""
        if key not in state:
            state[key] = xp.zeros_like(like)
        return state[key]

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs: the settings, the step count, the current
        learning rate (a schedule may have changed it) and copies of the per-parameter
        arrays under ``"arrays"`` as ``{"<index>.<name>": array}``."""
        return {
            **self.config(),
            "iterations": self.iterations,
            "current_learning_rate": self.learning_rate,
            "arrays": {
                f"{index}.{key}": array.copy()
                for index, own in self.state.items()
                for key, array in own.items()
            },
        }

    def load_state_dict(self, state: dict[str, Any], params: Sequence[Array]) -> None:
        """Restore what :meth:`state_dict` returned, for the parameters ``params``."""
        if state.get("name") != self.name:
            raise ValueError(
                f"the checkpoint was trained with optimizer {state.get('name')!r}, "
                f"not {self.name!r}"
            )
        self.iterations = int(state["iterations"])
        self.learning_rate = float(state["current_learning_rate"])
        self.state, self._flat = {}, {}
        for key, array in state.get("arrays", {}).items():
            index, name = key.split(".", 1)
            i = int(index)
            if not 0 <= i < len(params) or array.shape != params[i].shape:
                raise ValueError(f"the checkpoint's optimizer state {key!r} does not fit")
            self.state.setdefault(i, {})[name] = xp.array(array, dtype=params[i].dtype)

    def config(self) -> dict[str, Any]:
        """The settings that rebuild this optimizer with :func:`get_optimizer`."""
        return {"name": self.name, "learning_rate": self.learning_rate}

    def describe(self) -> str:
        """The rule and its settings in words: ``"Adam α = 0.001, β₁ = 0.9, …"``."""
        config = self.config()
        settings = (f"{s} = {config[key]:g}" for key, s in self.symbols.items() if config[key])
        return f"{TITLES.get(self.rule_name, self.name)} {', '.join(settings)}"

    @property
    def rule_name(self) -> str:
        """This optimizer's entry of :data:`RULES` (its settings may pick a variant)."""
        return self.name

    def rule(self) -> tuple[RuleLine, ...]:
        """The lines of the rule (:data:`RULES`), ending with the update of ``θ``."""
        lines = RULES[self.rule_name]
        steps = [line for line in lines if line.key in ("decay", "step")]
        text = " − ".join(["$theta", *(line.text for line in steps)])
        latex = " - ".join(["$theta", *(line.latex for line in steps)])
        return (*lines, RuleLine("theta", f"$theta ← {text}", rf"$theta \leftarrow {latex}"))

    def explain(self, theta: Array, grad: Array, state: dict[str, Array]) -> dict[str, Any]:
        """The quantities of :meth:`rule` for one parameter after a :meth:`step`: ``theta``
        is the parameter before the step, ``grad`` its gradient and ``state`` its entry of
        :attr:`state` after the step. Arrays are new, shaped like ``theta``; scalars (Adam's
        ``t`` and bias corrections) are floats."""
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Gradient descent ``θ ← θ − α g`` (document 003), with optional momentum.

    With momentum ``μ``: ``v ← μ v + g``, then ``θ ← θ − α v``, or with Nesterov's
    look-ahead ``θ ← θ − α (g + μ v)`` (the form of ``torch.optim.SGD``; ``v`` starts at 0).

    Batch, stochastic or mini-batch gradient descent is the batch size given to
    :func:`~glassnet.training.fit`, not a different optimizer.
    """

    name = "sgd"
    symbols: ClassVar[dict[str, str]] = {"learning_rate": "α", "momentum": "μ"}

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_unit_interval("momentum", momentum)
        if nesterov and not self.momentum:
            raise ValueError("nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)

    def update(self, theta: Array, grad: Array, state: dict[str, Array], scratch: Array) -> None:
        step = scratch
        if self.momentum:
            v = self._zeros(state, "velocity", theta)
            settings = (self.momentum, self.learning_rate, self.nesterov)
            if run_compiled("momentum", (theta, grad, v), settings):  # the same rule, one pass
                return
            v *= self.momentum
            v += grad
            if self.nesterov:
                xp.multiply(v, self.momentum, out=step)
                step += grad
                step *= self.learning_rate
            else:
                xp.multiply(v, self.learning_rate, out=step)
        elif run_compiled("sgd", (theta, grad), (self.learning_rate,)):
            return
        else:
            xp.multiply(grad, self.learning_rate, out=step)
        theta -= step

    def config(self) -> dict[str, Any]:
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}

    @property
    def rule_name(self) -> str:
        return "sgd" if not self.momentum else "nesterov" if self.nesterov else "momentum"

    def explain(self, theta: Array, grad: Array, state: dict[str, Array]) -> dict[str, Any]:
        if not self.momentum:
            return {"step": self.learning_rate * grad}
        v = state["velocity"].copy()
        step = grad + self.momentum * v if self.nesterov else v
        return {"velocity": v, "step": self.learning_rate * step}


class Adagrad(Optimizer):
    """``G ← G + g²``, ``θ ← θ − α g / (√G + ε)``: steps shrink where gradients were large."""

    name = "adagrad"
    symbols: ClassVar[dict[str, str]] = {"learning_rate": "α", "epsilon": "ε"}

    def __init__(self, learning_rate: float = 0.01, epsilon: float = 1e-10) -> None:
        super().__init__(learning_rate)
        self.epsilon = check_positive_number("epsilon", epsilon)

    def update(self, theta: Array, grad: Array, state: dict[str, Array], scratch: Array) -> None:
        G, step = self._zeros(state, "sum_squares", theta), scratch
        xp.multiply(grad, grad, out=step)
        G += step
        _scaled_step(theta, grad, G, self.learning_rate, self.epsilon, step)

    def explain(self, theta: Array, grad: Array, state: dict[str, Array]) -> dict[str, Any]:
        G = state["sum_squares"].copy()
        return {"sum_squares": G, "step": self.learning_rate * grad / (xp.sqrt(G) + self.epsilon)}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """``s ← ρ s + (1 − ρ) g²``, ``θ ← θ − α g / (√s + ε)``: Adagrad with a fading memory."""

    name = "rmsprop"
    symbols: ClassVar[dict[str, str]] = {"learning_rate": "α", "rho": "ρ", "epsilon": "ε"}

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = check_unit_interval("rho", rho)
        self.epsilon = check_positive_number("epsilon", epsilon)

    def update(self, theta: Array, grad: Array, state: dict[str, Array], scratch: Array) -> None:
        s, step = self._zeros(state, "mean_square", theta), scratch
        _moving_average(s, grad, self.rho, step, square=True)
        _scaled_step(theta, grad, s, self.learning_rate, self.epsilon, step)

    def explain(self, theta: Array, grad: Array, state: dict[str, Array]) -> dict[str, Any]:
        s = state["mean_square"].copy()
        return {"mean_square": s, "step": self.learning_rate * grad / (xp.sqrt(s) + self.epsilon)}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with optional decoupled weight decay (AdamW)::

        θ ← θ − α λ θ                                  (only when weight_decay λ > 0)
        m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
        θ ← θ − α m̂ / (√v̂ + ε)       m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

    The bias corrections are folded into the step size, ``α_t = α √(1 − β₂ᵗ) / (1 − β₁ᵗ)``
    and ``ε_t = ε √(1 − β₂ᵗ)`` (the paper's section 2), which is the same update with two
    fewer passes over each array.
    """

    name = "adam"
    default_weight_decay = 0.0
    symbols: ClassVar[dict[str, str]] = {"learning_rate": "α", "beta1": "β₁", "beta2": "β₂"}
    symbols |= {"epsilon": "ε", "weight_decay": "λ_w"}

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float | None = None,
    ) -> None:
        super().__init__(learning_rate)
        self.beta1 = check_unit_interval("beta1", beta1)
        self.beta2 = check_unit_interval("beta2", beta2)
        self.epsilon = check_positive_number("epsilon", epsilon)
        decay = self.default_weight_decay if weight_decay is None else weight_decay
        self.weight_decay = check_non_negative_number("weight_decay", decay)

    def update(self, theta: Array, grad: Array, state: dict[str, Array], scratch: Array) -> None:
        m, v = self._zeros(state, "m", theta), self._zeros(state, "v", theta)
        if self.weight_decay:
            theta *= 1 - self.learning_rate * self.weight_decay
        t = self.iterations
        correction2 = math.sqrt(1 - self.beta2**t)
        alpha_t = self.learning_rate * correction2 / (1 - self.beta1**t)
        keep = (1 - self.beta1, 1 - self.beta2, alpha_t, self.epsilon * correction2)
        if not run_compiled("adam", (theta, grad, m, v), keep):  # the same rule, one pass
            _moving_average(m, grad, self.beta1, scratch)
            _moving_average(v, grad, self.beta2, scratch, square=True)
            _scaled_step(theta, m, v, alpha_t, self.epsilon * correction2, scratch)

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "weight_decay": self.weight_decay,
        }

    @property
    def rule_name(self) -> str:
        return "adamw" if self.weight_decay else "adam"

    def explain(self, theta: Array, grad: Array, state: dict[str, Array]) -> dict[str, Any]:
        """The textbook form, ``m̂ = m / (1 − β₁ᵗ)`` and ``v̂ = v / (1 − β₂ᵗ)``, which
        :meth:`update` folds into its step size; the two agree to rounding."""
        t = self.iterations
        bias1, bias2 = 1 - self.beta1**t, 1 - self.beta2**t
        out: dict[str, Any] = {"t": float(t), "bias1": bias1, "bias2": bias2}
        if self.weight_decay:
            out["decay"] = self.learning_rate * self.weight_decay * theta
        m, v = state["m"].copy(), state["v"].copy()
        m_hat, v_hat = m / bias1, v / bias2
        step = self.learning_rate * m_hat / (xp.sqrt(v_hat) + self.epsilon)
        return out | {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "step": step}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019); ``λ = 0.01`` by default."""

    name = "adamw"
    default_weight_decay = 0.01


def _moving_average(
    avg: Array, grad: Array, decay: float, scratch: Array, square: bool = False
) -> None:
    """``avg ← decay · avg + (1 − decay) · x`` with ``x = g`` or ``g²``, in place."""
    if square:
        xp.multiply(grad, grad, out=scratch)
    else:
        scratch[...] = grad
    # avg + (1 − decay)(x − avg) is the same average in three passes instead of four.
    scratch -= avg
    scratch *= 1 - decay
    avg += scratch


def _scaled_step(
    theta: Array, num: Array, moment: Array, alpha: float, eps: float, scratch: Array
) -> None:
    """``θ ← θ − α · num / (√moment + ε)``, in place (``moment``: a second moment)."""
    xp.sqrt(moment, out=scratch)
    scratch += eps
    xp.divide(num, scratch, out=scratch)
    scratch *= alpha
    theta -= scratch


def clip_gradients(
    grads: Sequence[Array], *, max_norm: float | None = None, max_value: float | None = None
) -> float:
    """Clip gradients in place; return their global L2 norm before clipping.

    By value: each entry into ``[−max_value, max_value]``. By norm: when
    ``‖g‖ = √(Σ_arrays Σ g²)`` exceeds ``max_norm``, every array is scaled by
    ``max_norm / ‖g‖``, which keeps the update's direction (Pascanu et al., 2013).
    """
    if max_value is not None:
        for grad in grads:
            xp.clip(grad, -max_value, max_value, out=grad)
    norm = math.sqrt(sum(float(xp.vdot(grad, grad)) for grad in grads))
    if max_norm is not None and norm > max_norm:
        scale = max_norm / norm
        for grad in grads:
            grad *= scale
    return norm


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW)
}


def get_optimizer(name: str, **settings: Any) -> Optimizer:
    """The optimizer called ``name`` (``'sgd'``, ``'adam'``, …) with ``settings``.

    ``'momentum'`` and ``'nesterov'`` name SGD with momentum 0.9 (plain and Nesterov).
    """
    key = name.lower()
    if key in ("momentum", "nesterov"):
        settings = {"momentum": 0.9, "nesterov": key == "nesterov", **settings}
        key = "sgd"
    if key not in OPTIMIZERS:
        known = ", ".join(sorted([*OPTIMIZERS, "momentum", "nesterov"]))
        raise ValueError(f"unknown optimizer {name!r}; expected one of {known}")
    try:
        return OPTIMIZERS[key](**settings)
    except TypeError as exc:
        raise ValueError(f"optimizer {key!r} does not take the settings {settings}") from exc
