"""The report's figures of a network on images: its learned filters, one image's feature
maps, and a batch before and after augmentation.

They need images: those of the run's data folder (a few, read again at the size and colour
the model keeps), so a run trained on a folder of images gets all three; a network of
convolutions on a table of pixels gets its filters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..backend import Array
from ..tabular import Model
from .figures import ReportFigure
from .run import Run

SAMPLES = 8
"""Images read from the data folder for the feature maps and the augmentation."""


def is_image_network(model: Model) -> bool:
    """Whether a layer of the model's network holds maps rather than a vector per sample."""
    return any(len(layer.output_shape) > 1 for layer in model.network.layers)


def image_figures(run: Run) -> list[ReportFigure]:
    """``filters.png``, ``feature_maps.png`` and ``augmentation.png``, as far as the run has
    what they show."""
    model = run.trained_model()
    if model is None or not is_image_network(model):
        return []
    from ..inspect.pictures import draw_augmentation, draw_feature_maps, draw_filters, png_bytes

    network = model.network
    figures = []
    if any(layer.kind == "conv2d" for layer in network.layers):
        figures.append(
            ReportFigure(
                "filters.png",
                png_bytes(draw_filters(network)),
                "The learned filters W^[l] of each convolution (red > 0 > blue; a filter over "
                "several channels is shown as their mean).",
            )
        )
    images = _sample_images(model)
    if images is None:
        return figures
    if len(network.input_shape) == 3:
        figures.append(
            ReportFigure(
                "feature_maps.png",
                png_bytes(draw_feature_maps(network, images[0])),
                "One training image and its feature maps A^[l] after each convolution and "
                "pooling layer.",
            )
        )
    augment = model.settings.get("augment")
    if augment:
        from ..training.augment import Augmentation

        augmentation = Augmentation.from_text(augment)
        after = augmentation.apply(images, np.random.default_rng(model.settings["seed"]))
        figures.append(
            ReportFigure(
                "augmentation.png",
                png_bytes(draw_augmentation(images, after, title=augmentation.describe())),
                f"Training images as they are (top) and augmented ({augment}) as a "
                "mini-batch sees them (bottom).",
            )
        )
    return figures


def _sample_images(model: Model) -> Array | None:
    """A few of the run's images, spread over its (sorted) files: ``(n, C, H, W)``; ``None``
    when the run did not train on a folder of images, or it is gone."""
    images, data = model.metadata.get("images"), model.metadata.get("data")
    if not isinstance(images, dict) or not isinstance(data, str) or not Path(data).is_dir():
        return None
    from ..data.image_folders import image_files
    from ..data.images import read_image_files

    files = image_files(Path(data))
    if not files:
        return None
    chosen = [
        files[i] for i in np.linspace(0, len(files) - 1, min(SAMPLES, len(files))).astype(int)
    ]
    size = images["size"]
    color = images["color"]
    X, _ = read_image_files(chosen, size=(size[0], size[1]), color=color)
    return X
