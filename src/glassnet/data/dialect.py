"""How a CSV file is written: its delimiter, decimal mark, header row and encoding.

Spreadsheets and other tools write "CSV" in several dialects. Excel in much of Europe
separates fields with ``;`` and writes 3.14 as ``3,14``; its "CSV UTF-8" starts with a
byte-order mark and ends lines with CRLF; tab- and pipe-separated exports are common;
many files have no header row. :func:`sniff` (and :func:`~glassnet.data.load_csv`)
detect each of these from the file itself, and a :class:`Dialect` records what was
found as plain JSON data, so that a model file can keep it and read the files it later
predicts on the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from .decimals import detect_decimal, is_number, number_parser, parses

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
"""The delimiters :func:`sniff` chooses among, in order of preference on a tie."""
DECIMALS = {".": "point", ",": "comma"}
SAMPLE_BYTES = 1 << 16
"""How much of a file :func:`sniff` reads to detect its dialect."""
DETECT_BYTES = SAMPLE_BYTES * 16
"""How much of a file :func:`~glassnet.data.load_csv` judges its dialect on (its decimal
mark on every row)."""
SAMPLE_ROWS = 200
"""How many rows the delimiter and the header row are judged on."""
MISSING = ("", "?", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "None", "<NA>")
"""Values read as missing by default (after surrounding whitespace is stripped), as
spreadsheets, R, pandas and databases write them; in a column whose other values are
numbers, :data:`NUMERIC_MISSING` too."""
NUMERIC_MISSING = frozenset({"-", "."})
"""Values that mark a missing number only in a column whose other values are numbers."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written, as detected by :func:`sniff` or given.

    ``delimiter`` separates fields (one of :data:`DELIMITERS` when sniffed); ``decimal``
    is the decimal mark of its numbers, ``"."`` or ``","``; ``header`` says whether the
    first row names the columns; ``encoding`` is the text encoding and ``bom`` whether
    the file starts with a byte-order mark (informational: a file is read the same way
    with or without one). ``to_dict``/``from_dict`` give plain JSON data.
    """

    delimiter: str = ","
    decimal: str = "."
    header: bool = True
    encoding: str = "utf-8"
    bom: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character; got {self.delimiter!r}")
        if self.delimiter in '"\r\n':
            raise ValueError(f"delimiter cannot be {self.delimiter!r}")
        if self.decimal not in DECIMALS:
            raise ValueError(f"decimal must be '.' or ','; got {self.decimal!r}")
        for name in ("header", "bom"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false; got {getattr(self, name)!r}")
        try:
            codecs.lookup(self.encoding)
        except (LookupError, TypeError):
            raise ValueError(f"unknown encoding {self.encoding!r}") from None

    def to_dict(self) -> dict[str, Any]:
        """The dialect as JSON data: ``{"delimiter": ";", "decimal": ",", …}``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Dialect:
        """A dialect from :meth:`to_dict`'s data (missing fields take their defaults)."""
        known = {field.name for field in fields(cls)}
        for key in data:
            if key not in known:
                raise ValueError(
                    f"unknown dialect field {key!r}; the fields are: {', '.join(sorted(known))}"
                )
        return cls(**dict(data))

    def describe(self) -> str:
        """In words, e.g. ``semicolon-separated, decimal commas, a header row, UTF-8``."""
        separated = DELIMITERS.get(self.delimiter, repr(self.delimiter))
        text = self.encoding.upper() if self.encoding.startswith("utf") else self.encoding
        return (
            f"{separated}-separated, decimal {DECIMALS[self.decimal]}s, "
            + ("a header row" if self.header else "no header row")
            + f", {text}"
            + (" with a byte-order mark" if self.bom else "")
        )


def parse_encoding(text: str) -> str:
    """A text encoding's name as Python knows it (``cp1252``, ``latin-1``, ``utf-16``…)."""
    try:
        return codecs.lookup(text.strip()).name
    except LookupError:
        raise ValueError(
            "must be a text encoding Python knows, e.g. utf-8, cp1252 (Excel on Windows) "
            f"or latin-1; got {text!r}"
        ) from None


