"""Losses: values against hand formulas and scipy, gradients against finite differences,
the stable from-logits forms, the fused output delta, dtypes and the name lookup."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import scipy.special as sp

from glassnet.activations import get_activation
from glassnet.losses import LOSSES, Loss, get_loss

STRICT = {"over": "raise", "divide": "raise", "invalid": "raise"}  # underflow to 0 is fine


def _probabilities(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.uniform(0.05, 0.95, size=shape)


def _one_hot(labels: list[int], k: int) -> np.ndarray:
    return np.eye(k)[labels]


# -- values ----------------------------------------------------------------------------------


def test_mse_value_by_hand() -> None:
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 3.0]])
    Y = np.array([[0.0, 2.5], [0.5, 1.0], [1.0, 0.0]])
    # ℓ_i = ½ Σ_k (a − y)²: ½(1 + 0.25), ½(0 + 4), ½(4 + 9)
    per_sample = [0.625, 2.0, 6.5]
    loss = get_loss("mse")
    np.testing.assert_allclose(loss.per_sample(A, Y), per_sample, rtol=1e-15)
    assert loss.value(A, Y) == pytest.approx(sum(per_sample) / 3, rel=1e-15)
    assert isinstance(loss.value(A, Y), float)


def test_bce_value_with_several_outputs() -> None:
    A = np.array([[0.9, 0.2, 0.5], [0.3, 0.6, 0.99]])
    Y = np.array([[1.0, 0.0, 0.25], [0.0, 1.0, 1.0]])  # soft target 0.25 included
    loss = get_loss("bce")
    by_hand = [
        -(np.log(0.9) + np.log(0.8) + 0.25 * np.log(0.5) + 0.75 * np.log(0.5)),
        -(np.log(0.7) + np.log(0.6) + np.log(0.99)),
    ]
    np.testing.assert_allclose(loss.per_sample(A, Y), by_hand, rtol=1e-14)
    scipy_form = -(sp.xlogy(Y, A) + sp.xlogy(1 - Y, 1 - A)).sum(axis=1)
    np.testing.assert_allclose(loss.per_sample(A, Y), scipy_form, rtol=1e-14)
    assert loss.value(A, Y) == pytest.approx(np.mean(by_hand), rel=1e-14)


def test_cce_value() -> None:
    A = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])  # last row: soft target
    loss = get_loss("cce")
    expected = [-np.log(0.7), -np.log(0.1), -(0.5 * np.log(0.25) + 0.5 * np.log(0.5))]
    np.testing.assert_allclose(loss.per_sample(A, Y), expected, rtol=1e-14)
    np.testing.assert_allclose(loss.per_sample(A, Y), -sp.xlogy(Y, A).sum(axis=1), rtol=1e-14)
    assert loss.value(A, Y) == pytest.approx(np.mean(expected), rel=1e-14)


def test_cross_entropies_are_finite_for_saturated_outputs() -> None:
    """The unfused path clips at the dtype's resolution: log 0 never happens."""
    A = np.array([[0.0, 1.0]])
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        bce = get_loss("bce").per_sample(A, np.array([[1.0, 0.0]]))
        cce = get_loss("cce").per_sample(A, np.array([[1.0, 0.0]]))
        grad = get_loss("bce").gradient(A, np.array([[1.0, 0.0]]))
    eps = np.finfo(np.float64).eps
    # Both wrong with full confidence: each term is −log(ε) ≈ 36.04.
    np.testing.assert_allclose(bce, [-2 * np.log(eps)], rtol=1e-12)
    np.testing.assert_allclose(cce, [-np.log(eps)], rtol=1e-12)
    assert np.all(np.isfinite(grad))


