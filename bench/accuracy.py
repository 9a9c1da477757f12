"""Test accuracy of glassnet on four public datasets, next to scikit-learn and PyTorch.

Each dataset is trained from its files in the shared datasets folder (by default the
``shared/datasets`` folder next to the repository, or ``--data DIR``), with one recipe
per dataset, over several seeds; the script prints each score as mean ± std over the
seeds, with the architecture, the epochs, the batch size and the wall time.

MNIST, Fashion-MNIST (``mnist``, ``fashion``)
    The official 60,000 training images, scored on the official 10,000 test images;
    pixels ``x / 255`` in [0, 1], no convolution and no augmentation.
MNIST and Fashion-MNIST with a CNN (``mnist-cnn``, ``fashion-cnn``)
    The same images as ``1 × 28 × 28`` arrays, through a small convolutional network given
    as glassnet's architecture string (``Recipe.layers``, e.g. ``conv32k3p1, pool2,
    conv64k3p1, pool2, 128``, then the softmax output); PyTorch builds the same layers
    from the same string (bench/cnn_peers.py). No augmentation. scikit-learn has no
    convolutions and sits these rows out. They are not in the default ``--datasets``:
    ask for them, e.g. ``--datasets mnist-cnn,fashion-cnn --seeds 1``.
California housing (``housing``)
    ``median_house_value`` from the other nine columns: ``total_bedrooms`` imputed with
    the training median, ``ocean_proximity`` one-hot, every numeric column standardized,
    and the target standardized for training; R² in dollars on a held-out 20 % (one
    split, seed 0, the same for every seed and peer).
Adult (``adult``)
    Income ``>50K`` from 14 census columns: trained on ``adult.data``, scored on
    ``adult.test`` (accuracy, and F1 of the positive class ``>50K``); numeric columns
    standardized, categorical ones one-hot, a missing value (``?``) one-hot as all zeros.

Preprocessing is fitted on the training rows only (:class:`glassnet.data.Preprocessor`)
and shared by the peers:

glassnet
    ``Network.build(sizes, activation="relu", dropout=…, batch_norm=…)`` trained by
    ``fit`` with ``Adam(lr)`` and ``LearningRateScheduler(CosineDecay(epochs))``, for a
    fixed number of epochs (no early stopping).
sklearn
    ``MLPClassifier`` / ``MLPRegressor(solver="adam")`` with the same hidden sizes, batch
    size, learning rate, ``alpha`` = glassnet's ``l2``, ``max_iter=epochs``,
    ``early_stopping=False`` and ``n_iter_no_change=epochs`` (so it runs every epoch).
    It has no dropout, no batch norm and, with Adam, no learning-rate schedule.
torch
    ``nn.Sequential`` of ``Linear`` (He-normal weights, zero biases, as glassnet),
    ``BatchNorm1d`` where glassnet has batch norm, ``ReLU``, ``Dropout``, and a
    Xavier-uniform output layer; ``CrossEntropyLoss``, ``BCEWithLogitsLoss`` or half the
    ``MSELoss`` (glassnet's ``½(ŷ − y)²``); ``torch.optim.Adam`` with glassnet's cosine
    learning rate set at the start of every epoch, on the CPU.

Every peer runs with ``--threads`` threads (BLAS through threadpoolctl, PyTorch through
``torch.set_num_threads``), one by default: on a shared two-core machine, two-thread
matrix products stall whenever another process takes a core (20 epochs of MNIST took
61 s or 231 s; 5 epochs of a 13-256-256-1 network 0.9 s with one thread, 13–48 s with
two), while one thread is nearly as fast as two on an idle machine. ``--threads 0``
leaves each library its default.

Run it from the repository root::

    python bench/accuracy.py                          # everything, 3 seeds (~30 min, 2 cores)
    python bench/accuracy.py --quick                  # a smoke test, under a minute
    python bench/accuracy.py --datasets mnist --peers glassnet --seeds 1
    python bench/accuracy.py --datasets fashion --validation --epochs 30 --dropout 0.3
    python bench/accuracy.py --datasets mnist-cnn,fashion-cnn --peers glassnet,torch --seeds 1
    python bench/accuracy.py --datasets fashion-cnn --validation --layers conv32k3p1,pool2,128

``--validation`` scores on a seeded, stratified part of the training data (1/6 of the
images, 20 % of the tabular rows) instead of the test set, for choosing a recipe without
looking at the test set; ``--hidden``, ``--epochs``, ``--dropout``, ``--batch-norm``,
``--lr``, ``--batch-size``, ``--l2`` and (for the CNN rows) ``--layers`` override the
recipes in ``RECIPES``.

Progress (one line per seed and peer, with its time) goes to stderr; the command, the
versions and a Markdown table go to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import itertools
import os
import platform
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

import glassnet as gn
from glassnet.data import Preprocessor, Table, load_csv, load_mnist_dir, train_test_split
from glassnet.metrics import accuracy_score, f1_score, r2_score

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench helpers beside this file
import cnn_peers

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
"""The ``shared/datasets`` folder next to the repository."""
SPLIT_SEED = 0
"""Seed of the housing test split and of every ``--validation`` split."""
ADULT_COLUMNS = (
    "age workclass fnlwgt education education-num marital-status occupation relationship "
    "race sex capital-gain capital-loss hours-per-week native-country income"
).split()

Kind = Literal["multiclass", "binary", "regression"]


# -- recipes ------------------------------------------------------------------------------


CNN_LAYERS = "conv32k3p1,pool2,conv64k3p1,pool2,128"
"""The CNN rows' network before its output layer (about 4.2 M multiply-adds a sample),
chosen on a validation split of Fashion-MNIST: 92.33 % against 91.27 % for 16 and 32
filters trained 12 epochs."""


@dataclass(frozen=True)
class Recipe:
    """A network and how to train it; every peer gets the same one."""

    hidden: tuple[int, ...]
    epochs: int
    batch_size: int = 128
    learning_rate: float = 1e-3
    dropout: float = 0.0
    """Rate of the dropout after each hidden layer (not in scikit-learn)."""
    batch_norm: bool = False
    """Batch norm of each hidden layer's ``Z``, before the ReLU (not in scikit-learn)."""
    l2: float = 0.0
    """glassnet's ``λ`` of ``λ/(2m) Σ‖W‖²`` (scikit-learn's ``alpha``)."""
    train_samples: int | None = None
    """Train on a seeded sample of this many rows (``--quick``); None for all."""
    layers: str | None = None
    """A CNN's hidden layers as an architecture string (``hidden`` is then unused)."""

    def describe(self, n_in: int, n_out: int) -> str:
        """``784-512-512-10 ReLU, dropout 0.2, Adam 1e-3 cosine, 20 epochs, batch 128``."""
        if self.layers is not None:
            parts = [f"CNN {self.layers},{n_out} ReLU"]
        else:
            parts = ["-".join(map(str, (n_in, *self.hidden, n_out))) + " ReLU"]
        if self.batch_norm:
            parts.append("batch norm")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.l2:
            parts.append(f"L2 {self.l2:g}")
        parts.append(f"Adam {self.learning_rate:g} cosine")
        parts.append(f"{self.epochs} epochs, batch {self.batch_size}")
        if self.train_samples is not None:
            parts.append(f"{self.train_samples:,} training rows")
        return ", ".join(parts)


