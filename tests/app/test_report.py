"""Reports: synthetic run folders (multiclass, binary, regression, with and without
validation.npz) turned into report.html and PNGs; the page is self-contained and shows the
summary, the figures are real PNGs, the confusion counts match scikit-learn's, and a bad
run folder fails with a message that names the folder or the file."""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn.metrics as skm

pytest.importorskip("matplotlib")
from PIL import Image  # Pillow comes with matplotlib

from glassnet.metrics import confusion_matrix
from glassnet.report import write_report
from glassnet.report.figures import LABEL_WIDTH, confusion_figure, short_labels, spans_decades

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSES = ["cat", "dog", "<bird>"]  # "<bird>" must come out escaped


def _history(metric: str, n_epochs: int, *, validation: bool = True, **extra: list[float]) -> dict:
    e = np.arange(1, n_epochs + 1)
    history: dict[str, Any] = {"metric": metric, "epoch": e.tolist(), "loss": (1.0 / e).tolist()}
    history[metric] = (0.5 + 0.04 * e).tolist() if metric == "accuracy" else (2.0 / e).tolist()
    if validation:
        history["val_loss"] = (1.1 / e + 0.05).tolist()
        history[f"val_{metric}"] = [v * 0.97 for v in history[metric]]
    history["learning_rate"] = [0.01 * 0.5**k for k in range(n_epochs)]
    history["seconds"] = [0.25] * n_epochs
    history.update(extra)
    return history


