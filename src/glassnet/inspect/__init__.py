"""The glass box: look inside backpropagation.

- :func:`trace`: every ``Z^[l]``, ``A^[l]``, ``δ^[l]``, ``∂L/∂W^[l]`` and update of a few
  training steps, for any layer (batch norm's ``Ẑ``, ``γ``, ``β``, dropout's mask), with
  the L1 and L2 terms and the optimizer's rule written out with its numbers, rendered as
  text, Markdown, LaTeX or JSON (:func:`render`); convolutional layers' feature maps
  are shown as grids per sample and channel (:mod:`.trace_maps`);
- :func:`gradient_check`: backpropagation against central finite differences;
- specs: networks with explicit weights, typed in from a textbook (:func:`load_spec`,
  :func:`load_example`, :func:`list_examples`), convolution and pooling layers included
  (:mod:`.spec_images`).
"""

import importlib
from typing import Any

from .gradcheck import GradientCheck, gradient_check
from .render import render
from .spec import SpecError, TraceSpec, list_examples, load_example, load_spec, parse_spec
from .trace import Trace, trace

_SUBPACKAGES = ("diagnose", "pictures")
"""Imported on first use, so that ``glassnet.inspect.diagnose.diagnose`` works after a bare
``import glassnet``, which does not load them."""


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'glassnet.inspect' has no attribute {name!r}")


__all__ = [
    "GradientCheck",
    "SpecError",
    "Trace",
    "TraceSpec",
    "gradient_check",
    "list_examples",
    "load_example",
    "load_spec",
    "parse_spec",
    "render",
    "trace",
]
