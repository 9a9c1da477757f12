"""safetensors both ways, against PyTorch: glassnet's weights loaded by an ``nn.Sequential``
built here by hand (strict ``load_state_dict``, outputs equal in float64), and a PyTorch MLP
trained in PyTorch loaded by glassnet (outputs, and backpropagation's gradients against
autograd's, equal in float64); the writer without the ``safetensors`` package against the
package; and the hostile files the reader refuses, each with one line naming the file."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import LIMITS, ModelFileError, load_safetensors, save_safetensors
from glassnet.io.safetensors import ARCHITECTURE_KEY, PYTORCH_KEY
from glassnet.io.safetensors_format import read_safetensors, safetensors_bytes

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="the PyTorch cross-checks need torch: pip install torch (the CPU build will do)",
)
needs_safetensors = pytest.mark.skipif(
    importlib.util.find_spec("safetensors") is None,
    reason="the comparison with the reference writer needs safetensors: pip install safetensors",
)
TOLERANCE = 1e-6
"""The issue's bar for float64 (the differences measured are ~1e-15: the same operations)."""
FUSED = {"cce": "softmax", "bce": "sigmoid"}  # the PyTorch model ends in logits for these


def _data(n_features: int, loss: str, n_out: int, m: int = 48, seed: int = 0) -> tuple:
    """Features off-centre and off-scale (batch norm's running statistics move far from
    their initial 0 and 1), and targets for ``loss``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(1.5, 3.0, size=(m, n_features))
    if loss == "cce":
        return X, rng.integers(0, n_out, size=m)
    if loss == "bce":
        return X, rng.integers(0, 2, size=(m, n_out)).astype(np.float64)
    return X, rng.normal(size=(m, n_out))


def _torch_sequential(net: gn.Network) -> Any:
    """The ``nn.Sequential`` of ``net`` written out by hand, as a PyTorch user would: each
    Dense is a Linear (with a BatchNorm1d), then its activation; dropout a Dropout; no
    final activation where the loss takes logits."""
    from torch import nn

    modules: list[Any] = []
    torch_activation = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "elu": nn.ELU,
        "softplus": nn.Softplus,
        "gelu": lambda: nn.GELU(approximate="tanh"),
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
    }
    for layer in net.layers:
        if isinstance(layer, gn.Dropout):
            modules.append(nn.Dropout(layer.rate))
            continue
        assert isinstance(layer, gn.Dense)
        modules.append(nn.Linear(layer.n_in, layer.n_out))
        if layer.norm is not None:
            modules.append(nn.BatchNorm1d(layer.n_out, eps=layer.norm.epsilon))
        name = layer.activation.name
        if layer is not net.output_layer:
            modules.append(torch_activation[name]())
        elif name not in ("identity", FUSED.get(net.loss.name)):
            modules.append(torch_activation[name]())
    return nn.Sequential(*modules).double()


def _torch_output(model: Any, X: np.ndarray, loss: str) -> np.ndarray:
    """``A^[L]`` from a PyTorch model: softmax or sigmoid of the logits where glassnet's
    output activation is fused with its loss."""
    import torch

    with torch.no_grad():
        Z = model(torch.from_numpy(X))
    if loss == "cce":
        Z = torch.softmax(Z, dim=1)
    elif loss == "bce":
        Z = torch.sigmoid(Z)
    return Z.numpy()


def _trained_glassnet(hidden: str, output: str, loss: str) -> tuple[gn.Network, np.ndarray]:
    net = gn.Network.build(
        [5, 9, 7, 3],
        activation=hidden,
        output_activation=output,
        loss=loss,
        batch_norm=True,
        dropout=0.25,
        seed=0,
        dtype="float64",
    )
    X, y = _data(5, loss, 3)
    net.fit(X, y, epochs=3, batch_size=16, optimizer="sgd", learning_rate=0.05, seed=0)
    norm = net.layers[0].norm
    assert norm is not None and np.abs(norm.running_mean).max() > 0.1  # moved off (0, 1)
    return net, X


# -- export: glassnet → PyTorch -----------------------------------------------------------


@needs_torch
@needs_safetensors
@pytest.mark.parametrize(
    ("output", "loss"), [("softmax", "cce"), ("sigmoid", "bce"), ("identity", "mse")]
)
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "gelu", "elu"])
def test_pytorch_loads_the_export_strictly_and_computes_the_same_outputs(
    tmp_path, hidden, output, loss
) -> None:
    from safetensors.torch import load_file

    net, X = _trained_glassnet(hidden, output, loss)
    path = save_safetensors(net, tmp_path / "w.safetensors")
    model = _torch_sequential(net)
    model.load_state_dict(load_file(path), strict=True)  # every name and shape, no extra
    model.eval()
    difference = np.abs(_torch_output(model, X, loss) - net.predict_output(X)).max()
    assert difference < TOLERANCE


@needs_torch
@needs_safetensors
@pytest.mark.parametrize(("output", "loss"), [("softmax", "cce"), ("tanh", "mse")])
def test_the_pytorch_code_in_the_metadata_builds_a_model_that_loads_the_file(
    tmp_path, output, loss
) -> None:
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file
    from torch import nn

    net, X = _trained_glassnet("relu", output, loss)
    path = save_safetensors(net, tmp_path / "w.safetensors", metadata={"note": "hello"})
    with safe_open(str(path), "pt") as file:
        metadata = file.metadata()
    assert metadata["note"] == "hello" and metadata["format"] == "pt"
    code = metadata[PYTORCH_KEY].splitlines()[0]
    assert code.startswith("model = nn.Sequential(nn.Linear(5, 9), nn.BatchNorm1d(9, eps=1e-05")
    model = eval(code.removeprefix("model = "), {"nn": nn})  # the code we wrote, run as told
    model.load_state_dict(load_file(path), strict=True)
    model.eval()
    expected = net.predict_output(X)
    with torch.no_grad():
        logits = model(torch.from_numpy(X))
    actual = torch.softmax(logits, dim=1).numpy() if output == "softmax" else logits.numpy()
    assert np.abs(actual - expected).max() < TOLERANCE
    architecture = json.loads(metadata[ARCHITECTURE_KEY])
    assert architecture["output"] == ("logits" if output == "softmax" else "activation")
    assert architecture["network"] == net.config()


def test_the_export_reads_back_as_the_same_network_with_its_dropout(tmp_path) -> None:
    net = gn.Network.build([4, 6, 2], activation="tanh", batch_norm=True, dropout=0.3, seed=1)
    net.layers[0].norm.running_mean[:] = np.arange(6)  # buffers travel too
    again = load_safetensors(save_safetensors(net, tmp_path / "w.safetensors"))
    assert again.config() == net.config()  # dropout and batch norm's settings from metadata
    for key, array in net.arrays().items():
        np.testing.assert_array_equal(again.arrays()[key], array)
    assert again.dtype == np.float32


# -- import: PyTorch → glassnet -------------------------------------------------------------


def _pytorch_trained(loss: str, n_out: int, prefix: str = "") -> tuple[Any, np.ndarray, Any]:
    """An MLP trained 5 steps in PyTorch (float64): Linear, BatchNorm1d, ReLU, Dropout,
    Linear, Tanh, Linear, ending in logits for cce and bce; and its data and targets."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 8),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(8, 6),
        nn.Tanh(),
        nn.Linear(6, n_out),
    ).double()
    X, y = _data(5, loss, n_out, seed=1)
    target = torch.from_numpy(y)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(5):
        optimizer.zero_grad()
        _torch_loss(loss, model(torch.from_numpy(X)), target).backward()
        optimizer.step()
    return model, X, y


