"""Where the diagnosis draws its lines, and what it advises when one is crossed.

Each threshold is a rule of thumb, documented with the reason for its value; the
findings compare the measurements with these and nothing else.
"""

from __future__ import annotations

VANISHING_RATIO = 1e-3
"""A layer's gradient norm below this fraction of the output layer's is *vanishing*: its
weights learn a thousand times more slowly than the last layer's. A healthy network
keeps the ratios within one or two orders of magnitude of 1."""

EXPLODING_RATIO = 1e3
"""A layer's gradient norm above this multiple of the output layer's is *exploding*."""

EXPLODING_NORM = 1e3
"""A gradient norm above this is exploding whatever the other layers do: with inputs and
targets of order 1, a step along it would move the weights by far more than their size."""

DEAD_FRACTION = 0.5
"""A ReLU layer with more than this fraction of dead units has lost most of its capacity:
a dead unit outputs 0 for every sample, gets no gradient and so never recovers."""

SATURATION_FRACTION = 0.5
"""A sigmoid or tanh layer with more than this fraction of saturated activations passes
back mostly ``f' ≈ 0``: the first symptom of vanishing gradients."""

SIGMOID_SATURATION = 0.01
"""A sigmoid activation is saturated when ``a < 0.01`` or ``a > 0.99``: there
``σ'(z) = a(1 − a) < 0.01``, a twenty-fifth of its largest value 1/4."""

TANH_SATURATION = 0.99
"""A tanh activation is saturated when ``|a| > 0.99``: there ``tanh'(z) = 1 − a² < 0.02``."""

LARGE_UPDATE_RATIO = 1e-1
"""An update that changes ``W`` by more than a tenth of its norm in one step overshoots:
the loss oscillates or diverges. The healthy range is around ``1e-3`` (Karpathy's rule of
thumb from CS231n)."""

TINY_UPDATE_RATIO = 1e-6
"""An update below a millionth of ``‖W‖`` per step leaves the layer practically frozen."""

RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu", "softplus")
"""Activations whose layers start best with He initialization."""

SATURATING = ("sigmoid", "tanh")
"""Activations with flat tails, whose layers start best with Xavier initialization."""

# -- what usually helps ---------------------------------------------------------------------

# Each remedy by Python's keyword, then glassnet train's flag (--watch prints them too).
ADVICE_HE = "use He initialization for ReLU (init='he_normal'; --init he_normal)"
ADVICE_XAVIER = (
    "use Xavier initialization / smaller initial weights (init='xavier_normal'; "
    "--init xavier_normal)"
)
ADVICE_RELU = (
    "use ReLU instead of sigmoid/tanh in hidden layers (activation='relu'; --activation relu)"
)
ADVICE_BATCH_NORM = "add batch normalization (batch_norm=True; --batch-norm)"
ADVICE_LOWER_LR = "lower the learning rate"
ADVICE_RAISE_LR = "raise the learning rate"
ADVICE_CLIP = "clip gradients (clip_norm=1.0; --clip-norm 1)"
ADVICE_BIAS = (
    "lower the bias / use leaky_relu (start biases at 0, activation='leaky_relu'; "
    "--activation leaky_relu)"
)
ADVICE_STANDARDIZE = "standardize the inputs (and a regression target)"
