"""glassnet's defaults on small public tables, next to scikit-learn's usual baselines.

Each dataset ships inside a pip package (scikit-learn, statsmodels, palmerpenguins,
vega_datasets), so the script needs no network. Each gets seeded test splits (25 % of its
rows, stratified for classification; seeds 0–4 by default); each training part is written
to a CSV the way a spreadsheet writes it (a header, string labels where the labels are
strings, empty cells where values are missing), and every peer trains from that file:

glassnet before
    ``Model.fit(train.csv, target, **BEFORE)``: the defaults before issue 9 (64-32, 20
    epochs, batch 32, no early stopping), pinned.
glassnet defaults
    ``Model.fit(train.csv, target)`` with no options: what ``glassnet train`` does now.
policy
    ``Model.fit(train.csv, target, **proposed_policy(n_rows, n_features, task))``: the
    defaults this benchmark proposes (see :func:`proposed_policy`), with a refit on every
    training row for the best epoch count (``Model.fit`` does it where glassnet has the
    ``refit`` option, else this script, with a second ``fit``).
MLP
    scikit-learn's ``MLPClassifier()`` / ``MLPRegressor()`` with their defaults
    (``random_state=0``) behind the preprocessing below; the regressor learns the target
    standardized (``TransformedTargetRegressor``), as glassnet does.
linear
    ``LogisticRegression(max_iter=1000)`` (its default L2, ``C=1``) or ordinary least
    squares, ``LinearRegression()``, behind the same preprocessing.
HGB
    ``HistGradientBoostingClassifier()`` / ``Regressor()`` (``random_state=0``), same input.

The preprocessing of the scikit-learn peers (a ``ColumnTransformer``): numeric columns
imputed with the training median and standardized; text columns imputed with the most
frequent value and one-hot encoded (unknown categories → zeros). Rows without a target
are dropped from the training part by every peer (glassnet says how many) and from the
test part before scoring.

Scores: accuracy for classification, R² for regression, on the test split. ``--holdout
validation`` scores on a validation part carved from the training rows instead (25 %,
stratified, seed 1000 + split seed), for choosing settings without looking at the test
rows; ``--splits N`` averages over the test splits of seeds ``0 … N−1`` (5 by default:
one split of a small table counts a row as up to 2.6 points).

Run it from the repository root::

    python bench/tabular.py                      # every dataset, 5 test splits (~5 min on 2 cores)
    python bench/tabular.py --quick --splits 1   # four small datasets, one split (~10 s)
    python bench/tabular.py --splits 1           # the test split of seed 0 alone (~1.5 min)
    python bench/tabular.py --datasets iris,wine --holdout validation --splits 3

Progress goes to stderr; the command, the versions and the Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import math
import os
import platform
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import glassnet
from glassnet.tabular import Model, prepare
from glassnet.training.row_defaults import SEARCH, SEARCH_ROWS, SEARCH_VALUES


def proposed_policy(n_rows: int, n_features: int, task: str) -> dict[str, Any]:
    """The training options this benchmark proposes as glassnet's defaults, for a table of
    ``n_rows`` labelled rows with ``n_features`` input features (after one-hot encoding)
    and the task (``binary``, ``multiclass``, ``regression``).

    - one hidden layer of 100 units with Xavier-uniform weights and an L2 penalty of 0.3
      (``λ/(2m) Σ‖W‖²`` per batch of ``m``): one layer overfits small tables less than
      64-32, and the penalty keeps nearly linear tables (diabetes) near least squares;
    - batches of 32 up to 4,000 rows, then about 125 batches an epoch (at most 512);
    - early stopping on the validation loss (20 % of the rows), patience 30 epochs, the
      best epoch's weights restored, within a budget of about 20,000 steps (at least 50,
      at most 1,000 epochs), so that a table of 100 rows gets thousands of updates;
    - ``refit``: then a fresh network trained on every row for the best epoch's count
      (where glassnet has no ``refit`` option, :func:`run_glassnet` does it in two fits);
    - up to 20,000 rows and 300,000 values (rows × features: the library's
      ``SEARCH_ROWS`` and ``SEARCH_VALUES``), ``l2_choices``: λ chosen from 0.01, 0.1,
      0.3 and 1 by the mean best validation loss of three first runs (seeds 0–2, each its
      own validation rows), and ``ensemble``: the three refits of that λ averaged into one
      network of 300 units.

    The policy reads ``n_rows`` (and ``n_features`` only for that cap, which no table of
    this benchmark reaches): the search (bench/README.md) tried no rule that depends on
    the features or the task, and needed none.
    """
    del task
    batch = min(512, max(32, 2 ** round(math.log2(max(n_rows, 1) / 125))))
    steps_per_epoch = math.ceil(0.8 * n_rows / batch)
    epochs = min(1000, max(50, math.ceil(20_000 / steps_per_epoch)))
    return {
        "layers": [100],
        "init": "xavier_uniform",
        "l2": 0.3,
        "batch_size": batch,
        "epochs": epochs,
        "early_stopping": 30,
        "monitor": "val_loss",
        "validation_split": 0.2,
        "refit": True,
        **(dict(SEARCH) if n_rows <= SEARCH_ROWS and n_rows * n_features <= SEARCH_VALUES else {}),
    }


# -- the datasets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A public table: how to load it as a spreadsheet holds it, and what to predict."""

    name: str
    load: Callable[[], pd.DataFrame]
    target: str
    classification: bool
    package: str
    """The pip package that ships the data."""

    @property
    def installed(self) -> bool:
        module = {"scikit-learn": "sklearn"}.get(self.package, self.package)
        return importlib.util.find_spec(module) is not None


