"""Image files to arrays: a folder with one subfolder per class, or a list of files.

The layout is the one Keras' ``image_dataset_from_directory`` and torchvision's
``ImageFolder`` read::

    images/
      cat/   1.png  2.jpg  more/3.png ...
      dog/   1.png  ...

Each subfolder of ``images/`` is a class, named by the folder, and the classes are sorted
by name; the files of a class are found in its folder and the folders below it, and
sorted by their path, so that two runs read the same images in the same order. Files
and folders whose name starts with a dot (``.DS_Store``, ``.ipynb_checkpoints``) are
skipped, and so are files whose suffix is not an image's (:data:`IMAGE_SUFFIXES`); the
returned :class:`ImageSet` lists them, and a warning says how many non-image files were
left out.

Pixels come out as float32 scaled to [0, 1] in an array ``X`` of shape ``(m, C, H, W)``
(NCHW, the layout of PyTorch and ONNX): ``C = 1`` for grayscale, ``3`` for RGB. Images
are read one at a time (no file is kept open) into an array allocated once.

Pillow reads the files: ``pip install "glassnet[images]"``. It is imported when a
function here is called, so ``glassnet`` imports without it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..backend import Array
from .image_folders import (
    IMAGE_SUFFIXES,
    _check_not_a_parent,
    _entries,
    _folder,
    _is_image_name,
    _split,
    _walk,
    _warn_skipped,
    subfolders,
)

if TYPE_CHECKING:
    from PIL.Image import Image

COLORS = ("grayscale", "rgb")
"""The values of ``color``: one channel (luma) or three (red, green, blue)."""

MAX_PIXELS = 4096 * 4096
"""The most pixels (``H × W``) one image of the array may have, to catch absurd sizes."""

_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}
"""Pillow's modes of images without colour (``P``, a palette, is decided by its entries)."""

_HIGH_DEPTH = {"I", "I;16", "I;16L", "I;16B", "I;16N"}
"""Pillow's integer modes wider than 8 bits: 16-bit grayscale PNG and TIFF files."""

_EXIF_ORIENTATION = 0x0112
_TURNED = {5, 6, 7, 8}
"""EXIF orientations that turn the picture by 90°: width and height swap when applied."""

Color = Literal["grayscale", "rgb"]


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images read from a class-folder tree.

    ``X``: float32 pixels in [0, 1], shape ``(m, C, H, W)``; ``labels``: shape ``(m,)``,
    each image's class name (``str``); ``classes``: the class names in label order;
    ``paths``: each image's file; ``skipped``: the files left out (hidden or not images).
    """

    X: Array
    labels: Array
    classes: tuple[str, ...]
    paths: tuple[Path, ...]
    skipped: tuple[Path, ...] = field(default=())

    @property
    def y(self) -> Array:
        """Each image's class as an index into :attr:`classes`: int64, shape ``(m,)``."""
        index = {name: i for i, name in enumerate(self.classes)}
        return np.array([index[str(name)] for name in self.labels], dtype=np.int64)

    @property
    def note(self) -> str:
        """One line for a person: how many images of how many classes, what was skipped."""
        m, C, H, W = self.X.shape
        text = f"{m:,} images of {len(self.classes)} classes, {H}×{W}, {_color_name(C)}"
        if self.skipped:
            text += f" ({len(self.skipped):,} other files skipped)"
        return text


def _color_name(C: int) -> str:
    return "grayscale" if C == 1 else "RGB"


def _pillow() -> Any:
    """``PIL.Image``, or an ImportError that says how to install it."""
    try:
        from PIL import Image as pil
    except ImportError as exc:
        raise ImportError(
            'reading image files needs Pillow: pip install "glassnet[images]"'
        ) from exc
    return pil


