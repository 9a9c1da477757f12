"""Choosing λ and averaging networks (``glassnet.tabular.search``, issue 9): every number
the search reports is recomputed here from single runs of ``Model.fit`` with the same
settings, and the averaged model's output from the refits' own outputs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

pd = pytest.importorskip("pandas", reason="the tabular Model takes a DataFrame here")
from glassnet.tabular import Model  # noqa: E402

SMALL = {"epochs": 40, "early_stopping": 5, "batch_size": 16}
"""A short budget: the search's arithmetic, not its accuracy, is under test."""


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = np.where(frame.a + 0.5 * frame.b + 0.3 * rng.normal(size=n) > 0, "yes", "no")
    return frame


def _fit(frame: pd.DataFrame, **options: object) -> Model:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Model.fit(frame, "y", **options)


def test_the_search_chooses_the_lowest_mean_validation_loss_and_averages_the_refits() -> None:
    frame = _frame()
    model = _fit(frame, l2_choices=[0.01, 1.0], ensemble=2, **SMALL)
    # The first runs, one by one: the same settings, one λ and one seed each.
    scores: dict[float, list[tuple[float, int]]] = {}
    for l2 in (0.01, 1.0):
        for seed in (0, 1):
            one = _fit(frame, l2=l2, seed=seed, ensemble=1, l2_choices=[], refit=True, **SMALL)
            first = _fit(frame, l2=l2, seed=seed, ensemble=1, l2_choices=[], refit=False, **SMALL)
            losses = np.asarray(first.history["val_loss"])
            scores.setdefault(l2, []).append((losses.min(), int(np.argmin(losses)) + 1))
            assert one.metadata["refit"]["epochs"] == int(np.argmin(losses)) + 1
    chosen = min(scores, key=lambda l2: np.mean([s for s, _ in scores[l2]]))
    search = model.metadata["search"]
    assert search["l2"] == chosen and model.settings["l2"] == chosen
    assert [t["best_epoch"] for t in search["trials"]] == [
        e for l2 in scores for _, e in scores[l2]
    ]
    np.testing.assert_allclose(
        [t["best_loss"] for t in search["trials"]],
        [s for l2 in scores for s, _ in scores[l2]],
        rtol=1e-12,
    )
    epochs = [e for _, e in scores[chosen]]
    assert model.metadata["refit"]["epochs"] == epochs
    # The averaged model's probability: the sigmoid of the refits' mean logit.
    refits = [
        _fit(frame, l2=chosen, seed=seed, ensemble=1, l2_choices=[], validation_split=0.0,
             epochs=epoch, early_stopping=0, refit=False, batch_size=16)
        for seed, epoch in enumerate(epochs)
    ]  # fmt: skip
    p = np.array([m.predict_proba(frame)[:, 1] for m in refits], dtype=np.float64)
    mean_logit = np.mean(np.log(p) - np.log1p(-p), axis=0)
    expected = 1 / (1 + np.exp(-mean_logit))
    np.testing.assert_allclose(model.predict_proba(frame)[:, 1], expected, atol=2e-5)
    assert model.network.parametric_layers()[0].n_out == 2 * model.settings["layers"][0]


def test_the_averaged_model_saves_and_loads(tmp_path: Path) -> None:
    frame = _frame(80)
    model = _fit(frame, ensemble=2, **SMALL)
    path = model.save(tmp_path / "m.glassnet")
    loaded = Model.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    assert loaded.metadata["search"] == model.metadata["search"]


def test_what_a_search_cannot_do_is_refused() -> None:
    frame = _frame(60)
    with pytest.raises(ValueError, match=r"l2_choices.*validation rows"):
        _fit(frame, l2_choices=[0.1, 1.0], validation_split=0.0, epochs=3)
    with pytest.raises(ValueError, match=r"ensemble.*needs refit"):
        _fit(frame, ensemble=2, refit=False, epochs=3)
    with pytest.raises(ValueError, match="l2_choices must not repeat"):
        _fit(frame, l2_choices=[0.1, 0.1])
    with pytest.raises(ValueError, match=r"l2_choices holds 101 values; at most 100"):
        _fit(frame, l2_choices=[i / 100 for i in range(101)])