def _named_classes(loader: str) -> pd.DataFrame:
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.copy()
    # The class names, as a spreadsheet would hold them ("setosa", "malignant").
    frame["target"] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return frame


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True, scaled=False).frame  # raw units; sex is 1 or 2


def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame
    return frame.rename(columns={"target": "digit"})  # labels stay the numbers 0-9


def _penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()  # island and sex are text; 19 cells are missing


def _statsmodels(name: str) -> pd.DataFrame:
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(sm.datasets, name).load_pandas().data.copy()


OCCUPATIONS = {
    1: "student",
    2: "unskilled",
    3: "white collar",
    4: "teacher or skilled",
    5: "managerial",
    6: "professional",
}


def _fair() -> pd.DataFrame:
    # statsmodels' own logit example: did the respondent have an affair at all?
    frame = _statsmodels("fair")
    for column in ("occupation", "occupation_husb"):
        frame[column] = frame[column].round().astype(int).map(OCCUPATIONS)
    frame["affair"] = np.where(frame.pop("affairs") > 0, "yes", "no")
    return frame


def _anes96() -> pd.DataFrame:
    frame = _statsmodels("anes96").drop(columns=["logpopul"])  # log of popul, a copy
    frame["vote"] = frame["vote"].astype(int)  # 0 Clinton, 1 Dole: numbers in the file
    return frame


def _star98() -> pd.DataFrame:
    frame = _statsmodels("star98")
    above, below = frame.pop("NABOVE"), frame.pop("NBELOW")
    frame["share_above"] = above / (above + below)  # of the pupils tested in maths
    return frame


def _grunfeld() -> pd.DataFrame:
    return _statsmodels("grunfeld")  # firm is text


def _cars() -> pd.DataFrame:
    from vega_datasets import local_data

    frame = local_data.cars()
    frame["Year"] = pd.DatetimeIndex(frame["Year"]).year
    # Name, the car's model, is free text that nearly every row has its own of: left out.
    return frame.drop(columns=["Name"])  # 8 targets and 6 horsepowers missing


def _randhie() -> pd.DataFrame:
    # The RAND health insurance experiment: doctor visits per person-year, 20,190 rows.
    return _statsmodels("randhie")


def _weather() -> pd.DataFrame:
    from vega_datasets import local_data

    frame = local_data.seattle_weather()
    frame.insert(0, "month", pd.DatetimeIndex(frame.pop("date")).month)
    return frame


