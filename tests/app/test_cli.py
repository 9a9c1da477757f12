"""The ``glassnet`` command, driven as a user drives it: in a subprocess, from a shell's view."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

from glassnet.io import load_model

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"  # beside the repository
HOUSING = DATASETS / "california-housing" / "housing.csv"
needs_housing = pytest.mark.skipif(
    not HOUSING.exists(),
    reason=f"needs the shared datasets folder beside the repository: {HOUSING} is absent",
)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    """A 300-row, 4-column CSV: two numeric columns, a categorical one, a 3-class target."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("data") / "flowers.csv"
    rows = ["width,height,colour,species"]
    for _ in range(300):
        species = int(rng.integers(0, 3))
        width, height = rng.normal(1 + species, 0.3), rng.normal(2 - 0.5 * species, 0.3)
        colour = ["red", "blue", "white"][(species + int(rng.integers(0, 2))) % 3]
        rows.append(f"{width:.3f},{height:.3f},{colour},{['iris', 'rose', 'tulip'][species]}")
    path.write_text("\n".join(rows) + "\n")
    return path


# -- train with no arguments: the demo ----------------------------------------------------


def test_train_with_no_arguments_trains_on_the_shipped_sample(tmp_path) -> None:
    result = glassnet("train", "--epochs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "network: 784-64-32-10" in out and "task: multiclass" in out
    assert ", batch 32, 2 epochs, seed 0\n" in out  # no L2, no early stopping on the sample
    assert re.search(
        r"^epoch 2/2  loss \d\.\d{4}  acc \d\.\d{4} │ val loss \d\.\d{4}  acc", out, re.MULTILINE
    )
    accuracy = float(re.search(r"validation: .*accuracy (\d\.\d+)", out).group(1))
    assert accuracy > 0.9  # 2 epochs of Adam on 10k digits: about 0.92
    run = Path(re.search(r"^model: (.*)model.glassnet$", out, re.MULTILINE).group(1))
    run = tmp_path / run
    assert run.parent.name == "runs"
    for name in ("model.glassnet", "history.json", "summary.json", "config.toml", "report.html"):
        assert (run / name).is_file(), name


def test_help_lists_every_command() -> None:
    result = glassnet("--help")
    for command in ("train", "predict", "evaluate", "export", "report"):
        assert command in result.stdout


# -- a CSV from train to predict, evaluate, export, report ---------------------------------


@pytest.fixture(scope="module")
def trained_run(small_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "flowers"
    result = glassnet(
        "train",
        small_csv,
        "--target",
        "species",
        "--layers",
        "16",
        "--epochs",
        "15",
        "--lr",
        "0.01",
        "--out",
        out,
        "--seed",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert "task: multiclass (target species; 3 softmax outputs, cce loss)" in result.stdout
    return out


def test_train_infers_the_task_and_writes_the_run_folder(trained_run) -> None:
    summary = json.loads((trained_run / "summary.json").read_text())
    assert summary["task"] == "multiclass" and summary["classes"] == ["iris", "rose", "tulip"]
    assert summary["final"]["val_accuracy"] > 0.85  # the classes barely overlap
    history = json.loads((trained_run / "history.json").read_text())
    assert len(history["loss"]) == 15 and history["loss"][-1] < history["loss"][0]
    assert 'optimizer = "adam"' in (trained_run / "config.toml").read_text()


def test_predict_writes_labels_and_probabilities(trained_run, small_csv, tmp_path) -> None:
    result = glassnet("predict", trained_run / "model.glassnet", small_csv, "--proba")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "predicted_species,p(iris),p(rose),p(tulip)"
    assert len(lines) == 301
    label, *proba = lines[1].split(",")
    assert label in ("iris", "rose", "tulip") and abs(sum(map(float, proba)) - 1) < 1e-4
    out = tmp_path / "predictions.csv"
    assert (
        glassnet("predict", trained_run / "model.glassnet", small_csv, "--out", out).returncode == 0
    )
    assert out.read_text().splitlines()[0] == "predicted_species"


def test_predict_matches_columns_by_name_and_names_what_is_missing(
    trained_run, small_csv, tmp_path
) -> None:
    text = small_csv.read_text().splitlines()
    reordered = tmp_path / "reordered.csv"
    header = text[0].split(",")
    order = [2, 0, 1]  # colour, width, height; no target
    reordered.write_text(
        "\n".join(",".join(line.split(",")[i] for i in order) for line in text) + "\n"
    )
    by_name = glassnet("predict", trained_run / "model.glassnet", reordered)
    plain = glassnet("predict", trained_run / "model.glassnet", small_csv)
    assert by_name.returncode == 0 and by_name.stdout == plain.stdout
    lacking = tmp_path / "lacking.csv"
    lacking.write_text(
        "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:3]) for line in text) + "\n"
    )
    assert header[1] == "height"
    assert "lacks the column(s) 'height' that the model needs" in one_line_error(
        glassnet("predict", trained_run / "model.glassnet", lacking)
    )


def test_evaluate_prints_the_metrics(trained_run, small_csv) -> None:
    result = glassnet("evaluate", trained_run / "model.glassnet", small_csv)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"accuracy\s+(\d\.\d+)", result.stdout).group(1))
    assert accuracy > 0.85
    assert "confusion matrix" in result.stdout and "macro F1" in result.stdout


def test_diagnose_reports_each_layer_of_a_saved_model(trained_run, small_csv, tmp_path) -> None:
    result = glassnet(
        "diagnose",
        trained_run / "model.glassnet",
        small_csv,
        "--lr",
        "0.01",
        "--histograms",
        tmp_path / "histograms.png",
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"diagnosis on 300 samples", result.stdout)
    assert re.search(
        r"^\s+1\s+5→16\s+relu", result.stdout, re.MULTILINE
    )  # 2 numeric + 3 one-hot inputs
    assert (tmp_path / "histograms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_rewrites_the_report(trained_run) -> None:
    (trained_run / "report.html").unlink()
    result = glassnet("report", trained_run)
    assert result.returncode == 0, result.stderr
    html = (trained_run / "report.html").read_text()
    assert "data:image/png;base64," in html and "flowers.csv" in html


def test_config_file_keys_match_the_flags(small_csv, tmp_path) -> None:
    config = tmp_path / "train.toml"
    config.write_text(
        'target = "species"\nlayers = [8]\nepochs = 3\nbatch-size = 16\noptimizer = "sgd"\nlr = 0.05\n'
    )
    result = glassnet(
        "train", small_csv, "--config", config, "--epochs", "2", "--out", tmp_path / "run", "-q"
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "run" / "config.toml").read_text()
    assert (
        "epochs = 2" in written and "batch-size = 16" in written and 'optimizer = "sgd"' in written
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("epochz = 3\n")
    assert "unknown option 'epochz'" in one_line_error(
        glassnet("train", small_csv, "--config", bad)
    )


# -- checkpoints, resume, Ctrl-C ------------------------------------------------------------


def test_resume_from_a_checkpoint_ends_bit_for_bit_where_a_full_run_does(
    small_csv, tmp_path
) -> None:
    common = [
        "--target",
        "species",
        "--layers",
        "12",
        "--dropout",
        "0.2",
        "--batch-norm",
        "--schedule",
        "cosine",
        "--epochs",
        "6",
        "--batch-size",
        "16",
        "-q",
    ]
    full = glassnet(
        "train", small_csv, *common, "--checkpoint-every", "3", "--out", tmp_path / "full"
    )
    assert full.returncode == 0, full.stderr
    checkpoint = tmp_path / "full" / "checkpoints" / "epoch-0003.glassnet"
    resumed = glassnet("train", "--resume", checkpoint, "--out", tmp_path / "resumed", "-q")
    assert resumed.returncode == 0, resumed.stderr
    a = load_model(tmp_path / "full" / "model.glassnet").network
    b = load_model(tmp_path / "resumed" / "model.glassnet").network
    for (name, x), (_, y) in zip(
        a.parameters() + a.buffers(), b.parameters() + b.buffers(), strict=True
    ):
        np.testing.assert_array_equal(x, y, err_msg=name)


@needs_housing
def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(tmp_path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glassnet",
            "train",
            str(HOUSING),
            "--target",
            "median_house_value",
            "--epochs",
            "500",
            "--batch-size",
            "8",
            "--out",
            str(tmp_path / "run"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # wait for the first finished epoch
        if line.startswith("epoch "):
            break
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    saved = re.search(r"saved the state after epoch (\d+) to (\S+)", err)
    assert saved, err
    assert "resume with: glassnet train --resume" in err and "Traceback" not in err
    path = Path(saved.group(2))
    assert load_model(path).training["epoch"] == int(saved.group(1))
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


# -- bad input: one line, non-zero exit, nothing half-written -------------------------------


def test_a_missing_file(tmp_path) -> None:
    assert "does not exist" in one_line_error(glassnet("train", tmp_path / "nope.csv"))


def test_a_directory_instead_of_a_file(tmp_path) -> None:
    assert "is a directory" in one_line_error(glassnet("train", tmp_path))
    assert "is a directory" in one_line_error(glassnet("predict", tmp_path, tmp_path))


def test_an_empty_csv(tmp_path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty" in one_line_error(glassnet("train", empty))


def test_a_target_column_that_does_not_exist(small_csv) -> None:
    line = one_line_error(glassnet("train", small_csv, "--target", "price"))
    assert "'price'" in line and "species" in line  # names the column and lists the real ones


def test_a_non_numeric_value_in_a_numeric_column(small_csv, tmp_path) -> None:
    lines = small_csv.read_text().splitlines()
    lines[41] = "wide," + lines[41].split(",", 1)[1]
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")
    line = one_line_error(glassnet("train", broken, "--target", "species"))
    assert "line 42, column 'width': 'wide' is not a number" in line


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--optimizer", "lbfgs", "--optimizer must be one of"),
        ("--activation", "relu6", "--activation must be one of"),
        ("--epochs", "0", "--epochs must be an integer > 0, got 0"),
        ("--lr", "-1", "--lr must be a number > 0, got -1.0"),
        ("--layers", "12,x", "--layers: 'x' is not a layer; expected conv<F>k<K>"),
        ("--dropout", "1.5", "--dropout must be in [0, 1)"),
        ("--epochs", "1.5", "--epochs must be an integer, got '1.5'"),
        ("--layers", "64,,32", "--layers: entry 2 of '64,,32' is empty"),
    ],
)
def test_an_unknown_or_invalid_option_value(small_csv, tmp_path, flag, value, message) -> None:
    out = tmp_path / "run"
    assert message in one_line_error(glassnet("train", small_csv, flag, value, "--out", out))
    assert not (out / "model.glassnet").exists()


def test_model_files_that_are_truncated_corrupted_or_newer(
    trained_run, small_csv, tmp_path
) -> None:
    data = (trained_run / "model.glassnet").read_bytes()
    truncated = tmp_path / "truncated.glassnet"
    truncated.write_bytes(data[: len(data) // 3])
    assert "truncated or corrupted" in one_line_error(glassnet("predict", truncated, small_csv))
    corrupted = tmp_path / "corrupted.glassnet"
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(flipped))
    line = one_line_error(glassnet("predict", corrupted, small_csv))
    assert "checksum" in line or "corrupted" in line
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello\n")
    assert "not a readable glassnet model file" in one_line_error(
        glassnet("evaluate", not_a_model, small_csv)
    )


@needs_housing
def test_divergence_is_one_line_naming_the_first_non_finite_quantity(tmp_path) -> None:
    result = glassnet(
        "train",
        HOUSING,
        "--target",
        "median_house_value",
        "--optimizer",
        "sgd",
        "--lr",
        "10",
        "--epochs",
        "5",
        "--out",
        tmp_path / "run",
        "-q",
    )
    line = one_line_error(result)
    assert re.search(
        r"the cost became (inf|nan) at epoch \d+, step \d+ \(.* is the first non-finite quantity",
        line,
    )
    assert "smaller learning rate" in line


def test_watch_names_vanishing_gradients_in_a_deep_sigmoid_network(small_csv, tmp_path) -> None:
    result = glassnet(
        "train",
        small_csv,
        "--target",
        "species",
        "--activation",
        "sigmoid",
        "--layers",
        ",".join(["16"] * 10),
        "--epochs",
        "1",
        "--l2",  # the default L2 term (λ/m) W would mask the vanishing data gradient
        "0",
        "--watch",
        "--out",
        tmp_path / "run",
        "-q",
    )
    assert result.returncode == 0, result.stderr
    assert "vanishing gradients" in result.stdout and "activation='relu'" in result.stdout


def test_a_target_with_one_class(tmp_path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("x,label\n" + "".join(f"{i},yes\n" for i in range(30)))
    line = one_line_error(glassnet("train", path, "--task", "multiclass"))
    assert "has only the class 'yes'; a classifier needs at least 2" in line


def test_resume_from_a_checkpoint_not_written_by_the_cli(tmp_path) -> None:
    import glassnet as gn
    from glassnet.io import save_model
    from glassnet.training import Checkpoint

    checkpoint = Checkpoint()
    net = gn.Network.build([2, 3], seed=0)
    net.fit(np.ones((8, 2)), np.arange(8) % 3, epochs=1, callbacks=[checkpoint])
    path = save_model(tmp_path / "api.glassnet", net, training=checkpoint.last)
    assert "was not written by glassnet train" in one_line_error(
        glassnet("train", "--resume", path)
    )


def test_debug_shows_the_traceback(tmp_path) -> None:
    result = glassnet("train", tmp_path / "nope.csv", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_no_half_written_files_after_a_failed_run(small_csv, tmp_path) -> None:
    out = tmp_path / "run"
    one_line_error(glassnet("train", small_csv, "--target", "nope", "--out", out))
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []
    assert os.listdir(tmp_path) in ([], ["run"])


def test_a_csv_of_the_wrong_width_for_a_model_of_arrays(tmp_path) -> None:
    run = tmp_path / "demo"
    assert glassnet("train", "--epochs", "1", "--out", run, "-q").returncode == 0
    data = tmp_path / "three.csv"
    data.write_text("a,b,y\n1,2,0\n3,,1\n")
    line = one_line_error(glassnet("predict", run / "model.glassnet", data))
    assert "three.csv has 3 feature column(s), but the model takes 784 numbers per row" in line


def test_gradcheck_without_a_spec_points_to_the_list_of_examples() -> None:
    line = one_line_error(glassnet("gradcheck"))
    assert "give a SPEC file or --example NAME (glassnet trace --list shows the examples)" in line
    assert "glassnet trace --list" in line


def test_predict_and_evaluate_read_a_file_with_the_delimiter_the_model_was_trained_on(
    small_csv, tmp_path
) -> None:
    semicolons = tmp_path / "flowers-semicolon.csv"
    semicolons.write_text(small_csv.read_text().replace(",", ";"))
    out = tmp_path / "run"
    trained = glassnet("train", semicolons, "--delimiter", ";", "--epochs", "2", "--out", out, "-q")
    assert trained.returncode == 0, trained.stderr
    predicted = glassnet("predict", out / "model.glassnet", semicolons)
    assert predicted.returncode == 0, predicted.stderr
    assert len(predicted.stdout.strip().splitlines()) == 301  # the header and 300 rows
    evaluated = glassnet("evaluate", out / "model.glassnet", semicolons)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "300 rows with a target" in evaluated.stdout


def test_a_spreadsheets_european_csv_is_sniffed_and_remembered(small_csv, tmp_path) -> None:
    """Issue 9, items 2–4: a BOM, semicolons and decimal commas, as a European spreadsheet
    writes them, train without any flag, say what was read, and predict the same way."""
    lines = small_csv.read_text().splitlines()
    european = tmp_path / "flowers-excel.csv"
    rows = [line.replace(",", ";") for line in lines]
    rows = [rows[0]] + [";".join(cell.replace(".", ",") for cell in r.split(";")) for r in rows[1:]]
    european.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    out = tmp_path / "run"
    trained = glassnet("train", european, "--target", "species", "--epochs", "2", "--out", out)
    assert trained.returncode == 0, trained.stderr
    assert "semicolon-separated, decimal commas, a header row" in trained.stdout
    assert "3 columns → 5 features" in trained.stdout  # width, height, colour: not 300 categories
    predicted = glassnet("predict", out / "model.glassnet", european)
    assert predicted.returncode == 0, predicted.stderr
    plain = glassnet("predict", out / "model.glassnet", small_csv)  # the same rows, plainly
    assert predicted.stdout == plain.stdout


def test_an_id_column_is_kept_out_and_written_beside_each_prediction(small_csv, tmp_path) -> None:
    """Issue 9, item 6: --id keeps a column out of the features; predict writes it first."""
    lines = small_csv.read_text().splitlines()
    with_id = tmp_path / "flowers-id.csv"
    rows = ["plant," + lines[0]] + [f"P{i:04d},{line}" for i, line in enumerate(lines[1:])]
    with_id.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    trained = glassnet("train", with_id, "--id", "plant", "--epochs", "2", "--out", out)
    assert trained.returncode == 0, trained.stderr
    assert "4 columns → 5 features" in trained.stdout  # the id is read, not a feature
    predicted = glassnet("predict", out / "model.glassnet", with_id)
    header, first = predicted.stdout.splitlines()[:2]
    assert header == "plant,predicted_species"
    assert first.startswith("P0000,")


def test_unseen_categories_at_predict_time_are_one_warning_line(small_csv, tmp_path) -> None:
    """Issue 9, item 7: a colour the model never saw is named on one line of stderr."""
    out = tmp_path / "run"
    assert glassnet("train", small_csv, "--epochs", "1", "--out", out, "-q").returncode == 0
    lines = small_csv.read_text().splitlines()
    unseen = tmp_path / "unseen.csv"
    unseen.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[2], "purple")]))
    predicted = glassnet("predict", out / "model.glassnet", unseen)
    assert predicted.returncode == 0, predicted.stderr
    warning = predicted.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("glassnet: warning: ")
    assert "colour" in warning[0] and "purple" in warning[0]


def test_a_regression_run_says_which_numbers_are_standardized(small_csv, tmp_path) -> None:
    """Issue 9, item 10: the epoch lines mix a standardized loss with RMSE in real units;
    the run says so before training."""
    out = tmp_path / "run"
    result = glassnet("train", small_csv, "--target", "height", "--epochs", "1", "--out", out)
    assert result.returncode == 0, result.stderr
    assert (
        "units: the loss is on the standardized target (y − mean) / std; "
        "rmse and mae are in the target's own units"
    ) in result.stdout


def test_encoding_reads_a_file_that_is_not_utf8(tmp_path) -> None:
    """A tab-separated file in cp1252, as Excel on Windows writes it: refused with a line
    that names the option to give, then read with it; the model keeps the encoding, so
    predict reads the next such file alike."""
    rows = ["nom\tprix\tcatégorie"]
    rows += [f"café{i}\t{i * 1.5}\t{'été' if i % 2 else 'hiver'}" for i in range(60)]
    data = tmp_path / "latin.tsv"
    data.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
    refused = glassnet("train", data, "--no-report", "--out", tmp_path / "no")
    assert refused.returncode != 0
    assert "line 1: not valid text in utf-8" in refused.stderr
    assert "--encoding cp1252" in refused.stderr
    run = tmp_path / "run"
    trained = glassnet("train", data, "--encoding", "cp1252", "--no-report", "--out", run)
    assert trained.returncode == 0, trained.stderr
    assert "cp1252" in trained.stdout
    predicted = glassnet("predict", run / "model.glassnet", data)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] == "nom,predicted_catégorie" and lines[1].startswith("café0,")
    assert len(lines) == 61
    unknown = glassnet("train", data, "--encoding", "klingon")
    assert "--encoding must be a text encoding Python knows" in unknown.stderr


def test_a_test_file_without_the_models_columns_is_refused_before_training(tmp_path) -> None:
    rng = np.random.default_rng(0)
    rows = [f"{rng.normal():.3f},{rng.normal():.3f},{'ab'[i % 2]}" for i in range(80)]
    data = tmp_path / "train.csv"
    data.write_text("x,z,y\n" + "\n".join(rows) + "\n")
    test = tmp_path / "test.csv"
    test.write_text("x,w,y\n" + "\n".join(rows[:10]) + "\n")  # 'z' is named 'w' here
    result = glassnet("train", data, "--test-file", test, "--out", tmp_path / "run")
    assert result.returncode != 0
    assert f"--test-file {test}: lacks the column(s) 'z'" in result.stderr, result.stderr
    assert "epoch" not in result.stdout  # said before any training
    assert not (tmp_path / "run").exists()


def test_a_table_too_small_for_validation_says_what_to_do(tmp_path) -> None:
    """Two rows of two classes leave no validation row, and early stopping (on by
    default) would find no validation loss after the first epoch: said before training."""
    data = tmp_path / "two.csv"
    data.write_text("x,y\n1,a\n2,b\n")
    result = glassnet("train", data, "--out", tmp_path / "run")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "glassnet: error: two.csv: no row is left for validation (2 rows), so val_loss "
        "cannot be watched: add rows, or give --early-stopping 0"
    )
    fine = glassnet(
        "train",
        data,
        "--early-stopping",
        "0",
        "--epochs",
        "2",
        "--no-report",
        "--out",
        tmp_path / "ok",
    )
    assert fine.returncode == 0, fine.stderr


def test_help_says_which_defaults_follow_the_datas_size() -> None:
    """A table or a folder of images gets defaults for its size (training.row_defaults):
    --help must not promise the option table's, which only the shipped sample gets."""
    from glassnet.training.row_defaults import defaults_for_images, defaults_for_rows

    text = " ".join(glassnet("train", "--help").stdout.split())  # argparse's wrapping undone
    sized = {*defaults_for_rows(1_000), *defaults_for_images(1_000)}
    assert {"layers", "l2", "epochs", "batch_size", "early_stopping", "refit"} <= sized
    assert "default: suited to the data's size (64,32 for the shipped sample)" in text
    assert "default: suited to the data's size (20 for the shipped sample)" in text
    assert "default 64,32" not in text and "default 20 " not in text


def test_an_infinite_feature_is_named_by_its_line(tmp_path) -> None:
    data = tmp_path / "inf.csv"
    data.write_text("a,b,y\n1,2,x\n3,inf,y\n5,6,x\n7,8,y\n9,nan,x\n")
    result = glassnet("train", data, "--epochs", "2", "--out", tmp_path / "run")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"glassnet: error: {data}, line 3: numeric column 'b' is inf; a feature must be a "
        "finite number or missing"
    )


