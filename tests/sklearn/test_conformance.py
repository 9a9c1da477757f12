"""scikit-learn's own conformance suite over both estimators, in their default
configuration and in non-default ones, with the checks expected to fail given by the one
public mapping, :data:`glassnet.sklearn.EXPECTED_FAILED_CHECKS` (empty for the defaults).

scikit-learn is an optional dependency: without it (or with a version before 1.6, which
has no ``expected_failed_checks``) the module is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip(
    "sklearn", minversion="1.6", reason="the conformance suite needs scikit-learn ≥ 1.6"
)

from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from glassnet.sklearn import (
    EXPECTED_FAILED_CHECKS,
    GlassnetClassifier,
    GlassnetRegressor,
)

# The checks train for few epochs on purpose; not having converged is expected there.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [
    GlassnetClassifier(),
    GlassnetRegressor(),
    # Mini-batches, dropout, batch norm, early stopping, class weights and float32 together:
    # the configuration furthest from the defaults.
    GlassnetClassifier(
        hidden_layer_sizes=(16, 8),
        activation="tanh",
        batch_size=16,
        dropout=0.1,
        batch_norm=True,
        early_stopping=True,
        class_weight="balanced",
        dtype="float32",
        epochs=100,
        random_state=0,
    ),
    # Batch gradient descent with RMSprop and an L1 term, no tolerance: every epoch trained, and
    # integer sample weights still equal repeated rows.
    GlassnetRegressor(
        hidden_layer_sizes=(32,),
        optimizer="rmsprop",
        learning_rate=1e-3,
        batch_size=None,
        tol=None,
        epochs=100,
        l1=1e-3,
        l2=0.0,
        random_state=0,
    ),
]


def test_the_default_configurations_are_expected_to_pass_every_check() -> None:
    assert EXPECTED_FAILED_CHECKS(GlassnetClassifier()) == {}
    assert EXPECTED_FAILED_CHECKS(GlassnetRegressor()) == {}
    failing = EXPECTED_FAILED_CHECKS(ESTIMATORS[2])
    assert set(failing) == {
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    }
    assert all("batch" in reason for reason in failing.values())


@pytest.mark.parametrize(
    ("estimator", "name"),
    [(e, name) for e in ESTIMATORS for name in EXPECTED_FAILED_CHECKS(e)],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_each_expected_failure_does_fail(estimator: object, name: str) -> None:
    # An expected failure that passed would be a stale reason (pytest's xfail is lenient).
    with pytest.raises(AssertionError, match="not equivalent to fitting with removed or"):
        getattr(estimator_checks, name)(type(estimator).__name__, estimator)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=EXPECTED_FAILED_CHECKS)
def test_scikit_learn_conformance(
    estimator: object, check: Callable[[object], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The array-API check (NumPy inputs with scikit-learn's array-API dispatch on) skips
    # unless SCIPY_ARRAY_API is set, which it reads as it runs; NumPy inputs need nothing
    # more, so the check runs rather than skips.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