DATASETS = {
    d.name: d
    for d in (
        Dataset("iris", partial(_named_classes, "load_iris"), "target", True, "scikit-learn"),
        Dataset("wine", partial(_named_classes, "load_wine"), "target", True, "scikit-learn"),
        Dataset(
            "breast_cancer",
            partial(_named_classes, "load_breast_cancer"),
            "target",
            True,
            "scikit-learn",
        ),
        Dataset("digits", _digits, "digit", True, "scikit-learn"),
        Dataset("penguins", _penguins, "species", True, "palmerpenguins"),
        Dataset("anes96", _anes96, "vote", True, "statsmodels"),
        Dataset("fair", _fair, "affair", True, "statsmodels"),
        Dataset("seattle_weather", _weather, "weather", True, "vega_datasets"),
        Dataset("diabetes", _diabetes, "target", False, "scikit-learn"),
        Dataset("cars", _cars, "Miles_per_Gallon", False, "vega_datasets"),
        Dataset("star98", _star98, "share_above", False, "statsmodels"),
        Dataset("grunfeld", _grunfeld, "invest", False, "statsmodels"),
        Dataset("randhie", _randhie, "mdvis", False, "statsmodels"),
    )
}
QUICK = ("iris", "penguins", "diabetes", "cars")


# -- splits, files and scores ---------------------------------------------------------------


@dataclass
class Split:
    """One dataset's training part (as a CSV file and as pandas reads it back) and the rows
    it is scored on."""

    dataset: Dataset
    train_csv: Path
    test_csv: Path
    train: pd.DataFrame
    test: pd.DataFrame
    n_features: int
    task: str


