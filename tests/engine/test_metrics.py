"""Metrics: every score against scikit-learn on seeded labels and targets (binary, 3-class,
10-class with a class never predicted, string labels), hand-worked cases, the registry,
and the errors at the public boundary. The running metric training logs beside the loss
belongs to the loss (``Loss.metric_terms`` / ``Loss.metric_value``); its cases are here
beside the scores they are compared with."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.metrics as skm

from glassnet.losses import get_loss
from glassnet.metrics import (
    METRICS,
    ClassScores,
    Metric,
    Scores,
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    get_metric,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_f1,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

AVERAGES = ["macro", "micro", "weighted"]


def _labels(case: str, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)`` for one kind of classification problem, mostly right."""
    rng = np.random.default_rng(seed)
    k = {"binary": 2, "3-class": 3, "10-class": 10, "strings": 3}[case]
    y_true = rng.integers(0, k, size=m)
    y_pred = np.where(rng.random(m) < 0.6, y_true, rng.integers(0, k, size=m))
    if case == "10-class":
        y_pred[y_pred == 7] = 3  # class 7 is never predicted: its precision is 0/0
    if case == "strings":
        names = np.array(["bird", "cat", "dog"])
        return names[y_true], names[y_pred]
    return y_true, y_pred


CASES = [
    (case, m, seed)
    for case in ("binary", "3-class", "10-class", "strings")
    for m, seed in ((7, 0), (50, 1), (400, 2))
]


@pytest.fixture(params=CASES, ids=[f"{c}-m{m}" for c, m, _ in CASES])
def labels(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    return _labels(*request.param)


# Our metrics warn nothing; scikit-learn's zero_division=0 silences its own.
pytestmark = pytest.mark.filterwarnings("error")


# -- classification against scikit-learn ----------------------------------------------------


def test_accuracy_and_confusion_matrix_match_sklearn(labels: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_pred = labels
    assert accuracy_score(y_true, y_pred) == pytest.approx(
        skm.accuracy_score(y_true, y_pred), abs=1e-15
    )
    C = confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(C, skm.confusion_matrix(y_true, y_pred))
    assert C.dtype == np.int64
    # an explicit order, reversed, and a subset that drops the other samples
    classes = np.unique(np.concatenate([y_true, y_pred]))
    for order in (classes[::-1], classes[:2]):
        np.testing.assert_array_equal(
            confusion_matrix(y_true, y_pred, labels=order),
            skm.confusion_matrix(y_true, y_pred, labels=order),
        )


@pytest.mark.parametrize("average", [*AVERAGES, None])
def test_precision_recall_f1_match_sklearn(
    labels: tuple[np.ndarray, np.ndarray], average: str | None
) -> None:
    y_true, y_pred = labels
    ours = precision_recall_f1(y_true, y_pred, average=average)  # type: ignore[call-overload]
    p, r, f, s = skm.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=0
    )
    np.testing.assert_allclose(
        [ours.precision, ours.recall, ours.f1], [p, r, f], rtol=1e-12, atol=1e-15
    )
    if average is None:
        assert isinstance(ours, ClassScores)
        np.testing.assert_array_equal(ours.support, s)
    else:
        assert isinstance(ours, Scores) and ours.support == len(y_true)
        assert all(isinstance(v, float) for v in ours[:3])
    for fn, sk_fn in (
        (precision_score, skm.precision_score),
        (recall_score, skm.recall_score),
        (f1_score, skm.f1_score),
    ):
        np.testing.assert_allclose(
            fn(y_true, y_pred, average=average),  # type: ignore[call-overload]
            sk_fn(y_true, y_pred, average=average, zero_division=0),
            rtol=1e-12,
            atol=1e-15,
        )


@pytest.mark.parametrize("average", [*AVERAGES, None])
def test_explicit_labels_match_sklearn(average: str | None) -> None:
    """A subset of the classes, in an odd order, plus two classes absent from both arrays."""
    y_true, y_pred = _labels("10-class", 200, 3)
    for labels in ([9, 7, 0, 3], list(range(12))):
        ours = precision_recall_f1(y_true, y_pred, labels=labels, average=average)  # type: ignore[call-overload]
        theirs = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        np.testing.assert_allclose(ours[:3], theirs[:3], rtol=1e-12, atol=1e-15)


def test_micro_average_is_accuracy_when_every_class_counts() -> None:
    y_true, y_pred = _labels("10-class", 300, 4)
    micro = precision_recall_f1(y_true, y_pred, average="micro")
    acc = accuracy_score(y_true, y_pred)
    assert (
        micro.precision == pytest.approx(acc)
        and micro.recall == pytest.approx(acc)
        and micro.f1 == pytest.approx(acc)
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "pos_label"),
    [
        ([0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 0, 1, 1, 1], 1),
        ([0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 0, 1, 1, 1], 0),
        (["no", "yes", "yes", "no"], ["yes", "yes", "no", "no"], "yes"),
        ([0, 0, 0, 0], [0, 0, 1, 0], 1),  # the positive class never occurs in y_true
        ([0, 0, 0], [0, 0, 0], 1),  # nor anywhere: every score is 0/0 → 0
    ],
)
def test_binary_average_matches_sklearn(
    y_true: list[object], y_pred: list[object], pos_label: object
) -> None:
    ours = precision_recall_f1(y_true, y_pred, average="binary", pos_label=pos_label)
    theirs = skm.precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=pos_label, zero_division=0
    )
    np.testing.assert_allclose(ours[:3], theirs[:3], rtol=1e-12)
    assert f1_score(y_true, y_pred, average="binary", pos_label=pos_label) == pytest.approx(
        theirs[2]
    )


