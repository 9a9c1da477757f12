"""The scikit-learn estimators: :class:`GlassnetClassifier` and :class:`GlassnetRegressor`.

Each trains a glassnet :class:`~glassnet.tabular.Model` (kept as ``model_``) on a numeric
matrix ``X`` ``(m, n)``, with scikit-learn's conventions: ``__init__`` only stores the
parameters, ``fit`` checks them and the data, ``random_state`` decides every draw.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin  # type: ignore[import-untyped]
from sklearn.utils.multiclass import (  # type: ignore[import-untyped]
    check_classification_targets,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted  # type: ignore[import-untyped]

from ..backend import Array
from ..losses import Task
from ..network import PREDICT_CHUNK
from ..tabular import Model
from .base import GlassnetEstimator, Targets
from .options import class_weight_table
from .state import array_from_json, array_to_json

PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Units of each hidden layer, input side first.
    activation : str, default="relu"
        The hidden layers' activation: ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``,
        ``"tanh"``, ``"sigmoid"``, ``"softplus"``, ``"identity"``.
    optimizer : str, default="adam"
        The update rule: ``"adam"``, ``"adamw"``, ``"sgd"``, ``"momentum"``, ``"nesterov"``,
        ``"rmsprop"``, ``"adagrad"``.
    learning_rate : float or None, default=None
        ``α``; ``None`` takes the rule's own (0.001 for Adam, AdamW and RMSprop, 0.01 for the
        others).
    batch_size : int, "auto" or None, default="auto"
        Rows per mini-batch: ``"auto"`` is ``min(200, n_samples)``, ``None`` the whole
        training set (batch gradient descent), an integer is capped at ``n_samples``.
    epochs : int, default=200
        The most passes over the training data (``partial_fit``: one per call).
    tol : float or None, default=1e-4
        Training stops once the loss (the validation loss with ``early_stopping``) has not
        improved by more than ``tol`` for ``n_iter_no_change`` epochs; ``None`` trains for
        all ``epochs``.
    n_iter_no_change : int, default=10
        The patience of that rule, in epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified by class for a
        classifier), watch their loss, and end with the weights of its best epoch.
    validation_fraction : float, default=0.1
        The rows held out with ``early_stopping``.
    l1, l2 : float, default=0.0 and 1e-4
        ``λ₁`` and ``λ`` of the cost ``J = Σ wᵢℓᵢ/Σw + λ/(2Σw) Σ‖W‖² + λ₁/Σw Σ|W|`` (``Σw``:
        the rows, or the sum of the sample weights); ``l2=1e-4`` is scikit-learn's MLP
        ``alpha``.
    dropout : float, default=0.0
        Dropout rate after each hidden layer, while training.
    batch_norm : bool, default=False
        Batch normalization before each hidden activation.
    dtype : {"float64", "float32"}, default="float64"
        The network's precision: float64, as scikit-learn computes, or float32, half the
        memory.
    random_state : int, RandomState or None, default=None
        Decides the initial weights, the shuffling, dropout and the validation split: the
        same integer and data give the same model. ``None``: a fresh draw each fit.
    verbose : bool, default=False
        Print one line per epoch.
"""

ATTRIBUTES = """
    Attributes
    ----------
    model_ : glassnet.tabular.Model
        The trained model (network, task, classes, target scale): ``model_.save(path)``
        writes the file ``glassnet predict`` reads.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        The columns' names, when ``X`` was a DataFrame with text column names.
    history_ : glassnet.History
        The loss and metric per epoch (``history_["val_loss"]`` with ``early_stopping``).
    loss_curve_ : list of float
        The training cost of each epoch, regularization included.
    n_iter_ : int
        Epochs trained.
"""

