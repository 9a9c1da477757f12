"""Backpropagation against central finite differences, through ``gn.gradient_check``.

The issue's acceptance criterion: relative error < 1e-7 in float64 for every activation ×
loss pairing that makes sense, with and without L2, for depths 1 to 4 and batch sizes 1
and several. The threshold is ``gradient_check``'s default (1e-7) and is never loosened.

The second half checks the checker: that it fails on a wrong gradient and points at the
wrong array, that it leaves the network alone, and that ``max_entries`` is honoured.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import Dense
from glassnet.network import Network

# Output activation × loss pairings that make sense: mse with every activation, bce with
# the activations whose outputs lie in (0, 1), cce with softmax (outputs sum to 1).
OUTPUT_PAIRS = [
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
    ("leaky_relu", "mse"),
    ("elu", "mse"),
    ("softplus", "mse"),
    ("gelu", "mse"),
    ("softmax", "mse"),
    ("sigmoid", "bce"),  # the fused pairing: δ = A − Y, loss from logits
    ("softmax", "bce"),  # general path: ∂ℓ/∂A through the softmax Jacobian
    ("softmax", "cce"),  # the fused pairing
]
# Every activation but softmax; softmax as a hidden activation has its own tests below.
HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu"]
DEPTHS = [1, 2, 3, 4]
BATCHES = [1, 5]
L2S = [0.0, 0.3]

# Activations with a kink at z = 0 (ReLU and leaky ReLU in f', ELU in f''). A central
# difference whose ±ε step straddles the kink measures a blend of the two slopes and
# fails spuriously; the data are redrawn until every such pre-activation is at least
# KINK_MARGIN from 0, which is far beyond the ~1e-6 that a parameter step of ε = 1e-6
# moves any Z by here (inputs and weights are O(1)).
KINKED = {"relu", "leaky_relu", "elu"}
KINK_MARGIN = 1e-4
MIN_GRAD_NORM = 2e-2  # see _well_scaled

CASES = list(itertools.product(OUTPUT_PAIRS, DEPTHS, BATCHES, L2S))


def _targets(loss: str, rng: np.random.Generator, m: int, n_out: int) -> np.ndarray:
    if loss == "cce":
        return rng.integers(0, n_out, size=m)  # class labels, one-hot encoded by check_y
    if loss == "bce":
        return rng.uniform(0.0, 1.0, size=(m, n_out))  # soft targets in [0, 1]
    # mse: targets away from the outputs so that the gradients are O(1), not tiny.
    return rng.normal(0.0, 1.5, size=(m, n_out))


def _away_from_kinks(net: Network, X: np.ndarray) -> bool:
    net.forward(np.ascontiguousarray(X, dtype=np.float64))
    return all(
        np.min(np.abs(layer.Z)) > KINK_MARGIN
        for layer in net.parametric_layers()
        if layer.activation.name in KINKED
    )


def _well_scaled(net: Network, X: np.ndarray, y: np.ndarray) -> bool:
    """Whether every parameter array's gradient has norm ≥ MIN_GRAD_NORM (or is exactly 0).

    A central difference of J in float64 carries a rounding error of about
    ε_mach·|J|/ε ≈ 1e-10 per entry (ε = 1e-6, |J| = O(1)); on an array whose gradient norm
    is ~1e-3 (a vanishing gradient in a deep sigmoid stack, say) that noise alone is a
    relative error of ~1e-7, whatever the backward pass does. Rather than loosen the 1e-7
    threshold, such draws are redrawn. The filter is on size only, so a wrong gradient
    still fails the check (and an always-tiny one fails to draw).
    """
    X64 = net.check_X(X)
    net.forward(X64)
    net.backward(net.check_y(y, X64.shape[0]))
    return all(not np.any(g) or np.linalg.norm(g) >= MIN_GRAD_NORM for _, g in net.gradients())


def _make_case(activations: list[str], loss: str, batch: int, l2: float, seed: int):
    """A float64 network with the given per-layer activations (output last) and its data,
    redrawn (deterministically, from ``seed``) until no kinked pre-activation is near 0."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        out_act = activations[-1]
        # Widths 1–6; a softmax layer gets ≥ 2 units, since softmax of one unit is constant.
        sizes = [int(rng.integers(1, 7))]
        for act in activations:
            low = 2 if act == "softmax" else 1
            sizes.append(int(rng.integers(low, 7)))
        if loss == "cce" or out_act == "softmax":
            sizes[-1] = max(sizes[-1], 2)
        layers = [
            Dense(n_in, n_out, act, rng=rng, dtype="float64")
            for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations, strict=True)
        ]
        net = Network(layers, loss, l2=l2)
        X = rng.normal(0.0, 1.0, size=(batch, sizes[0]))
        y = _targets(loss, rng, batch, sizes[-1])
        if _away_from_kinks(net, X) and _well_scaled(net, X, y):
            return net, X, y
    raise AssertionError("could not draw a well-posed case in 100 tries")