def test_without_validation_rows_the_ensemble_averages_runs_on_every_row() -> None:
    frame = _frame(60)
    model = _fit(frame, ensemble=2, validation_split=0.0, epochs=5, batch_size=16)
    members = [
        _fit(frame, ensemble=1, seed=seed, validation_split=0.0, epochs=5, batch_size=16)
        for seed in (0, 1)
    ]
    p = np.array([m.predict_proba(frame)[:, 1] for m in members], dtype=np.float64)
    expected = 1 / (1 + np.exp(-np.mean(np.log(p) - np.log1p(-p), axis=0)))
    np.testing.assert_allclose(model.predict_proba(frame)[:, 1], expected, atol=2e-5)
    assert "search" not in model.metadata and model.metadata["ensemble"] == 2


def test_the_command_line_says_each_run_and_its_config_reproduces_the_model(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "t.csv"
    _frame(100).to_csv(csv, index=False)
    flags = ["--target", "y", "--l2-choices", "0.03,3", "--ensemble", "2", "--epochs", "30"]
    result = glassnet("train", csv, *flags, "--out", tmp_path / "run", "--no-report")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("first run λ") == 4
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    trials = summary["search"]["trials"]
    means = {l2: np.mean([t["best_loss"] for t in trials if t["l2"] == l2]) for l2 in (0.03, 3)}
    assert summary["search"]["l2"] == min(means, key=means.get)
    assert f"λ {summary['search']['l2']:g}: " in result.stdout
    again = glassnet("train", "--config", tmp_path / "run" / "config.toml", "--out",
                     tmp_path / "again", "--no-report")  # fmt: skip
    assert again.returncode == 0, again.stderr
    first, second = (Model.load(tmp_path / d / "model.glassnet") for d in ("run", "again"))
    for (name, a), (_, b) in zip(
        first.network.parameters(), second.network.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)
    bad = glassnet("train", csv, "--target", "y", "--ensemble", "0")
    assert "ensemble" in one_line_error(bad)
    watched = glassnet("train", csv, "--target", "y", "--ensemble", "2", "--watch", "5")
    assert one_line_error(watched) == (
        "glassnet: error: --watch diagnoses one run, not a search: give --ensemble 1"
    )


def test_glassnet_train_searches_by_default_and_one_run_when_asked(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    _frame(60).to_csv(csv, index=False)
    default = glassnet("train", csv, "--target", "y", "--out", tmp_path / "d", "--no-report")
    assert default.returncode == 0, default.stderr
    assert "search: λ from 0.01, 0.1, 0.3, 1, 3 runs each, 15 runs in all" in default.stdout
    assert default.stdout.count("first run λ") == 12
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["search"]["l2"] in (0.01, 0.1, 0.3, 1.0)
    config = (tmp_path / "d" / "config.toml").read_text()
    assert "ensemble = 3" in config  # --config trains the same search again
    assert "l2 = 0.3  # unused: λ is chosen from l2-choices" in config  # not the choice
    config = tmp_path / "forty.toml"
    config.write_text("epochs = 40\n")  # given in a config file is given
    for one_run in (
        ["--epochs", "40"],
        ["--ensemble", "1"],
        ["--l2", "0.1"],
        ["--watch", "5"],
        ["--config", str(config)],
        ["--validation-split", "0"],
    ):
        result = glassnet(
            "train", csv, "--target", "y", *one_run, "--out", tmp_path / one_run[0][2:],
            "--no-report",
        )  # fmt: skip
        assert result.returncode == 0, (one_run, result.stderr)
        assert "first run λ" not in result.stdout and "search:" not in result.stdout, one_run
        refits = "refit: a fresh network" in result.stdout
        assert refits == (one_run[0] != "--validation-split"), one_run  # one run and its refit


def test_the_default_search_steps_aside_where_it_cannot_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import glassnet.ensembles
    import glassnet.tabular.search
    from glassnet.training import Checkpoint

    frame = _frame(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # None is "the default" in Python, not "given": the search still applies.
        searched = _fit(frame, epochs=None, l2=None, checkpoint_every=None)
        assert len(searched.metadata["search"]["trials"]) == 12
        # A run that keeps checkpoints is one run, as its resume will be.
        kept = _fit(frame, callbacks=[Checkpoint(lambda snapshot: None, every=0)])
        # Three networks of these layers merged would be too large: one run, not an error.
        monkeypatch.setattr(glassnet.ensembles, "MAX_PARAMETERS", 1_000)  # 3 × 100 units: 1,201
        wide = _fit(frame)
        monkeypatch.undo()
        # A table of more values (rows × features) than a search's budget: one run.
        monkeypatch.setattr(glassnet.tabular.search, "SEARCH_VALUES", 60 * 2 - 1)
        large = _fit(frame)
        monkeypatch.undo()
        just = _fit(frame, l2_choices=[], ensemble=1)  # one run asked for, to compare
    for model in (kept, wide, large):
        assert "search" not in model.metadata
        assert model.network.layers[0].W.shape == (100, 2)
        assert isinstance(model.metadata["refit"]["epochs"], int)
    for (name, a), (_, b) in zip(
        large.network.parameters(), just.network.parameters(), strict=True
    ):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_layers_that_cannot_be_averaged_are_refused_before_any_training() -> None:
    frame = pd.DataFrame(
        np.random.default_rng(0).random((40, 16)), columns=[f"p{i}" for i in range(16)]
    )
    frame["y"] = np.where(frame.p0 > 0.5, "yes", "no")
    with pytest.raises(ValueError, match=r"images \(input_shape\) cannot be averaged"):
        _fit(frame, ensemble=2, layers=["conv2k3", 8], input_shape=[1, 4, 4])
    with pytest.raises(ValueError, match=r"only dense networks.*conv2k3"):
        _fit(frame, ensemble=2, layers=["conv2k3", 8])


def test_the_callbacks_see_the_first_runs_and_the_kept_epoch_is_early_stoppings() -> None:
    from glassnet.training import Callback, EarlyStopping

    class Seen(Callback):
        def __init__(self) -> None:
            self.runs, self.kept = 0, []

        def on_train_end(self, state) -> None:
            self.runs += 1
            stoppers = [cb for cb in state.callbacks if isinstance(cb, EarlyStopping)]
            self.kept += [s.weights_epoch for s in stoppers]

    frame, options = _frame(), {**SMALL, "min_delta": 0.02}
    seen = Seen()
    model = _fit(frame, l2_choices=[0.1, 1.0], ensemble=2, callbacks=[seen], **options)
    assert seen.runs == 4  # the four first runs; the refits run without them, as ever
    alone = Seen()
    for l2 in (0.1, 1.0):
        for seed in (0, 1):
            one = dict(l2=l2, seed=seed, ensemble=1, l2_choices=[], refit=False)
            _fit(frame, callbacks=[alone], **one, **options)
    assert [t["weights_epoch"] for t in model.metadata["search"]["trials"]] == alone.kept


def test_a_callback_that_watches_validation_scores_is_not_given_to_a_refit() -> None:
    from glassnet.training import EarlyStopping, ReduceLROnPlateau

    frame = _frame(80)
    for watcher in (EarlyStopping(patience=3), ReduceLROnPlateau()):
        for search in ({}, {"l2_choices": [0.1, 1.0]}):
            model = _fit(frame, callbacks=[watcher], refit=True, **search, **SMALL)
            assert model.metadata["refit"]["epochs"]  # refitted, on every row, without it


def test_a_merge_too_large_is_refused_before_any_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import glassnet.tabular.model as model_module

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a run started")

    frame = _frame(40)
    monkeypatch.setattr(model_module.Model, "build", no_run)
    # 3 networks of 2-3000-3000-1: 3·3000·3 + 3·3000·(3·3000+1) + 1·(3·3000+1) parameters
    expected = 3 * 3000 * 3 + 3 * 3000 * (3 * 3000 + 1) + (3 * 3000 + 1)
    with pytest.raises(ValueError, match=f"would hold {expected:,} parameters"):
        _fit(frame, ensemble=3, layers=[3000, 3000])
    with pytest.raises(ValueError, match=r"only dense networks.*flatten"):
        _fit(frame, ensemble=3, layers=[16, "flatten", 8])


def test_each_run_of_a_search_does_not_say_again_what_the_data_said() -> None:
    frame = _frame(60)
    frame.loc[3, "y"] = None  # a row without a target: said once, by the first preparation
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Model.fit(frame, "y", ensemble=2, l2_choices=[0.1, 1.0], **SMALL)
    dropped = [w for w in caught if "without a target" in str(w.message)]
    assert len(dropped) == 1, [str(w.message) for w in caught]


def test_a_verbose_search_says_a_line_a_run_not_every_runs_epochs(capsys) -> None:
    _fit(_frame(60), verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("first run λ") for line in lines) == 12
    assert any(line.startswith("refit: 3 fresh networks") for line in lines)
    assert len(lines) == 12 + 2  # the runs, the choice, the refits: no epoch lines
