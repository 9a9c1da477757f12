"""glassnet.data: IDX/CSV/NPZ loaders, preprocessing against scikit-learn, splits.

Most tests write small files into tmp_path; the ones that read the real datasets in
../shared/datasets are skipped when that folder is absent.
"""

from __future__ import annotations

import gzip
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet import data as gd

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"  # beside the repository
MNIST = DATASETS / "mnist"
FASHION = DATASETS / "fashion-mnist"
HOUSING = DATASETS / "california-housing" / "housing.csv"
ADULT = DATASETS / "adult"
ADULT_NAMES = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip

needs_mnist = pytest.mark.skipif(
    not (MNIST / "train-images-idx3-ubyte.gz").exists(),
    reason=f"needs the shared datasets beside the repository: no MNIST in {MNIST}",
)
needs_fashion = pytest.mark.skipif(
    not (FASHION / "t10k-images-idx3-ubyte.gz").exists(),
    reason=f"needs the shared datasets beside the repository: no Fashion-MNIST in {FASHION}",
)
needs_housing = pytest.mark.skipif(
    not HOUSING.exists(),
    reason=f"needs the shared datasets beside the repository: {HOUSING} is absent",
)
needs_adult = pytest.mark.skipif(
    not (ADULT / "adult.data").exists(),
    reason=f"needs the shared datasets beside the repository: no Adult in {ADULT}",
)

IDX_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}  # fmt: skip


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    """An IDX file of ``array`` as the format says: big-endian header and data."""
    header = bytes([0, 0, IDX_CODES[array.dtype.name], array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- IDX ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip_of_every_type(tmp_path, dtype, compress) -> None:
    array = (np.arange(24).reshape(2, 3, 4) * 7 - 20).astype(dtype)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    path = write_idx(tmp_path / "a.idx", array, compress=compress)
    loaded = gd.load_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    loaded[0, 0, 0] = 1  # writable, not a view of the file's bytes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", r"bad\.idx: wrong magic number: expected 00 00 <type> <dimensions>, found 01 02 08 01"),
        (b"", r"bad\.idx: wrong magic number: .*found an empty file"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x05", r"bad\.idx: unsupported IDX data type 0x0A; supported: 0x08 \(uint8\)"),
        (b"\x00\x00\x08\x00", r"bad\.idx: the IDX header gives 0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", r"bad\.idx: truncated header: 3 dimensions need 16 header bytes, the file has 8"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(5), r"bad\.idx: truncated data: .*\(2, 3\) of uint8 needs 6 bytes of data, found 5"),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x02" + bytes(9), r"bad\.idx: extra bytes after the data: .*needs 8 bytes of data, found 9"),
    ],
)  # fmt: skip
def test_bad_idx_files_are_refused_naming_the_file(tmp_path, content, message) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        gd.load_idx(path)


def test_truncated_gzip_idx_is_refused(tmp_path) -> None:
    good = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x64" + bytes(100))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(good[:-10])
    with pytest.raises(ValueError, match=r"cut\.idx\.gz: not a readable gzip file"):
        gd.load_idx(path)


def test_idx_gzip_is_told_by_content_not_name(tmp_path) -> None:
    array = np.arange(6, dtype=np.uint8)
    raw_named_gz = write_idx(tmp_path / "raw.gz", array)
    gz_named_raw = write_idx(tmp_path / "packed.idx", array, compress=True)
    np.testing.assert_array_equal(gd.load_idx(raw_named_gz), array)
    np.testing.assert_array_equal(gd.load_idx(gz_named_raw), array)


def test_idx_pair_flattens_images_and_checks_counts(tmp_path) -> None:
    images = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    write_idx(tmp_path / "images.idx", images)
    write_idx(tmp_path / "labels.idx", np.arange(5, dtype=np.uint8))
    X, y = gd.load_idx_pair(tmp_path / "images.idx", tmp_path / "labels.idx")
    assert X.shape == (5, 6) and y.shape == (5,)
    np.testing.assert_array_equal(X[3], images[3].ravel())

    write_idx(tmp_path / "short.idx", np.arange(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"images\.idx has 5 images, \S*short\.idx has 4 labels"):
        gd.load_idx_pair(tmp_path / "images.idx", tmp_path / "short.idx")
    with pytest.raises(
        ValueError, match=r"images\.idx: labels must be 1-D .*got shape \(5, 2, 3\)"
    ):
        gd.load_idx_pair(tmp_path / "images.idx", tmp_path / "images.idx")


@pytest.mark.parametrize(
    ("images_name", "labels_name"),
    [
        ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        ("t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"),
    ],
)
def test_mnist_dir_finds_the_published_names(tmp_path, images_name, labels_name) -> None:
    images = np.array([[[0, 255], [51, 102]], [[255, 255], [0, 0]]], dtype=np.uint8)
    compress = images_name.endswith(".gz")
    write_idx(tmp_path / images_name, images, compress=compress)
    write_idx(tmp_path / labels_name, np.array([7, 3], dtype=np.uint8), compress=compress)
    X, y = gd.load_mnist_dir(tmp_path, "test")
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, [[0, 1, 0.2, 0.4], [1, 1, 0, 0]], rtol=1e-7)
    np.testing.assert_array_equal(y, [7, 3])
    assert gd.load_mnist_dir(tmp_path, "test", dtype="float64")[0].dtype == np.float64


def test_mnist_dir_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"split must be one of \['test', 'train'\], got 'val'"):
        gd.load_mnist_dir(tmp_path, "val")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match=r"no images file .*train-images-idx3-ubyte\.gz"):
        gd.load_mnist_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nowhere does not exist"):
        gd.load_mnist_dir(tmp_path / "nowhere")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 2, 2), np.float32))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: expected uint8 pixels"):
        gd.load_mnist_dir(tmp_path)


