"""Fuzzing the model-file reader: hundreds of damaged and crafted model files and
checkpoints (tests/io/fuzzing.py), each of which glassnet must either load as a model that
predicts finite numbers or refuse with its own error — a :class:`ModelFileError`, one line,
naming the file — within a bound of time and memory, in-process and through the command.

The bounds: 64 MiB of Python/NumPy allocations (``tracemalloc``) and 5 s a case. A
reader that decompresses or allocates what a file declares before checking it fails the
first (a declared (10⁶, 10⁶) array is 4 TB); one that recurses into nested JSON, unpickles,
or lets a ``zlib``, ``KeyError`` or ``AttributeError`` through fails the error checks.
``bench/fuzz.py`` runs the same cases by the ten thousand.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from fuzzing import (
    DAMAGE,
    MEMORY_BOUND,
    SLOW_MUTATIONS,
    TIME_BOUND,
    load_or_refuse,
    make_originals,
    measured,
    mutate,
)
from fuzzing_inputs import (
    CSV_MUTATIONS,
    SPEC_MUTATIONS,
    csv_text,
    measured_input,
    mutate_input,
    spec_texts,
    use_csv,
    use_spec,
)

from glassnet.tabular import Model, load_checkpoint

CASES = 160
"""Per valid file (a classifier, a regressor, a checkpoint): 480 in all, about 10 s."""


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    return make_originals(tmp_path_factory.mktemp("originals"))


@pytest.mark.parametrize("kind", ["classifier", "regressor", "checkpoint"])
def test_every_mutated_file_loads_or_is_refused_in_one_line(originals, tmp_path, kind) -> None:
    original, data = originals[kind]
    valid = original.read_bytes()
    model = load_checkpoint(original).model if kind == "checkpoint" else Model.load(original)
    expected = model.output(data)
    counts: dict[str, dict[str, int]] = {}
    for seed in range(CASES):
        name, mutated = mutate(valid, seed)
        path = tmp_path / f"case-{seed}-{name}.glassnet"
        path.write_bytes(mutated)
        same = expected if name in DAMAGE else None
        outcome, seconds, peak = measured(path, data, kind == "checkpoint", same)
        assert seconds < TIME_BOUND, f"{name} (seed {seed}) took {seconds:.1f} s"
        assert peak < MEMORY_BOUND, f"{name} (seed {seed}) allocated {peak / 2**20:.0f} MiB"
        counts.setdefault(name, {"refused": 0, "loaded": 0, "unusable": 0})[outcome] += 1
        path.unlink()
    # The fuzzer reaches every kind of mutation; damage that the checksum covers is refused.
    assert len(counts) >= 18, sorted(counts)
    for damage in ("truncate", "repeat_range"):
        assert counts[damage]["loaded"] == 0, (damage, counts[damage])


def test_a_small_file_that_inflates_to_hundreds_of_megabytes_is_refused_in_bounds(
    originals, tmp_path
) -> None:
    original, data = originals["classifier"]
    for seed in range(2):
        mutated = SLOW_MUTATIONS["memory_bomb"](original.read_bytes(), np.random.default_rng(seed))
        path = tmp_path / f"bomb-{seed}.glassnet"
        path.write_bytes(mutated)
        assert len(mutated) < 4 << 20  # a few MB on disk, hundreds inflated
        outcome, seconds, peak = measured(path, data, checkpoint=False)
        assert outcome == "refused"
        assert peak < MEMORY_BOUND, f"the bomb allocated {peak / 2**20:.0f} MiB"
        assert seconds < TIME_BOUND


def test_the_command_refuses_mutated_files_in_one_line_without_a_traceback(
    originals, tmp_path
) -> None:
    original, data = originals["classifier"]
    valid = original.read_bytes()
    refused = 0
    for seed in range(400):
        name, mutated = mutate(valid, seed)
        path = tmp_path / f"cli-{seed}.glassnet"
        path.write_bytes(mutated)
        if load_or_refuse(path, data, checkpoint=False) != "refused":
            continue
        result = subprocess.run(
            [sys.executable, "-m", "glassnet", "predict", path, data],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1, (name, result.stderr)
        assert len(lines) == 1 and lines[0].startswith("glassnet: error: "), (name, lines)
        assert str(path) in lines[0], (name, lines)
        refused += 1
        if refused == 8:
            break
    assert refused == 8


# -- specs and CSV tables ---------------------------------------------------------------------

INPUT_CASES = 120


def test_every_mutated_spec_traces_or_is_refused_in_one_line(tmp_path) -> None:
    texts = spec_texts()
    counts: dict[str, dict[str, int]] = {}
    for seed in range(INPUT_CASES):
        original = sorted(texts)[seed % len(texts)]
        name, mutated = mutate_input(SPEC_MUTATIONS, texts[original], seed)
        path = tmp_path / f"spec-{seed}.json"
        path.write_bytes(mutated)
        outcome, seconds, peak = measured_input(lambda path=path: use_spec(path))
        assert seconds < TIME_BOUND, f"{name} (seed {seed}) took {seconds:.1f} s"
        assert peak < MEMORY_BOUND, f"{name} (seed {seed}) allocated {peak / 2**20:.0f} MiB"
        counts.setdefault(name, {"refused": 0, "traced": 0})[outcome] += 1
    assert set(counts) == set(SPEC_MUTATIONS), sorted(counts)
    for always_bad in ("nested", "not_utf8"):
        assert counts[always_bad]["traced"] == 0, (always_bad, counts[always_bad])


def test_every_mutated_csv_trains_and_predicts_or_is_refused_in_one_line(tmp_path) -> None:
    valid = csv_text(np.random.default_rng(0))
    (tmp_path / "valid.csv").write_bytes(valid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen categories, dropped rows: said, not errors
        model = Model.fit(tmp_path / "valid.csv", "label", epochs=1, layers=[3], refit=False)
        counts: dict[str, dict[str, int]] = {}
        for seed in range(INPUT_CASES):
            name, mutated = mutate_input(CSV_MUTATIONS, valid, seed)
            path = tmp_path / f"table-{seed}.csv"
            path.write_bytes(mutated)
            outcome, seconds, peak = measured_input(lambda path=path: use_csv(path, model))
            assert seconds < TIME_BOUND, f"{name} (seed {seed}) took {seconds:.1f} s"
            # A 1 MB field is in the table: the bound is on what reading it costs beyond that.
            assert peak < MEMORY_BOUND, f"{name} (seed {seed}) allocated {peak / 2**20:.0f} MiB"
            counts.setdefault(name, {"refused": 0, "used": 0})[outcome] += 1
            path.unlink()
    assert set(counts) == set(CSV_MUTATIONS), sorted(counts)
    assert counts["emptied"]["used"] == 0, counts["emptied"]


@pytest.mark.parametrize("kind", ["spec", "csv"])
def test_the_command_refuses_mutated_inputs_in_one_line(tmp_path, kind) -> None:
    valid = csv_text(np.random.default_rng(0))
    texts = spec_texts()
    refused = 0
    for seed in range(300):
        if kind == "spec":
            name, mutated = mutate_input(SPEC_MUTATIONS, texts[sorted(texts)[0]], seed)
            path = tmp_path / f"spec-{seed}.json"
            path.write_bytes(mutated)
            if use_spec(path) != "refused":
                continue
            command = ["trace", path]
        else:
            name, mutated = mutate_input(CSV_MUTATIONS, valid, seed)
            path = tmp_path / f"table-{seed}.csv"
            path.write_bytes(mutated)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    Model.fit(path, "label", epochs=1, layers=[3], refit=False)
                continue
            except (ValueError, OSError):
                pass
            command = ["train", path, "--target", "label", "--epochs", "1", "--no-report"]
            command += ["--out", tmp_path / f"run-{seed}"]
        result = subprocess.run(
            [sys.executable, "-m", "glassnet", *map(str, command)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        errors = [line for line in result.stderr.splitlines() if "warning:" not in line]
        assert result.returncode == 1, (name, result.stderr[-500:])
        assert len(errors) == 1 and errors[0].startswith("glassnet: error: "), (name, errors)
        assert path.name in errors[0], (name, errors)
        refused += 1
        if refused == 5:
            break
    assert refused == 5
