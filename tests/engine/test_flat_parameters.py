"""The network's parameters and gradients live in two flat buffers, and training on them
gives the same numbers as the per-array rules (issue 15)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import backend

OPTIMIZERS = {
    "sgd": lambda: gn.SGD(0.05),
    "momentum": lambda: gn.SGD(0.05, momentum=0.9),
    "nesterov": lambda: gn.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: gn.Adam(0.01),
    "adamw": lambda: gn.AdamW(0.01),
    "rmsprop": lambda: gn.optimizers.RMSprop(0.01),
    "adagrad": lambda: gn.optimizers.Adagrad(0.05),
}


def _data(m: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.random((m, 12), dtype=np.float32), rng.integers(0, 3, m)


def _net(batch_norm: bool = False) -> gn.Network:
    return gn.Network.build([12, 16, 8, 3], seed=0, batch_norm=batch_norm, l2=0.01)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_every_parameter_and_gradient_is_a_view_of_one_buffer(batch_norm: bool) -> None:
    net = _net(batch_norm)
    flat = net._storage
    assert flat is not None
    theta, grad = flat
    for (_, param), (_, g) in zip(net.parameters(), net.gradients(), strict=True):
        assert param.base is theta and np.shares_memory(param, theta)
        assert g.base is grad and np.shares_memory(g, grad)
    theta += 1.0  # through the buffer: the layers see it
    assert np.all(net.layers[0].b == 1.0)
    assert theta.size >= net.n_parameters()


def test_packing_keeps_the_values() -> None:
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    net = gn.Network.from_parameters(
        [{"W": W, "b": b, "activation": "sigmoid"}], loss="mse", dtype="float32"
    )
    np.testing.assert_array_equal(net.layers[0].W, W)
    np.testing.assert_array_equal(net.layers[0].b, b)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_norm", [False, True])
def test_flat_training_equals_the_per_array_rules(name: str, batch_norm: bool) -> None:
    X, y = _data()
    flat, per_array = _net(batch_norm), _net(batch_norm)
    per_array._storage = None  # the per-array path of Optimizer.step
    for net in (flat, per_array):
        net.fit(X, y, epochs=2, batch_size=32, optimizer=OPTIMIZERS[name](), seed=1)
    for (key, a), (_, b) in zip(flat.arrays().items(), per_array.arrays().items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=key)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "adamw"])
def test_compiled_rules_equal_numpy_bit_for_bit(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    results = []
    for use in (True, False):
        monkeypatch.setattr(backend, "USE_COMPILED", use)
        net, optimizer = _net(), OPTIMIZERS[name]()
        params = [array for _, array in net.parameters()]
        grads = [array for _, array in net.gradients()]
        rng = np.random.default_rng(7)  # the same gradients for both
        for _ in range(5):
            for grad in grads:
                grad[...] = rng.standard_normal(grad.shape)
            optimizer.step(params, grads, net._storage)
        results.append(net.arrays())
    for key in results[0]:
        np.testing.assert_array_equal(results[0][key], results[1][key], err_msg=key)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_with_every_kernel_equals_numpy_to_rounding(
    dtype: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fused layer and loss kernels sum in another order and call another exp than
    # NumPy: the same training to a few units in the last place, compounded over 20 steps.
    pytest.importorskip("numba")
    X, y = _data()
    results = []
    for use in (True, False):
        monkeypatch.setattr(backend, "USE_COMPILED", use)
        net = gn.Network.build([12, 16, 8, 3], seed=0, l2=0.01, dtype=dtype)
        net.fit(X, y, epochs=2, batch_size=32, optimizer=gn.Adam(0.01), seed=1)
        results.append(net.arrays())
    tolerance = {"float32": 1e-4, "float64": 1e-11}[dtype]
    for key in results[0]:
        np.testing.assert_allclose(
            results[0][key], results[1][key], rtol=tolerance, atol=tolerance, err_msg=key
        )


def test_the_optimizer_state_keeps_its_per_parameter_format() -> None:
    X, y = _data()
    net = _net()
    optimizer = gn.Adam(0.01)
    net.fit(X, y, epochs=1, batch_size=64, optimizer=optimizer, seed=0)
    params = [array for _, array in net.parameters()]
    arrays = optimizer.state_dict()["arrays"]
    for i, param in enumerate(params):
        assert arrays[f"{i}.m"].shape == param.shape == arrays[f"{i}.v"].shape
    # The state is shared with the flat buffers: a per-parameter view, not a copy.
    assert optimizer.state[0]["m"].base is optimizer._flat["m"]
    # Resuming from the saved state continues exactly as the uninterrupted optimizer.
    resumed = gn.Adam(0.01)
    resumed.load_state_dict(optimizer.state_dict(), params)
    twin = gn.Network.from_config(net.config(), {k: v.copy() for k, v in net.arrays().items()})
    net.fit(X, y, epochs=1, batch_size=64, optimizer=optimizer, seed=5)
    twin.fit(X, y, epochs=1, batch_size=64, optimizer=resumed, seed=5)
    for key, array in net.arrays().items():
        np.testing.assert_array_equal(array, twin.arrays()[key], err_msg=key)


def test_a_replaced_array_falls_back_to_the_per_array_rules() -> None:
    X, y = _data()
    net = _net()
    W = net.layers[0].W.copy()
    net.layers[0].W = W  # no longer a view of the buffer
    net.fit(X, y, epochs=1, batch_size=64, optimizer=gn.Adam(0.01), seed=0)
    assert net.layers[0].W is W and not np.array_equal(W, _net().layers[0].W)


def test_threads_limits_blas_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = _data(64)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = []
    real = threadpoolctl.threadpool_limits

    def spy(limits: int, user_api: str) -> object:
        seen.append((limits, user_api))
        return real(limits=limits, user_api=user_api)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", spy)
    _net().fit(X, y, epochs=1, batch_size=32, threads=1)
    assert seen == [(1, "blas")]
    with pytest.raises(ValueError, match=r"threads must be a positive integer, got 0"):
        _net().fit(X, y, epochs=1, threads=0)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    with pytest.raises(ImportError, match=r"threads=2 needs threadpoolctl"):
        _net().fit(X, y, epochs=1, threads=2)
