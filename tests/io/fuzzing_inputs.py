"""Seeded mutations of the text files glassnet reads: trace specs (JSON) and CSV tables.

The companion of ``fuzzing.py`` (model files). A spec case is one of the shipped examples
with a field set to a hostile value, deleted, scaled, nested deep, cut short, or its
bytes damaged; a CSV case is a small table with a cell, a line or the bytes changed in a
way spreadsheets, exports and attackers do (inf, 1e400, NaN, 1 MB fields, control
characters, stray quotes and delimiters, Latin-1 bytes, NUL, lines of the wrong width, a
duplicated header, nothing at all). Each must train, predict or trace, or be refused
with one line naming the file, within bounds of time and memory.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fuzzing import HOSTILE_VALUES, flip, get_at, json_paths, repeat_range, set_at, truncate

from glassnet.inspect import load_example, load_spec
from glassnet.inspect.spec import list_examples
from glassnet.tabular import Model

Mutation = Callable[[bytes, np.random.Generator], bytes]


def _pick(rng: np.random.Generator, items: list[Any]) -> Any:
    return items[int(rng.integers(0, len(items)))]


# -- specs ---------------------------------------------------------------------------------


def spec_texts() -> dict[str, bytes]:
    """The shipped example specs, as files: the valid starting points."""
    folder = Path(load_example.__code__.co_filename).parent / "examples"
    return {name: (folder / f"{name}.json").read_bytes() for name in list_examples()}


def _edited(data: bytes, edit: Callable[[Any], Any]) -> bytes:
    return json.dumps(edit(json.loads(data))).encode()


def field_value(data: bytes, rng: np.random.Generator) -> bytes:
    def edit(spec: Any) -> Any:
        return set_at(spec, _pick(rng, json_paths(spec)), _pick(rng, HOSTILE_VALUES))

    return _edited(data, edit)


def field_deleted(data: bytes, rng: np.random.Generator) -> bytes:
    def edit(spec: Any) -> Any:
        path = _pick(rng, [p for p in json_paths(spec) if p])
        del get_at(spec, path[:-1])[path[-1]]
        return spec

    return _edited(data, edit)


def number_scaled(data: bytes, rng: np.random.Generator) -> bytes:
    def edit(spec: Any) -> Any:
        numbers = [p for p in json_paths(spec) if type(get_at(spec, p)) in (int, float) and p]
        path = _pick(rng, numbers)
        value, factor = get_at(spec, path), _pick(rng, [10**6, 10**12, -1, 0, 1e300, 10**400])
        if isinstance(value, float) and factor == 10**400:
            factor = 1e308  # a float times 10**400 is an OverflowError in the fuzzer itself
        return set_at(spec, path, value * factor)

    return _edited(data, edit)


def nested(data: bytes, rng: np.random.Generator) -> bytes:
    depth = int(rng.integers(10_000, 200_000))
    return b'{"name": ' + b"[" * depth + b"]" * depth + b", " + data.lstrip()[1:]


def not_utf8(data: bytes, rng: np.random.Generator) -> bytes:
    at = int(rng.integers(0, len(data)))
    return data[:at] + _pick(rng, [b"\xff", b"\xe9", b"\xc3\x28", b"\x00"]) + data[at:]


SPEC_MUTATIONS: dict[str, Mutation] = {
    fn.__name__: fn
    for fn in (field_value, field_deleted, number_scaled, nested, not_utf8, flip, truncate)
}


# -- CSV tables ------------------------------------------------------------------------------


def csv_text(rng: np.random.Generator, rows: int = 40) -> bytes:
    """A small valid table: numbers, a category, a date and a yes/no target."""
    lines = ["height,colour,joined,score,label"]
    for i in range(rows):
        height = rng.normal(170, 10)
        lines.append(
            f"{height:.1f},{_pick(rng, ['red', 'green', 'blue'])},2024-0{1 + i % 9}-1{i % 10},"
            f"{rng.normal():.3f},{'yes' if height > 170 else 'no'}"
        )
    return ("\n".join(lines) + "\n").encode()


HOSTILE_CELLS = [
    b"inf",
    b"-inf",
    b"1e308",
    b"1e400",
    b"-1e400",
    b"NaN",
    b"",
    b"n/a",
    b"?",
    b"x" * 1_000_000,
    b"\x1b[31mred\x1b[0m",
    b'"',
    b'"a,b"',
    b'"unclosed,',
    b",,,",
    b";",
    b"\t",
    b"\xe9t\xe9",
    b"\xff\xfe",
    b"\x00",
    b"\xef\xbb\xbfbom",
    b"1,5",
    b"  42  ",
    b"0x1F",
    b"True",
]


def _cells(data: bytes) -> list[list[bytes]]:
    return [line.split(b",") for line in data.split(b"\n") if line]


def _joined(rows: list[list[bytes]]) -> bytes:
    return b"\n".join(b",".join(row) for row in rows) + b"\n"


def cell(data: bytes, rng: np.random.Generator) -> bytes:
    """One cell (the header's included) replaced by a hostile value."""
    rows = _cells(data)
    row = _pick(rng, rows)
    row[int(rng.integers(0, len(row)))] = _pick(rng, HOSTILE_CELLS)
    return _joined(rows)


def column_of(data: bytes, rng: np.random.Generator) -> bytes:
    """A whole column (the target's, half the time) filled with one hostile value."""
    rows = _cells(data)
    j = len(rows[0]) - 1 if rng.random() < 0.5 else int(rng.integers(0, len(rows[0])))
    value = _pick(rng, HOSTILE_CELLS[:10])
    for row in rows[1:]:
        row[j] = value
    return _joined(rows)


def line_width(data: bytes, rng: np.random.Generator) -> bytes:
    """A line with a cell too many or too few, or a line left empty or repeated."""
    rows = _cells(data)
    at = int(rng.integers(0, len(rows)))
    change = int(rng.integers(0, 4))
    if change == 0:
        rows[at].append(b"extra")
    elif change == 1:
        rows[at] = rows[at][:-1]
    elif change == 2:
        rows[at] = [b""]
    else:
        rows.insert(at, list(rows[at]))
    return _joined(rows)


def header_changed(data: bytes, rng: np.random.Generator) -> bytes:
    """The header with a name repeated, emptied, made a megabyte long, or left alone on
    a file with no rows."""
    rows = _cells(data)
    change = int(rng.integers(0, 4))
    if change == 0:
        rows[0][1] = rows[0][0]
    elif change == 1:
        rows[0][0] = b""
    elif change == 2:
        rows[0][0] = b"h" * 1_000_000
    else:
        rows = rows[:1]
    return _joined(rows)


def emptied(data: bytes, rng: np.random.Generator) -> bytes:
    return _pick(rng, [b"", b"\n", b"\n\n\n", b",,,,\n", b"\xef\xbb\xbf"])


CSV_MUTATIONS: dict[str, Mutation] = {
    fn.__name__: fn
    for fn in (cell, cell, column_of, line_width, header_changed, emptied, flip, truncate)
}
CSV_MUTATIONS["repeat_range"] = repeat_range


def mutate_input(mutations: dict[str, Mutation], data: bytes, seed: int) -> tuple[str, bytes]:
    rng = np.random.default_rng(seed)
    name = _pick(rng, sorted(mutations))
    return name, mutations[name](data, rng)


# -- running a case --------------------------------------------------------------------------


ACCEPTED = (ValueError, OSError)
"""What the command turns into its one-line error: the package's errors are ValueErrors
(SpecError, ModelFileError) and OSErrors (a file not found, a folder)."""


def use_spec(path: Path) -> str:
    """Load and trace the spec at ``path``: ``"traced"`` or ``"refused"``."""
    try:
        spec = load_spec(path)
        spec.run(min(spec.steps, 3))
    except ACCEPTED as exc:
        _one_line_naming(exc, path)
        return "refused"
    return "traced"


def use_csv(path: Path, model: Model) -> str:
    """Train one epoch on the table at ``path`` and predict it with ``model`` (trained on
    the valid table): ``"used"``, ``"refused"`` (either refused in one line)."""
    outcomes = []
    for attempt in (
        lambda: Model.fit(path, "label", epochs=1, layers=[3], refit=False),
        lambda: model.predict(path),
    ):
        try:
            attempt()
            outcomes.append("used")
        except ACCEPTED as exc:
            _one_line_naming(exc, path)
            outcomes.append("refused")
    return "used" if outcomes == ["used", "used"] else "refused"


def _one_line_naming(exc: BaseException, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message.strip() and len(message) < 2_000, repr(message[:300])
    assert path.name in message, f"{type(exc).__name__} does not name the file: {message[:300]}"


def measured_input(run: Callable[[], str]) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = run()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return outcome, time.perf_counter() - started, peak