def is_image_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding image files, in it or in its subfolders.

    For a command line to tell a folder of images from one of IDX or CSV files; nothing is
    opened, only names are looked at.
    """
    path = Path(path)
    if not path.is_dir():
        return False
    for entry in _entries(path):
        if entry.is_dir():
            if any(_is_image_name(p) for p in _walk(entry)):
                return True
        elif _is_image_name(entry):
            return True
    return False


def read_image_folder(
    path: str | os.PathLike[str],
    *,
    size: tuple[int, int] | None = None,
    color: Color | None = None,
    classes: Sequence[str] | None = None,
    limit: int | None = None,
) -> ImageSet:
    """Read a folder with one subfolder per class into an :class:`ImageSet`.

    ``size``: ``(H, W)`` to resize every image to (bilinear, with Pillow's antialiasing
    when shrinking); ``None`` keeps the first image's size, and then every image must have
    it. ``color``: ``"grayscale"`` (one channel, luma ``L = 0.299 R + 0.587 G + 0.114 B``),
    ``"rgb"`` (three channels), or ``None``: grayscale when every image is (Pillow modes
    ``1``, ``L``, ``LA``, 16-bit ``I;16``, or ``P`` with a palette of greys only), RGB
    otherwise. Alpha is dropped; 16-bit images are scaled by 65535; an EXIF orientation is
    applied (the picture as a viewer shows it); a GIF or TIFF gives its first frame.
    ``classes``: the class folders to read, in label order (default: every subfolder,
    sorted by name). ``limit``: the most images read per class (the first in sorted order).
    Training needs two classes at least: fewer is an error.
    """
    root = _folder(path, "path")
    size = _check_size(size)
    color = _check_color(color)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive integer (images per class), got {limit!r}")
    folders = subfolders(root)
    skipped = [entry for entry in _entries(root, hidden=True) if not entry.is_dir()]
    if classes is None:
        _check_not_a_parent(root, folders)
        names = [folder.name for folder in folders]
    else:
        if isinstance(classes, str):
            raise ValueError(f"classes must be a list of folder names, got the string {classes!r}")
        names = [str(name) for name in classes]
        missing = [name for name in names if name not in {f.name for f in folders}]
        if missing or len(set(names)) != len(names):
            raise ValueError(
                f"classes must name distinct subfolders of {root}; "
                + (f"not found: {', '.join(missing)}; " if missing else "")
                + f"its subfolders are: {', '.join(f.name for f in folders) or 'none'}"
            )
    files: list[Path] = []
    labels: list[str] = []
    for name in names:
        found, left_out = _split(_walk(root / name, hidden=True))
        skipped += left_out
        files += found[:limit]
        labels += [name] * len(found[:limit])
    loose = [path for path in skipped if _is_image_name(path) and path.parent == root]
    if not files and loose:
        raise ValueError(
            f"{root} holds {len(loose):,} image(s) but no class subfolders; expected one "
            f"subfolder per class, e.g. {root / 'cat' / loose[0].name}"
        )
    if not files:
        raise ValueError(
            f"{root} holds no images; expected one subfolder per class, e.g. "
            f"{root / 'cat' / '1.png'} (image files end in {', '.join(IMAGE_SUFFIXES)})"
        )
    empty = [name for name in names if name not in labels]
    if empty:
        raise ValueError(f"{root}: class folder(s) without images: {', '.join(empty)}")
    if len(names) < 2:
        raise ValueError(
            f"{root} holds one class folder ({names[0]}); training a classifier needs at "
            f"least two, one subfolder per class, e.g. {root / 'cat'} and {root / 'dog'}"
        )
    _warn_skipped(root, skipped)
    X = _read(files, size, color)
    return ImageSet(
        X=X,
        labels=np.array(labels, dtype=str),
        classes=tuple(names),
        paths=tuple(files),
        skipped=tuple(sorted(skipped)),
    )


def read_image_files(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    size: tuple[int, int] | None = None,
    color: Color | None = None,
) -> tuple[Array, list[Path]]:
    """Images to predict on: ``X`` of shape ``(m, C, H, W)`` (float32 in [0, 1]) and the files.

    ``paths``: one folder (its images, in it and in its subfolders, sorted by path: a flat
    folder or a class-folder tree) or a list of files (read in the order given, whatever
    their suffix). ``size`` and ``color`` as for :func:`read_image_folder`; a model gives
    both, so that the images match its input.
    """
    size = _check_size(size)
    color = _check_color(color)
    if isinstance(paths, str | os.PathLike) and Path(paths).is_dir():
        root = Path(paths)
        files, skipped = _split(_walk(root, hidden=True))
        if not files:
            raise ValueError(
                f"{root} holds no images (image files end in {', '.join(IMAGE_SUFFIXES)})"
            )
        _warn_skipped(root, skipped)
    else:
        listed = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        files = [Path(p) for p in listed]
        if not files:
            raise ValueError("paths is empty; expected image files or a folder of images")
        for file in files:
            if not file.is_file():
                raise FileNotFoundError(f"image file {str(file)!r} does not exist")
    return _read(files, size, color), files


# -- reading the pixels ----------------------------------------------------------------------


def _check_size(size: tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if (
        isinstance(size, str | bytes)
        or not isinstance(size, Sequence)
        or len(size) != 2
        or not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in size)
    ):
        raise ValueError(f"size must be (height, width), two positive integers; got {size!r}")
    H, W = int(size[0]), int(size[1])
    if H < 1 or W < 1 or H * W > MAX_PIXELS:
        raise ValueError(
            f"size must be (height, width) with 1 ≤ height × width ≤ {MAX_PIXELS:,} pixels; "
            f"got {size!r}"
        )
    return H, W


def _check_color(color: str | None) -> Color | None:
    if color is None or color in COLORS:
        return color  # type: ignore[return-value]
    raise ValueError(
        f"color must be one of {COLORS} or None (decided by the images), got {color!r}"
    )


def _open_error(path: Path, exc: Exception) -> ValueError:
    reason = str(exc) or type(exc).__name__
    return ValueError(f"cannot read image {str(path)!r}: {reason}")


def _opened(pil: Any, path: Path) -> Image:
    """``Image.open(path)`` with Pillow's decompression-bomb warning raised as an error:
    glassnet reads small images, and a file that claims a hundred million pixels is broken
    or hostile."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pil.DecompressionBombWarning)
            return pil.open(path)
    except (pil.DecompressionBombError, pil.DecompressionBombWarning) as exc:
        raise ValueError(
            f"image {str(path)!r} claims more pixels than Pillow reads safely "
            f"(a decompression bomb?): {exc}"
        ) from exc
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"image file {str(path)!r} does not exist") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # UnidentifiedImageError is an OSError
        raise _open_error(path, exc) from exc