def _make_run(
    folder: Path,
    task: str,
    *,
    with_validation: bool = True,
    history: dict | None = None,
    summary_extra: dict | None = None,
    m: int = 300,
) -> Path:
    """A run folder as ``glassnet train`` writes it, with seeded validation predictions."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    classification = task != "regression"
    metric = "accuracy" if classification else "rmse"
    history = history if history is not None else _history(metric, 5, val_f1_macro=[0.6] * 5)
    (folder / "history.json").write_text(json.dumps(history))
    classes = (CLASSES if task == "multiclass" else ["<=50K", ">50K"]) if classification else None
    summary = {
        "data": "synthetic.csv (1,500 rows; 1,200 train / 300 validation)",
        "task": task,
        "target": "label" if classification else "median_house_value",
        "architecture": "13-64-32-1 relu, identity output, mse loss",
        "parameters": 3009,
        "optimizer": "adam (lr 0.001)",
        "epochs": 5,
        "batch_size": 64,
        "seconds_per_epoch": 0.41,
        "final": {"val_loss": 0.23456789, "val_r2": 0.8123456},
        "classes": classes,
        "command": "glassnet train synthetic.csv --target label",
        "glassnet_version": "0.1.0",
        "created": "2026-11-22T13:30:00",
        **(summary_extra or {}),
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    if with_validation:
        if classification:
            assert classes is not None
            y_true = rng.integers(0, len(classes), m)
            y_pred = np.where(rng.random(m) < 0.7, y_true, rng.integers(0, len(classes), m))
        else:
            y_true = rng.normal(200_000, 50_000, m)
            y_pred = y_true + rng.normal(0, 20_000, m)
        np.savez(folder / "validation.npz", y_true=y_true, y_pred=y_pred)
    return folder


def _embedded_pngs(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    with Image.open(path) as image:
        image.load()
        width, height = image.size
    assert width > 100 and height > 100


@pytest.fixture(scope="module")
def multiclass_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(_make_run(tmp_path_factory.mktemp("runs") / "multi", "multiclass"))


@pytest.fixture(scope="module")
def regression_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(_make_run(tmp_path_factory.mktemp("runs") / "reg", "regression"))


# -- what gets written -----------------------------------------------------------------------


def test_classification_report_writes_the_page_and_its_three_figures(
    multiclass_report: Path,
) -> None:
    folder = multiclass_report.parent
    assert multiclass_report == folder / "report.html"
    written = {p.name for p in folder.iterdir()}
    figures = {"loss.png", "metric.png", "confusion_matrix.png"}
    assert written == {"history.json", "summary.json", "validation.npz", "report.html"} | figures
    for name in figures:
        _assert_png(folder / name)


def test_regression_report_draws_predicted_vs_true_instead_of_a_confusion_matrix(
    regression_report: Path,
) -> None:
    folder = regression_report.parent
    assert not (folder / "confusion_matrix.png").exists()
    for name in ("loss.png", "metric.png", "predicted_vs_true.png"):
        _assert_png(folder / name)


@pytest.mark.parametrize("report", ["multiclass_report", "regression_report"])
def test_the_page_is_self_contained(report: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(report)
    page = path.read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "<script" not in page and "<style>" in page
    # every figure is embedded byte for byte as it was saved beside the page
    embedded = _embedded_pngs(page)
    saved = sorted(p.read_bytes() for p in path.parent.glob("*.png"))
    assert sorted(embedded) == saved and len(saved) == 3


def test_the_page_shows_the_summary_and_the_final_metrics(multiclass_report: Path) -> None:
    page = multiclass_report.read_text(encoding="utf-8")
    for text in (
        "13-64-32-1 relu, identity output, mse loss",
        "synthetic.csv (1,500 rows; 1,200 train / 300 validation)",
        "adam (lr 0.001)",
        "3,009",  # parameters, with a thousands separator
        "0.41 s",  # time per epoch
        "glassnet train synthetic.csv --target label",
        "2026-11-22T13:30:00",
        "0.01 → 0.000625",  # the learning-rate schedule, read from history.json
    ):
        assert text in page, text
    assert re.search(r"<th>Batch size</th><td>64</td>", page)
    assert re.search(r"<th>val_loss</th><td[^>]*>0\.2346</td>", page)
    assert re.search(r"<th>val_r2</th><td[^>]*>0\.8123</td>", page)
    assert html.escape("<bird>") in page and "<bird>" not in page
    assert re.search(r"<footer>.*glassnet 0\.1\.0.*</footer>", page)


def test_unknown_summary_keys_go_into_the_table(tmp_path: Path) -> None:
    extra = {"seed": 7, "notes": "first try <b>", "l2": 0.0001, "hidden": [64, 32]}
    page = write_report(_make_run(tmp_path / "run", "binary", summary_extra=extra)).read_text()
    assert re.search(r"<th>Seed</th><td>7</td>", page)
    assert re.search(r"<th>Notes</th><td>first try &lt;b&gt;</td>", page)
    assert re.search(r"<th>L2</th><td>1\.000e-04</td>", page)
    assert re.search(r"<th>Hidden</th><td>64, 32</td>", page)


def test_regression_caption_gives_r2_as_scikit_learn_computes_it(regression_report: Path) -> None:
    with np.load(regression_report.parent / "validation.npz") as arrays:
        r2 = skm.r2_score(arrays["y_true"], arrays["y_pred"])
    page = regression_report.read_text(encoding="utf-8")
    assert f"R² = {r2:.4f}" in page


# -- the confusion matrix --------------------------------------------------------------------


def test_confusion_matrix_agrees_with_scikit_learn_and_keeps_absent_classes() -> None:
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    C = confusion_matrix(y_true, y_pred, labels=np.arange(5))  # what the report counts
    np.testing.assert_array_equal(C, skm.confusion_matrix(y_true, y_pred, labels=range(5)))
    assert C[4].sum() == 0  # class 4: a row of zeros


def test_the_page_lists_the_confusion_counts(multiclass_report: Path) -> None:
    with np.load(multiclass_report.parent / "validation.npz") as arrays:
        expected = skm.confusion_matrix(arrays["y_true"], arrays["y_pred"], labels=range(3))
    page = multiclass_report.read_text(encoding="utf-8")
    table = re.search(r'<table id="confusion-matrix">.*?<tbody>(.*?)</tbody>', page, re.DOTALL)
    assert table is not None
    rows = re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", table.group(1))
    assert [html.unescape(name) for name, _ in rows] == CLASSES
    for (_, cells), counts in zip(rows, expected, strict=True):
        values = [int(v) for v in re.findall(r'<td class="num[^"]*">(\d+)</td>', cells)]
        assert values == [*counts, counts.sum()]  # the K counts, then the row total


LONG_CLASSES = [f"occupation group in the census data: {w}".ljust(40, ".") for w in "ABC"]


def test_long_class_names_are_shortened_and_slanted_in_the_confusion_matrix(
    tmp_path: Path,
) -> None:
    assert all(len(name) == 40 for name in LONG_CLASSES)
    folder = _make_run(tmp_path / "run", "multiclass", summary_extra={"classes": LONG_CLASSES})
    page = write_report(folder).read_text(encoding="utf-8")
    _assert_png(folder / "confusion_matrix.png")
    assert "Long class names are shortened; the table below gives them in full." in page
    table = re.search(r'<table id="confusion-matrix">.*?<tbody>(.*?)</tbody>', page, re.DOTALL)
    assert table is not None
    assert re.findall(r"<tr><th>(.*?)</th>", table.group(1)) == LONG_CLASSES  # in full

    with np.load(folder / "validation.npz") as arrays:
        C = confusion_matrix(arrays["y_true"], arrays["y_pred"], labels=np.arange(3))
    fig = confusion_figure(C, LONG_CLASSES)
    ax = fig.axes[0]
    columns, rows = ax.get_xticklabels(), ax.get_yticklabels()
    # each name keeps its first 10 and last 9 characters around an ellipsis: 20 in all
    expected = [name[:10] + "…" + name[-9:] for name in LONG_CLASSES]
    assert [t.get_text() for t in columns] == [t.get_text() for t in rows] == expected
    assert all(len(label) == LABEL_WIDTH for label in expected) and len(set(expected)) == 3
    assert [t.get_rotation() for t in columns] == [30.0] * 3
    assert [t.get_rotation() for t in rows] == [0.0] * 3
    # Laid out, every label lies inside the figure and no two run into each other: the row
    # labels' boxes are apart, and the slanted column labels are parallel strips one text
    # height h thick whose anchors lie d apart, so d·sin 30° > h keeps them apart.
    fig.draw_without_rendering()
    row_boxes = [t.get_window_extent() for t in rows]
    column_boxes = [t.get_window_extent() for t in columns]
    for box in (*row_boxes, *column_boxes):
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, box
        assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1, box
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(row_boxes))
    h = max(box.height for box in row_boxes)  # the same font, not rotated
    anchors = [box.x1 for box in column_boxes]  # ha="right": each label ends at its tick
    assert min(np.diff(anchors)) * np.sin(np.radians(30)) > h


def test_short_names_stay_whole_and_names_that_would_read_alike_are_numbered() -> None:
    assert short_labels(CLASSES) == CLASSES
    alike = ["a" * 15 + "-x-" + "b" * 15, "a" * 15 + "-y-" + "b" * 15, "short"]
    labels = short_labels(alike)
    assert labels == ["0: " + "a" * 8 + "…" + "b" * 8, "1: " + "a" * 8 + "…" + "b" * 8, "short"]
    assert all(len(label) <= LABEL_WIDTH for label in labels)


# -- what is optional ------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_without_validation_npz_the_last_figure_is_skipped_with_a_note(
    task: str, tmp_path: Path
) -> None:
    history = _history("accuracy" if task == "binary" else "rmse", 3, validation=False)
    folder = _make_run(tmp_path / "run", task, with_validation=False, history=history)
    page = write_report(folder).read_text(encoding="utf-8")
    assert {p.name for p in folder.glob("*.png")} == {"loss.png", "metric.png"}
    assert re.search(r'class="note">This run folder has no <code>validation\.npz</code>', page)
    assert len(_embedded_pngs(page)) == 2


def test_with_model_glassnet_the_network_is_drawn_as_a_graph(tmp_path: Path) -> None:
    from glassnet import Network
    from glassnet.io import save_model

    folder = _make_run(tmp_path / "run", "multiclass")
    save_model(folder / "model.glassnet", Network.build([4, 8, 3], seed=0))
    page = write_report(folder).read_text(encoding="utf-8")
    _assert_png(folder / "network.png")
    assert (folder / "network.png").read_bytes() in _embedded_pngs(page)
    assert len(_embedded_pngs(page)) == 4
    assert re.search(r"<h2>Network</h2>\n<figure>.*Figure 4\. The 4-8-3 network as a graph", page)


def test_a_damaged_model_glassnet_is_named(tmp_path: Path) -> None:
    folder = _make_run(tmp_path / "run", "binary")
    (folder / "model.glassnet").write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"model\.glassnet"):
        write_report(folder)


def test_history_alone_is_enough(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "history.json").write_text(json.dumps({"loss": [0.9, 0.5], "accuracy": [0.6, 0.8]}))
    page = write_report(folder).read_text(encoding="utf-8")
    assert "no <code>summary.json</code>" in page
    assert re.search(r"<th>accuracy</th><td[^>]*>0\.8000</td>", page)  # final: the last epoch


def test_a_diverged_run_still_gets_a_report_that_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    history = {"metric": "rmse", "loss": [0.5, float("nan")], "rmse": [1.0, None]}
    (folder / "history.json").write_text(json.dumps(history))
    page = write_report(folder).read_text(encoding="utf-8")
    assert "training loss is missing, NaN or infinite at 1 of 2 epochs, first at epoch 2" in page
    _assert_png(folder / "loss.png")


def test_loss_is_drawn_on_a_log_scale_only_when_it_spans_more_than_two_decades() -> None:
    assert spans_decades(np.array([5.0, 0.5, 0.04]))
    assert not spans_decades(np.array([5.0, 0.5, 0.06, np.nan, 0.0]))


def test_writing_again_replaces_the_files_and_leaves_no_temporary_ones(tmp_path: Path) -> None:
    folder = _make_run(tmp_path / "run", "binary")
    first = write_report(folder).read_bytes()
    (folder / "history.json").write_text(json.dumps(_history("accuracy", 8)))
    assert write_report(folder).read_bytes() != first
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


# -- errors ----------------------------------------------------------------------------------


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"run folder .*nowhere does not exist"):
        write_report(tmp_path / "nowhere")


def test_a_folder_without_history_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"run folder .*empty has no history\.json"):
        write_report(tmp_path / "empty")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("history.json", "{not json", r"history\.json is not valid JSON"),
        ("summary.json", '{"task": ', r"summary\.json is not valid JSON"),
        ("history.json", "[1, 2]", r"history\.json must hold a JSON object, got list"),
        ("history.json", '{"accuracy": [0.5]}', r'history\.json has no "loss" list'),
        ("history.json", '{"loss": [1, "x"]}', r'history\.json: "loss" must be a list of numbers'),
        (
            "history.json",
            '{"loss": [1, 0.5], "val_loss": [1]}',
            r"one value per epoch \(2.*val_loss",
        ),
    ],
)
def test_malformed_files_are_named(name: str, content: str, message: str, tmp_path: Path) -> None:
    folder = _make_run(tmp_path / "run", "binary")
    (folder / name).write_text(content)
    with pytest.raises(ValueError, match=message):
        write_report(folder)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"y_true": np.zeros(3, dtype=int)}, r"validation\.npz lacks y_pred"),
        (
            {"y_true": np.array([0, 2]), "y_pred": np.array([0, 1])},
            r"y_true holds class indices from 0 to 2, but summary\.json names 2 classes",
        ),
        (
            {"y_true": np.array([0, 1]), "y_pred": np.array([0.3, 0.9])},
            r"y_pred must be class indices \(integers\)",
        ),
    ],
)
def test_malformed_validation_is_named(arrays: dict, message: str, tmp_path: Path) -> None:
    folder = _make_run(tmp_path / "run", "binary", with_validation=False)
    np.savez(folder / "validation.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        write_report(folder)


def test_without_matplotlib_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[cli\]"'):
        write_report(tmp_path)
