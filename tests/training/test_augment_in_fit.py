"""``fit(augment=...)``: each training mini-batch augmented with the run's seed (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import load_model, save_model
from glassnet.training import Checkpoint
from glassnet.training.augment import Augmentation


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((96, 1, 8, 8), dtype=np.float32), rng.integers(0, 3, 96)


def _net() -> gn.Network:
    rng = np.random.default_rng(4)
    layers = [gn.Conv2D(1, 3, 3, input_size=(8, 8), rng=rng), gn.MaxPool2D(2), gn.Flatten()]
    return gn.Network([*layers, gn.Dense(27, 3, "softmax", rng=rng)], loss="cce")


def _fit(augment: object, epochs: int = 2, **options: object) -> gn.Network:
    net = _net()
    X, y = _data()
    net.fit(X, y, epochs=epochs, batch_size=16, seed=3, augment=augment, **options)
    return net


def _same(a: gn.Network, b: gn.Network) -> bool:
    return all(
        np.array_equal(x, y) for x, y in zip(a.arrays().values(), b.arrays().values(), strict=True)
    )


def test_augmented_training_is_fixed_by_the_seed_and_differs_from_plain() -> None:
    spec = "shift=1,rotate=15,noise=0.05"
    assert _same(_fit(spec), _fit(Augmentation(shift=1, rotate=15, noise=0.05)))
    assert not _same(_fit(spec), _fit(None))
    # Augmentation that does nothing is no augmentation: the plain run, draw for draw.
    assert _same(_fit(Augmentation()), _fit(None))


def test_each_step_trains_on_the_augmented_batch() -> None:
    # With the augmentation's own generator replayed, the steps see exactly its output.
    seen: list[np.ndarray] = []
    net = _net()
    original = net.train_step

    def recording(X, Y, optimizer, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(X.copy())
        return original(X, Y, optimizer, **kwargs)

    net.train_step = recording  # type: ignore[method-assign]
    X, y = _data()
    augment = Augmentation(shift=2)
    net.fit(X, y, epochs=1, batch_size=96, seed=3, shuffle=False, augment=augment)
    # The epoch's generator is seeded from the run's, after its (here empty) shuffle.
    rng = np.random.default_rng(3)
    expected = augment.apply(X, np.random.default_rng(rng.integers(2**63)))
    np.testing.assert_array_equal(seen[0], expected)
    assert not np.array_equal(seen[0], X)


def test_a_resumed_augmented_run_ends_as_the_uninterrupted_one(tmp_path) -> None:
    reference = _fit("shift=1,rotate=10", epochs=3)
    checkpoint = Checkpoint()
    _fit("shift=1,rotate=10", epochs=1, callbacks=[checkpoint])
    saved = save_model(tmp_path / "c.glassnet", _net(), training=checkpoint.last)
    resumed = _fit("shift=1,rotate=10", epochs=3, resume=load_model(saved).training)
    assert _same(resumed, reference)


def test_augment_needs_images() -> None:
    net = gn.Network.build([64, 3], seed=0)
    X, y = _data()
    with pytest.raises(ValueError, match=r"augment moves images.*samples of shape \(64,\)"):
        net.fit(X.reshape(96, 64), y, augment="shift=1")
    with pytest.raises(ValueError, match="rotate"):
        _fit("rotate=500")
    with pytest.raises(TypeError, match="augment must be an Augmentation or its text"):
        _fit(3)


def test_rows_of_pixels_are_augmented_as_the_images_a_first_reshape_makes() -> None:
    # --input-shape: the network starts with a Reshape; augmentation moves the images it
    # lays out, exactly as it moves the same images given as images.
    X, y = _data()
    flat = _net()
    flat.layers.insert(0, gn.layers.Reshape((1, 8, 8), input_shape=64))
    flat = gn.Network(flat.layers, loss="cce")
    images = _net()
    for net, data in ((flat, X.reshape(96, 64)), (images, X)):
        net.fit(data, y, epochs=2, batch_size=16, seed=3, augment="shift=1,rotate=10")
    assert _same(flat, images)