RECIPES: dict[str, Recipe] = {
    "mnist": Recipe(hidden=(512, 512), epochs=20, dropout=0.3, batch_norm=True),
    "fashion": Recipe(hidden=(512, 512), epochs=20, dropout=0.3, batch_norm=True),
    "housing": Recipe(hidden=(128, 128), epochs=50, batch_size=64),
    "adult": Recipe(hidden=(128, 128), epochs=10, dropout=0.3),
    "mnist-cnn": Recipe(hidden=(), layers=CNN_LAYERS, epochs=15, dropout=0.3),
    "fashion-cnn": Recipe(hidden=(), layers=CNN_LAYERS, epochs=15, dropout=0.3),
}
"""The recipes of a full run, chosen with ``--validation`` (glassnet alone, one or two
seeds) among a few variants: for MNIST and Fashion-MNIST dropout 0.2/0.3/0.4, with and
without batch norm, 15–30 epochs; for housing and Adult a few widths, batch sizes and
epoch counts (see bench/README.md)."""
QUICK_RECIPES: dict[str, Recipe] = {
    "mnist": Recipe(hidden=(64,), epochs=2, train_samples=5000),
    "fashion": Recipe(hidden=(64,), epochs=2, train_samples=5000),
    "housing": Recipe(hidden=(32,), epochs=3),
    "adult": Recipe(hidden=(32,), epochs=2, train_samples=5000),
    "mnist-cnn": Recipe(hidden=(), layers="conv8k3p1,pool2,32", epochs=1, train_samples=3000),
    "fashion-cnn": Recipe(hidden=(), layers="conv8k3p1,pool2,32", epochs=1, train_samples=3000),
}
"""The recipes of ``--quick``: a smoke test of the script, not of the accuracy."""