def test_a_file_without_most_of_the_models_columns_lists_ten_and_counts_the_rest(tmp_path) -> None:
    names = [f"c{j}" for j in range(30)]
    rows = [
        ",".join(f"{(i * 7 + j) % 11}" for j in range(30)) + f",{'ab'[i % 2]}" for i in range(60)
    ]
    data = tmp_path / "wide.csv"
    data.write_text(",".join([*names, "y"]) + "\n" + "\n".join(rows) + "\n")
    run = tmp_path / "run"
    assert glassnet("train", data, "--epochs", "2", "--no-report", "--out", run).returncode == 0
    other = tmp_path / "other.csv"
    other.write_text("p,q,y\n1,2,a\n")
    result = glassnet("predict", run / "model.glassnet", other)
    shown = ", ".join(repr(n) for n in names[:10])
    assert (
        f"other.csv lacks the column(s) {shown} and 20 more that the model needs" in result.stderr
    )


def test_the_training_line_says_the_penalty_and_that_the_epochs_are_a_cap(
    small_csv, tmp_path
) -> None:
    """A table's defaults: L2 λ = 0.3 and early stopping with patience 30 (training.row_defaults);
    the epoch count is the most it may train, which a newcomer read as the plan."""
    result = glassnet(
        "train", small_csv, "--ensemble", "1", "--epochs", "3", "--no-report", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("training: "))
    assert line.endswith(
        ", L2 λ 0.3, batch 32, up to 3 epochs (early stopping, patience 30), seed 0"
    )
    one = glassnet("train", small_csv, "--ensemble", "1", "--epochs", "1", "--l2", "0",
                   "--early-stopping", "0", "--no-report", cwd=tmp_path)  # fmt: skip
    assert one.returncode == 0, one.stderr
    assert ", batch 32, 1 epoch, seed 0\n" in one.stdout