def _divide(frame: pd.DataFrame, dataset: Dataset, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """25 % of the rows with a target for scoring (stratified for classes), the rest for
    training; rows without a target stay with the training rows."""
    from sklearn.model_selection import train_test_split

    labelled = frame[frame[dataset.target].notna()]
    stratify = labelled[dataset.target] if dataset.classification else None
    train, test = train_test_split(labelled, test_size=0.25, random_state=seed, stratify=stratify)
    unlabelled = frame[frame[dataset.target].isna()]
    return pd.concat([train, unlabelled]), test


def make_split(dataset: Dataset, seed: int, holdout: str, folder: Path) -> Split:
    """The training CSV and the scored rows of ``dataset`` for the test split of ``seed``;
    with ``holdout="validation"``, a validation part of the training rows instead."""
    train, test = _divide(dataset.load(), dataset, seed)
    if holdout == "validation":
        train, test = _divide(train, dataset, 1000 + seed)
    train_csv = folder / f"{dataset.name}-{seed}-train.csv"
    test_csv = folder / f"{dataset.name}-{seed}-test.csv"
    train.to_csv(train_csv, index=False)  # NaN → an empty cell, as a spreadsheet writes it
    test.to_csv(test_csv, index=False)
    shape = prepare(train_csv, dataset.target, settings={"validation_split": 0})
    return Split(
        dataset,
        train_csv,
        test_csv,
        pd.read_csv(train_csv),
        pd.read_csv(test_csv),
        shape.X_train.shape[1],
        shape.task,
    )


def _label(value: Any) -> str:
    """A class label as text, ``1.0`` and ``1`` alike (the file holds ``1``)."""
    if isinstance(value, int | float | np.integer | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def score(dataset: Dataset, truth: Any, predicted: Any) -> float:
    """Accuracy, or R², of ``predicted`` against ``truth`` (both ``(m,)``)."""
    if dataset.classification:
        same = [_label(t) == _label(p) for t, p in zip(truth, predicted, strict=True)]
        return float(np.mean(same))
    from sklearn.metrics import r2_score

    return float(r2_score(np.asarray(truth, float), np.asarray(predicted, float)))


# -- the peers ------------------------------------------------------------------------------


@dataclass
class Result:
    score: float
    seconds: float
    epochs: int = 0
    """Epochs trained (glassnet), the refit's included."""


BEFORE = {
    "layers": [64, 32],
    "init": None,
    "l2": 0.0,
    "batch_size": 32,
    "epochs": 20,
    "early_stopping": 0,
    "validation_split": 0.2,
    "ensemble": 1,
    "l2_choices": [],
}
"""The defaults before issue 9 ("Defaults that win on small tables"), given explicitly so
that they stay what they were whatever the library's defaults become."""


def library_refits() -> bool:
    """Whether glassnet has the ``refit`` option (then ``Model.fit`` refits by itself)."""
    from glassnet.training.options import DEFAULTS

    return "refit" in DEFAULTS


def glassnet_options(variant: str, split: Split) -> dict[str, Any]:
    """The options of a glassnet variant: ``before`` (:data:`BEFORE`), ``defaults``
    (none: the library's defaults as they are now) or ``policy`` (:func:`proposed_policy`)."""
    if variant == "defaults":
        return {}
    if variant == "before":
        return {**BEFORE, "refit": False} if library_refits() else dict(BEFORE)
    n_rows = int(split.train[split.dataset.target].notna().sum())
    return proposed_policy(n_rows, split.n_features, split.task)


def run_glassnet(split: Split, options: dict[str, Any]) -> Result:
    """Train with ``Model.fit(train.csv, target, **options)``; score on the test rows.

    ``refit=True`` trains a second model on every training row for the epoch count where
    the first, with its validation split, had its best validation loss: ``Model.fit`` does
    it where glassnet has the option, else this function does it with a second fit.
    """
    options = dict(options)
    refit_here = bool(options.get("refit")) and not library_refits()
    if not library_refits():
        options.pop("refit", None)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "N row(s) without a target were dropped", …
        model = Model.fit(split.train_csv, split.dataset.target, **options)
        assert model.history is not None
        epochs = len(model.history.epoch)
        refitted = model.metadata.get("refit")
        search = model.metadata.get("search")
        if isinstance(search, dict):  # every first run, and every refit
            epochs = sum(t["epochs"] for t in search["trials"]) + sum(refitted["epochs"])
        elif isinstance(refitted, dict):  # the library refitted: count the first run too
            epochs += int(refitted.get("chosen_after_epochs", 0))
        if refit_here:
            best = int(np.argmin(model.history.logs["val_loss"])) + 1
            options.update(epochs=best, validation_split=0.0, early_stopping=0)
            model = Model.fit(split.train_csv, split.dataset.target, **options)
            epochs += best
        predicted = model.predict(split.test_csv)
    seconds = time.perf_counter() - start
    return Result(
        score(split.dataset, split.test[split.dataset.target], predicted), seconds, epochs
    )


def sklearn_pipeline(peer: str, split: Split) -> Any:
    """The scikit-learn baseline ``peer`` (``mlp``, ``linear``, ``hgb``) with its
    preprocessing, for ``split``'s columns."""
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = split.train.drop(columns=[split.dataset.target])
    text = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    numbers = [c for c in features.columns if c not in text]
    columns = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            (
                "text",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                text,
            ),
        ]
    )
    if split.dataset.classification:
        model = {
            "mlp": MLPClassifier(random_state=0),
            "linear": LogisticRegression(max_iter=1000),
            "hgb": HistGradientBoostingClassifier(random_state=0),
        }[peer]
    else:
        model = {
            "mlp": TransformedTargetRegressor(
                MLPRegressor(random_state=0), transformer=StandardScaler()
            ),
            "linear": LinearRegression(),
            "hgb": HistGradientBoostingRegressor(random_state=0),
        }[peer]
    return make_pipeline(columns, model)


def run_sklearn(peer: str, split: Split) -> Result:
    """Fit the baseline on the training rows with a target; score on the test rows."""
    target = split.dataset.target
    train = split.train[split.train[target].notna()]
    pipeline = sklearn_pipeline(peer, split)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the default max_iter
        labels = train[target].map(_label) if split.dataset.classification else train[target]
        pipeline.fit(train.drop(columns=[target]), labels)
        predicted = pipeline.predict(split.test.drop(columns=[target]))
    seconds = time.perf_counter() - start
    return Result(score(split.dataset, split.test[target], predicted), seconds)


# -- the run --------------------------------------------------------------------------------