@pytest.fixture(scope="module")
def mnist_train() -> tuple[np.ndarray, np.ndarray]:
    return gd.load_mnist_dir(MNIST, "train")  # ~1 s: read once for the module


@needs_mnist
def test_real_mnist_train_matches_its_readme(mnist_train) -> None:
    X, y = mnist_train
    assert X.shape == (60_000, 784) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    readme_counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    np.testing.assert_array_equal(np.bincount(y), readme_counts)


@needs_mnist
def test_real_mnist_test_matches_its_readme() -> None:
    images = gd.load_idx(MNIST / "t10k-images-idx3-ubyte.gz")
    labels = gd.load_idx(MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    readme_counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    np.testing.assert_array_equal(np.bincount(labels), readme_counts)


@needs_fashion
def test_real_fashion_mnist_test_split() -> None:
    X, y = gd.load_mnist_dir(FASHION, "test")
    assert X.shape == (10_000, 784)
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 1000))


# -- CSV ------------------------------------------------------------------------------------


def test_csv_infers_kinds_strips_whitespace_and_reads_missing_values(tmp_path) -> None:
    path = write_text(
        tmp_path / "t.csv",
        "size, color ,zip,price\n"
        "1.5, red,01234, 10\n"
        ",blue, 02345,20\n"
        "3, ?,NA,30\n"
        '2e1,"dark, red",01234,NaN\n',
    )
    table = gd.load_csv(path, "price")
    assert table.feature_names == ("size", "color", "zip")
    assert table.kinds == {"size": "numeric", "color": "categorical", "zip": "numeric"}
    np.testing.assert_array_equal(table.values["size"], [1.5, np.nan, 3.0, 20.0])
    assert table.values["color"].tolist() == ["red", "blue", None, "dark, red"]
    assert table.target_name == "price" and table.target_kind == "numeric"
    np.testing.assert_array_equal(table.target, [10, 20, 30, np.nan])
    assert table.n_rows == 4 and table.source == str(path)

    forced = gd.load_csv(path, "price", categorical=["zip"])
    assert forced.kinds["zip"] == "categorical"
    assert forced.values["zip"].tolist() == ["01234", "02345", None, "01234"]
    kept = gd.load_csv(path, "price", strip=False, missing=["", "?", "NA"])
    assert kept.feature_names == ("size", " color ", "zip")  # names are not stripped either
    assert kept.values[" color "].tolist() == [" red", "blue", " ?", "dark, red"]


def test_csv_with_a_categorical_target_and_no_target(tmp_path) -> None:
    path = write_text(tmp_path / "t.csv", "a;label\n1;yes\n2; no\n")
    table = gd.load_csv(path, "label", delimiter=";")
    assert table.target_kind == "categorical" and table.target.tolist() == ["yes", "no"]
    no_target = gd.load_csv(path, None, delimiter=";")
    assert no_target.feature_names == ("a", "label") and no_target.target is None


