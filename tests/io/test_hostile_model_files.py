"""The hostile model files that fuzzing found (issue 10), one test each: crafted and
re-signed (the checksum recomputed, as anyone can), then loaded. Each was an internal
error, a runaway allocation or silent NaN predictions before; each must now be a
:class:`ModelFileError` that names the file and the field."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzzing import from_npy, make_originals, npy, read_entries, resign, spec_of, write_entries

from glassnet.io import ModelFileError
from glassnet.tabular import Model, load_checkpoint


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    return make_originals(tmp_path_factory.mktemp("originals"))


def crafted(original: Path, tmp_path: Path, edit: Any, name: str = "crafted.glassnet") -> Path:
    """A copy of ``original`` whose spec ``edit(spec)`` changed in place, re-signed."""
    entries = read_entries(original.read_bytes())
    spec = spec_of(entries)
    edit(spec)
    path = tmp_path / name
    path.write_bytes(write_entries(resign(entries, spec)))
    return path


def refused(path: Path, match: str, checkpoint: bool = False) -> str:
    with pytest.raises(ModelFileError, match=match) as caught:
        load_checkpoint(path) if checkpoint else Model.load(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_a_layer_of_a_billion_units_is_refused_before_anything_is_allocated(
    originals, tmp_path
) -> None:
    original, _ = originals["classifier"]

    def billion(spec: dict[str, Any]) -> None:
        spec["network"]["layers"][-1]["n_out"] = 10**9

    path = crafted(original, tmp_path, billion)
    tracemalloc.start()
    refused(path, r"layer 1 asks for a size of 1,000,000,000 \(at most 10,000,000\)")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20  # the old reader allocated > 8 GB for this file


def test_a_declared_shape_of_a_million_by_a_million_is_refused_by_its_size(
    originals, tmp_path
) -> None:
    original, _ = originals["classifier"]

    def huge(spec: dict[str, Any]) -> None:
        spec["arrays"]["layers.0.W"]["shape"] = [10**6, 10**6]

    refused(crafted(original, tmp_path, huge), r"its arrays hold 1,000,000,000,\d+ numbers")


def test_batch_norm_epsilon_below_zero_is_refused_not_predicting_nan(originals, tmp_path) -> None:
    original, _ = originals["classifier"]

    def negative(spec: dict[str, Any]) -> None:
        spec["network"]["layers"][0]["batch_norm"]["epsilon"] = -1.0

    refused(crafted(original, tmp_path, negative), r"epsilon must be a finite number > 0, got -1")


def test_an_infinite_scale_is_refused_not_predicting_nan(originals, tmp_path) -> None:
    original, _ = originals["regressor"]

    def infinite(spec: dict[str, Any]) -> None:
        spec["preprocessor"]["scaler"]["scale"][0] = float("inf")

    refused(
        crafted(original, tmp_path, infinite),
        r"'scale' must hold finite numbers above 0, got inf for column 0",
    )

    def zero_std(spec: dict[str, Any]) -> None:
        spec["metadata"]["target_scale"][1] = 0.0

    refused(
        crafted(original, tmp_path, zero_std), r"target_scale must be finite numbers with std > 0"
    )


def test_a_classifier_without_class_labels_is_refused_with_a_reason(originals, tmp_path) -> None:
    original, _ = originals["classifier"]

    def no_classes(spec: dict[str, Any]) -> None:
        spec["classes"] = None

    refused(crafted(original, tmp_path, no_classes), r"its network classifies .* no class labels")


def test_a_weight_of_10_to_the_400_is_refused(originals, tmp_path) -> None:
    """JSON reads 10**400 as an integer; it is no size any layer could have."""
    original, _ = originals["classifier"]

    def enormous(spec: dict[str, Any]) -> None:
        spec["network"]["layers"][0]["n_in"] = 10**400

    refused(crafted(original, tmp_path, enormous), r"layer 0 asks for a size of")


def test_deeply_nested_json_is_refused_not_a_recursion_error(originals, tmp_path) -> None:
    original, _ = originals["classifier"]
    entries = read_entries(original.read_bytes())
    text = from_npy(entries["spec.json"]).tobytes().decode()
    deep = text.replace(
        '"metadata": ', '"deep": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": '
    )
    path = tmp_path / "deep.glassnet"
    path.write_bytes(write_entries(resign(entries, deep)))
    refused(path, r"its spec.json is nested too deeply")


def test_one_prepended_byte_is_not_called_a_pickle(originals, tmp_path) -> None:
    """The old reader handed the file to np.load, which took the first byte for a pickle;
    a zip reader reads past it, and the checksum still vouches for the content."""
    original, data = originals["classifier"]
    path = tmp_path / "prepended.glassnet"
    path.write_bytes(b"\x00" + original.read_bytes())
    np.testing.assert_array_equal(
        Model.load(path).predict(data), Model.load(original).predict(data)
    )


def test_an_object_array_is_refused_as_a_pickle_without_running_it(originals, tmp_path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (exec, ("raise SystemExit('code ran')",))

    original, _ = originals["classifier"]
    entries = read_entries(original.read_bytes())
    entries["layers.0.W"] = npy(np.array([Boom()], dtype=object))
    path = tmp_path / "pickled.glassnet"
    path.write_bytes(write_entries(entries))
    refused(path, r"its entry 'layers.0.W' holds pickled Python objects")


def test_encrypted_and_lzma_entries_are_refused_by_name(originals, tmp_path) -> None:
    import zipfile

    original, _ = originals["classifier"]
    entries = read_entries(original.read_bytes())
    path = tmp_path / "lzma.glassnet"
    path.write_bytes(write_entries(entries, zipfile.ZIP_LZMA))
    refused(path, r"compressed with method 14; model files are stored or deflated")
    data = bytearray(write_entries(entries))
    at = data.index(b"PK\x01\x02")
    data[at + 8] |= 1  # the central directory's "encrypted" bit
    path.write_bytes(bytes(data))
    refused(path, r"is encrypted, which model files never are")


def test_non_finite_parameters_are_refused_at_load(originals, tmp_path) -> None:
    original, _ = originals["classifier"]
    entries = read_entries(original.read_bytes())
    W = from_npy(entries["layers.0.W"]).copy()
    W[0, 0] = np.nan
    entries["layers.0.W"] = npy(W)
    path = tmp_path / "nan.glassnet"
    path.write_bytes(write_entries(resign(entries)))
    refused(path, r"layer 0 \(dense\): W contains NaN or inf")


def test_finite_parameters_that_overflow_say_so_instead_of_predicting_nan(
    originals, tmp_path
) -> None:
    original, data = originals["classifier"]
    entries = read_entries(original.read_bytes())
    W = from_npy(entries["layers.0.W"]).copy()
    W[:] = 3e38
    entries["layers.0.W"] = npy(W)
    path = tmp_path / "overflows.glassnet"
    path.write_bytes(write_entries(resign(entries)))
    model = Model.load(path)  # finite numbers: a valid file
    with pytest.raises(ValueError, match=r"output is NaN or inf for [1-9][0-9]* of 60 rows"):
        model.predict(data)
    result = subprocess.run(
        [sys.executable, "-m", "glassnet", "predict", path, data], capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("glassnet: error: the network's output is NaN or inf")


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        (  # a resumed run builds its network from the settings before loading the arrays
            "settings",
            "layers",
            [40000, 40000],
            r"its settings ask for hidden layers \[40000, 40000\], but its network has \[4\]",
        ),
        ("settings", "epochs", 10**12, r"epochs must be at most 1,000,000, got 1,000,000,000,000"),
        ("training", "optimizer", 3, r"its training state's 'optimizer' is int, not dict"),
    ],
)
def test_a_checkpoint_asking_for_what_it_does_not_hold_is_refused(
    originals, tmp_path, section, key, value, message
) -> None:
    original, _ = originals["checkpoint"]

    def edit(spec: dict[str, Any]) -> None:
        place = spec["metadata"]["settings"] if section == "settings" else spec["training"]
        place[key] = value

    refused(crafted(original, tmp_path, edit), message, checkpoint=True)


def test_a_feature_too_large_to_standardize_is_refused_by_name(tmp_path) -> None:
    rows = ["a,b,y"] + [f"{i}e200,{i % 3},{i % 2}" for i in range(1, 41)]
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(
        ValueError,
        match=r"numeric column 'a' holds values up to [0-9.]+e\+201, too large.*--drop a$",
    ):
        Model.fit(path, "y", epochs=1)


def test_a_value_too_large_for_float32_at_predict_names_its_column_and_row(tmp_path) -> None:
    rows = ["a,b,y"] + [f"{i % 10 * 1.5},{i % 3},{i % 2}" for i in range(1, 41)]
    train = tmp_path / "train.csv"
    train.write_text("\n".join(rows) + "\n")
    model = Model.fit(train, "y", epochs=1, layers=[3])
    test = tmp_path / "test.csv"
    test.write_text("a,b\n1,2\n1e300,1\n")
    with pytest.raises(
        ValueError, match=r"numeric column 'a', line 3: the value 1e\+300 is too large"
    ):
        model.predict(test)
