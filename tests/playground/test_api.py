"""The playground's HTTP API over the loopback address: every answer is checked against the
engine run independently (a network rebuilt from the weights the API reported, trained,
traced and evaluated by glassnet's public functions)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glassnet import Network
from glassnet.inspect import parse_spec, trace
from glassnet.io import load_model
from glassnet.optimizers import get_optimizer
from glassnet.playground import Playground
from glassnet.playground.server import static_root

SMALL = {
    "dataset": "spiral",
    "samples": 120,
    "layers": [{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "relu"}],
    "optimizer": "adam",
    "learning_rate": 0.02,
    "batch_size": 8,
    "seed": 3,
}


@pytest.fixture(scope="module")
def server() -> Iterator[Playground]:
    playground = Playground(port=0)
    playground.start()
    yield playground
    playground.close()


def call(
    server: Playground,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = "own",
    raw: bytes | None = None,
) -> tuple[int, bytes, str]:
    """``(status, body, content type)`` of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.base.rstrip("/") + path, data=data, method=method)
    if token is not None:
        request.add_header("X-Glassnet-Token", server.token if token == "own" else token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def api(server: Playground, method: str, path: str, body: Any = None) -> Any:
    status, payload, kind = call(server, method, path, body)
    assert status == 200, payload
    assert kind == "application/json"
    return json.loads(payload)


def independent(state: dict[str, Any]) -> Network:
    """The network the state describes, rebuilt from its weights alone."""
    net = state["network"]
    layers = [
        {"W": W, "b": b, "activation": f}
        for W, b, f in zip(net["weights"], net["biases"], net["activations"], strict=True)
    ]
    return Network.from_parameters(layers, loss=net["loss"], dtype="float64")


def batch(state: dict[str, Any], indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array(state["data"]["train"])[indices]
    return rows[:, :2], rows[:, 2]


@pytest.fixture(scope="module")
def one_step(server: Playground) -> dict[str, Any]:
    """The state after a reset, the trace of layer 1 and 2 after one step, and the state then."""
    before = api(server, "POST", "/api/reset", SMALL)
    stepped = api(server, "POST", "/api/step")
    traces = {layer: api(server, "GET", f"/api/trace?layer={layer}") for layer in (1, 2, 3)}
    return {"before": before, "after": stepped, "traces": traces}


def test_options_list_every_data_set_and_the_limits(server: Playground) -> None:
    options = api(server, "GET", "/api/options")
    names = {d["name"]: (d["task"], d["classes"]) for d in options["datasets"]}
    assert names["spiral"] == ("binary", 2) and names["spiral3"] == ("multiclass", 3)
    assert names["blobs4"] == ("multiclass", 4) and names["surface"][0] == "regression"
    assert {"circle", "xor", "gauss", "moons", "gauss3", "plane", "csv"} <= set(names)
    assert options["limits"]["layers"] == 8 and options["limits"]["units"] == 16
    assert "relu" in options["activations"] and "softmax" not in options["activations"]
    assert options["defaults"]["dataset"] == "spiral"


def test_reset_with_the_same_seed_gives_the_same_weights(server: Playground) -> None:
    first = api(server, "POST", "/api/reset", SMALL)["network"]
    again = api(server, "POST", "/api/reset", SMALL)["network"]
    other = api(server, "POST", "/api/reset", {**SMALL, "seed": 4})["network"]
    assert first["sizes"] == [2, 5, 3, 1]
    assert first["activations"] == ["tanh", "relu", "sigmoid"]
    assert first["weights"] == again["weights"] and first["biases"] == again["biases"]
    assert not np.allclose(first["weights"][0], other["weights"][0])


def test_one_step_is_the_engine_s_step_on_the_reported_batch(one_step: dict[str, Any]) -> None:
    before, after = one_step["before"], one_step["after"]
    indices = one_step["traces"][1]["batch"]["indices"]
    assert after["step"] == 1 and len(indices) == SMALL["batch_size"]
    net = independent(before)
    X, y = batch(before, indices)
    net.train_step(
        net.check_X(X), net.check_y(y, len(y)), get_optimizer("adam", learning_rate=0.02)
    )
    for l, (W, b) in enumerate(
        zip(after["network"]["weights"], after["network"]["biases"], strict=True)
    ):
        assert not np.allclose(W, before["network"]["weights"][l])  # the step changed them
        np.testing.assert_allclose(W, net.layers[l].W, rtol=0, atol=1e-12)
        np.testing.assert_allclose(b, net.layers[l].b, rtol=0, atol=1e-12)


def test_trace_is_glassnet_trace_of_the_same_network_and_batch(one_step: dict[str, Any]) -> None:
    before, after, traces = one_step["before"], one_step["after"], one_step["traces"]
    net = independent(before)
    X, y = batch(before, traces[1]["batch"]["indices"])
    expected = trace(net, X, y, optimizer=get_optimizer("adam", learning_rate=0.02)).steps[0]
    sizes, m = before["network"]["sizes"], SMALL["batch_size"]
    for l in (1, 2, 3):
        arrays = {a["name"]: a for a in traces[l]["arrays"]}
        forward = expected.forward[l - 1]
        backward = next(entry for entry in expected.backward if entry["layer"] == l)
        shapes = {
            f"Z^[{l}]": [sizes[l], m],
            f"A^[{l}]": [sizes[l], m],
            f"δ^[{l}]": [sizes[l], m],
            f"∂J/∂W^[{l}]": [sizes[l], sizes[l - 1]],
            f"∂J/∂b^[{l}]": [sizes[l], 1],
            f"A^[{l - 1}]": [sizes[l - 1], m],
        }
        for name, shape in shapes.items():
            assert arrays[name]["shape"] == shape, name
            assert np.shape(arrays[name]["values"]) == tuple(shape), name
        for key, name in (("Z", "Z^[{l}]"), ("A", "A^[{l}]")):
            np.testing.assert_allclose(arrays[name.format(l=l)]["values"], forward[key], atol=1e-12)
        for key, name in (("delta", "δ^[{l}]"), ("dW", "∂J/∂W^[{l}]"), ("db", "∂J/∂b^[{l}]")):
            np.testing.assert_allclose(
                arrays[name.format(l=l)]["values"], backward[key], atol=1e-12
            )
        # The updated parameters are the session's weights now.
        np.testing.assert_allclose(
            arrays[f"W^[{l}] (after)"]["values"], after["network"]["weights"][l - 1], atol=1e-12
        )
        assert arrays[f"Z^[{l}]"]["latex"] == rf"\mathbf{{Z}}^{{[{l}]}}"
        assert traces[l]["equations"][0] == f"Z^[{l}] = W^[{l}] A^[{l - 1}] + b^[{l}]"
    assert traces[3]["loss"] == pytest.approx(expected.loss, abs=1e-12)


def test_play_then_pause_advances_the_epoch(server: Playground) -> None:
    api(server, "POST", "/api/reset", SMALL)
    assert api(server, "POST", "/api/play")["running"] is True
    deadline = time.monotonic() + 20
    state = api(server, "GET", "/api/state")
    while state["epoch"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
        state = api(server, "GET", "/api/state")
    paused = api(server, "POST", "/api/pause")
    assert paused["running"] is False and paused["epoch"] >= 3
    assert paused["history"]["epoch"][:3] == [0, 1, 2]
    time.sleep(0.1)
    assert api(server, "GET", "/api/state")["step"] == paused["step"]  # it stays paused


def test_one_play_stops_itself_at_its_time_limit() -> None:
    playground = Playground(port=0, play_seconds=0.3)
    playground.start()
    try:
        assert api(playground, "POST", "/api/play")["running"] is True
        time.sleep(1.0)
        state = api(playground, "GET", "/api/state")
        assert state["running"] is False and "limit of one play" in state["notice"]
        assert state["step"] > 0
    finally:
        playground.close()


def test_boundary_is_the_network_over_the_grid(server: Playground) -> None:
    state = api(server, "POST", "/api/reset", SMALL)
    net = independent(state)
    picture = api(server, "GET", "/api/boundary?layer=0&n=7")
    assert picture["kind"] == "probability" and np.shape(picture["values"]) == (7, 7)
    values = np.array(picture["values"])
    assert values.min() >= 0 and values.max() <= 1
    xs, ys = np.meshgrid(picture["xs"], picture["ys"])  # values[i][j] at (xs[j], ys[i])
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    np.testing.assert_allclose(values.ravel(), net.predict_output(grid)[:, 0], atol=1e-12)
    unit = api(server, "GET", "/api/boundary?layer=1&unit=2&n=5")
    xs, ys = np.meshgrid(unit["xs"], unit["ys"])
    W, b = np.array(state["network"]["weights"][0]), np.array(state["network"]["biases"][0])
    by_hand = np.tanh(W[1, 0] * xs + W[1, 1] * ys + b[1])  # a^[1]_2, unit 2 of a tanh layer
    assert unit["kind"] == "activation" and "layer 1" in unit["explanation"]
    np.testing.assert_allclose(unit["values"], by_hand, atol=1e-12)


def test_exported_model_predicts_as_the_session(server: Playground, tmp_path: Path) -> None:
    api(server, "POST", "/api/reset", SMALL)
    api(server, "POST", "/api/step")
    state = api(server, "GET", "/api/state")
    status, payload, kind = call(server, "GET", "/api/export?kind=model")
    assert status == 200 and kind == "application/octet-stream"
    path = tmp_path / "model.glassnet"
    path.write_bytes(payload)
    model = load_model(path)
    points = np.array(state["data"]["test"])[:, :2]
    expected = independent(state).predict_output(points)
    np.testing.assert_allclose(model.network.predict_output(points), expected, atol=1e-12)
    assert model.classes == [0, 1]


def test_exported_python_builds_the_network_of_a_reset(server: Playground) -> None:
    state = api(server, "POST", "/api/reset", {**SMALL, "l2": 0.01})
    status, payload, kind = call(server, "GET", "/api/export?kind=python")
    assert status == 200 and kind.startswith("text/x-python")
    namespace: dict[str, Any] = {"__name__": "playground_export"}  # builds, does not train
    exec(compile(payload.decode(), "playground.py", "exec"), namespace)
    network = namespace["network"]
    assert [network.n_features, *(layer.n_out for layer in network.layers)] == [2, 5, 3, 1]
    assert network.l2 == 0.01
    for layer, W in zip(network.layers, state["network"]["weights"], strict=True):
        np.testing.assert_array_equal(layer.W, W)  # the same seed, the same initial weights
    np.testing.assert_array_equal(namespace["X_train"], np.array(state["data"]["train"])[:, :2])


def test_exported_spec_traces_the_current_network(server: Playground) -> None:
    api(server, "POST", "/api/reset", SMALL)
    api(server, "POST", "/api/step")
    state = api(server, "GET", "/api/state")
    spec = parse_spec(api(server, "GET", "/api/export?kind=spec"))
    indices = api(server, "GET", "/api/trace?layer=1")["batch"]["indices"]
    X, y = batch(state, indices)
    np.testing.assert_array_equal(spec.X, X)
    np.testing.assert_array_equal(spec.Y[:, 0], y)
    points = np.array(state["data"]["test"])[:, :2]
    np.testing.assert_allclose(
        spec.network.predict_output(points), independent(state).predict_output(points), atol=1e-12
    )


def test_exported_link_carries_the_settings(server: Playground) -> None:
    state = api(server, "POST", "/api/reset", SMALL)
    url = api(server, "GET", "/api/export?kind=url")["url"]
    assert url.startswith(server.url + "#state=")
    config = json.loads(base64.b64decode(url.split("#state=", 1)[1]))
    assert config == state["config"] and config["layers"][0] == {
        **SMALL["layers"][0],
        "dropout": 0.0,
    }


def test_requests_without_the_token_are_refused(server: Playground) -> None:
    for token in (None, "", "not-the-token", server.token[:-1]):
        status, payload, _ = call(server, "GET", "/api/state", token=token)
        assert status == 403 and "token" in json.loads(payload)["error"]
    status, _, _ = call(server, "POST", "/api/play", {}, token=None)
    assert status == 403
    status, _, _ = call(server, "GET", "/", token=None)
    assert status == 403
    # A link (no header) carries it in the query.
    request = urllib.request.Request(f"{server.base}api/options?token={server.token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"layers": [{"units": 17}]}, "layers[0].units"),
        ({"layers": [{"units": 0}]}, "layers[0].units"),
        ({"layers": [{"units": 4}] * 9}, "layers"),
        ({"layers": [{"units": 4, "activation": "softmax"}]}, "layers[0].activation"),
        ({"layers": [{"units": 4, "dropout": 1.0}]}, "layers[0].dropout"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 501}, "batch_size"),
        ({"samples": 2001}, "samples"),
        ({"samples": "many"}, "samples"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": 11}, "learning_rate"),
        ({"noise": 0.6}, "noise"),
        ({"train_ratio": 0.95}, "train_ratio"),
        ({"dataset": "nope"}, "dataset"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"seed": -1}, "seed"),
        ({"batch_norm": "yes"}, "batch_norm"),
        ({"colour": "red"}, "colour"),
        ({"dataset": "csv"}, "csv"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    server: Playground, body: dict[str, Any], field: str
) -> None:
    status, payload, _ = call(server, "POST", "/api/reset", body)
    assert status == 400
    assert json.loads(payload)["error"].startswith(field) or field in json.loads(payload)["error"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/boundary?n=1000", "n"),
        ("/api/boundary?n=abc", "n"),
        ("/api/boundary?layer=9&unit=1", "layer"),
        ("/api/boundary?layer=1&unit=99", "unit"),
        ("/api/trace?layer=0", "layer"),
        ("/api/export?kind=pickle", "kind"),
    ],
)
def test_bad_queries_are_refused_naming_the_field(
    server: Playground, path: str, field: str
) -> None:
    api(server, "POST", "/api/reset", SMALL)
    status, payload, _ = call(server, "GET", path)
    assert status == 400 and json.loads(payload)["error"].startswith(field)


def test_a_body_over_the_limit_is_refused(server: Playground) -> None:
    raw = b'{"csv": {"text": "' + b"x" * (1 << 20) + b'"}}'
    status, payload, _ = call(server, "POST", "/api/reset", raw=raw)
    assert status == 413 and "1,048,576" in json.loads(payload)["error"]
    assert api(server, "GET", "/api/options")["limits"]["body_bytes"] == 1 << 20  # still serving


def test_a_csv_of_three_classes(server: Playground) -> None:
    rows = ["a,b,kind"] + [f"{i},{(i * 7) % 11},{'xyz'[i % 3]}" for i in range(30)]
    csv = {"text": "\n".join(rows), "x": "a", "y": "b", "target": "kind"}
    state = api(server, "POST", "/api/reset", {"dataset": "csv", "csv": csv, "train_ratio": 0.5})
    assert state["data"]["task"] == "multiclass" and state["data"]["classes"] == ["x", "y", "z"]
    assert state["network"]["sizes"][-1] == 3 and state["network"]["activations"][-1] == "softmax"
    points = np.array(state["data"]["train"] + state["data"]["test"])
    assert points[:, :2].min() == -1 and points[:, :2].max() == 1  # scaled into the plane
    status, payload, _ = call(
        server, "POST", "/api/reset", {"dataset": "csv", "csv": {**csv, "x": "nope"}}
    )
    assert status == 400 and json.loads(payload)["error"].startswith("csv.x")


def test_static_files_are_served_with_their_types(server: Playground) -> None:
    types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
    root = static_root()
    for item in root.iterdir():
        suffix = Path(item.name).suffix
        if suffix in types:
            status, payload, kind = call(server, "GET", f"/static/{item.name}", token=None)
            assert status == 200 and kind.startswith(types[suffix])
            assert payload == item.read_bytes()
    for bad in ("/static/../server.py", "/static/.hidden", "/static/%2e%2e/server.py"):
        assert call(server, "GET", bad, token=None)[0] == 404


def test_the_spiral_reaches_a_test_loss_below_0_1_within_30_s(server: Playground) -> None:
    """The default network on the default spiral, trained by the play thread."""
    state = api(server, "POST", "/api/reset", {})
    assert state["network"]["sizes"] == [2, 16, 16, 1] and state["test_loss"] > 0.5
    started = time.monotonic()
    api(server, "POST", "/api/play")
    while time.monotonic() - started < 30:
        time.sleep(0.1)
        state = api(server, "GET", "/api/state")
        if state["test_loss"] < 0.1:
            break
    elapsed = time.monotonic() - started
    api(server, "POST", "/api/pause")
    assert state["test_loss"] < 0.1, f"test loss {state['test_loss']} after {elapsed:.1f} s"
    print(
        f"spiral: test loss {state['test_loss']:.3f} after {elapsed:.2f} s, epoch {state['epoch']}"
    )


def test_serve_prints_its_address_first_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    code = "from glassnet.playground import serve; serve(open_browser=False)"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("playground: http://127.0.0.1:") and "/?token=" in first
        url = first.removeprefix("playground: ")
        base, token = url.split("?token=")
        request = urllib.request.Request(base + "api/options", headers={"X-Glassnet-Token": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "playground: stopped" in out and "Traceback" not in err


def test_a_port_in_use_is_named_with_the_way_out(server: Playground) -> None:
    with pytest.raises(OSError) as taken:
        Playground(host=server.host, port=server.port)
    assert str(taken.value) == (
        f"cannot listen on {server.host}:{server.port}: Address already in use; "
        "leave out --port (or give port 0) for a free one"
    )


@pytest.mark.parametrize("bad", [-0.1, 0, 0.0, 50])
def test_the_learning_rate_s_range_is_said_one_way_for_every_value_outside_it(bad) -> None:
    from glassnet.playground.config import ConfigError, parse_config

    assert parse_config({"learning_rate": 10}).learning_rate == 10.0  # the top is allowed
    with pytest.raises(ConfigError) as refused:
        parse_config({"learning_rate": bad})
    assert str(refused.value) == f"learning_rate must be greater than 0 and at most 10, got {bad!r}"


def test_a_dead_unit_is_said_once_in_the_singular_and_two_in_the_plural() -> None:
    """The finding's text names its layer and units itself (the page prints it as it is)."""
    from glassnet import Dense
    from glassnet.playground.glass import _units

    X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.1]])
    one = "layer 1: unit 1 is dead: Z ≤ 0 on every training point, so f'(Z) = 0 and no "
    two = "layer 1: units 1, 2 are dead (most of the layer): Z ≤ 0 on every training point, "
    for biases, dead, said in (
        ([-10.0, 0.0, 0.0], [1], one + "gradient reaches its weights"),
        ([-10.0, -10.0, 0.0], [1, 2], two + "so f'(Z) = 0 and no gradient reaches their weights"),
    ):
        layer = Dense(2, 3, "relu", W=np.full((3, 2), 0.1), b=biases)
        layer.forward(X)
        (finding,) = _units(layer, 1)
        assert (finding["units"], finding["text"]) == (dead, said)
