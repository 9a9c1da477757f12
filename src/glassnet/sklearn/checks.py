"""The checks of scikit-learn's conformance suite that an estimator is expected to fail,
and why: one public mapping, so that anyone can rerun the same suite.

>>> from sklearn.utils.estimator_checks import parametrize_with_checks
>>> from glassnet.sklearn import EXPECTED_FAILED_CHECKS, GlassnetClassifier
>>> @parametrize_with_checks([GlassnetClassifier()], expected_failed_checks=EXPECTED_FAILED_CHECKS)
... def test_sklearn_compatible(estimator, check):
...     check(estimator)
"""

from __future__ import annotations

from typing import Any

SAMPLE_WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)
"""The checks that integer sample weights train the same model as repeated rows."""


def _sample_weight_reason(estimator: Any) -> str | None:
    """Why integer sample weights cannot train exactly as repeated rows with this
    configuration, or ``None`` when they do."""
    params = estimator.get_params()
    if params["batch_size"] not in ("auto", None):
        # The check's data are 15 rows, up to 60 repeated: "auto" (min(200, m)) is then one
        # batch an epoch, a fixed size smaller than the rows is not.
        return (
            "mini-batches: repeating rows changes their number, so the shuffled order and the "
            "batch boundaries differ from those of the weighted rows (the weighted cost is "
            "the same only in expectation); batch_size='auto' below 200 rows or "
            "batch_size=None passes"
        )
    if params["dropout"]:
        return "dropout draws a mask per row: a repeated row gets several masks, a weighted one one"
    if params["batch_norm"]:
        return "batch norm's batch mean and variance count each row once, whatever its weight"
    if params["early_stopping"]:
        return (
            "early stopping's validation split draws from the rows as given: a repeated row "
            "can land on both sides of it, a weighted row on one"
        )
    return None


# A function, not a dict, because what fails depends on the configuration (the form
# scikit-learn's expected_failed_checks takes); its capitals are the public name it was given.
def EXPECTED_FAILED_CHECKS(estimator: Any) -> dict[str, str]:
    """``{check name: reason}`` of scikit-learn's checks that ``estimator`` (a
    :class:`~glassnet.sklearn.GlassnetClassifier` or
    :class:`~glassnet.sklearn.GlassnetRegressor`) is expected to fail, as
    :func:`sklearn.utils.estimator_checks.parametrize_with_checks` and
    :func:`~sklearn.utils.estimator_checks.check_estimator` take it
    (``expected_failed_checks=``). Empty for the default configurations."""
    failing: dict[str, str] = {}
    reason = _sample_weight_reason(estimator)
    if reason is not None:
        failing.update(dict.fromkeys(SAMPLE_WEIGHT_CHECKS, reason))
    return failing
