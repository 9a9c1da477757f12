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
peak RssAnon
    the child's peak anonymous resident memory (``/proc/self/status``, sampled every
    5 ms): what it allocated, without the page cache of files it maps, which peak RSS
    counts.
seconds
    the child's wall-clock time, from start to exit.

``--cache`` trains twice on each file with ``--cache yes``: the first run prepares the
rows and writes them to ``.glassnet-cache`` beside the file; the second maps them and
does not read the CSV (:mod:`glassnet.tabular.cache`). Without it, the children run with
``--cache no``.

Run it from the repository root::

    python bench/memory.py                       # 10, 100 and 1000 MB, the CLI
    python bench/memory.py --sizes 10,100 --path model
    python bench/memory.py --columns 30 --dir /big/disk
    python bench/memory.py --sizes 1000 --cache     # the prepared-rows cache (issue 15)

The files hold ``--columns`` feature columns ``x1 …`` and a regression target ``y``,
numbers written with six significant digits (``-0.834729``, ``1.20394``), comma-separated
with a header row. A block of random rows (about 16 MB) is written once and repeated up
to the size asked: how much memory reading takes does not depend on whether rows repeat,
and formatting a gigabyte of numbers in Python would take minutes.

``--mmap SIZES`` measures training on memory-mapped ``.npy`` files instead (issue 15):
for each size it writes a float32 ``X`` of that many MB (784 columns, MNIST-shaped) and
its labels ``y`` (uint8, ten classes), then trains a 784-256-128-10 network for one epoch
in a fresh process on ``np.load(path, mmap_mode="r")``. The child samples its own
anonymous resident memory (``RssAnon`` in ``/proc/self/status``: memory it allocated,
not the page cache that holds the file) every 5 ms while it trains, and reports the
peak and the throughput. A last child loads the smallest file into memory
(``np.load`` without ``mmap_mode``) and trains the same way, for the throughput of
in-memory training; every file is read once before its child starts, so that the
memory-mapped runs read from the page cache::

    python bench/memory.py --mmap 1000,2000,4000              # about 8 minutes
    python bench/memory.py --mmap 100 --shuffle true
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK_BYTES = 16_000_000
"""About how much distinct text is formatted before it is repeated."""
MB = 1_000_000


@dataclass(frozen=True)
class Measured:
    """One child process: the file it read and what it took."""

    size: int
    """The file's size in bytes."""
    peak: int
    """The child's peak resident set size in bytes."""
    seconds: float
    returncode: int
    run: str = ""
    """With ``--cache``: which of the two runs (the first writes the cache, the second reads it)."""
    anon: float = 0.0
    """The child's peak anonymous resident memory (``RssAnon``) in MB."""


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


def measure(command: Sequence[str]) -> tuple[int, float, int, float]:
    """``(peak RSS in bytes, seconds, return code, peak RssAnon in MB)`` of ``command``
    run as a child (:func:`sampled_child`)."""
    with tempfile.TemporaryFile() as errors:  # a pipe could fill up and stall the child
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        # wait4 reports this child's own usage; RUSAGE_CHILDREN would be the maximum over
        # every child waited for so far, earlier (larger or smaller) runs included.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode(errors="replace").strip()
    if child.returncode != 0:
        print(f"  exit {child.returncode}: {said[-2000:]}", file=sys.stderr)
    anon = [float(line.split()[-1]) for line in said.splitlines() if line.startswith("peak Rss")]
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return usage.ru_maxrss * scale, seconds, child.returncode, anon[-1] if anon else float("nan")


def command_for(path: Path, out: Path, how: str, cache: bool = False) -> list[str]:
    """The child's command line for one file (``cache``: with ``--cache yes``)."""
    return [
        sys.executable, __file__, "--sampled-child", how, str(path), str(out),
        "yes" if cache else "no",  # "no": the library's default caches large files
    ]  # fmt: skip


def sampled_child(how: str, path: str, out: str, cache: str) -> None:
    """Train as ``how`` says (``cli``: ``glassnet train``; ``model``: ``Model.fit``)
    while a thread samples ``RssAnon`` every 5 ms: the memory this process allocated, not
    the page cache of the files it maps (which ``ru_maxrss`` counts too); the peak goes to
    stderr, for :func:`measure`."""
    peak = [status_mb("RssAnon")]
    try:
        with peak_rss_anon(peak):
            code = _train(how, path, out, cache)
    finally:
        print(f"peak RssAnon {peak[0]:.1f}", file=sys.stderr)
    raise SystemExit(code)


def _train(how: str, path: str, out: str, cache: str) -> int:
    if how == "model":
        from glassnet.tabular import Model

        Model.fit(path, target="y", epochs=1, cache=cache)
        return 0
    from glassnet.cli import main as glassnet

    options = "--target y --epochs 1 --no-report --quiet --cache".split()
    return glassnet(["train", path, *options, cache, "--out", out])