def test_csv_without_header_takes_names_and_skips_blank_lines(tmp_path) -> None:
    # The shape of adult.data: no header, ", " separators, "?" missing, a blank last line.
    path = write_text(
        tmp_path / "adult.data",
        "39, State-gov, 77516, <=50K\n50, ?, 83311, >50K\n\n",
    )
    table = gd.load_csv(path, "income", header=False, names=["age", "work", "fnlwgt", "income"])
    assert table.n_rows == 2 and table.values["work"].tolist() == ["State-gov", None]
    assert table.target.tolist() == ["<=50K", ">50K"]
    with pytest.raises(ValueError, match=r"adult\.data: header=False needs names=\[\.\.\.\]"):
        gd.load_csv(path, "income", header=False)


def test_csv_skip_lines_keeps_the_file_line_numbers(tmp_path) -> None:
    path = write_text(tmp_path / "test.csv", "|1x3 Cross validator\na,b\n1,2\n3\n")
    with pytest.raises(ValueError, match=r"test\.csv, line 4: 1 fields, but the header has 2"):
        gd.load_csv(path, "b", skip_lines=1)
    renamed = gd.load_csv(write_text(tmp_path / "ok.csv", "a,b\n1,2\n"), "y", names=["x", "y"])
    assert renamed.feature_names == ("x",)


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("a,b,c\n1,2,3\n4,5\n", {}, r"bad\.csv, line 3: 2 fields, but the header has 3"),
        ("a,b\n1,2\n", {"header": False, "names": ["x", "y", "z"]}, r"bad\.csv, line 1: 2 fields, but the names= list has 3"),
        ("a,b\n1,2\n", {"target": "price"}, r"bad\.csv: target 'price' is not a column; the columns are: 'a', 'b'"),
        ("", {}, r"bad\.csv is empty: expected a header and data rows"),
        ("\n\n", {}, r"bad\.csv is empty"),
        ("a,b\n", {}, r"bad\.csv has no data rows after the header"),
        ("a,b\n1,2\n3,x\n", {"numeric": ["b"]}, r"bad\.csv, line 3, column 'b': 'x' is not a number"),
        ("a,b\n1,2\n", {"categorical": ["c"]}, r"bad\.csv: 'c' \(in categorical=\) is not a column; the columns are: 'a', 'b'"),
        ("a,b\n1,2\n", {"categorical": ["a"], "numeric": ["a"]}, r"columns \['a'\] are in both categorical= and numeric="),
        ("a,a\n1,2\n", {}, r"bad\.csv: column name 'a' appears more than once"),
        (",a\n1,2\n", {}, r"bad\.csv: column 1 of the header has no name"),
        ("a,b\n1,2\n", {"names": ["x"]}, r"bad\.csv: names has 1 entries, but the header has 2 columns"),
    ],
)  # fmt: skip
def test_bad_csv_files_are_refused_naming_file_line_and_column(
    tmp_path, text, kwargs, message
) -> None:
    kwargs = {"target": "a", **kwargs}
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=message):
        gd.load_csv(path, **kwargs)


def test_csv_module_errors_name_the_line(tmp_path) -> None:
    path = write_text(tmp_path / "huge.csv", 'a,b\n1,2\n3,"' + "x" * 200_000 + '"\n')
    with pytest.raises(ValueError, match=r"huge\.csv, line 3: field larger than field limit"):
        gd.load_csv(path, "a")