# -- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A dataset ready to train on: float32 features, shared by every peer."""

    name: str
    kind: Kind
    X_train: np.ndarray
    """``(m, n)`` float32."""
    y_train: np.ndarray
    """``(m,)``: int64 classes, or float32 standardized targets for regression."""
    X_test: np.ndarray
    y_test: np.ndarray
    """``(m_test,)``: int64 classes, or float64 targets in original units."""
    n_outputs: int
    split: str
    """What is trained on and what is scored, for the header."""
    target_mean: float = 0.0
    target_std: float = 1.0

    def subsample(self, n: int | None, seed: int) -> Task:
        """The task with a seeded sample of ``n`` training rows (all when ``n`` is None)."""
        if n is None or n >= len(self.y_train):
            return self
        rows = np.random.default_rng(seed).permutation(len(self.y_train))[:n]
        return replace(self, X_train=self.X_train[rows], y_train=self.y_train[rows])


def load_images(folder: Path, name: str, validation: bool, images: bool = False) -> Task:
    """MNIST or Fashion-MNIST: 60k training images, the 10k test images (or a holdout);
    rows of 784 pixels, or ``(1, 28, 28)`` arrays with ``images``."""
    X, y = load_mnist_dir(folder, "train")
    if validation:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=10_000, stratify=True, seed=SPLIT_SEED
        )
        split = f"{len(y):,} training images, scored on {len(y_test):,} held out of training"
    else:
        X_test, y_test = load_mnist_dir(folder, "test")
        split = f"{len(y):,} training images, scored on the {len(y_test):,} test images"
    if images:
        X, X_test = X.reshape(-1, 1, 28, 28), X_test.reshape(-1, 1, 28, 28)
    return Task(name, "multiclass", X, y, X_test, y_test, 10, split)


def load_housing(folder: Path, validation: bool) -> Task:
    """California housing: a seeded 80/20 split, preprocessed, the target standardized."""
    table = load_csv(folder / "housing.csv", target="median_house_value")
    train, test, y, y_test = train_test_split(table, table.target, test_size=0.2, seed=SPLIT_SEED)
    split = f"{len(y):,} districts, scored on a held-out {len(y_test):,} (seed {SPLIT_SEED})"
    if validation:
        train, test, y, y_test = train_test_split(train, y, test_size=0.2, seed=SPLIT_SEED)
        split = f"{len(y):,} districts, scored on {len(y_test):,} held out of training"
    X, X_test = preprocess(train, test)
    mean, std = float(y.mean()), float(y.std())
    y_scaled = ((y - mean) / std).astype(np.float32)
    return Task(
        "California housing", "regression", X, y_scaled, X_test, y_test, 1, split, mean, std
    )


def load_adult(folder: Path, validation: bool) -> Task:
    """Adult: ``adult.data`` for training, ``adult.test`` (or a holdout) for scoring."""

    def read(file: str, skip_lines: int) -> tuple[Table, np.ndarray]:
        table = load_csv(
            folder / file, target="income", header=False, names=ADULT_COLUMNS, skip_lines=skip_lines
        )
        assert table.target is not None
        # adult.test writes its labels ">50K." and "<=50K.".
        labels = np.array([str(label).rstrip(".") for label in table.target])
        return table, (labels == ">50K").astype(np.int64)

    train, y = read("adult.data", 0)
    if validation:
        train, test, y, y_test = train_test_split(
            train, y, test_size=0.2, stratify=True, seed=SPLIT_SEED
        )
        split = f"{len(y):,} rows of adult.data, scored on {len(y_test):,} held out of them"
    else:
        test, y_test = read("adult.test", 1)  # its first line is "|1x3 Cross validator"
        split = f"adult.data ({len(y):,} rows), scored on adult.test ({len(y_test):,} rows)"
    X, X_test = preprocess(train, test)
    return Task("Adult", "binary", X, y, X_test, y_test, 1, split)


