"""A batch before and after augmentation: originals in the top row, the same images
augmented below, so that a reader sees whether the shifts, turns, flips and noise keep
each image what it was."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ...backend import Array
from .common import finish, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@overload
def draw_augmentation(
    X_batch: Any, augmented: Any, path: None = None, *, n: int = 8, title: str | None = None
) -> Figure: ...
@overload
def draw_augmentation(
    X_batch: Any,
    augmented: Any,
    path: str | os.PathLike[str],
    *,
    n: int = 8,
    title: str | None = None,
) -> Path: ...
def draw_augmentation(
    X_batch: Any,
    augmented: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    n: int = 8,
    title: str | None = None,
) -> Figure | Path:
    """The first ``n`` images of ``X_batch`` above the same images of ``augmented``.

    ``X_batch`` and ``augmented``: the same shape, ``(m, C, H, W)`` or ``(m, H, W)``;
    ``C = 1`` is drawn in grey, ``C = 3`` in colour, any other ``C`` by its first channel
    in grey. Both rows share one scale of values (``[0, 1]`` when the original pixels lie
    in it, the augmented clipped to it; otherwise the range of both), so a brighter image
    is brighter. ``title``: what the
    augmentation does (e.g. :meth:`~glassnet.training.augment.Augmentation.describe`).
    Given a ``path``, a PNG is written there atomically and its path returned; otherwise
    the figure.
    """
    require_matplotlib("draw_augmentation")
    from matplotlib.figure import Figure

    before, after = np.asarray(X_batch), np.asarray(augmented)
    if before.shape != after.shape or before.ndim not in (3, 4) or before.shape[0] == 0:
        raise ValueError(
            "X_batch and augmented must be the same non-empty batch of images, shape "
            f"(m, C, H, W) or (m, H, W); got shapes {before.shape} and {after.shape}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    count = min(n, before.shape[0])
    before, after = before[:count].astype(np.float64), after[:count].astype(np.float64)
    low, high = _value_range(before, after)
    channels = 1 if before.ndim == 3 else before.shape[1]

    fig = Figure(figsize=(1.3 * count + 0.9, 3.2), layout="constrained")
    axes = fig.subplots(2, count, squeeze=False)
    for row, (images, label) in enumerate(((before, "original"), (after, "augmented"))):
        for i in range(count):
            ax = axes[row, i]
            picture = _picture(images[i], low, high)
            if picture.ndim == 2:
                ax.imshow(picture, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=9)
    shape = "×".join(map(str, before.shape[1:]))
    note = "" if channels in (1, 3) else f", channel 0 of {channels}"
    heading = f"{count} image{'s' if count != 1 else ''} ({shape}{note}) before and after"
    fig.suptitle(heading if title is None else f"{heading}: {title}", fontsize=10)
    return finish(fig, path)


def _value_range(before: Array, after: Array) -> tuple[float, float]:
    """``(0, 1)`` when the originals' pixels lie in it (noise beyond it is clipped: black
    stays black), else the finite values' range over both rows."""
    finite = before[np.isfinite(before)]
    if finite.size == 0 or (finite.min() >= 0.0 and finite.max() <= 1.0):
        return 0.0, 1.0
    values = np.concatenate([finite, after[np.isfinite(after)]])
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, low + 0.5)


def _picture(image: Array, low: float, high: float) -> Array:
    """One image as matplotlib draws it: ``(H, W)`` grey or ``(H, W, 3)`` colour in [0, 1]."""
    if image.ndim == 3:
        image = image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]
    return np.clip(np.nan_to_num((image - low) / (high - low)), 0.0, 1.0)
