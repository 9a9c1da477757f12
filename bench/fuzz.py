"""The long fuzz run: tens of thousands of damaged and crafted model files, checkpoints,
trace specs and CSV tables.

The same mutations as the suite's ``tests/io/test_fuzz.py`` (``tests/io/fuzzing.py`` and
``tests/io/fuzzing_inputs.py``), by the ten thousand instead of the hundred, plus the slow
ones (small model files that inflate to hundreds of MB) and a sample of refused model
files through the ``glassnet predict`` command. A model file must load as a model that
predicts finite numbers, or be refused in one line naming it (a ``ModelFileError``), or,
loaded, refuse the data in one line; a spec must trace or be refused in one line naming
it; a CSV must train and predict, or be refused in one line naming it. Every case is
timed and its allocations traced (``tracemalloc``). The table counts the outcomes by
mutation; any other outcome is a failure, listed, and the exit status is 1.

Run it from the repository root::

    python bench/fuzz.py          # 12,000 model files, 2,000 specs, 2,000 CSVs; 200 via the command
    python bench/fuzz.py --cases 30000 --specs 0 --csvs 0 --cli 0 --seed 7
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "io"))
# The fuzzer lives with the tests that use it.
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

KINDS = ("classifier", "regressor", "checkpoint")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12_000, help="model files and checkpoints")
    parser.add_argument("--specs", type=int, default=2_000, help="trace specs")
    parser.add_argument("--csvs", type=int, default=2_000, help="CSV tables")
    parser.add_argument(
        "--cli", type=int, default=200, help="refused cases to rerun via the command"
    )
    parser.add_argument("--slow-every", type=int, default=500, help="a slow mutation every N cases")
    parser.add_argument("--seed", type=int, default=0, help="the first case's seed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen categories, dropped rows: said, not findings
        return run(Path(folder), args)


def run(folder: Path, args: argparse.Namespace) -> int:
    originals = make_originals(folder)
    expected = {  # what a damaged file that still loads must predict: the original's output
        kind: (load_checkpoint(path).model if kind == "checkpoint" else Model.load(path)).output(
            data
        )
        for kind, (path, data) in originals.items()
    }
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[str] = []
    slowest, largest = (0.0, ""), (0, "")
    started = time.perf_counter()
    for case in range(args.cases):
        kind = KINDS[case % len(KINDS)]
        original, data = originals[kind]
        seed = args.seed + case
        if args.slow_every and case % args.slow_every == args.slow_every - 1:
            name = "memory_bomb"
            mutated = SLOW_MUTATIONS[name](original.read_bytes(), np.random.default_rng(seed))
        else:
            name, mutated = mutate(original.read_bytes(), seed)
        path = folder / f"case-{seed}.glassnet"
        path.write_bytes(mutated)
        label = f"{name} on the {kind} (seed {seed})"
        try:
            same = expected[kind] if name in DAMAGE else None
            outcome, seconds, peak = measured(path, data, kind == "checkpoint", same)
        except Exception as exc:  # every other outcome (an assertion's too) is a finding
            outcome, seconds, peak = "FAILED", 0.0, 0
            failures.append(f"{label}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if seconds > TIME_BOUND or peak > MEMORY_BOUND:
            failures.append(f"{label}: {seconds:.1f} s, {peak / 2**20:.0f} MiB")
        slowest = max(slowest, (seconds, label))
        largest = max(largest, (peak, label))
        outcomes[name][outcome] += 1
        path.unlink()
    _inputs(folder, args, outcomes, failures)
    in_process = time.perf_counter() - started
    cli = _through_the_command(folder, originals, args)
    failures += cli["failures"]

    columns = ("refused", "loaded", "unusable", "traced", "used", "FAILED")
    print(f"{'mutation':22s} " + " ".join(f"{c:>9s}" for c in columns))
    for name in sorted(outcomes):
        print(f"{name:22s} " + " ".join(f"{outcomes[name][c]:9,d}" for c in columns))
    total = Counter[str]()
    for counts in outcomes.values():
        total.update(counts)
    print(f"{'all':22s} " + " ".join(f"{total[c]:9,d}" for c in columns))
    cases = args.cases + args.specs + args.csvs
    print(
        f"\n{cases:,} cases in-process in {in_process:.0f} s; slowest {slowest[0]:.2f} s "
        f"({slowest[1]}); largest allocation {largest[0] / 2**20:.1f} MiB ({largest[1]})"
    )
    print(f"{cli['runs']} refused cases rerun via glassnet predict: {cli['ok']} one-line errors")
    for failure in failures[:20]:
        print("FAILED:", failure)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


def _inputs(
    folder: Path,
    args: argparse.Namespace,
    outcomes: dict[str, Counter[str]],
    failures: list[str],
) -> None:
    """The spec and CSV cases, each under the same bounds as a model file."""
    texts = spec_texts()
    valid_csv = csv_text(np.random.default_rng(args.seed))
    (folder / "valid.csv").write_bytes(valid_csv)
    model = Model.fit(folder / "valid.csv", "label", epochs=1, layers=[3], refit=False)
    plan = [("spec", case) for case in range(args.specs)]
    plan += [("csv", case) for case in range(args.csvs)]
    for family, case in plan:
        seed = args.seed + case
        if family == "spec":
            original = sorted(texts)[case % len(texts)]
            name, mutated = mutate_input(SPEC_MUTATIONS, texts[original], seed)
            path = folder / f"spec-{seed}.json"
        else:
            name, mutated = mutate_input(CSV_MUTATIONS, valid_csv, seed)
            path = folder / f"table-{seed}.csv"
        path.write_bytes(mutated)
        label = f"{family} {name} (seed {seed})"
        if family == "spec":
            use = lambda path=path: use_spec(path)  # noqa: E731
        else:
            use = lambda path=path: use_csv(path, model)  # noqa: E731
        try:
            outcome, seconds, peak = measured_input(use)
        except Exception as exc:  # every other outcome (an assertion's too) is a finding
            outcome, seconds, peak = "FAILED", 0.0, 0
            failures.append(f"{label}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        if seconds > TIME_BOUND or peak > MEMORY_BOUND:
            failures.append(f"{label}: {seconds:.1f} s, {peak / 2**20:.0f} MiB")
        outcomes[f"{family}: {name}"][outcome] += 1
        path.unlink()


def _through_the_command(
    folder: Path, originals: dict[str, tuple[Path, Path]], args: argparse.Namespace
) -> dict[str, object]:
    """Refused cases again, through ``glassnet predict``: exit 1, one line on stderr that
    starts ``glassnet: error:`` and names the file, no traceback, no internal error."""
    original, data = originals["classifier"]
    failures: list[str] = []
    runs = ok = 0
    seed = args.seed + args.cases
    while runs < args.cli:
        name, mutated = mutate(original.read_bytes(), seed)
        path = folder / f"cli-{seed}.glassnet"
        path.write_bytes(mutated)
        seed += 1
        if load_or_refuse(path, data, checkpoint=False) != "refused":
            continue
        runs += 1
        result = subprocess.run(
            [sys.executable, "-m", "glassnet", "predict", str(path), str(data)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = result.stderr.strip().splitlines()
        if (
            result.returncode == 1
            and len(lines) == 1
            and lines[0].startswith("glassnet: error: ")
            and str(path) in lines[0]
        ):
            ok += 1
        else:
            failures.append(f"command, {name} (seed {seed - 1}): {result.stderr.strip()[:300]}")
    return {"runs": runs, "ok": ok, "failures": failures}


if __name__ == "__main__":
    sys.exit(main())
