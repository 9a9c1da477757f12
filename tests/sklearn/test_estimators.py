"""The behaviour of GlassnetClassifier and GlassnetRegressor beyond scikit-learn's checks:
labels in their own type, probabilities from the logits, sample weights as repeated and
dropped rows, partial_fit, DataFrames, several targets, determinism, and pickles that hold a
model file, not a pickled network.

Needs scikit-learn ≥ 1.6 (optional; skipped without it).
"""

from __future__ import annotations

import io
import pickle
import pickletools
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", minversion="1.6", reason="the estimators need scikit-learn ≥ 1.6")

import joblib
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import glassnet
from glassnet.io import ModelFileError
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor
from glassnet.tabular import Model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (8,), "epochs": 100, "learning_rate": 0.01, "random_state": 0}
"""Small and quick: 100 full-batch Adam steps on the tests' 60 rows."""


def blobs(m: int = 60, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``m`` rows of 4 features around ``classes`` centers, labels ``0 … classes−1``."""
    rng = np.random.default_rng(seed)
    y = np.arange(m) % classes
    centers = rng.normal(scale=3.0, size=(classes, 4))
    return centers[y] + rng.normal(size=(m, 4)), y


def softmax(Z: np.ndarray) -> np.ndarray:
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# -- labels and outputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [np.array(["adelie", "gentoo"]), np.array([3, 7]), np.array([False, True])],
    ids=["text", "integers", "booleans"],
)
def test_binary_labels_keep_their_type_and_get_two_probability_columns(names) -> None:
    X, codes = blobs(classes=2)
    y = names[codes]
    clf = GlassnetClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.sort(names))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    # Independent: the sigmoid of the logit that decision_function gives, and its complement.
    p = 1 / (1 + np.exp(-clf.decision_function(X)))
    np.testing.assert_allclose(proba, np.column_stack([1 - p, p]), rtol=0, atol=1e-12)
    predicted = clf.predict(X)
    assert predicted.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(predicted, clf.classes_[(p > 0.5).astype(int)])
    assert clf.score(X, y) == pytest.approx(np.mean(predicted == y))
    assert clf.score(X, y) > 0.9


def test_multiclass_probabilities_are_the_softmax_of_the_decision_function() -> None:
    X, y = blobs(classes=3)
    clf = GlassnetClassifier(**FAST).fit(X, y)
    Z = clf.decision_function(X)
    assert Z.shape == (len(X), 3)
    np.testing.assert_allclose(clf.predict_proba(X), softmax(Z), rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(softmax(Z)), atol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), Z.argmax(axis=1))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_a_classifier_says_not_fitted_before_fit(method: str) -> None:
    with pytest.raises(NotFittedError):
        getattr(GlassnetClassifier(), method)(np.zeros((2, 3)))


def test_an_error_in_a_parameter_names_the_parameter() -> None:
    X, y = blobs()
    bad = [
        ({"hidden_layer_sizes": (0,)}, r"hidden_layer_sizes must hold integers ≥ 1"),
        ({"learning_rate": -1.0}, r"learning_rate must be a number > 0"),
        ({"batch_size": "big"}, r"batch_size must be 'auto', None or an integer"),
        ({"activation": "swish"}, r"activation must be one of"),
        ({"class_weight": {5: 2.0}}, r"class_weight names the class 5, but the classes are"),
        ({"early_stopping": True, "validation_fraction": 0.0}, r"validation_fraction must be > 0"),
    ]
    for params, message in bad:
        with pytest.raises((ValueError, TypeError), match=message):
            GlassnetClassifier(**{**FAST, **params}).fit(X, y)


# -- determinism ----------------------------------------------------------------------------


def test_the_same_random_state_gives_the_same_model_and_another_a_different_one() -> None:
    X, y = blobs()
    params = {**FAST, "dropout": 0.2, "batch_size": 16}  # every draw: weights, order, masks
    first = GlassnetClassifier(**params).fit(X, y).predict_proba(X)
    again = GlassnetClassifier(**params).fit(X, y).predict_proba(X)
    other = GlassnetClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


# -- sample weights -------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [GlassnetClassifier, GlassnetRegressor])
def test_integer_weights_train_as_repeated_rows_penalty_included(Estimator) -> None:
    X, y = blobs(m=30)
    weights = np.random.default_rng(1).integers(1, 4, size=len(X))
    # A large λ, so that the penalty's λ/(2 Σw) (not λ/(2m)) shows in the predictions.
    params = {**FAST, "l2": 2.0, "l1": 0.1}
    weighted = Estimator(**params).fit(X, y, sample_weight=weights)
    repeated = Estimator(**params).fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    unweighted = Estimator(**params).fit(X, y)
    method = "predict_proba" if Estimator is GlassnetClassifier else "predict"
    out = getattr(weighted, method)(X)
    np.testing.assert_allclose(out, getattr(repeated, method)(X), rtol=1e-9, atol=1e-12)
    assert np.abs(out - getattr(unweighted, method)(X)).max() > 1e-3


def test_zero_weights_are_dropped_rows_even_with_mini_batches() -> None:
    X, y = blobs(m=60)
    weights = np.ones(len(X))
    weights[::4] = 0
    params = {**FAST, "batch_size": 8, "dropout": 0.1, "batch_norm": True}
    weighted = GlassnetClassifier(**params).fit(X, y, sample_weight=weights)
    dropped = GlassnetClassifier(**params).fit(X[weights > 0], y[weights > 0])
    np.testing.assert_array_equal(weighted.predict_proba(X), dropped.predict_proba(X))


def test_class_weights_are_sample_weights_of_each_label() -> None:
    X, codes = blobs(m=45)
    y = np.array(["a", "b", "c"])[codes]
    table = {"a": 3.0, "c": 0.5}
    by_class = GlassnetClassifier(**FAST, class_weight=table).fit(X, y)
    per_row = np.array([table.get(label, 1.0) for label in y])
    by_row = GlassnetClassifier(**FAST).fit(X, y, sample_weight=per_row)
    np.testing.assert_allclose(by_class.predict_proba(X), by_row.predict_proba(X), atol=1e-12)
    # "balanced": m / (K · count) per class, as scikit-learn.
    balanced = GlassnetClassifier(**FAST, class_weight="balanced").fit(X[5:], y[5:])
    counts = {label: np.sum(y[5:] == label) for label in "abc"}
    expected = np.array([40 / (3 * counts[label]) for label in y[5:]])
    by_row = GlassnetClassifier(**FAST).fit(X[5:], y[5:], sample_weight=expected)
    np.testing.assert_allclose(balanced.predict_proba(X), by_row.predict_proba(X), atol=1e-12)


def test_early_stopping_with_weights_watches_the_weighted_validation_loss() -> None:
    X, y = blobs(m=120, classes=2)
    weights = np.where(y == 0, 50.0, 1.0)
    # tol=0: every improvement counts, so the best epoch is the one of the smallest loss.
    clf = GlassnetClassifier(
        **{**FAST, "epochs": 40}, early_stopping=True, validation_fraction=0.25, tol=0.0
    ).fit(X, y, sample_weight=weights)
    # Independent: the weighted mean cross-entropy of the held-out rows at the restored
    # (best) epoch. The held-out rows are those the model was not trained on; refit the split.
    from glassnet.data import split_indices

    seed = clf.model_.settings["seed"]
    _, held_out = split_indices(y, test_size=0.25, stratify=True, seed=seed)
    p = clf.predict_proba(X[held_out])[np.arange(len(held_out)), y[held_out]]
    w = weights[held_out]
    expected = float(np.sum(w * -np.log(p)) / np.sum(w))
    assert min(clf.history_["val_loss"]) == pytest.approx(expected, rel=1e-9)


# -- partial_fit ----------------------------------------------------------------------------


def test_one_partial_fit_is_one_epoch_of_fit_and_more_calls_go_on_learning() -> None:
    X, y = blobs()
    params = {**FAST, "tol": None}
    once = GlassnetClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    one_epoch = GlassnetClassifier(**{**params, "epochs": 1}).fit(X, y)
    np.testing.assert_array_equal(once.predict_proba(X), one_epoch.predict_proba(X))
    for _ in range(99):
        once.partial_fit(X, y)
    assert once.n_iter_ == 100 == len(once.loss_curve_) == len(once.history_.epoch)
    assert once.loss_curve_[-1] < 0.5 * once.loss_curve_[0]
    assert once.score(X, y) > 0.9


def test_partial_fit_refuses_a_first_call_without_classes_and_unknown_labels() -> None:
    X, y = blobs()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        GlassnetClassifier(**FAST).partial_fit(X, y)
    clf = GlassnetClassifier(**FAST).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match=r"y holds the label 7, which is not among"):
        clf.partial_fit(X[:3], [0, 7, 1])
    with pytest.raises(ValueError, match="is not the classes of the first call"):
        clf.partial_fit(X, y, classes=[0, 1])


def test_a_regressor_keeps_the_first_partial_fit_target_scale() -> None:
    X, _ = blobs()
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 10
    reg = GlassnetRegressor(**FAST).partial_fit(X[:20], y[:20])
    mean, std = reg.model_.target_scale
    assert (mean, std) == pytest.approx((np.mean(y[:20]), np.std(y[:20])), rel=1e-12)
    for _ in range(5):
        reg.partial_fit(X, y)
    assert reg.model_.target_scale == (mean, std)
    assert reg.n_iter_ == 6


# -- DataFrames, several targets, sparse input ----------------------------------------------


def test_a_dataframe_gives_feature_names_that_predicting_checks() -> None:
    pd = pytest.importorskip("pandas", reason="feature names come from a DataFrame")
    X, y = blobs()
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    clf = GlassnetClassifier(**FAST).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, ["w", "x", "y", "z"])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(clf.predict(frame), clf.predict(X))
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame[["x", "w", "y", "z"]])
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.feature_names_in_, clf.feature_names_in_)


def test_several_targets_are_one_network_with_an_output_each() -> None:
    X, _ = blobs(m=80)
    W = np.array([[1.0, 0.0, 50.0], [0.0, 2.0, -30.0], [0.5, 0.0, 0.0], [0.0, -1.0, 10.0]])
    Y = X @ W + np.array([0.0, 100.0, -5.0])
    reg = GlassnetRegressor(**{**FAST, "hidden_layer_sizes": (32,), "epochs": 300}).fit(X, Y)
    predicted = reg.predict(X)
    assert predicted.shape == Y.shape and predicted.dtype == np.float64
    assert reg.n_outputs_ == 3 and reg.model_.network.n_outputs == 3
    # Each target standardized on its own, with its own mean and std.
    mean, std = reg.model_.target_scale
    np.testing.assert_allclose(mean, Y.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, Y.std(axis=0), rtol=1e-12)
    r2 = 1 - ((Y - predicted) ** 2).sum(axis=0) / ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    assert r2.min() > 0.95, r2
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), predicted)
    # A single target given as a column comes back as a column, from the same model.
    column = GlassnetRegressor(**FAST).fit(X, Y[:, :1])
    flat = GlassnetRegressor(**FAST).fit(X, Y[:, 0]).predict(X)
    assert column.predict(X).shape == (len(X), 1) and flat.shape == (len(X),)
    np.testing.assert_array_equal(column.predict(X)[:, 0], flat)
    assert pickle.loads(pickle.dumps(column)).predict(X).shape == (len(X), 1)


def test_sparse_input_trains_and_predicts_as_the_same_dense_input() -> None:
    X, y = blobs()
    X[X < 0] = 0
    dense = GlassnetClassifier(**FAST).fit(X, y)
    from_sparse = GlassnetClassifier(**FAST).fit(sparse.csr_array(X), y)
    np.testing.assert_array_equal(
        dense.predict_proba(X), from_sparse.predict_proba(sparse.csc_matrix(X))
    )


# -- the model, pickles and processes ---------------------------------------------------------


def test_model_is_a_tabular_model_that_saves_and_loads_to_the_same_predictions(
    tmp_path: Path,
) -> None:
    X, codes = blobs()
    y = np.array(["x", "y", "z"])[codes]
    clf = GlassnetClassifier(**FAST).fit(X, y)
    assert isinstance(clf.model_, Model)
    loaded = Model.load(clf.model_.save(tmp_path / "clf.glassnet"))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def pickled_globals(data: bytes) -> set[str]:
    """The classes and functions a pickle imports when it is loaded."""
    found, strings = set(), []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            found.add(".".join(strings[-2:]))
        elif opcode.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
    return found


@pytest.mark.parametrize("Estimator", [GlassnetClassifier, GlassnetRegressor])
def test_a_pickle_holds_parameters_and_a_model_file_never_a_network(Estimator) -> None:
    X, y = blobs()
    fitted = Estimator(**FAST).fit(X, y)
    data = pickle.dumps(fitted)
    # Loading it imports the estimator's class and nothing else: no Network, no Model.
    assert pickled_globals(data) == {f"glassnet.sklearn.estimators.{Estimator.__name__}"}
    state = fitted.__getstate__()
    assert set(state) == {"params", "model_file"}
    assert state["params"] == fitted.get_params(deep=False)
    method = "predict_proba" if Estimator is GlassnetClassifier else "predict"
    restored = pickle.loads(data)
    np.testing.assert_array_equal(getattr(restored, method)(X), getattr(fitted, method)(X))
    assert restored.n_iter_ == fitted.n_iter_ and restored.loss_curve_ == fitted.loss_curve_
    assert pickled_globals(pickle.dumps(Estimator())) == pickled_globals(data)


def test_an_edited_model_file_in_a_pickle_is_refused_by_the_loader() -> None:
    X, y = blobs()
    state = GlassnetClassifier(**FAST).fit(X, y).__getstate__()
    model_file = bytearray(state["model_file"])
    model_file[len(model_file) // 2] ^= 0xFF
    with pytest.raises(ModelFileError):
        GlassnetClassifier().__setstate__({**state, "model_file": bytes(model_file)})


def _fit_in_a_worker(seed: int) -> GlassnetClassifier:
    X, y = blobs()
    return GlassnetClassifier(**{**FAST, "random_state": seed}).fit(X, y)


def test_estimators_fitted_in_other_processes_come_back_whole() -> None:
    X, y = blobs()
    back = joblib.Parallel(n_jobs=2)(joblib.delayed(_fit_in_a_worker)(s) for s in (0, 1))
    for seed, clf in zip((0, 1), back, strict=True):
        here = GlassnetClassifier(**{**FAST, "random_state": seed}).fit(X, y)
        np.testing.assert_array_equal(clf.predict_proba(X), here.predict_proba(X))
    buffer = io.BytesIO()
    joblib.dump(back[0], buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict(X), back[0].predict(X))


def test_partial_fit_goes_on_after_unpickling_from_the_epochs_trained() -> None:
    X, y = blobs()
    clf = GlassnetClassifier(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    restored.partial_fit(X, y)
    assert restored.n_iter_ == clf.n_iter_ + 1
    assert restored.history_.epoch[-1] == clf.n_iter_ + 1


# -- stopping -------------------------------------------------------------------------------


def test_training_stops_when_the_loss_stops_improving_and_warns_when_it_does_not() -> None:
    X, y = blobs()
    clf = GlassnetClassifier(hidden_layer_sizes=(8,), epochs=2000, tol=1e-2, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ < 2000
    # The rule: n_iter_no_change epochs in a row without beating the best by more than tol.
    losses = np.array(clf.loss_curve_)
    best, wait = np.inf, 0
    for loss in losses:
        best, wait = (loss, 0) if loss < best - 1e-2 else (best, wait + 1)
    assert wait == 10
    with pytest.warns(ConvergenceWarning, match="trained all 5 epochs"):
        GlassnetClassifier(**{**FAST, "epochs": 5}).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        GlassnetClassifier(**{**FAST, "epochs": 5, "tol": None}).fit(X, y)


def test_glassnet_exports_the_estimators_without_importing_scikit_learn() -> None:
    code = (
        "import sys, glassnet; assert 'sklearn' not in sys.modules; "
        "from glassnet import *; assert 'sklearn' not in sys.modules; "
        "print(glassnet.GlassnetClassifier.__module__, 'sklearn' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["glassnet.sklearn.estimators", "True"]
    assert glassnet.GlassnetRegressor is GlassnetRegressor
    # Without scikit-learn, glassnet imports and the estimators name what to install.
    code = (
        "import sys; sys.modules['sklearn'] = None; import glassnet\n"
        "try: glassnet.GlassnetClassifier\nexcept ImportError as exc: print(exc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "need scikit-learn ≥ 1.6: pip install 'glassnet[sklearn]'" in result.stdout