NOTES = """
    Notes
    -----
    ``sample_weight``: a row of weight ``k`` counts as ``k`` rows, in the loss and against the
    penalty; a row of weight 0 is left out. With one batch an epoch (the default
    ``batch_size="auto"`` below 200 rows, or ``batch_size=None``) integer weights therefore
    train the same model as repeated rows. With mini-batches they cannot: repeating rows
    changes how many there are, so the shuffled order and the batch boundaries differ; nor
    with dropout or batch norm (each row draws its own mask, and batch statistics count each
    row once), nor with ``early_stopping`` (the validation split draws from the rows as
    given, so a repeated row can land on both sides). The validation loss that early
    stopping watches is weighted as the training loss is.

    Pickling (joblib, ``GridSearchCV(n_jobs=2)``) keeps the parameters and the bytes of a
    glassnet model file, which unpickling reads with the loader that never unpickles; the
    optimizer's state is not kept, so ``partial_fit`` after unpickling starts a fresh one.
"""


class GlassnetClassifier(ClassifierMixin, GlassnetEstimator):  # type: ignore[misc]
    """A glassnet network as a scikit-learn classifier: softmax and cross-entropy for
    several classes, one sigmoid output for two.

    >>> clf = GlassnetClassifier(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2])            # two columns for a binary problem
    """

    _classifies = True
    classes_: Array

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        optimizer: str = "adam",
        learning_rate: float | None = None,
        batch_size: int | str | None = "auto",
        epochs: int = 200,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        l1: float = 0.0,
        l2: float = 1e-4,
        dropout: float = 0.0,
        batch_norm: bool = False,
        class_weight: dict[Any, float] | str | None = None,
        dtype: str = "float64",
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            epochs=epochs,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            l1=l1,
            l2=l2,
            dropout=dropout,
            batch_norm=batch_norm,
            dtype=dtype,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """Train a fresh network on ``X`` ``(m, n)`` and the labels ``y`` ``(m,)``
        (integers, text or booleans), with optional ``sample_weight`` ``(m,)``."""
        return self._fit(X, y, sample_weight, partial=False, classes=None)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> Self:
        """One epoch on ``(X, y)``, continuing the network there is (with its optimizer's
        state); the first call builds it and needs every label in ``classes``."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if hasattr(self, "model_") and classes is not None:
            if not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(
                    f"classes={list(classes)!r} is not the classes of the first call to "
                    f"partial_fit, {self.classes_.tolist()!r}"
                )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities ``(m, K)``, columns in the order of ``classes_`` (two for a
        binary problem: ``1 − p`` and ``p``)."""
        A = self._output(X)  # first: it says NotFittedError before fit
        return self.model_.proba_from(A)

    def predict_log_proba(self, X: Any) -> Array:
        """``log`` of :meth:`predict_proba` ``(m, K)``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> Array:
        """The most probable class of each row ``(m,)``, as a label of ``classes_``."""
        proba = self.predict_proba(X)  # first: it says NotFittedError before fit
        return self.classes_[np.argmax(proba, axis=1)]

    def decision_function(self, X: Any) -> Array:
        """The output layer's ``Z^[L]`` before its activation: the log-odds of
        ``classes_[1]`` ``(m,)`` for two classes, the softmax's logits ``(m, K)`` for more
        (``predict`` is the largest; ``predict_proba`` is their softmax)."""
        check_is_fitted(self)
        network = self.model_.network
        X = network.check_X(self._validated_X(X, reset=False))
        parts = []
        for start in range(0, len(X), PREDICT_CHUNK):
            network.forward(X[start : start + PREDICT_CHUNK])
            Z = network.output_layer.forward_record()["Z"]
            assert Z is not None
            parts.append(np.array(Z, copy=True))
        Z = np.concatenate(parts)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    # -- the labels ----------------------------------------------------------------------

    def _targets(self, y: Array, *, reset: bool, classes: Any = None) -> Targets:
        check_classification_targets(y)
        if reset:
            labels = unique_labels(y if classes is None else classes)
            if len(labels) < 2:
                raise ValueError(
                    f"y has only 1 class ({labels[0]!r}): a classifier needs at least 2"
                )
        else:
            labels = self.classes_
        codes = np.searchsorted(labels, y)
        unknown = (codes >= len(labels)) | (labels[np.minimum(codes, len(labels) - 1)] != y)
        if unknown.any():
            label = y[np.argmax(unknown)]
            shown = label.item() if isinstance(label, np.generic) else label
            raise ValueError(
                f"y holds the label {shown!r}, which is not among the classes {labels.tolist()!r}"
            )
        # Two classes are one sigmoid output; more are a softmax.
        task: Task = "binary" if len(labels) == 2 else "multiclass"
        return Targets(codes, task, ["y"], labels=labels)

    def _class_weights(self, targets: Targets) -> Array | None:
        assert targets.labels is not None
        table = class_weight_table(self.class_weight, targets.labels, targets.values)
        return None if table is None else table[targets.values]

    def _fitted_targets(self, targets: Targets) -> None:
        assert targets.labels is not None
        self.classes_ = targets.labels

    def _fitted_json(self) -> dict[str, Any]:
        return {**super()._fitted_json(), "classes": array_to_json(self.classes_)}

    def _restore(self, model: Model, fitted: dict[str, Any]) -> None:
        super()._restore(model, fitted)
        self.classes_ = array_from_json(fitted["classes"])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class GlassnetRegressor(RegressorMixin, GlassnetEstimator):  # type: ignore[misc]
    """A glassnet network as a scikit-learn regressor: identity outputs and squared error,
    one output per target (``y`` ``(m, k)`` is one network with ``k`` outputs). Each
    target is learned standardized, ``(y − mean) / std``, and predicted in its own units.

    >>> reg = GlassnetRegressor(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
    >>> reg.predict(X[:2])
    """

    n_outputs_: int
    _y_ndim: int

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """Train a fresh network on ``X`` ``(m, n)`` and the targets ``y`` ``(m,)`` or
        ``(m, k)``, with optional ``sample_weight`` ``(m,)``."""
        return self._fit(X, y, sample_weight, partial=False, classes=None)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> Self:
        """One epoch on ``(X, y)``, continuing the network there is; the first call builds
        it, and its rows set the targets' standardization for every later call."""
        return self._fit(X, y, sample_weight, partial=True, classes=None)

    def predict(self, X: Any) -> Array:
        """Predicted values ``(m,)``, or ``(m, k)`` as ``y`` was given, float64."""
        A = self._output(X)  # first: it says NotFittedError before fit
        values = np.asarray(self.model_.predictions_from(A), dtype=np.float64)
        return values.reshape(len(values), -1) if self._y_ndim == 2 else values

    # -- the targets ---------------------------------------------------------------------

    def _targets(self, y: Array, *, reset: bool, classes: Any = None) -> Targets:
        values = np.asarray(y, dtype=np.float64)
        k = 1 if values.ndim == 1 else values.shape[1]
        if not reset and k != self.n_outputs_:
            raise ValueError(
                f"y has {k} target(s), but {type(self).__name__} was fitted on {self.n_outputs_}"
            )
        if k == 1:
            return Targets(values.reshape(-1), "regression", ["y"], ndim=values.ndim)
        names = [f"y{j}" for j in range(k)]
        return Targets(values, "regression", names, n_outputs=k, ndim=2)

    def _fitted_targets(self, targets: Targets) -> None:
        self.n_outputs_ = len(targets.names)
        self._y_ndim = targets.ndim

    def _fitted_json(self) -> dict[str, Any]:
        return {**super()._fitted_json(), "y_ndim": self._y_ndim}

    def _restore(self, model: Model, fitted: dict[str, Any]) -> None:
        super()._restore(model, fitted)
        self.n_outputs_ = model.network.n_outputs
        self._y_ndim = int(fitted["y_ndim"])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


GlassnetClassifier.__doc__ = f"{GlassnetClassifier.__doc__}\n{PARAMETERS}" + (
    """    class_weight : dict, "balanced" or None, default=None
        ``{label: weight}`` (classes not named weigh 1) or ``"balanced"``
        (``n_samples / (n_classes · count)``), multiplied into the sample weights.
"""
    + ATTRIBUTES
    + """    classes_ : ndarray of shape (n_classes,)
        The labels, sorted, in their own type (integers, text, booleans).
"""
    + NOTES
)
GlassnetRegressor.__doc__ = (
    f"{GlassnetRegressor.__doc__}\n{PARAMETERS}{ATTRIBUTES}"
    + """    n_outputs_ : int
        The targets.
"""
    + NOTES
)
