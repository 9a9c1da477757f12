"""Where mini-batches come from: memory-mapped arrays, batch sources, per-batch targets and
the block shuffle (issue 15, parts 3 and 4)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import ArraySource, BatchSource, Checkpoint, batches, fit
from glassnet.training.batches import TrainingData, batch_bounds, block_order, epoch_order


def _data(m: int = 203, n: int = 5, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=m)
    X = (rng.normal(size=(m, n)) + 1.5 * np.eye(k, n)[y]).astype(np.float32)
    return X, y


def _train(X, y=None, **options) -> list[np.ndarray]:
    net = gn.Network.build([5, 7, 3], seed=1)
    fit(net, X, y, epochs=2, seed=4, optimizer="adam", **options)
    return [np.array(theta) for _, theta in net.parameters()]


def _save(tmp_path: Path, name: str, array: np.ndarray) -> np.ndarray:
    np.save(tmp_path / name, array)
    memmap = np.load(tmp_path / name, mmap_mode="r")
    assert isinstance(memmap, np.memmap)
    return memmap


class _Rows:
    """A batch source written here, as a user would: rows by index from lists."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X, self.y = X, y
        self.asked: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self.X)

    def rows(self, index: np.ndarray) -> tuple[list[list[float]], list[int]]:
        self.asked.append(index)
        return self.X[index].tolist(), self.y[index].tolist()


@pytest.mark.parametrize("shuffle", [True, False, "blocks"])
def test_memory_mapped_and_source_data_train_to_the_same_bits_as_in_memory_arrays(
    tmp_path, monkeypatch, shuffle
) -> None:
    # Small target windows and blocks, so that an epoch spans several of each.
    monkeypatch.setattr(batches, "TARGET_ROWS", 40)
    monkeypatch.setattr(batches, "BLOCK_BYTES", 5 * 4 * 16)
    X, y = _data()
    weight = np.random.default_rng(9).random(len(y))
    options = {"batch_size": 16, "shuffle": shuffle, "class_weight": "balanced"}
    expected = _train(X, y, sample_weight=weight, **options)
    X32, X64, y8 = (
        _save(tmp_path, "X32.npy", X),
        _save(tmp_path, "X64.npy", X.astype(np.float64)),
        _save(tmp_path, "y8.npy", y.astype(np.uint8)),
    )
    for X_in, y_in in [
        (X32, y8),  # read in place
        (X64, y),  # converted a batch at a time
        (ArraySource(X32, y8), None),
        (_Rows(X, y), None),
    ]:
        got = _train(X_in, y_in, sample_weight=weight, **options)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)


def test_labels_encoded_per_batch_train_as_one_hot_rows_given_up_front(monkeypatch) -> None:
    monkeypatch.setattr(batches, "TARGET_ROWS", 24)
    X, y = _data()
    one_hot = np.eye(3)[y]  # the (m, n_L) targets fit used to build before training
    for shuffle in (True, False, "blocks"):
        for a, b in zip(
            _train(X, y, batch_size=10, shuffle=shuffle),
            _train(X, one_hot, batch_size=10, shuffle=shuffle),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)


def test_each_batch_holds_the_rows_and_one_hot_targets_of_its_slice_of_the_order(
    monkeypatch,
) -> None:
    monkeypatch.setattr(batches, "TARGET_ROWS", 30)
    X, y = _data(m=97)
    net = gn.Network.build([5, 7, 3], seed=1)
    data = TrainingData(net, X, y)
    order = np.random.default_rng(3).permutation(97)
    bounds = batch_bounds(97, 8)
    seen = 0
    for (start, end), (Xb, Yb, rows) in zip(bounds, data.epoch(order, bounds), strict=True):
        np.testing.assert_array_equal(rows, order[start:end])
        np.testing.assert_array_equal(Xb, X[order[start:end]])
        np.testing.assert_array_equal(Yb, np.eye(3, dtype=np.float32)[y[order[start:end]]])
        seen += end - start
    assert seen == 97


def test_the_default_shuffle_is_the_permutation_of_every_row_it_always_was() -> None:
    got = epoch_order(np.random.default_rng(7), 1000, True, block_rows=64)
    np.testing.assert_array_equal(got, np.random.default_rng(7).permutation(1000))
    assert epoch_order(np.random.default_rng(7), 1000, False, block_rows=64) is None


def test_block_order_is_a_permutation_fixed_by_the_seed_that_reads_whole_blocks() -> None:
    m, block, buffer = 1003, 10, 4  # 101 blocks, the last of 3 rows
    order = block_order(np.random.default_rng(5), m, block, buffer)
    np.testing.assert_array_equal(np.sort(order), np.arange(m))
    np.testing.assert_array_equal(order, block_order(np.random.default_rng(5), m, block, buffer))
    assert not np.array_equal(order, block_order(np.random.default_rng(6), m, block, buffer))
    # The blocks come in the order of the seed's first permutation, `buffer` at a time, and
    # each buffer's stretch of the order holds exactly the rows of its blocks.
    blocks = np.random.default_rng(5).permutation(101)
    filled = 0
    for first in range(0, 101, buffer):
        chosen = blocks[first : first + buffer]
        rows = np.concatenate([np.arange(b * block, min(b * block + block, m)) for b in chosen])
        stretch = order[filled : filled + rows.size]
        np.testing.assert_array_equal(np.sort(stretch), np.sort(rows))
        assert not np.array_equal(stretch, rows)  # shuffled within the buffer
        filled += rows.size
    assert filled == m


