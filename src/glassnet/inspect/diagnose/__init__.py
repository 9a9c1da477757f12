"""Diagnosis: read the record of one forward and backward pass and name what is wrong.

For every layer ``l`` with parameters (numbered 1 … L as in the documents)
:func:`diagnose` measures, on one batch (:mod:`.measure`):

* ``‖W^[l]‖`` and ``‖∂J/∂W^[l]‖`` (Frobenius norms) and their ratio;
* ``‖∂J/∂W^[l]‖ / ‖∂J/∂W^[L]‖``, the gradient relative to the output layer's: by BP
  step 3, ``δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙ f'(Z^[l])``, so each layer down multiplies the
  gradient by a weight matrix and a derivative. Factors below 1 make it *vanish* toward
  the input (saturated sigmoids: ``σ' ≤ 1/4``), factors above 1 make it *explode*;
* the next update ``ΔW^[l]`` of the optimizer (plain gradient descent: ``α ∂J/∂W^[l]``)
  over ``‖W^[l]‖``; the rule of thumb is about ``1e-3`` per step;
* ``mean |A^[l]|``, and where the layer's activation has them, the fraction of *dead*
  ReLU units (``Z ≤ 0`` for every sample, so ``f'(Z) = 0`` and no gradient ever reaches
  their weights), the fraction of zero activations, and the fraction of *saturated*
  sigmoid or tanh activations.

From these the rules of :mod:`.findings` list :class:`Finding` objects, each with what
usually helps; the lines they draw are in :mod:`.thresholds`. :func:`non_finite_report`
names the first NaN or inf of a pass, and :class:`DiagnosisWatch` (:mod:`.watch`) runs
the diagnosis during training.

Layers are read through the :class:`~glassnet.layers.Layer` interface only (``params``,
``grads``, ``forward_record()``, ``fix_randomness``), so any kind of layer is diagnosed.
"""

from ...training.divergence import non_finite_report
from .diagnosis import Diagnosis, diagnose
from .findings import RULES, Evidence, Finding, find
from .measure import LayerStats, measure
from .thresholds import (
    DEAD_FRACTION,
    EXPLODING_NORM,
    EXPLODING_RATIO,
    LARGE_UPDATE_RATIO,
    SATURATION_FRACTION,
    SIGMOID_SATURATION,
    TANH_SATURATION,
    TINY_UPDATE_RATIO,
    VANISHING_RATIO,
)
from .watch import DiagnosisWatch, layer_summary, watch_line

__all__ = [
    "DEAD_FRACTION",
    "EXPLODING_NORM",
    "EXPLODING_RATIO",
    "LARGE_UPDATE_RATIO",
    "RULES",
    "SATURATION_FRACTION",
    "SIGMOID_SATURATION",
    "TANH_SATURATION",
    "TINY_UPDATE_RATIO",
    "VANISHING_RATIO",
    "Diagnosis",
    "DiagnosisWatch",
    "Evidence",
    "Finding",
    "LayerStats",
    "diagnose",
    "find",
    "layer_summary",
    "measure",
    "non_finite_report",
    "watch_line",
]
