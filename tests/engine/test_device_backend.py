"""The device backend, kept honest without a GPU: the engine on a stand-in device whose
arrays refuse to become NumPy's (tests/engine/strict_device.py), compared with the CPU.

Every path that silently moves device data to the host (``np.asarray``, a NumPy function
on a device array) or mixes host arrays into device arithmetic raises there, as with CuPy.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import strict_device

from glassnet import Network, backend
from glassnet.inspect import gradient_check, trace
from glassnet.io import load_model, save_model
from glassnet.optimizers import OPTIMIZERS, get_optimizer

DEVICE = "strict"
backend.register_device(DEVICE, strict_device.library)


def _data(m: int = 40, n: int = 6, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(m, n)), rng.integers(0, k, size=m)


def _pair(**build: object) -> tuple[Network, Network]:
    """The same network twice: on the CPU and on the strict device."""
    options = {"seed": 3, "dtype": "float64", **build}
    return Network.build([6, 8, 5, 3], **options), Network.build([6, 8, 5, 3], **options).to(DEVICE)  # type: ignore[arg-type]


def test_the_strict_device_refuses_what_cupy_refuses() -> None:
    with backend.on_device(DEVICE):
        a = backend.to_device(np.ones(3))
        with pytest.raises(TypeError, match="Implicit conversion"):
            np.asarray(a)
        with pytest.raises(TypeError):
            a + np.ones(3)
        with pytest.raises(TypeError):
            np.ones(3) * a
        with pytest.raises(TypeError):
            backend.xp.sum(np.ones(3))
    assert isinstance(backend.to_host(a), np.ndarray)


def test_xp_holds_the_devices_names_only_inside_on_device() -> None:
    assert backend.xp.matmul is np.matmul and backend.current_device() == "cpu"
    with pytest.raises(RuntimeError), backend.on_device(DEVICE):
        assert backend.xp.matmul is strict_device.library.matmul
        assert backend.current_device() == DEVICE
        raise RuntimeError("leave the block")
    assert backend.xp.matmul is np.matmul and backend.current_device() == "cpu"


@pytest.mark.parametrize(
    "build, options",
    [
        ({}, {"optimizer": "adam"}),
        ({"dropout": 0.2, "batch_norm": True, "l2": 0.01, "l1": 0.001}, {"optimizer": "momentum"}),
        ({}, {"optimizer": "rmsprop", "clip_norm": 0.5, "shuffle": False}),
    ],
)
def test_training_on_the_device_gives_the_cpus_parameters(build: dict, options: dict) -> None:
    X, y = _data()
    cpu, device = _pair(**build)
    fit = {"epochs": 3, "batch_size": 8, "learning_rate": 0.01, "seed": 0, **options}
    h_cpu = cpu.fit(X, y, validation_data=(X, y), **fit)
    h_dev = device.fit(X, y, validation_data=(X, y), **fit)
    for (name, a), (_, b) in zip(cpu.arrays().items(), device.arrays().items(), strict=True):
        assert isinstance(b, strict_device.StrictArray), name
        np.testing.assert_allclose(b.get(), a, rtol=0, atol=1e-12, err_msg=name)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(h_dev.logs[key], h_cpu.logs[key], rtol=1e-12)


def test_predict_and_evaluate_on_the_device_match_the_cpu() -> None:
    X, y = _data()
    cpu, device = _pair()
    out = device.predict_output(X)
    assert isinstance(out, np.ndarray)  # brought to the host
    np.testing.assert_allclose(out, cpu.predict_output(X), rtol=0, atol=1e-13)
    np.testing.assert_array_equal(device.predict(X), cpu.predict(X))
    scores = device.evaluate(X, y, metrics=["f1_macro"])
    expected = cpu.evaluate(X, y, metrics=["f1_macro"])
    assert scores.keys() == expected.keys()
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, rel=1e-12), key


def test_a_device_network_saves_and_loads(tmp_path) -> None:
    X, y = _data()
    cpu, device = _pair(batch_norm=True)
    for net in (cpu, device):
        net.fit(X, y, epochs=1, batch_size=10, seed=0)
    path = save_model(tmp_path / "device.glassnet", device)
    loaded = load_model(path).network
    assert loaded.device == "cpu"
    # The bias below batch norm has a zero gradient: it drifts by rounding alone (~1e-12).
    for (name, a), (_, b) in zip(cpu.arrays().items(), loaded.arrays().items(), strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10, err_msg=name)


def test_trace_and_gradient_check_of_a_device_network() -> None:
    X, y = _data(m=12)
    cpu, device = _pair(l2=0.1)
    expected = trace(cpu, X, y, steps=2).to_dict()
    got = trace(device, X, y, steps=2).to_dict()
    assert got.keys() == expected.keys()
    np.testing.assert_allclose(got["steps"][1]["loss"], expected["steps"][1]["loss"], rtol=1e-12)
    assert str(got) == str(expected) or _close(got, expected)
    check = gradient_check(device, X, y)
    assert check.passed and check.max_relative_error < 1e-7


def _close(a: object, b: object) -> bool:
    """Nested lists, dicts and numbers equal to 1e-12 (relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-15)
    return a == b


