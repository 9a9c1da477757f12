"""``glassnet import`` then the glass box, as a PyTorch user runs them: an MLP trained in
PyTorch and saved with safetensors, imported, then traced (its gradients against autograd's,
in float64) and gradient-checked from the command line; a glassnet export imported back."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

from glassnet.io import load_model

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("torch") is None,
        reason="importing a PyTorch model needs torch: pip install torch (the CPU build will do)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("safetensors") is None,
        reason="writing the PyTorch model's weights needs safetensors: pip install safetensors",
    ),
]
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def pytorch_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Path]:
    """A 4-6-5-3 MLP (ReLU, tanh, logits) trained 20 steps in PyTorch in float64 with
    ``nn.CrossEntropyLoss``, saved with ``safetensors.torch.save_file``; and a CSV of its
    data (columns a, b, c, d and the class in y)."""
    import torch
    from safetensors.torch import save_file
    from torch import nn

    folder = tmp_path_factory.mktemp("pytorch")
    torch.manual_seed(0)
    X = torch.randn(60, 4, dtype=torch.float64)
    y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 0.5).long()
    model = nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)
    ).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(X), y).backward()
        optimizer.step()
    save_file(model.state_dict(), folder / "mlp.safetensors")
    rows = ["a,b,c,d,y"] + [
        ",".join([*(repr(v) for v in x), str(int(label))])
        for x, label in zip(X.tolist(), y.tolist(), strict=True)
    ]
    (folder / "data.csv").write_text("\n".join(rows) + "\n")
    return model, folder / "mlp.safetensors", folder / "data.csv"


def test_an_imported_pytorch_mlp_is_traced_with_autograds_gradients(pytorch_model, tmp_path):
    import torch
    from torch import nn

    model, weights, data = pytorch_model
    out = tmp_path / "mlp.glassnet"
    result = glassnet("import", weights, "--activation", "relu,tanh", "--loss", "cce", "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}: a 4-6-5-3 network (relu, tanh, softmax)" in result.stdout
    saved = load_model(out)
    assert saved.classes == [0, 1, 2] and saved.metadata["target"] == "y"

    traced = glassnet("trace", out, "--data", data, "--rows", 5, "--format", "json")
    assert traced.returncode == 0, traced.stderr
    step = json.loads(traced.stdout)["steps"][0]

    X = torch.tensor(np.loadtxt(data, delimiter=",", skiprows=1)[:5])
    model.zero_grad()
    loss = nn.CrossEntropyLoss()(model(X[:, :4]), X[:, 4].long())
    loss.backward()
    assert abs(step["loss"] - loss.item()) < TOLERANCE
    backward = {entry["layer"]: entry for entry in step["backward"]}
    for l, linear in {1: model[0], 2: model[2], 3: model[4]}.items():
        assert np.abs(np.array(backward[l]["dW"]) - linear.weight.grad.numpy()).max() < TOLERANCE
        assert (
            np.abs(np.array(backward[l]["db"])[:, 0] - linear.bias.grad.numpy()).max() < TOLERANCE
        )

    checked = glassnet("gradcheck", out, "--data", data)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASS" in checked.stdout and "on 32 rows of" in checked.stdout


def test_a_glassnet_export_imports_back_from_its_own_metadata(pytorch_model, tmp_path) -> None:
    _, weights, data = pytorch_model
    first = tmp_path / "first.glassnet"
    assert (
        glassnet(
            "import", weights, "--activation", "relu,tanh", "--loss", "cce", "--out", first
        ).returncode
        == 0
    )
    exported = tmp_path / "again.safetensors"
    from glassnet.io import save_safetensors

    save_safetensors(load_model(first).network, exported)
    result = glassnet("import", exported, "--target", "y", "-q")  # no flags: the metadata says
    assert result.returncode == 0, result.stderr
    again = load_model(tmp_path / "again.glassnet")
    assert again.network.config() == load_model(first).network.config()
    diagnosed = glassnet("diagnose", tmp_path / "again.glassnet", data)
    assert diagnosed.returncode == 0 and "diagnosis on 60 samples" in diagnosed.stdout


def test_import_and_trace_say_what_is_missing_on_one_line(pytorch_model, tmp_path) -> None:
    _, weights, data = pytorch_model
    assert "no glassnet.architecture metadata" in one_line_error(glassnet("import", weights))
    line = one_line_error(glassnet("import", weights, "--loss", "cce"))
    assert "--activation and --loss go together" in line
    line = one_line_error(
        glassnet("import", weights, "--activation", "relu,tanh,relu", "--loss", "cce")
    )
    assert f"lists 3 names, but {weights} has 2 hidden layers" in line
    line = one_line_error(glassnet("trace", weights, "--data", data))
    assert f"glassnet import {weights}" in line
    model = tmp_path / "mlp.glassnet"
    assert (
        glassnet(
            "import", weights, "--activation", "relu,tanh", "--loss", "cce", "--out", model
        ).returncode
        == 0
    )
    assert "a model file needs --data" in one_line_error(glassnet("trace", model))
