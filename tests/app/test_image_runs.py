"""Images as users have them (issue 16): ``glassnet train images/`` on a folder with one
subfolder per class, ``predict`` on a folder or a list of files, ``evaluate`` on a labelled
folder, ``--input-shape`` for a table of pixels, and ``--augment``.

The images are drawn here: three classes of 10×10 grayscale pictures (a horizontal bar, a
vertical bar, a diagonal), at random positions with noise, which a small convolutional
network tells apart. Each prediction is checked against the network's output on pixels
read independently with Pillow.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import glassnet, one_line_error

from glassnet.tabular import Model

PIL = pytest.importorskip("PIL", reason="image folders need Pillow (glassnet[images])")
from PIL import Image  # noqa: E402

SIZE = 10
CLASSES = ("diagonal", "horizontal", "vertical")


def _picture(kind: str, rng: np.random.Generator) -> np.ndarray:
    image = rng.uniform(0, 40, (SIZE, SIZE))
    at = int(rng.integers(2, SIZE - 2))
    if kind == "horizontal":
        image[at, 1:-1] = 230
    elif kind == "vertical":
        image[1:-1, at] = 230
    else:
        image[np.arange(1, SIZE - 1), np.arange(1, SIZE - 1)] = 230
    return image.astype(np.uint8)


def _image_folder(root: Path, per_class: int = 30, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(_picture(kind, rng)).save(root / kind / f"{i:03d}.png")
    return root


def _pixels(files: list[Path]) -> np.ndarray:
    """The images as the model should read them, read here with Pillow alone."""
    return np.stack([np.asarray(Image.open(f).convert("L"), np.float32) / 255 for f in files])[
        :, None
    ]


def _train(run: Path, data: Path, *options: object) -> Path:
    """``glassnet train DATA OPTIONS`` into the run folder ``run``, quietly; its model file."""
    result = glassnet("train", data, *options, "--out", run, "--no-report", "-q")
    assert result.returncode == 0, result.stderr
    return run / "model.glassnet"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("images")
    folder = _image_folder(root / "shapes")
    options = "--layers conv4k3,pool2,16 --epochs 40 --batch-size 16 --lr 0.01".split()
    return folder, _train(root / "run", folder, *options)


def test_a_folder_of_class_folders_trains_a_convolutional_network(
    trained: tuple[Path, Path],
) -> None:
    folder, model_file = trained
    model = Model.load(model_file)
    assert model.classes == list(CLASSES)
    assert model.metadata["images"] == {"size": [SIZE, SIZE], "color": "grayscale"}
    assert [layer.kind for layer in model.network.layers][:2] == ["conv2d", "max_pool2d"]
    # Learned, not guessed: the three shapes are told apart on the training folder.
    result = glassnet("evaluate", model_file, folder)
    assert result.returncode == 0, result.stderr
    accuracy = float(
        next(line for line in result.stdout.splitlines() if "accuracy" in line).split()[-1]
    )
    assert accuracy >= 0.9


def test_predict_writes_one_row_per_image_file(trained: tuple[Path, Path]) -> None:
    folder, model_file = trained
    model = Model.load(model_file)
    files = [folder / "vertical" / "003.png", folder / "diagonal" / "000.png"]
    result = glassnet("predict", model_file, *files, "--proba")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["file"] for row in rows] == [str(f) for f in files]
    # The same numbers as the network on pixels read independently (printed to 6 digits).
    A = model.network.predict_output(_pixels(files))
    for row, probabilities in zip(rows, A, strict=True):
        assert row["predicted_class"] == CLASSES[int(np.argmax(probabilities))]
        shown = [float(row[f"p({name})"]) for name in CLASSES]
        np.testing.assert_allclose(shown, probabilities, rtol=1e-5)


def test_predict_on_a_folder_names_each_file_from_the_folder(trained: tuple[Path, Path]) -> None:
    folder, model_file = trained
    result = glassnet("predict", model_file, folder / "horizontal")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["file"] for row in rows] == [f"{i:03d}.png" for i in range(30)]


def test_a_missing_image_file_is_one_clear_line(trained: tuple[Path, Path], tmp_path: Path) -> None:
    folder, model_file = trained
    result = glassnet("predict", model_file, folder / "vertical" / "000.png", tmp_path / "no.png")
    assert "no.png" in one_line_error(result) and "does not exist" in result.stderr


def test_a_table_of_pixels_trains_convolutions_with_input_shape(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    kinds = rng.integers(0, 3, 120)
    pixels = np.stack([_picture(CLASSES[k], rng) for k in kinds]).reshape(120, -1) / 255
    path = tmp_path / "pixels.csv"
    header = ",".join([*(f"p{i}" for i in range(SIZE * SIZE)), "shape"])
    lines = [
        ",".join([*(f"{v:.4f}" for v in row), CLASSES[k]])
        for row, k in zip(pixels, kinds, strict=True)
    ]
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    options = "--layers conv4k3,16 --input-shape 1x10x10 --epochs 3 --scale none".split()
    model = Model.load(_train(tmp_path / "run", path, *options))
    assert model.network.layers[0].kind == "reshape"
    assert model.network.layers[1].input_shape == (1, SIZE, SIZE)
    # A row is laid out row by row of the image: the network on the pixels as written.
    written = np.round(pixels, 4).astype(np.float32)
    expected = model.network.predict_output(written)
    np.testing.assert_allclose(model.predict_proba(path), expected, rtol=1e-5, atol=1e-7)
    assert model.network.layers[0].forward(written[:2]).shape == (2, 1, SIZE, SIZE)


def test_an_input_shape_that_does_not_fit_the_rows_names_both(tmp_path: Path) -> None:
    result = glassnet("train", "--layers", "conv4k3", "--input-shape", "1x28x27", "--out", tmp_path)
    line = one_line_error(result)
    assert "1x28x27" in line and "756" in line and "784" in line


def test_augment_on_the_command_line_is_seeded(trained: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = trained
    params = []
    for name in ("a", "b", "plain"):
        augment = [] if name == "plain" else ["--augment", "shift=1,rotate=10,noise=0.05"]
        result = glassnet(
            "train", folder, "--layers", "conv4k3,pool2,16", "--epochs", "2", *augment,
            "--out", tmp_path / name, "--no-report", "-q",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        params.append(Model.load(tmp_path / name / "model.glassnet").network.arrays())
    a, b, plain = params
    assert all(np.array_equal(a[k], b[k]) for k in a)  # the same seed, the same model
    assert any(not np.array_equal(a[k], plain[k]) for k in a)  # and augmentation did something


def test_the_exported_onnx_model_gives_the_same_labels(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    ort = pytest.importorskip("onnxruntime", reason="the ONNX check needs onnxruntime")
    folder, model_file = trained
    result = glassnet("export", model_file, "--onnx", tmp_path / "shapes.onnx")
    assert result.returncode == 0, result.stderr
    session = ort.InferenceSession(str(tmp_path / "shapes.onnx"))
    files = sorted(folder.rglob("*.png"))
    (probabilities,) = session.run(None, {"X": _pixels(files)})
    classes = json.loads(session.get_modelmeta().custom_metadata_map["classes"])
    labels = [classes[i] for i in probabilities.argmax(axis=1)]
    predicted = glassnet("predict", model_file, folder)
    rows = list(csv.DictReader(io.StringIO(predicted.stdout)))
    assert labels == [row["predicted_class"] for row in rows]
    assert [str(f.relative_to(folder)) for f in files] == [row["file"] for row in rows]


def test_the_report_shows_filters_feature_maps_and_the_augmented_batch(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    folder, _ = trained
    run = tmp_path / "run"
    result = glassnet(
        "train", folder, "--layers", "conv4k3,pool2,16", "--epochs", "1",
        "--augment", "shift=1,rotate=10", "--out", run, "-q",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = (run / "report.html").read_text()
    shown = {
        "filters.png": "The learned filters W^[l]",
        "feature_maps.png": "its feature maps A^[l]",
        "augmentation.png": "augmented (shift=1,rotate=10)",
    }
    for name, caption in shown.items():
        image = Image.open(run / name)
        assert image.format == "PNG" and min(image.size) > 100
        assert caption in page  # each figure is on the page, with its caption
    assert not (run / "network.png").exists()  # the graph of units is for dense networks


def test_one_number_for_image_size_is_a_square(trained: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = trained
    options = "--image-size 8 --layers conv2k3,8 --epochs 1".split()
    model = Model.load(_train(tmp_path / "run", folder, *options))
    assert model.metadata["images"]["size"] == [8, 8]
    bad = glassnet("train", folder, "--image-size", "8x8x8", "--out", tmp_path / "bad")
    assert "--image-size must be HxW such as 32x32" in one_line_error(bad)


def test_a_folder_of_splits_is_refused_with_the_folder_meant(tmp_path: Path) -> None:
    for split in ("train", "test"):
        _image_folder(tmp_path / "data" / split, per_class=2)
    line = one_line_error(glassnet("train", tmp_path / "data", "--out", tmp_path / "run"))
    assert "'test', 'train' each hold the folders 'diagonal', 'horizontal', 'vertical'" in line
    assert f"did you mean {tmp_path / 'data' / 'train'}?" in line


def test_images_default_to_a_small_cnn(trained: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = trained
    model = Model.load(_train(tmp_path / "run", folder, "--epochs", "1"))
    kinds = [layer.kind for layer in model.network.layers]
    assert kinds[:4] == ["conv2d", "max_pool2d", "conv2d", "max_pool2d"]
    assert model.settings["l2"] == 0.0 and model.settings["batch_size"] == 64


def test_a_table_given_to_an_image_model_is_named(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    _, model_file = trained
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n")
    line = one_line_error(glassnet("predict", model_file, table))
    assert f"this model takes images (1×{SIZE}×{SIZE}), and '{table}' is a table" in line


def test_evaluate_warns_of_classes_the_model_does_not_know(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    _, model_file = trained
    folder = _image_folder(tmp_path / "more", per_class=3)
    (folder / "circle").mkdir()
    Image.fromarray(_picture("vertical", np.random.default_rng(5))).save(
        folder / "circle" / "a.png"
    )
    result = glassnet("evaluate", model_file, folder)
    assert result.returncode == 0, result.stderr
    assert "glassnet: warning: 1 of 10 rows have a class the model does not know ('circle')" in (
        result.stderr
    )


def test_pixels_that_are_0_in_every_row_stay_pixels_with_input_shape(tmp_path: Path) -> None:
    # A table drops constant columns; laid out as an image, each column is a pixel.
    rng = np.random.default_rng(2)
    pixels = rng.random((60, 16))
    pixels[:, 0] = 0.0  # a corner that is black in every image
    path = tmp_path / "corner.csv"
    rows = [",".join([*(f"{v:.3f}" for v in row), str(i % 2)]) for i, row in enumerate(pixels)]
    path.write_text(",".join([*(f"p{i}" for i in range(16)), "y"]) + "\n" + "\n".join(rows) + "\n")
    options = "--layers conv2k3 --input-shape 1x4x4 --epochs 1".split()
    model = Model.load(_train(tmp_path / "run", path, *options))
    assert model.network.layers[0].input_shape == (16,)


def test_training_from_inside_the_image_folder_says_where_the_run_folder_may_go(
    tmp_path: Path,
) -> None:
    """The default runs/ would be made inside the folder and then read as a class."""
    folder = _image_folder(tmp_path / "photos", per_class=2)
    refused = one_line_error(glassnet("train", ".", "--epochs", "1", cwd=folder))
    assert refused == (
        "glassnet: error: the default run folder runs/ would be inside the image folder ., "
        "where it reads as a class: give --out outside it, e.g. --out ../runs/photos"
    )
    assert not (folder / "runs").exists()
    below = one_line_error(glassnet("train", "..", "--epochs", "1", cwd=folder / CLASSES[0]))
    assert below.endswith("e.g. --out ../../runs/photos")  # outside the folder, from below it
    given = one_line_error(glassnet("train", folder, "--out", folder / CLASSES[0] / "run"))
    assert "--out " in given and "would be inside the image folder" in given
    assert not (folder / CLASSES[0] / "run").exists()  # its figures would be read as images
