"""The engine on a real GPU (CuPy), compared with the CPU to 1e-5 in float32: the forward
pass, the gradients, and one step of every optimizer.

NOT RUN ON A GPU YET: the machine these tests were written on had none; they skip with
the reason "no CUDA GPU" without CuPy or without a device (``pytest -m gpu`` selects them).
"""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import Network, backend
from glassnet.optimizers import OPTIMIZERS, get_optimizer

pytestmark = pytest.mark.gpu


def _cuda() -> str:
    try:
        return backend.check_device("cuda")
    except (ImportError, RuntimeError) as exc:
        pytest.skip(f"no CUDA GPU ({exc})")


def _pair(**build: object) -> tuple[Network, Network]:
    options = {"seed": 0, "dtype": "float32", **build}
    sizes = [20, 32, 16, 4]
    return Network.build(sizes, **options), Network.build(sizes, **options).to(_cuda())  # type: ignore[arg-type]


def _data(m: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(m, 20)).astype(np.float32), rng.integers(0, 4, size=m)


def _host(net: Network) -> dict[str, np.ndarray]:
    return {key: backend.to_host(array) for key, array in net.arrays().items()}


def test_forward_matches_the_cpu() -> None:
    X, _ = _data()
    cpu, gpu = _pair(batch_norm=True)
    np.testing.assert_allclose(gpu.predict_output(X), cpu.predict_output(X), atol=1e-5)


def test_gradients_match_the_cpu() -> None:
    X, y = _data()
    cpu, gpu = _pair(l2=0.01)
    for net in (cpu, gpu):
        Y = net.check_y(y, X.shape[0])
        net.forward(net.check_X(X), training=True)
        net.backward(Y)
    for (name, g_cpu), (_, g_gpu) in zip(cpu.gradients(), gpu.gradients(), strict=True):
        np.testing.assert_allclose(backend.to_host(g_gpu), g_cpu, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("name", [*sorted(OPTIMIZERS), "momentum", "nesterov"])
def test_one_step_of_every_optimizer_matches_the_cpu(name: str) -> None:
    X, y = _data()
    cpu, gpu = _pair()
    for net in (cpu, gpu):
        Xc, Yc = net.check_X(X), net.check_y(y, X.shape[0])
        net.train_step(Xc, Yc, get_optimizer(name, learning_rate=0.01))
    host = _host(gpu)
    for key, array in cpu.arrays().items():
        np.testing.assert_allclose(host[key], array, atol=1e-5, err_msg=f"{name}: {key}")


def test_fit_on_the_gpu_matches_the_cpu() -> None:
    X, y = _data(256)
    cpu, gpu = _pair(dropout=0.1)
    h_cpu = cpu.fit(X, y, epochs=2, batch_size=32, seed=0)
    h_gpu = gpu.fit(X, y, epochs=2, batch_size=32, seed=0)
    np.testing.assert_allclose(h_gpu.logs["loss"], h_cpu.logs["loss"], rtol=1e-4)
    host = _host(gpu)
    for key, array in cpu.arrays().items():
        np.testing.assert_allclose(host[key], array, atol=1e-4, err_msg=key)