PEERS = ("before", "defaults", "policy", "mlp", "linear", "hgb")
DEFAULT_PEERS = ("before", "defaults", "mlp", "linear", "hgb")
"""Without ``policy``: the library's defaults are the proposal now (the same networks)."""
SPLITS = 5
"""Test splits by default: one split of 38 to 143 test rows (iris, penguins, breast_cancer)
counts a row as 0.7 to 2.6 points, coarser than the 1-point target; five fixed splits
(seeds 0–4) average it down."""
GLASSNET = ("before", "defaults", "policy")
TARGET_POINTS = 1.0
"""glassnet's target: at most 1 point of accuracy (0.01 R²) below the best of the MLP and
the linear baseline."""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_dataset(
    dataset: Dataset, peers: Sequence[str], seeds: Sequence[int], holdout: str, folder: Path
) -> tuple[Split, dict[str, list[Result]]]:
    """Every peer on every split of ``dataset``; the first split (for its sizes) and the
    results by peer, one per seed."""
    results: dict[str, list[Result]] = {peer: [] for peer in peers}
    first: Split | None = None
    for seed in seeds:
        split = make_split(dataset, seed, holdout, folder)
        first = first or split
        for peer in peers:
            if peer in GLASSNET:
                result = run_glassnet(split, glassnet_options(peer, split))
            else:
                result = run_sklearn(peer, split)
            results[peer].append(result)
            log(f"{dataset.name} split {seed} {peer}: {result.score:.4f} ({result.seconds:.2f} s)")
    assert first is not None
    return first, results


def points(dataset: Dataset, value: float) -> float:
    """A score in points: accuracy in %, R² × 100 (so 0.01 R² is one point)."""
    return 100 * value


def mean_score(results: list[Result]) -> float:
    return float(np.mean([r.score for r in results]))


def gap(
    dataset: Dataset,
    results: dict[str, list[Result]],
    peer: str,
    against: Sequence[str] = ("mlp", "linear"),
) -> float | None:
    """``peer`` − the best of the peers ``against``, in points; ``None`` without them."""
    baselines = [mean_score(results[p]) for p in against if p in results]
    if peer not in results or not baselines:
        return None
    return points(dataset, mean_score(results[peer]) - max(baselines))


def format_score(dataset: Dataset, value: float) -> str:
    return f"{100 * value:.2f} %" if dataset.classification else f"{value:.4f}"


NAMES = {"before": "glassnet before", "defaults": "glassnet defaults", "policy": "policy"}
NAMES |= {"mlp": "MLP", "linear": "linear", "hgb": "HGB"}


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(rows: list[tuple[Split, dict[str, list[Result]]]], peers: Sequence[str]) -> list[str]:
    """The Markdown table of scores: the sizes, each peer's score and glassnet's gaps."""
    header = ["dataset", "task", "rows train / test", "columns → features", "missing cells"]
    header += [NAMES[p] for p in peers]
    glassnet_peers = [p for p in GLASSNET if p in peers]
    header += [f"{NAMES[p]} − best" for p in glassnet_peers]
    lines = [_row(header), "|" + "---|" * len(header)]
    for split, results in rows:
        d = split.dataset
        n_train = int(split.train[d.target].notna().sum())
        cells = [
            d.name,
            f"{split.task} ({split.train[d.target].nunique()} classes)"
            if d.classification
            else "regression (R²)",
            f"{n_train:,} / {len(split.test):,}",
            f"{split.train.shape[1] - 1} → {split.n_features}",
            str(int(split.train.isna().sum().sum())),
        ]
        cells += [format_score(d, mean_score(results[p])) for p in peers]
        for p in glassnet_peers:
            value = gap(d, results, p)
            cells.append("" if value is None else f"{value:+.2f}")
        lines.append(_row(cells))
    return lines


