"""The augmentation picture: a PNG with a row of originals above the same images augmented,
each panel showing its image's pixels on a scale shared by both rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the pictures draw with matplotlib")
from matplotlib.image import AxesImage
from PIL import Image  # Pillow comes with matplotlib

from glassnet.inspect.pictures.augmentation import draw_augmentation
from glassnet.training.augment import Augmentation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _panels(fig) -> list[np.ndarray]:
    return [
        np.asarray(image.get_array())
        for ax in fig.axes
        for image in ax.get_images()
        if isinstance(image, AxesImage)
    ]


def test_grayscale_picture_is_a_png_with_two_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((10, 1, 12, 12)).astype(np.float32)
    augment = Augmentation(shift=2, rotate=10)
    out = augment.apply(X, rng)
    path = draw_augmentation(X, out, tmp_path / "augmentation.png", n=6, title=augment.describe())
    assert path == tmp_path / "augmentation.png"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.load()
        width, height = image.size
    assert 400 < width < 1500 and 250 < height < 500  # six columns, two rows

    fig = draw_augmentation(X, out, n=6)
    panels = _panels(fig)
    assert len(panels) == 12
    # Pixels in [0, 1] are drawn as they are: the top row is X, the bottom row the augmented.
    for i in range(6):
        np.testing.assert_allclose(panels[i], X[i, 0], atol=1e-7)
        np.testing.assert_allclose(panels[6 + i], out[i, 0], atol=1e-7)
    assert "6 images (1×12×12) before and after" in fig.texts[0].get_text()


def test_rgb_and_out_of_range_values_share_one_scale(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 3, 5, 5))  # standardized pixels: outside [0, 1]
    out = X + 1.0
    fig = draw_augmentation(X, out, n=8)
    panels = _panels(fig)
    assert len(panels) == 6 and panels[0].shape == (5, 5, 3)
    low, high = X.min(), out.max()
    np.testing.assert_allclose(panels[0], (X[0].transpose(1, 2, 0) - low) / (high - low))
    np.testing.assert_allclose(panels[3], (out[0].transpose(1, 2, 0) - low) / (high - low))
    assert draw_augmentation(X, out, tmp_path / "rgb.png").read_bytes()[:8] == PNG_SIGNATURE


def test_noise_beyond_the_unit_range_is_clipped_when_the_originals_lie_in_it() -> None:
    X = np.zeros((2, 1, 4, 4))
    X[:, 0, 1, 1] = 1.0
    noisy = X + np.array([-0.2, 0.3])[:, None, None, None]
    panels = _panels(draw_augmentation(X, noisy))
    np.testing.assert_array_equal(panels[0], X[0, 0])  # black stays black: 0 → 0
    np.testing.assert_allclose(panels[2], np.clip(noisy[0, 0], 0, 1))
    np.testing.assert_allclose(panels[3], np.clip(noisy[1, 0], 0, 1))


def test_mismatched_batches_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"same non-empty batch.*got shapes \(2, 1, 4, 4\) and \(2, 1, 4, 5\)"
    ):
        draw_augmentation(np.zeros((2, 1, 4, 4)), np.zeros((2, 1, 4, 5)))
    with pytest.raises(ValueError, match=r"n must be a positive integer, got 0"):
        draw_augmentation(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), n=0)
