"""The documents' worked examples, number for number.

Document 003 prints its numbers rounded, and it rounds ŷ to 0.816 before forming δ^[3], so
everything downstream of δ^[3] carries an error of about 1e-4 (seeds/README.md). The
tolerance 1e-3 of the issue covers that; forward values before the rounding are also
checked to the digits the document prints.

The arrays of glassnet put samples in rows; the documents put them in columns. With one
sample, ``Z^[l]`` of the document is the transpose of ``layer.Z``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn

DOC_TOL = 1e-3


# -- document 003, "Example: Simple Forward Pass (Revisited)": a 2-1-1 sigmoid network ------


def test_doc003_forward_2_1_1() -> None:
    net = gn.Network.from_parameters(
        [
            {"W": [[0.1, 0.3]], "b": [0.05], "activation": "sigmoid"},
            {"W": [[0.2]], "b": [0.01], "activation": "sigmoid"},
        ],
        loss="mse",
    )
    y_hat = net.forward(np.array([[0.5, 1.0]]))
    hidden, output = net.parametric_layers()
    assert hidden.Z[0, 0] == pytest.approx(0.4, abs=1e-12)  # 0.05 + 0.3 + 0.05
    assert hidden.A[0, 0] == pytest.approx(0.5987, abs=5e-5)  # printed to 4 digits
    assert output.Z[0, 0] == pytest.approx(0.12974, abs=5e-6)  # 0.11974 + 0.01
    assert y_hat[0, 0] == pytest.approx(0.5324, abs=5e-5)
    # and exactly, from the closed form σ(0.2 σ(0.4) + 0.01)
    sigma = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    assert y_hat[0, 0] == pytest.approx(sigma(0.2 * sigma(0.4) + 0.01), rel=1e-15)


# -- document 003, "Full Mathematical Walkthrough: 2-2-2-1 Neural Network" -----------------


@pytest.fixture
def walkthrough() -> tuple[gn.Network, np.ndarray, np.ndarray]:
    net = gn.Network.from_parameters(
        [
            {"W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05], "activation": "relu"},
            {"W": [[0.5, 0.6], [0.7, 0.8]], "b": [0.1, 0.1], "activation": "relu"},
            {"W": [[0.9, 1.0]], "b": [0.15], "activation": "sigmoid"},
        ],
        loss="bce",
    )
    return net, np.array([[0.5, 1.0]]), np.array([[1.0]])


def test_doc003_walkthrough_forward_and_loss(walkthrough) -> None:
    net, X, Y = walkthrough
    y_hat = net.forward(X)
    l1, l2, l3 = net.parametric_layers()
    np.testing.assert_allclose(l1.Z.T, [[0.30], [0.60]], atol=1e-12)
    np.testing.assert_allclose(l1.A.T, [[0.30], [0.60]], atol=1e-12)
    np.testing.assert_allclose(l2.Z.T, [[0.61], [0.79]], atol=1e-12)
    np.testing.assert_allclose(l2.A.T, [[0.61], [0.79]], atol=1e-12)
    assert l3.Z[0, 0] == pytest.approx(1.489, abs=1e-12)
    assert y_hat[0, 0] == pytest.approx(0.816, abs=5e-4)  # printed to 3 digits
    assert net.cost(Y) == pytest.approx(0.203, abs=5e-4)
    assert net.cost(Y) == pytest.approx(-math.log(y_hat[0, 0]), rel=1e-12)


def test_doc003_walkthrough_backward(walkthrough) -> None:
    net, X, Y = walkthrough
    net.forward(X)
    net.backward(Y)
    l1, l2, l3 = net.parametric_layers()
    assert net.fused_output  # "For BCE loss with Sigmoid output, this simplifies to ŷ − y"
    np.testing.assert_allclose(l3.delta.T, [[-0.184]], atol=DOC_TOL)
    np.testing.assert_allclose(l3.dW, [[-0.11224, -0.14536]], atol=DOC_TOL)
    np.testing.assert_allclose(l3.db, [-0.184], atol=DOC_TOL)
    np.testing.assert_allclose(l2.delta.T, [[-0.1656], [-0.1840]], atol=DOC_TOL)
    np.testing.assert_allclose(l2.dW, [[-0.04968, -0.09936], [-0.05520, -0.11040]], atol=DOC_TOL)
    np.testing.assert_allclose(l2.db, [-0.1656, -0.1840], atol=DOC_TOL)
    np.testing.assert_allclose(l1.delta.T, [[-0.2116], [-0.24656]], atol=DOC_TOL)
    np.testing.assert_allclose(l1.dW, [[-0.10580, -0.21160], [-0.12328, -0.24656]], atol=DOC_TOL)
    np.testing.assert_allclose(l1.db, [-0.2116, -0.24656], atol=DOC_TOL)


def test_doc003_walkthrough_exact_values_without_the_documents_rounding(walkthrough) -> None:
    """With δ^[3] = σ(1.489) − 1 unrounded, every gradient follows by hand in closed form."""
    net, X, Y = walkthrough
    net.forward(X)
    net.backward(Y)
    l1, l2, l3 = net.parametric_layers()
    d3 = 1 / (1 + math.exp(-1.489)) - 1.0  # −0.18407…
    d2 = np.array([0.9, 1.0]) * d3  # W^[3]ᵀ δ^[3], ReLU' = 1
    d1 = np.array([[0.5, 0.7], [0.6, 0.8]]) @ d2  # W^[2]ᵀ δ^[2]
    np.testing.assert_allclose(l3.dW, d3 * np.array([[0.61, 0.79]]), rtol=1e-12)
    np.testing.assert_allclose(l2.dW, np.outer(d2, [0.30, 0.60]), rtol=1e-12)
    np.testing.assert_allclose(l1.dW, np.outer(d1, [0.5, 1.0]), rtol=1e-12)
    np.testing.assert_allclose(l1.db, d1, rtol=1e-12)


def test_doc003_walkthrough_update(walkthrough) -> None:
    net, X, Y = walkthrough
    net.forward(X)
    net.backward(Y)
    gn.SGD(learning_rate=0.1).step(
        [p for _, p in net.parameters()], [g for _, g in net.gradients()]
    )
    l1, l2, l3 = net.parametric_layers()
    np.testing.assert_allclose(l3.W, [[0.911224, 1.014536]], atol=DOC_TOL)
    np.testing.assert_allclose(l3.b, [0.1684], atol=DOC_TOL)
    np.testing.assert_allclose(l2.W, [[0.504968, 0.609936], [0.705520, 0.811040]], atol=DOC_TOL)
    np.testing.assert_allclose(l2.b, [0.11656, 0.11840], atol=DOC_TOL)
    np.testing.assert_allclose(l1.W, [[0.110580, 0.221160], [0.312328, 0.424656]], atol=DOC_TOL)
    np.testing.assert_allclose(l1.b, [0.07116, 0.074656], atol=DOC_TOL)


def test_doc003_one_fit_step_equals_the_walkthrough(walkthrough) -> None:
    """``fit`` with one sample and one epoch is the document's single iteration."""
    net, X, Y = walkthrough
    history = net.fit(X, Y, epochs=1, batch_size=1, optimizer="sgd", learning_rate=0.1, seed=0)
    assert history.loss == [pytest.approx(0.203, abs=5e-4)]
    np.testing.assert_allclose(net.parametric_layers()[0].b, [0.07116, 0.074656], atol=DOC_TOL)