def test_csv_that_is_not_utf8_is_refused(tmp_path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv, line 2: not valid text .*--encoding cp1252"):
        gd.load_csv(path, "a")
    assert gd.load_csv(path, "a", encoding="latin-1").values["b"].tolist() == ["café"]


def test_table_take_and_from_columns() -> None:
    table = gd.Table.from_columns(
        {"x": [1.0, None, 3.0], "c": ["a", None, float("nan")], "y": np.array([0, 1, 0])},
        target="y",
    )
    assert table.kinds == {"x": "numeric", "c": "categorical"}
    np.testing.assert_array_equal(table.values["x"], [1.0, np.nan, 3.0])
    assert table.values["c"].tolist() == ["a", None, None]
    part = table.take([2, 0])
    assert part.n_rows == 2 and part.target.tolist() == [0.0, 0.0]
    np.testing.assert_array_equal(part.values["x"], [3.0, 1.0])
    with pytest.raises(ValueError, match=r"target 'z' is not a column"):
        gd.Table.from_columns({"x": [1]}, target="z")
    with pytest.raises(ValueError, match=r"columns differ in length"):
        gd.Table.from_columns({"x": [1], "c": ["a", "b"]})


@needs_housing
def test_real_california_housing_matches_its_readme() -> None:
    table = gd.load_csv(HOUSING, "median_house_value")
    assert table.n_rows == 20_640 and len(table.feature_names) == 9
    assert table.kinds["ocean_proximity"] == "categorical"
    assert sum(kind == "numeric" for kind in table.kinds.values()) == 8
    assert int(np.isnan(table.values["total_bedrooms"]).sum()) == 207
    categories, counts = np.unique(table.values["ocean_proximity"].astype(str), return_counts=True)
    assert dict(zip(categories.tolist(), counts.tolist(), strict=True)) == {
        "<1H OCEAN": 9136, "INLAND": 6551, "NEAR OCEAN": 2658, "NEAR BAY": 2290, "ISLAND": 5,
    }  # fmt: skip
    assert table.target.min() == 14_999 and table.target.max() == 500_001
    assert round(float(table.target.mean())) == 206_856


@needs_adult
def test_real_adult_matches_its_readme() -> None:
    train = gd.load_csv(ADULT / "adult.data", "income", header=False, names=ADULT_NAMES)
    assert train.n_rows == 32_561 and len(train.feature_names) == 14
    assert sum(kind == "numeric" for kind in train.kinds.values()) == 6
    assert int((train.target == ">50K").sum()) == 7_841
    missing = {name: sum(v is None for v in train.values[name]) for name in ("workclass", "occupation", "native-country")}  # fmt: skip
    assert missing == {"workclass": 1836, "occupation": 1843, "native-country": 583}
    test = gd.load_csv(
        ADULT / "adult.test", "income", header=False, names=ADULT_NAMES, skip_lines=1
    )
    assert test.n_rows == 16_281
    labels = np.array([label.rstrip(".") for label in test.target])  # the caller's cleanup
    assert int((labels == ">50K").sum()) == 3_846


# -- NPZ ------------------------------------------------------------------------------------


def test_npz_round_trip_and_custom_keys(tmp_path) -> None:
    X, y = np.arange(12.0).reshape(4, 3), np.array([0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", X=X, y=y, features=X[:2], labels=y[:2])
    X_loaded, y_loaded = gd.load_npz(tmp_path / "d.npz")
    np.testing.assert_array_equal(X_loaded, X)
    np.testing.assert_array_equal(y_loaded, y)
    assert gd.load_npz(tmp_path / "d.npz", X="features", y="labels")[0].shape == (2, 3)


class _Exploit:
    """Unpickling this would create a file: the proof that code ran."""

    marker: Path

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_npz_never_unpickles(tmp_path) -> None:
    exploit = _Exploit()
    exploit.marker = tmp_path / "code-ran"
    array = np.empty(1, dtype=object)
    array[0] = exploit
    np.savez(tmp_path / "evil.npz", X=array, y=np.zeros(1))
    assert b"touch" in pickle.dumps(array)  # the archive does carry a payload
    with pytest.raises(ValueError, match=r"evil\.npz: array 'X' holds pickled Python objects"):
        gd.load_npz(tmp_path / "evil.npz")
    assert not exploit.marker.exists()
    np.load(tmp_path / "evil.npz", allow_pickle=True)["X"]  # what the refusal prevents
    assert exploit.marker.exists()


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: np.savez(p, X=np.ones((2, 2)), labels=np.ones(2)), r"d\.npz: no array 'y'; the archive holds: 'X', 'labels'"),
        (lambda p: np.savez(p, X=np.ones((3, 2)), y=np.ones(2)), r"d\.npz: 'X' and 'y' must have the same number of samples.*\(3, 2\).*\(2,\)"),
        (lambda p: np.save(p.with_suffix(".npy"), np.ones(2)) or p.with_suffix(".npy").rename(p), r"d\.npz: a \.npy file \(one array\)"),
        (lambda p: p.write_bytes(b"hello"), r"d\.npz: not a \.npz archive"),
    ],
)  # fmt: skip
def test_bad_npz_files_are_refused(tmp_path, write, message) -> None:
    path = tmp_path / "d.npz"
    write(path)
    with pytest.raises(ValueError, match=message):
        gd.load_npz(path)


