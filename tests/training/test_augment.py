"""Augmentation: a shift moves pixels by exactly the drawn amount (np.roll with zero fill),
a quarter turn equals np.rot90, a flip equals X[..., ::-1], the noise has the requested σ,
the same generator state gives the same batch, and the input is never touched."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.training.augment import Augmentation, warp


def _shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (…, H, W) moved dy down and dx right, zeros coming in: np.roll, then the
    wrapped-around rows and columns blanked."""
    out = np.roll(image, (dy, dx), axis=(-2, -1))
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


def _batch(m: int = 6, C: int = 2, H: int = 9, W: int = 9, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((m, C, H, W)).astype(np.float32)


def test_warp_shifts_by_whole_pixels_exactly() -> None:
    X = _batch(m=5, H=7, W=8)
    shifts = np.array([[0, 0], [2, -1], [-3, 4], [6, 0], [1, 7]])
    out = warp(X, np.zeros(5), shifts)
    for i, (dy, dx) in enumerate(shifts):
        assert np.array_equal(out[i], _shifted(X[i], dy, dx)), (dy, dx)


def test_warp_quarter_turns_equal_rot90_and_zero_is_the_identity() -> None:
    X = _batch(m=3, H=6, W=6)
    for k in (1, 2, 3, -1):
        out = warp(X, np.full(3, 90.0 * k), np.zeros((3, 2)))
        np.testing.assert_allclose(out, np.rot90(X, k, axes=(2, 3)), rtol=0, atol=1e-6)
    assert np.array_equal(warp(X, np.zeros(3), np.zeros((3, 2))), X)


def test_warp_interpolates_bilinearly_between_pixels() -> None:
    """A ramp along x turned by 45° about the centre: x_src = c + (x − c)·cos − (y − c)·sin,
    and bilinear sampling of a linear function gives it back exactly where all four
    neighbours are inside; the centre pixel of an odd image stays put."""
    H = W = 7
    ramp = np.tile(np.arange(W, dtype=np.float64), (H, 1))[None, None]
    out = warp(ramp, np.array([45.0]), np.zeros((1, 2)))[0, 0]
    c = 3.0
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    expected = c + (x - c) * np.cos(np.pi / 4) - (y - c) * np.sin(np.pi / 4)
    interior = (np.abs(x - c) + np.abs(y - c)) <= 2  # sources well inside the image
    np.testing.assert_allclose(out[interior], expected[interior], atol=1e-12)
    assert out[3, 3] == ramp[0, 0, 3, 3]


def test_apply_draws_shifts_within_the_bound_and_moves_pixels_exactly() -> None:
    X = np.zeros((40, 1, 9, 9), dtype=np.float32)
    X[:, 0, 4, 4] = 1.0  # one bright pixel in the middle: where it lands is the shift
    out = Augmentation(shift=2).apply(X, np.random.default_rng(3))
    moves = set()
    for image in out[:, 0]:
        assert image.sum() == 1.0 and image.max() == 1.0  # moved, not blurred
        y, x = np.argwhere(image == 1.0)[0]
        moves.add((int(y) - 4, int(x) - 4))
    assert all(abs(dy) <= 2 and abs(dx) <= 2 for dy, dx in moves)
    assert len(moves) > 10  # 25 possible moves; 40 draws land on many of them


def test_same_seed_same_batch_other_seed_other_batch_input_untouched() -> None:
    X = _batch()
    kept = X.copy()
    augment = Augmentation(shift=2, rotate=15, flip=True, noise=0.05)
    first = augment.apply(X, np.random.default_rng(7))
    again = augment.apply(X, np.random.default_rng(7))
    other = augment.apply(X, np.random.default_rng(8))
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)
    assert np.array_equal(X, kept)
    assert first.dtype == np.float32 and first.shape == X.shape
    X64 = X.astype(np.float64)
    assert augment.apply(X64, np.random.default_rng(7)).dtype == np.float64
    off = Augmentation().apply(X, np.random.default_rng(0))
    assert np.array_equal(off, X) and off is not X