def preprocess(train: Table, test: Table) -> tuple[np.ndarray, np.ndarray]:
    """Impute, standardize and one-hot, fitted on ``train``; float32 matrices."""
    pre = Preprocessor(scale="standard").fit(train)
    return pre.transform(train).astype(np.float32), pre.transform(test).astype(np.float32)


LOADERS: dict[str, tuple[str, Callable[[Path, bool], Task]]] = {
    "mnist": ("mnist", lambda folder, val: load_images(folder, "MNIST", val)),
    "fashion": ("fashion-mnist", lambda folder, val: load_images(folder, "Fashion-MNIST", val)),
    "housing": ("california-housing", load_housing),
    "adult": ("adult", load_adult),
    "mnist-cnn": ("mnist", lambda folder, val: load_images(folder, "MNIST (CNN)", val, True)),
    "fashion-cnn": (
        "fashion-mnist",
        lambda folder, val: load_images(folder, "Fashion-MNIST (CNN)", val, True),
    ),
}
"""Each dataset's key, its folder under the data directory, and its loader."""


# -- the peers ----------------------------------------------------------------------------


class PeerUnavailable(Exception):
    """A peer's library is not installed."""


Peer = Callable[[Task, Recipe, int], np.ndarray]
"""Train on the task's training rows with a seed; return test predictions (class labels,
or targets in original units)."""


def run_glassnet(task: Task, recipe: Recipe, seed: int) -> np.ndarray:
    if recipe.layers is not None:
        net = cnn_peers.glassnet_network(
            recipe.layers,
            task.X_train.shape[1:],
            task.n_outputs,
            dropout=recipe.dropout,
            batch_norm=recipe.batch_norm,
            seed=seed,
            l2=recipe.l2,
        )
    else:
        net = gn.Network.build(
            [task.X_train.shape[1], *recipe.hidden, task.n_outputs],
            activation="relu",
            loss="mse" if task.kind == "regression" else None,
            dropout=recipe.dropout,
            batch_norm=recipe.batch_norm,
            l2=recipe.l2,
            seed=seed,
            dtype="float32",
        )
    net.fit(
        task.X_train,
        task.y_train,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        optimizer=gn.Adam(recipe.learning_rate),
        callbacks=[gn.LearningRateScheduler(gn.CosineDecay(recipe.epochs))],
        seed=seed,
    )
    predicted = np.asarray(net.predict(task.X_test))
    if task.kind == "regression":
        return predicted.astype(np.float64) * task.target_std + task.target_mean
    return predicted


