"""Pictures: the network graph has a circle per unit shown and an edge per weight drawn, its
edges' widths and colours follow |W| and sign(W) (read back from the drawing's geometry),
big layers are truncated with a count of what is hidden; the histograms have a panel per
layer (and per quantity), bars that add up to the entries, and leave the network as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.text import Text
from PIL import Image  # Pillow comes with matplotlib
from test_diagnose import PointwiseConv, conv_network  # a 1×1 convolution, not in glassnet

import glassnet as gn
from glassnet.inspect.pictures import (
    MAX_EDGES_PER_LAYER,
    draw_histograms,
    draw_network,
    network_caption,
)
from glassnet.layers import LAYERS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _document_network() -> gn.Network:
    """The 2-2-2-1 network of document 003."""
    return gn.Network.from_parameters(
        [
            {"W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05], "activation": "relu"},
            {"W": [[0.5, 0.6], [0.7, 0.8]], "b": [0.1, 0.1], "activation": "relu"},
            {"W": [[0.9, 1.0]], "b": [0.15], "activation": "sigmoid"},
        ],
        loss="bce",
    )


def _mixed_network() -> gn.Network:
    """A 3-4-2 network whose weights have both signs and distinct magnitudes."""
    rng = np.random.default_rng(3)
    return gn.Network.from_parameters(
        [
            {"W": rng.normal(size=(4, 3)), "b": rng.normal(size=4), "activation": "tanh"},
            {"W": rng.normal(size=(2, 4)), "b": rng.normal(size=2), "activation": "sigmoid"},
        ],
        loss="bce",
    )


def _texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def _circles(fig: Figure) -> list[Circle]:
    return [p for p in fig.axes[0].patches if isinstance(p, Circle)]


def _edges(fig: Figure) -> dict[str, LineCollection]:
    return {str(c.get_label()): c for c in fig.axes[0].collections if isinstance(c, LineCollection)}


def _assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.load()
        assert min(image.size) > 100


# -- the graph -------------------------------------------------------------------------------


def test_the_document_network_has_a_circle_per_unit_and_an_edge_per_weight() -> None:
    fig = draw_network(_document_network())
    assert len(_circles(fig)) == 2 + 2 + 2 + 1
    edges = _edges(fig)
    assert sorted(edges) == ["W^[1]", "W^[2]", "W^[3]"]
    assert [len(edges[f"W^[{l}]"].get_segments()) for l in (1, 2, 3)] == [4, 4, 2]
    text = _texts(fig)
    assert "2-2-2-1 network" in text
    for caption in ("$W^{[1]}$ (2×2)", "$W^{[2]}$ (2×2)", "$W^{[3]}$ (1×2)"):
        assert caption in text
    assert "layer 1: relu" in text and "output: sigmoid" in text
    assert text.count("relu\n") >= 2 and "σ" in text  # the circles carry the activation


def test_edges_follow_the_weights_in_width_and_colour() -> None:
    """Each segment is matched back to (i, j) through the circles' positions."""
    net = _mixed_network()
    fig = draw_network(net)
    columns: dict[float, list[float]] = {}
    for circle in _circles(fig):
        x, y = circle.center
        columns.setdefault(round(x, 6), []).append(y)
    xs = sorted(columns)
    unit = [{y: k for k, y in enumerate(sorted(ys, reverse=True))} for ys in map(columns.get, xs)]
    for l, layer in enumerate(net.parametric_layers(), start=1):
        lines = _edges(fig)[f"W^[{l}]"]
        widths, colours = lines.get_linewidths(), lines.get_colors()
        weights = []
        for (x0, y0), (x1, y1) in lines.get_segments():
            assert (round(x0, 6), round(x1, 6)) == (xs[l - 1], xs[l])
            weights.append(layer.W[unit[l][y1], unit[l - 1][y0]])
        weights = np.array(weights)
        assert weights.size == layer.W.size and len(set(weights)) == layer.W.size
        order = np.argsort(np.abs(weights))
        assert np.all(np.diff(np.asarray(widths)[order]) > 0)  # wider for larger |W|
        red, blue = colours[:, 0], colours[:, 2]
        np.testing.assert_array_equal(red > blue, weights > 0)  # coolwarm: red is positive


def test_a_png_is_written_atomically(tmp_path: Path) -> None:
    path = draw_network(_document_network(), tmp_path / "pictures" / "network.png")
    assert path == tmp_path / "pictures" / "network.png"
    _assert_png(path)
    assert [p.name for p in path.parent.iterdir()] == ["network.png"]


