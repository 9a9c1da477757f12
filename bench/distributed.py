"""Data-parallel training on MPI: samples per second on 1 and 2 ranks, and the time in Allreduce.

The workload: a 784-256-128-10 network (ReLU hidden layers, softmax output, categorical
cross-entropy, 235,146 float32 parameters) trained by plain SGD (learning rate 0.01) for
``--epochs`` epochs of ``--samples`` MNIST training images (``--mnist DIR``, default
/work/shared/datasets/mnist, read with :func:`glassnet.data.load_idx`; ``--synthetic``:
uniform random pixels and labels, as fast), at global batch sizes 128 and 512.

- **1 rank** is a plain process calling ``Network.fit`` (no MPI at all): the baseline.
- **2 ranks** is ``mpiexec -n 2`` of this script, each rank calling
  ``Network.fit(..., distributed=comm)`` on the same data: each computes its half of every
  global batch, and one Allreduce per step sums the gradients.

Every process runs with one BLAS thread (``--threads``), so that two ranks on a two-core
machine do not fight over the cores, and the 1-rank figure is what one core does.

What is measured, in each process, after a warm-up fit of a few steps:

samples/s
    samples trained on (``epochs × samples``) over the wall-clock seconds of ``fit``.
allreduce ms/step
    the seconds spent inside the communicator's ``allreduce_sum`` on the gradients
    (wrapped with a timer), summed over the run and divided by the steps. It includes the
    wait for the slower rank to arrive, not only the transfer.
of which alone
    the same Allreduce of the 235,146 float32 gradients with a barrier before it (median
    of 30): the transfer alone, which the scaling model calls ``t_allreduce``.
other sums ms/step
    the time in the other sums: the batch's 8-byte cost (started before the backward pass
    and waited for after it) and the epoch's metrics.
compute per step on 1 rank
    ``t(b) = o + c·b`` fitted through the 1-rank seconds per step at the batch sizes run:
    ``o`` per step whatever the batch, ``c`` per sample; the scaling model of
    docs/distributed.md starts from them.

The script is a driver: it starts ``--repeats`` fresh processes (or MPI jobs) for each
rank count and batch size and reports medians, then the scaling model's samples/s for
2 ranks (``B / (o + c·B/K + t_allreduce)``) beside the measurement, and the smallest
global batch at which 8, 64 and 512 ranks reach 50 % efficiency on 1, 10 and 100 Gbit/s
networks.

Run it from the repository root (needs mpi4py and an MPI library for the 2-rank rows)::

    python bench/distributed.py                        # 60,000 MNIST samples, 3 repeats
    python bench/distributed.py --samples 20000 --repeats 3
    python bench/distributed.py --synthetic --json results.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.data import load_idx

SIZES = [784, 256, 128, 10]
N_PARAMETERS = sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(SIZES))
BYTES_PER_PARAMETER = 4  # float32
MNIST = Path("/work/shared/datasets/mnist")
NETWORKS = {1: 50e-6, 10: 20e-6, 100: 5e-6}
"""Gbit/s → the latency α of one message assumed for it (s): Ethernet with TCP at 1 and
10 Gbit/s, an RDMA fabric (InfiniBand-class) at 100 Gbit/s."""
RANKS = (8, 64, 512)
OTHERS = "other_sums_ms_per_step"


def ring_allreduce_seconds(ranks: int, gbit_per_s: float, latency: float) -> float:
    """A ring Allreduce of the gradients: 2(K−1) messages, and 2(K−1)/K of the bytes
    through each rank's link."""
    bytes_ = BYTES_PER_PARAMETER * N_PARAMETERS
    return 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * bytes_ / (gbit_per_s * 1e9 / 8)


def step_model(batches: list[int], seconds: list[float]) -> tuple[float, float]:
    """``(o, c)`` of ``t(b) = o + c·b``, one rank's seconds per step at batch ``b``:
    a least-squares line through the measured points; through the origin (``o = 0``)
    from a single point, or where noise makes the line's ``o`` negative."""
    b, t = np.asarray(batches, float), np.asarray(seconds)
    if len(b) > 1:
        c, o = np.polyfit(b, t, 1)
        if o >= 0:
            return float(o), float(c)
    return 0.0, float(b @ t / (b @ b))


def pay_off_batch(ranks: int, o: float, c: float, allreduce: float) -> float:
    """The smallest global batch ``B`` at which ``K`` ranks reach 50 % efficiency:
    ``t₁(B) ≥ ½·K·t_K(B)`` with ``t_K(B) = o + c·B/K + t_allreduce``."""
    return ((ranks - 2) * o + ranks * allreduce) / c