# -- preprocessing, against scikit-learn ------------------------------------------------------


@pytest.fixture(scope="module")
def skpre():
    return pytest.importorskip("sklearn.preprocessing")


@pytest.fixture(scope="module")
def skimpute():
    return pytest.importorskip("sklearn.impute")


def _numeric_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train = rng.normal(5.0, 3.0, size=(40, 4)) * [1, 100, 0.01, 1]
    train[:, 3] = 0.1  # a constant column: σ = 0
    return train, rng.normal(5.0, 3.0, size=(10, 4))


def _json_round_trip(obj):
    return type(obj).from_dict(json.loads(json.dumps(obj.to_dict())))


@pytest.mark.parametrize("name", ["StandardScaler", "MinMaxScaler"])
def test_scalers_match_scikit_learn(skpre, name) -> None:
    train, new = _numeric_data()
    ours = getattr(gd, name)().fit(train)
    theirs = getattr(skpre, name)().fit(train)
    np.testing.assert_allclose(ours.transform(train), theirs.transform(train), atol=1e-12)
    np.testing.assert_allclose(ours.transform(new), theirs.transform(new), atol=1e-12)
    assert np.all(ours.transform(train)[:, 3] == 0.0)  # the constant column maps to 0
    np.testing.assert_array_equal(_json_round_trip(ours).transform(new), ours.transform(new))
    np.testing.assert_array_equal(ours.fit_transform(train), ours.transform(train))


def test_median_imputer_matches_scikit_learn(skimpute) -> None:
    train, new = _numeric_data()
    train[[1, 5, 7], 0] = np.nan
    new[[0, 2], [0, 1]] = np.nan
    ours = gd.MedianImputer().fit(train)
    theirs = skimpute.SimpleImputer(strategy="median").fit(train)
    np.testing.assert_allclose(ours.transform(new), theirs.transform(new))
    np.testing.assert_array_equal(_json_round_trip(ours).transform(new), ours.transform(new))
    train[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"column 2 has no values \(all NaN\)"):
        gd.MedianImputer().fit(train)


def test_one_hot_encoder_matches_scikit_learn_and_ignores_unseen(skpre) -> None:
    train = np.array([["b", "x"], ["a", "y"], ["c", "x"], ["a", "z"]], dtype=object)
    new = np.array([["c", "z"], ["d", "x"], ["a", "w"]], dtype=object)  # "d", "w" unseen
    ours = gd.OneHotEncoder().fit(train)
    theirs = skpre.OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    theirs.fit(train)
    assert ours.categories_ == [c.tolist() for c in theirs.categories_]
    np.testing.assert_array_equal(ours.transform(train), theirs.transform(train))
    np.testing.assert_array_equal(ours.transform(new), theirs.transform(new))
    assert ours.transform(new)[1, :3].tolist() == [0, 0, 0]
    assert ours.feature_names_out(["letter", "axis"]) == [
        "letter=a", "letter=b", "letter=c", "axis=x", "axis=y", "axis=z",
    ]  # fmt: skip
    np.testing.assert_array_equal(_json_round_trip(ours).transform(new), ours.transform(new))


def test_one_hot_encoder_gives_missing_values_all_zeros() -> None:
    encoder = gd.OneHotEncoder().fit(np.array([["a"], [None], ["b"], [float("nan")]], object))
    assert encoder.categories_ == [["a", "b"]]  # missing is not a category
    np.testing.assert_array_equal(
        encoder.transform(np.array([[None], ["b"], [np.nan]], object)), [[0, 0], [0, 1], [0, 0]]
    )