# -- gradients against finite differences of per_sample --------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_central_difference(name: str) -> None:
    """∂ℓ_i/∂A[i, k] for each sample i, without the 1/m, and ∂ℓ_i/∂A[j, k] = 0 for j ≠ i."""
    rng = np.random.default_rng(sorted(LOSSES).index(name))
    m, n, h = 4, 3, 1e-6
    A = _probabilities(rng, (m, n))
    if name == "mse":
        Y = rng.normal(size=(m, n))
    elif name == "bce":
        Y = rng.uniform(0, 1, size=(m, n))
    else:
        Y = _one_hot(list(rng.integers(0, n, size=m)), n)
    loss = get_loss(name)
    G = loss.gradient(A, Y)
    assert G.shape == (m, n)
    for i in range(m):
        for k in range(n):
            E = np.zeros_like(A)
            E[i, k] = h
            d = (loss.per_sample(A + E, Y) - loss.per_sample(A - E, Y)) / (2 * h)
            # Error ~ h² |ℓ'''| + ε_mach |ℓ| / h ≈ 1e-9 for probabilities in [0.05, 0.95].
            assert d[i] == pytest.approx(G[i, k], rel=1e-6, abs=1e-8), (i, k)
            np.testing.assert_array_equal(np.delete(d, i), 0.0)


# -- the stable forms from logits --------------------------------------------------------------


