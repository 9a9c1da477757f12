"""Xavier/Glorot and He initialization against their published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.initializers import get_initializer

N_OUT, N_IN = 400, 600  # 240,000 draws: the sample std is within ~0.3 % of σ (3 standard errors)


@pytest.mark.parametrize(
    ("name", "bound"),
    [("xavier_uniform", math.sqrt(6 / (N_IN + N_OUT))), ("he_uniform", math.sqrt(6 / N_IN))],
)
def test_uniform_initializers_fill_their_interval(name, bound) -> None:
    W = get_initializer(name)(N_OUT, N_IN, np.random.default_rng(0), np.dtype(np.float64))
    assert W.shape == (N_OUT, N_IN)
    assert -bound <= W.min() < -0.99 * bound and 0.99 * bound < W.max() <= bound
    assert W.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)  # std of U(−r, r) is r/√3


@pytest.mark.parametrize(
    ("name", "sigma"),
    [("xavier_normal", math.sqrt(2 / (N_IN + N_OUT))), ("he_normal", math.sqrt(2 / N_IN))],
)
def test_normal_initializers_have_their_variance(name, sigma) -> None:
    W = get_initializer(name)(N_OUT, N_IN, np.random.default_rng(0), np.dtype(np.float32))
    assert W.dtype == np.float32
    assert W.std() == pytest.approx(sigma, rel=0.01)
    assert abs(W.mean()) < 0.01 * sigma * 5


def test_defaults_he_for_relu_and_xavier_for_tanh_and_zero_biases() -> None:
    net = gn.Network.build([N_IN, N_OUT, 3], activation="relu", seed=0)
    hidden = net.parametric_layers()[0]
    assert hidden.init == "he_normal"
    assert hidden.W.std() == pytest.approx(math.sqrt(2 / N_IN), rel=0.01)
    assert not hidden.b.any()
    assert (
        gn.Network.build([4, 5, 3], activation="tanh").parametric_layers()[0].init
        == "xavier_uniform"
    )


def test_seeded_initialization_is_reproducible() -> None:
    a = gn.Network.build([5, 4, 2], seed=7)
    b = gn.Network.build([5, 4, 2], seed=7)
    c = gn.Network.build([5, 4, 2], seed=8)
    np.testing.assert_array_equal(a.parametric_layers()[0].W, b.parametric_layers()[0].W)
    assert not np.array_equal(a.parametric_layers()[0].W, c.parametric_layers()[0].W)


def test_aliases_name_the_same_rule() -> None:
    net = gn.Network.build([5, 4, 2], init="glorot_uniform", seed=0)
    assert {layer.init for layer in net.parametric_layers()} == {"xavier_uniform"}
    reference = gn.Network.build([5, 4, 2], init="xavier_uniform", seed=0)
    np.testing.assert_array_equal(net.parametric_layers()[1].W, reference.parametric_layers()[1].W)