def _torch_loss(loss: str, out: Any, target: Any) -> Any:
    """glassnet's losses in PyTorch: the mean over samples of a sum over outputs."""
    import torch
    from torch import nn

    if loss == "cce":
        return nn.CrossEntropyLoss()(out, target)
    if loss == "bce":
        return nn.BCEWithLogitsLoss(reduction="sum")(out, target) / out.shape[0]
    return 0.5 * ((out - target) ** 2).sum(dim=1).mean() + 0 * torch.zeros(())


@needs_torch
@needs_safetensors
@pytest.mark.parametrize(("loss", "n_out"), [("cce", 3), ("bce", 2), ("mse", 2)])
def test_a_pytorch_mlp_loads_with_its_outputs_and_autograds_gradients(tmp_path, loss, n_out):
    import torch
    from safetensors.torch import save_file

    model, X, y = _pytorch_trained(loss, n_out)
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    net = load_safetensors(
        tmp_path / "w.safetensors", {"activation": ["relu", "tanh"], "loss": loss}
    )
    assert [type(layer).__name__ for layer in net.layers] == ["Dense", "Dense", "Dense"]
    assert net.layers[0].norm is not None and net.dtype == np.float64

    model.eval()
    assert np.abs(_torch_output(model, X, loss) - net.predict_output(X)).max() < TOLERANCE

    # Training mode (batch norm on the batch's statistics), dropout off in both.
    model.train()
    model[3].p = 0.0
    model.zero_grad()
    _torch_loss(loss, model(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    net.forward(net.check_X(X), training=True)
    net.backward(net.check_y(y, X.shape[0]))
    dense = net.layers
    pairs = [
        (dense[0].dW, model[0].weight), (dense[0].db, model[0].bias),
        (dense[0].norm.dgamma, model[1].weight), (dense[0].norm.dbeta, model[1].bias),
        (dense[1].dW, model[4].weight), (dense[1].db, model[4].bias),
        (dense[2].dW, model[6].weight), (dense[2].db, model[6].bias),
    ]  # fmt: skip
    worst = max(np.abs(ours - theirs.grad.numpy()).max() for ours, theirs in pairs)
    assert worst < TOLERANCE
    assert max(np.abs(theirs.grad.numpy()).max() for _, theirs in pairs) > 1e-3  # not all ~0


@needs_torch
@needs_safetensors
def test_the_trace_of_a_pytorch_mlp_shows_autograds_gradients_and_sgds_step(tmp_path) -> None:
    import torch
    from safetensors.torch import save_file

    model, X, y = _pytorch_trained("cce", 3)
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    net = load_safetensors(
        tmp_path / "w.safetensors", {"activation": ["relu", "tanh"], "loss": "cce"}
    )
    X, y = X[:6], y[:6]
    record = gn.trace(net, X, y, steps=1, learning_rate=0.05)

    model.train()
    model[3].p = 0.0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    optimizer.zero_grad()
    loss = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    step = record.steps[0]
    assert math.isclose(step.loss, loss.item(), rel_tol=0, abs_tol=TOLERANCE)
    backward = {entry["layer"]: entry for entry in step.backward}
    linears = {1: model[0], 2: model[4], 3: model[6]}
    for l, linear in linears.items():
        assert np.abs(np.array(backward[l]["dW"]) - linear.weight.grad.numpy()).max() < TOLERANCE
        assert (
            np.abs(np.array(backward[l]["db"])[:, 0] - linear.bias.grad.numpy()).max() < TOLERANCE
        )
    optimizer.step()
    after = {entry["layer"]: entry for entry in step.params}
    for l, linear in linears.items():
        assert np.abs(np.array(after[l]["W"]) - linear.weight.detach().numpy()).max() < TOLERANCE


@needs_torch
@needs_safetensors
def test_a_sequential_inside_a_module_loads_by_its_prefix_and_float32_stays_float32(tmp_path):
    import torch
    from safetensors.torch import save_file
    from torch import nn

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 4), nn.Linear(4, 1))

    torch.manual_seed(1)
    model = Classifier()
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    net = load_safetensors(tmp_path / "w.safetensors", {"activation": "elu", "loss": "bce"})
    # Linear 2 is followed directly by Linear 3: no activation between them.
    assert [layer.activation.name for layer in net.layers] == ["elu", "identity", "sigmoid"]
    assert net.dtype == np.float32
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    with torch.no_grad():
        expected = torch.sigmoid(model.net(torch.from_numpy(X))).numpy()
    assert np.abs(net.predict_output(X) - expected).max() < 1e-6


