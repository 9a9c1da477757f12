"""Every update rule against the rule re-derived by hand, one scalar at a time, over 3 steps.

The references below are written from the papers' equations with plain Python floats,
independently of the in-place array code (which folds Adam's bias corrections into the
step size and reorders the moving averages).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import get_optimizer

LR = 0.05
GRADS = [[0.5, -1.0, 2.0], [0.25, 0.5, -3.0], [-1.0, 0.0, 1.5]]  # three steps, three weights
THETA0 = [1.0, -0.5, 0.25]


def by_hand(rule, theta0=THETA0, grads=GRADS):
    """Apply ``rule(theta, g, state, t)`` to each weight separately, returning θ after each step."""
    thetas, states, history = list(theta0), [{} for _ in theta0], []
    for t, g_step in enumerate(grads, start=1):
        thetas = [rule(th, g, st, t) for th, g, st in zip(thetas, g_step, states, strict=True)]
        history.append(thetas)
    return history


def sgd(th, g, st, t):
    return th - LR * g


def momentum(th, g, st, t, mu=0.9, nesterov=False):
    st["v"] = mu * st.get("v", 0.0) + g
    return th - LR * (g + mu * st["v"] if nesterov else st["v"])


def adagrad(th, g, st, t, eps=1e-10):
    st["G"] = st.get("G", 0.0) + g * g
    return th - LR * g / (math.sqrt(st["G"]) + eps)


def rmsprop(th, g, st, t, rho=0.9, eps=1e-8):
    st["s"] = rho * st.get("s", 0.0) + (1 - rho) * g * g
    return th - LR * g / (math.sqrt(st["s"]) + eps)


def adam(th, g, st, t, b1=0.9, b2=0.999, eps=1e-8, wd=0.0):
    th = th - LR * wd * th
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    m_hat, v_hat = st["m"] / (1 - b1**t), st["v"] / (1 - b2**t)
    return th - LR * m_hat / (math.sqrt(v_hat) + eps)


CASES = {
    "sgd": ({}, sgd),
    "momentum": ({"momentum": 0.9}, momentum),
    "nesterov": ({"momentum": 0.9, "nesterov": True}, lambda *a: momentum(*a, nesterov=True)),
    "adagrad": ({}, adagrad),
    "rmsprop": ({}, rmsprop),
    "adam": ({}, adam),
    "adamw": ({}, lambda *a: adam(*a, wd=0.01)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_update_rule_matches_the_hand_derivation(name, dtype) -> None:
    settings, rule = CASES[name]
    optimizer = get_optimizer(
        "sgd" if name in ("momentum", "nesterov") else name, learning_rate=LR, **settings
    )
    theta = np.array(THETA0, dtype=dtype)
    expected = by_hand(rule)
    for step, grad in enumerate(GRADS):
        optimizer.step([theta], [np.array(grad, dtype=dtype)])
        assert theta.dtype == dtype
        # float64: the two orders of operations agree to rounding; float32 to its precision.
        tol = 1e-12 if dtype == np.float64 else 2e-6
        np.testing.assert_allclose(theta, expected[step], rtol=tol, atol=tol)


def test_momentum_and_nesterov_shortcuts_name_sgd_with_momentum() -> None:
    assert get_optimizer("momentum").momentum == 0.9 and not get_optimizer("momentum").nesterov
    assert get_optimizer("nesterov", momentum=0.5).nesterov


def test_each_array_keeps_its_own_state() -> None:
    """Two parameters updated together move exactly as if each were alone."""
    a, b = np.array([1.0, 2.0]), np.array([[3.0], [-1.0]])
    together = gn.optimizers.Adam(learning_rate=0.1)
    alone_a, alone_b = np.array([1.0, 2.0]), np.array([[3.0], [-1.0]])
    opt_a, opt_b = gn.optimizers.Adam(learning_rate=0.1), gn.optimizers.Adam(learning_rate=0.1)
    for k in range(3):
        ga, gb = np.array([0.5, -k]), np.array([[k], [1.0]])
        together.step([a, b], [ga, gb])
        opt_a.step([alone_a], [ga])
        opt_b.step([alone_b], [gb])
    np.testing.assert_array_equal(a, alone_a)
    np.testing.assert_array_equal(b, alone_b)


def test_optimizer_settings_are_validated() -> None:
    with pytest.raises(ValueError, match=r"learning_rate must be a number > 0, got -1"):
        gn.optimizers.Adam(learning_rate=-1)
    with pytest.raises(ValueError, match=r"beta1 must be in \[0, 1\), got 1.0"):
        gn.optimizers.Adam(beta1=1.0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        gn.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"nesterov=True needs a momentum > 0"):
        gn.SGD(nesterov=True)
    with pytest.raises(
        ValueError, match=r"unknown optimizer 'lbfgs'; expected one of adagrad, adam"
    ):
        get_optimizer("lbfgs")
    with pytest.raises(
        ValueError, match=r"optimizer 'adam' does not take the settings \{'momentum': 0.9\}"
    ):
        get_optimizer("adam", momentum=0.9)


# -- the rule written out: rule() and explain() for the glass box --------------------------


def by_hand_quantities(name, theta0=THETA0, grads=GRADS, mu=0.9, b1=0.9, b2=0.999):
    """The named quantities of each step, from the papers' equations with Python floats."""
    out, state = [], [{"v": 0.0, "G": 0.0, "s": 0.0, "m": 0.0, "a": 0.0} for _ in theta0]
    thetas = list(theta0)
    for t, g_step in enumerate(grads, start=1):
        step = {}
        for i, g in enumerate(g_step):
            st, q = state[i], {}
            if name == "sgd":
                q["step"] = LR * g
            elif name in ("momentum", "nesterov"):
                st["v"] = mu * st["v"] + g
                q["velocity"] = st["v"]
                q["step"] = LR * (g + mu * st["v"] if name == "nesterov" else st["v"])
            elif name == "adagrad":
                st["G"] += g * g
                q["sum_squares"] = st["G"]
                q["step"] = LR * g / (math.sqrt(st["G"]) + 1e-10)
            elif name == "rmsprop":
                st["s"] = 0.9 * st["s"] + 0.1 * g * g
                q["mean_square"] = st["s"]
                q["step"] = LR * g / (math.sqrt(st["s"]) + 1e-8)
            else:
                wd = 0.01 if name == "adamw" else 0.0
                if wd:
                    q["decay"] = LR * wd * thetas[i]
                st["m"] = b1 * st["m"] + (1 - b1) * g
                st["a"] = b2 * st["a"] + (1 - b2) * g * g
                q["m"], q["v"] = st["m"], st["a"]
                q["m_hat"], q["v_hat"] = st["m"] / (1 - b1**t), st["a"] / (1 - b2**t)
                q["step"] = LR * q["m_hat"] / (math.sqrt(q["v_hat"]) + 1e-8)
                q |= {"t": t, "bias1": 1 - b1**t, "bias2": 1 - b2**t}
            thetas[i] = thetas[i] - q.get("decay", 0.0) - q["step"]
            for key, value in q.items():
                step.setdefault(key, []).append(value)
        out.append((step, list(thetas)))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_explain_gives_each_quantity_of_the_rule_as_written_by_hand(name) -> None:
    settings, _ = CASES[name]
    optimizer = get_optimizer(
        "sgd" if name in ("momentum", "nesterov") else name, learning_rate=LR, **settings
    )
    theta = np.array(THETA0)
    for grad, (expected, theta_after) in zip(GRADS, by_hand_quantities(name), strict=True):
        before = theta.copy()
        g = np.array(grad)
        optimizer.step([theta], [g])
        state_before = {k: v.copy() for k, v in optimizer.state[0].items()}
        shown = optimizer.explain(before, g, optimizer.state[0])
        assert sorted(shown) == sorted(expected)
        for key, value in shown.items():
            hand = expected[key]
            hand = hand[0] if np.ndim(value) == 0 else hand  # scalars are one per step
            np.testing.assert_allclose(value, hand, rtol=1e-12, atol=1e-15, err_msg=key)
        np.testing.assert_allclose(
            before - shown.get("decay", 0) - shown["step"], theta_after, rtol=1e-12
        )
        np.testing.assert_allclose(theta, theta_after, rtol=1e-12)
        for key, value in optimizer.state[0].items():  # explain reads, never writes
            np.testing.assert_array_equal(value, state_before[key])
            assert all(value is not q for q in shown.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_names_every_quantity_and_its_latex_parses(name) -> None:
    """Each line of the rule computes one quantity of explain (the last updates θ), and
    its LaTeX, with θ and g filled in, parses in matplotlib's mathtext."""
    from string import Template

    mathtext = pytest.importorskip("matplotlib.mathtext")
    settings, _ = CASES[name]
    optimizer = get_optimizer(
        "sgd" if name in ("momentum", "nesterov") else name, learning_rate=LR, **settings
    )
    theta = np.array(THETA0)
    optimizer.step([theta], [np.array(GRADS[0])])
    shown = optimizer.explain(theta, np.array(GRADS[0]), optimizer.state[0])
    lines = optimizer.rule()
    assert [line.key for line in lines] == [*shown, "theta"]
    assert lines[-1].text.startswith("$theta ← $theta − ")
    parser = mathtext.MathTextParser("path")
    symbols = {"theta": r"\mathbf{W}^{[1]}", "g": r"\frac{\partial J}{\partial \mathbf{W}^{[1]}}"}
    for line in lines:
        parser.parse("$" + Template(line.latex).substitute(symbols) + "$")
        assert "$" not in Template(line.text).substitute(theta="W", g="g")
    assert optimizer.describe().split(" α = ")[0] in {
        "gradient descent",
        "gradient descent with momentum",
        "gradient descent with Nesterov momentum",
        "Adagrad",
        "RMSprop",
        "Adam",
        "AdamW",
    }