@contextlib.contextmanager
def peak_rss_anon(peak: list[float]) -> Iterator[None]:
    """Sample ``RssAnon`` every 5 ms while the block runs, keeping the largest (in MB) in
    ``peak[0]``, the end's included."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], status_mb("RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        peak[0] = max(peak[0], status_mb("RssAnon"))


def run_one(
    folder: Path, size: int, columns: int, how: str, seed: int, cache: bool = False
) -> list[Measured]:
    """Write a file of ``size`` bytes, train on it in a child, and delete both; with
    ``cache``, train twice with ``--cache yes``: the first run writes the prepared rows
    beside the file, the second maps them."""
    path = folder / f"numbers-{size // MB}MB.csv"
    out = folder / "run"
    written = write_csv(path, size, columns, seed)
    measured = []
    try:
        for run in ("writes the cache", "reads the cache") if cache else ("",):
            peak, seconds, code, anon = measure(command_for(path, out, how, cache))
            shutil.rmtree(out, ignore_errors=True)
            measured.append(Measured(written, peak, seconds, code, run, anon))
    finally:
        path.unlink(missing_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(folder / ".glassnet-cache", ignore_errors=True)
    return measured


def table(results: Sequence[Measured], base: Measured) -> list[str]:
    """The Markdown table of the runs."""
    lines = [
        "| file | run | peak RSS | ratio | over base | peak RssAnon | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in results:
        ratio = run.peak / run.size
        over = (run.peak - base.peak) / run.size
        failed = "" if run.returncode == 0 else f" (exit {run.returncode})"
        lines.append(
            f"| {run.size / MB:,.0f} MB | {run.run or 'one'} | {run.peak / MB:,.0f} MB{failed} | "
            f"{ratio:.2f} | {over:.2f} | {run.anon:,.0f} MB | {run.seconds:.1f} |"
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
    parser.add_argument(
        "--mmap",
        default="",
        help="memory-mapped .npy files of these sizes in MB, comma-separated (e.g. "
        "1000,2000,4000), instead of CSV files",
    )
    parser.add_argument(
        "--shuffle",
        choices=("blocks", "true", "false"),
        default="blocks",
        help="with --mmap: fit's shuffle (default blocks)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=128, help="with --mmap: mini-batch size (default 128)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="with --mmap: runs in memory and memory-mapped, in turn, on the smallest file",
    )
    parser.add_argument(
        "--cache",
        action="store_true",
        help="train twice on each CSV with --cache yes: writing, then reading the prepared rows",
    )
    parser.add_argument("--sampled-child", nargs=4, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--mmap-child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.mmap = [int(float(size) * MB) for size in args.mmap.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--mmap: expected numbers of MB separated by commas, got {args.mmap!r}")
    if args.mmap and min(args.mmap) < 10 * MB:
        parser.error("--mmap: give sizes of at least 10 MB")
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
    if args.sampled_child is not None:
        sampled_child(*args.sampled_child)
    if args.mmap_child is not None:
        mmap_child(*args.mmap_child, args.shuffle, args.batch_size, args.seed)
        return
    if args.mmap:
        mmap_main(args, argv)
        return
    print("$ python bench/memory.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}"
    )
    folder = Path(tempfile.mkdtemp(prefix="glassnet-memory-", dir=args.dir))
    try:
        (base,) = run_one(folder, 20_000, args.columns, args.path, args.seed)
        print(f"base: {base.peak / MB:,.0f} MB peak RSS on a {base.size:,}-byte file")
        results = []
        for size in args.sizes:
            print(f"{size / MB:,.0f} MB …", file=sys.stderr, flush=True)
            results += run_one(folder, size, args.columns, args.path, args.seed, args.cache)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("\n".join(table(results, base)))


# -- memory-mapped .npy files (--mmap) ---------------------------------------------------

FEATURES = 784
"""Columns of the memory-mapped ``X``: MNIST-shaped rows of 3,136 bytes."""
HIDDEN = (256, 128)
CLASSES = 10
CHUNK_ROWS = 16_384
"""Rows written (and pre-read) at a time."""


def write_npy(folder: Path, size: int, seed: int) -> tuple[Path, Path]:
    """A float32 ``X`` of about ``size`` bytes (``FEATURES`` columns) and uint8 labels."""
    rows = max(1, size // (4 * FEATURES))
    X_path, y_path = folder / f"X-{size // MB}MB.npy", folder / f"y-{size // MB}MB.npy"
    rng = np.random.default_rng(seed)
    X = np.lib.format.open_memmap(X_path, mode="w+", dtype=np.float32, shape=(rows, FEATURES))
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.uint8, shape=(rows,))
    for start in range(0, rows, CHUNK_ROWS):
        end = min(start + CHUNK_ROWS, rows)
        X[start:end] = rng.random((end - start, FEATURES), dtype=np.float32)
        y[start:end] = rng.integers(0, CLASSES, size=end - start)
    X.flush()
    y.flush()
    del X, y
    return X_path, y_path


def read_through(path: Path) -> None:
    """Read a file once, so that it sits in the page cache."""
    with path.open("rb") as file:
        while file.read(1 << 24):
            pass


def status_mb(field: str) -> float:
    """A field of ``/proc/self/status`` (``RssAnon``, ``RssFile``, …) in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / MB
    raise KeyError(field)


