"""What follows ``glassnet train``'s first run: one refit on every row, or the several
runs of a search averaged into one network (:mod:`~glassnet.tabular.search`)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..report.writing import architecture
from ..tabular import Model
from ..tabular.checkpoints import run_files
from ..tabular.search import choices, fit_searched, n_runs
from ..tabular.search import refitted as refitted_model
from ..training import Callback

if TYPE_CHECKING:
    from ..distributed import Communicator
    from .train import Plan


def refit(
    model: Model,
    plan: Plan,
    settings: dict[str, Any],
    n_rows: int,
    say: Any,
    comm: Communicator | None,
) -> Model | None:
    """A fresh model trained on every row (on every rank of ``comm``) for the epoch count
    early stopping chose on the validation rows, when the settings ask for it."""
    best = model.refit_epochs()
    if best is None or plan.data is None:
        return None
    say(
        f"refit: a fresh network on all {n_rows:,} rows for {best} epoch{'s' if best != 1 else ''} "
        "(the best on validation)",
        1,
    )

    def fit_one(one: dict[str, Any], extra: list[Callback], mine: bool) -> Model:
        return _fit_file(plan, one, comm, extra)

    with warnings.catch_warnings(record=True) as caught:  # its cache notes only (.search)
        warnings.simplefilter("always")
        refitted = refitted_model(fit_one, settings, model)
    for warning in caught:
        for line in str(warning.message).splitlines():
            say(line, 1)
    refitted.metadata.update(run_files(plan.data, plan.test_file))  # as the first model's
    return refitted


def searched(
    plan: Plan,
    settings: dict[str, Any],
    data: Any,
    say: Any,
    comm: Communicator | None,
    stops: list[Callback],
    bar: bool = False,
) -> tuple[Model, dict[str, Any]]:
    """Several runs averaged into one network (:mod:`~glassnet.tabular.search`), each
    run said on a line and given the callbacks ``stops`` (what ends a run on a signal);
    the model, and what the summary records (with the first run whose history and
    validation predictions the run folder keeps, under ``first``). ``bar``: a progress bar
    over the runs (tqdm), the lines printed above it."""
    has_validation = data.X_val is not None
    runs = f"{settings['ensemble']} run{'s' if settings['ensemble'] > 1 else ''}"
    if not has_validation:
        say(f"ensemble: {runs} on every row, averaged into one network; no checkpoints", 1)
    else:
        listed = ", ".join(f"{c:g}" for c in choices(settings))
        total = n_runs(settings, has_validation)
        hint = " (--ensemble 1: one run, with checkpoints)" if by_default(plan) else ""
        say(
            f"search: λ from {listed}, {runs} each, {total} runs in all with the refits; "
            f"no checkpoints while searching{hint}",
            1,
        )

    progress = _run_bar(n_runs(settings, has_validation)) if bar else None

    def fit_one(one: dict[str, Any], extra: list[Callback], mine: bool) -> Model:
        # stops end every run on a signal, refits too; the command line has no callbacks
        # of a user's own to leave out of a refit (mine)
        model = _fit_file(plan, one, comm, [*stops, *extra])
        if progress is not None:
            progress.update(1)
        return model

    def line(text: str) -> None:
        if progress is None:
            say(text, 1)
        else:  # above the bar
            progress.write(text)

    try:
        with warnings.catch_warnings():  # the first preparation said them; cache notes too
            warnings.simplefilter("ignore")
            model, search = fit_searched(fit_one, settings, has_validation, line)
    finally:
        if progress is not None:
            progress.close()
    model.metadata.update(run_files(plan.data, plan.test_file))  # for --config and predict
    network = model.network
    kind = "averaged network" if settings["ensemble"] > 1 else "network"
    say(f"{kind}: {architecture(network)}, {network.n_parameters():,} parameters", 1)
    record: dict[str, Any] = {"ensemble": settings["ensemble"]}
    if search is None:
        record["description"] = f"{settings['ensemble']} runs on every row, averaged"
        return model, {**record, "first": model}
    record |= search.as_dict()
    record["description"] = search.describe()
    # The run whose history and validation predictions the run folder keeps.
    record["weights_of_epoch"] = search.chosen()[0].weights_epoch
    return model, {**record, "first": search.first}


def by_default(plan: Plan) -> bool:
    """Whether the run's search is the default one (neither search option was given), which
    ``--ensemble 1`` turns into one run."""
    return not {"l2_choices", "ensemble"} & plan.given


def _fit_file(
    plan: Plan, one: dict[str, Any], comm: Communicator | None, callbacks: list[Callback]
) -> Model:
    """One run of ``Model.fit`` on the run's data file with exactly the settings ``one``."""
    again = {k: v for k, v in one.items() if k not in ("target", "drop", "id")}
    return Model.fit(
        plan.data,
        one["target"],
        drop=one["drop"] or (),
        id=one["id"],
        distributed=comm or False,
        callbacks=callbacks,
        **again,
    )


def _run_bar(total: int) -> Any:
    """A tqdm bar over the search's runs."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="run", desc="search", leave=False)