def load_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """``X`` ``(samples, 784)`` float32 in [0, 1] and ``y`` ``(samples,)`` class indices."""
    if args.synthetic:
        rng = np.random.default_rng(0)
        X = rng.random((args.samples, SIZES[0]), dtype=np.float32)
        return X, rng.integers(0, SIZES[-1], args.samples)
    images = load_idx(Path(args.mnist) / "train-images-idx3-ubyte.gz").reshape(-1, SIZES[0])
    labels = load_idx(Path(args.mnist) / "train-labels-idx1-ubyte.gz")
    X = np.ascontiguousarray(images[: args.samples], dtype=np.float32) / np.float32(255)
    return X, labels[: args.samples].astype(np.int64)


def worker(args: argparse.Namespace) -> None:
    """One measurement: print one JSON line (on rank 0 of an MPI job)."""
    X, y = load_data(args)
    net = gn.Network.build(SIZES, activation="relu", seed=0, dtype="float32")
    timings: list[float] = []  # the gradients' Allreduce, one a step
    others: list[float] = []  # the other sums: the batch's cost, the epoch's metrics
    options: dict[str, Any] = {}
    rank, size = 0, 1
    if args.mpi:
        from glassnet.distributed import world

        comm = world()
        rank, size = comm.rank, comm.size
        allreduce_sum, start_sum = comm.allreduce_sum, comm.start_sum

        def timed(array: Any) -> Any:
            start = time.perf_counter()
            result = allreduce_sum(array)
            seconds = time.perf_counter() - start
            # The gradients' flat buffer (a few elements longer: aligned), or a small sum.
            (timings if array.size >= N_PARAMETERS else others).append(seconds)
            return result

        class TimedWait:
            def __init__(self, request: Any, seconds: float) -> None:
                self.request, self.seconds = request, seconds

            def wait(self) -> None:
                start = time.perf_counter()
                self.request.wait()
                others.append(self.seconds + time.perf_counter() - start)

        def timed_start(array: Any) -> Any:
            start = time.perf_counter()
            request = start_sum(array)
            return TimedWait(request, time.perf_counter() - start)

        comm.allreduce_sum = timed  # type: ignore[method-assign]
        comm.start_sum = timed_start  # type: ignore[method-assign]
        options["distributed"] = comm
    fit = {"batch_size": args.batch, "optimizer": "sgd", "learning_rate": 0.01, "seed": 0}
    warm = min(len(X), 4 * args.batch)
    net.fit(X[:warm], y[:warm], epochs=1, **fit, **options)
    timings.clear()
    others.clear()
    started = time.perf_counter()
    net.fit(X, y, epochs=args.epochs, **fit, **options)
    seconds = time.perf_counter() - started
    steps = args.epochs * math.ceil(len(X) / args.batch)
    alone = None
    if args.mpi:  # the transfer without the wait for a late rank: a barrier before each
        buffer = np.ones(N_PARAMETERS, dtype=np.float32)
        spent = []
        for _ in range(30):
            comm.comm.Barrier()
            start = time.perf_counter()
            allreduce_sum(buffer)
            spent.append(time.perf_counter() - start)
        alone = float(np.median(spent))
    if rank == 0:
        result = {
            "ranks": size,
            "batch": args.batch,
            "samples": len(X),
            "epochs": args.epochs,
            "seconds": seconds,
            "samples_per_s": args.epochs * len(X) / seconds,
            "steps": steps,
            "seconds_per_step": seconds / steps,
            "allreduce_calls_per_step": len(timings) / steps,
            "allreduce_s_per_step": sum(timings) / steps,
            "other_sums_s_per_step": sum(others) / steps,
            "allreduce_alone_s": alone,
        }
        print(json.dumps(result), flush=True)


