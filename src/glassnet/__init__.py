"""glassnet: neural networks with forward propagation, backpropagation and gradient descent
written out, fast to train and open to inspect.

>>> import glassnet as gn
>>> data = gn.datasets.load_mnist_small()
>>> net = gn.Network.build([784, 128, 10], seed=0)        # ReLU, softmax, cross-entropy
>>> history = net.fit(data.X_train, data.y_train, epochs=5, seed=0)  # Adam, batch 32
"""

import importlib
from typing import TYPE_CHECKING, Any

from .launcher import share_cores

share_cores()  # before NumPy loads its BLAS: each MPI rank takes its share of the cores

from . import data, datasets
from ._version import __version__
from .activations import get_activation
from .inspect import GradientCheck, gradient_check, trace
from .layers import (
    AvgPool2D,
    BatchNorm,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
)
from .losses import get_loss
from .network import Network
from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, get_optimizer
from .training import (
    Callback,
    CosineDecay,
    EarlyStopping,
    ExponentialDecay,
    History,
    LearningRateScheduler,
    ProgressBar,
    ReduceLROnPlateau,
    StepDecay,
    TrainingDivergedError,
    TrainingState,
    fit,
)

if TYPE_CHECKING:  # for type checkers only: at run time they come from __getattr__
    from .sklearn import GlassnetClassifier as GlassnetClassifier
    from .sklearn import GlassnetRegressor as GlassnetRegressor

_FROM_SKLEARN = ("GlassnetClassifier", "GlassnetRegressor")
"""The scikit-learn estimators, imported on first use: scikit-learn is optional, and
``import glassnet`` must not import it. (Not in ``__all__``, so that ``from glassnet import *``
works without scikit-learn too.)"""


_SUBPACKAGES = ("cli", "distributed", "io", "playground", "report", "sklearn", "tabular")
"""The parts ``import glassnet`` leaves unimported (each costs time or an optional
dependency), imported on first use: ``gn.io.load_safetensors`` works as written."""


def __getattr__(name: str) -> Any:
    if name in _FROM_SKLEARN:
        from . import sklearn as estimators  # imports scikit-learn, or names it as missing

        return getattr(estimators, name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_FROM_SKLEARN, *_SUBPACKAGES])


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "AvgPool2D",
    "BatchNorm",
    "BatchNorm2D",
    "Callback",
    "Conv2D",
    "CosineDecay",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "ExponentialDecay",
    "Flatten",
    "GradientCheck",
    "History",
    "Layer",
    "LearningRateScheduler",
    "MaxPool2D",
    "Network",
    "Optimizer",
    "ProgressBar",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepDecay",
    "TrainingDivergedError",
    "TrainingState",
    "__version__",
    "data",
    "datasets",
    "fit",
    "get_activation",
    "get_loss",
    "get_optimizer",
    "gradient_check",
    "trace",
]
