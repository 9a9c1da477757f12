"""Choosing λ and averaging networks: several first runs, several refits, one network.

With ``l2_choices`` or ``ensemble`` > 1 (``--l2-choices``, ``--ensemble``; by default on a
table of up to 20,000 rows with validation rows, see
:func:`~glassnet.training.row_defaults.defaults_for_rows`), a fit is:

1. **First runs.** For each λ of ``l2_choices`` (or the one ``l2``), ``ensemble`` runs
   with seeds ``seed``, ``seed + 1``, …: each its own validation rows and initial weights,
   early stopping as the options say. A run's score is its lowest validation loss
   (whatever ``monitor`` early stopping watched: the loss is what every λ shares).
2. **The choice.** The λ of the lowest mean score over its runs. Several runs make the
   choice less a matter of which rows were held out (a validation part of a small table
   is a few dozen rows).
3. **Refits.** Run ``k`` of the chosen λ gives the epoch of its lowest validation loss
   to refit ``k`` (the rule of a single run's refit): a fresh network with seed
   ``seed + k`` on every row (the validation ones too).
4. **One network.** :func:`~glassnet.ensembles.average_networks` puts the refits side by
   side: the model's output is the mean of theirs (the mean logits for a classifier), and
   it saves, predicts and exports as any model does.

Every refit is prepared from every row, so all share one preprocessing; that is why an
ensemble with validation rows needs ``refit`` (first runs each scale their own rows).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ensembles import average_networks, averageable, check_averageable
from ..training import Callback, EarlyStoppingSeen
from ..training.row_defaults import SEARCH, SEARCH_VALUES, with_row_defaults

if TYPE_CHECKING:
    from .model import Model
    from .prepare import Prepared

FitOne = Callable[[dict[str, Any], list[Callback], bool], "Model"]
"""Trains one model with exactly these settings (no search of its own) and these
callbacks; with the caller's own callbacks too when the flag is set. Refits run without
them, as a single run's refit always has: a callback that watches validation scores
(early stopping, a plateau schedule) has none to watch there."""


@dataclass(frozen=True)
class Trial:
    """One first run: its λ, seed, best validation loss and the epoch it came at."""

    l2: float
    seed: int
    best_loss: float
    best_epoch: int
    """The epoch of the lowest validation loss: the refit's epoch count."""
    epochs: int
    weights_epoch: int
    """The epoch whose weights the run kept (early stopping's, else the last)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Search:
    """The first runs and what they chose."""

    trials: list[Trial]
    l2: float
    first: Model
    """The chosen λ's first run with the first seed (its history is the run's history)."""

    def chosen(self) -> list[Trial]:
        return [trial for trial in self.trials if trial.l2 == self.l2]

    def mean_loss(self, l2: float) -> float:
        return _mean_loss(self.trials, l2)

    def describe(self) -> str:
        """One line: the mean best validation loss of each λ, the chosen one marked."""
        choices = dict.fromkeys(t.l2 for t in self.trials)
        scores = ", ".join(
            f"λ {l2:g}: {self.mean_loss(l2):.4f}" + (" (chosen)" if l2 == self.l2 else "")
            for l2 in choices
        )
        runs = len(self.chosen())
        return f"mean lowest validation loss over {runs} run{'s' if runs > 1 else ''}: {scores}"

    def as_dict(self) -> dict[str, Any]:
        return {"l2": self.l2, "trials": [trial.as_dict() for trial in self.trials]}


def with_defaults(
    settings: dict[str, Any], given: Iterable[str], data: Prepared, alone: bool
) -> dict[str, Any]:
    """:func:`~glassnet.training.row_defaults.with_row_defaults` for ``data``, whose default
    search only ``alone`` runs get (one process; not resumed, watched or checkpointed) on
    data with validation rows and at most :data:`SEARCH_VALUES` values, of networks that can
    be averaged at that width."""
    k, shape, width = SEARCH["ensemble"], settings.get("input_shape"), data.n_features
    search = alone and data.X_val is not None and data.n_rows * width <= SEARCH_VALUES
    search = search and averageable(settings["layers"], k, shape, width)
    return with_row_defaults(settings, given, data.n_rows, bool(data.images), search)


def searching(settings: dict[str, Any]) -> bool:
    """Whether a fit with these settings is several runs (this module's)."""
    return bool(settings["l2_choices"]) or settings["ensemble"] > 1


def choices(settings: dict[str, Any]) -> list[float]:
    """The λ the first runs try: ``l2_choices``, or the one ``l2``."""
    return list(settings["l2_choices"]) or [settings["l2"]]


def n_runs(settings: dict[str, Any], has_validation: bool) -> int:
    """How many runs a search trains: its first runs and refits, or its K runs."""
    k = settings["ensemble"]
    if not has_validation:
        return k
    return k * len(choices(settings)) + (k if settings["refit"] else 0)


def check_search(
    settings: dict[str, Any], has_validation: bool, n_features: int | None = None
) -> None:
    """Refuse what a search cannot do, naming the options, before any run."""
    if settings["l2_choices"] and not has_validation:
        raise ValueError(
            "l2_choices (--l2-choices) chooses λ by the validation loss: it needs validation "
            "rows (validation_split > 0); give one l2 (--l2) instead"
        )
    if settings["ensemble"] > 1:
        check_averageable(
            settings["layers"], settings["ensemble"], settings.get("input_shape"), n_features
        )
    if settings["ensemble"] > 1 and has_validation and not settings["refit"]:
        raise ValueError(
            "ensemble (--ensemble) with validation rows averages the refits on every row, "
            "so it needs refit (--refit); give --ensemble 1 to keep one run without a refit"
        )


def first_runs(fit_one: FitOne, settings: dict[str, Any], say: Callable[[str], None]) -> Search:
    """Steps 1 and 2: ``ensemble`` first runs for each λ; the λ of the lowest mean."""
    trials: list[Trial] = []
    best: tuple[float, float, Model] | None = None  # the lowest mean so far, its λ and run
    for l2 in choices(settings):
        first: Model | None = None  # this λ's run with the first seed
        for k in range(settings["ensemble"]):
            seed, seen = settings["seed"] + k, EarlyStoppingSeen()
            model = fit_one(_one(settings, l2=l2, seed=seed, refit=False), [seen], True)
            history = model.history
            assert history is not None and "val_loss" in history.logs, "a first run validates"
            losses = np.asarray(history.logs["val_loss"], dtype=float)
            if not np.isfinite(losses).any():
                raise ValueError(
                    f"the first run of λ {l2:g}, seed {seed}, had no finite validation loss; "
                    "try a smaller learning rate"
                )
            epoch = int(np.nanargmin(losses)) + 1
            kept = len(losses) if seen.stopper is None else seen.stopper.weights_epoch
            trial = Trial(l2, seed, float(np.nanmin(losses)), epoch, len(losses), kept)
            trials.append(trial)
            first = first or model
            say(
                f"first run λ {l2:g}, seed {seed}: lowest validation loss "
                f"{trial.best_loss:.4f} at epoch {epoch} of {trial.epochs}"
            )
        mean = _mean_loss(trials, l2)
        if first is not None and (best is None or mean < best[0]):  # a tie keeps the earlier
            best = (mean, l2, first)
    assert best is not None, "at least one λ, one run each"
    return Search(trials, best[1], best[2])


def refits(fit_one: FitOne, settings: dict[str, Any], search: Search) -> list[Model]:
    """Step 3: each chosen run's refit on every row for its best epoch count."""
    return [
        fit_one(_refit_settings(settings, trial.best_epoch, search.l2, trial.seed), [], False)
        for trial in search.chosen()
    ]


def averaged(members: list[Model]) -> Model:
    """Step 4: one model whose network averages the members' (their preprocessing, the
    first's settings and history)."""
    if len(members) == 1:
        return members[0]
    network = average_networks([member.network for member in members])
    return dataclasses.replace(members[0], network=network, metadata=dict(members[0].metadata))


def refitted(fit_one: FitOne, settings: dict[str, Any], model: Model) -> Model:
    """One run's refit, when its settings ask for one: early stopping on the validation
    rows chose the epoch count; a fresh network learns from every row (the validation ones
    too) for that many epochs. ``model`` itself otherwise."""
    best = model.refit_epochs()
    if best is None:
        return model
    fit_one = _said_once(fit_one)
    refit = fit_one(_refit_settings(settings, best, settings["l2"], settings["seed"]), [], False)
    refit.metadata["refit"] = {"epochs": best, "chosen_after_epochs": model.n_epochs}
    return refit


def fit_searched(
    fit_one: FitOne,
    settings: dict[str, Any],
    has_validation: bool,
    say: Callable[[str], None] | None = None,
    n_features: int | None = None,
    resuming: bool = False,
) -> tuple[Model, Search | None]:
    """The whole search (steps 1–4) for settings that ask for one; without validation rows,
    ``ensemble`` runs on every row, averaged. The model's metadata records the search.
    ``say`` takes a line per run; ``n_features`` lets a merge too large be refused first."""
    if resuming:
        raise ValueError("resume continues one run, not a search (l2_choices, ensemble)")
    check_search(settings, has_validation, n_features)
    fit_one = _said_once(fit_one)
    say = say or (lambda line: None)
    if not has_validation:
        members = [
            fit_one(_one(settings, seed=settings["seed"] + k), [], True)
            for k in range(settings["ensemble"])
        ]
        return _recorded(averaged(members), settings, None), None
    search = first_runs(fit_one, settings, say)
    say(search.describe())
    if not settings["refit"]:  # one run (ensemble 1): the chosen λ's, its best weights
        model = search.first
    else:
        members = refits(fit_one, settings, search)
        say(
            f"refit: {len(members)} fresh network{'s' if len(members) > 1 else ''} on every row "
            f"for {', '.join(str(t.best_epoch) for t in search.chosen())} epochs"
            + (", averaged into one" if len(members) > 1 else "")
        )
        model = averaged(members)
        model.metadata["refit"] = {
            "epochs": [t.best_epoch for t in search.chosen()],
            "chosen_after_epochs": [t.epochs for t in search.chosen()],
        }
    return _recorded(model, settings, search), search


def _recorded(model: Model, settings: dict[str, Any], search: Search | None) -> Model:
    """``model`` with the search's settings (a member's say ``ensemble`` 1) and record."""
    if search is not None:
        model.metadata["search"] = search.as_dict()
    model.metadata["ensemble"] = settings["ensemble"]
    model.metadata["settings"] = {**settings, "l2": settings["l2"] if search is None else search.l2}
    return model


def _said_once(fit_one: FitOne) -> FitOne:
    """``fit_one`` without the warnings about the data that the caller's own preparation
    gave already (rows dropped, columns decided): every run prepares the same file again.
    A cache note is new to each run (its seed's entry) and is warned again."""

    def quiet(settings: dict[str, Any], extra: list[Callback], mine: bool) -> Model:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = fit_one(settings, extra, mine)
        for warning in caught:
            if str(warning.message).startswith("cache:"):
                warnings.warn(str(warning.message), warning.category, stacklevel=3)
        return model

    return quiet


def _mean_loss(trials: list[Trial], l2: float) -> float:
    """The mean of the lowest validation losses of λ's runs: the score of step 2."""
    return float(np.mean([t.best_loss for t in trials if t.l2 == l2]))


def _refit_settings(settings: dict[str, Any], epochs: int, l2: float, seed: int) -> dict[str, Any]:
    """One refit's settings: every row, ``epochs`` epochs, no early stopping."""
    return _one(
        settings,
        l2=l2,
        seed=seed,
        refit=False,
        validation_split=0.0,
        epochs=epochs,
        early_stopping=0,
    )


def _one(settings: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The settings of one run of the search: no search of its own."""
    return {**settings, "l2_choices": [], "ensemble": 1, **changes}