def mmap_child(X_path: str, y_path: str, how: str, shuffle: str, batch: int, seed: int) -> None:
    """Train one epoch on the files (``how``: ``mmap`` or ``memory``); print one JSON line."""
    import json

    import glassnet as gn

    mode = {"blocks": "blocks", "true": True, "false": False}[shuffle]
    mmap_mode = "r" if how == "mmap" else None
    X, y = np.load(X_path, mmap_mode=mmap_mode), np.load(y_path, mmap_mode=mmap_mode)
    net = gn.Network.build([FEATURES, *HIDDEN, CLASSES], seed=seed)
    before = status_mb("RssAnon")
    peak = [before]
    with peak_rss_anon(peak):
        started = time.perf_counter()
        history = net.fit(
            X, y, epochs=1, batch_size=batch, optimizer="sgd", learning_rate=0.01,
            shuffle=mode, seed=seed,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    after = status_mb("RssAnon")
    print(
        json.dumps(
            {
                "rows": int(X.shape[0]),
                "before": before,
                "peak": peak[0],
                "after": after,
                "rss_file": status_mb("RssFile"),
                "seconds": seconds,
                "epoch_seconds": history.seconds[-1],
            }
        )
    )


def run_child(X_path: Path, y_path: Path, how: str, args: argparse.Namespace) -> dict[str, float]:
    """One fresh process training on the files; what it printed."""
    import json

    read_through(X_path)
    command = [
        sys.executable, __file__, "--mmap-child", str(X_path), str(y_path), how,
        "--shuffle", args.shuffle, "--batch-size", str(args.batch_size), "--seed", str(args.seed),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def mmap_main(args: argparse.Namespace, argv: Sequence[str] | None) -> None:
    """Train on memory-mapped files of each size, and in memory on the smallest; print
    the table."""
    print("$ python bench/memory.py " + shlex.join(sys.argv[1:] if argv is None else argv))
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}; network "
        f"{FEATURES}-{'-'.join(map(str, HIDDEN))}-{CLASSES}, SGD, batch {args.batch_size}, "
        f"shuffle {args.shuffle}, one epoch"
    )
    folder = Path(tempfile.mkdtemp(prefix="glassnet-mmap-", dir=args.dir))
    rows: list[tuple[str, int, list[dict[str, float]]]] = []
    try:
        smallest = min(args.mmap)
        for size in args.mmap:
            print(f"{size / MB:,.0f} MB …", file=sys.stderr, flush=True)
            X_path, y_path = write_npy(folder, size, args.seed)
            if size == smallest:
                # In memory and memory-mapped in turn, so that both see the same load.
                runs: dict[str, list[dict[str, float]]] = {"memory": [], "mmap": []}
                for _ in range(args.repeats):
                    for how in runs:
                        runs[how].append(run_child(X_path, y_path, how, args))
                rows.append(("in memory", X_path.stat().st_size, runs["memory"]))
                rows.append(("memory-mapped", X_path.stat().st_size, runs["mmap"]))
            else:
                rows.append(
                    (
                        "memory-mapped",
                        X_path.stat().st_size,
                        [run_child(X_path, y_path, "mmap", args)],
                    )
                )
            X_path.unlink()
            y_path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("\n".join(mmap_table(rows)))


def mmap_table(rows: Sequence[tuple[str, int, list[dict[str, float]]]]) -> list[str]:
    """The Markdown table: memory per run (the largest over repeats), speed as the median
    over repeats with its min–max, relative to the median in memory."""
    speeds = {id(runs): [r["rows"] / r["seconds"] for r in runs] for _, _, runs in rows}
    in_memory = next(float(np.median(speeds[id(r)])) for how, _, r in rows if how == "in memory")
    lines = [
        "| X | read | runs | RssAnon before fit | peak during fit | peak − before "
        "| RssFile after | samples/s | of in-memory |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for how, size, runs in rows:
        before = max(r["before"] for r in runs)
        peak = max(r["peak"] for r in runs)
        growth = max(r["peak"] - r["before"] for r in runs)
        speed = speeds[id(runs)]
        spread = f" [{min(speed):,.0f}–{max(speed):,.0f}]" if len(speed) > 1 else ""
        lines.append(
            f"| {size / MB:,.0f} MB | {how} | {len(runs)} | {before:,.0f} MB | {peak:,.0f} MB | "
            f"{growth:,.0f} MB | {max(r['rss_file'] for r in runs):,.0f} MB | "
            f"{np.median(speed):,.0f}{spread} | {np.median(speed) / in_memory:.0%} |"
        )
    return lines


if __name__ == "__main__":
    main()