def run_sklearn(task: Task, recipe: Recipe, seed: int) -> np.ndarray:
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    except ImportError as exc:
        raise PeerUnavailable("not installed") from exc
    if recipe.layers is not None:
        raise PeerUnavailable("no convolutions")
    settings: dict[str, Any] = {
        "hidden_layer_sizes": recipe.hidden,
        "activation": "relu",
        "solver": "adam",
        "alpha": recipe.l2,
        "batch_size": recipe.batch_size,
        "learning_rate_init": recipe.learning_rate,
        "max_iter": recipe.epochs,
        "shuffle": True,
        "random_state": seed,
        "early_stopping": False,
        "n_iter_no_change": recipe.epochs,  # the loss never stops it: every epoch runs
    }
    model = MLPRegressor(**settings) if task.kind == "regression" else MLPClassifier(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
        model.fit(task.X_train, task.y_train)
    predicted = np.asarray(model.predict(task.X_test))
    if task.kind == "regression":
        return predicted.astype(np.float64) * task.target_std + task.target_mean
    return predicted


def run_torch(task: Task, recipe: Recipe, seed: int) -> np.ndarray:
    try:
        import torch
        from torch import nn
    except ImportError as exc:
        raise PeerUnavailable("not installed") from exc
    torch.manual_seed(seed)
    if recipe.layers is not None:
        model = cnn_peers.torch_model(
            recipe.layers,
            task.X_train.shape[1:],
            task.n_outputs,
            dropout=recipe.dropout,
            batch_norm=recipe.batch_norm,
        )
    else:
        model = mlp_model(task, recipe)

    X = torch.from_numpy(np.ascontiguousarray(task.X_train))
    if task.kind == "multiclass":
        y = torch.from_numpy(task.y_train.astype(np.int64))
        loss_fn: Callable[[Any, Any], Any] = nn.CrossEntropyLoss()
    else:
        y = torch.from_numpy(task.y_train.astype(np.float32)).reshape(-1, 1)
        if task.kind == "binary":
            loss_fn = nn.BCEWithLogitsLoss()
        else:
            mse = nn.MSELoss()
            loss_fn = lambda output, target: 0.5 * mse(output, target)  # noqa: E731
    # glassnet's λ/(2m)‖W‖² has the gradient (λ/m) W: weight decay λ/batch on weights only.
    weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim > 1]
    others = [
        p for name, p in model.named_parameters() if not (name.endswith("weight") and p.ndim > 1)
    ]
    optimizer = torch.optim.Adam(
        [
            {"params": weights, "weight_decay": recipe.l2 / recipe.batch_size},
            {"params": others, "weight_decay": 0.0},
        ],
        lr=recipe.learning_rate,
    )
    schedule = gn.CosineDecay(recipe.epochs)
    generator = torch.Generator().manual_seed(seed)
    m = X.shape[0]
    model.train()
    for epoch in range(1, recipe.epochs + 1):
        for group in optimizer.param_groups:
            group["lr"] = schedule(epoch, recipe.learning_rate)
        order = torch.randperm(m, generator=generator)
        for start in range(0, m, recipe.batch_size):
            rows = order[start : start + recipe.batch_size]
            optimizer.zero_grad()
            loss_fn(model(X[rows]), y[rows]).backward()
            optimizer.step()
    model.eval()
    X_test = torch.from_numpy(np.ascontiguousarray(task.X_test))
    with torch.no_grad():  # in chunks: a CNN's feature maps of 10,000 images fill gigabytes
        out = torch.cat([model(X_test[i : i + 1000]) for i in range(0, len(X_test), 1000)])
    out = out.numpy()
    if task.kind == "multiclass":
        return out.argmax(axis=1)
    if task.kind == "binary":
        return (out[:, 0] > 0).astype(np.int64)
    return out[:, 0].astype(np.float64) * task.target_std + task.target_mean


def mlp_model(task: Task, recipe: Recipe) -> Any:
    """The recipe's MLP in PyTorch: He-normal ReLU layers, a Xavier-uniform output."""
    from torch import nn

    sizes = [task.X_train.shape[1], *recipe.hidden]
    layers: list[nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes):
        linear = nn.Linear(n_in, n_out)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")  # glassnet's He normal
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if recipe.batch_norm:
            layers.append(nn.BatchNorm1d(n_out))
        layers.append(nn.ReLU())
        if recipe.dropout:
            layers.append(nn.Dropout(recipe.dropout))
    output = nn.Linear(sizes[-1], task.n_outputs)
    nn.init.xavier_uniform_(output.weight)  # glassnet's default for a non-ReLU output
    nn.init.zeros_(output.bias)
    return nn.Sequential(*layers, output)


PEERS: dict[str, tuple[str, Peer]] = {
    "glassnet": ("glassnet", run_glassnet),
    "sklearn": ("scikit-learn", run_sklearn),
    "torch": ("PyTorch", run_torch),
}
"""Each peer's key, its column title and its runner."""
MODULES = {"glassnet": "glassnet", "sklearn": "sklearn", "torch": "torch"}


# -- scores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """How to compute and print one figure of a task."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    percent: bool


