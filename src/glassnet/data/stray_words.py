"""A column of numbers with a stray word in it (a typo, a spreadsheet's ``1O3``): refused,
naming the word, rather than read as a column of categories; for a CSV file's columns
(:mod:`.cells`) and a DataFrame's (:mod:`.frame`) alike."""

from __future__ import annotations

import shlex

MOSTLY_NUMERIC = 0.95
MOSTLY_NUMERIC_MIN = 20
"""A column of at least 20 values of which at least 95 % are numbers is numeric with a
typo, not categorical: :func:`~glassnet.data.load_csv` names the stray value instead of
guessing."""


def refuse_stray_words(where: str, name: str, numbers: int, words: int, target: bool) -> None:
    """Refuse a column of ``numbers`` numbers and ``words`` other values that is almost all
    numbers: a typo is likelier than a column of categories (a CSV file's, a DataFrame's).
    ``where`` says the first word: ``"t.csv, line 9, column 'x': 'wide' is not a number"``;
    a ``target`` is not a feature to declare categorical: its rows without a number go."""
    present = numbers + words
    if not (words and present >= MOSTLY_NUMERIC_MIN and words <= (1 - MOSTLY_NUMERIC) * present):
        return
    way_out = (
        "or leave it empty to drop the row"
        if target
        else "leave it empty to mark it missing, or declare the column categorical "
        f"(--categorical {shlex.quote(name)})"
    )
    raise ValueError(
        f"{where}, though {numbers} of the column's {present} values are{more_words(words)}; "
        f"fix it, {way_out}"
    )


def more_words(words: int) -> str:
    others = words - 1
    return f" ({others} more value(s) in the column are not numbers either)" if others else ""
