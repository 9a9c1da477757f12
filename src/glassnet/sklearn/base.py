"""What the classifier and the regressor share: validated arrays in, a glassnet
:class:`~glassnet.tabular.Model` trained by :func:`glassnet.training.fit`, the network's
output out, and a pickled state that holds a model file rather than a pickled network.

The estimator takes a numeric matrix, as scikit-learn's estimators do (preprocessing
belongs to the pipeline), so the model it holds as ``model_`` has no preprocessor of its
own: its network's first layer takes the columns of ``X`` as they are.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.utils.validation import check_is_fitted, validate_data  # type: ignore[import-untyped]

from ..backend import Array
from ..data import split_indices
from ..losses import Task
from ..optimizers import Optimizer
from ..tabular import Model, Prepared
from ..tabular.units import scale_arrays
from ..training import Callback, History
from ..training.options import make_callbacks, make_optimizer
from ..validation import check_sample_weight
from .options import batch_rows, epoch_seed, seed_from, settings_for
from .state import (
    array_from_json,
    array_to_json,
    history_from_json,
    history_to_json,
    model_bytes,
    model_from_bytes,
)
from .validation_loss import WeightedValidationLoss

INPUT_CHECKS: dict[str, Any] = {"accept_sparse": True, "dtype": (np.float64, np.float32)}
"""How ``validate_data`` checks ``X``: sparse accepted (then made dense), float32 kept."""


@dataclass(frozen=True)
class Targets:
    """``y`` as the network learns it, before a regression's standardization: class indices
    ``(m,)``, or values ``(m,)`` / ``(m, k)``; with the task and the target names."""

    values: Array
    task: Task
    names: list[str]
    labels: Array | None = None
    """A classifier's classes, sorted (``classes_``); ``None`` for a regression."""
    n_outputs: int = 0
    """Output units for several regression targets (0: as the task and classes say)."""
    ndim: int = 1
    """The dimensions of ``y`` as given: predictions come back in the same shape."""

    @property
    def classes(self) -> list[Any] | None:
        """The class labels as plain Python values (a model file's JSON holds them)."""
        return None if self.labels is None else self.labels.tolist()