def test_to_cpu_brings_every_array_back_and_training_continues() -> None:
    X, y = _data()
    cpu, device = _pair()
    cpu.fit(X, y, epochs=1, batch_size=8, seed=0)
    device.fit(X, y, epochs=1, batch_size=8, seed=0)
    device.to("cpu")
    assert device.device == "cpu"
    assert all(isinstance(a, np.ndarray) for a in device.arrays().values())
    cpu.fit(X, y, epochs=1, batch_size=8, seed=1)
    device.fit(X, y, epochs=1, batch_size=8, seed=1)
    for (name, a), (_, b) in zip(cpu.arrays().items(), device.arrays().items(), strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, err_msg=name)


def test_fit_device_moves_the_network_first() -> None:
    X, y = _data()
    net = Network.build([6, 4, 3], seed=0, dtype="float64")
    net.fit(X, y, epochs=1, device=DEVICE)
    assert net.device == DEVICE
    assert isinstance(net.layers[0].W, strict_device.StrictArray)


def test_cuda_without_cupy_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy → ImportError
    monkeypatch.delitem(backend.DEVICES, "cuda", raising=False)
    with pytest.raises(ImportError, match=r'needs CuPy.*pip install "glassnet\[gpu\]"'):
        Network.build([2, 2], device="cuda")
    assert backend.check_device("auto") == "cpu"


def test_cuda_with_cupy_but_no_gpu_says_so(monkeypatch) -> None:
    def no_device() -> int:
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    runtime = types.SimpleNamespace(getDeviceCount=no_device)
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delitem(backend.DEVICES, "cuda", raising=False)
    with pytest.raises(RuntimeError, match="CuPy is installed but finds no CUDA GPU"):
        Network.build([2, 2]).to("cuda")


def test_an_unknown_device_is_named() -> None:
    with pytest.raises(ValueError, match=r"device must be one of .*got 'tpu'"):
        Network.build([2, 2]).to("tpu")


@pytest.mark.parametrize("name", [*sorted(OPTIMIZERS), "momentum", "nesterov"])
def test_every_optimizer_steps_on_the_device_as_on_the_cpu(name: str) -> None:
    X, y = _data()
    cpu, device = _pair(l2=0.01)
    for net in (cpu, device):
        optimizer = get_optimizer(name, learning_rate=0.01)
        for _ in range(2):  # the second step reads the state the first made on the device
            net.train_step(net.check_X(X), net.check_y(y, X.shape[0]), optimizer, clip_value=1.0)
    for (key, a), (_, b) in zip(cpu.arrays().items(), device.arrays().items(), strict=True):
        np.testing.assert_allclose(backend.to_host(b), a, rtol=0, atol=1e-12, err_msg=key)
