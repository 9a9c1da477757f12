"""Model files: a faithful round trip, and a clear refusal of anything else."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import ModelFileError, load_model, save_model


@pytest.fixture
def trained() -> tuple[gn.Network, np.ndarray]:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 5)), rng.integers(0, 3, 64)
    net = gn.Network.build(
        [5, 8, 6, 3], activation="tanh", batch_norm=True, dropout=0.2, l2=0.01, seed=0
    )
    net.fit(X, y, epochs=3, batch_size=16, optimizer=gn.Adam(1e-2), seed=0)
    return net, X


def test_round_trip_gives_the_same_predictions_and_everything_else(tmp_path, trained) -> None:
    net, X = trained
    path = save_model(
        tmp_path / "model.glassnet",
        net,
        classes=["a", "b", "c"],
        preprocessor={"version": 1, "x": [1.5]},
        metadata={"epochs": np.int64(3)},
    )
    saved = load_model(path)
    np.testing.assert_array_equal(saved.network.predict_output(X), net.predict_output(X))
    assert [type(layer).__name__ for layer in saved.network.layers] == [
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    for (name, a), (_, b) in zip(
        saved.network.parameters() + saved.network.buffers(),
        net.parameters() + net.buffers(),
        strict=True,
    ):
        assert a.dtype == b.dtype == np.float32, name
        np.testing.assert_array_equal(a, b)
    assert saved.network.l2 == 0.01 and saved.network.loss.name == "cce"
    assert saved.classes == ["a", "b", "c"] and saved.metadata == {"epochs": 3}
    assert saved.preprocessor == {"version": 1, "x": [1.5]}
    assert saved.training is None


def test_a_model_file_is_an_archive_of_plain_arrays_and_json(tmp_path, trained) -> None:
    path = save_model(tmp_path / "m.glassnet", trained[0])
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        spec = json.loads(np.load(archive.open("spec.json.npy"), allow_pickle=False).tobytes())
    assert {"spec.json.npy", "checksum.npy", "layers.0.W.npy", "layers.0.running_mean.npy"} <= names
    assert spec["format"] == "glassnet-model" and spec["format_version"] == 1
    assert spec["arrays"]["layers.0.W"] == {"shape": [8, 5], "dtype": "float32"}


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, trained, monkeypatch) -> None:
    path = tmp_path / "model.glassnet"
    save_model(path, trained[0])
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("glassnet.io.files.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(path, gn.Network.build([5, 3], seed=1))
    assert path.read_bytes() == before  # the old model is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.glassnet"]


def test_truncated_file(tmp_path, trained) -> None:
    path = save_model(tmp_path / "m.glassnet", trained[0])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ModelFileError,
        match=r"m.glassnet is not a readable glassnet model file: it is truncated or corrupted",
    ):
        load_model(path)


def test_corrupted_bytes_fail_the_checksum(tmp_path, trained) -> None:
    path = save_model(tmp_path / "m.glassnet", trained[0])
    data = bytearray(path.read_bytes())
    spot = data.find(b"layers.0.W.npy") + 200  # inside W's stored bytes (uncompressed npz)
    data[spot] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        ModelFileError, match=r"(does not match its checksum|truncated or corrupted)"
    ):
        load_model(path)


def _rewrite(path, change) -> None:
    """Edit a model file's JSON or arrays and write it back as a valid archive."""
    with np.load(path, allow_pickle=False) as archive:
        entries = {key: archive[key] for key in archive.files}
    change(entries)
    with open(path, "wb") as file:  # a file handle: np.savez would append ".npz" to a path
        np.savez(file, **entries)


