"""Config files (issue 9, item 8): a run's config names its data and options, reads back
to the same settings, and finds its files beside itself or in the working folder; a
resumed run may change only what keeps it the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassnet.training.config_file import (
    check_data_options,
    read_config,
    resolve,
    resume_settings,
    to_toml,
)
from glassnet.training.options import DEFAULTS, TRAIN_OPTIONS


def test_a_config_written_reads_back_to_the_same_settings(tmp_path, monkeypatch) -> None:
    (tmp_path / "my data.csv").write_text("a,b\n1,2\n")
    settings = {
        **DEFAULTS,
        "target": "b",
        "layers": [16, 8],
        "batch_norm": True,
        "restore_best": False,
        "delimiter": ";",
        "categorical": ["zip", "state"],
        "lr": 0.003,
    }
    path = tmp_path / "config.toml"
    path.write_text(to_toml(settings, {"data": "my data.csv", "test-file": None}))
    assert path.read_text().splitlines()[0] == 'data = "my data.csv"'
    monkeypatch.chdir(tmp_path.parent)  # the file is found beside the config
    config = read_config(path)
    assert config.data == str(tmp_path / "my data.csv") and config.test_file is None
    assert resolve({}, config) == settings


def test_a_run_on_the_shipped_sample_writes_no_data_options() -> None:
    text = to_toml(DEFAULTS, {"data": None}, data_options=False)
    for option in TRAIN_OPTIONS:
        assert (f"{option.flag} =" in text) is (
            not option.needs_data and DEFAULTS[option.key] is not None
        )


def test_data_options_without_data_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"^--delimiter needs a data file .*MNIST sample$"):
        check_data_options({"delimiter": ";"})
    path = tmp_path / "c.toml"
    path.write_text('scale = "standard"\nepochs = 3\n')  # the defaults change nothing
    check_data_options({}, read_config(path))
    path.write_text('scale = "minmax"\n')
    with pytest.raises(ValueError, match=r"sets scale but names no data file"):
        check_data_options({}, read_config(path))


def test_resuming_changes_only_what_keeps_the_run_the_same() -> None:
    saved = {**DEFAULTS, "epochs": 6, "lr": 0.01}
    settings = resume_settings(saved, {"epochs": "9", "restore_best": False}, 6, "ck")
    assert settings == {**saved, "epochs": 9, "restore_best": False}
    assert resume_settings(saved, {"lr": "0.01"}, 3, "ck") == saved  # the same value: fine
    with pytest.raises(ValueError, match=r"^--lr cannot change when resuming ck \(its run"):
        resume_settings(saved, {"lr": "0.1"}, 3, "ck")
    with pytest.raises(ValueError, match=r"--epochs 6 is not beyond the checkpoint's epoch 6"):
        resume_settings(saved, {}, 6, "ck")


def test_a_config_names_the_folders_it_looked_in(tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('data = "gone.csv"\n')
    monkeypatch.chdir(Path("/"))
    with pytest.raises(FileNotFoundError, match=r"data 'gone.csv' is neither beside it"):
        read_config(path)