def test_label_encoder_matches_scikit_learn(skpre) -> None:
    y = np.array(["cat", "dog", "ant", "dog", "cat"])
    ours, theirs = gd.LabelEncoder().fit(y), skpre.LabelEncoder().fit(y)
    assert ours.classes_ == theirs.classes_.tolist() == ["ant", "cat", "dog"]
    np.testing.assert_array_equal(ours.transform(y), theirs.transform(y))
    assert ours.transform(y).dtype == np.int64
    np.testing.assert_array_equal(ours.inverse_transform(np.array([2, 0])), ["dog", "ant"])
    np.testing.assert_array_equal(_json_round_trip(ours).transform(y), ours.transform(y))
    with pytest.raises(
        ValueError, match=r"unknown label 'cow'; the known classes are \['ant', 'cat', 'dog'\]"
    ):
        ours.transform(["cat", "cow"])
    with pytest.raises(ValueError, match=r"indices must lie in 0 … 2, got values in \[0, 3\]"):
        ours.inverse_transform(np.array([0, 3]))
    with pytest.raises(TypeError, match=r"indices must be integers, got dtype float64"):
        ours.inverse_transform(np.array([0.0]))
    with pytest.raises(ValueError, match=r"y has 1 missing label\(s\), the first at index 1"):
        gd.LabelEncoder().fit(np.array(["a", None], dtype=object))
    numeric = gd.LabelEncoder().fit(np.array([1.0, 0.0, 1.0]))
    assert _json_round_trip(numeric).transform(np.array([0, 1])).tolist() == [0, 1]


def test_transforms_refuse_unfitted_use_and_wrong_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"StandardScaler is not fitted yet; call fit first"):
        gd.StandardScaler().transform(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"LabelEncoder is not fitted yet"):
        gd.LabelEncoder().transform([1])
    scaler = gd.MinMaxScaler().fit(np.ones((3, 2)))
    with pytest.raises(
        ValueError, match=r"MinMaxScaler.transform: X has 3 columns, but it was fitted on 2"
    ):
        scaler.transform(np.ones((3, 3)))
    with pytest.raises(
        ValueError, match=r"X must be 2-D .*got shape \(3,\); use X\.reshape\(-1, 1\)"
    ):
        gd.StandardScaler().fit(np.ones(3))
    with pytest.raises(ValueError, match=r"X contains nan at \(row, column\) \(1, 0\); impute"):
        gd.StandardScaler().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match=r"expected type 'StandardScaler', got 'MinMaxScaler'"):
        gd.StandardScaler.from_dict(scaler.to_dict())
    with pytest.raises(ValueError, match=r"missing key 'range'"):
        gd.MinMaxScaler.from_dict({"type": "MinMaxScaler", "min": [0.0]})


# -- the Preprocessor -------------------------------------------------------------------------

TRAIN_CSV = "age,color,income,label\n20,red,1.0,no\n30,blue,,yes\n40,red,3.0,no\n,green,5.0,yes\n"


def test_preprocessor_imputes_scales_and_one_hot_encodes_in_column_order(tmp_path) -> None:
    table = gd.load_csv(write_text(tmp_path / "train.csv", TRAIN_CSV), "label")
    pre = gd.Preprocessor(scale="minmax").fit(table)
    assert pre.feature_names_out == ["age", "color=blue", "color=green", "color=red", "income"]
    assert pre.numeric_columns == ["age", "income"] and pre.categorical_columns == ["color"]
    # age: median 30 fills the gap, then (x − 20) / 20; income: median 3.0, then (x − 1) / 4
    expected = [
        [0.0, 0, 0, 1, 0.0],
        [0.5, 1, 0, 0, 0.5],
        [1.0, 0, 0, 1, 0.5],
        [0.5, 0, 1, 0, 1.0],
    ]
    np.testing.assert_allclose(pre.transform(table), expected)
    assert pre.n_features_out == 5


@needs_housing
def test_preprocessor_matches_a_scikit_learn_pipeline_on_california_housing(
    skpre, skimpute
) -> None:
    compose = pytest.importorskip("sklearn.compose")
    pipeline = pytest.importorskip("sklearn.pipeline")
    table = gd.load_csv(HOUSING, "median_house_value")
    train, test, _, _ = gd.train_test_split(table, table.target, seed=0)
    pre = gd.Preprocessor(scale="standard").fit(train)
    numeric = pre.numeric_columns  # all before ocean_proximity, as in the file

    def matrix(part: gd.Table) -> np.ndarray:
        return np.column_stack([part.values[name] for name in part.feature_names]).astype(object)

    reference = compose.ColumnTransformer(
        [
            ("num", pipeline.make_pipeline(
                skimpute.SimpleImputer(strategy="median"), skpre.StandardScaler()
            ), list(range(len(numeric)))),
            ("cat", skpre.OneHotEncoder(handle_unknown="ignore", sparse_output=False), [len(numeric)]),
        ]
    ).fit(matrix(train))  # fmt: skip
    np.testing.assert_allclose(pre.transform(test), reference.transform(matrix(test)), atol=1e-10)
    assert pre.transform(test).shape == (test.n_rows, 13)
    assert pre.feature_names_out[8:] == [
        "ocean_proximity=<1H OCEAN", "ocean_proximity=INLAND", "ocean_proximity=ISLAND",
        "ocean_proximity=NEAR BAY", "ocean_proximity=NEAR OCEAN",
    ]  # fmt: skip


