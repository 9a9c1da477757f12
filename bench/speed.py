"""Training speed of glassnet against PyTorch, scikit-learn and a matrix-product bound.

The workload (``--network mlp``, the default): a 784-256-128-10 network (ReLU hidden
layers, softmax output, categorical cross-entropy) trained for one epoch of 60,000
MNIST-shaped float32 samples by plain SGD (learning rate 0.01, no momentum), at batch
sizes 32, 128 and 512. The data are synthetic by default (pixels uniform in [0, 1), labels
uniform in 0–9, fixed seed); ``--mnist DIR`` uses the real training set instead (speed
does not depend on the values).

``--network lenet`` trains a LeNet-5-sized convolutional network on the same samples as
``1 × 28 × 28`` images instead: ``conv6k5p2, pool2, conv16k5, pool2, 120, 84`` (a 5 × 5
convolution of 6 filters with 2 of padding, 2 × 2 max pooling, 16 filters of 5 × 5, 2 × 2
max pooling, dense layers of 120 and 84 units, ReLU throughout, a softmax output of 10).
Its peers are glassnet and PyTorch (``Conv2d``, ``MaxPool2d``, ``Linear``: the same
layers); scikit-learn has no convolutions and the GEMM bound is the MLP's only. With
``--profile`` each process also reports where glassnet's time goes: milliseconds per step
in each layer's forward and backward pass, and within the convolutions in im2col,
col2im and the activation (what is left is the matrix products, the bias and the
record).

Run it from the repository root::

    python bench/speed.py                      # 5 fresh processes, medians (the default)
    python bench/speed.py --repeats 3 --batch-sizes 32,512 --samples 20000
    python bench/speed.py --mnist /path/to/mnist          # the IDX .gz files
    python bench/speed.py --single                        # one process, no subprocesses
    python bench/speed.py --network lenet --optimizer adam --threads 1 --torch-threads 1
    python bench/speed.py --network lenet --single --profile --batch-sizes 128

What is measured, for each batch size, in each process:

glassnet
    ``Network.fit`` (the public API: input checks, one-hot encoding, shuffling, the cost
    and the accuracy of every batch) over ``--epochs`` epochs, after a short warm-up fit.
torch
    PyTorch on the CPU in eager mode with ``torch.set_num_threads(os.cpu_count())``
    (or ``--torch-threads``):
    ``nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)``, ``CrossEntropyLoss``,
    ``torch.optim.SGD`` and the usual loop (``randperm`` each epoch, index each batch,
    ``zero_grad``, ``backward``, ``step``, ``loss.item()``), after a warm-up.
sklearn
    ``MLPClassifier(solver="sgd", momentum=0, alpha=0, max_iter=epochs, shuffle=True)`` fed
    float32; the header says which dtype it computes in (recent versions keep float32).
GEMM bound
    Only the eight matrix products of a training step (forward ``X W1ᵀ``, ``A1 W2ᵀ``,
    ``A2 W3ᵀ``; backward ``δ3ᵀ A2``, ``δ3 W3``, ``δ2ᵀ A1``, ``δ2 W2``, ``δ1ᵀ X``) with NumPy
    float32 into preallocated outputs, as many steps as an epoch has: what any NumPy
    implementation of this network would reach with everything else free.

Every figure is samples per second (samples trained on / wall-clock seconds), higher is
better. Ratios are glassnet's figure over the peer's, computed within one process.

A shared, noisy machine can run one process at two thirds of the speed of the next for
that process's whole life, so by default the script is a driver: it starts ``--repeats``
fresh copies of itself (``--single --json``, each printing one JSON line) and reports the
median over processes of every samples/s figure and of every ratio, with the ratio's
min–max. Within a process the peers run one after another for each batch size, in an
order rotated from process to process.

Peers are optional: one that cannot be imported is reported as "not installed".
``--optimizer`` picks the update rule (``sgd``, ``momentum`` 0.9 or ``adam``); ``--threads``
caps the BLAS threads of glassnet and of the GEMM bound, ``--torch-threads`` PyTorch's (all
cores by default). To add a
rule, add a builder to ``GLASSNET_OPTIMIZERS`` and ``TORCH_OPTIMIZERS`` (and the matching settings
to ``SKLEARN_SOLVERS`` where scikit-learn has the rule).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.data import load_idx

SIZES = (784, 256, 128, 10)
"""Layer widths of the MLP, input first."""
LENET = "conv6k5p2,pool2,conv16k5,pool2,120,84"
"""The LeNet-5-sized network's hidden layers, in glassnet's architecture string; the
output layer of 10 units follows."""
IMAGE_SHAPE = (1, 28, 28)
"""The LeNet network's input: one channel of 28 × 28."""
NETWORKS = ("mlp", "lenet")
WARMUP_SAMPLES = 2048
"""Samples in each warm-up run (at least 8 batches' worth)."""

