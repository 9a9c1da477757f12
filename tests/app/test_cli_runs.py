"""``glassnet train`` runs that must be honest and reproducible (issue 9, items 8, 9 and 12):
a run's config reproduces it, early stopping says what it did, a finished run is not
overwritten silently, a resumed run trains to the epochs asked for, pipes close quietly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

from glassnet.io import load_model


def flowers(path: Path, rows: int, seed: int, noise: float = 0.3) -> Path:
    """A CSV of ``rows`` flowers: two numeric columns, a categorical one, a 3-class target."""
    rng = np.random.default_rng(seed)
    lines = ["width,height,colour,species"]
    for _ in range(rows):
        species = int(rng.integers(0, 3))
        width, height = rng.normal(1 + species, noise), rng.normal(2 - 0.5 * species, noise)
        colour = ["red", "blue", "white"][(species + int(rng.integers(0, 2))) % 3]
        lines.append(f"{width:.3f},{height:.3f},{colour},{['iris', 'rose', 'tulip'][species]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def parameters(path: Path) -> list[tuple[str, np.ndarray]]:
    network = load_model(path).network
    return network.parameters() + network.buffers()


def assert_same_parameters(a: Path, b: Path) -> None:
    for (name, x), (_, y) in zip(parameters(a), parameters(b), strict=True):
        np.testing.assert_array_equal(x, y, err_msg=name)


def differs(a: Path, b: Path) -> bool:
    return any(
        not np.array_equal(x, y)
        for (_, x), (_, y) in zip(parameters(a), parameters(b), strict=True)
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    flowers(folder / "flowers.csv", 300, seed=0)
    flowers(folder / "flowers-test.csv", 90, seed=1)
    # Overlapping classes and a large step: the validation loss soon turns up.
    flowers(folder / "noisy.csv", 200, seed=2, noise=1.5)
    return folder


@pytest.fixture(scope="module")
def flower_run(data_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "flowers"
    result = glassnet(
        "train",
        data_dir / "flowers.csv",
        "--layers",
        "8",
        "--epochs",
        "3",
        "--out",
        out,
        "-q",
        "--no-report",
    )
    assert result.returncode == 0, result.stderr
    return out


# -- item 8: a run's config reproduces the run ----------------------------------------------


def test_a_runs_config_alone_reproduces_the_run(data_dir, tmp_path) -> None:
    semicolons = data_dir / "flowers-semicolon.csv"
    semicolons.write_text((data_dir / "flowers.csv").read_text().replace(",", ";"))
    first = glassnet(
        "train",
        semicolons.name,  # relative to the working folder, as a user types it
        "--delimiter",
        ";",
        "--categorical",
        "colour",
        "--layers",
        "8",
        "--epochs",
        "3",
        "--out",
        tmp_path / "first",
        "-q",
        "--no-report",
        cwd=data_dir,
    )
    assert first.returncode == 0, first.stderr
    config = (tmp_path / "first" / "config.toml").read_text()
    (data_line,) = [line for line in config.splitlines() if line.startswith("data = ")]
    written = data_line.removeprefix("data = ").strip('"')
    # Relative to the run folder, so that the config works from any working folder.
    assert not Path(written).is_absolute()
    assert (tmp_path / "first" / written).resolve() == semicolons.resolve()
    assert 'target = "species"' in config  # the column the run chose (the last)
    assert 'delimiter = ";"' in config and 'categorical = ["colour"]' in config
    again = glassnet(
        "train",
        "--config",
        tmp_path / "first" / "config.toml",
        "--out",
        tmp_path / "again",
        "-q",
        "--no-report",
        cwd=tmp_path,  # not where the data is
    )
    assert again.returncode == 0, again.stderr
    assert_same_parameters(
        tmp_path / "first" / "model.glassnet", tmp_path / "again" / "model.glassnet"
    )
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary["target"] == "species" and summary["classes"] == ["iris", "rose", "tulip"]


def test_a_configs_data_file_is_found_beside_the_config(data_dir, tmp_path) -> None:
    config = data_dir / "beside.toml"
    config.write_text('data = "flowers.csv"\ntarget = "species"\nlayers = [4]\nepochs = 1\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = glassnet(
        "train", "--config", config, "--out", tmp_path / "run", "-q", "--no-report", cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["task"] == "multiclass" and "flowers.csv" in summary["data"]
    missing = data_dir / "missing.toml"
    missing.write_text('data = "nowhere.csv"\n')
    line = one_line_error(glassnet("train", "--config", missing, cwd=elsewhere))
    assert "nowhere.csv" in line and str(data_dir) in line and str(elsewhere) in line


def test_options_that_need_a_data_file_are_refused_without_one(tmp_path) -> None:
    line = one_line_error(glassnet("train", "--target", "species", "--out", tmp_path / "run"))
    assert "--target needs a data file" in line and "MNIST" in line
    assert not (tmp_path / "run" / "model.glassnet").exists()
    config = tmp_path / "no-data.toml"
    config.write_text('target = "species"\n')
    line = one_line_error(glassnet("train", "--config", config))
    assert "target" in line and "no data file" in line


# -- item 9: early stopping says what it did, and keeps the best weights -------------------


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_says_where_it_stopped_and_keeps_the_best_weights(
    data_dir, tmp_path, restore
) -> None:
    out = tmp_path / "run"
    result = glassnet(
        "train",
        data_dir / "noisy.csv",
        "--layers",
        "64,64",
        "--lr",
        "0.02",
        "--batch-size",
        "8",
        "--epochs",
        "80",
        "--early-stopping",
        "3",
        "--checkpoint-every",
        "1",
        "--no-refit",  # the saved model is the early-stopped one, checked below
        "--l2",
        "0",
        "--out",
        out,
        "--no-report",
        *([] if restore else ["--no-restore-best"]),
    )
    assert result.returncode == 0, result.stderr
    history = json.loads((out / "history.json").read_text())
    val_loss = history["val_loss"]
    best = int(np.argmin(val_loss)) + 1  # the first lowest: only a strict decrease improves
    stopped = len(val_loss)
    assert stopped == best + 3 < 80  # it stopped, patience epochs after the best
    line = re.search(
        r"^early stopping: stopped at epoch (\d+) of 80 .*best epoch (\d+) \(val_loss (\d\.\d{4})\)",
        result.stdout,
        re.MULTILINE,
    )
    assert line, result.stdout
    assert (int(line.group(1)), int(line.group(2))) == (stopped, best)
    assert float(line.group(3)) == pytest.approx(val_loss[best - 1], abs=5e-5)
    kept = best if restore else stopped
    assert_same_parameters(
        out / "model.glassnet", out / "checkpoints" / f"epoch-{kept:04d}.glassnet"
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["early_stopping"] == {
        "monitor": "val_loss",
        "patience": 3,
        "stopped_epoch": stopped,
        "best_epoch": best,
        "best": pytest.approx(val_loss[best - 1], rel=1e-12),
        "weights_of_epoch": kept,
    }
    # The final validation scores are those of the weights the model holds.
    assert summary["final"]["val_loss"] == pytest.approx(val_loss[kept - 1], rel=1e-12)
    assert "restore" in (out / "config.toml").read_text()


# -- item 12: the smaller papercuts -----------------------------------------------------------


def test_batch_norm_is_a_plain_flag_and_a_config_can_be_overridden(data_dir, tmp_path) -> None:
    data = data_dir / "flowers.csv"
    result = glassnet(
        "train",
        data,
        "--batch-norm",
        "--epochs",
        "1",
        "--out",
        tmp_path / "on",
        "-q",
        "--no-report",
    )
    assert result.returncode == 0, result.stderr
    on = load_model(tmp_path / "on" / "model.glassnet").network
    assert any(name.startswith("gamma") for name, _ in on.parameters())
    assert "batch-norm = true" in (tmp_path / "on" / "config.toml").read_text()
    off = glassnet(
        "train",
        "--config",
        tmp_path / "on" / "config.toml",
        "--no-batch-norm",
        "--out",
        tmp_path / "off",
        "-q",
        "--no-report",
    )
    assert off.returncode == 0, off.stderr
    network = load_model(tmp_path / "off" / "model.glassnet").network
    assert not any(name.startswith("gamma") for name, _ in network.parameters())


def test_out_refuses_a_run_folder_that_holds_a_model_unless_overwrite(data_dir, tmp_path) -> None:
    data, out = data_dir / "flowers.csv", tmp_path / "run"
    common = ["--layers", "4", "-q", "--no-report", "--out", out]
    assert glassnet("train", data, *common, "--epochs", "2").returncode == 0
    before = (out / "model.glassnet").read_bytes()
    line = one_line_error(glassnet("train", data, *common, "--epochs", "1"))
    assert "already holds a model" in line and "--overwrite" in line and str(out) in line
    assert (out / "model.glassnet").read_bytes() == before
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 2
    replaced = glassnet("train", data, *common, "--epochs", "1", "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 1
    assert (out / "model.glassnet").read_bytes() != before


def test_resume_with_epochs_trains_on_to_that_epoch(data_dir, tmp_path) -> None:
    common = ["--layers", "12", "--dropout", "0.2", "--batch-size", "16", "-q", "--no-report"]
    data = data_dir / "flowers.csv"
    short = glassnet(
        "train",
        data,
        *common,
        "--epochs",
        "3",
        "--checkpoint-every",
        "3",
        "--out",
        tmp_path / "short",
    )
    assert short.returncode == 0, short.stderr
    long = glassnet("train", data, *common, "--epochs", "7", "--out", tmp_path / "long")
    assert long.returncode == 0, long.stderr
    checkpoint = tmp_path / "short" / "checkpoints" / "epoch-0003.glassnet"
    resumed = glassnet(
        "train",
        "--resume",
        checkpoint,
        "--epochs",
        "7",
        "--out",
        tmp_path / "resumed",
        "-q",
        "--no-report",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads((tmp_path / "resumed" / "history.json").read_text())["loss"]) == 7
    assert_same_parameters(
        tmp_path / "long" / "model.glassnet", tmp_path / "resumed" / "model.glassnet"
    )
    line = one_line_error(
        glassnet("train", "--resume", checkpoint, "--epochs", "2", "--out", tmp_path / "r2")
    )
    assert "--epochs 2" in line and "epoch 3" in line
    line = one_line_error(
        glassnet("train", "--resume", checkpoint, "--lr", "0.5", "--out", tmp_path / "r3")
    )
    assert "--lr" in line and "--resume" in line


def test_resume_into_its_own_finished_run_folder_needs_overwrite(data_dir, tmp_path) -> None:
    out = tmp_path / "run"
    done = glassnet(
        "train",
        data_dir / "flowers.csv",
        "--layers",
        "4",
        "--epochs",
        "2",
        "--checkpoint-every",
        "2",
        "--out",
        out,
        "-q",
        "--no-report",
    )
    assert done.returncode == 0, done.stderr
    resumed = glassnet(
        "train", "--resume", out / "checkpoints" / "epoch-0002.glassnet", "--epochs", "3"
    )
    line = one_line_error(resumed)
    assert "already holds a model" in line
    assert resumed.stdout == ""  # refused before it says it would train on


def _first_line_then_close(*args: object) -> tuple[bytes, int, str]:
    """Run glassnet, read one line of its output, close the pipe (as ``| head -1`` does)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    error = process.stderr.read().decode()
    return first, process.wait(timeout=300), error


