"""glassnet networks as scikit-learn estimators (scikit-learn is an optional dependency:
``pip install glassnet[sklearn]``).

>>> from glassnet.sklearn import GlassnetClassifier
>>> clf = GlassnetClassifier(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
>>> clf.predict_proba(X_test)
>>> clf.model_.save("model.glassnet")       # the file glassnet predict reads

==============  ===========================================================================
``estimators``  :class:`GlassnetClassifier` and :class:`GlassnetRegressor`
``base``        what they share: validated arrays in, a :class:`~glassnet.tabular.Model`
                trained by :func:`glassnet.training.fit`, sample weights as repeated rows
``options``     their parameters checked by the training options' one table
``state``       their pickled state: the parameters and a model file's bytes
``checks``      :data:`EXPECTED_FAILED_CHECKS`, for scikit-learn's conformance suite
==============  ===========================================================================
"""

try:
    # The top-level scikit-learn (imports are absolute), not this package.
    import sklearn as _installed  # type: ignore[import-untyped]  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "glassnet's scikit-learn estimators need scikit-learn ≥ 1.6: pip install "
        "'glassnet[sklearn]'"
    ) from exc

from .checks import EXPECTED_FAILED_CHECKS
from .estimators import GlassnetClassifier, GlassnetRegressor

__all__ = ["EXPECTED_FAILED_CHECKS", "GlassnetClassifier", "GlassnetRegressor"]
