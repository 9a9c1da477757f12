"""Finding image files: the class folders of a folder of images, and the images in each.

Names starting with a dot are hidden (``.DS_Store``, ``.ipynb_checkpoints``): files are
skipped and folders not entered; linked folders are not followed. Everything is sorted,
so that two runs read the same images in the same order.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
"""The suffixes of the files read as images (any case)."""


def _folder(path: str | os.PathLike[str], name: str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"{name}: folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{name}: {str(folder)!r} is a file; expected a folder with one subfolder per class"
        )
    return folder


def subfolders(folder: Path) -> list[Path]:
    """The folders in ``folder``, sorted by name, hidden ones left out: its classes."""
    return [entry for entry in _entries(folder) if entry.is_dir()]


def image_files(folder: Path) -> list[Path]:
    """Every image file below ``folder``, sorted by path (as :func:`read_image_files` and
    :func:`read_image_folder` find them)."""
    return _split(_walk(folder, hidden=True))[0]


def _check_not_a_parent(root: Path, classes: list[Path]) -> None:
    """Refuse a folder whose class folders all hold the same subfolders (``data/train/cat``
    and ``data/test/cat``): its classes would be ``train`` and ``test``."""
    inner = [{entry.name for entry in subfolders(folder)} for folder in classes]
    shared = set.intersection(*inner) if len(inner) > 1 else set()
    if shared:
        meant = next((c for c in classes if c.name.lower() == "train"), classes[0])
        raise ValueError(
            f"{root}: its folders {', '.join(repr(c.name) for c in classes)} each hold the "
            f"folders {', '.join(map(repr, sorted(shared)))}, which look like the classes: "
            f"did you mean {meant}? (the classes are the subfolders of the folder given)"
        )


def _entries(folder: Path, *, hidden: bool = False) -> list[Path]:
    """The entries of ``folder`` sorted by name, those starting with a dot only if ``hidden``."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise OSError(f"cannot list folder {str(folder)!r}: {exc.strerror or exc}") from exc
    return sorted(entry for entry in entries if hidden or not entry.name.startswith("."))


def _walk(folder: Path, *, hidden: bool = False) -> list[Path]:
    """Every file below ``folder``, sorted by path; hidden folders are not entered, and
    linked folders are not followed (a link to a parent would never end)."""
    files: list[Path] = []
    for entry in _entries(folder, hidden=True):
        if entry.is_dir():
            if not entry.name.startswith(".") and not entry.is_symlink():
                files += _walk(entry, hidden=hidden)
        elif hidden or not entry.name.startswith("."):
            files.append(entry)
    return sorted(files, key=lambda p: p.relative_to(folder).parts)


def _is_image_name(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def _split(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """``files`` as (images, others) by name, keeping the order."""
    return [f for f in files if _is_image_name(f)], [f for f in files if not _is_image_name(f)]


def _warn_skipped(root: Path, skipped: list[Path]) -> None:
    """Warn about files left out that are not hidden: an image in a format not read, a
    stray label file, an image outside any class folder."""
    visible = [path for path in skipped if not path.name.startswith(".")]
    if visible:
        examples = ", ".join(str(path.relative_to(root)) for path in visible[:3])
        more = ", …" if len(visible) > 3 else ""
        warnings.warn(
            f"{root}: skipped {len(visible):,} file(s) that are not images in a class "
            f"folder ({examples}{more}); image files end in {', '.join(IMAGE_SUFFIXES)}",
            stacklevel=3,
        )