@pytest.mark.parametrize("scale", ["standard", "minmax", None])
def test_preprocessor_json_round_trip_gives_identical_transforms(tmp_path, scale) -> None:
    table = gd.load_csv(write_text(tmp_path / "train.csv", TRAIN_CSV), "label")
    pre = gd.Preprocessor(scale=scale).fit(table)
    text = json.dumps(pre.to_dict())
    restored = gd.Preprocessor.from_dict(json.loads(text))
    np.testing.assert_array_equal(restored.transform(table), pre.transform(table))
    assert restored.feature_names_out == pre.feature_names_out


def test_preprocessor_matches_columns_by_name_and_refuses_missing_or_extra(tmp_path) -> None:
    table = gd.load_csv(write_text(tmp_path / "train.csv", TRAIN_CSV), "label")
    pre = gd.Preprocessor().fit(table)
    reordered = write_text(tmp_path / "new.csv", "income,age,color\n3.0,40,red\n,,purple\n")
    new = gd.load_csv(reordered, None, categorical=pre.categorical_columns)
    expected = pre.transform(table)[[2]]
    np.testing.assert_allclose(pre.transform(new)[0], expected[0])
    assert pre.transform(new)[1, 1:4].tolist() == [0, 0, 0]  # unseen "purple": all zeros

    missing = gd.load_csv(write_text(tmp_path / "m.csv", "age,color\n1,red\n"), None)
    with pytest.raises(
        ValueError, match=r"m\.csv: missing column 'income', which the preprocessor was fitted on"
    ):
        pre.transform(missing)
    extra = gd.load_csv(
        write_text(tmp_path / "e.csv", "age,color,income,label\n1,red,2,no\n"), None
    )
    with pytest.raises(
        ValueError,
        match=r"e\.csv: unexpected column 'label', .*not fitted on; drop it \(if it is the target",
    ):
        pre.transform(extra)


def test_preprocessor_column_kinds_must_match(tmp_path) -> None:
    table = gd.load_csv(write_text(tmp_path / "train.csv", TRAIN_CSV), "label")
    pre = gd.Preprocessor().fit(table)
    numbers = gd.load_csv(write_text(tmp_path / "n.csv", "age,color,income\n1,7,2\n"), None)
    with pytest.raises(
        ValueError,
        match=r"n\.csv: column 'color' is numeric here but was categorical when fitted; read the file with load_csv\(\.\.\., categorical=\['color'\]\)",
    ):
        pre.transform(numbers)
    words = gd.load_csv(write_text(tmp_path / "w.csv", "age,color,income\nold,red,2\n"), None)
    with pytest.raises(ValueError, match=r"column 'age' is categorical here but was numeric"):
        pre.transform(words)
    # One predict-time row with the category left empty reads as numeric NaN: that is fine.
    blank = gd.load_csv(write_text(tmp_path / "b.csv", "age,color,income\n1,,2\n"), None)
    assert pre.transform(blank)[0, 1:4].tolist() == [0, 0, 0]


def test_preprocessor_errors() -> None:
    with pytest.raises(
        ValueError, match=r"scale must be one of \['standard', 'minmax', None\], got 'z'"
    ):
        gd.Preprocessor(scale="z")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match=r"Preprocessor is not fitted yet"):
        gd.Preprocessor().to_dict()
    empty = gd.Table.from_columns({"x": [np.nan, np.nan], "c": ["a", "b"]}, source="empty.csv")
    with pytest.raises(ValueError, match=r"empty\.csv: numeric column 'x' has no values"):
        gd.Preprocessor().fit(empty)
    with pytest.raises(ValueError, match=r"empty\.csv: the table has no rows"):
        gd.Preprocessor().fit(empty.take([]))
    fitted = gd.Preprocessor().fit(gd.Table.from_columns({"x": [1.0, 2.0], "c": ["a", "b"]}))
    with pytest.raises(ValueError, match=r"format version 99 is not supported"):
        gd.Preprocessor.from_dict({**fitted.to_dict(), "version": 99})
    with pytest.raises(ValueError, match=r"missing key\(s\) \['encoder'\]"):
        gd.Preprocessor.from_dict({k: v for k, v in fitted.to_dict().items() if k != "encoder"})


