"""glassnet: neural networks with forward propagation, backpropagation and gradient descent
written out, fast to train and open to inspect.

>>> import glassnet as gn
>>> data = gn.datasets.load_mnist_small()
>>> net = gn.Network.build([784, 128, 10], seed=0)        # ReLU, softmax, cross-entropy
>>> history = net.fit(data.X_train, data.y_train, epochs=5, seed=0)  # Adam, batch 32
"""

from . import data, datasets
from ._version import __version__
from .activations import get_activation
from .inspect import GradientCheck, gradient_check, trace
from .layers import BatchNorm, Dense, Dropout, Flatten, Layer
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

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "BatchNorm",
    "Callback",
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
