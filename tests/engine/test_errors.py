"""Bad input gets a clear error naming the argument, what was expected and what was received."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture
def net() -> gn.Network:
    return gn.Network.build([4, 5, 3], seed=0)


X = np.random.default_rng(0).normal(size=(6, 4))
y = np.array([0, 1, 2, 0, 1, 2])


def test_x_and_y_of_different_lengths(net) -> None:
    with pytest.raises(ValueError, match=r"same number of samples: X has 6, y has 5"):
        net.fit(X, y[:5])


def test_wrong_number_of_features_names_w1(net) -> None:
    with pytest.raises(
        ValueError, match=r"X has 3 features, but .* expects 4 \(W\^\[1\] has shape \(n_1, 4\)\)"
    ):
        net.fit(X[:, :3], y)
    with pytest.raises(ValueError, match=r"X has 5 features"):
        net.predict(np.ones((2, 5)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_refused_with_its_position(net, bad) -> None:
    X_bad = X.copy()
    X_bad[2, 3] = bad
    with pytest.raises(
        ValueError,
        match=r"X contains 1 NaN or inf value\(s\), the first at \(row, column\) \(2, 3\)",
    ):
        net.fit(X_bad, y)


def test_non_finite_y_is_refused(net) -> None:
    with pytest.raises(ValueError, match=r"y contains NaN or inf, the first at index \(4,\)"):
        net.fit(X, np.array([0, 1, 2, 0, np.nan, 2]))


def test_class_labels_that_do_not_fit_the_output_layer(net) -> None:
    with pytest.raises(
        ValueError, match=r"class label 3, but the output layer has 3 units \(classes 0 … 2\)"
    ):
        net.fit(X, np.array([0, 1, 2, 3, 1, 2]))
    with pytest.raises(ValueError, match=r"class label -1"):
        net.fit(X, np.array([0, 1, 2, -1, 1, 2]))
    with pytest.raises(ValueError, match=r"integer class labels"):
        net.fit(X, np.array([0, 1, 2, 0.5, 1, 2]))


def test_target_columns_must_match_the_output_layer(net) -> None:
    with pytest.raises(
        ValueError,
        match=r"y has 2 column\(s\), but the output layer has 3 unit\(s\); its shape must be \(6, 3\)",
    ):
        net.fit(X, np.zeros((6, 2)))


def test_bce_targets_must_be_probabilities() -> None:
    binary = gn.Network.build([4, 1], loss="bce", seed=0)
    with pytest.raises(
        ValueError,
        match=r"y must lie in \[0, 1\] for the bce loss, got values in \[0(\.0)?, 2(\.0)?\]",
    ):
        binary.fit(X, np.array([0, 1, 2, 0, 1, 0]))


def test_text_data_is_refused(net) -> None:
    with pytest.raises(TypeError, match=r"X must hold numbers, got dtype <U"):
        net.fit(np.array([["a", "b", "c", "d"]] * 6), y)
    with pytest.raises(
        TypeError, match=r"y must hold numbers.*encode class names as integers 0 … 2"
    ):
        net.fit(X, np.array(["cat"] * 6))


def test_one_dimensional_x_gets_a_reshape_hint(net) -> None:
    with pytest.raises(
        ValueError, match=r"X must be 2-D \(samples, features\), got shape \(4,\); use X.reshape"
    ):
        net.predict(np.ones(4))


def test_empty_dataset(net) -> None:
    with pytest.raises(ValueError, match=r"X is empty: it has 0 samples \(shape \(0, 4\)\)"):
        net.fit(np.zeros((0, 4)), np.zeros(0))


@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(net, lr) -> None:
    with pytest.raises(ValueError, match=r"learning_rate must be a number > 0, got"):
        net.fit(X, y, optimizer="sgd", learning_rate=lr)


@pytest.mark.parametrize(
    ("batch_size", "error"), [(0, ValueError), (-4, ValueError), (2.5, TypeError), ("8", TypeError)]
)
def test_batch_size_must_be_a_positive_integer(net, batch_size, error) -> None:
    with pytest.raises(error, match=r"batch_size must be an integer > 0, got"):
        net.fit(X, y, batch_size=batch_size)


def test_epochs_must_be_a_positive_integer(net) -> None:
    with pytest.raises(ValueError, match=r"epochs must be an integer > 0, got 0"):
        net.fit(X, y, epochs=0)


def test_unknown_activation_loss_initializer_and_dtype() -> None:
    with pytest.raises(
        ValueError, match=r"unknown activation 'relu6'; expected one of .*relu.*sigmoid"
    ):
        gn.Network.build([4, 3], activation="relu6", output_activation="relu6")
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of bce, cce, mse"):
        gn.Network.build([4, 3], loss="hinge")
    with pytest.raises(ValueError, match=r"unknown init 'lecun'; expected one of he_normal"):
        gn.Network.build([4, 3], init="lecun")
    with pytest.raises(
        ValueError, match=r"dtype must be one of \['float32', 'float64'\], got 'float16'"
    ):
        gn.Network.build([4, 3], dtype="float16")


def test_explicit_weights_that_do_not_chain() -> None:
    with pytest.raises(
        ValueError,
        match=r"layer 2 does not fit the layer below: Dense\(3, 1, .*\) expects 3 inputs "
        r"\(W has shape \(1, 3\)\), but the layer below gives 2",
    ):
        gn.Network.from_parameters(
            [
                {"W": [[1, 2], [3, 4]], "activation": "relu"},
                {"W": [[1, 2, 3]], "activation": "sigmoid"},
            ],
            loss="bce",
        )
    with pytest.raises(ValueError, match=r"^layer 2: b must have shape \(2,\), got \(3,\)$"):
        gn.Network.from_parameters(
            [{"W": [[1, 2], [3, 4]]}, {"W": [[1, 2], [3, 4]], "b": [0, 0, 0]}], loss="mse"
        )
    with pytest.raises(ValueError, match=r"layer 2: missing key 'W'"):
        gn.Network.from_parameters([{"W": [[1, 2]]}, {"b": [0]}], loss="mse")


def test_validation_data_is_checked_under_its_own_name(net) -> None:
    with pytest.raises(ValueError, match=r"X_val has 2 features"):
        net.fit(X, y, validation_data=(np.ones((3, 2)), [0, 1, 2]))
    with pytest.raises(
        ValueError, match=r"X and y_val must have the same number of samples: X has 3, y_val has 2"
    ):
        net.fit(X, y, validation_data=(np.ones((3, 4)), [0, 1]))


def test_output_activation_aliases_pair_with_their_loss() -> None:
    assert gn.Network.build([4, 1], output_activation="logistic").loss.name == "bce"
    assert gn.Network.build([4, 3], output_activation="Softmax").fused_output


def test_a_one_unit_softmax_is_refused() -> None:
    with pytest.raises(ValueError, match=r"a softmax output needs at least 2 units"):
        gn.Network.build([4, 1], loss="cce")


@pytest.mark.parametrize("sizes", [(2.5, 3), (3, 0), (True, 2)])
def test_a_dense_layer_needs_whole_positive_sizes(sizes) -> None:
    with pytest.raises(ValueError, match=r"a Dense layer needs integers n_in ≥ 1 and n_out ≥ 1"):
        gn.Dense(*sizes)


def test_the_engine_methods_a_learner_calls_by_hand_check_shapes() -> None:
    """forward, cost and backward take arrays as they are (fit and predict check them);
    a 1-D y used to broadcast against A^[L] of shape (m, 1) into a cost 3× too large."""
    net = gn.Network.from_parameters(
        [
            {"W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.05, 0.05], "activation": "sigmoid"},
            {"W": [[0.9, 1.0]], "b": [0.15], "activation": "sigmoid"},
        ],
        loss="mse",
    )
    X, Y = np.array([[0.5, 1.0], [0.1, 0.2], [0.3, 0.3]]), np.array([[0.01], [1.0], [0.5]])
    with pytest.raises(ValueError, match=r"no forward pass to compare Y with: call forward"):
        net.backward(Y)
    with pytest.raises(ValueError, match=r"X has shape \(3, 3\), not \(3, 2\): a row of shape"):
        net.forward(np.ones((3, 3)))
    A = net.forward(X)
    by_hand = float(np.mean(0.5 * np.sum((A - Y) ** 2, axis=1)))  # the documents' MSE, 1/m
    assert net.cost(Y) == pytest.approx(by_hand, rel=1e-12)
    for wrong in (Y.ravel(), Y[:2]):  # (3,) would broadcast to (3, 3); (2, 1) is short
        with pytest.raises(ValueError, match=rf"Y has shape \({len(wrong)},.*\), not \(3, 1\)"):
            net.cost(wrong)
        with pytest.raises(ValueError, match=r"not \(3, 1\): that of the last pass's A\^\[L\]"):
            net.backward(wrong)