def _header(pil: Any, path: Path) -> tuple[tuple[int, int], bool]:
    """The image's ``(H, W)`` as shown (EXIF orientation applied) and whether it has colour,
    from its header: no pixels are decoded."""
    with _opened(pil, path) as image:
        W, H = image.size
        turned = _orientation(image) in _TURNED
        return ((W, H) if turned else (H, W)), _has_color(image)


def _orientation(image: Image) -> int | None:
    """The EXIF orientation tag (1 to 8), or ``None``; a broken EXIF block counts as none."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # the pixels are still readable without it
        return None
    return value if isinstance(value, int) else None


def _has_color(image: Image) -> bool:
    if image.mode in _GRAY_MODES:
        return False
    if image.mode in ("P", "PA"):
        palette = np.asarray(image.getpalette() or [], dtype=np.int64)
        rgb = palette[: palette.size // 3 * 3].reshape(-1, 3)
        return bool((rgb != rgb[:, :1]).any())
    return True


def _pixels(pil: Any, image: Image, C: int, size: tuple[int, int]) -> Array:
    """One image's pixels in [0, 1]: float32, shape ``(C, H, W)``."""
    from PIL import ImageOps

    if _orientation(image) not in (None, 1):
        image = ImageOps.exif_transpose(image)
    H, W = size
    bilinear = pil.Resampling.BILINEAR
    if image.mode in _HIGH_DEPTH or image.mode == "F":
        # 16-bit grayscale: resized as 32-bit floats (Pillow's "F"), so no precision is lost.
        scale = 65535.0 if image.mode in _HIGH_DEPTH else 1.0
        gray = image.convert("F")
        if gray.size != (W, H):
            gray = gray.resize((W, H), bilinear)
        values = np.clip(np.asarray(gray, dtype=np.float32) / scale, 0.0, 1.0)
        return np.broadcast_to(values, (C, H, W))
    if image.mode in ("P", "PA"):  # through RGBA: Pillow warns on a palette's transparency
        image = image.convert("RGBA")
    image = image.convert("L" if C == 1 else "RGB")
    if image.size != (W, H):
        image = image.resize((W, H), bilinear)
    values = np.asarray(image, dtype=np.float32) / np.float32(255)
    return values[None] if C == 1 else values.transpose(2, 0, 1)


def _read(files: list[Path], size: tuple[int, int] | None, color: Color | None) -> Array:
    """The pixels of ``files`` as one float32 array ``(m, C, H, W)``, allocated once."""
    pil = _pillow()
    headers = [_header(pil, path) for path in files]
    first_size = headers[0][0]
    if size is None:
        for path, (shape, _) in zip(files, headers, strict=True):
            if shape != first_size:
                raise ValueError(
                    f"image {str(path)!r} is {shape[0]}×{shape[1]} (height×width) but the first "
                    f"image, {str(files[0])!r}, is {first_size[0]}×{first_size[1]}; give a size "
                    f"to resize them all (--image-size {first_size[0]}x{first_size[1]}, or "
                    f"size=({first_size[0]}, {first_size[1]}))"
                )
        size = _check_size(first_size)
        assert size is not None
    if color is None:
        color = "rgb" if any(has_color for _, has_color in headers) else "grayscale"
    C = 1 if color == "grayscale" else 3
    H, W = size
    try:
        X = np.empty((len(files), C, H, W), dtype=np.float32)
    except MemoryError as exc:
        gib = len(files) * C * H * W * 4 / 2**30
        raise MemoryError(
            f"{len(files):,} images of {C}×{H}×{W} need {gib:.1f} GiB as float32; give a "
            f"smaller size (--image-size) or fewer images"
        ) from exc
    for i, path in enumerate(files):
        with _opened(pil, path) as image:
            try:
                X[i] = _pixels(pil, image, C, size)
            except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
                raise _open_error(path, exc) from exc
    return X