def times(rows: list[tuple[Split, dict[str, list[Result]]]], peers: Sequence[str]) -> list[str]:
    """The Markdown table of glassnet's wall time per run (fit and predict) and epochs."""
    glassnet_peers = [p for p in GLASSNET if p in peers]
    if not glassnet_peers:
        return []
    header = ["dataset", *(f"{NAMES[p]}: time (epochs)" for p in glassnet_peers)]
    lines = [_row(header), "|" + "---|" * len(header)]
    for split, results in rows:
        cells = [split.dataset.name]
        for p in glassnet_peers:
            seconds = np.mean([r.seconds for r in results[p]])
            epochs = np.mean([r.epochs for r in results[p]])
            cells.append(f"{seconds:.2f} s ({epochs:.0f})")
        lines.append(_row(cells))
    return lines


def summary(rows: list[tuple[Split, dict[str, list[Result]]]], peers: Sequence[str]) -> list[str]:
    """Per glassnet variant: the mean gap, the datasets that miss the target, the slowest."""
    lines = []
    for p in GLASSNET:
        gaps = [(s.dataset.name, gap(s.dataset, r, p)) for s, r in rows]
        known = [(name, g) for name, g in gaps if g is not None]
        if p not in peers or not known:
            continue
        missed = [f"{name} ({g:+.2f})" for name, g in known if g < -TARGET_POINTS]
        slowest = max(((float(np.max([x.seconds for x in r[p]])), s.dataset.name) for s, r in rows))
        lines.append(
            f"- {NAMES[p]}: mean {np.mean([g for _, g in known]):+.2f} points against the "
            f"best of MLP and linear over {len(known)} datasets; "
            f"{len(known) - len(missed)}/{len(known)} within {TARGET_POINTS:g} point"
            + (f" (missed: {', '.join(missed)})" if missed else "")
            + f"; slowest run {slowest[0]:.1f} s ({slowest[1]})"
        )
        for other in ("mlp", "linear", "hgb"):
            alone = [gap(s.dataset, r, p, (other,)) for s, r in rows]
            if other in peers:
                mean = np.mean([g for g in alone if g is not None])
                lines[-1] += f"; mean against {NAMES[other]} alone {mean:+.2f}"
    return lines


def versions() -> list[str]:
    import sklearn

    return [
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}, "
        f"scikit-learn {sklearn.__version__}, glassnet {glassnet.__version__}",
    ]


def limit_threads(threads: int) -> contextlib.AbstractContextManager[object]:
    """One BLAS thread by default: on a shared two-core machine, two-thread products stall
    whenever another process takes a core (see bench/README.md)."""
    if threads == 0:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    peers = ",".join(DEFAULT_PEERS)
    parser.add_argument("--peers", default=peers, help=f"comma-separated (of {', '.join(PEERS)})")
    parser.add_argument("--splits", type=int, default=SPLITS, help="test splits: seeds 0 … N−1")
    parser.add_argument("--holdout", choices=("test", "validation"), default="test")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (0: default)")
    args = parser.parse_args(argv)
    chosen = QUICK if args.quick else tuple(args.datasets.split(","))
    for name in chosen:
        if name not in DATASETS:
            parser.error(f"--datasets: unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    for peer in args.peers.split(","):
        if peer not in PEERS:
            parser.error(f"--peers: unknown peer {peer!r}; known: {', '.join(PEERS)}")
    args.datasets = chosen
    args.peers = [p for p in PEERS if p in args.peers.split(",")]
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    rows, missing = [], []
    with tempfile.TemporaryDirectory() as folder, limit_threads(args.threads):
        for name in args.datasets:
            if not DATASETS[name].installed:
                missing.append(f"{name} (pip install {DATASETS[name].package})")
                continue
            seeds = range(args.splits)
            rows.append(run_dataset(DATASETS[name], args.peers, seeds, args.holdout, Path(folder)))
    print("$ python bench/tabular.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    print("\n".join(versions()))
    where = "a validation part of the training rows" if args.holdout == "validation" else "test"
    print(
        f"scored on: {where}; splits: {args.splits}; wall time {time.perf_counter() - start:.0f} s"
    )
    if missing:
        print(f"skipped, the package that ships them is not installed: {', '.join(missing)}")
    print()
    print("\n".join(table(rows, args.peers)))
    print()
    print("\n".join(times(rows, args.peers)))
    print()
    print("\n".join(summary(rows, args.peers)))


if __name__ == "__main__":
    main()
