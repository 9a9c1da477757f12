"""Pictures of a network: its graph, and histograms of what one pass computes.

- :func:`draw_network` (:mod:`.graph`) draws the network as a layered graph: one column
  of units per layer, one edge per weight ``W^[l]_ij``, its colour the weight's sign and
  size and its width proportional to ``|W^[l]_ij|``.
- :func:`draw_histograms` (:mod:`.histograms`) runs one forward pass (and, given
  targets, one backward pass) on a copy of the network and draws, per layer with
  parameters, the distribution of ``A^[l]`` and of ``∂L/∂W^[l]``: saturated or dead
  units and vanishing or exploding gradients show at a glance.
- :func:`draw_filters` and :func:`draw_feature_maps` (:mod:`.filters`) draw each
  convolution's learned filters as small images, and one sample's feature maps ``A^[l]``
  of each convolution and pooling layer.
- :func:`draw_augmentation` (:mod:`.augmentation`) draws a batch of images before and
  after data augmentation.

They read layers through the :class:`~glassnet.layers.Layer` interface and draw with
matplotlib (``pip install "glassnet[cli]"``), imported when called, on a
:class:`matplotlib.figure.Figure` without pyplot: nothing opens a window or touches
pyplot's global state. Given a ``path``, they write a PNG atomically and return the path;
otherwise they return the figure (:func:`png_bytes` turns one into a PNG).
"""

from .augmentation import draw_augmentation
from .common import DPI, png_bytes
from .filters import draw_feature_maps, draw_filters
from .graph import MAX_EDGES_PER_LAYER, draw_network, network_caption
from .histograms import draw_histograms

__all__ = [
    "DPI",
    "MAX_EDGES_PER_LAYER",
    "draw_augmentation",
    "draw_feature_maps",
    "draw_filters",
    "draw_histograms",
    "draw_network",
    "network_caption",
    "png_bytes",
]
