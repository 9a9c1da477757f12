"""Data augmentation (document 003): each mini-batch's images moved a little, at random.

Random shifts, small rotations, horizontal flips and Gaussian noise give the network
images it has not seen, labelled as the originals, so that it learns what does not
change the label instead of the training images themselves: a remedy for overfitting
that costs no data. A new draw is made for every mini-batch, from the
``numpy.random.Generator`` the trainer passes in, so a seed gives the same run.

Shift and rotation are one inverse-mapped affine warp per image (the output pixel
``(y, x)`` reads the input at ``R(−θ)·(y − s_y − c_y, x − s_x − c_x) + c``, with ``c``
the image's centre), sampled bilinearly and vectorised over the batch; whatever falls
outside the input reads as 0 (zero fill: black for pixels in [0, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..backend import Array

MAX_SHIFT = 1024
"""The most pixels ``shift`` may name (it must also stay below the image's height and width)."""

MAX_NOISE = 1.0
"""The largest noise ``σ``: pixels lie in [0, 1], and σ = 1 drowns them."""

_FIELDS = ("shift", "rotate", "flip", "noise")
_TRUE = {"", "1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Augmentation:
    """What to do to each training image of a mini-batch; everything is off by default.

    ``shift``: the most pixels an image moves up or down and, independently, left or
    right (an integer; each image draws ``s_y, s_x`` uniformly from ``−shift … shift``:
    pixels move by whole pixels, so nothing is blurred). ``rotate``: the most degrees an
    image turns either way (uniform in ``[−rotate, rotate]``, counter-clockwise positive;
    a few degrees for digits). ``flip``: mirror half the images left to right (off for
    digits and text, whose mirror image is another symbol or none). ``noise``: the
    standard deviation ``σ`` of Gaussian noise added to every pixel (not clipped).
    """

    shift: int = 0
    rotate: float = 0.0
    flip: bool = False
    noise: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.shift, bool) or not isinstance(self.shift, int | np.integer):
            raise ValueError(f"shift must be a whole number of pixels, got {self.shift!r}")
        if not 0 <= self.shift <= MAX_SHIFT:
            raise ValueError(f"shift must be between 0 and {MAX_SHIFT} pixels, got {self.shift}")
        object.__setattr__(self, "shift", int(self.shift))
        for name, top, unit in (("rotate", 180.0, " degrees"), ("noise", MAX_NOISE, "")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and 0 <= value <= top):
                raise ValueError(f"{name} must be between 0 and {top:g}{unit}, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.flip, bool | np.bool_):
            raise ValueError(f"flip must be True or False, got {self.flip!r}")
        object.__setattr__(self, "flip", bool(self.flip))

    @property
    def enabled(self) -> bool:
        """Whether this changes anything at all."""
        return bool(self.shift or self.rotate or self.flip or self.noise)

    @classmethod
    def from_text(cls, text: str) -> Augmentation:
        """Read ``"shift=2,rotate=10,noise=0.05,flip"`` (the command line's form).

        Fields are separated by commas; ``flip`` alone means ``flip=true``; ``""`` or
        ``"none"`` is no augmentation. An unknown field or a bad value raises ValueError.
        """
        values: dict[str, object] = {}
        text = text.strip()
        if text.lower() in ("", "none", "off"):
            return cls()
        for part in text.split(","):
            key, _, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key not in _FIELDS:
                raise ValueError(
                    f"augmentation {text!r}: unknown field {key!r}; expected some of "
                    f"{', '.join(_FIELDS)} (e.g. 'shift=2,rotate=10,noise=0.05,flip')"
                )
            if key in values:
                raise ValueError(f"augmentation {text!r}: {key} is given twice")
            values[key] = _parse(key, value, text)
        return cls(**values)  # type: ignore[arg-type]

    def to_text(self) -> str:
        """The form :meth:`from_text` reads back: ``"shift=2,rotate=10,flip"`` or ``"none"``."""
        return ",".join(text for text, _ in self._parts()) or "none"

    def describe(self) -> str:
        """For a person: ``"shifts of up to ±2 px, rotations of up to ±10°, …"``."""
        return ", ".join(words for _, words in self._parts()) or "no augmentation"

    def _parts(self) -> list[tuple[str, str]]:
        """Each setting that is on, as ``(its text, its words)``."""
        parts = [
            (self.shift, f"shift={self.shift}", f"shifts of up to ±{self.shift} px"),
            (self.rotate, f"rotate={self.rotate:g}", f"rotations of up to ±{self.rotate:g}°"),
            (self.flip, "flip", "horizontal flips of half the images"),
            (self.noise, f"noise={self.noise:g}", f"Gaussian noise of σ = {self.noise:g}"),
        ]
        return [(text, words) for on, text, words in parts if on]

    def apply(self, X: Array, rng: np.random.Generator) -> Array:
        """A new, augmented copy of the batch ``X``: shape ``(m, C, H, W)`` or ``(m, H, W)``.

        The draws come from ``rng`` alone, in a fixed order (angles, shifts, flips, noise;
        only those enabled), so the same generator state gives the same batch. ``X`` is
        never modified; the result has its shape and (floating) dtype.
        """
        X = _check_batch(X)
        m, H, W = X.shape[0], X.shape[-2], X.shape[-1]
        if self.shift >= min(H, W):
            raise ValueError(
                f"shift must be smaller than the images' height and width ({H}×{W}), "
                f"got {self.shift}"
            )
        if not self.enabled:
            return X.copy()
        angles: Array = rng.uniform(-self.rotate, self.rotate, (m,)) if self.rotate else np.zeros(m)
        if self.shift:
            shifts = rng.integers(-self.shift, self.shift + 1, size=(m, 2))
        else:
            shifts = np.zeros((m, 2), dtype=np.int64)
        out = warp(X, angles, shifts) if self.rotate or self.shift else X.copy()
        if self.flip:
            flipped = rng.random(m) < 0.5
            out[flipped] = out[flipped][..., ::-1]
        if self.noise:
            # Drawn in float32 for float32 batches: half the work, the same distribution.
            dtype = out.dtype if out.dtype in (np.float32, np.float64) else np.float64
            out += (self.noise * rng.standard_normal(out.shape, dtype=dtype)).astype(out.dtype)
        return out


def _parse(key: str, value: str, text: str) -> object:
    if key == "flip":
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError(f"augmentation {text!r}: flip must be true or false, got {value!r}")
    try:
        return int(value) if key == "shift" else float(value)
    except ValueError:
        kind = "a whole number of pixels" if key == "shift" else "a number"
        raise ValueError(f"augmentation {text!r}: {key} must be {kind}, got {value!r}") from None


def _check_batch(X: Array) -> Array:
    X = np.asarray(X)
    if X.ndim not in (3, 4):
        raise ValueError(
            f"X must be a batch of images, shape (m, C, H, W) or (m, H, W); got shape {X.shape}"
        )
    if not np.issubdtype(X.dtype, np.floating):
        raise ValueError(f"X must hold floating-point pixels, got dtype {X.dtype}")
    return X


def warp(X: Array, degrees: Array, shifts: Array) -> Array:
    """Each image of ``X`` turned by ``degrees[i]`` about its centre, then moved by ``shifts[i]``.

    ``X``: ``(m, C, H, W)`` or ``(m, H, W)``; ``degrees``: ``(m,)``, counter-clockwise as
    the image is shown (row 0 at the top); ``shifts``: ``(m, 2)``, ``(s_y, s_x)`` pixels
    down and right. Output pixel ``(y, x)`` reads the input at (inverse map)

        y_src = c_y + (x − s_x − c_x)·sin θ + (y − s_y − c_y)·cos θ
        x_src = c_x + (x − s_x − c_x)·cos θ − (y − s_y − c_y)·sin θ

    with ``c = ((H − 1)/2, (W − 1)/2)``, interpolated bilinearly between the four pixels
    around it; pixels outside the input read as 0. With θ = 0 and whole-pixel shifts the
    weights are exactly 0 and 1, so a shift moves pixels unchanged.
    """
    X = _check_batch(X)
    images = X if X.ndim == 4 else X[:, None]
    m, C, H, W = images.shape
    theta = np.radians(np.asarray(degrees, dtype=np.float64)).reshape(m, 1, 1)
    shifts = np.asarray(shifts, dtype=np.float64).reshape(m, 2)
    cy, cx = (H - 1) / 2, (W - 1) / 2
    dy = np.arange(H, dtype=np.float64)[None, :, None] - shifts[:, 0, None, None] - cy
    dx = np.arange(W, dtype=np.float64)[None, None, :] - shifts[:, 1, None, None] - cx
    cos, sin = np.cos(theta), np.sin(theta)
    # sin(π) and cos(π/2) are 1e-16, not 0: rounded away so that quarter turns are exact.
    cos, sin = np.where(np.abs(cos) < 1e-12, 0.0, cos), np.where(np.abs(sin) < 1e-12, 0.0, sin)
    y_src = (cy + dx * sin + dy * cos).reshape(m, -1)  # (m, H·W)
    x_src = (cx + dx * cos - dy * sin).reshape(m, -1)
    # Per axis: the two neighbours' indices (clipped) and weights (0 where outside), so that
    # each corner's weight is one product and every gather index is valid.
    rows = _neighbours(y_src.astype(X.dtype), H)
    cols = _neighbours(x_src.astype(X.dtype), W)
    flat = images.reshape(m, C, H * W)
    out = np.zeros((m, C, H * W), dtype=X.dtype)
    for row, wy in rows:
        for col, wx in cols:
            gathered = np.take_along_axis(flat, (row * W + col)[:, None, :], axis=2)
            out += gathered * (wy * wx)[:, None, :]
    return out.reshape(X.shape)


def _neighbours(source: Array, n: int) -> list[tuple[Array, Array]]:
    """For coordinates ``source`` along an axis of ``n`` pixels: ``[(i0, w0), (i1, w1)]``,
    the pixels below and above each (clipped into range) and their bilinear weights
    (``1 − f`` and ``f``, ``f`` the fractional part), 0 for a pixel outside the image."""
    low = np.floor(source)
    f = source - low
    low_i = low.astype(np.intp)
    pairs = []
    for i, w in ((low_i, 1 - f), (low_i + 1, f)):
        inside = (i >= 0) & (i < n)
        pairs.append((np.clip(i, 0, n - 1), np.where(inside, w, 0).astype(source.dtype)))
    return pairs