@needs_torch
@needs_safetensors
def test_half_precision_weights_load_as_float32_with_the_same_values(tmp_path) -> None:
    import torch
    from safetensors.torch import save_file
    from torch import nn

    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    for dtype in (torch.bfloat16, torch.float16):
        save_file(model.to(dtype).state_dict(), tmp_path / "half.safetensors")
        net = load_safetensors(tmp_path / "half.safetensors", {"activation": "tanh", "loss": "cce"})
        assert net.dtype == np.float32
        expected = model[2].weight.detach().float().numpy()
        np.testing.assert_array_equal(net.layers[1].W, expected)  # bf16 and f16 fit in f32


def test_a_state_dict_without_metadata_needs_the_activations_and_the_loss(tmp_path) -> None:
    tensors = {"0.weight": np.ones((2, 3)), "0.bias": np.zeros(2)}
    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_bytes(tensors, {}))
    with pytest.raises(ModelFileError, match=r"no glassnet.architecture metadata.*--activation"):
        load_safetensors(path)
    with pytest.raises(ValueError, match=r"architecture needs 'activation'.*and 'loss'"):
        load_safetensors(path, {"loss": "mse"})
    with pytest.raises(ValueError, match=r"unknown activation 'relux'"):
        load_safetensors(path, {"activation": "relux", "loss": "mse"})
    net = load_safetensors(path, {"activation": "relu", "loss": "mse"}, dtype="float32")
    assert net.predict_output(np.ones((1, 3))).tolist() == [[3.0, 3.0]]


