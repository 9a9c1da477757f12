"""Image folders: the pixels equal Pillow's own reading of each file (to float32 rounding,
1e-6), classes come sorted by folder name and files by path, hidden and non-image files are
skipped and counted, and every broken input gives an error that names the file."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from glassnet.data.images import (
    IMAGE_SUFFIXES,
    ImageSet,
    is_image_folder,
    read_image_files,
    read_image_folder,
)

Image = pytest.importorskip("PIL.Image", reason="reading image files needs Pillow")
from PIL import ImageOps  # noqa: E402

ATOL = 1e-6
"""float32 holds k/255 to within 3e-8; Pillow's resize is the same code on both sides."""


def _save(path: Path, pixels: np.ndarray, mode: str | None = None, **options: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels) if mode is None else Image.fromarray(pixels).convert(mode)
    image.save(path, **options)
    return path


def _gray(rng: np.random.Generator, H: int, W: int) -> np.ndarray:
    return rng.integers(0, 256, (H, W), dtype=np.uint8)


def _rgb(rng: np.random.Generator, H: int, W: int) -> np.ndarray:
    return rng.integers(0, 256, (H, W, 3), dtype=np.uint8)


def _pillow(path: Path, mode: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """The file read by Pillow directly: ``(C, H, W)`` in [0, 1], float64."""
    with Image.open(path) as image:
        image = image.convert(mode)
        if size is not None:
            image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        values = np.asarray(image, dtype=np.float64) / 255
    return values[None] if values.ndim == 2 else values.transpose(2, 0, 1)


@pytest.fixture
def digits(tmp_path: Path) -> tuple[Path, dict[Path, np.ndarray]]:
    """Grayscale 6×5 PNG files: three of class "seven", two of "one" (written in that order)."""
    rng = np.random.default_rng(0)
    written = {}
    for name in ["seven/2.png", "seven/10.png", "seven/more/1.png", "one/b.png", "one/a.png"]:
        pixels = _gray(rng, 6, 5)
        written[_save(tmp_path / "images" / name, pixels)] = pixels
    return tmp_path / "images", written


def test_grayscale_pngs_are_read_exactly_in_sorted_order(digits) -> None:
    root, written = digits
    images = read_image_folder(root)
    assert isinstance(images, ImageSet)
    assert images.classes == ("one", "seven")
    expected_order = ["one/a.png", "one/b.png", "seven/10.png", "seven/2.png", "seven/more/1.png"]
    assert [p.relative_to(root).as_posix() for p in images.paths] == expected_order
    assert images.labels.tolist() == ["one", "one", "seven", "seven", "seven"]
    assert images.y.tolist() == [0, 0, 1, 1, 1]
    assert images.X.shape == (5, 1, 6, 5) and images.X.dtype == np.float32
    for i, path in enumerate(images.paths):
        np.testing.assert_allclose(images.X[i, 0], written[path] / 255, rtol=0, atol=ATOL)
    assert images.note == "5 images of 2 classes, 6×5, grayscale"


def test_rgb_jpegs_resized_equal_pillow_and_a_flat_colour_stays_flat(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    root = tmp_path / "photos"
    files = [
        _save(root / "a" / "x.jpg", _rgb(rng, 20, 30), quality=90),
        _save(root / "b" / "y.jpeg", _rgb(rng, 17, 11), quality=90),
        _save(root / "b" / "red.png", np.tile(np.array([255, 0, 0], np.uint8), (9, 13, 1))),
    ]
    images = read_image_folder(root, size=(8, 10))
    assert images.X.shape == (3, 3, 8, 10)
    assert images.paths == (files[0], files[2], files[1])
    for i, path in enumerate(images.paths):
        np.testing.assert_allclose(images.X[i], _pillow(path, "RGB", (8, 10)), atol=ATOL)
    red = images.X[1]  # a flat colour resized is the same flat colour, exactly
    assert np.array_equal(red, np.broadcast_to(np.array([1.0, 0.0, 0.0])[:, None, None], red.shape))

    gray = read_image_folder(root, size=(8, 10), color="grayscale")
    assert gray.X.shape == (3, 1, 8, 10)
    for i, path in enumerate(gray.paths):
        np.testing.assert_allclose(gray.X[i], _pillow(path, "L", (8, 10)), atol=ATOL)
    # ITU-R 601 luma of pure red: 0.299 · 255 = 76.2 → 76 (Pillow rounds).
    np.testing.assert_allclose(gray.X[1], 76 / 255, atol=ATOL)


def test_colour_is_decided_by_the_images(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    gray = tmp_path / "gray"
    _save(gray / "a" / "1.png", _gray(rng, 4, 4))
    _save(gray / "b" / "1.png", _gray(rng, 4, 4), mode="P")  # a palette of greys only
    _save(gray / "b" / "2.png", _gray(rng, 4, 4) > 127)  # mode "1"
    assert read_image_folder(gray).X.shape[1] == 1

    mixed = tmp_path / "mixed"
    g = _save(mixed / "a" / "1.png", _gray(rng, 4, 4))
    _save(mixed / "b" / "1.png", _rgb(rng, 4, 4))
    images = read_image_folder(mixed)
    assert images.X.shape == (2, 3, 4, 4)
    # The grey image has its value in all three channels.
    expected = np.broadcast_to(_pillow(g, "L"), (3, 4, 4))
    np.testing.assert_allclose(images.X[0], expected, atol=ATOL)

    palette = tmp_path / "palette"
    _save(palette / "a" / "1.png", _gray(rng, 4, 4))
    # A palette with colours and a transparency per entry (alpha is dropped).
    p = _save(palette / "b" / "1.png", _rgb(rng, 4, 4), mode="P", transparency=bytes(range(256)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images = read_image_folder(palette)
    assert images.X.shape[1] == 3
    with Image.open(p) as image:
        rgb = np.asarray(image.convert("RGBA"), dtype=np.float64)[..., :3] / 255
    np.testing.assert_allclose(images.X[1], rgb.transpose(2, 0, 1), atol=ATOL)


def test_sixteen_bit_grayscale_is_scaled_by_65535(tmp_path: Path) -> None:
    pixels = np.array([[0, 1000, 65535], [32768, 7, 40000]], dtype=np.uint16)
    _save(tmp_path / "deep" / "a" / "1.png", pixels)
    _save(tmp_path / "deep" / "b" / "1.png", pixels[::-1])
    images = read_image_folder(tmp_path / "deep")
    assert images.X.shape == (2, 1, 2, 3)
    np.testing.assert_allclose(images.X[0, 0], pixels / 65535, rtol=0, atol=ATOL)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    turned = _save(tmp_path / "p" / "a" / "1.jpg", _gray(rng, 4, 6), exif=exif.tobytes())
    _save(tmp_path / "p" / "b" / "1.jpg", _gray(rng, 6, 4))
    images = read_image_folder(tmp_path / "p")
    assert images.X.shape == (2, 1, 6, 4)  # 4 high and 6 wide as stored, 6×4 as shown
    with Image.open(turned) as image:
        shown = np.asarray(ImageOps.exif_transpose(image).convert("L"), dtype=np.float64)
    np.testing.assert_allclose(images.X[0, 0], shown / 255, atol=ATOL)


def test_hidden_and_other_files_are_skipped_and_counted(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    root = tmp_path / "images"
    for name in ["cat/1.png", "dog/1.png", ".ipynb_checkpoints/1.png", "cat/.hidden/2.png"]:
        _save(root / name, _gray(rng, 3, 3))
    for name in ["cat/.DS_Store", "dog/notes.txt", "README.md"]:
        (root / name).write_text("not an image")
    with pytest.warns(UserWarning, match=r"skipped 2 file\(s\).*README\.md.*notes\.txt"):
        images = read_image_folder(root)
    assert images.classes == ("cat", "dog")  # the hidden folder is not a class
    assert len(images.paths) == 2
    assert sorted(p.name for p in images.skipped) == [".DS_Store", "README.md", "notes.txt"]
    assert images.note.endswith("(3 other files skipped)")


def test_classes_and_limit(digits) -> None:
    root, written = digits
    images = read_image_folder(root, classes=["seven", "one"], limit=2)
    assert images.classes == ("seven", "one")
    assert [p.relative_to(root).as_posix() for p in images.paths] == [
        "seven/10.png",
        "seven/2.png",
        "one/a.png",
        "one/b.png",
    ]
    assert images.y.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(images.X[2, 0], written[root / "one/a.png"] / 255, atol=ATOL)
    with pytest.raises(ValueError, match=r"not found: three.*subfolders are: one, seven"):
        read_image_folder(root, classes=["one", "three"])
    with pytest.raises(ValueError, match=r"not found: \.\./images/one; its subfolders"):
        read_image_folder(root, classes=["seven", "../images/one"])  # only direct subfolders
    with pytest.raises(ValueError, match=r"distinct subfolders"):
        read_image_folder(root, classes=["one", "one"])
    with pytest.raises(ValueError, match=r"a list of folder names, got the string 'one'"):
        read_image_folder(root, classes="one")
    with pytest.raises(ValueError, match=r"limit must be a positive integer.*got 0"):
        read_image_folder(root, limit=0)


def test_folder_errors_name_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=r"folder '.*nowhere' does not exist"):
        read_image_folder(missing)
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match=r"file\.png' is a file; expected a folder"):
        read_image_folder(tmp_path / "file.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        ValueError,
        match=r"empty holds no images; expected one subfolder per class, e\.g\. .*cat.1\.png",
    ):
        read_image_folder(empty)
    flat = tmp_path / "flat"
    _save(flat / "1.png", np.zeros((3, 3), np.uint8))
    with pytest.raises(
        ValueError,
        match=r"flat holds 1 image\(s\) but no class subfolders; expected one subfolder per class, e\.g\. .*flat.cat.1\.png",
    ):
        read_image_folder(flat)
    one = tmp_path / "one"
    _save(one / "cat" / "1.png", np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match=r"one class folder \(cat\).*at least two"):
        read_image_folder(one)
    hollow = tmp_path / "hollow"
    _save(hollow / "cat" / "1.png", np.zeros((3, 3), np.uint8))
    (hollow / "dog").mkdir()
    with pytest.raises(ValueError, match=r"class folder\(s\) without images: dog"):
        read_image_folder(hollow)


def test_broken_files_are_named_with_pillows_reason(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    root = tmp_path / "images"
    good = _save(root / "a" / "1.png", _gray(rng, 8, 8))
    _save(root / "b" / "1.png", _gray(rng, 8, 8))
    garbage = root / "b" / "2.png"
    garbage.write_bytes(b"this is not a png file at all")
    with pytest.raises(
        ValueError, match=r"cannot read image '.*b/2\.png': cannot identify image file"
    ):
        read_image_folder(root)
    garbage.write_bytes(good.read_bytes()[:70])  # a header, then the data cut off
    with pytest.raises(ValueError, match=r"cannot read image '.*b/2\.png': .*truncated"):
        read_image_folder(root)


def test_sizes_must_agree_unless_resized(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    root = tmp_path / "images"
    _save(root / "a" / "1.png", _gray(rng, 28, 28))
    _save(root / "b" / "1.png", _gray(rng, 30, 20))
    with pytest.raises(
        ValueError,
        match=r"'.*b/1\.png' is 30×20 .*first image, '.*a/1\.png', is 28×28.*--image-size 28x28",
    ):
        read_image_folder(root)
    assert read_image_folder(root, size=(28, 28)).X.shape == (2, 1, 28, 28)
    for size in [(0, 5), (5000, 5000), "28x28", (28,), (28.0, 28), (True, 3)]:
        with pytest.raises(ValueError, match=r"size must be \(height, width\)"):
            read_image_folder(root, size=size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"color must be one of \('grayscale', 'rgb'\).*got 'RGB'"):
        read_image_folder(root, color="RGB")  # type: ignore[arg-type]


def test_a_decompression_bomb_is_refused(tmp_path: Path, monkeypatch) -> None:
    rng = np.random.default_rng(7)
    root = tmp_path / "images"
    _save(root / "a" / "1.png", _gray(rng, 3, 3))
    _save(root / "b" / "huge.png", _gray(rng, 12, 12))
    # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice it: both are errors here.
    for limit in (100, 50):
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
        with pytest.raises(
            ValueError, match=r"image '.*b/huge\.png' claims more pixels.*decompression bomb"
        ):
            read_image_folder(root, size=(3, 3))


def test_read_image_files_from_a_list_or_a_folder(tmp_path: Path, digits) -> None:
    root, written = digits
    order = [root / "seven/2.png", root / "one/a.png"]
    X, paths = read_image_files(order, size=(6, 5), color="grayscale")
    assert paths == order and X.shape == (2, 1, 6, 5)
    for i, path in enumerate(order):
        np.testing.assert_allclose(X[i, 0], written[path] / 255, atol=ATOL)
    X, paths = read_image_files(root, size=(3, 3), color="rgb")  # a class tree: recursed
    assert [p.relative_to(root).as_posix() for p in paths] == sorted(
        p.relative_to(root).as_posix() for p in written
    )
    assert X.shape == (5, 3, 3, 3)
    np.testing.assert_allclose(X[0], _pillow(paths[0], "RGB", (3, 3)), atol=ATOL)
    X, paths = read_image_files(root / "one")  # a flat folder, sizes and colour inferred
    assert X.shape == (2, 1, 6, 5) and [p.name for p in paths] == ["a.png", "b.png"]
    with pytest.raises(FileNotFoundError, match=r"image file '.*missing\.png' does not exist"):
        read_image_files([root / "one/a.png", root / "missing.png"])
    (tmp_path / "blank").mkdir()
    with pytest.raises(ValueError, match=r"blank holds no images"):
        read_image_files(tmp_path / "blank")
    with pytest.raises(ValueError, match=r"paths is empty"):
        read_image_files([])


def test_is_image_folder(tmp_path: Path, digits) -> None:
    root, _ = digits
    assert is_image_folder(root) and is_image_folder(root / "one")
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    (mnist / "train-images-idx3-ubyte.gz").write_bytes(b"")
    (mnist / "data.csv").write_text("a,b\n")
    assert not is_image_folder(mnist)
    assert not is_image_folder(root / "one" / "a.png")
    assert ".png" in IMAGE_SUFFIXES and ".jpeg" in IMAGE_SUFFIXES


def test_without_pillow_the_error_says_how_to_install_it(digits, monkeypatch) -> None:
    root, _ = digits
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[images\]"'):
        read_image_folder(root)
