"""Pictures of convolutional networks: the filters and one sample's feature maps are drawn
from the network's own numbers, and written as valid PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glassnet import Conv2D, Dense, Flatten, MaxPool2D, Network
from glassnet.inspect import load_example
from glassnet.inspect.pictures import draw_augmentation, draw_feature_maps, draw_filters

pytest.importorskip("matplotlib", reason="the pictures draw with matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


def _net() -> Network:
    rng = np.random.default_rng(0)
    return Network(
        [
            Conv2D(3, 5, 3, input_size=8, rng=rng, dtype="float64"),
            MaxPool2D(2),
            Conv2D(5, 2, 2, activation="tanh", rng=rng, dtype="float64"),
            Flatten(),
            Dense(8, 2, "softmax", rng=rng, dtype="float64"),
        ],
        "cce",
    )


def _panels(fig: object) -> list[object]:
    """The visible axes that show an image, in drawing order (block by block)."""
    axes = [ax for ax in fig.get_axes() if ax.get_visible() and ax.images]  # type: ignore[attr-defined]
    return axes


def test_filters_are_each_filters_mean_over_channels_on_a_symmetric_scale() -> None:
    net = _net()
    fig = draw_filters(net)
    panels = _panels(fig)
    W1, W2 = net.layers[0].W, net.layers[2].W
    assert len(panels) == 5 + 2
    for ax, W in zip(panels, [*W1, *W2], strict=True):
        image = ax.images[0]
        np.testing.assert_allclose(image.get_array(), W.mean(axis=0), rtol=0, atol=1e-15)
    for ax, W in ((panels[0], W1), (panels[5], W2)):
        low, high = ax.images[0].get_clim()
        assert high == pytest.approx(np.abs(W).max()) and low == -high
    # Normalized as drawn: the filters' entries map into [0, 1] with 0 at the middle.
    image = panels[0].images[0]
    normalized = image.norm(image.get_array())
    np.testing.assert_allclose(normalized, (W1[0].mean(axis=0) / np.abs(W1).max() + 1) / 2)


def test_feature_maps_are_the_sample_maps_of_each_conv_and_pool_layer() -> None:
    spec = load_example("conv-4x4")
    fig = draw_feature_maps(spec.network, spec.X[0])
    panels = _panels(fig)
    assert len(panels) == 3  # the input, the convolution, the pooling: one channel each
    x = spec.X[0, 0]
    Z = np.array([[-1.5, 2.5, 3.5], [1.5, 0.5, -0.5], [5.5, 1.5, 0.5]])
    expected = [x, np.maximum(Z, 0), np.array([[2.5, 3.5], [5.5, 1.5]])]
    for ax, maps in zip(panels, expected, strict=True):
        np.testing.assert_allclose(ax.images[0].get_array(), maps)
    # The network itself is untouched: its record is still empty.
    assert spec.network.layers[0].A is None


def test_feature_maps_take_one_sample_and_refuse_a_batch() -> None:
    net = _net()
    x = np.random.default_rng(1).normal(size=(3, 8, 8))
    fig = draw_feature_maps(net, x, max_maps=4)
    assert len(_panels(fig)) == 3 + 4 + 4 + 2
    with pytest.raises(ValueError, match=r"x must be one sample of shape \(3, 8, 8\)"):
        draw_feature_maps(net, np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="draw_filters needs a network with a conv2d layer"):
        draw_filters(Network([Dense(2, 1, "sigmoid")], "bce"))


def test_pictures_are_written_as_png_files(tmp_path: Path) -> None:
    net = _net()
    x = np.random.default_rng(2).normal(size=(3, 8, 8))
    images = np.random.default_rng(3).uniform(size=(4, 1, 6, 6))
    written = [
        draw_filters(net, tmp_path / "filters.png"),
        draw_feature_maps(net, x, tmp_path / "maps.png"),
        draw_augmentation(images, images[:, :, ::-1], tmp_path / "augmented.png"),
    ]
    for path in written:
        assert isinstance(path, Path) and path.read_bytes().startswith(PNG)
    from PIL import Image

    with Image.open(written[0]) as image:
        assert image.size[0] > 100 and image.size[1] > 100
