"""Where one epoch of glassnet's training goes, beside the matrix-product bound.

The workload of ``speed.py`` (784-256-128-10, ReLU, softmax + cross-entropy, float32,
one epoch of 60,000 synthetic samples), for SGD, momentum and Adam at batch 32, 128 and
512. Run it from the repository root::

    python bench/profile_epoch.py                           # 3 fresh processes, medians
    python bench/profile_epoch.py --optimizers adam --batch-sizes 32 --repeats 1

In each process, for each optimizer and batch size:

1. ``Network.fit`` for one epoch, untouched: the epoch's total time.
2. The same fit again with timers around the network's methods (each layer's
   ``forward`` and ``backward``, the cost, the output delta, the optimizer's ``step``, the
   loss's metric): each call's own time, without the timed calls inside it.
3. The eight matrix products of a step alone, timed product by product on the same
   shapes, as many steps as the epoch has (their sum is ``speed.py``'s GEMM bound), and
   the batch gathering alone (``take`` of the rows of ``X`` and ``Y``).

4. The optimizer's ``step`` alone, called back to back on one network's flat buffers
   with warm caches, as many times as the epoch has steps.

A layer's time minus its matrix products is its elementwise work (bias, activation,
derivative mask, bias gradient); ``rest`` is the untouched total minus every other
column (the loop's Python, the step's bookkeeping, the timers' own small cost). Times
are milliseconds per epoch, medians over processes.

A second table sets issue 15's target fraction of the GEMM bound (0.75 at batch 32, 0.90
above, 0.95 for SGD at 512) against two floors: the time the target leaves outside the
products, ``GEMM · (1/target − 1)``, beside the update alone plus the gathering alone.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import glassnet as gn

SIZES = (784, 256, 128, 10)
OPTIMIZERS: dict[str, Callable[[], gn.Optimizer]] = {
    "sgd": lambda: gn.SGD(0.01),
    "momentum": lambda: gn.SGD(0.01, momentum=0.9),
    "adam": lambda: gn.Adam(0.001),
}
COLUMNS = ["total", "GEMM", "elem L1", "elem L2", "elem L3", "loss", "optimizer", "gather", "rest"]


class Timers:
    """Exclusive time per category: a timed call's time minus the timed calls inside it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[float] = []  # time taken by nested timed calls, per open call

    def wrap(self, category: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                inner = self._stack.pop()
                self.seconds[category] = self.seconds.get(category, 0.0) + spent - inner
                if self._stack:
                    self._stack[-1] += spent

        return timed


def instrument(net: gn.Network, optimizer: gn.Optimizer, timers: Timers) -> None:
    """Replace the methods of these instances (not their classes) with timed ones."""
    for l, layer in enumerate(net.parametric_layers(), start=1):
        layer.forward = timers.wrap(f"layer {l}", layer.forward)  # type: ignore[method-assign]
        layer.backward = timers.wrap(f"layer {l}", layer.backward)  # type: ignore[method-assign]
        layer.backward_dZ = timers.wrap(f"layer {l}", layer.backward_dZ)  # type: ignore[method-assign]
    for name in ("cost", "output_delta", "backward", "train_step"):
        category = "step" if name == "train_step" else "loss"
        # backward's own time is the 1/m scaling of δ^[L]: the loss's share.
        setattr(net, name, timers.wrap(category, getattr(net, name)))
    net.loss.metric_terms = timers.wrap("loss", net.loss.metric_terms)  # type: ignore[method-assign]
    optimizer.step = timers.wrap("optimizer", optimizer.step)  # type: ignore[method-assign]


def product_seconds(batch: int, m: int, seed: int) -> dict[int, float]:
    """Seconds per epoch of each layer's matrix products (forward, ∂W, ∂A_prev), alone."""
    rng = np.random.default_rng(seed)
    full, last = divmod(m, batch)
    sizes = [batch] * full + ([last] if last else [])
    totals: dict[int, float] = {}
    for l, (n_in, n_out) in enumerate(itertools.pairwise(SIZES), start=1):
        W = rng.standard_normal((n_out, n_in), dtype=np.float32)
        A_prev = rng.random((batch, n_in), dtype=np.float32)
        dZ = rng.standard_normal((batch, n_out), dtype=np.float32)
        Z, dW, dA = np.empty((batch, n_out), np.float32), np.empty_like(W), np.empty_like(A_prev)
        products = [(A_prev, W.T, Z), (dZ.T, A_prev, dW)] + ([(dZ, W, dA)] if l > 1 else [])
        for left, right, out in products:  # warm-up
            np.matmul(left, right, out=out)
        start = time.perf_counter()
        for rows in sizes:
            np.matmul(A_prev[:rows], W.T, out=Z[:rows])
            np.matmul(dZ[:rows].T, A_prev[:rows], out=dW)
            if l > 1:
                np.matmul(dZ[:rows], W, out=dA[:rows])
        totals[l] = time.perf_counter() - start
    return totals


def update_seconds(optimizer: str, batch: int, m: int, seed: int) -> float:
    """Seconds per epoch of the optimizer's update alone: ``step`` called back to back on
    one network's flat buffers, caches warm (nothing else runs between the calls)."""
    net = gn.Network.build(SIZES, seed=seed, dtype="float32")
    opt = OPTIMIZERS[optimizer]()
    rng = np.random.default_rng(seed)
    X = rng.random((batch, SIZES[0]), dtype=np.float32)
    net.forward(X, training=True)
    net.backward(np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], batch)])
    layers = net.parametric_layers()
    params = [theta for layer in layers for theta in layer.params.values()]
    grads = [grad for layer in layers for grad in layer.grads.values()]
    steps = -(-m // batch)
    for _ in range(20):  # warm-up, and Adam's state created
        opt.step(params, grads, net._storage)
    start = time.perf_counter()
    for _ in range(steps):
        opt.step(params, grads, net._storage)
    return time.perf_counter() - start


def gather_seconds(X: np.ndarray, Y: np.ndarray, batch: int, seed: int) -> float:
    """Seconds per epoch of gathering the shuffled batches, as ``fit`` does."""
    order = np.random.default_rng(seed).permutation(X.shape[0])
    X_batch = np.empty((batch, X.shape[1]), X.dtype)
    start = time.perf_counter()
    for begin in range(0, X.shape[0], batch):
        rows = order[begin : begin + batch]
        np.take(X, rows, axis=0, out=X_batch[: rows.size], mode="clip")
        Y[rows]
    return time.perf_counter() - start


def profile(
    optimizer: str, batch: int, X: np.ndarray, y: np.ndarray, seed: int
) -> dict[str, float]:
    """Milliseconds per epoch in each column of :data:`COLUMNS`."""

    def run(timers: Timers | None) -> float:
        net = gn.Network.build(SIZES, seed=seed, dtype="float32")
        opt = OPTIMIZERS[optimizer]()
        if timers is not None:
            instrument(net, opt, timers)
        warm = max(2048, 8 * batch)
        net.fit(X[:warm], y[:warm], epochs=1, batch_size=batch, optimizer=opt, seed=seed)
        if timers is not None:
            timers.seconds.clear()
        start = time.perf_counter()
        net.fit(X, y, epochs=1, batch_size=batch, optimizer=opt, seed=seed)
        return time.perf_counter() - start

    total = run(None)
    timers = Timers()
    run(timers)
    products = product_seconds(batch, X.shape[0], seed)
    Y = np.eye(SIZES[-1], dtype=np.float32)[y]
    row = {"total": total, "GEMM": sum(products.values())}
    for l, gemm in products.items():
        row[f"elem L{l}"] = timers.seconds.get(f"layer {l}", 0.0) - gemm
    row["loss"] = timers.seconds.get("loss", 0.0)
    row["optimizer"] = timers.seconds.get("optimizer", 0.0)
    row["gather"] = gather_seconds(X, Y, batch, seed)
    row["rest"] = total - sum(value for key, value in row.items() if key != "total")
    row["update alone"] = update_seconds(optimizer, batch, X.shape[0], seed)
    return {key: 1000 * value for key, value in row.items()}


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    rng = np.random.default_rng(args.seed)
    X = rng.random((args.samples, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], args.samples)
    rows = []
    for optimizer in args.optimizers:
        for batch in args.batch_sizes:
            row = profile(optimizer, batch, X, y, args.seed)
            rows.append({**row, "rule": optimizer, "batch": batch})
    return rows


def target(optimizer: str, batch: int) -> float:
    """Issue 15's fraction of the GEMM bound for this configuration: 0.75 at batch 32, 0.90
    above, and 0.95 for SGD at 512, where the bound itself is under 1.5× PyTorch and the
    target is 95 % of the bound's own margin (glassnet/torch ≥ 0.95 · bound/torch)."""
    if optimizer == "sgd" and batch >= 512:
        return 0.95
    return 0.75 if batch <= 32 else 0.90


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def floors(results: list[list[dict[str, Any]]]) -> str:
    """What the target leaves for everything but the products, beside two parts' floors."""
    header = [
        "optimizer",
        "batch",
        "GEMM",
        "target",
        "allowed",
        "update alone",
        "gather",
        "floors",
        "floors/allowed",
    ]
    lines = [
        "ms per epoch; medians over processes. allowed = GEMM · (1/target − 1): the time a",
        "step may spend outside its products to reach the target; floors = the update alone",
        "(caches warm) + the gathering alone, each on one core, as everything but the",
        "products runs while BLAS's two threads own both cores",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for index, first in enumerate(results[0]):
        runs = [result[index] for result in results]
        fraction = target(first["rule"], first["batch"])
        allowed = _median(runs, "GEMM") * (1 / fraction - 1)
        floor = _median(runs, "update alone") + _median(runs, "gather")
        cells = [
            first["rule"],
            str(first["batch"]),
            f"{_median(runs, 'GEMM'):,.0f}",
            f"{fraction:.2f}",
            f"{allowed:,.0f}",
            f"{_median(runs, 'update alone'):,.0f}",
            f"{_median(runs, 'gather'):,.0f}",
            f"{floor:,.0f}",
            f"{floor / allowed:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(results: list[list[dict[str, Any]]]) -> str:
    header = ["optimizer", "batch", *COLUMNS, "GEMM/total"]
    lines = [
        f"ms per epoch; medians over {len(results)} processes",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for index, first in enumerate(results[0]):
        runs = [result[index] for result in results]
        cells = [first["rule"], str(first["batch"])]
        cells += [f"{statistics.median(run[key] for run in runs):,.0f}" for key in COLUMNS]
        fraction = statistics.median(run["GEMM"] / run["total"] for run in runs)
        cells.append(f"{fraction:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--batch-sizes", type=lambda s: [int(p) for p in s.split(",")], default=[32, 128, 512]
    )
    parser.add_argument(
        "--optimizers", type=lambda s: s.split(","), default=["sgd", "momentum", "adam"]
    )
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes")
    parser.add_argument("--threads", type=int, help="BLAS threads (default: BLAS's own)")
    parser.add_argument("--single", action="store_true", help="one process, JSON out")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.single:
        if args.threads:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads, user_api="blas")
        print(json.dumps(measure(args)), flush=True)
        return
    results = []
    for i in range(args.repeats):
        command = [sys.executable, __file__, *argv, "--single"]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"process {i + 1}/{args.repeats} done", file=sys.stderr)
    print(report(results), flush=True)
    print(flush=True)
    print(floors(results), flush=True)


if __name__ == "__main__":
    main()