def parse_delimiter(text: str) -> str:
    """A delimiter as a user may write it: the character itself, ``\\t``, or its name
    (``comma``, ``semicolon``, ``tab``, ``pipe``)."""
    names = {name: delimiter for delimiter, name in DELIMITERS.items()}
    delimiter = names.get(text.strip().lower(), "\t" if text == "\\t" else text)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            f"the delimiter must be one character, or one of {', '.join(names)}; got {text!r}"
        )
    return delimiter


# -- text ------------------------------------------------------------------------------------


def decode(
    path: Path, raw: bytes, encoding: str | None, *, final: bool = True
) -> tuple[str, str, bool]:
    """``(text, encoding, bom)`` of a file's bytes: the encoding given, else the one its
    byte-order mark names, else UTF-8. The mark is never part of the text."""
    bom = next((name for mark, name in _BOMS if raw.startswith(mark)), None)
    encoding = encoding or bom or "utf-8"
    try:
        text = codecs.getincrementaldecoder(codec_of(encoding))().decode(raw, final=final)
    except LookupError:
        raise ValueError(f"{path}: unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        start = exc.start + len(raw) - len(exc.object)  # utf-8-sig decodes after its mark
        raise not_text(path, encoding, start, raw.count(b"\n", 0, start), exc) from exc
    return text.removeprefix("\ufeff"), encoding, bom is not None


def codec_of(encoding: str) -> str:
    """The codec that reads a file in ``encoding``: utf-8-sig reads UTF-8 with or without
    a byte-order mark, and "utf-16" reads its mark."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def not_text(
    path: Path, encoding: str, offset: int, lines: int, exc: UnicodeDecodeError
) -> ValueError:
    """The error for bytes of a file that are not text in ``encoding``: the first bad one
    at byte ``offset`` of the file, after ``lines`` whole lines."""
    return ValueError(
        f"{path}, line {lines + 1}: not valid text in {encoding} ({exc.reason} at byte "
        f"{offset}); save it as UTF-8 or give its encoding, e.g. --encoding cp1252 "
        "(encoding='cp1252' in Python)"
    )


def find_not_text(path: Path, encoding: str) -> ValueError:
    """:func:`not_text` for the first bytes of the file at ``path`` that do not decode, read
    a block at a time (a decoder reading ahead cannot say which line failed)."""
    decoder = codecs.getincrementaldecoder(codec_of(encoding))()
    fed = lines = 0
    with path.open("rb") as file:
        while True:
            block = file.read(1 << 20)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # exc.object is the bytes pending from the last block and this one, less a
                # byte-order mark that utf-8-sig skipped.
                start = exc.start + len(block) - len(exc.object)  # in block; < 0: in pending
                lines += block.count(b"\n", 0, max(start, 0))
                return not_text(path, encoding, fed + start, lines, exc)
            if not block:
                break
            fed += len(block)
            lines += block.count(b"\n")
    return ValueError(f"{path}: not valid text in {encoding}")  # it changed while read


def read_text(
    path: str | os.PathLike[str], encoding: str | None = None, *, limit: int | None = None
) -> tuple[str, str, bool]:
    """``(text, encoding, bom)`` of a file, or of its first ``limit`` bytes (a sample)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a CSV file")
    try:
        with path.open("rb") as file:
            raw = file.read(-1 if limit is None else limit)
            whole = limit is None or not file.read(1)
    except FileNotFoundError:
        raise FileNotFoundError(f"data file {str(path)!r} does not exist") from None
    text, encoding, bom = decode(path, raw, encoding, final=whole)
    if not whole and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # no row cut short
    return text, encoding, bom


def skip(text: str, lines: int) -> str:
    """``text`` without its first ``lines`` lines."""
    start = 0
    for _ in range(lines):
        newline = text.find("\n", start)
        start = len(text) if newline < 0 else newline + 1
    return text[start:]


def _sample_rows(text: str, delimiter: str) -> list[list[str]]:
    """The first rows of ``text`` that parse, for judging; a malformed rest is ignored."""
    reader = csv.reader(io.StringIO(text[:DETECT_BYTES], newline=""), delimiter=delimiter)
    found: list[list[str]] = []
    try:
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                found.append(row)
            if len(found) > SAMPLE_ROWS:
                break
    except csv.Error:
        pass  # the sample may end inside a quoted field
    return found


# -- detection -------------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str | None:
    """The one of :data:`DELIMITERS` that splits the first rows of ``text`` most evenly
    into more than one field, or None if none does.

    On a tie (e.g. ``1,5;2,5`` splits evenly at both), the split whose fields look most
    like values wins: numbers (either decimal mark), and no tab, semicolon or pipe.
    """
    best: tuple[tuple[float, float], str] | None = None
    for delimiter in DELIMITERS:
        sample = _sample_rows(text, delimiter)
        if not sample:
            continue
        width, count = Counter(len(row) for row in sample).most_common(1)[0]
        if width < 2:
            continue
        cells = [cell.strip() for row in sample[1:] if len(row) == width for cell in row]
        # Commas are common inside text; a tab, semicolon or pipe in a field is a sign
        # that the fields were split at the wrong one.
        others = [d for d in DELIMITERS if d not in (delimiter, ",")]
        typed = sum(is_number(cell) for cell in cells) - sum(
            any(d in cell for d in others) for cell in cells
        )
        score = (count / len(sample), typed / max(len(cells), 1))
        if best is None or score > best[0]:
            best = (score, delimiter)
    return None if best is None else best[1]


def looks_headerless(sample: Sequence[Sequence[str]], decimal: str, missing: Iterable[str]) -> bool:
    """Whether the first row is data, not names: above every column of numbers it holds a
    number (or a missing value), and a number above at least one.

    A file of words alone, or a file with one row, is taken to have a header. A header
    of numbers above numbers (years, say) reads as data: give ``header=True`` then.
    """
    if len(sample) < 2:
        return False
    number = number_parser(decimal)
    missing = frozenset(missing) | NUMERIC_MISSING
    first, rest = sample[0], sample[1 : SAMPLE_ROWS + 1]
    evidence = False
    for j, above in enumerate(first):
        cells = [row[j].strip() for row in rest if len(row) == len(first)]
        present = [cell for cell in cells if cell not in missing]
        if not present or not all(parses(number, cell) for cell in present):
            continue  # not a column of numbers: its first cell tells nothing
        if above.strip() in missing:
            continue
        if not parses(number, above.strip()):
            return False
        evidence = True
    return evidence


def sniff(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    header: bool | None = None,
    encoding: str | None = None,
    missing: Iterable[str] = MISSING,
    skip_lines: int = 0,
) -> Dialect:
    """The :class:`Dialect` of a CSV file, detected from its first rows (what is given is
    kept), as :func:`~glassnet.data.load_csv` would read it, but without reading it all.

    ``missing`` names the values that mark a missing value (they may stand above numbers
    in a first row of data). Where no delimiter splits the rows, ``","``.
    """
    path = Path(path)
    delimiter = None if delimiter is None else parse_delimiter(delimiter)
    text, encoding, bom = read_text(path, encoding, limit=SAMPLE_BYTES)
    text = skip(text, skip_lines)
    return detect(path, text, delimiter, decimal, header, encoding, bom, missing)


def detect(
    path: Path,
    text: str,
    delimiter: str | None,
    decimal: str | None,
    header: bool | None,
    encoding: str,
    bom: bool,
    missing: Iterable[str],
) -> Dialect:
    """The dialect of ``text`` (a file's start, or all of it), keeping what is given."""
    delimiter = delimiter or sniff_delimiter(text) or ","
    sample = _sample_rows(text, delimiter)
    if decimal is None:
        found = list(enumerate(sample, start=1))
        try:
            decimal = detect_decimal(path, found, delimiter, sample[0] if sample else [])
        except ValueError:
            decimal = "."  # reading the whole file will say which values disagree
    if header is None:
        header = not looks_headerless(sample, decimal, missing)
    return Dialect(delimiter, decimal, header, encoding, bom)
