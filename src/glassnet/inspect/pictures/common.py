"""What both pictures share: matplotlib on demand, PNG bytes, the sizes in a title."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ...io.files import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ...network import Network

DPI = 110
"""Dots per inch of the PNG files."""

POSITIVE, NEGATIVE, ZERO = "#c0392b", "#2e6fb7", "#9e9e9e"
"""Red for positive values, blue for negative ones, grey for exact zeros."""


def require_matplotlib(function: str) -> None:
    """Raise an ImportError that says how to install matplotlib if it is missing."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise ImportError(f'{function} draws with matplotlib: pip install "glassnet[cli]"') from exc


def png_bytes(fig: Figure) -> bytes:
    """``fig`` as PNG bytes, reduced to 256 colours when that makes the file smaller.

    Hundreds of antialiased coloured edges make a full-colour PNG of a megabyte; with a
    palette it is a quarter of that and looks the same (Pillow comes with matplotlib).
    """
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    full = buffer.getvalue()
    with Image.open(io.BytesIO(full)) as image:
        palette = image.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True)
    return min(full, buffer.getvalue(), key=len)


def finish(fig: Figure, path: str | os.PathLike[str] | None) -> Figure | Path:
    """``fig`` itself, or, given a ``path``, the path a PNG of it was written to (atomically)."""
    return fig if path is None else atomic_write_bytes(path, png_bytes(fig))


def sizes(network: Network) -> str:
    """``'784-128-10'``: the input's values per sample, then each parametric layer's units."""
    counts = [network.n_features, *(layer.n_out for layer in network.parametric_layers())]
    return "-".join(map(str, counts))


def shape_text(shape: tuple[int, ...]) -> str:
    """``'50×16'``: a shape as the documents write a matrix's size."""
    return "×".join(f"{n:,}" for n in shape)
