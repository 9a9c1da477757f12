"""Activations: forward values, backward against finite differences, stability, dtypes,
and the name lookup."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import scipy.special as sp

from glassnet.activations import ACTIVATIONS, Activation, get_activation

ALL = sorted(ACTIVATIONS)
ELEMENTWISE = [name for name in ALL if name != "softmax"]
KINKED = {"relu", "leaky_relu", "elu"}

# The ordinary arithmetic warnings must not fire. Underflow is left at NumPy's default
# (ignored): e^{−1000} → 0 is the correctly rounded answer, and scipy's expit does the same.
STRICT = {"over": "raise", "divide": "raise", "invalid": "raise"}


def _z(rng: np.random.Generator, shape: tuple[int, int], name: str) -> np.ndarray:
    """Pre-activations in [−3, 3], kept ≥ 1e-3 from the kink of ReLU-like functions so that
    a central difference with h = 1e-6 never straddles it."""
    Z = rng.uniform(-3.0, 3.0, size=shape)
    if name in KINKED:
        Z = np.where(np.abs(Z) < 1e-3, np.sign(Z + 1e-12) * 1e-3 + Z, Z)
    return Z


def _central_difference(f, Z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return (f(Z + h) - f(Z - h)) / (2 * h)


# -- forward values against independent formulas -------------------------------------------

Z_GRID = np.linspace(-6.0, 6.0, 49).reshape(7, 7)

REFERENCE = {
    "identity": lambda z: z,
    "sigmoid": sp.expit,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1.0),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "gelu": lambda z: 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
    "softmax": lambda z: sp.softmax(z, axis=1),
}


@pytest.mark.parametrize("name", ALL)
def test_forward_matches_reference(name: str) -> None:
    A = get_activation(name).forward(Z_GRID.copy())
    np.testing.assert_allclose(A, REFERENCE[name](Z_GRID), rtol=1e-13, atol=1e-15)


def test_gelu_is_close_to_the_exact_erf_form() -> None:
    """The tanh form approximates z Φ(z); their largest gap is about 4.7e-4 (at |z| ≈ 2.4),
    so 1e-3 separates 'the tanh approximation' from 'a wrong formula'."""
    z = np.linspace(-8, 8, 1601).reshape(1, -1)
    exact = 0.5 * z * (1 + sp.erf(z / math.sqrt(2)))
    np.testing.assert_allclose(get_activation("gelu").forward(z), exact, atol=1e-3)


# -- backward against finite differences ----------------------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_matches_central_difference(name: str) -> None:
    rng = np.random.default_rng(ALL.index(name))
    act = get_activation(name)
    Z = _z(rng, (6, 5), name)
    A = act.forward(Z)
    dA = rng.normal(size=Z.shape)
    expected_fprime = _central_difference(act.forward, Z)

    delta = act.backward(dA.copy(), Z, A)
    # Central difference error ~ h² |f'''| / 6 + ε_mach |f| / h ≈ 1e-10 for h = 1e-6.
    np.testing.assert_allclose(delta, dA * expected_fprime, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.derivative(Z, A), expected_fprime, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "settings"), [("leaky_relu", {"alpha": 0.2}), ("elu", {"alpha": 2.5})]
)
def test_backward_with_alpha_matches_central_difference(name: str, settings: dict) -> None:
    rng = np.random.default_rng(3)
    act = get_activation({"name": name, **settings})
    Z = _z(rng, (4, 6), name)
    A = act.forward(Z)
    dA = rng.normal(size=Z.shape)
    np.testing.assert_allclose(
        act.backward(dA.copy(), Z, A),
        dA * _central_difference(act.forward, Z),
        rtol=1e-7,
        atol=1e-9,
    )


def test_softmax_backward_is_jacobian_transpose_times_dA() -> None:
    """δ_i = J_iᵀ dA_i, with each sample's Jacobian J_i[k, j] = ∂a_k/∂z_j by central
    differences (softmax couples the outputs of a sample, not the samples)."""
    rng = np.random.default_rng(0)
    act = get_activation("softmax")
    m, n, h = 4, 5, 1e-6
    Z = rng.normal(0.0, 2.0, size=(m, n))
    A = act.forward(Z)
    dA = rng.normal(size=(m, n))
    delta = act.backward(dA.copy(), Z, A)

    for i in range(m):
        J = np.empty((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = h
            plus = act.forward((Z[i] + e)[None, :])[0]
            minus = act.forward((Z[i] - e)[None, :])[0]
            J[:, j] = (plus - minus) / (2 * h)
        np.testing.assert_allclose(delta[i], J.T @ dA[i], rtol=1e-7, atol=1e-9)
        # derivative() is documented as the Jacobian's diagonal a_k(1 − a_k).
        np.testing.assert_allclose(act.derivative(Z, A)[i], np.diag(J), rtol=1e-7, atol=1e-9)


def test_softmax_backward_with_several_samples_does_not_mix_samples() -> None:
    act = get_activation("softmax")
    Z = np.array([[0.3, -1.0, 2.0], [5.0, 5.0, -2.0]])
    A = act.forward(Z)
    dA = np.array([[1.0, 2.0, -1.0], [0.0, 0.0, 0.0]])
    delta = act.backward(dA.copy(), Z, A)
    np.testing.assert_array_equal(delta[1], 0.0)
    # Hand form: δ = A ⊙ (dA − Σ_k dA_k A_k) for the first sample.
    np.testing.assert_allclose(delta[0], A[0] * (dA[0] - dA[0] @ A[0]), rtol=1e-14)


# -- values at and around the kink -----------------------------------------------------------


def test_relu_derivative_at_zero_is_zero() -> None:
    """Document 003: f'(z) = 1 for z > 0 and 0 for z ≤ 0."""
    act = get_activation("relu")
    Z = np.array([[-1.0, -0.0, 0.0, 1e-300, 2.0]])
    np.testing.assert_array_equal(act.derivative(Z, act.forward(Z)), [[0.0, 0.0, 0.0, 1.0, 1.0]])
    dA = np.full_like(Z, 7.0)
    np.testing.assert_array_equal(act.backward(dA, Z, act.forward(Z)), [[0.0, 0.0, 0.0, 7.0, 7.0]])