SCORES: dict[Kind, tuple[Score, ...]] = {
    "multiclass": (Score("accuracy", accuracy_score, percent=True),),
    "binary": (
        Score("accuracy", accuracy_score, percent=True),
        Score("F1 (>50K)", lambda t, p: f1_score(t, p, average="binary"), percent=False),
    ),
    "regression": (Score("R²", r2_score, percent=False),),
}


@dataclass
class Result:
    """One peer on one task: each score and the seconds of each seed."""

    scores: dict[str, list[float]]
    seconds: list[float]
    missing: str | None = None


def benchmark(task: Task, recipe: Recipe, peer: str, seeds: Sequence[int]) -> Result:
    """Train and score ``peer`` once per seed, printing a line per seed to stderr."""
    run = PEERS[peer][1]
    result = Result({score.name: [] for score in SCORES[task.kind]}, [])
    for seed in seeds:
        sample = task.subsample(recipe.train_samples, seed)
        started = time.perf_counter()
        try:
            predicted = run(sample, recipe, seed)
        except PeerUnavailable as why:
            result.missing = str(why)
            return result
        seconds = time.perf_counter() - started
        result.seconds.append(seconds)
        figures = []
        for score in SCORES[task.kind]:
            value = float(score.fn(task.y_test, predicted))
            result.scores[score.name].append(value)
            figures.append(f"{score.name} {_figure(value, score.percent)}")
        log(f"  {task.name}  {peer:<8}  seed {seed}: {', '.join(figures)}  ({seconds:.1f} s)")
    return result


def _figure(value: float, percent: bool) -> str:
    return f"{100 * value:.2f} %" if percent else f"{value:.4f}"


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def mean_std(values: Sequence[float], percent: bool) -> str:
    """``98.41 ± 0.05 %`` (sample standard deviation over seeds), or one value."""
    scale, digits, unit = (100.0, 2, " %") if percent else (1.0, 4, "")
    mean = statistics.fmean(values) * scale
    if len(values) < 2:
        return f"{mean:.{digits}f}{unit}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values) * scale:.{digits}f}{unit}"


# -- the report ---------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress, to stderr."""
    print(message, file=sys.stderr, flush=True)


def say(text: str = "") -> None:
    """The report, to stdout, flushed so that it interleaves with the progress."""
    print(text, flush=True)


def limit_threads(threads: int) -> contextlib.AbstractContextManager[object]:
    """Give every peer ``threads`` threads (0: each library's default, every core).

    NumPy's BLAS (glassnet's and scikit-learn's matrix products) through threadpoolctl,
    PyTorch through ``torch.set_num_threads``.
    """
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads or os.cpu_count() or 1)
    if threads == 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log("note: threadpoolctl is not installed; NumPy's BLAS keeps its default threads")
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def versions() -> list[str]:
    """Versions of Python, NumPy and each peer's library, and the cores."""
    lines = [
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, glassnet {gn.__version__}",
    ]
    for module in ("sklearn", "torch"):
        if importlib.util.find_spec(module) is None:
            lines.append(f"{module}: not installed")
        else:
            lines.append(f"{module}: {__import__(module).__version__}")
    return lines