def test_doc003_second_iteration_lowers_the_loss_and_uses_the_updated_weights(walkthrough) -> None:
    """The second step backpropagates through the *updated* W (seeds/README.md)."""
    net, X, Y = walkthrough
    history = net.fit(X, Y, epochs=2, batch_size=1, optimizer="sgd", learning_rate=0.1, seed=0)
    assert history.loss[1] < history.loss[0]
    net.forward(X)
    net.backward(Y)
    l2, l3 = net.parametric_layers()[1:]
    np.testing.assert_allclose(l2.delta, l3.delta @ l3.W, rtol=1e-12)  # ReLU' = 1 here


# -- document 000: an L = 3 sigmoid network with MSE; 002: a 3-4-2 network's shapes ------


def test_doc000_shapes_and_mse_delta() -> None:
    """Document 000 numbers layers from 1 (the input): its L = 3 net is 3-3-2 here."""
    rng = np.random.default_rng(0)
    net = gn.Network.build(
        [3, 3, 2],
        activation="sigmoid",
        output_activation="sigmoid",
        loss="mse",
        seed=1,
        dtype="float64",
    )
    x, y = rng.normal(size=(1, 3)), rng.uniform(size=(1, 2))
    a3 = net.forward(x)
    net.backward(y)
    hidden, output = net.parametric_layers()
    assert not net.fused_output  # MSE + sigmoid takes the general path
    # δ^(3) = (a^(3) − y) ⊙ σ'(z^(3)), δ^(2) = (W^(3)ᵀ δ^(3)) ⊙ σ'(z^(2))
    d3 = (a3 - y) * a3 * (1 - a3)
    d2 = (d3 @ output.W) * hidden.A * (1 - hidden.A)
    np.testing.assert_allclose(output.delta, d3, rtol=1e-12)
    np.testing.assert_allclose(hidden.delta, d2, rtol=1e-12)
    assert output.delta.T.shape == (2, 1) and hidden.delta.T.shape == (3, 1)
    assert output.dW.shape == (2, 3) and hidden.dW.shape == (3, 3)
    np.testing.assert_allclose(output.dW, d3.T @ hidden.A, rtol=1e-12)  # δ^(3) (a^(2))ᵀ


