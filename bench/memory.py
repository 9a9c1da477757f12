"""Peak memory of ``glassnet train`` on numeric CSV files of increasing size.

Each file is written to a temporary folder (removed at the end), then trained on for one
epoch by a fresh ``glassnet train FILE --target y --epochs 1 --no-report --quiet --out DIR``
process (``--path model``: a fresh process calling ``Model.fit(FILE, epochs=1)``), whose
peak resident memory is read from the kernel's accounting of that child alone
(``os.wait4``, a :mod:`resource` ``struct_rusage``). The table printed gives, per file:

file
    the file's size in MB (10⁶ bytes).
peak RSS
    the child's peak resident set size in MB: everything it held at its worst moment,
    the Python interpreter and NumPy included.
ratio
    peak RSS over the file's size; the target is at most 3.
over base
    (peak RSS − the same command's peak on a file of a few rows) over the file's size:
    the memory that grows with the file.
seconds
    the child's wall-clock time, from start to exit.

Run it from the repository root::

    python bench/memory.py                       # 10, 100 and 1000 MB, the CLI
    python bench/memory.py --sizes 10,100 --path model
    python bench/memory.py --columns 30 --dir /big/disk

The files hold ``--columns`` feature columns ``x1 …`` and a regression target ``y``,
numbers written with six significant digits (``-0.834729``, ``1.20394``), comma-separated
with a header row. A block of random rows (about 16 MB) is written once and repeated up
to the size asked: how much memory reading takes does not depend on whether rows repeat,
and formatting a gigabyte of numbers in Python would take minutes.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK_BYTES = 16_000_000
"""About how much distinct text is formatted before it is repeated."""
MB = 1_000_000
MODEL_FIT = (
    "import sys; from glassnet.tabular import Model; "
    "Model.fit(sys.argv[1], target='y', epochs=1, verbose=0)"
)
"""The ``--path model`` child: the Python API on the same file."""


@dataclass(frozen=True)
class Measured:
    """One child process: the file it read and what it took."""

    size: int
    """The file's size in bytes."""
    peak: int
    """The child's peak resident set size in bytes."""
    seconds: float
    returncode: int


def write_csv(path: Path, size: int, columns: int, seed: int = 0) -> int:
    """Write a numeric CSV of about ``size`` bytes (whole rows) to ``path``; its size."""
    rng = np.random.default_rng(seed)
    header = ",".join([*(f"x{j + 1}" for j in range(columns)), "y"]) + "\n"
    rows_per_block = max(1, BLOCK_BYTES // (10 * (columns + 1)))
    X = rng.normal(size=(rows_per_block, columns))
    y = X @ rng.normal(size=columns) + 0.1 * rng.normal(size=rows_per_block)
    lines = [",".join(f"{v:.6g}" for v in row) + "\n" for row in np.column_stack([X, y])]
    block = "".join(lines).encode()
    written = 0
    with path.open("wb") as file:
        written += file.write(header.encode())
        while written + len(block) <= size:
            written += file.write(block)
        for line in lines:  # the rest, in whole rows
            if written + len(line) > size:
                break
            written += file.write(line.encode())
    return written


def measure(command: Sequence[str]) -> tuple[int, float, int]:
    """``(peak RSS in bytes, seconds, return code)`` of ``command`` run as a child."""
    with tempfile.TemporaryFile() as errors:  # a pipe could fill up and stall the child
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        # wait4 reports this child's own usage; RUSAGE_CHILDREN would be the maximum over
        # every child waited for so far, earlier (larger or smaller) runs included.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
            print(f"  exit {child.returncode}: {said[-2000:]}", file=sys.stderr)
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return usage.ru_maxrss * scale, seconds, child.returncode


def command_for(path: Path, out: Path, how: str) -> list[str]:
    """The child's command line for one file."""
    if how == "model":
        return [sys.executable, "-c", MODEL_FIT, str(path)]
    return [
        sys.executable,
        "-m",
        "glassnet",
        "train",
        str(path),
        "--target",
        "y",
        "--epochs",
        "1",
        "--no-report",
        "--quiet",
        "--out",
        str(out),
    ]


def run_one(folder: Path, size: int, columns: int, how: str, seed: int) -> Measured:
    """Write a file of ``size`` bytes, train on it in a child, and delete both."""
    path = folder / f"numbers-{size // MB}MB.csv"
    out = folder / "run"
    written = write_csv(path, size, columns, seed)
    try:
        peak, seconds, code = measure(command_for(path, out, how))
    finally:
        path.unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
    return Measured(written, peak, seconds, code)


def table(results: Sequence[Measured], base: Measured) -> list[str]:
    """The Markdown table of the runs."""
    lines = [
        "| file | peak RSS | ratio | over base | seconds |",
        "|---|---|---|---|---|",
    ]
    for run in results:
        ratio = run.peak / run.size
        over = (run.peak - base.peak) / run.size
        failed = "" if run.returncode == 0 else f" (exit {run.returncode})"
        lines.append(
            f"| {run.size / MB:,.0f} MB | {run.peak / MB:,.0f} MB{failed} | {ratio:.2f} | "
            f"{over:.2f} | {run.seconds:.1f} |"
        )
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10,100,1000",
        help="comma-separated file sizes in MB (default 10,100,1000)",
    )
    parser.add_argument("--columns", type=int, default=10, help="feature columns (default 10)")
    parser.add_argument(
        "--path",
        choices=("cli", "model"),
        default="cli",
        help="cli: glassnet train; model: Model.fit in Python (default cli)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="where the files are written")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numbers (default 0)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(float(size) * MB) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes: expected numbers of MB separated by commas, got {args.sizes!r}")
    if not args.sizes or min(args.sizes) <= 0:
        parser.error("--sizes: give at least one positive size")
    if args.columns < 1:
        parser.error(f"--columns must be at least 1, got {args.columns}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    print("$ python bench/memory.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    )
    folder = Path(tempfile.mkdtemp(prefix="glassnet-memory-", dir=args.dir))
    try:
        base = run_one(folder, 20_000, args.columns, args.path, args.seed)
        print(f"base: {base.peak / MB:,.0f} MB peak RSS on a {base.size:,}-byte file")
        results = []
        for size in args.sizes:
            print(f"{size / MB:,.0f} MB …", file=sys.stderr, flush=True)
            results.append(run_one(folder, size, args.columns, args.path, args.seed))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("\n".join(table(results, base)))


if __name__ == "__main__":
    main()
