"""Datasets that ship inside the package, so that glassnet trains with no download."""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

import numpy as np


class Dataset(NamedTuple):
    """A train/test split of features ``X`` (``(m, n)``) and labels ``y`` (``(m,)``)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str


def load_mnist_small(dtype: str = "float32") -> Dataset:
    """A stratified sample of MNIST: 10,000 training and 2,000 test images of 28×28 pixels.

    Pixels are scaled to ``[0, 1]``; labels are the digits 0–9, balanced (1,000 and 200 per
    class). Drawn with a fixed seed from the published MNIST files by
    ``tools/make_mnist_small.py``. MNIST is by Yann LeCun, Corinna Cortes and Christopher
    J. C. Burges (CC BY-SA 3.0 as usually given); see ``datasets/data/NOTICE.md``.
    """
    path = resources.files(__package__).joinpath("data/mnist_small.npz")
    with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    scale = np.asarray(1 / 255, dtype=dtype)
    return Dataset(
        X_train=arrays["X_train"].astype(dtype) * scale,
        y_train=arrays["y_train"].astype(np.int64),
        X_test=arrays["X_test"].astype(dtype) * scale,
        y_test=arrays["y_test"].astype(np.int64),
        description="MNIST (stratified sample): 10,000 train / 2,000 test, 784 pixels in [0, 1]",
    )


__all__ = ["Dataset", "load_mnist_small"]