def table(rows: list[tuple[Task, Recipe, dict[str, Result]]], peers: Sequence[str]) -> str:
    """The Markdown table: one row per dataset and score, one column per peer."""
    titles = {key: title for key, (title, _) in PEERS.items()}
    header = ["dataset", "model", *(titles[peer] for peer in PEERS), "wall time per seed"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for task, recipe, results in rows:
        model = recipe.describe(task.X_train.shape[1], task.n_outputs)
        times = ", ".join(
            f"{titles[peer]} {_seconds(statistics.fmean(results[peer].seconds))}"
            for peer in peers
            if results[peer].seconds
        )
        for score in SCORES[task.kind]:
            cells = [f"{task.name}, {score.name}", model]
            for peer in PEERS:
                result = results.get(peer)
                if result is None:
                    cells.append("not run")
                elif result.missing:
                    cells.append(result.missing)
                else:
                    cells.append(mean_std(result.scores[score.name], score.percent))
            cells.append(times)
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the command line ---------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )

    def names(choices: Sequence[str]) -> Callable[[str], list[str]]:
        def parse(text: str) -> list[str]:
            chosen = [part.strip() for part in text.split(",") if part.strip()]
            if unknown := [name for name in chosen if name not in choices]:
                raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {list(choices)}")
            return chosen

        return parse

    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the datasets folder")
    parser.add_argument(
        "--datasets",
        type=names(list(LOADERS)),
        default=[name for name in LOADERS if not name.endswith("-cnn")],
        help="comma-separated",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0 … N−1 per peer")
    parser.add_argument(
        "--peers", type=names(list(PEERS)), default=list(PEERS), help="comma-separated"
    )
    parser.add_argument("--quick", action="store_true", help="tiny recipes: a smoke test")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="score on a part held out of the training data, not on the test set",
    )
    override = parser.add_argument_group("recipe overrides (for every chosen dataset)")
    override.add_argument(
        "--hidden",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        help="hidden layer sizes, e.g. 512,512",
    )
    override.add_argument("--epochs", type=int)
    override.add_argument("--batch-size", type=int)
    override.add_argument("--lr", type=float, dest="learning_rate", help="Adam's learning rate")
    override.add_argument("--dropout", type=float)
    override.add_argument("--batch-norm", action=argparse.BooleanOptionalAction)
    override.add_argument("--l2", type=float)
    override.add_argument(
        "--layers", help="the CNN rows' hidden layers, e.g. conv32k3p1,pool2,conv64k3p1,pool2,128"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of every peer's BLAS and of PyTorch; 0 for each library's default",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.threads < 0:
        parser.error("--threads must be 0 (the libraries' defaults) or more")
    return args


def recipe_for(dataset: str, args: argparse.Namespace) -> Recipe:
    """The dataset's recipe, with the command line's overrides."""
    recipe = (QUICK_RECIPES if args.quick else RECIPES)[dataset]
    fields = ("hidden", "epochs", "batch_size", "learning_rate", "dropout", "batch_norm", "l2")
    changes = {name: getattr(args, name) for name in fields if getattr(args, name) is not None}
    if args.layers is not None and recipe.layers is not None:
        changes["layers"] = args.layers
    return replace(recipe, **changes)


def run_dataset(
    dataset: str, args: argparse.Namespace, peers: Sequence[str], seeds: Sequence[int]
) -> tuple[Task, Recipe, dict[str, Result]]:
    """Load one dataset and benchmark every installed peer on it."""
    folder, loader = LOADERS[dataset]
    loading = time.perf_counter()
    task = loader(args.data / folder, args.validation)
    recipe = recipe_for(dataset, args)
    n_in = int(np.prod(task.X_train.shape[1:]))
    log(
        f"{task.name}: {task.split}; {n_in} features, "
        f"loaded in {time.perf_counter() - loading:.1f} s"
    )
    log(f"  {recipe.describe(n_in, task.n_outputs)}")
    say(f"{task.name}: {task.split}")
    results = {peer: benchmark(task, recipe, peer, seeds) for peer in peers}
    for peer in set(args.peers) - set(peers):
        results[peer] = Result({}, [], missing="not installed")
    return task, recipe, results


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    started = time.perf_counter()
    say(f"command: python {shlex.join([sys.argv[0], *argv])}")
    for line in versions():
        say(line)
    say(f"data: {args.data}")
    say(
        f"threads: {args.threads} per peer (BLAS and PyTorch)"
        if args.threads
        else f"threads: each library's default (PyTorch {os.cpu_count()})"
    )
    if not args.data.is_dir():
        raise SystemExit(f"no datasets folder {args.data}; pass --data DIR")
    peers = []
    for peer in args.peers:
        if importlib.util.find_spec(MODULES[peer]) is None:
            log(f"note: {peer} is not installed; skipping it")
        else:
            peers.append(peer)
    seeds = range(args.seeds)
    with limit_threads(args.threads):
        rows = [run_dataset(dataset, args, peers, seeds) for dataset in args.datasets]
    say()
    say(table(rows, args.peers))
    say()
    say(
        f"Mean ± sample std over seeds {', '.join(map(str, seeds))}; "
        + ("validation scores (held out of training). " if args.validation else "test scores. ")
        + "scikit-learn: same hidden sizes, no dropout, no batch norm, constant learning rate."
    )
    say(f"total wall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