def test_an_edited_file_is_refused(tmp_path, trained) -> None:
    path = save_model(tmp_path / "m.glassnet", trained[0])

    def swap_activation(entries):
        spec = json.loads(entries["spec.json"].tobytes())
        spec["network"]["layers"][0]["activation"]["name"] = "relu"
        entries["spec.json"] = np.frombuffer(json.dumps(spec).encode(), dtype=np.uint8)

    _rewrite(path, swap_activation)
    with pytest.raises(
        ModelFileError, match=r"does not match its checksum: the file was modified or corrupted"
    ):
        load_model(path)


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path, trained) -> None:
    from glassnet.io import model_file

    path = save_model(tmp_path / "m.glassnet", trained[0])

    def bump(entries):
        spec = json.loads(entries["spec.json"].tobytes())
        spec["format_version"] = 99
        entries["spec.json"] = np.frombuffer(json.dumps(spec).encode(), dtype=np.uint8)
        entries.pop("checksum")
        entries["checksum"] = np.frombuffer(
            model_file.entries_checksum(entries).encode(), dtype=np.uint8
        )

    _rewrite(path, bump)
    with pytest.raises(
        ModelFileError,
        match=r"newer glassnet \(model format 99; this glassnet reads up to 1\): upgrade",
    ):
        load_model(path)


def _refused_with_and_without_the_spec(tmp_path, network, change, undeclared, declared):
    """``change(entries, spec)`` made to a saved file's arrays (and, the second time, to
    the spec's list of arrays too), re-signed: refused first for the list and the file
    disagreeing (``undeclared``), then by the layer's sizes (``declared``)."""
    from glassnet.io import model_file

    for declare, message in ((False, undeclared), (True, declared)):
        path = save_model(tmp_path / "m.glassnet", network)

        def edit(entries, declare=declare):
            spec = json.loads(entries["spec.json"].tobytes())
            change(entries, spec["arrays"] if declare else {})
            entries["spec.json"] = np.frombuffer(json.dumps(spec).encode(), dtype=np.uint8)
            entries.pop("checksum")
            entries["checksum"] = np.frombuffer(
                model_file.entries_checksum(entries).encode(), dtype=np.uint8
            )

        _rewrite(path, edit)
        with pytest.raises(ModelFileError, match=message):
            load_model(path)


def test_arrays_that_do_not_fit_the_architecture_name_the_layer(tmp_path, trained) -> None:
    def reshape(entries, listed):
        entries["layers.2.W"] = np.zeros((6, 7), dtype=np.float32)
        if listed:
            listed["layers.2.W"]["shape"] = [6, 7]

    _refused_with_and_without_the_spec(
        tmp_path,
        trained[0],
        reshape,
        r"its array 'layers.2.W' is float32 \(6, 7\) but its spec says float32 \(6, 8\)",
        r"its layer 2 \(dense\) needs W of shape \(6, 8\), but the file lists \(6, 7\)",
    )


def test_pickled_arrays_are_never_loaded(tmp_path) -> None:
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    path = tmp_path / "evil.glassnet"
    with open(path, "wb") as file:
        np.savez(file, **{"spec.json": np.array([Boom()], dtype=object), "checksum": np.zeros(1)})
    with pytest.raises(
        ModelFileError,
        match=r"holds pickled Python objects.*not loaded, since unpickling can run code",
    ):
        load_model(path)


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"model file '.*nope.glassnet' does not exist"):
        load_model(tmp_path / "nope.glassnet")
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a model file"):
        load_model(tmp_path)


def test_a_file_that_is_not_a_model(tmp_path) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, X=np.ones(3))
    with pytest.raises(
        ModelFileError, match=r"is not a glassnet model file \(it has no spec.json\)"
    ):
        load_model(path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match=r"truncated or corrupted"):
        load_model(text)


def test_a_missing_array_is_refused_not_filled_with_defaults(tmp_path, trained) -> None:
    def drop(entries, listed):
        entries.pop("layers.0.running_var")
        listed.pop("layers.0.running_var", None)

    _refused_with_and_without_the_spec(
        tmp_path,
        trained[0],
        drop,
        r"its spec lists the array 'layers.0.running_var', which the file does not hold",
        r"its layer 0 \(dense\) needs running_var of shape \(\d+,\), but the file lists None",
    )
