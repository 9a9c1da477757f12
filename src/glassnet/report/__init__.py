"""Training reports: one self-contained HTML page and its figures, made from a run folder.

A run folder is what ``glassnet train`` writes (``history.json``, and optionally
``summary.json``, ``validation.npz`` and ``model.glassnet``; :mod:`.run` describes each).
:func:`write_report` reads it (:mod:`.run`), draws the figures with matplotlib
(:mod:`.figures`; ``pip install "glassnet[cli]"``), writes them as PNG files next to
``report.html`` (:mod:`.page`), and embeds the same bytes in the page as base64, so the
single HTML file can be mailed on its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..io.files import atomic_write_bytes
from .figures import draw_figures
from .image_figures import image_figures
from .page import render_html
from .run import read_run

__all__ = ["write_report"]


def write_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` and its PNG figures into ``run_dir``; return the HTML's path.

    The figures are ``loss.png`` (training and validation loss per epoch), ``metric.png``
    (accuracy or RMSE, and every other logged metric, per epoch) and, when the folder has
    ``validation.npz``, ``confusion_matrix.png`` (classification) or
    ``predicted_vs_true.png`` (regression), and, when it has ``model.glassnet``,
    ``network.png`` (the network as a graph of its weights). Every file is written to a
    temporary name and then renamed, so a reader never sees half a file.

    Raises FileNotFoundError if ``run_dir`` or its ``history.json`` does not exist,
    ValueError if a file in it is malformed, ImportError if matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure  # noqa: F401  (checked here, used in .figures)
    except ImportError as exc:
        raise ImportError(
            'write_report draws its figures with matplotlib: pip install "glassnet[cli]"'
        ) from exc
    run = read_run(Path(run_dir))
    figures = draw_figures(run) + image_figures(run)
    for figure in figures:
        atomic_write_bytes(run.folder / figure.filename, figure.png)
    return atomic_write_bytes(run.folder / "report.html", render_html(run, figures).encode())
