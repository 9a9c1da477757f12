"""Folders of images as a model reads them: ``glassnet predict`` and ``evaluate``.

A folder with one subfolder per class (``images/cat/1.png``, ``images/dog/7.jpg``, as
Keras' ``image_dataset_from_directory`` and torchvision's ``ImageFolder`` read them) is a
labelled set: each image a sample ``(C, H, W)`` of pixels in [0, 1], its folder's name its
class. The model keeps the size and colour it was trained on (``metadata["images"]``), and
reads the images it predicts on the same way, one row per file. (Training reads them in
:func:`glassnet.tabular.prepare.prepare_images`.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..data.image_folders import subfolders
from ..data.images import (
    COLORS,
    ImageSet,
    read_image_files,
    read_image_folder,
)
from .checkpoints import DATA_SUFFIXES
from .inputs import is_path
from .rows import Rows

IMAGE_TARGET = "class"
"""The target's name for images: the name of each image's folder."""
IMAGE_ID = "file"
"""The column ``glassnet predict`` writes each image's file in."""


def image_rows(data: Any, images: Mapping[str, Any]) -> Rows:
    """The images of ``data`` as a model trained on ``images`` (its ``size`` and ``color``)
    reads them: a class-folder tree gives each image's class as the target (for
    ``evaluate``); a flat folder, one file or a list of files gives none. The ids are the
    files, written beside each prediction."""
    size = tuple(images["size"])
    color = readers_color(images["color"])
    shown = str(data) if is_path(data) else f"{len(data)} image files"
    if is_path(data) and Path(data).suffix.lower() in DATA_SUFFIXES:
        C, (H, W) = (1 if images["color"] == "grayscale" else 3), size
        raise ValueError(
            f"this model takes images ({C}×{H}×{W}), and {str(data)!r} is a table: give a "
            "folder of images, or image files"
        )
    if is_path(data) and Path(data).is_dir() and subfolders(Path(data)):
        found: ImageSet = read_image_folder(data, size=(size[0], size[1]), color=color)
        files: Sequence[Path] = found.paths
        X, target = found.X, found.labels.astype(object)
    else:
        X, files = read_image_files(data, size=(size[0], size[1]), color=color)
        target = None
    root = Path(data) if is_path(data) and Path(data).is_dir() else None
    ids = np.array([str(f.relative_to(root) if root else f) for f in files], dtype=object)
    return Rows(X, target, IMAGE_TARGET if target is not None else None, shown, ids)


def readers_color(color: Any) -> Any:
    """The option's ``"auto"`` is the readers' ``None`` (detected)."""
    return color if color in COLORS else None
