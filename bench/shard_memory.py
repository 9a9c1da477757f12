"""What one rank holds when ``K`` ranks prepare a CSV file together (issue 12, point 3).

Writes a CSV of ``--rows`` rows (``--columns`` numeric columns with missing values, a
categorical column, a 3-class target) to a temporary folder, then prepares it as
``glassnet train`` does (:func:`glassnet.tabular.prepare`) on 1 process and under
``mpiexec -n K``, and prints each rank's peak resident memory (``ru_maxrss``) and the
time the preparation took, with the largest rank's memory as a fraction of one process's.

    python bench/shard_memory.py                       # 400,000 rows × 20 columns; 1, 2 ranks
    python bench/shard_memory.py --rows 1000000 --ranks 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_csv(path: Path, rows: int, columns: int, seed: int = 0) -> None:
    """The table, written a block of rows at a time."""
    rng = np.random.default_rng(seed)
    names = [f"x{j}" for j in range(columns)] + ["city", "label"]
    with path.open("w") as out:
        out.write(",".join(names) + "\n")
        for start in range(0, rows, 50_000):
            n = min(50_000, rows - start)
            X = rng.normal(size=(n, columns)).round(4).astype(str)
            X[rng.random((n, columns)) < 0.05] = ""
            city = rng.choice(["north", "south", "east", "west", "centre"], size=n)
            label = rng.choice(["a", "b", "c"], size=n)
            block = np.column_stack([X, city, label])
            out.write("\n".join(",".join(row) for row in block) + "\n")


def worker(path: str) -> None:
    """Prepare ``path`` on this rank (of however many started it); write what it took to
    ``<path>.rank<r>.json``."""
    from glassnet.distributed import communicator_of, running_under_mpi
    from glassnet.tabular import prepare

    comm = communicator_of(True) if running_under_mpi() else None
    start = time.perf_counter()
    data = prepare(path, settings={"validation_split": 0.2, "seed": 0}, across=comm)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    rank = 0 if comm is None else comm.rank
    found = {"rank": rank, "seconds": seconds, "peak_mb": peak_mb, "rows": data.n_rows}
    Path(f"{path}.rank{rank}.json").write_text(json.dumps(found))  # mpiexec mixes stdouts


def mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def run(path: Path, ranks: int) -> list[dict[str, float]]:
    command = [sys.executable, __file__, "--worker", str(path)]
    if ranks > 1:
        launcher = mpiexec()
        if launcher is None:
            raise SystemExit("no mpiexec: pip install mpich mpi4py")
        command = [launcher, "-n", str(ranks), *command]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    written = [path.with_name(f"{path.name}.rank{r}.json") for r in range(ranks)]
    found = [json.loads(p.read_text()) for p in written]
    for p in written:
        p.unlink()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_csv(path, args.rows, args.columns)
        size_mb = path.stat().st_size / 2**20
        print(f"{args.rows:,} rows × {args.columns + 2} columns, {size_mb:.0f} MB of CSV")
        print("| ranks | peak memory per rank (MB) | largest / one process | seconds |")
        print("|---|---|---|---|")
        alone = None
        for ranks in args.ranks:
            found = run(path, ranks)
            peaks = [r["peak_mb"] for r in found]
            alone = alone or max(peaks)
            shown = ", ".join(f"{p:,.0f}" for p in peaks)
            seconds = max(r["seconds"] for r in found)
            print(f"| {ranks} | {shown} | {max(peaks) / alone:.2f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