def mpiexec() -> str | None:
    """The mpiexec beside this Python (pip's ``mpich`` puts it there), else on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def measure(args: argparse.Namespace, ranks: int, batch: int) -> dict[str, Any]:
    """One fresh process (1 rank) or MPI job (``ranks``), its JSON result."""
    worker_args = [
        sys.executable,
        __file__,
        "--worker",
        "--batch",
        str(batch),
        "--samples",
        str(args.samples),
        "--epochs",
        str(args.epochs),
        "--mnist",
        str(args.mnist),
    ]
    worker_args += ["--synthetic"] if args.synthetic else []
    launcher = mpiexec()
    if ranks > 1:
        if launcher is None:
            raise SystemExit("no mpiexec: pip install mpich mpi4py (or the system's MPI)")
        command = [launcher, "-n", str(ranks), *worker_args, "--mpi"]
    else:
        command = worker_args
    threads = str(args.threads)
    env = {**os.environ, "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
    env |= {"MKL_NUM_THREADS": threads}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1]))


def median(results: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(result[key] for result in results))


def drive(args: argparse.Namespace) -> None:
    results: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for _ in range(args.repeats):
        for batch in args.batches:
            for ranks in args.ranks:
                results.setdefault((ranks, batch), []).append(measure(args, ranks, batch))
    data = "synthetic" if args.synthetic else f"MNIST ({args.mnist})"
    print(
        f"784-256-128-10 MLP, {N_PARAMETERS:,} float32 parameters "
        f"({N_PARAMETERS * BYTES_PER_PARAMETER / 1e6:.2f} MB of gradients per step), SGD; "
        f"{args.samples:,} samples of {data} × {args.epochs} epoch(s); "
        f"{args.threads} BLAS thread(s) per process; medians of {args.repeats} runs"
    )
    ones = [
        (b, median(results[(1, b)], "seconds_per_step")) for b in args.batches if (1, b) in results
    ]
    o, c = step_model([b for b, _ in ones], [t for _, t in ones]) if ones else (0.0, 0.0)
    header = (
        f"{'ranks':>5} {'batch':>5} {'samples/s':>10} {'speedup':>7} {'ms/step':>8} "
        f"{'allreduce ms/step':>17} {'of which alone':>14} {'other sums ms/step':>18} "
        f"{'model samples/s':>15}"
    )
    print(header)
    table = []
    for batch in args.batches:
        one = results.get((1, batch))
        for ranks in args.ranks:
            runs = results[(ranks, batch)]
            speed = median(runs, "samples_per_s")
            allreduce = median(runs, "allreduce_s_per_step")
            alone = None if ranks == 1 else median(runs, "allreduce_alone_s")
            # The scaling model: a step is one rank's compute of B/K samples, o + c·B/K,
            # plus the Allreduce's transfer (measured alone); see docs/distributed.md.
            model = None
            if ones and alone is not None:
                model = batch / (o + c * batch / ranks + alone)
            speedup = None if one is None else speed / median(one, "samples_per_s")
            row = {
                "ranks": ranks,
                "batch": batch,
                "samples_per_s": speed,
                "speedup": speedup,
                "ms_per_step": 1e3 * median(runs, "seconds_per_step"),
                "allreduce_ms_per_step": 1e3 * allreduce,
                "allreduce_calls_per_step": median(runs, "allreduce_calls_per_step"),
                "allreduce_alone_ms": None if alone is None else 1e3 * alone,
                OTHERS: 1e3 * median(runs, "other_sums_s_per_step"),
                "model_samples_per_s": model,
                "runs": runs,
            }
            table.append(row)
            print(
                f"{ranks:>5} {batch:>5} {speed:>10,.0f} "
                f"{'' if speedup is None else f'{speedup:.2f}×':>7} {row['ms_per_step']:>8.2f} "
                f"{'' if ranks == 1 else f'{1e3 * allreduce:.3f}':>17} "
                f"{'' if alone is None else f'{1e3 * alone:.3f}':>14} "
                f"{'' if ranks == 1 else f'{row[OTHERS]:.3f}':>18} "
                f"{'' if model is None else f'{model:,.0f}':>15}"
            )
    payoff: dict[str, dict[str, float]] = {}
    if ones:
        print(
            f"1 rank, seconds per step at batch b: t(b) = o + c·b with o = {1e3 * o:.3f} ms "
            f"(per step, whatever the batch) and c = {1e6 * c:.2f} µs per sample"
        )
        print("smallest global batch for ≥ 50 % efficiency (ring Allreduce, α per message):")
        print(f"{'network':>22} " + " ".join(f"{f'{k} ranks':>10}" for k in RANKS))
        for gbit, latency in NETWORKS.items():
            sizes = {
                str(k): pay_off_batch(k, o, c, ring_allreduce_seconds(k, gbit, latency))
                for k in RANKS
            }
            payoff[f"{gbit} Gbit/s"] = sizes
            shown = " ".join(f"{sizes[str(k)]:>10,.0f}" for k in RANKS)
            print(f"{f'{gbit} Gbit/s, α {1e6 * latency:g} µs':>22} {shown}")
    if args.json:
        model = {"o_seconds": o, "c_seconds_per_sample": c, "pay_off_batch": payoff}
        document = {"settings": vars(args), "rows": table, "model": model}
        Path(args.json).write_text(json.dumps(document, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    parser.add_argument("--mnist", default=str(MNIST), help="folder of the MNIST IDX files")
    parser.add_argument("--synthetic", action="store_true", help="random data of MNIST's shape")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mpi", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=128, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
    else:
        drive(args)


if __name__ == "__main__":
    main()