def test_leaky_relu_and_elu_alpha_are_honoured() -> None:
    z = np.array([[-2.0, -0.5, 0.0, 1.5]])
    leaky = get_activation({"name": "leaky_relu", "alpha": 0.2})
    np.testing.assert_allclose(leaky.forward(z), [[-0.4, -0.1, 0.0, 1.5]], rtol=1e-15)
    # f'(z) = α for z ≤ 0 (including 0), 1 above.
    np.testing.assert_allclose(leaky.derivative(z, leaky.forward(z)), [[0.2, 0.2, 0.2, 1.0]])
    assert leaky.config() == {"name": "leaky_relu", "alpha": 0.2}
    assert get_activation("leaky_relu").alpha == 0.01  # the default

    elu = get_activation({"name": "elu", "alpha": 2.5})
    expected = [[2.5 * math.expm1(-2.0), 2.5 * math.expm1(-0.5), 0.0, 1.5]]
    np.testing.assert_allclose(elu.forward(z), expected, rtol=1e-14)
    # f'(z) = α e^z for z ≤ 0, 1 above.
    np.testing.assert_allclose(
        elu.derivative(z, elu.forward(z)),
        [[2.5 * math.exp(-2.0), 2.5 * math.exp(-0.5), 2.5, 1.0]],
        rtol=1e-14,
    )
    assert elu.config() == {"name": "elu", "alpha": 2.5}
    assert get_activation(elu.config()).alpha == 2.5  # the config rebuilds it
    assert get_activation("elu").alpha == 1.0