def test_big_layers_are_truncated_and_say_how_many_units_are_hidden() -> None:
    net = gn.Network.build([784, 64, 10], seed=0)
    fig = draw_network(net)
    assert len(_circles(fig)) == 16 + 16 + 10
    text = _texts(fig)
    assert "784 units\n(768 hidden)" in text and "64 units\n(48 hidden)" in text
    assert "256 of 50,176 drawn" in text  # the edges between the units shown
    assert "first 8 and last 8" in text
    edges = _edges(fig)
    assert [len(edges[k].get_segments()) for k in ("W^[1]", "W^[2]")] == [256, 160]
    assert "(416 of 50,816 weights)" in network_caption(net)


def test_beyond_the_edge_limit_a_layer_draws_its_largest_weights() -> None:
    net = gn.Network.build([40, 40, 2], seed=0, dtype="float64")
    fig = draw_network(net, max_units=40)
    drawn = len(_edges(fig)["W^[1]"].get_segments())
    assert drawn == MAX_EDGES_PER_LAYER
    assert f"{MAX_EDGES_PER_LAYER} of 1,600 drawn (largest |W|)" in _texts(fig)
    # the widths drawn are an affine function of the largest |W|: no other weight got in
    widths = np.sort(np.asarray(_edges(fig)["W^[1]"].get_linewidths()))
    magnitudes = np.sort(np.abs(net.parametric_layers()[0].W.ravel()))[-MAX_EDGES_PER_LAYER:]
    slope, intercept = np.polyfit(magnitudes, widths, 1)
    np.testing.assert_allclose(intercept + slope * magnitudes, widths, rtol=1e-9)


@pytest.mark.parametrize("max_units", [1, 2.5, True])
def test_max_units_must_be_an_integer_of_at_least_two(max_units: Any) -> None:
    with pytest.raises(ValueError, match=r"max_units must be an integer ≥ 2, got"):
        draw_network(_document_network(), max_units=max_units)


# -- the histograms --------------------------------------------------------------------------


def _panels(fig: Figure) -> dict[str, Any]:
    """Left title -> axes."""
    return {ax.get_title("left"): ax for ax in fig.axes}


def _count(ax: Any) -> int:
    return round(sum(p.get_height() for p in ax.patches if isinstance(p, Rectangle)))


def test_one_panel_per_layer_and_quantity_whose_bars_count_every_entry() -> None:
    rng = np.random.default_rng(0)
    net = gn.Network.build([20, 16, 8, 3], seed=0)
    X, y = rng.normal(size=(50, 20)), rng.integers(0, 3, 50)
    assert len(draw_histograms(net, X).axes) == 3
    fig = draw_histograms(net, X, y, delta=True)
    panels = _panels(fig)
    assert len(panels) == 9
    for l, (n_in, n_out) in enumerate([(20, 16), (16, 8), (8, 3)], start=1):
        A = panels[f"$A^{{[{l}]}}$ ({'softmax' if l == 3 else 'relu'}, 50×{n_out})"]
        dW = panels[f"$\\partial L/\\partial W^{{[{l}]}}$ ({n_out}×{n_in})"]
        delta = panels[f"$\\delta^{{[{l}]}}$ (50×{n_out})"]
        assert (_count(A), _count(dW), _count(delta)) == (50 * n_out, n_out * n_in, 50 * n_out)
        assert dW.get_xscale() == "log" and "mean" in dW.get_title("right")
    assert len(draw_histograms(net, X, y).axes) == 6


def test_relu_panels_give_the_zeros_and_the_dead_units() -> None:
    net = gn.Network.from_parameters(
        [
            {"W": [[1.0, 0.0], [-1.0, 0.0]], "b": [0.0, 0.0], "activation": "relu"},
            {"W": [[1.0, 1.0]], "activation": "sigmoid"},
        ],
        loss="bce",
    )
    fig = draw_histograms(net, [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]], [0, 1, 1])
    A1 = fig.axes[0]
    assert "zeros 50.0%  dead units 1/2" in A1.get_title("right")
    (zeros,) = [bars for bars in A1.containers if bars.get_label() == "= 0"]
    assert [bar.get_height() for bar in zeros] == [3]  # unit 2 is 0 for all 3 samples
    dW1 = fig.axes[1]
    assert "zeros 75.0%" in dW1.get_title("right")  # row 2 (dead) and column 2 (x₂ = 0)


def test_a_regularized_network_shows_the_gradient_of_the_cost_J() -> None:
    net = gn.Network.build([4, 3, 2], seed=0, l2=0.1)
    fig = draw_histograms(net, np.ones((5, 4)), [0, 1, 0, 1, 1])
    assert any(t.startswith(r"$\partial J/\partial W^{[1]}$") for t in _panels(fig))