def _case_id(case) -> str:
    (out_act, loss), depth, batch, l2 = case
    return f"{out_act}-{loss}-depth{depth}-m{batch}-l2={l2}"


@pytest.mark.parametrize("case_index", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_backprop_matches_finite_differences(case_index: int) -> None:
    (out_act, loss), depth, batch, l2 = CASES[case_index]
    # Hidden layer j of this case gets HIDDEN[(case_index + j) % 8]: over the 48 cases of
    # each depth every hidden activation appears at every hidden position, and deep cases
    # mix several activations in one network.
    hidden = [HIDDEN[(case_index + j) % len(HIDDEN)] for j in range(depth - 1)]
    net, X, y = _make_case([*hidden, out_act], loss, batch, l2, seed=case_index)

    res = gn.gradient_check(net, X, y)

    assert [c.name for c in res.arrays] == [
        f"{p}{k}" for k in range(1, depth + 1) for p in ("W", "b")
    ]
    assert all(c.checked == int(np.prod(c.shape)) for c in res.arrays)
    assert res.threshold == 1e-7
    assert res.passed, f"hidden={hidden}\n{res}"
    assert res.max_relative_error < 1e-7


@pytest.mark.parametrize(
    ("activations", "loss"),
    [
        (["softmax", "tanh", "identity"], "mse"),
        (["relu", "softmax", "sigmoid"], "bce"),
        (["softmax", "softmax"], "cce"),
    ],
)
@pytest.mark.parametrize("l2", L2S)
def test_softmax_as_hidden_activation(activations: list[str], loss: str, l2: float) -> None:
    net, X, y = _make_case(activations, loss, batch=4, l2=l2, seed=123)
    res = gn.gradient_check(net, X, y)
    assert res.passed, str(res)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_build_networks_pass(dtype: str) -> None:
    """Network.build's defaults (ReLU hidden, softmax + cce) pass too, also from float32
    (the check copies to float64)."""
    rng = np.random.default_rng(7)
    net = gn.Network.build([3, 5, 4, 3], l2=0.1, seed=1, dtype=dtype)
    for _ in range(100):
        X = rng.normal(size=(6, 3))
        if _away_from_kinks(net.astype("float64"), X):
            break
    y = rng.integers(0, 3, size=6)
    res = gn.gradient_check(net, X, y)
    assert res.passed, str(res)


def test_own_finite_differences_agree_with_network_gradients() -> None:
    """An independent central difference of J (not using gradient_check) on a small
    tanh/sigmoid network with L2, to make sure the checker is not comparing like with like."""
    net, X, y = _make_case(["tanh", "sigmoid"], "bce", batch=3, l2=0.5, seed=99)
    X = np.asarray(X, dtype=np.float64)
    Y = net.check_y(y, X.shape[0])
    m = X.shape[0]

    def J() -> float:
        # J = (1/m) Σ_i −Σ_k [y log a + (1−y) log(1−a)] + λ/(2m) Σ ‖W‖², written out here.
        A = X
        for layer in net.parametric_layers():
            Z = A @ layer.W.T + layer.b
            A = np.tanh(Z) if layer.activation.name == "tanh" else 1 / (1 + np.exp(-Z))
        data = -(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / m
        reg = 0.5 / (2 * m) * sum(float((d.W**2).sum()) for d in net.parametric_layers())
        return data + reg

    net.forward(X)
    net.backward(Y)
    h = 1e-6
    for (name, theta), (_, grad) in zip(net.parameters(), net.gradients(), strict=True):
        flat = theta.reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            plus = J()
            flat[i] = old - h
            minus = J()
            flat[i] = old
            numeric[i] = (plus - minus) / (2 * h)
        # Central difference error ~ h² |J'''| + ε_mach |J| / h ≈ 1e-10 here.
        np.testing.assert_allclose(grad.reshape(-1), numeric, rtol=1e-6, atol=1e-9, err_msg=name)


# -- the checker can fail ----------------------------------------------------------------


def test_detects_a_wrong_activation_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale the backward of layer 2's activation by 1.01. δ^[2] is then off by exactly
    that factor, and so are dW2, db2 and (through δ^[1]) dW1, db1; layer 3 is untouched.
    For g' = (1+c) g the relative error is ‖c g‖ / ((2+c)‖g‖) = c/(2+c)."""
    net, X, y = _make_case(["sigmoid", "tanh", "identity"], "mse", batch=4, l2=0.0, seed=5)
    # gradient_check rebuilds the network in float64, so patch the class: only layer 2 is tanh.
    tanh = type(net.parametric_layers()[1].activation)
    original = tanh.backward
    monkeypatch.setattr(tanh, "backward", lambda self, dA, Z, A: original(self, dA, Z, A) * 1.01)

    res = gn.gradient_check(net, X, y)
    errors = {c.name: c.relative_error for c in res.arrays}

    assert res.passed is False
    expected = 0.01 / 2.01
    for name in ("W1", "b1", "W2", "b2"):
        assert errors[name] == pytest.approx(expected, rel=1e-4), name
    assert errors["W3"] < 1e-7 and errors["b3"] < 1e-7
    assert res.max_relative_error == pytest.approx(expected, rel=1e-4)
    assert "FAIL" in str(res)


def test_detects_and_localises_one_wrong_array(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug confined to one array (db2 half again too large) flags that array only."""
    original = Network.backward

    def bad_backward(self: Network, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
        original(self, Y, sample_weight)
        self.parametric_layers()[1].db *= 1.5

    monkeypatch.setattr(Network, "backward", bad_backward)
    net, X, y = _make_case(["sigmoid", "softmax"], "cce", batch=5, l2=0.3, seed=11)
    res = gn.gradient_check(net, X, y)
    errors = {c.name: c.relative_error for c in res.arrays}

    assert not res.passed
    assert max(errors, key=errors.__getitem__) == "b2"
    assert errors["b2"] == pytest.approx(0.5 / 2.5, rel=1e-4)
    assert all(e < 1e-7 for name, e in errors.items() if name != "b2")


def test_detects_a_missing_l2_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """If backward forgot the (λ/m) W term, the W arrays fail and the b arrays pass."""
    original = Network.backward

    def no_l2(self: Network, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
        saved, self.l2 = self.l2, 0.0
        try:
            original(self, Y, sample_weight)
        finally:
            self.l2 = saved

    monkeypatch.setattr(Network, "backward", no_l2)
    net, X, y = _make_case(["tanh", "identity"], "mse", batch=3, l2=2.0, seed=3)
    res = gn.gradient_check(net, X, y)
    errors = {c.name: c.relative_error for c in res.arrays}
    assert not res.passed
    assert errors["W1"] > 1e-3 and errors["W2"] > 1e-3
    assert errors["b1"] < 1e-7 and errors["b2"] < 1e-7


# -- the checker leaves the network alone, and max_entries --------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_does_not_modify_the_network(dtype: str) -> None:
    net = gn.Network.build([4, 3, 2], activation="tanh", loss="mse", l2=0.2, seed=0, dtype=dtype)
    before = [(name, array.copy()) for name, array in net.parameters()]
    X = np.random.default_rng(0).normal(size=(5, 4))
    y = np.random.default_rng(1).normal(size=(5, 2))

    res = gn.gradient_check(net, X, y)

    assert res.passed
    assert net.dtype == np.dtype(dtype)
    for (name, old), (_, new) in zip(before, net.parameters(), strict=True):
        assert new.dtype == np.dtype(dtype), name
        np.testing.assert_array_equal(new, old, err_msg=name)  # bit for bit


def test_max_entries_limits_the_number_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    net = gn.Network.build([6, 5, 4], activation="tanh", loss="mse", seed=0, dtype="float64")
    X = np.random.default_rng(0).normal(size=(3, 6))
    y = np.random.default_rng(1).normal(size=(3, 4))
    calls = {"forward": 0}
    original = Network.forward

    def counting_forward(self: Network, X: np.ndarray, training: bool = False) -> np.ndarray:
        calls["forward"] += 1
        return original(self, X, training)

    monkeypatch.setattr(Network, "forward", counting_forward)
    res = gn.gradient_check(net, X, y, max_entries=3)

    sizes = {"W1": 30, "b1": 5, "W2": 20, "b2": 4}
    assert {c.name: c.checked for c in res.arrays} == {k: min(v, 3) for k, v in sizes.items()}
    # One forward for the analytic gradient, then two per checked entry.
    assert calls["forward"] == 1 + 2 * 4 * 3
    assert res.passed

    calls["forward"] = 0
    full = gn.gradient_check(net, X, y)
    assert {c.name: c.checked for c in full.arrays} == sizes
    assert calls["forward"] == 1 + 2 * sum(sizes.values())


def test_max_entries_sample_catches_a_bug_in_the_sampled_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sampled entries are compared with the matching analytic entries: a uniform
    error in W1 still shows up when only 4 of its entries are checked."""
    original = Network.backward

    def bad_backward(self: Network, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> None:
        original(self, Y, sample_weight)
        self.parametric_layers()[0].dW *= 2.0

    monkeypatch.setattr(Network, "backward", bad_backward)
    net = gn.Network.build([6, 5, 2], activation="tanh", loss="mse", seed=2, dtype="float64")
    X = np.random.default_rng(0).normal(size=(4, 6))
    y = np.random.default_rng(1).normal(size=(4, 2))
    res = gn.gradient_check(net, X, y, max_entries=4)
    errors = {c.name: c.relative_error for c in res.arrays}
    assert errors["W1"] == pytest.approx(1 / 3, rel=1e-4)  # c/(2+c) with c = 1
    assert errors["b1"] < 1e-7 and errors["W2"] < 1e-7 and errors["b2"] < 1e-7


# -- any layer, through the Layer interface ---------------------------------------------


def test_flatten_batch_norm_dropout_l1_and_l2_pass_without_special_cases() -> None:
    """A network of every layer kind, with both penalties: the check walks it through the
    Layer interface (``parameters``, ``gradients``, ``fix_randomness``) and passes."""
    from glassnet.layers import Dropout, Flatten

    rng = np.random.default_rng(4)
    layers = [
        Flatten((2, 3)),
        Dense(6, 5, "tanh", batch_norm=True, rng=rng, dtype="float64"),
        Dropout(5, 0.3, rng=np.random.default_rng(1)),
        Dense(5, 3, "softmax", rng=rng, dtype="float64"),
    ]
    net = Network(layers, "cce", l2=0.2, l1=0.05)
    X, y = rng.normal(size=(8, 2, 3)), rng.integers(0, 3, 8)

    res = gn.gradient_check(net, X, y)

    assert [c.name for c in res.arrays] == ["W1", "b1", "gamma1", "beta1", "W2", "b2"]
    assert res.passed and res.max_relative_error < 1e-7, str(res)
    # the check fixed the masks of its own float64 copy, not of this network's dropout
    net.forward(net.check_X(X), training=True)
    first = layers[2].mask.copy()
    net.forward(net.check_X(X), training=True)
    assert not np.array_equal(first, layers[2].mask)


@pytest.mark.parametrize("name", ["regularized-2-3-1", "grid-2x3-2-1"])
def test_the_shipped_examples_of_other_layers_pass(name: str) -> None:
    from glassnet.inspect import load_example

    spec = load_example(name)
    res = gn.gradient_check(spec.network, spec.X, spec.Y)
    assert res.passed and res.max_relative_error < 1e-7, str(res)