# -- numerical stability ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype: type) -> None:
    act = get_activation("sigmoid")
    Z = np.array([[-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        A = act.forward(Z)
        d = act.derivative(Z, A)
    assert A.dtype == dtype
    assert A[0, 0] == 0.0 and A[0, -1] == 1.0
    # Against expit in float64. σ(−100) ≈ 3.7e-44 is a float32 subnormal, exact only to
    # the subnormal spacing (1.4e-45), hence the atol of a few such spacings.
    tiny = np.finfo(dtype).smallest_subnormal
    np.testing.assert_allclose(
        A, sp.expit(Z.astype(np.float64)), rtol=2 * np.finfo(dtype).eps, atol=4 * tiny
    )
    assert np.all(np.isfinite(d)) and d[0, 0] == 0.0 and d[0, -1] == 0.0


def test_sigmoid_keeps_relative_accuracy_in_the_far_tail() -> None:
    """σ(−700) ≈ 9.9e-305 must be right to the last bits, not rounded to 0 or garbage."""
    z = np.linspace(-700, 700, 281).reshape(1, -1)
    np.testing.assert_allclose(
        get_activation("sigmoid").forward(z), sp.expit(z), rtol=1e-13, atol=0
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_for_huge_logits(dtype: type) -> None:
    act = get_activation("softmax")
    # The rows have very different scales: the shift must be per row, not global.
    Z = np.array(
        [
            [1000.0, 1001.0, 1002.0],
            [0.0, 1.0, 2.0],
            [-1000.0, -1001.0, -1002.0],
            [-5.0, 80.0, 80.0],
        ],
        dtype=dtype,
    )
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        A = act.forward(Z)
    assert A.dtype == dtype
    assert np.all(np.isfinite(A))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(A, sp.softmax(Z.astype(np.float64), axis=1), rtol=rtol, atol=0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_and_elu_are_finite_for_huge_inputs(dtype: type) -> None:
    Z = np.array([[-1000.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        softplus = get_activation("softplus").forward(Z)
        elu = get_activation("elu").forward(Z)
    np.testing.assert_array_equal(softplus, np.array([[0.0, 1000.0]], dtype=dtype))
    np.testing.assert_array_equal(elu, np.array([[-1.0, 1000.0]], dtype=dtype))


# -- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_float32_stays_float32(name: str) -> None:
    """No silent upcast: forward, backward and derivative all return float32 for float32 in."""
    act = get_activation(name)
    Z = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    A = act.forward(Z)
    assert A.dtype == np.float32
    assert act.backward(np.ones_like(Z), Z, A).dtype == np.float32
    assert act.derivative(Z, A).dtype == np.float32
    # and the values agree with the float64 computation to float32 precision
    np.testing.assert_allclose(A, act.forward(Z.astype(np.float64)), rtol=1e-5, atol=1e-6)


# -- the name lookup -------------------------------------------------------------------------


def test_unknown_activation_names_the_bad_name_and_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'swish'") as info:
        get_activation("swish")
    message = str(info.value)
    for name in ALL:
        assert re.search(rf"\b{name}\b", message), name


def test_unknown_name_in_a_config_dict() -> None:
    with pytest.raises(ValueError, match=r"'mish'.*relu"):
        get_activation({"name": "mish"})


def test_bad_settings_and_bad_types() -> None:
    with pytest.raises(ValueError, match=r"'relu' does not take the settings"):
        get_activation({"name": "relu", "alpha": 0.1})
    with pytest.raises(TypeError, match=r"activation must be a name"):
        get_activation(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"activation must be a name"):
        get_activation({"alpha": 0.1})


def test_lookup_by_name_alias_and_instance() -> None:
    for name in ALL:
        act = get_activation(name)
        assert isinstance(act, ACTIVATIONS[name]) and act.name == name
        assert get_activation(name.upper()).name == name  # case-insensitive
    assert get_activation("linear").name == "identity"
    assert get_activation("logistic").name == "sigmoid"
    assert get_activation("LeakyReLU").name == "leaky_relu"
    inst = get_activation("tanh")
    assert get_activation(inst) is inst
    assert isinstance(inst, Activation)