# -- the writer without the package ---------------------------------------------------------


@needs_safetensors
def test_the_writer_without_the_package_writes_what_the_package_reads_identically(
    tmp_path, monkeypatch
) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file, save

    net, _ = _trained_glassnet("tanh", "softmax", "cce")
    with_package = save_safetensors(net, tmp_path / "package.safetensors").read_bytes()
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import safetensors now fails
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    path = save_safetensors(net, tmp_path / "own.safetensors")
    monkeypatch.undo()

    ours, theirs = load_file(path), load_file(tmp_path / "package.safetensors")
    assert (
        sorted(ours) == sorted(theirs) and len(ours) == 16
    )  # 3 Linear (2 each), 2 BatchNorm1d (5 each)
    for name in ours:
        assert ours[name].dtype == theirs[name].dtype
        np.testing.assert_array_equal(ours[name], theirs[name])
    with (
        safe_open(str(path), "np") as a,
        safe_open(str(tmp_path / "package.safetensors"), "np") as b,
    ):
        assert a.metadata() == b.metadata()
    # The same bytes, up to the order of the metadata's keys (the package keeps none).
    own = path.read_bytes()
    assert len(own) == len(with_package)
    size = int.from_bytes(own[:8], "little")
    assert own[8 + size :] == with_package[8 + size :]
    assert json.loads(own[8 : 8 + size]) == json.loads(with_package[8 : 8 + size])
    # With one key of metadata, every byte.
    tensors = {"b": np.arange(3.0), "a": np.ones((2, 2), np.float32), "c": np.array(7, np.int64)}
    assert safetensors_bytes(tensors, {"k": "é"}) == save(tensors, metadata={"k": "é"})


def test_importing_glassnet_io_imports_neither_torch_nor_safetensors() -> None:
    code = "import sys, glassnet.io; print(sorted({'torch', 'safetensors'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- hostile files -------------------------------------------------------------------------


