"""A new kind of layer is one class plus one registry line.

Two layers show it. :class:`~glassnet.layers.Flatten` is the library's own (one file,
``layers/flatten.py``, and one line in ``LAYERS``). ``Scale`` below is written here, in
the test, as a user would: a learnable per-unit scale ``A = s ⊙ A_prev`` with
``∂L/∂s = Σ_samples ∂L/∂A ⊙ A_prev`` and ``∂L/∂A_prev = ∂L/∂A ⊙ s``. Registered with one
line, it trains, passes the gradient check, is traced and diagnosed, and survives a model
file, while trace, gradcheck, diagnose and the model file know nothing about it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.backend import Array, xp
from glassnet.inspect import gradient_check, render, trace
from glassnet.inspect.diagnose import diagnose
from glassnet.io import load_model, save_model
from glassnet.layers import LAYERS, Dense, Flatten, Layer


class Scale(Layer):
    """``A = s ⊙ A_prev``: one learnable factor per unit."""

    kind = "scale"

    def __init__(self, n: int, s: Any = None, dtype: Any = "float64") -> None:
        self.input_shape = self.output_shape = (n,)
        self.s = xp.array(np.ones(n) if s is None else s, dtype=dtype)
        self.ds = xp.zeros_like(self.s)
        self.A_prev: Array | None = None
        self.A: Array | None = None

    @property
    def params(self) -> dict[str, Array]:
        return {"s": self.s}

    @property
    def grads(self) -> dict[str, Array]:
        return {"s": self.ds}

    def forward(self, A_prev: Array, training: bool = False) -> Array:
        self.A_prev, self.A = A_prev, A_prev * self.s
        return self.A

    def backward(self, dA: Array) -> Array | None:
        assert self.A_prev is not None
        xp.sum(dA * self.A_prev, axis=0, out=self.ds)
        return dA * self.s if self.propagate_input_grad else None

    def forward_record(self) -> dict[str, Array | None]:
        return {"A": self.A}

    def backward_record(self) -> dict[str, Array | None]:
        return {"ds": self.ds}

    def config(self) -> dict[str, Any]:
        return {"type": self.kind, "n": self.n_in}

    @classmethod
    def from_config(cls, config, arrays, dtype, rng=None) -> Scale:
        return cls(config["n"], arrays["s"], dtype)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LAYERS, Scale.kind, Scale)  # the one registry line


def _scaled_network(seed: int = 0) -> gn.Network:
    rng = np.random.default_rng(seed)
    return gn.Network(
        [
            Dense(3, 4, "tanh", rng=rng, dtype="float64"),
            Scale(4, rng.uniform(0.5, 1.5, 4)),
            Dense(4, 2, "softmax", rng=rng, dtype="float64"),
        ],
        "cce",
        l2=0.1,
    )


def _data(m: int = 8, n: int = 3, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.integers(0, 2, m)


def test_a_user_layer_passes_the_gradient_check(registered) -> None:
    # Not seed 1: there ∂J/∂b^[3] nearly cancels over the samples (about 2e-4), and the
    # relative error of so small a gradient measures the central difference's rounding.
    X, y = _data(seed=2)
    result = gradient_check(_scaled_network(), X, y)
    assert [c.name for c in result.arrays] == ["W1", "b1", "s2", "W3", "b3"]
    assert result.max_relative_error < 1e-7, str(result)


def test_a_user_layer_trains_and_round_trips_through_a_model_file(registered, tmp_path) -> None:
    X, y = _data(m=40)
    net = _scaled_network()
    before = net.parameters()[2][1].copy()
    history = net.fit(X, y, epochs=30, batch_size=8, optimizer="sgd", learning_rate=0.5, seed=0)
    assert history.loss[-1] < history.loss[0]
    assert not np.array_equal(net.parameters()[2][1], before)  # s learned too
    path = save_model(tmp_path / "scaled.glassnet", net)
    loaded = load_model(path).network
    assert isinstance(loaded.layers[1], Scale)
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))


def test_a_user_layer_is_traced_and_diagnosed(registered) -> None:
    X, y = _data()
    net = _scaled_network()
    record = trace(net.astype("float64"), X, y, learning_rate=0.1)
    text = render(record, "text")
    assert "s^[2]" in text or "∂J/∂s^[2]" in text
    diagnosis = diagnose(net, X, y, learning_rate=0.1)
    assert len(diagnosis.layers) >= 2  # the two dense layers at least, with no error


def test_flatten_backward_is_the_reshaped_gradient_by_finite_differences() -> None:
    """``L = Σ C ⊙ flatten(A)``: ``∂L/∂A`` from backward equals central differences."""
    rng = np.random.default_rng(0)
    layer = Flatten((2, 3))
    A = rng.normal(size=(4, 2, 3))
    C = rng.normal(size=(4, 6))
    layer.forward(A)
    analytic = layer.backward(C)
    assert analytic is not None and analytic.shape == A.shape
    numeric = np.zeros_like(A)
    eps = 1e-6
    for index in np.ndindex(A.shape):
        plus, minus = A.copy(), A.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (np.sum(C * layer.forward(plus)) - np.sum(C * layer.forward(minus))) / (
            2 * eps
        )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-8, atol=1e-10)


def _image_network(flatten: bool = True) -> gn.Network:
    rng = np.random.default_rng(0)
    layers: list[Layer] = [Flatten((2, 3))] if flatten else []
    layers += [
        Dense(6, 4, "relu", rng=rng, dtype="float64"),
        gn.Dropout(4, 0.25, rng=rng),
        Dense(4, 3, "softmax", rng=rng, dtype="float64"),
    ]
    return gn.Network(layers, "cce")


def test_flatten_networks_are_gradchecked_traced_diagnosed_and_saved(tmp_path) -> None:
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(10, 2, 3)), rng.integers(0, 3, 10)
    net = _image_network()
    result = gradient_check(net, X, y)
    assert result.max_relative_error < 1e-7, str(result)
    for fmt, W1 in (
        ("text", "W^[1]"),
        ("markdown", r"\mathbf{W}^{[1]}"),
        ("latex", r"\mathbf{W}^{[1]}"),
    ):
        assert W1 in render(trace(net.astype("float64"), X, y), fmt)
    assert [s.index for s in diagnose(net, X, y).layers] == [1, 2]
    net.fit(X, y, epochs=2, batch_size=5, seed=0)
    loaded = load_model(save_model(tmp_path / "images.glassnet", net)).network
    assert loaded.input_shape == (2, 3)
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
    with pytest.raises(ValueError, match=r"X has samples of shape \(6,\), but .* expects \(2, 3\)"):
        net.predict(X.reshape(10, 6))


def test_the_same_images_flattened_by_the_layer_or_by_hand_give_the_same_model() -> None:
    """A Flatten layer is exactly a reshape of the inputs: bit-identical training."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(30, 2, 3)), rng.integers(0, 3, 30)
    with_layer, by_hand = _image_network(), _image_network(flatten=False)
    with_layer.fit(X, y, epochs=3, batch_size=10, seed=0)
    by_hand.fit(X.reshape(30, 6), y, epochs=3, batch_size=10, seed=0)
    for (name, a), (_, b) in zip(with_layer.parameters(), by_hand.parameters(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_batch_norm_as_a_layer_of_its_own_is_checked_traced_and_saved(tmp_path) -> None:
    """``gn.BatchNorm`` between two dense layers normalizes ``A^[1]``: it is numbered as
    a layer with parameters (γ^[2], β^[2]), passes the gradient check, and round-trips."""
    rng = np.random.default_rng(4)
    net = gn.Network(
        [
            Dense(3, 5, "tanh", rng=rng, dtype="float64"),
            gn.BatchNorm(5, dtype="float64"),
            Dense(5, 2, "softmax", rng=rng, dtype="float64"),
        ],
        "cce",
    )
    X, y = rng.normal(size=(12, 3)), rng.integers(0, 2, 12)
    assert [name for name, _ in net.parameters()] == ["W1", "b1", "gamma2", "beta2", "W3", "b3"]
    result = gradient_check(net, X, y)
    assert result.max_relative_error < 1e-7, str(result)
    text = render(trace(net.astype("float64"), X, y), "text")
    assert "x̂^[2] = (A^[1] − μ)" in text and "∂L/∂γ^[2]" in text
    with pytest.raises(ValueError, match=r"batch_size must be ≥ 2 with batch norm"):
        net.fit(X, y, batch_size=1)
    net.fit(X, y, epochs=3, batch_size=4, seed=0)
    loaded = load_model(save_model(tmp_path / "bn.glassnet", net)).network
    np.testing.assert_array_equal(loaded.predict_output(X), net.predict_output(X))
    np.testing.assert_array_equal(loaded.buffers()[1][1], net.buffers()[1][1])  # running var


def test_dropout_on_the_inputs_passes_nothing_below_it() -> None:
    rng = np.random.default_rng(5)
    net = gn.Network(
        [gn.Dropout(3, 0.5, rng=rng), Dense(3, 2, "softmax", rng=rng, dtype="float64")], "cce"
    )
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    assert net.layers[0].propagate_input_grad is False
    result = gradient_check(net, X, y)
    assert result.max_relative_error < 1e-7, str(result)