class GlassnetEstimator(BaseEstimator):  # type: ignore[misc]
    """The parameters and the training of :class:`~glassnet.sklearn.GlassnetClassifier`
    and :class:`~glassnet.sklearn.GlassnetRegressor` (see their docstrings)."""

    _classifies: ClassVar[bool] = False
    _optimizer: Optimizer | None
    """The update rule and its state (Adam's moments), kept between ``partial_fit`` calls;
    not pickled (a model file holds no optimizer state), so an unpickled estimator's next
    ``partial_fit`` starts a fresh one."""

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
        dtype: str = "float64",
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # -- what each estimator says about its targets -------------------------------------

    def _targets(self, y: Array, *, reset: bool, classes: Any = None) -> Targets:
        raise NotImplementedError

    def _class_weights(self, targets: Targets) -> Array | None:
        """The weight of each row from its class ``(m,)``; ``None``: no class weights."""
        return None

    def _fitted_targets(self, targets: Targets) -> None:
        """Set the fitted attributes that describe the targets (``classes_``, …)."""

    def _fitted_json(self) -> dict[str, Any]:
        """The fitted attributes a pickle carries beside the model (JSON data)."""
        fitted: dict[str, Any] = {"history": history_to_json(self.history_)}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in"] = array_to_json(self.feature_names_in_)
        return fitted

    def _restore(self, model: Model, fitted: dict[str, Any]) -> None:
        """Set the fitted attributes from a model and :meth:`_fitted_json`'s data."""
        self.model_ = model
        self.n_features_in_ = model.network.n_features
        if "feature_names_in" in fitted:
            self.feature_names_in_ = array_from_json(fitted["feature_names_in"])
        self.history_ = history_from_json(fitted["history"])
        model.history = self.history_
        self.loss_curve_ = list(self.history_.loss)
        self.n_iter_ = len(self.history_.epoch)

    # -- fitting ------------------------------------------------------------------------

    def _validated_X(self, X: Any, *, reset: bool) -> Array:
        """``X`` checked by scikit-learn's rules (the number of features, and their names
        for a DataFrame, against those of ``fit``); sparse ``X`` made dense, since the
        network multiplies dense matrices."""
        X = validate_data(self, X, reset=reset, **INPUT_CHECKS)
        return X.toarray() if hasattr(X, "toarray") else X

    def _validated_Xy(self, X: Any, y: Any, *, reset: bool) -> tuple[Array, Array]:
        """``X`` as :meth:`_validated_X` checks it and ``y`` (present, one per row, numbers
        for a regressor, several columns only for a regressor)."""
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            multi_output=not self._classifies,
            y_numeric=not self._classifies,
            **INPUT_CHECKS,
        )
        return (X.toarray() if hasattr(X, "toarray") else X), y

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, partial: bool, classes: Any) -> Self:
        """``fit`` (a fresh model) and ``partial_fit`` (one more epoch of the model there is,
        or a fresh one the first time)."""
        first = not (partial and hasattr(self, "model_"))
        X, y = self._validated_Xy(X, y, reset=first)
        targets = self._targets(y, reset=first, classes=classes)
        weights = self._row_weights(targets, sample_weight, len(X))
        values = targets.values
        if weights is not None:
            # Rows of weight zero are left out, not weighted by zero, so that they are
            # absent from the mini-batches, the batch statistics and the validation split,
            # exactly as rows never given are.
            keep = weights > 0
            X, values, weights = X[keep], values[keep], weights[keep]
            weights = None if np.all(weights == 1) else weights
        if first:
            self._fit_new(X, values, weights, targets, partial=partial)
        else:
            self._fit_more(X, values, weights)
        return self

    def _row_weights(self, targets: Targets, sample_weight: Any, n_rows: int) -> Array | None:
        """Sample weights times class weights ``(m,)``, or ``None`` when neither is given."""
        weights = (
            None
            if sample_weight is None
            else check_sample_weight(sample_weight, n_rows, np.dtype(np.float64))
        )
        per_class = self._class_weights(targets)
        if per_class is None:
            return weights
        return per_class if weights is None else per_class * weights

    def _fit_new(
        self, X: Array, values: Array, weights: Array | None, targets: Targets, *, partial: bool
    ) -> None:
        seed = seed_from(self.random_state)
        settings = settings_for(
            self.get_params(), task=targets.task, n_rows=len(X), seed=seed, partial=partial
        )
        X = np.asarray(X, dtype=settings["dtype"])
        train, held_out = self._split(values, settings)
        w_train = None if weights is None else weights[train]
        scale = None if self._classifies else _target_scale(values[train], w_train)
        y = values if scale is None else (values - scale[0]) / scale[1]
        validation = None if held_out is None else (X[held_out], y[held_out])
        prepared = Prepared(
            f"X ({len(X):,} rows, {X.shape[1]} features)",
            targets.task,
            X[train] if held_out is not None else X,
            y[train] if held_out is not None else y,
            None if validation is None else validation[0],
            None if validation is None else validation[1],
            None,
            targets.classes,
            ",".join(targets.names),
            None if scale is None else _scale_for_model(scale, targets),
            in_memory=True,
            task_reason=f"{type(self).__name__}: {targets.task}",
            targets=targets.names,
            n_outputs=targets.n_outputs,
        )
        model = Model.build(prepared, settings)
        callbacks = make_callbacks(settings)
        if validation is not None and weights is not None:
            assert held_out is not None
            weighted = WeightedValidationLoss(model.network, *validation, weights[held_out])
            callbacks.insert(0, weighted)  # before early stopping reads the loss
        self._optimizer = make_optimizer(settings["optimizer"], settings["lr"])
        epochs = 1 if partial else settings["epochs"]
        history = self._train(
            model,
            prepared.X_train,
            prepared.y_train,
            w_train,
            epochs=epochs,
            batch=settings["batch_size"],
            seed=seed,
            validation=validation,
            callbacks=callbacks,
        )
        model.history = history
        self._fitted_targets(targets)
        self.model_ = model
        self.history_ = history
        self.loss_curve_ = list(history.loss)
        self.n_iter_ = len(history.epoch)
        if not partial and settings["early_stopping"] and self.n_iter_ == epochs:
            watched = "validation loss" if self.early_stopping else "training loss"
            warnings.warn(
                f"{type(self).__name__} trained all {epochs} epochs and the {watched} still "
                f"improved by more than tol={self.tol} within the last {self.n_iter_no_change}"
                " epochs: the optimization has not converged; raise epochs, or set tol=None to "
                "train exactly epochs",
                ConvergenceWarning,
                stacklevel=4,  # the caller of fit
            )

    def _fit_more(self, X: Array, values: Array, weights: Array | None) -> None:
        model = self.model_
        X = np.asarray(X, dtype=model.network.dtype)
        y = values
        if model.target_scale is not None:
            mean, std = scale_arrays(model.target_scale)
            y = (values - mean) / std if values.ndim == 2 else (values - mean[0]) / std[0]
        optimizer = getattr(self, "_optimizer", None)
        if optimizer is None:  # unpickled: the optimizer's state is not part of a model file
            settings = model.settings
            optimizer = self._optimizer = make_optimizer(settings["optimizer"], settings["lr"])
        history = self._train(
            model,
            X,
            y,
            weights,
            epochs=1,
            batch=batch_rows(self.batch_size, len(X)),
            seed=epoch_seed(int(model.settings["seed"]), self.n_iter_),
            validation=None,
            callbacks=[],
        )
        self.n_iter_ += 1
        self.history_.record(self.n_iter_, {k: v[-1] for k, v in history.logs.items()})
        self.loss_curve_.append(history.loss[-1])

    def _split(self, values: Array, settings: dict[str, Any]) -> tuple[Array, Array | None]:
        """The training rows and the validation rows (``None`` without early stopping),
        stratified by class for a classifier."""
        rows = np.arange(len(values))
        fraction = settings["validation_split"]
        if not fraction:
            return rows, None
        if len(values) < 2:
            raise ValueError(
                f"early_stopping=True needs at least 2 samples (n_samples={len(values)}): "
                "one to train on and one to validate on"
            )
        train, held_out = split_indices(
            values, test_size=fraction, stratify=self._classifies, seed=settings["seed"]
        )
        return train, held_out

    def _train(
        self,
        model: Model,
        X: Array,
        y: Array,
        weights: Array | None,
        *,
        epochs: int,
        batch: int,
        seed: int,
        validation: tuple[Array, Array] | None,
        callbacks: list[Callback],
    ) -> History:
        """Train ``model``'s network with :func:`glassnet.training.fit`.

        Sample weights ``w`` make the cost ``Σ w_i ℓ_i / Σ w_i + λ/(2 Σ w) ‖W‖²`` (and
        ``λ₁/Σw Σ|W|``): a row of weight 2 counts as two rows, in the loss and against the
        penalty, as scikit-learn's MLP counts them. The loop's cost is ``(1/m) Σ w_i ℓ_i +
        λ/(2m) ‖W‖²``, so the weights are scaled to mean 1 and ``λ`` by ``m / Σw`` while
        training; with one batch an epoch, integer weights then train exactly as repeated
        rows do (up to rounding).
        """
        network = model.network
        l1, l2 = network.l1, network.l2
        if weights is not None:
            per_weight = len(weights) / float(weights.sum())
            weights = weights * per_weight
            network.l1, network.l2 = l1 * per_weight, l2 * per_weight
        try:
            assert self._optimizer is not None
            return network.fit(
                X,
                y,
                epochs=epochs,
                batch_size=batch,
                optimizer=self._optimizer,
                validation_data=validation,
                seed=seed,
                sample_weight=weights,
                callbacks=callbacks,
                verbose=bool(self.verbose),
            )
        finally:
            network.l1, network.l2 = l1, l2

    # -- using ---------------------------------------------------------------------------

    def _output(self, X: Any) -> Array:
        """The network's output ``A^[L]`` ``(m, n_L)`` for ``X``; a ValueError, not NaN
        predictions, where the network's numbers overflow."""
        check_is_fitted(self)
        X = self._validated_X(X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):
            A = self.model_.network.predict_output(X)
        if not np.isfinite(A).all():
            raise ValueError(
                "the network's output is NaN or inf for some rows: its parameters are too "
                "large for these inputs"
            )
        return A

    # -- pickling: parameters and a model file, never a pickled network -----------------

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = {"params": self.get_params(deep=False)}
        if hasattr(self, "model_"):
            state["model_file"] = model_bytes(self.model_, self._fitted_json())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state["params"].items():
            setattr(self, name, value)
        if "model_file" in state:
            self._restore(*model_from_bytes(state["model_file"]))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # accepted, and made dense
        return tags


def _target_scale(values: Array, weights: Array | None) -> tuple[Array, Array]:
    """``(mean, std)`` ``(k,)`` of regression targets ``(m,)`` or ``(m, k)``, weighted by the
    sample weights (so that a row of weight 2 counts as two); a ``std`` of 0 becomes 1."""
    Y = values.reshape(len(values), -1)
    mean = np.average(Y, axis=0, weights=weights)
    std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=weights))
    return mean, np.where(std > 0, std, 1.0)


def _scale_for_model(scale: tuple[Array, Array], targets: Targets) -> tuple[Any, Any]:
    """A target scale as :class:`Model` keeps it: two floats for one target, two arrays
    ``(k,)`` for several."""
    mean, std = scale
    if len(targets.names) == 1:
        return float(mean[0]), float(std[0])
    return mean, std