@pytest.mark.parametrize("k", [2, 3, 10])
@pytest.mark.parametrize("m", [5, 64])
def test_log_loss_matches_sklearn(k: int, m: int) -> None:
    rng = np.random.default_rng(10 * k + m)
    logits = rng.normal(scale=3.0, size=(m, k))
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, k, size=m)
    expected = skm.log_loss(y, P, labels=list(range(k)))
    assert log_loss(y, P) == pytest.approx(expected, rel=1e-12)
    P32 = P.astype(np.float32)
    assert log_loss(y, P32) == pytest.approx(skm.log_loss(y, P32, labels=list(range(k))), rel=1e-5)
    if k == 2:  # P(class 1) alone, as (m,) or (m, 1)
        assert log_loss(y, P[:, 1]) == pytest.approx(expected, rel=1e-12)
        assert log_loss(y, P[:, 1:]) == pytest.approx(expected, rel=1e-12)


def test_log_loss_clips_at_the_dtype_epsilon() -> None:
    for dtype in (np.float32, np.float64):
        P = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=dtype)
        eps = float(np.finfo(dtype).eps)
        wrong = log_loss([1, 1], P)  # the first sample gave its true class probability 0
        assert wrong == pytest.approx((-math.log(eps) - math.log(1 - eps)) / 2, rel=1e-6)
        assert wrong == pytest.approx(skm.log_loss([1, 1], P, labels=[0, 1]), rel=1e-6)


def test_classification_report_matches_sklearn_text(labels: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_pred = labels
    for digits in (2, 4):
        assert classification_report(y_true, y_pred, digits=digits) == skm.classification_report(
            y_true, y_pred, digits=digits, zero_division=0
        )


def test_classification_report_with_names_and_labels() -> None:
    y_true, y_pred = _labels("3-class", 40, 5)
    names = ["setosa", "versicolor", "virginica"]
    text = classification_report(y_true, y_pred, target_names=names)
    assert text == skm.classification_report(y_true, y_pred, target_names=names, zero_division=0)
    lines = text.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert [line.split()[0] for line in lines[2:5]] == names
    assert lines[6].split() == ["accuracy", f"{accuracy_score(y_true, y_pred):.2f}", "40"]
    # a chosen subset keeps the accuracy line over every sample
    subset = classification_report(y_true, y_pred, labels=[2, 0])
    assert [line.split()[0] for line in subset.splitlines()[2:4]] == ["2", "0"]


# -- hand-worked cases ----------------------------------------------------------------------


def test_two_by_two_by_hand() -> None:
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    # TN = 4, FP = 2 (true 0 → 1), FN = 1 (true 1 → 0), TP = 3
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[4, 2], [1, 3]])
    assert accuracy_score(y_true, y_pred) == 0.7
    # class 1: P = 3/5, R = 3/4, F1 = 2PR/(P+R) = 0.9/1.35 = 2/3
    scores = precision_recall_f1(y_true, y_pred, average="binary")
    assert scores[:3] == pytest.approx((0.6, 0.75, 2 / 3), rel=1e-15)
    # class 0: P = 4/5, R = 4/6, F1 = 8/11
    per_class = precision_recall_f1(y_true, y_pred, average=None)
    np.testing.assert_allclose(per_class.precision, [0.8, 0.6], rtol=1e-15)
    np.testing.assert_allclose(per_class.recall, [2 / 3, 0.75], rtol=1e-15)
    np.testing.assert_allclose(per_class.f1, [8 / 11, 2 / 3], rtol=1e-15)
    np.testing.assert_array_equal(per_class.support, [6, 4])
    assert f1_score(y_true, y_pred) == pytest.approx((8 / 11 + 2 / 3) / 2, rel=1e-15)
    assert f1_score(y_true, y_pred, average="weighted") == pytest.approx(
        0.6 * 8 / 11 + 0.4 * 2 / 3, rel=1e-15
    )