@pytest.mark.parametrize(("name", "activation"), [("bce", "sigmoid"), ("cce", "softmax")])
def test_from_logits_matches_per_sample_for_moderate_z(name: str, activation: str) -> None:
    rng = np.random.default_rng(4)
    Z = rng.uniform(-5, 5, size=(6, 4))
    Y = rng.uniform(0, 1, size=(6, 4)) if name == "bce" else _one_hot([0, 1, 2, 3, 1, 0], 4)
    loss = get_loss(name)
    assert loss.fused_activation == activation
    A = get_activation(activation).forward(Z)
    # No clipping is active for |z| ≤ 5, so the two forms differ by rounding only.
    np.testing.assert_allclose(loss.per_sample_from_logits(Z, Y), loss.per_sample(A, Y), rtol=1e-12)
    if name == "bce":
        scipy_form = -(Y * sp.log_expit(Z) + (1 - Y) * sp.log_expit(-Z)).sum(axis=1)
    else:
        scipy_form = -(Y * sp.log_softmax(Z, axis=1)).sum(axis=1)
    np.testing.assert_allclose(loss.per_sample_from_logits(Z, Y), scipy_form, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_from_logits_at_extreme_z(dtype: type) -> None:
    """ℓ(z, y) = max(z, 0) − z y + log(1 + e^{−|z|}): for |z| = 500 the last term is
    e^{−500} ≈ 7e-218, below the resolution of 500 in either dtype."""
    Z = np.array([[-500.0], [500.0], [500.0], [-500.0]], dtype=dtype)
    Y = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        out = get_loss("bce").per_sample_from_logits(Z, Y)
    assert out.dtype == dtype
    # The exact values are 500 + e^{−500}, 500 + e^{−500}, e^{−500}, e^{−500}; e^{−500} is a
    # normal float64 (kept to full relative precision) and underflows to 0 in float32.
    tail = np.exp(np.float64(-500.0)).astype(dtype)
    np.testing.assert_allclose(
        out, np.array([500.0, 500.0, tail, tail], dtype=dtype), rtol=np.finfo(dtype).eps, atol=0
    )
    reference = -(
        Y * sp.log_expit(Z.astype(np.float64)) + (1 - Y) * sp.log_expit(-Z.astype(np.float64))
    )
    np.testing.assert_allclose(
        out, reference.sum(axis=1).astype(dtype), rtol=np.finfo(dtype).eps, atol=0
    )
    # and several outputs sum: y = [1, 0, 1] against z = [−500, 500, 0] → 500 + 500 + log 2
    two = get_loss("bce").per_sample_from_logits(
        np.array([[-500.0, 500.0, 0.0]], dtype=dtype), np.array([[1.0, 0.0, 1.0]], dtype=dtype)
    )
    np.testing.assert_allclose(two, [1000 + np.log(2)], rtol=np.finfo(dtype).eps * 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_from_logits_at_extreme_z(dtype: type) -> None:
    Z = np.array(
        [[500.0, -500.0, 0.0], [500.0, -500.0, 0.0], [1000.0, 1000.0, -1000.0]], dtype=dtype
    )
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**STRICT):
        warnings.simplefilter("error")
        out = get_loss("cce").per_sample_from_logits(Z, Y)
    assert out.dtype == dtype
    # logsumexp(500, −500, 0) = 500 + log(1 + e^{−500} + e^{−1000}) = 500 (to rounding);
    # so ℓ = 500 − (−500) = 1000 for class 1, e^{−500} ≈ 0 for class 0, and log 2 for a tie
    # at 1000. Computed from z − max z, each is a difference of numbers no larger than the
    # answer, so the relative tolerance alone (4 ulp) must hold.
    atol = 0.0
    np.testing.assert_allclose(
        out, [1000.0, 0.0, np.log(2)], rtol=4 * np.finfo(dtype).eps, atol=atol
    )
    reference = -(Y.astype(np.float64) * sp.log_softmax(Z.astype(np.float64), axis=1)).sum(axis=1)
    np.testing.assert_allclose(out, reference, rtol=4 * np.finfo(dtype).eps, atol=atol)


def test_from_logits_is_not_defined_for_mse() -> None:
    with pytest.raises(NotImplementedError):
        get_loss("mse").per_sample_from_logits(np.zeros((1, 1)), np.zeros((1, 1)))


# -- the fused output delta ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "activation"), [("bce", "sigmoid"), ("cce", "softmax")])
def test_fused_delta_equals_the_general_path(name: str, activation: str) -> None:
    """δ = A − Y equals ∂ℓ/∂A ⊙ f'(Z) (through the softmax Jacobian for cce), and equals
    a central difference of per_sample_from_logits with respect to Z."""
    rng = np.random.default_rng(8)
    m, n, h = 5, 3, 1e-6
    Z = rng.uniform(-4, 4, size=(m, n))
    if name == "bce":
        Y = rng.uniform(0, 1, size=(m, n))
    else:
        # one-hot rows and a soft row; the identity needs each target row to sum to 1
        Y = np.vstack([_one_hot([0, 2, 1, 1], n), [[0.2, 0.5, 0.3]]])
    act, loss = get_activation(activation), get_loss(name)
    A = act.forward(Z)
    fused = Loss.fused_delta(A, Y)
    np.testing.assert_array_equal(loss.fused_delta(A, Y), A - Y)

    general = act.backward(loss.gradient(A, Y), Z, A)
    # The general path divides by a(1 − a) or a and multiplies back: rounding only.
    np.testing.assert_allclose(general, fused, rtol=1e-10, atol=1e-12)

    numeric = np.empty_like(Z)
    for i in range(m):
        for k in range(n):
            E = np.zeros_like(Z)
            E[i, k] = h
            d = (loss.per_sample_from_logits(Z + E, Y) - loss.per_sample_from_logits(Z - E, Y)) / (
                2 * h
            )
            numeric[i, k] = d[i]
    np.testing.assert_allclose(fused, numeric, rtol=1e-6, atol=1e-9)


# -- dtypes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_float32_stays_float32(name: str) -> None:
    rng = np.random.default_rng(2)
    A = _probabilities(rng, (4, 3)).astype(np.float32)
    Y = _one_hot([0, 1, 2, 0], 3).astype(np.float32)
    loss = get_loss(name)
    assert loss.per_sample(A, Y).dtype == np.float32
    assert loss.gradient(A, Y).dtype == np.float32
    assert loss.fused_delta(A, Y).dtype == np.float32
    if loss.fused_activation is not None:
        Z = rng.normal(size=(4, 3)).astype(np.float32)
        assert loss.per_sample_from_logits(Z, Y).dtype == np.float32
    # and the float32 values agree with float64 to float32 precision
    np.testing.assert_allclose(
        loss.per_sample(A, Y),
        loss.per_sample(A.astype(np.float64), Y.astype(np.float64)),
        rtol=1e-5,
    )


# -- the name lookup ---------------------------------------------------------------------------


def test_unknown_loss_names_the_bad_name_and_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'") as info:
        get_loss("hinge")
    for name in LOSSES:
        assert re.search(rf"\b{name}\b", str(info.value)), name


def test_loss_lookup_types_and_aliases() -> None:
    with pytest.raises(TypeError, match=r"loss must be a name"):
        get_loss(None)  # type: ignore[arg-type]
    for name, cls in LOSSES.items():
        assert type(get_loss(name)) is cls and type(get_loss(name.upper())) is cls
    assert get_loss("mean_squared_error").name == "mse"
    assert get_loss("binary_crossentropy").name == "bce"
    assert get_loss("categorical_cross_entropy").name == "cce"
    assert get_loss("cross_entropy").name == "cce"
    inst = get_loss("bce")
    assert get_loss(inst) is inst