@pytest.mark.parametrize("command", ["predict", "trace", "train"])
def test_a_closed_pipe_ends_quietly(command, flower_run, data_dir, tmp_path) -> None:
    if command == "predict":
        big = flowers(tmp_path / "many.csv", 8000, seed=3)
        args: list[object] = ["predict", flower_run / "model.glassnet", big, "--proba"]
        expected = b"predicted_species,p(iris),p(rose),p(tulip)\n"
    elif command == "trace":
        args = ["trace", "--example", "regularized-2-3-1", "--steps", "200"]
        expected = b"regularized-2-3-1\n"
    else:
        args = [
            "train",
            data_dir / "flowers.csv",
            "--epochs",
            "200",
            "--layers",
            "4",
            "--out",
            tmp_path / "run",
            "--no-report",
        ]
        expected = b""  # whatever it says first
    first, status, error = _first_line_then_close(*args)
    assert first.startswith(expected) and first.endswith(b"\n")
    assert error == ""
    assert status in (0, 141)  # 128 + SIGPIPE, as a shell reports a tool that a pipe closed


def test_no_report_skips_the_report_and_figures(flower_run) -> None:
    assert not (flower_run / "report.html").exists()
    assert not list(flower_run.glob("*.png"))
    assert (flower_run / "summary.json").is_file()