def test_the_network_is_left_exactly_as_it_was() -> None:
    rng = np.random.default_rng(1)
    net = gn.Network.build([6, 5, 4, 3], seed=0, batch_norm=True, dropout=0.3)
    X, y = rng.normal(size=(32, 6)).astype(np.float32), rng.integers(0, 3, 32)
    net.fit(X, y, epochs=1, batch_size=16, seed=0)  # a record of the last pass, running stats

    def state() -> list[bytes]:
        arrays = [a for _, a in net.parameters() + net.gradients() + net.buffers()]
        for layer in net.parametric_layers():
            arrays += [a for a in (layer.A_prev, layer.Z, layer.A, layer.dZ) if a is not None]
        rngs = [str(layer.rng.bit_generator.state) for layer in net.layers if layer.rng is not None]
        return [a.tobytes() for a in arrays] + [s.encode() for s in rngs]

    before = state()
    draw_histograms(net, X[:20], y[:20], delta=True)
    draw_histograms(net, X[:7])
    assert state() == before


def test_a_histogram_png_is_written(tmp_path: Path) -> None:
    net = _document_network()
    path = draw_histograms(net, [[0.5, 1.0]], [[1.0]], tmp_path / "histograms.png")
    assert path == tmp_path / "histograms.png"
    _assert_png(path)


def test_delta_needs_targets() -> None:
    with pytest.raises(ValueError, match=r"delta=True needs targets y"):
        draw_histograms(_document_network(), [[0.5, 1.0]], delta=True)


def test_inputs_are_checked_at_the_boundary() -> None:
    with pytest.raises(ValueError, match=r"X has 3 features"):
        draw_histograms(_document_network(), [[0.5, 1.0, 2.0]])


# -- any kind of layer -----------------------------------------------------------------------


def test_a_layer_whose_weights_are_not_a_matrix_gets_a_column_without_edges() -> None:
    net, _, _ = conv_network()  # a 1×1 convolution (W: 4×2×1×1), flatten, dense
    fig = draw_network(net)
    assert sorted(_edges(fig)) == ["W^[2]"]  # only the dense layer's W is a matrix
    assert len(_edges(fig)["W^[2]"].get_segments()) == 16 * 1  # the 16 of 36 units shown
    assert len(_circles(fig)) == 16 + 16 + 1  # 18 inputs and 36 units, truncated to 16
    text = _texts(fig)
    assert "$W^{[1]}$ (4×2×1×1)\nnot a matrix:\nno edges drawn" in text
    assert "input 2×3×3\n18 units\n(2 hidden)" in text
    assert "layer 1: relu\n36 units\n(20 hidden)\nflatten 4×3×3 → 36" in text
    assert "18-36-1 network" in text
    caption = network_caption(net)
    assert "The weights of layer 1 (pointwise_conv) are not a matrix" in caption
    assert "(16 of 36 weights)" in caption  # only the matrices count


def test_flatten_and_dropout_are_written_under_the_column_they_act_on() -> None:
    rng = np.random.default_rng(0)
    net = gn.Network(
        [
            gn.layers.Flatten((2, 3)),
            gn.layers.Dense(6, 4, "relu", rng=rng),
            gn.Dropout(4, 0.25, rng=rng),
            gn.layers.Dense(4, 3, "softmax", rng=rng),
        ],
        "cce",
    )
    fig = draw_network(net)
    text = _texts(fig)
    assert "input 2×3\n6 units\nflatten 2×3 → 6" in text
    assert "layer 1: relu\n4 units\ndropout 0.25" in text
    assert [len(s.get_segments()) for s in _edges(fig).values()] == [24, 12]
    built = _texts(draw_network(gn.Network.build([5, 4, 3], dropout=0.3, batch_norm=True)))
    assert "layer 1: relu\n4 units\nbatch norm\ndropout 0.3" in built


def test_histograms_of_a_convolution_count_every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LAYERS, PointwiseConv.kind, PointwiseConv)  # its registry line
    net, X, y = conv_network()
    fig = draw_histograms(net, X, y, delta=True)
    panels = _panels(fig)
    A1 = panels["$A^{[1]}$ (relu, 20×4×3×3)"]
    dW1 = panels["$\\partial L/\\partial W^{[1]}$ (4×2×1×1)"]
    delta1 = panels["$\\delta^{[1]}$ (20×4×3×3)"]
    assert (_count(A1), _count(dW1), _count(delta1)) == (720, 8, 720)
    assert "dead units 9/36" in A1.get_title("right")  # channel 1 at all 9 pixels
    assert _count(panels["$\\partial L/\\partial W^{[2]}$ (1×36)"]) == 36
