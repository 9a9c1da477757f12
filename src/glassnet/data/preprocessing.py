"""Preprocessing fitted on training data and applied to any data: scalers, an imputer and
encoders.

Each has ``fit``, ``transform`` and ``fit_transform``, and ``to_dict`` / ``from_dict`` of
plain JSON data (lists, numbers, strings), so that a model file can store it as data, not
as a pickle. ``to_dict`` writes floats in full precision: a round trip through JSON gives
identical transforms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from ..backend import Array


def _as_matrix(X: Any, who: str, n_columns: int | None = None) -> Array:
    """``X`` as a float64 ``(m, n)`` array with at least one row, else a clear error."""
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{who}: X must be a 2-D array of numbers; could not read it: {exc}"
        ) from exc
    if array.ndim != 2:
        raise ValueError(
            f"{who}: X must be 2-D (samples, columns), got shape {array.shape}"
            + ("; use X.reshape(-1, 1) for one column" if array.ndim == 1 else "")
        )
    if array.shape[0] == 0:
        raise ValueError(f"{who}: X is empty (shape {array.shape})")
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{who}: X has {array.shape[1]} columns, but it was fitted on {n_columns}")
    return array


def _check_finite(X: Array, who: str) -> None:
    if not np.isfinite(X).all():
        row, column = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(
            f"{who}: X contains {X[row, column]} at (row, column) ({row}, {column}); "
            "impute missing values first (MedianImputer)"
        )


def _field(data: dict[str, Any], key: str, cls: type) -> Any:
    """``data[key]`` of a ``to_dict`` result, after checking that it is ``cls``'s."""
    if not isinstance(data, dict) or data.get("type") != cls.__name__:
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{cls.__name__}.from_dict: expected type {cls.__name__!r}, got {found!r}")
    if key not in data:
        raise ValueError(f"{cls.__name__}.from_dict: missing key {key!r}; got {sorted(data)}")
    return data[key]


def _float_list(data: dict[str, Any], key: str, cls: type, positive: bool = False) -> Array:
    """A list of finite numbers (``positive``: each above 0, as a scale must be, since it
    divides) from a ``to_dict`` result, which may come from an edited model file."""
    values = _field(data, key, cls)
    try:
        array = np.asarray(values, dtype=np.float64).reshape(len(values))
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{cls.__name__}.from_dict: {key!r} must be a list of numbers") from exc
    wrong = ~np.isfinite(array) | ((array <= 0) if positive else False)
    if wrong.any():
        j = int(np.argmax(wrong))
        need = "finite numbers above 0" if positive else "finite numbers"
        raise ValueError(
            f"{cls.__name__}.from_dict: {key!r} must hold {need}, got {array[j]} for column {j}"
        )
    return array


class _Fitted:
    """Shared by the transforms: ``fit_transform`` and the not-yet-fitted error."""

    def fit(self, X: Any) -> Self:
        raise NotImplementedError

    def transform(self, X: Any) -> Array:
        raise NotImplementedError

    def fit_transform(self, X: Any) -> Array:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def _require(self, value: Any) -> Any:
        if value is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit first")
        return value