def test_a_class_never_predicted_scores_zero_precision_silently() -> None:
    per_class = precision_recall_f1([0, 1, 2, 2], [0, 1, 1, 1], average=None)
    np.testing.assert_array_equal(per_class.precision, [1.0, 1 / 3, 0.0])
    np.testing.assert_array_equal(per_class.recall, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(per_class.f1, [1.0, 0.5, 0.0])


def test_log_loss_and_regression_by_hand() -> None:
    assert log_loss([0, 1], [[0.8, 0.2], [0.4, 0.6]]) == pytest.approx(
        -(math.log(0.8) + math.log(0.6)) / 2, rel=1e-15
    )
    y, y_hat = [1.0, 2.0, 3.0], [1.0, 2.0, 4.0]
    assert mean_squared_error(y, y_hat) == pytest.approx(1 / 3, rel=1e-15)
    assert root_mean_squared_error(y, y_hat) == pytest.approx(math.sqrt(1 / 3), rel=1e-15)
    assert mean_absolute_error(y, y_hat) == pytest.approx(1 / 3, rel=1e-15)
    assert r2_score(y, y_hat) == pytest.approx(1 - 1 / 2, rel=1e-15)  # SS_res = 1, SS_tot = 2


# -- regression against scikit-learn --------------------------------------------------------


@pytest.mark.parametrize("shape", [(2,), (9,), (50,), (50, 1), (30, 3)])
def test_regression_matches_sklearn(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(sum(shape))
    y = rng.normal(size=shape) * rng.uniform(0.5, 5.0, size=shape[1:])
    y_hat = y + rng.normal(scale=0.7, size=shape)
    for ours, theirs in (
        (mean_squared_error, skm.mean_squared_error),
        (root_mean_squared_error, skm.root_mean_squared_error),
        (mean_absolute_error, skm.mean_absolute_error),
        (r2_score, skm.r2_score),
    ):
        assert ours(y, y_hat) == pytest.approx(theirs(y, y_hat), rel=1e-12), ours.__name__
        assert isinstance(ours(y, y_hat), float)


def test_rmse_averages_per_output_like_sklearn() -> None:
    y = np.zeros((4, 2))
    y_hat = np.array([[1.0, 0.0]] * 4)  # output 0 is off by 1, output 1 exact
    assert root_mean_squared_error(y, y_hat) == 0.5  # mean(√1, √0), not √mean(1, 0)
    mse = get_loss("mse")  # training's RMSE: one pool over every output
    assert mse.metric_value(*mse.metric_terms(y_hat, y)) == pytest.approx(math.sqrt(0.5))


@pytest.mark.parametrize(
    ("y_hat", "expected"),
    [
        ([[3.0, 1.0], [3.0, 2.0], [3.0, 3.0]], 1.0),  # constant output exact → 1, other exact → 1
        ([[3.0, 1.0], [3.5, 2.0], [3.0, 3.0]], 0.5),  # constant output missed → 0
        ([[2.0, 1.0], [2.0, 2.0], [2.0, 4.0]], 0.25),  # 0 and 1 − 1/2 = 0.5
    ],
)
def test_r2_with_a_constant_output_follows_sklearn(
    y_hat: list[list[float]], expected: float
) -> None:
    y = [[3.0, 1.0], [3.0, 2.0], [3.0, 3.0]]  # output 0 constant: SS_tot = 0
    assert r2_score(y, y_hat) == pytest.approx(expected)
    assert r2_score(y, y_hat) == pytest.approx(skm.r2_score(y, y_hat))


# -- the registry ---------------------------------------------------------------------------


def test_registry_names_every_metric_with_its_direction() -> None:
    assert set(METRICS) == {
        "accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "log_loss",
        "mse",
        "rmse",
        "mae",
        "r2",
        "auc",
    }
    better = {name for name, metric in METRICS.items() if metric.greater_is_better}
    assert better == {"accuracy", "f1_macro", "precision_macro", "recall_macro", "r2", "auc"}
    assert [name for name, metric in METRICS.items() if metric.needs_proba] == ["log_loss", "auc"]
    for name, metric in METRICS.items():
        assert metric.name == name and get_metric(name) is metric
    assert get_metric("F1_Macro") is METRICS["f1_macro"]
    custom = Metric("max_error", skm.max_error, greater_is_better=False)
    assert get_metric(custom) is custom


def test_registry_scores_match_sklearn() -> None:
    y_true, y_pred = _labels("10-class", 120, 6)
    for name, sk_fn in (
        ("accuracy", skm.accuracy_score),
        ("f1_macro", skm.f1_score),
        ("precision_macro", skm.precision_score),
        ("recall_macro", skm.recall_score),
    ):
        kwargs = {} if name == "accuracy" else {"average": "macro", "zero_division": 0}
        assert METRICS[name](y_true, y_pred) == pytest.approx(
            sk_fn(y_true, y_pred, **kwargs), rel=1e-12
        )
    P = np.full((4, 3), 0.2) + 0.4 * np.eye(3)[[0, 1, 2, 0]]
    assert METRICS["log_loss"]([0, 1, 1, 2], P) == pytest.approx(
        skm.log_loss([0, 1, 1, 2], P), rel=1e-12
    )
    y, y_hat = np.arange(6.0), np.arange(6.0) ** 1.1
    for name, sk_fn in (
        ("mse", skm.mean_squared_error),
        ("rmse", skm.root_mean_squared_error),
        ("mae", skm.mean_absolute_error),
        ("r2", skm.r2_score),
    ):
        assert METRICS[name](y, y_hat) == pytest.approx(sk_fn(y, y_hat), rel=1e-12)


def test_unknown_metric_names_itself_and_the_known_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown metric 'f2'; expected one of accuracy, auc, f1_macro, log_loss, mae, mse, precision_macro, r2, recall_macro, rmse$",
    ):
        get_metric("f2")
    with pytest.raises(TypeError, match=r"metric must be a name such as 'accuracy', got 3"):
        get_metric(3)  # type: ignore[arg-type]


def test_the_running_metric_of_training_is_the_losss() -> None:
    A = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    cce, bce = get_loss("cce"), get_loss("bce")
    assert cce.metric_terms(A, Y) == (2, 3)  # argmax right for samples 0 and 2
    assert bce.metric_terms(A, Y) == (4, 6)  # 0.5 threshold right for 4 of the 6 outputs
    assert cce.metric_value(*cce.metric_terms(A, Y)) == pytest.approx(2 / 3)
    assert bce.metric_value(*bce.metric_terms(A, Y)) == pytest.approx(4 / 6)
    assert cce.metric == bce.metric == "accuracy"
    assert get_loss("mse").metric == "rmse"


# -- errors at the public boundary ----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: accuracy_score([0, 1, 1], [0, 1]),
            r"^y_true has 3 samples but y_pred has 2; both need one entry per sample$",
        ),
        (lambda: confusion_matrix([], []), r"y_true and y_pred are empty"),
        (
            lambda: f1_score([0.0, 1.0, np.nan], [0, 1, 1]),
            r"y_true contains NaN or inf \(first at index 2\)",
        ),
        (
            lambda: precision_score(["a", "b"], np.array(["a", None], dtype=object)),
            r"labels must be comparable with each other",
        ),
        (
            lambda: recall_score([0, 1], np.array([0.0, float("nan")], dtype=object)),
            r"y_pred contains NaN or inf \(first at index 1\)",
        ),
        (
            lambda: accuracy_score(np.eye(3), [0, 1, 2]),
            r"y_true must be labels of shape \(m,\), got shape \(3, 3\); for one-hot rows or probabilities pass A.argmax\(axis=1\)",
        ),
        (
            lambda: accuracy_score(["a", "b"], [0, 1]),
            r"y_true holds strings but y_pred holds numbers \(int64\); both must use the same labels",
        ),
        (
            lambda: f1_score([0, 1], [0, 1], average="samples"),
            r"average must be 'macro', 'micro', 'weighted', 'binary' or None, got 'samples'",
        ),  # type: ignore[call-overload]
        (
            lambda: f1_score([0, 1, 2], [0, 1, 1], average="binary"),
            r"average='binary' needs at most 2 classes, but y_true and y_pred hold 3: \[0, 1, 2\]",
        ),
        (
            lambda: f1_score(["n", "y"], ["n", "y"], average="binary"),
            r"pos_label=1 is not one of the classes \['n', 'y'\]",
        ),
        (
            lambda: f1_score([0, 1], [0, 1], labels=[0, 1], average="binary"),
            r"average='binary' takes no labels; name the class with pos_label",
        ),
        (
            lambda: confusion_matrix([0, 1], [0, 1], labels=[0, 1, 0]),
            r"labels must not repeat, got \[0, 1, 0\]",
        ),
        (
            lambda: classification_report([0, 1], [0, 1], target_names=["a"]),
            r"target_names has 1 names but there are 2 classes",
        ),
        (
            lambda: log_loss([0, 1, 2], np.full((2, 3), 1 / 3)),
            r"^y_true has 3 samples but proba has 2",
        ),
        (
            lambda: log_loss([0, 3], np.full((2, 3), 1 / 3)),
            r"y_true holds class 3, but proba has 3 columns \(classes 0 … 2\)",
        ),
        (
            lambda: log_loss(["a", "b"], np.full((2, 2), 0.5)),
            r"y_true must hold class indices 0 … 1",
        ),
        (
            lambda: log_loss([0, 1], [[0.5, 0.6], [0.5, 0.5]]),
            r"each row of proba must sum to 1, but row 0 sums to 1.1; pass probabilities \(softmax outputs\), not logits",
        ),
        (
            lambda: log_loss([0, 1], [[1.5, -0.5], [0.5, 0.5]]),
            r"proba must lie in \[0, 1\], got values in \[-0.5, 1.5\]",
        ),
        (
            lambda: log_loss([0, 1], [0.2, np.inf]),
            r"proba contains NaN or inf \(first at index \[1, 0\]\)",
        ),
        (
            lambda: mean_squared_error(np.zeros((4, 2)), np.zeros((4, 3))),
            r"y_true has 2 outputs per sample but y_pred has 3",
        ),
        (lambda: mean_absolute_error([1.0, 2.0], [1.0]), r"^y_true has 2 samples but y_pred has 1"),
        (
            lambda: root_mean_squared_error(np.zeros((0, 2)), np.zeros((0, 2))),
            r"y_true and y_pred are empty",
        ),
        (
            lambda: r2_score([1.0, 2.0], [1.0, np.nan]),
            r"y_pred contains NaN or inf \(first at index \[1, 0\]\)",
        ),
        (lambda: r2_score([1.0], [1.0]), r"r2_score needs at least 2 samples"),
        (lambda: mean_squared_error(["a"], ["b"]), r"y_true must hold numbers"),
    ],
)
def test_errors_name_what_is_wrong(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# -- ROC AUC --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_auc_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300) * 0.5 + 0.3 * y, 1)  # few values: many ties
    assert np.unique(scores).size < 15
    assert roc_auc_score(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)
    labels = np.where(y == 1, "yes", "no")  # the greater label is the positive class
    assert roc_auc_score(labels, scores) == pytest.approx(
        skm.roc_auc_score(labels, scores), abs=1e-12
    )
    both = np.column_stack([1 - scores, scores])
    assert roc_auc_score(y, both) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)