# -- splits ---------------------------------------------------------------------------------


def test_split_sizes_disjointness_and_seeds() -> None:
    X, y = np.arange(50).reshape(25, 2), np.arange(25)
    X_train, X_test, y_train, y_test = gd.train_test_split(X, y, test_size=0.2, seed=3)
    assert len(X_test) == 5 and len(X_train) == 20
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(25))
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired
    again = gd.train_test_split(X, y, test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[3], y_test)
    assert not np.array_equal(gd.train_test_split(X, y, seed=4)[3], y_test)
    assert len(gd.train_test_split(X, y, test_size=7, seed=0)[1]) == 7


def test_stratified_split_keeps_proportions_within_one_sample() -> None:
    y = np.repeat(np.array(["a", "b", "c", "d", "e"]), [50, 30, 15, 4, 1])
    _, _, y_train, y_test = gd.train_test_split(y, y, test_size=0.25, stratify=True, seed=0)
    n_test = len(y_test)
    assert n_test == 25
    for label, n in zip(*np.unique(y, return_counts=True), strict=True):
        assert abs((y_test == label).sum() - n * n_test / len(y)) < 1
        assert (y_train == label).sum() >= 1
    repeat = gd.train_test_split(y, y, test_size=0.25, stratify=True, seed=0)[3]
    np.testing.assert_array_equal(repeat, y_test)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 40), min_size=1, max_size=6),
    test_size=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_split_property(counts, test_size, seed) -> None:
    y = np.repeat(np.arange(len(counts)), counts)
    if len(y) < 2:
        return
    train, test = gd.split_indices(y, test_size=test_size, stratify=True, seed=seed)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(y)))
    n_test = min(max(math.ceil(round(test_size * len(y), 9)), 1), len(y) - 1)  # requested
    assert len(test) <= n_test
    for k, n_k in enumerate(counts):
        assert abs((y[test] == k).sum() - n_k * n_test / len(y)) < 1
        assert (y[train] == k).sum() >= 1


def test_split_of_a_table_and_of_one_hot_labels(tmp_path) -> None:
    table = gd.load_csv(write_text(tmp_path / "train.csv", TRAIN_CSV), "label")
    train, test, y_train, y_test = gd.train_test_split(
        table, table.target, test_size=2, stratify=True, seed=0
    )
    assert isinstance(train, gd.Table) and train.n_rows == 2 and test.n_rows == 2
    assert sorted(y_test.tolist()) == ["no", "yes"] and train.target.tolist() == y_train.tolist()
    one_hot = np.eye(2)[[0, 0, 0, 0, 1, 1, 1, 1]]
    _, test_rows = gd.split_indices(one_hot, test_size=0.5, stratify=True, seed=0)
    assert one_hot[test_rows].sum(axis=0).tolist() == [2, 2]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test_size": 0.0}, ValueError, r"test_size must be a fraction in \(0, 1\), got 0\.0"),
        ({"test_size": 10}, ValueError, r"test_size must be a count in 1 … 9 for 10 samples, got 10"),
        ({"test_size": "half"}, TypeError, r"test_size must be a fraction in \(0, 1\) or a count, got 'half'"),
    ],
)  # fmt: skip
def test_split_argument_errors(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        gd.train_test_split(np.ones((10, 2)), np.arange(10), **kwargs)


def test_split_needs_x_and_y_of_the_same_length() -> None:
    with pytest.raises(
        ValueError,
        match=r"X and y must have the same number of samples: X has 10, y has shape \(9,\)",
    ):
        gd.train_test_split(np.ones((10, 2)), np.arange(9))


def test_a_stray_word_in_a_numeric_column_is_named_not_guessed(tmp_path) -> None:
    from glassnet.data import load_csv

    lines = ["age,city"] + [f"{20 + i},c{i % 3}" for i in range(30)]
    lines[18] = "forty,c1"  # the 19th line of the file (the header is line 1)
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ValueError,
        match=r"people.csv, line 19, column 'age': 'forty' is not a number, though 29 of the column's 30 values are",
    ):
        load_csv(path, None)
    assert load_csv(path, None, categorical=["age"]).kinds["age"] == "categorical"