class StandardScaler(_Fitted):
    """``x' = (x − μ_j) / σ_j`` per column ``j``, with ``μ``, ``σ`` (ddof 0) of the training data.

    A constant column gets ``σ = 1`` (and ``μ`` its value), so it maps to 0, not NaN.
    """

    def __init__(self) -> None:
        self.mean_: Array | None = None
        self.scale_: Array | None = None

    def fit(self, X: Any) -> Self:
        """Learn ``μ`` and ``σ`` from ``X`` of shape ``(m, n)``."""
        X = _as_matrix(X, "StandardScaler.fit")
        _check_finite(X, "StandardScaler.fit")
        # Column by column: std over an axis makes a temporary as large as X.
        spread = np.array([X[:, j].std() for j in range(X.shape[1])])
        return self.fitted_to(X.mean(axis=0), spread, X.min(axis=0), X.max(axis=0))

    def fitted_to(self, mean: Array, std: Array, low: Array, high: Array) -> Self:
        """Fitted to columns of these means, standard deviations, minimums and maximums
        (of one process's rows, or of every rank's: :mod:`.reduced`)."""
        # Test constancy exactly: a computed σ of a constant column can be 1e-17, not 0.
        constant = low == high
        self.mean_ = np.where(constant, low, mean)
        self.scale_ = np.where(constant, 1.0, std)
        return self

    def transform(self, X: Any) -> Array:
        """``(X − μ) / σ``, shape ``(m, n)`` like ``X``; NaN stays NaN."""
        mean, scale = self._require(self.mean_), self._require(self.scale_)
        return (_as_matrix(X, "StandardScaler.transform", len(mean)) - mean) / scale

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "mean", "scale"}`` as JSON-able lists."""
        mean, scale = self._require(self.mean_), self._require(self.scale_)
        return {"type": "StandardScaler", "mean": mean.tolist(), "scale": scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StandardScaler:
        """The scaler that ``to_dict`` described."""
        scaler = cls()
        scaler.mean_ = _float_list(data, "mean", cls)
        scaler.scale_ = _float_list(data, "scale", cls, positive=True)
        if len(scaler.mean_) != len(scaler.scale_):
            raise ValueError("StandardScaler.from_dict: 'mean' and 'scale' differ in length")
        return scaler


class MinMaxScaler(_Fitted):
    """``x' = (x − min_j) / (max_j − min_j)`` per column: the training data to ``[0, 1]``.

    A constant column gets a range of 1, so it maps to 0. New data may fall outside [0, 1].
    """

    def __init__(self) -> None:
        self.min_: Array | None = None
        self.range_: Array | None = None

    def fit(self, X: Any) -> Self:
        """Learn each column's minimum and range from ``X`` of shape ``(m, n)``."""
        X = _as_matrix(X, "MinMaxScaler.fit")
        _check_finite(X, "MinMaxScaler.fit")
        return self.fitted_to(X.min(axis=0), X.max(axis=0))

    def fitted_to(self, low: Array, high: Array) -> Self:
        """Fitted to columns of these minimums and maximums (of one process's rows, or of
        every rank's: :mod:`.reduced`)."""
        self.min_ = low
        spread = high - low
        self.range_ = np.where(spread == 0, 1.0, spread)
        return self

    def transform(self, X: Any) -> Array:
        """``(X − min) / (max − min)``, shape ``(m, n)`` like ``X``."""
        low, spread = self._require(self.min_), self._require(self.range_)
        return (_as_matrix(X, "MinMaxScaler.transform", len(low)) - low) / spread

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "min", "range"}`` as JSON-able lists."""
        low, spread = self._require(self.min_), self._require(self.range_)
        return {"type": "MinMaxScaler", "min": low.tolist(), "range": spread.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MinMaxScaler:
        """The scaler that ``to_dict`` described."""
        scaler = cls()
        scaler.min_ = _float_list(data, "min", cls)
        scaler.range_ = _float_list(data, "range", cls, positive=True)
        if len(scaler.min_) != len(scaler.range_):
            raise ValueError("MinMaxScaler.from_dict: 'min' and 'range' differ in length")
        return scaler


class MedianImputer(_Fitted):
    """Replace NaN in column ``j`` by the median of the training data's column ``j``.

    Every column gets a median, so NaN in new data is filled even where the training data
    had none. A column with no value at all in the training data is an error.
    """

    def __init__(self) -> None:
        self.medians_: Array | None = None

    def fit(self, X: Any) -> Self:
        """Learn the median of the non-NaN values of each column of ``X`` ``(m, n)``."""
        X = _as_matrix(X, "MedianImputer.fit")
        empty = np.isnan(X).all(axis=0)
        if empty.any():
            raise ValueError(
                f"MedianImputer.fit: column {int(np.argmax(empty))} has no values "
                "(all NaN), so it has no median; drop it"
            )
        # Column by column: nanmedian over an axis copies the whole matrix.
        self.medians_ = np.array([np.nanmedian(X[:, j]) for j in range(X.shape[1])])
        return self

    def transform(self, X: Any) -> Array:
        """``X`` ``(m, n)`` with each NaN replaced by its column's median."""
        medians = self._require(self.medians_)
        X = _as_matrix(X, "MedianImputer.transform", len(medians))
        return np.where(np.isnan(X), medians, X)

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "medians"}`` as JSON-able lists."""
        return {"type": "MedianImputer", "medians": self._require(self.medians_).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MedianImputer:
        """The imputer that ``to_dict`` described."""
        imputer = cls()
        imputer.medians_ = _float_list(data, "medians", cls)
        return imputer


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_object_matrix(X: Any, who: str, n_columns: int | None = None) -> Array:
    array = np.asarray(X, dtype=object)
    if array.ndim != 2:
        raise ValueError(
            f"{who}: X must be 2-D (samples, columns), got shape {array.shape}"
            + ("; use X.reshape(-1, 1) for one column" if array.ndim == 1 else "")
        )
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{who}: X has {array.shape[1]} columns, but it was fitted on {n_columns}")
    return array


class OneHotEncoder(_Fitted):
    """One 0/1 column per category of each categorical column.

    Categories are the training data's distinct values (as ``str``), sorted. A category
    not seen in training, and a missing value (None or NaN), both give all zeros for that
    column: the network then sees "none of the known categories".
    """

    def __init__(self) -> None:
        self.categories_: list[list[str]] | None = None

    def fit(self, X: Any) -> Self:
        """Learn the sorted categories of each column of ``X`` ``(m, k)``."""
        X = _as_object_matrix(X, "OneHotEncoder.fit")
        self.categories_ = [
            sorted({str(v) for v in X[:, j].tolist() if not is_missing(v)})
            for j in range(X.shape[1])
        ]
        return self

    def transform(self, X: Any) -> Array:
        """``(m, Σ_j k_j)`` float64 of 0/1, the columns' one-hot blocks side by side."""
        categories = self._require(self.categories_)
        X = _as_object_matrix(X, "OneHotEncoder.transform", len(categories))
        blocks = []
        for j, known in enumerate(categories):
            index = {category: i for i, category in enumerate(known)}
            codes = np.array(
                [-1 if is_missing(v) else index.get(str(v), -1) for v in X[:, j].tolist()],
                dtype=np.int64,
            )
            block = np.zeros((X.shape[0], len(known)))
            rows = np.flatnonzero(codes >= 0)
            block[rows, codes[rows]] = 1.0
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.zeros((X.shape[0], 0))

    def feature_names_out(self, names: Sequence[str]) -> list[str]:
        """``["color=blue", "color=red", …]`` for input columns named ``names``."""
        categories = self._require(self.categories_)
        return [f"{name}={c}" for name, known in zip(names, categories, strict=True) for c in known]

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "categories"}``: one list of strings per column."""
        return {"type": "OneHotEncoder", "categories": self._require(self.categories_)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OneHotEncoder:
        """The encoder that ``to_dict`` described."""
        categories = _field(data, "categories", cls)
        if not all(isinstance(c, list) and all(isinstance(s, str) for s in c) for c in categories):
            raise ValueError("OneHotEncoder.from_dict: 'categories' must be lists of strings")
        encoder = cls()
        encoder.categories_ = [list(c) for c in categories]
        return encoder


class LabelEncoder:
    """Class labels ↔ indices ``0 … K−1``, with the classes sorted (``classes_``)."""

    def __init__(self) -> None:
        self.classes_: list[Any] | None = None

    def fit(self, y: Any) -> Self:
        """Learn the sorted distinct labels of ``y`` ``(m,)`` (strings or numbers)."""
        labels = np.asarray(y).ravel().tolist()
        missing = [i for i, label in enumerate(labels) if is_missing(label)]
        if missing:
            raise ValueError(
                f"LabelEncoder.fit: y has {len(missing)} missing label(s), the first at "
                f"index {missing[0]}; drop those rows first"
            )
        try:
            self.classes_ = sorted(set(labels))
        except TypeError as exc:
            raise TypeError(
                f"LabelEncoder.fit: y mixes labels that cannot be sorted: {exc}"
            ) from exc
        return self

    def transform(self, y: Any) -> Array:
        """The index of each label of ``y`` ``(m,)`` in ``classes_``, int64 ``(m,)``."""
        classes = self._classes()
        index = {label: i for i, label in enumerate(classes)}
        labels = np.asarray(y).ravel().tolist()
        for label in labels:
            if is_missing(label) or label not in index:
                raise ValueError(
                    f"LabelEncoder.transform: unknown label {label!r}; the known classes are "
                    f"{classes}"
                )
        return np.array([index[label] for label in labels], dtype=np.int64)

    def fit_transform(self, y: Any) -> Array:
        """``fit(y)`` then ``transform(y)``."""
        return self.fit(y).transform(y)

    def inverse_transform(self, indices: Any) -> Array:
        """The labels of class indices ``(m,)`` (e.g. ``net.predict(X)``), shape ``(m,)``."""
        classes = self._classes()
        codes = np.asarray(indices)
        if codes.dtype.kind not in "iu":
            raise TypeError(
                f"LabelEncoder.inverse_transform: indices must be integers, got dtype {codes.dtype}"
            )
        if codes.size and not 0 <= codes.min() <= codes.max() < len(classes):
            raise ValueError(
                f"LabelEncoder.inverse_transform: indices must lie in 0 … {len(classes) - 1}, "
                f"got values in [{codes.min()}, {codes.max()}]"
            )
        return np.asarray(classes)[codes]

    def _classes(self) -> list[Any]:
        if self.classes_ is None:
            raise RuntimeError("LabelEncoder is not fitted yet; call fit first")
        return self.classes_

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "classes"}``: the classes as strings or numbers."""
        return {"type": "LabelEncoder", "classes": list(self._classes())}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelEncoder:
        """The encoder that ``to_dict`` described."""
        classes = _field(data, "classes", cls)
        if not isinstance(classes, list) or not all(
            isinstance(c, str | int | float) for c in classes
        ):
            raise ValueError("LabelEncoder.from_dict: 'classes' must be a list of labels")
        encoder = cls()
        encoder.classes_ = list(classes)
        return encoder