@pytest.mark.parametrize(("k", "seed"), [(3, 0), (5, 1), (10, 2)])
def test_one_vs_rest_macro_auc_matches_sklearn_with_ties(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = rng.dirichlet(np.ones(k), size=6)  # 6 distinct rows: every score is tied
    y = rng.integers(0, k, 400)
    P = pool[rng.integers(0, 6, 400)]
    P[np.arange(200), y[:200]] += 1.0  # half the rows lean towards their class
    P /= P.sum(axis=1, keepdims=True)
    expected = skm.roc_auc_score(y, P, multi_class="ovr", average="macro")
    assert roc_auc_score(y, P) == pytest.approx(expected, abs=1e-12)
    assert METRICS["auc"](y, P) == pytest.approx(expected, abs=1e-12)


def test_per_label_auc_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    Y = rng.integers(0, 2, (200, 3))
    S = np.round(rng.random((200, 3)) + 0.4 * Y, 1)
    assert roc_auc_score(Y, S) == pytest.approx(skm.roc_auc_score(Y, S), abs=1e-12)


def test_auc_by_hand() -> None:
    # Positives score 0.8, 0.4; negatives 0.4, 0.1: of the 4 pairs, 3 are ordered and one
    # is tied (½): AUC = 3.5 / 4.
    assert roc_auc_score([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == 0.875
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc_score([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0


def test_auc_refuses_what_it_cannot_measure() -> None:
    with pytest.raises(ValueError, match=r"undefined when every sample of y_true is positive"):
        roc_auc_score([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match=r"y_true holds 3 classes, but y_score has one score"):
        roc_auc_score([0, 1, 2], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match=r"y_true holds class 3, but y_score has 3 columns"):
        roc_auc_score([0, 1, 3], np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"y_true has 2 samples but y_score has 3"):
        roc_auc_score([0, 1], [0.2, 0.5, 0.9])