def _file(tmp_path: Path, header: Any, data: bytes = b"", size: int | None = None) -> Path:
    """A file of ``header`` (JSON, or bytes as they are) and ``data``, with ``size`` as
    its header size when given."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path = tmp_path / "hostile.safetensors"
    path.write_bytes((len(raw) if size is None else size).to_bytes(8, "little") + raw + data)
    return path


def _tensor(dtype: str, shape: list[int], begin: int, end: int) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def _refused(path: Path, match: str, architecture: Any = None) -> None:
    with pytest.raises(ModelFileError, match=match) as caught:
        load_safetensors(path, architecture)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message


MLP = {"activation": "relu", "loss": "mse"}
W = _tensor("F64", [2, 2], 0, 32)


@pytest.mark.parametrize(
    ("header", "data", "size", "match"),
    [
        ({}, b"", LIMITS.spec_bytes + 1, rf"header claims {LIMITS.spec_bytes + 1:,} bytes.* at most {LIMITS.spec_bytes:,}"),
        ({"0.weight": W}, bytes(32), 10_000, r"header claims 10,000 bytes, but the file holds"),
        (b"[1, 2]", b"", None, r"its header is not a JSON object"),
        (b"\xff{}", b"", None, r"its header is not JSON"),
        (b"[" * 100_000, b"", None, r"nested too deeply|not JSON"),
        (b'{"0.weight": 1, "0.weight": 2}', b"", None, r"its header names '0.weight' twice"),
        ({"0.weight": _tensor("F64", [2, 2], 0, 64)}, bytes(32), None, r"bytes 0–64, outside the 32 bytes"),
        ({"0.weight": W, "0.bias": _tensor("F64", [2], 16, 32)}, bytes(32), None, r"overlaps the tensor before it"),
        ({"0.weight": W, "0.bias": _tensor("F64", [2], 40, 56)}, bytes(56), None, r"'0.bias' \(bytes 40–56\) leaves a gap"),
        ({"0.weight": W}, bytes(40), None, r"it has 8 bytes after its last tensor"),
        ({"0.weight": _tensor("F64", [2, 3], 0, 32)}, bytes(32), None, r"takes 32 bytes, but a F64 tensor of shape \(2, 3\) needs 48"),
        ({"0.weight": _tensor("I8", [2, 2], 0, 4)}, bytes(4), None, r"dtype 'I8'; an MLP's tensors are F64, F32"),
        ({"0.weight": _tensor("F64", [-2, 2], 0, 32)}, bytes(32), None, r"has shape \[-2, 2\]"),
        ({"0.weight": {"dtype": "F64", "shape": [2, 2]}}, bytes(32), None, r"not a tensor's dtype, shape and offsets"),
        ({"__metadata__": {"a": 1}}, b"", None, r"its __metadata__ is not a table of text"),
        ({"__metadata__": []}, b"", None, r"its __metadata__ is not a table of text"),
        ({"0.weight": _tensor([1], [2, 2], 0, 32)}, bytes(32), None, r"dtype '\[1\]'"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_with_one_line_naming_it(tmp_path, header, data, size, match):
    _refused(_file(tmp_path, header, data, size), match, MLP)


def test_a_file_shorter_than_its_size_field_is_refused(tmp_path) -> None:
    path = tmp_path / "short.safetensors"
    path.write_bytes(b"\x01\x02")
    _refused(path, r"it has 2 bytes, too few for a safetensors file", MLP)


def _weights(tmp_path: Path, tensors: dict[str, np.ndarray], metadata: Any = None) -> Path:
    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_bytes(tensors, metadata or {}))
    return path


@pytest.mark.parametrize(
    ("tensors", "match"),
    [
        ({"0.weight": np.full((2, 3), np.nan), "0.bias": np.zeros(2)}, r"tensor '0.weight' holds NaN or inf"),
        ({"0.weight": np.ones((2, 3)), "0.bias": np.array([1.0, np.inf])}, r"tensor '0.bias' holds NaN or inf"),
        ({"0.weight": np.ones((2, 3), np.int64)}, r"tensor '0.weight' holds int64 values, not floats"),
        ({"0.weight": np.ones((8, 4)), "2.weight": np.ones((3, 7))}, r"'2.weight' has shape \(3, 7\), not \(n_out, 8\)"),
        ({"0.weight": np.ones((2, 3)), "0.bias": np.zeros(3)}, r"'0.bias' has shape \(3,\), but needs \(2,\)"),
        ({"fc1.weight": np.ones((2, 3))}, r"'fc1.weight' is not named as an nn.Sequential's are"),
        ({"a.0.weight": np.ones((2, 3)), "b.1.weight": np.ones((1, 2))}, r"start with both 'a.' and 'b.'"),
        ({"9" * 5000 + ".weight": np.ones((2, 3))}, r"is not named as an nn.Sequential's are"),
        ({"0.weight": np.ones(3)}, r"'0.weight' has shape \(3,\), not \(n_out, n_in\)"),
        ({"0.weight": np.ones((2, 3)), "1.running_mean": np.zeros(2)}, r"batch norm 1 lacks the tensor 1.bias"),
        ({"0.weight": np.ones((2, 3)), **{f"1.{n}": np.ones(2) for n in ("weight", "bias", "running_mean")}, "1.running_var": -np.ones(2)}, r"batch norm 1: .*running_var must be ≥ 0"),
        ({"0.weight": np.ones((2, 3)), "1.bias": np.zeros(2)}, r"module 1 \(bias\) is no nn.Linear or nn.BatchNorm1d"),
        ({"0.running_mean": np.zeros(3), "0.num_batches_tracked": np.ones(2, np.int64)}, r"'0.num_batches_tracked' is not a count of batches"),
        ({}, r"it holds no tensors"),
    ],
)  # fmt: skip
def test_tensors_that_are_no_mlp_are_refused_naming_the_tensor(tmp_path, tensors, match) -> None:
    _refused(_weights(tmp_path, tensors), match, MLP)


def _exported(tmp_path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    net = gn.Network.build([3, 4, 2], batch_norm=True, seed=0, dtype="float64")
    return read_safetensors(save_safetensors(net, tmp_path / "exported.safetensors"))


def test_a_file_whose_metadata_and_tensors_disagree_is_refused(tmp_path) -> None:
    tensors, metadata = _exported(tmp_path)
    _refused(
        _weights(tmp_path, {**tensors, "0.weight": np.ones((4, 5))}, metadata),
        r"tensor '0.weight' has shape \(4, 5\), but needs \(4, 3\)",
    )
    _refused(
        _weights(tmp_path, {k: v for k, v in tensors.items() if k != "3.bias"}, metadata),
        r"lacks the tensor '3.bias', the bias of its nn.Linear\(4, 2\)",
    )
    _refused(
        _weights(tmp_path, {**tensors, "7.weight": np.ones(2)}, metadata),
        r"holds the tensor '7.weight', which its architecture does not",
    )
    _refused(
        _weights(tmp_path, {**tensors, "1.num_batches_tracked": np.ones(2)}, metadata),
        r"'1.num_batches_tracked' is not a count of batches",
    )
    architecture = json.loads(metadata[ARCHITECTURE_KEY])
    architecture["network"]["layers"][0]["n_out"] = 10**9
    huge = {**metadata, ARCHITECTURE_KEY: json.dumps(architecture)}
    _refused(_weights(tmp_path, tensors, huge), r"layer 0 asks for a size of 1,000,000,000")
    architecture["format_version"] = 99
    _refused(
        _weights(tmp_path, tensors, {**metadata, ARCHITECTURE_KEY: json.dumps(architecture)}),
        r"format 99: upgrade glassnet",
    )
    _refused(
        _weights(tmp_path, tensors, {**metadata, ARCHITECTURE_KEY: "{"}),
        r"glassnet.architecture metadata is not JSON",
    )


def test_the_writer_refuses_what_it_cannot_write(tmp_path) -> None:
    net = gn.Network.build([2, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"metadata key 'glassnet.architecture' is glassnet's own"):
        save_safetensors(net, tmp_path / "w.safetensors", {ARCHITECTURE_KEY: "x"})
    with pytest.raises(TypeError, match=r"metadata must map strings to strings"):
        save_safetensors(net, tmp_path / "w.safetensors", {"epochs": 3})  # type: ignore[dict-item]
    with pytest.raises(IsADirectoryError):
        save_safetensors(net, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"safetensors file .* does not exist"):
        load_safetensors(tmp_path / "absent.safetensors")