Timed = Callable[[], object]
"""A prepared, warmed-up run: calling it does the work that is timed."""

# -- optimizers: the extension point ------------------------------------------------------

GLASSNET_OPTIMIZERS: dict[str, Callable[[float], gn.Optimizer]] = {
    "sgd": lambda lr: gn.SGD(lr),
    "momentum": lambda lr: gn.SGD(lr, momentum=0.9),
    "adam": lambda lr: gn.Adam(lr),
}


def _torch_sgd(params: Iterable[Any], lr: float) -> Any:
    import torch

    return torch.optim.SGD(params, lr=lr, momentum=0.0)


def _torch_momentum(params: Iterable[Any], lr: float) -> Any:
    import torch

    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _torch_adam(params: Iterable[Any], lr: float) -> Any:
    import torch

    return torch.optim.Adam(params, lr=lr)


TORCH_OPTIMIZERS: dict[str, Callable[[Iterable[Any], float], Any]] = {
    "sgd": _torch_sgd,
    "momentum": _torch_momentum,
    "adam": _torch_adam,
}

SKLEARN_SOLVERS: dict[str, dict[str, Any]] = {
    "sgd": {"solver": "sgd", "momentum": 0.0, "nesterovs_momentum": False},
    "momentum": {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": False},
    "adam": {"solver": "adam"},
}

LEARNING_RATES = {"sgd": 0.01, "momentum": 0.01, "adam": 0.001}


class PeerUnavailable(Exception):
    """A peer cannot run: its library is missing, or it lacks the chosen optimizer."""


# -- the workload and the timing helper ---------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One measurement's inputs, the same for every peer."""

    X: np.ndarray
    """``(m, 784)`` or ``(m, 1, 28, 28)`` float32, C-contiguous."""
    y: np.ndarray
    """``(m,)`` int64 labels 0–9."""
    batch_size: int
    epochs: int
    optimizer: str
    seed: int
    threads: int | None = None
    """BLAS threads of glassnet and of the GEMM bound (``None``: BLAS's own default)."""
    network: str = "mlp"
    """``"mlp"`` (``X`` is ``(m, 784)``) or ``"lenet"`` (``X`` is ``(m, 1, 28, 28)``)."""
    torch_threads: int | None = None
    """PyTorch's threads (``None``: one per core)."""

    @property
    def samples(self) -> int:
        """Samples trained on in the timed run."""
        return self.epochs * self.X.shape[0]

    def warmup(self) -> tuple[np.ndarray, np.ndarray]:
        """The first few thousand samples, for a warm-up run at the same batch size."""
        n = min(self.X.shape[0], max(WARMUP_SAMPLES, 8 * self.batch_size))
        return self.X[:n], self.y[:n]


def samples_per_second(prepare: Callable[[Workload], Timed], work: Workload) -> float:
    """Build and warm up a peer with ``prepare``, then time its run once; the memory its
    run took beyond what the process held before it is kept in ``LAST_PEAK_MB``."""
    global LAST_PEAK_MB
    run = prepare(work)
    gc.collect()
    before = _reset_peak()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    LAST_PEAK_MB = None if before is None else (_status_kb("VmHWM") - before) / 1024
    return work.samples / seconds


LAST_PEAK_MB: float | None = None
"""The peak resident memory of the last timed run above the resident memory before it, in
MB (``None`` where Linux's ``/proc/self/clear_refs`` cannot reset the peak)."""


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak() -> int | None:
    """Reset the process's peak resident memory (``VmHWM``) to its resident memory now, and
    return that in kB; ``None`` where that cannot be done (not Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_kb("VmRSS")
    except OSError:
        return None


# -- the peers ----------------------------------------------------------------------------


def glassnet_network(work: Workload, **build_options: Any) -> gn.Network:
    """The workload's network in glassnet, its weights drawn from ``work.seed``."""
    if work.network == "mlp":
        return gn.Network.build(
            SIZES, activation="relu", seed=work.seed, dtype="float32", **build_options
        )
    from glassnet.layers.architecture import build_layers

    layers = build_layers(
        LENET,
        IMAGE_SHAPE,
        SIZES[-1],
        "relu",
        "softmax",
        init=None,
        dropout=build_options.get("dropout", 0.0),
        batch_norm=build_options.get("batch_norm", False),
        rng=np.random.default_rng(work.seed),
        dtype=np.dtype("float32"),
    )
    return gn.Network(layers, loss="cce")


def prepare_glassnet(work: Workload, **build_options: Any) -> Timed:
    net = glassnet_network(work, **build_options)
    make_optimizer = GLASSNET_OPTIMIZERS[work.optimizer]

    def train(X: np.ndarray, y: np.ndarray, epochs: int) -> object:
        return net.fit(
            X,
            y,
            epochs=epochs,
            batch_size=work.batch_size,
            optimizer=make_optimizer(LEARNING_RATES[work.optimizer]),
            shuffle=True,
            seed=work.seed,
            threads=work.threads,
        )

    train(*work.warmup(), epochs=1)
    return lambda: train(work.X, work.y, work.epochs)


def prepare_torch(work: Workload) -> Timed:
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        raise PeerUnavailable("not installed") from exc
    if work.optimizer not in TORCH_OPTIMIZERS:
        raise PeerUnavailable(f"no {work.optimizer}")
    torch.set_num_threads(work.torch_threads or os.cpu_count() or 1)
    torch.manual_seed(work.seed)
    model = torch_network(work.network)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(work.seed)
    batch = work.batch_size

    def train(X: Any, y: Any, epochs: int) -> float:
        optimizer = TORCH_OPTIMIZERS[work.optimizer](
            model.parameters(), LEARNING_RATES[work.optimizer]
        )
        m = X.shape[0]
        total = 0.0
        for _ in range(epochs):
            order = torch.randperm(m, generator=generator)
            for start in range(0, m, batch):
                rows = order[start : start + batch]
                optimizer.zero_grad()
                loss = loss_fn(model(X[rows]), y[rows])
                loss.backward()
                optimizer.step()
                total += loss.item()
        return total

    X_warm, y_warm = work.warmup()
    train(torch.from_numpy(X_warm), torch.from_numpy(y_warm), epochs=1)
    X, y = torch.from_numpy(work.X), torch.from_numpy(work.y)
    return lambda: train(X, y, work.epochs)


def torch_network(network: str) -> Any:
    """The workload's network as an ``nn.Sequential`` (logits out: the loss has softmax)."""
    from torch import nn

    layers: list[nn.Module] = []
    if network == "lenet":
        layers += [nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
        layers += [nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()]
        sizes: Sequence[int] = (16 * 5 * 5, 120, 84, SIZES[-1])
    else:
        sizes = SIZES
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the output layer


def prepare_sklearn(work: Workload) -> Timed:
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError as exc:
        raise PeerUnavailable("not installed") from exc
    if work.optimizer not in SKLEARN_SOLVERS:
        raise PeerUnavailable(f"no {work.optimizer}")
    if work.network != "mlp":
        raise PeerUnavailable("no convolutions")

    def train(X: np.ndarray, y: np.ndarray, epochs: int) -> object:
        model = MLPClassifier(
            hidden_layer_sizes=SIZES[1:-1],
            activation="relu",
            batch_size=work.batch_size,
            learning_rate="constant",
            learning_rate_init=LEARNING_RATES[work.optimizer],
            max_iter=epochs,
            shuffle=True,
            alpha=0.0,
            random_state=work.seed,
            **SKLEARN_SOLVERS[work.optimizer],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
            return model.fit(X, y)

    train(*work.warmup(), epochs=1)
    return lambda: train(work.X, work.y, work.epochs)


def prepare_gemm_bound(work: Workload) -> Timed:
    """The eight matrix products of a training step, for every batch of the epochs."""
    if work.network != "mlp":
        raise PeerUnavailable("MLP only")
    rng = np.random.default_rng(work.seed)
    batch = work.batch_size

    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    W = [matrix(n_out, n_in) for n_in, n_out in itertools.pairwise(SIZES)]
    A = [np.ascontiguousarray(work.X[:batch])]  # A[0] = X, then A1, A2 and Z3
    A += [np.empty((batch, w.shape[0]), np.float32) for w in W]
    delta = [matrix(batch, w.shape[0]) for w in W]
    dW = [np.empty_like(w) for w in W]
    dA = [np.empty((batch, w.shape[1]), np.float32) for w in W]

    def step_products(m: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(left, right, out)`` of each product of a step on ``m`` rows."""
        products = [(A[k][:m], W[k].T, A[k + 1][:m]) for k in range(len(W))]  # forward
        for k in reversed(range(len(W))):  # backward; no gradient is sent to X
            products.append((delta[k][:m].T, A[k][:m], dW[k]))
            if k > 0:
                products.append((delta[k][:m], W[k], dA[k][:m]))
        return products

    full, last = divmod(work.X.shape[0], batch)  # batches as fit makes them
    epoch = [step_products(batch)] * full + ([step_products(last)] if last else [])
    assert all(len(products) == 8 for products in epoch)

    def run(steps: Sequence[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> None:
        for products in steps:
            for left, right, out in products:
                np.matmul(left, right, out=out)

    def limited(steps: Sequence[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> None:
        # The same thread limit as glassnet's fit(threads=…), so the bound stays its bound.
        with gn.backend.blas_threads(work.threads):
            run(steps)

    limited(epoch[:8])  # warm-up
    return lambda: limited(epoch * work.epochs)


PEERS: dict[str, Callable[[Workload], Timed]] = {
    "glassnet": prepare_glassnet,
    "torch": prepare_torch,
    "sklearn": prepare_sklearn,
    "gemm_bound": prepare_gemm_bound,
}
RATIOS = {"torch": "glassnet/torch", "sklearn": "glassnet/sklearn", "gemm_bound": "glassnet/bound"}
"""Each peer glassnet is compared with, and the ratio's column name."""

OVERHEAD_PEERS: dict[str, Callable[[Workload], Timed]] = {
    "glassnet+dropout": lambda work: prepare_glassnet(work, dropout=0.2),
    "glassnet+batchnorm": lambda work: prepare_glassnet(work, batch_norm=True),
}
"""With ``--overhead``: glassnet with dropout (0.2 after each hidden layer) or batch norm
(on each hidden layer), timed in the same process as plain glassnet; the report gives
each one's cost, ``1 − variant/plain``."""


def profile_glassnet(work: Workload) -> dict[str, float]:
    """glassnet's milliseconds per step in each layer and conv stage (``--profile``), on
    the first 8,192 samples after a warm-up."""
    from cnn_profile import stage_times  # beside this script

    net = glassnet_network(work)
    options = {
        "batch_size": work.batch_size,
        "optimizer": GLASSNET_OPTIMIZERS[work.optimizer](LEARNING_RATES[work.optimizer]),
        "seed": work.seed,
        "threads": work.threads,
    }
    net.fit(*work.warmup(), epochs=1, **options)
    return stage_times(net, work.X[:8192], work.y[:8192], **options)


# -- one process --------------------------------------------------------------------------


def load_data(
    samples: int, mnist: Path | None, seed: int, network: str = "mlp"
) -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, description)``: synthetic by default, or the MNIST training set; rows of
    784 pixels for the MLP, ``1 × 28 × 28`` images for LeNet."""
    shape = (-1, SIZES[0]) if network == "mlp" else (-1, *IMAGE_SHAPE)
    if mnist is None:
        rng = np.random.default_rng(seed)
        X = rng.random((samples, SIZES[0]), dtype=np.float32).reshape(shape)
        y = rng.integers(0, SIZES[-1], samples, dtype=np.int64)
        return X, y, f"synthetic (uniform pixels, random labels, seed {seed})"
    images = load_idx(mnist / "train-images-idx3-ubyte.gz").reshape(-1, SIZES[0])
    labels = load_idx(mnist / "train-labels-idx1-ubyte.gz")
    if samples > images.shape[0]:
        raise SystemExit(f"--samples {samples} is more than the {images.shape[0]} MNIST images")
    X = np.ascontiguousarray(images[:samples], dtype=np.float32) / np.float32(255)
    return X.reshape(shape), labels[:samples].astype(np.int64), f"MNIST training set from {mnist}"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every peer at every batch size in this process: ``{"meta": …, "rows": […]}``."""
    X, y, description = load_data(args.samples, args.mnist, args.seed, args.network)
    peers = {**PEERS, **(OVERHEAD_PEERS if args.overhead else {})}
    names = list(peers)
    shift = args.order_offset % len(names)
    order = names[shift:] + names[:shift]
    rows = []
    for batch_size in args.batch_sizes:
        work = Workload(
            X,
            y,
            batch_size,
            args.epochs,
            args.optimizer,
            args.seed,
            args.threads,
            args.network,
            args.torch_threads,
        )
        row: dict[str, Any] = {"batch_size": batch_size, "missing": {}}
        for name in order:
            try:
                row[name] = samples_per_second(peers[name], work)
                row[name + " MB"] = LAST_PEAK_MB
            except PeerUnavailable as why:
                row[name] = None
                row["missing"][name] = str(why)
        for peer, ratio in RATIOS.items():
            row[ratio] = row["glassnet"] / row[peer] if row[peer] else None
        for variant in OVERHEAD_PEERS if args.overhead else ():
            row[variant + " cost"] = 1 - row[variant] / row["glassnet"]
        if args.profile:
            row["profile"] = profile_glassnet(work)
        rows.append(row)
    return {"meta": describe(args, description), "rows": rows}


def describe(args: argparse.Namespace, data: str) -> dict[str, Any]:
    """Versions, threads and settings, for the header."""
    meta: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "glassnet": gn.__version__,
        "cpus": os.cpu_count(),
        "network": "784-256-128-10 MLP"
        if args.network == "mlp"
        else f"LeNet-5-sized: {LENET},10 on {IMAGE_SHAPE}",
        "data": data,
        "samples": args.samples,
        "data MB": round(args.samples * 784 * 4 / 2**20, 1),
        "epochs": args.epochs,
        "optimizer": args.optimizer,
        "glassnet threads": args.threads or "BLAS default",
        "compiled kernels": "numba" if gn.kernels.compiled("adam") else "none (NumPy)",
    }
    try:
        import torch

        threads = args.torch_threads or os.cpu_count()
        meta["torch"] = f"{torch.__version__}, {threads} threads"
    except ImportError:
        meta["torch"] = "not installed"
    try:
        import sklearn

        meta["sklearn"] = f"{sklearn.__version__}, computes in {sklearn_dtype()} on float32 input"
    except ImportError:
        meta["sklearn"] = "not installed"
    try:
        from threadpoolctl import threadpool_info

        pools = [f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()]
        meta["thread pools"] = ", ".join(pools) + " threads"
    except ImportError:
        pass
    return meta


def sklearn_dtype() -> str:
    """The dtype of MLPClassifier's weights after a fit on float32 data."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.random((64, 4), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier((3,), solver="sgd", max_iter=1).fit(X, np.arange(64) % 3)
    return str(model.coefs_[0].dtype)


# -- the driver ---------------------------------------------------------------------------


def drive(args: argparse.Namespace, argv: Sequence[str]) -> list[dict[str, Any]]:
    """Run ``--repeats`` fresh processes of this script and collect their results."""
    results = []
    for i in range(args.repeats):
        started = time.perf_counter()
        command = [sys.executable, __file__, *argv, "--single", "--json", "--order-offset", str(i)]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        seconds = time.perf_counter() - started
        print(f"process {i + 1}/{args.repeats} done in {seconds:.0f} s", file=sys.stderr)
    return results


def report(results: list[dict[str, Any]]) -> str:
    """The table: medians over processes, and each ratio's min–max."""
    meta = results[0]["meta"]
    lines = [f"{key}: {value}" for key, value in meta.items()]
    lines.append(
        f"processes: {len(results)}; samples/s and ratios are medians over processes, "
        "ratios [min-max]"
    )
    header = ["batch", "glassnet/s", "torch/s", "glassnet/torch", "sklearn/s"]
    header += ["glassnet/sklearn", "GEMM bound/s", "glassnet/bound"]
    variant_columns = all(variant in results[0]["rows"][0] for variant in OVERHEAD_PEERS)
    for variant in OVERHEAD_PEERS if variant_columns else ():
        header += [f"{variant.removeprefix('glassnet')}/s", "cost"]
    table = [header]
    for index, first in enumerate(results[0]["rows"]):
        rows = [result["rows"][index] for result in results]
        cells = [str(first["batch_size"]), _rate(rows, "glassnet")]
        for peer, ratio in RATIOS.items():
            cells += [_rate(rows, peer), _ratio(rows, ratio)]
        for variant in OVERHEAD_PEERS if variant_columns else ():
            cells += [_rate(rows, variant), _ratio(rows, variant + " cost")]
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        lines.append("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    lines.append(
        "memory: the peak resident memory of the timed run above that before it, MB "
        f"(median; the data are {results[0]['meta'].get('data MB', '?')} MB and in place "
        "before it)"
    )
    for index, first in enumerate(results[0]["rows"]):
        rows = [result["rows"][index] for result in results]
        peaks = []
        for peer in ("glassnet", *RATIOS):
            values = [row.get(peer + " MB") for row in rows if row.get(peer + " MB") is not None]
            if values:
                peaks.append(f"{peer} {statistics.median(values):,.1f}")
        lines.append(f"  batch {first['batch_size']}: " + ", ".join(peaks))
    for index, first in enumerate(results[0]["rows"]):
        if "profile" in first:
            from cnn_profile import format_stages  # beside this script

            profiles = [result["rows"][index]["profile"] for result in results]
            median = {key: statistics.median(p[key] for p in profiles) for key in profiles[0]}
            lines.append(
                f"glassnet, batch {first['batch_size']}: milliseconds per step "
                f"(median over {len(profiles)} processes)"
            )
            lines += format_stages(median)
    return "\n".join(lines)


def _rate(rows: list[dict[str, Any]], name: str) -> str:
    values = [row[name] for row in rows if row[name] is not None]
    if not values:
        return rows[0]["missing"].get(name, "n/a")
    return f"{statistics.median(values):,.0f}"


def _ratio(rows: list[dict[str, Any]], name: str) -> str:
    values = [row[name] for row in rows if row[name] is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--batch-sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[32, 128, 512],
        help="comma-separated mini-batch sizes",
    )
    parser.add_argument("--samples", type=int, default=60_000, help="samples per epoch")
    parser.add_argument("--epochs", type=int, default=1, help="epochs in each timed run")
    parser.add_argument(
        "--optimizer", choices=sorted(GLASSNET_OPTIMIZERS), default="sgd", help="update rule"
    )
    parser.add_argument(
        "--threads", type=int, help="BLAS threads of glassnet and the GEMM bound (default: BLAS's)"
    )
    parser.add_argument(
        "--torch-threads", type=int, help="PyTorch's threads (default: one per core)"
    )
    parser.add_argument(
        "--network", choices=NETWORKS, default="mlp", help="the MLP or the LeNet-5-sized CNN"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also report glassnet's milliseconds per step in each layer and conv stage",
    )
    parser.add_argument("--mnist", type=Path, help="a directory with MNIST's IDX .gz files")
    parser.add_argument("--seed", type=int, default=0, help="seed of data, weights and shuffles")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes to run")
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="also time glassnet with dropout and with batch norm, and report their cost",
    )
    parser.add_argument("--single", action="store_true", help="measure in this process only")
    parser.add_argument("--json", action="store_true", help="with --single: one JSON line")
    parser.add_argument("--order-offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.batch_sizes) < 1 or args.samples < 1 or args.epochs < 1 or args.repeats < 1:
        parser.error("batch sizes, --samples, --epochs and --repeats must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.single:
        result = measure(args)
        print(json.dumps(result) if args.json else report([result]), flush=True)
    else:
        print(report(drive(args, argv)), flush=True)


if __name__ == "__main__":
    main()