def test_test_file_is_evaluated_at_the_end_and_reported(data_dir, tmp_path) -> None:
    from sklearn.metrics import accuracy_score, f1_score

    out = tmp_path / "run"
    test_file = data_dir / "flowers-test.csv"
    result = glassnet(
        "train",
        data_dir / "flowers.csv",
        "--layers",
        "8",
        "--epochs",
        "5",
        "--lr",
        "0.01",
        "--test-file",
        test_file,
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    predicted = glassnet("predict", out / "model.glassnet", test_file)
    assert predicted.returncode == 0, predicted.stderr
    y_pred = predicted.stdout.strip().splitlines()[1:]
    y_true = [line.split(",")[-1] for line in test_file.read_text().strip().splitlines()[1:]]
    accuracy = accuracy_score(y_true, y_pred)
    f1 = f1_score(y_true, y_pred, average="macro")
    summary = json.loads((out / "summary.json").read_text())
    test = summary["test"]
    assert test["data"] == str(test_file) and test["rows"] == 90
    assert test["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert test["f1_macro"] == pytest.approx(f1, abs=1e-12)
    line = re.search(
        r"^test \(flowers-test.csv, 90 rows\): accuracy (\d\.\d{4})", result.stdout, re.MULTILINE
    )
    assert line and float(line.group(1)) == pytest.approx(accuracy, abs=5e-5), result.stdout
    html = (out / "report.html").read_text()
    assert f"accuracy {accuracy:.4f}" in html
    assert 'test-file = "' in (out / "config.toml").read_text()


def test_gradcheck_and_diagnose_take_a_delimiter(flower_run, data_dir, tmp_path) -> None:
    semicolons = tmp_path / "flowers-semicolon.csv"
    semicolons.write_text((data_dir / "flowers.csv").read_text().replace(",", ";"))
    model = flower_run / "model.glassnet"
    diagnosed = glassnet("diagnose", model, semicolons, "--delimiter", ";", "--rows", "100")
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert "diagnosis on 100 samples" in diagnosed.stdout
    checked = glassnet("gradcheck", model, "--data", semicolons, "--delimiter", ";", "--rows", "8")
    assert "gradient check of" in checked.stdout and "on 8 rows" in checked.stdout, checked.stderr