def test_doc002_gradient_shapes_of_the_3_4_2_network() -> None:
    """[∂C/∂W¹]_{4×3} = δ¹ [a⁰]ᵀ, [∂C/∂W²]_{2×4} = δ² [a¹]ᵀ, δ¹ is 4×1, C = ½‖a² − t‖²."""
    net = gn.Network.build(
        [3, 4, 2],
        activation="sigmoid",
        output_activation="sigmoid",
        loss="mse",
        seed=2,
        dtype="float64",
    )
    a0, t = np.array([[0.2, -0.4, 0.9]]), np.array([[0.0, 1.0]])
    net.forward(a0)
    assert net.cost(t) == pytest.approx(0.5 * np.sum((net.output_layer.A - t) ** 2), rel=1e-14)
    net.backward(t)
    layer1, layer2 = net.parametric_layers()
    assert layer1.W.shape == (4, 3) and layer2.W.shape == (2, 4)
    assert layer1.dW.shape == (4, 3) and layer2.dW.shape == (2, 4)
    assert layer1.delta.T.shape == (4, 1) and layer2.delta.T.shape == (2, 1)
    np.testing.assert_allclose(layer1.dW, layer1.delta.T @ a0, rtol=1e-12)
    np.testing.assert_allclose(layer1.db, layer1.delta[0], rtol=1e-12)


# -- document 001: the regularized cross-entropy cost and its gradient -------------------


def test_doc001_regularized_cost_and_gradient() -> None:
    """J = (1/m) ΣΣ[−y log h − (1−y) log(1−h)] + λ/(2m) Σ θ², ∂J/∂W gains (λ/m) W."""
    rng = np.random.default_rng(3)
    m, lam = 4, 0.7
    X, Y = rng.normal(size=(m, 3)), rng.integers(0, 2, size=(m, 2)).astype(float)
    plain = gn.Network.build([3, 5, 2], activation="tanh", loss="bce", seed=4, dtype="float64")
    reg = gn.Network.build(
        [3, 5, 2], activation="tanh", loss="bce", seed=4, dtype="float64", l2=lam
    )
    H = reg.forward(X)
    plain.forward(X)
    expected = np.mean(np.sum(-Y * np.log(H) - (1 - Y) * np.log(1 - H), axis=1))
    expected += lam / (2 * m) * sum(np.sum(layer.W**2) for layer in reg.parametric_layers())
    assert reg.cost(Y) == pytest.approx(expected, rel=1e-12)
    reg.backward(Y)
    plain.backward(Y)
    for r, p in zip(reg.parametric_layers(), plain.parametric_layers(), strict=True):
        np.testing.assert_allclose(r.dW, p.dW + lam / m * p.W, rtol=1e-12)
        np.testing.assert_allclose(r.db, p.db, rtol=1e-12)  # biases are not regularized