def test_block_shuffle_sizes_blocks_in_bytes_of_checked_rows() -> None:
    X, y = _data(m=10)
    net = gn.Network.build([5, 7, 3], seed=1)
    assert TrainingData(net, X, y).block_rows() == (1 << 20) // (5 * 4)
    assert TrainingData(net, X.astype(np.float64), y).block_rows() == (1 << 20) // (5 * 4)


def test_block_shuffle_resumes_from_a_checkpoint_to_the_same_bits() -> None:
    X, y = _data()
    options = {"batch_size": 16, "shuffle": "blocks", "epochs": 3, "seed": 2}
    reference = gn.Network.build([5, 7, 3], seed=1)
    fit(reference, X, y, **options)
    checkpoint = Checkpoint()
    first = gn.Network.build([5, 7, 3], seed=1)
    fit(first, X, y, **{**options, "epochs": 1}, callbacks=[checkpoint])
    resumed = gn.Network.build([5, 7, 3], seed=1)
    fit(resumed, X, y, **options, callbacks=[Checkpoint()], resume=checkpoint.last)
    for (name, a), (_, b) in zip(resumed.parameters(), reference.parameters(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_fit_on_a_memory_mapped_file_allocates_no_copy_of_it_nor_of_its_one_hot_labels(
    tmp_path,
) -> None:
    m, n, k = 100_000, 32, 50
    rng = np.random.default_rng(0)
    X = _save(tmp_path, "X.npy", rng.random((m, n), dtype=np.float32))  # 12.8 MB
    y = _save(tmp_path, "y.npy", rng.integers(0, k, size=m).astype(np.uint8))
    X64 = _save(tmp_path, "X64.npy", np.asarray(X, dtype=np.float64))
    one_hot_bytes = m * k * 4  # 20 MB: what encoding every label up front took
    for X_in, shuffle in [(X, "blocks"), (X, True), (X64, "blocks")]:
        net = gn.Network.build([n, k], seed=0)
        tracemalloc.start()
        try:
            fit(net, X_in, y, epochs=1, batch_size=256, optimizer="sgd", shuffle=shuffle)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # The epoch's order (8 bytes a row, 0.8 MB, and its temporaries while it is drawn),
        # a window of encoded targets (4096 × 50 × 4 bytes, 0.8 MB, and the temporaries
        # of encoding it) and batch-sized arrays; neither X nor Y whole.
        assert peak < 0.3 * one_hot_bytes, (shuffle, X_in.dtype, peak)


def test_a_batch_source_is_asked_for_the_rows_of_each_batch_in_order() -> None:
    X, y = _data(m=50)
    source = _Rows(X, y)
    assert isinstance(source, BatchSource)
    net = gn.Network.build([5, 7, 3], seed=1)
    fit(net, source, epochs=1, batch_size=20, shuffle=False)
    asked = [list(index) for index in source.asked[1:]]  # the first: one row, checked early
    assert asked == [list(range(0, 20)), list(range(20, 40)), list(range(40, 50))]


def test_bad_sources_and_shuffles_are_refused_naming_the_argument() -> None:
    X, y = _data(m=20)
    net = gn.Network.build([5, 7, 3], seed=1)
    with pytest.raises(ValueError, match=r"shuffle must be True, False or 'blocks', got 'rows'"):
        fit(net, X, y, shuffle="rows")
    with pytest.raises(ValueError, match=r"y is missing: .* got X of type ndarray"):
        fit(net, X)
    with pytest.raises(ValueError, match=r"X has 4 features, but the network's first layer"):
        fit(net, ArraySource(X[:, :4], y))
    with pytest.raises(ValueError, match=r"X is empty: the batch source has 0 rows"):
        fit(net, ArraySource(X[:0], y[:0]))
    with pytest.raises(ValueError, match=r"X and y must have the same number of samples"):
        ArraySource(X, y[:5])
    with pytest.raises(ValueError, match=r"y contains class label 3, but the output layer"):
        fit(net, X, np.where(np.arange(20) == 7, 3, y))


def test_validation_data_memory_mapped_or_a_source_scores_as_evaluate_on_arrays(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(batches, "TARGET_ROWS", 16)
    X, y = _data()
    X_val, y_val = X[:70], y[:70]
    mapped = _save(tmp_path, "X_val.npy", X_val)
    histories = []
    for validation in [(X_val, y_val), (mapped, y_val), (_Rows(X_val, y_val), None)]:
        net = gn.Network.build([5, 7, 3], seed=1)
        history = fit(net, X, y, epochs=2, validation_data=validation, metrics=["f1_macro"], seed=0)
        histories.append(history)
    expected = gn.Network.build([5, 7, 3], seed=1)
    fit(expected, X, y, epochs=2, seed=0)
    scores = expected.evaluate(X_val, y_val, metrics=["f1_macro"])
    for history in histories:
        assert history.val_loss[-1] == scores["loss"]
        assert history.val_metric[-1] == scores["accuracy"]
        assert history["val_f1_macro"][-1] == scores["f1_macro"]


def test_network_fit_takes_a_source_without_y_and_says_when_y_is_missing() -> None:
    """``net.fit(source)`` is ``fit(net, source)``: the same bits as the arrays it holds;
    arrays without ``y`` are refused naming what is missing."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    on_arrays = gn.Network.build([4, 6, 2], seed=0)
    on_arrays.fit(X, y, epochs=2, batch_size=16, seed=0)
    on_source = gn.Network.build([4, 6, 2], seed=0)
    on_source.fit(ArraySource(X, y), epochs=2, batch_size=16, seed=0)
    for (name, a), (_, b) in zip(on_arrays.parameters(), on_source.parameters(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    with pytest.raises(ValueError, match=r"y is missing"):
        gn.Network.build([4, 6, 2], seed=0).fit(X, epochs=1)