def test_flip_mirrors_about_half_the_images() -> None:
    X = _batch(m=200, C=1, H=4, W=5)
    out = Augmentation(flip=True).apply(X, np.random.default_rng(1))
    flipped = np.array([np.array_equal(o, x[..., ::-1]) for o, x in zip(out, X, strict=True)])
    same = np.array([np.array_equal(o, x) for o, x in zip(out, X, strict=True)])
    assert (flipped ^ same).all()  # each image is either mirrored or left as it was
    # Binomial(200, 1/2): mean 100, sd 7.1; 70…130 is over four standard deviations.
    assert 70 <= flipped.sum() <= 130


def test_noise_has_the_requested_standard_deviation() -> None:
    X = np.full((50, 1, 20, 20), 0.5, dtype=np.float32)
    out = Augmentation(noise=0.1).apply(X, np.random.default_rng(2))
    noise = (out - X).astype(np.float64).ravel()
    # 20,000 draws: the sample σ has a standard error of σ/√(2n) = 5e-4, the mean σ/√n = 7e-4;
    # the bounds are over four standard errors.
    assert abs(noise.std() - 0.1) < 0.0025
    assert abs(noise.mean()) < 0.003


def test_three_dimensional_batches_are_single_channel_images() -> None:
    X = _batch(m=4, C=1, H=6, W=6)
    augment = Augmentation(shift=1, rotate=20)
    out3 = augment.apply(X[:, 0], np.random.default_rng(5))
    out4 = augment.apply(X, np.random.default_rng(5))
    assert out3.shape == (4, 6, 6)
    assert np.array_equal(out3, out4[:, 0])


def test_text_round_trip_and_description() -> None:
    augment = Augmentation.from_text("shift=2, rotate=10,noise=0.05,flip")
    assert augment == Augmentation(shift=2, rotate=10.0, flip=True, noise=0.05)
    assert augment.enabled
    assert Augmentation.from_text(augment.to_text()) == augment
    assert augment.to_text() == "shift=2,rotate=10,flip,noise=0.05"
    assert augment.describe() == (
        "shifts of up to ±2 px, rotations of up to ±10°, horizontal flips of half the images, "
        "Gaussian noise of σ = 0.05"
    )
    assert Augmentation.from_text("flip=false") == Augmentation()
    for text in ("", "none"):
        assert not Augmentation.from_text(text).enabled
    assert Augmentation().describe() == "no augmentation"
    assert Augmentation().to_text() == "none"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shift=2,zoom=0.1", r"unknown field 'zoom'; expected some of shift, rotate, flip, noise"),
        ("shift=1.5", r"shift must be a whole number of pixels, got '1\.5'"),
        ("rotate=ten", r"rotate must be a number, got 'ten'"),
        ("flip=maybe", r"flip must be true or false, got 'maybe'"),
        ("shift=1,shift=2", r"shift is given twice"),
        ("rotate=200", r"rotate must be between 0 and 180 degrees, got 200\.0"),
        ("noise=-0.1", r"noise must be between 0 and 1, got -0\.1"),
        ("shift=-1", r"shift must be between 0 and 1024 pixels, got -1"),
        ("noise=nan", r"noise must be between 0 and 1, got nan"),
    ],
)
def test_bad_values_name_the_field(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Augmentation.from_text(text)


def test_bad_arguments_and_batches() -> None:
    with pytest.raises(ValueError, match=r"shift must be a whole number of pixels, got True"):
        Augmentation(shift=True)
    with pytest.raises(ValueError, match=r"flip must be True or False, got 1"):
        Augmentation(flip=1)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"shift must be smaller than the images' height and width \(4×9\), got 4"
    ):
        Augmentation(shift=4).apply(_batch(H=4), np.random.default_rng(0))
    with pytest.raises(
        ValueError, match=r"shape \(m, C, H, W\) or \(m, H, W\); got shape \(5, 81\)"
    ):
        Augmentation(noise=0.1).apply(np.zeros((5, 81)), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"floating-point pixels, got dtype uint8"):
        Augmentation(noise=0.1).apply(np.zeros((5, 9, 9), np.uint8), np.random.default_rng(0))
