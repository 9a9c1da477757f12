"""``GridSearchCV(n_jobs=2)`` over a ``Pipeline`` whose ``ColumnTransformer`` imputes,
scales and one-hot encodes a DataFrame, ending in a :class:`GlassnetClassifier`; its test
accuracy against scikit-learn's ``MLPClassifier`` searched the same way in the same pipeline.

The data are the Palmer penguins (``bench/tabular.py``'s ``penguins``: 344 rows, text and
number columns, 19 missing cells), split in half, stratified: 172 test rows, so that one
row is 0.006 of accuracy and a gap of 0.01 is measurable (with a quarter, 86 rows, one row
is already 0.012). Needs scikit-learn and palmerpenguins (both optional; skipped without).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6", reason="the estimators need scikit-learn ≥ 1.6")
pytest.importorskip("pandas", reason="the pipeline takes a pandas DataFrame")
pytest.importorskip("palmerpenguins", reason="the penguins dataset comes from palmerpenguins")

from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from glassnet.sklearn import GlassnetClassifier
from glassnet.tabular import Model

TEXT = ["island", "sex"]
NUMBERS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]


def pipeline(model: Any) -> Pipeline:
    """The preprocessing of ``bench/tabular.py``'s scikit-learn baselines, then ``model``."""
    columns = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMBERS),
            (
                "text",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                TEXT,
            ),
        ]
    )
    return Pipeline([("columns", columns), ("model", model)])


def test_grid_search_in_a_pipeline_matches_mlp_classifier_on_the_penguins() -> None:
    frame = load_penguins()
    X, y = frame.drop(columns="species"), frame["species"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=y
    )
    sizes = [(16,), (64,)]
    searches = {
        "glassnet": GridSearchCV(
            pipeline(GlassnetClassifier(random_state=0)),
            {"model__hidden_layer_sizes": sizes, "model__l2": [1e-4, 0.1]},
            cv=3,
            n_jobs=2,
        ),
        "mlp": GridSearchCV(
            pipeline(MLPClassifier(random_state=0)),
            {"model__hidden_layer_sizes": sizes, "model__alpha": [1e-4, 0.1]},
            cv=3,
            n_jobs=2,
        ),
    }
    accuracy = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # both, at 200 epochs
        for name, search in searches.items():
            search.fit(X_train, y_train)
            accuracy[name] = search.score(X_test, y_test)

    best = searches["glassnet"].best_estimator_
    predicted = best.predict(X_test)
    # The labels come back as the DataFrame wrote them, and the score is their accuracy.
    assert set(predicted) <= set(y)
    assert accuracy["glassnet"] == pytest.approx(np.mean(predicted == y_test.to_numpy()))
    assert isinstance(best[-1].model_, Model)
    assert best[-1].n_features_in_ == len(NUMBERS) + 3 + 2  # 3 islands, 2 sexes
    assert len(searches["glassnet"].cv_results_["params"]) == 4
    # Measured: 0.9942 for both (one test row misclassified of 172).
    assert accuracy["glassnet"] > 0.97
    assert abs(accuracy["glassnet"] - accuracy["mlp"]) <= 0.01, accuracy