def test_predict_and_evaluate_read_a_file_in_the_encoding_their_error_names(tmp_path) -> None:
    """A Windows spreadsheet's cp1252 file: the error says --encoding cp1252, and predict
    and evaluate take it, predicting what they predict for the same rows in UTF-8."""
    rng = np.random.default_rng(0)
    colours = ["crème", "rouge", "bleu"]
    rows = ["size,colour,kind"] + [
        f"{rng.normal(i % 3, 0.3):.3f},{colours[i % 3]},{'abc'[i % 3]}" for i in range(90)
    ]
    train, utf8, windows = tmp_path / "t.csv", tmp_path / "u.csv", tmp_path / "w.csv"
    train.write_text("\n".join(rows) + "\n", "utf-8")
    utf8.write_text("\n".join(rows[:31]) + "\n", "utf-8")
    windows.write_text("\n".join(rows[:31]) + "\n", "cp1252")
    run = tmp_path / "run"
    trained = glassnet("train", train, "--ensemble", "1", "--epochs", "3", "--out", run, "-q",
                       "--no-report")  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    model = run / "model.glassnet"
    refused = one_line_error(glassnet("predict", model, windows))
    assert refused.endswith("save it as UTF-8 or give its encoding, e.g. --encoding cp1252 "
                            "(encoding='cp1252' in Python)")  # fmt: skip
    expected = glassnet("predict", model, utf8, "--proba")
    read = glassnet("predict", model, windows, "--proba", "--encoding", "cp1252")
    assert read.returncode == 0, read.stderr
    assert read.stdout == expected.stdout and read.stdout.count("\n") == 31
    scores = glassnet("evaluate", model, windows, "--encoding", "cp1252")
    assert scores.returncode == 0, scores.stderr
    assert scores.stdout == glassnet("evaluate", model, utf8).stdout.replace("u.csv", "w.csv")
