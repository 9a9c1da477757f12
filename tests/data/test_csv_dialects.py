"""CSV files as spreadsheets and other tools write them (issue 9, items 2-5 and 12).

Each file is written the way its tool writes it (pandas ``to_csv`` with its ``sep`` and
``decimal``, Excel's "CSV UTF-8" with a byte-order mark and CRLF line ends, R's
``write.csv``), and read back against the values that were written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glassnet import data as gd
from glassnet.data.table import read_header

pd = pytest.importorskip("pandas", reason="these tests write files with pandas' to_csv")


def frame() -> pd.DataFrame:
    """Numbers with fractions, integers, a missing value and a category, 30 rows."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, 30),
            "weight": np.round(rng.normal(70, 12, 30), 3),
            "ratio": rng.random(30) / 7,
            "city": rng.choice(["Paris", "Köln", "São Paulo"], 30),
            "price": np.round(rng.normal(1000, 300, 30), 2),
        }
    ).assign(weight=lambda df: df.weight.where(np.arange(30) != 4))


def assert_same_table(table: gd.Table, df: pd.DataFrame) -> None:
    """The table holds the frame's columns, kinds and values (NaN where missing)."""
    assert [*table.feature_names, table.target_name] == list(df.columns)
    for name in df.columns:
        got = table.target if name == table.target_name else table.values[name]
        if df[name].dtype.kind in "if":
            np.testing.assert_allclose(got, df[name].to_numpy(float), rtol=0, atol=1e-12)
        else:
            assert got.tolist() == df[name].tolist()


# -- item 2: a UTF-8 byte-order mark ----------------------------------------------------------


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffage,income\r\n39,1\r\n50,2\r\n".encode())
    table = gd.load_csv(path, "age")
    assert table.target_name == "age" and table.feature_names == ("income",)
    np.testing.assert_array_equal(table.target, [39.0, 50.0])
    assert read_header(path) == ["age", "income"]
    assert read_header(path, ",") == ["age", "income"]
    assert table.dialect is not None and table.dialect.bom and table.dialect.encoding == "utf-8"
    # The same data without the mark read the same way: the mark is not part of the data.
    plain = gd.load_csv(_plain(tmp_path), "age")
    assert plain.feature_names == table.feature_names and not plain.dialect.bom


def _plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.csv"
    path.write_text("age,income\n39,1\n50,2\n", encoding="utf-8")
    return path


def test_excel_csv_utf8_with_semicolons_decimal_commas_and_crlf(tmp_path) -> None:
    df = frame()
    path = tmp_path / "excel.csv"
    df.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    table = gd.load_csv(path, "price")
    assert_same_table(table, df)
    assert table.dialect == gd.Dialect(delimiter=";", decimal=",", header=True, bom=True)


def test_utf16_with_its_mark_is_read(tmp_path) -> None:
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
    df = frame()
    path = tmp_path / "unicode.txt"
    df.to_csv(path, sep="\t", index=False, encoding="utf-16")
    table = gd.load_csv(path, "price")
    assert_same_table(table, df)
    assert table.dialect.delimiter == "\t" and table.dialect.encoding == "utf-16"


# -- item 3: delimiters detected, said and remembered ----------------------------------------


@pytest.mark.parametrize(("sep", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])  # fmt: skip
def test_the_delimiter_is_sniffed(tmp_path, sep, name) -> None:
    df = frame()
    path = tmp_path / "data.csv"
    df.to_csv(path, sep=sep, index=False)
    table = gd.load_csv(path, "price")
    assert_same_table(table, df)
    assert table.dialect.delimiter == sep and table.dialect.decimal == "."
    assert name in table.dialect.describe()
    assert read_header(path) == list(df.columns)
    assert gd.sniff(path).delimiter == sep


def test_an_explicit_delimiter_wins(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2\n3;4\n")
    table = gd.load_csv(path, None, delimiter=",")
    assert table.feature_names == ("a;b",) and table.values["a;b"].tolist() == ["1;2", "3;4"]
    assert gd.load_csv(path, None).feature_names == ("a", "b")


def test_semicolons_win_over_commas_that_are_decimal_marks(tmp_path) -> None:
    # Every row has as many commas as semicolons + 1: both split the rows evenly.
    path = tmp_path / "t.csv"
    path.write_text("x;y;z\n1,5;2,5;3,5\n4,25;5,5;6,75\n")
    table = gd.load_csv(path, "z")
    assert table.dialect.delimiter == ";" and table.dialect.decimal == ","
    np.testing.assert_array_equal(table.values["x"], [1.5, 4.25])
    np.testing.assert_array_equal(table.target, [3.5, 6.75])


@pytest.mark.parametrize("given", ["\t", "\\t", "tab", "TAB"])
def test_a_delimiter_may_be_named(tmp_path, given) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\t2\n")
    assert gd.load_csv(path, "b", delimiter=given).feature_names == ("a",)
    assert read_header(path, given) == ["a", "b"]


def test_a_bad_delimiter_is_refused(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(
        ValueError,
        match=r"the delimiter must be one character, or one of comma, semicolon, tab, pipe; got ';;'",
    ):
        gd.load_csv(path, "b", delimiter=";;")


def test_tabs_win_over_commas_inside_text(tmp_path) -> None:
    # Each row has one comma, inside a field: commas split every row evenly too.
    path = tmp_path / "t.tsv"
    path.write_text("name\tplace\nAnn\tParis, FR\nBob\tRome, IT\n")
    table = gd.load_csv(path, None)
    assert table.dialect.delimiter == "\t"
    assert table.values["place"].tolist() == ["Paris, FR", "Rome, IT"]


def test_the_dialect_round_trips_through_json_and_reads_the_next_file_the_same_way(
    tmp_path,
) -> None:
    df = frame()
    train = tmp_path / "train.csv"
    df.to_csv(train, sep=";", decimal=",", index=False)
    dialect = gd.load_csv(train, "price").dialect
    stored = json.loads(json.dumps(dialect.to_dict()))
    assert stored == {"delimiter": ";", "decimal": ",", "header": True, "encoding": "utf-8", "bom": False}  # fmt: skip
    assert gd.Dialect.from_dict(stored) == dialect
    # A file with a single row of integers gives no evidence of its decimal mark; the
    # stored dialect says it.
    new = tmp_path / "new.csv"
    new.write_text("age;weight;ratio;city;price\n40;71,5;0,25;Paris;1000\n")
    table = gd.load_csv(new, None, dialect=stored)
    assert table.values["weight"].tolist() == [71.5] and table.values["ratio"].tolist() == [0.25]
    assert gd.load_csv(new, None, dialect=gd.Dialect.from_dict(stored)).dialect == dialect


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"delimiter": ";;"}, r"delimiter must be one character"),
        ({"decimal": ";"}, r"decimal must be '\.' or ','; got ';'"),
        ({"encoding": "klingon"}, r"unknown encoding 'klingon'"),
        ({"header": "yes"}, r"header must be true or false"),
        ({"separator": ","}, r"unknown dialect field 'separator'"),
    ],
)
def test_a_bad_dialect_is_refused(data, message) -> None:
    with pytest.raises(ValueError, match=message):
        gd.Dialect.from_dict(data)


def test_when_no_delimiter_splits_the_lines_the_error_says_what_was_tried(tmp_path) -> None:
    path = tmp_path / "spaces.csv"
    path.write_text("a b c\n1 2 3\n4 5 6\n")
    with pytest.raises(
        ValueError,
        match=r"spaces\.csv: target 'c' is not a column; the columns are: 'a b c' \(no comma, semicolon, tab or pipe splits the lines into columns; set --delimiter\)",
    ):
        gd.load_csv(path, "c")
    # One column is a table too.
    single = tmp_path / "one.csv"
    single.write_text("y\n1\n2\n")
    assert gd.load_csv(single, "y").target.tolist() == [1.0, 2.0]


# -- item 4: decimal commas ----------------------------------------------------------------


def test_decimal_commas_read_to_the_same_numbers_as_decimal_points(tmp_path) -> None:
    df = frame()
    points, commas = tmp_path / "points.csv", tmp_path / "commas.csv"
    df.to_csv(points, index=False)
    df.to_csv(commas, sep=";", decimal=",", index=False)
    a, b = gd.load_csv(points, "price"), gd.load_csv(commas, "price")
    assert b.dialect.decimal == "," and a.dialect.decimal == "."
    assert a.kinds == b.kinds
    assert sum(kind == "numeric" for kind in b.kinds.values()) == 3
    for name in ("age", "weight", "ratio"):
        np.testing.assert_array_equal(a.values[name], b.values[name])
    np.testing.assert_array_equal(a.target, b.target)
    assert_same_table(b, df)


def test_decimal_commas_with_thousands_points_and_in_a_quoted_comma_file(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("amount;n\n1.234,5;1\n-0,25;2\n12.345.678;3\n")
    np.testing.assert_array_equal(
        gd.load_csv(path, "n").values["amount"], [1234.5, -0.25, 12345678]
    )
    df = frame()
    quoted = tmp_path / "q.csv"
    df.to_csv(quoted, decimal=",", index=False)  # a comma file: the numbers come quoted
    table = gd.load_csv(quoted, "price")
    assert table.dialect == gd.Dialect(delimiter=",", decimal=",")
    assert_same_table(table, df)


def test_thousands_grouped_by_commas_or_spaces_are_numbers(tmp_path) -> None:
    """As spreadsheets export them: "1,610.5" (quoted in a comma file: 28 % of grunfeld's
    values once read as categories), "3 078,5" with a no-break space in French files."""
    path = tmp_path / "english.csv"
    path.write_text('value,n\n"1,610.5",1\n4.1,2\n"12,345,678",3\n"-1,000",4\n')
    table = gd.load_csv(path, "n")
    assert table.kinds["value"] == "numeric" and table.dialect.decimal == "."
    np.testing.assert_array_equal(table.values["value"], [1610.5, 4.1, 12345678, -1000])
    french = tmp_path / "french.csv"
    french.write_text("valeur;n\n3\u00a0078,5;1\n12,25;2\n1\u202f234\u202f567;3\n", "utf-8")
    table = gd.load_csv(french, "n")
    assert table.dialect.decimal == ","
    np.testing.assert_array_equal(table.values["valeur"], [3078.5, 12.25, 1234567])
    mixed = tmp_path / "mixed.csv"  # groups of two digits, or two marks: not numbers
    mixed.write_text('code,n\n"1,61",1\n"1,610 5",2\nx,3\n')
    assert gd.load_csv(mixed, "n").kinds["code"] == "categorical"
    german = tmp_path / "german.csv"  # whole numbers grouped by points, no decimal mark
    german.write_text("Fläche;n\n1.001;1\n1.326;2\n386;3\n12.345.678;4\n", "utf-8")
    table = gd.load_csv(german, "n")  # semicolons: a spreadsheet where "," is the mark
    assert table.dialect.decimal == ","
    np.testing.assert_array_equal(table.values["Fläche"], [1001, 1326, 386, 12345678])
    english = tmp_path / "english_points.csv"  # the same numbers beside commas: decimals
    english.write_text("area,n\n1.001,1\n1.326,2\n386,3\n")
    np.testing.assert_array_equal(gd.load_csv(english, "n").values["area"], [1.001, 1.326, 386])
    phones = tmp_path / "phones.csv"  # spaces beside decimal points: codes, not thousands
    phones.write_text("phone,x,n\n555 123,1.5,1\n555 987,2.5,2\n555 000,0.5,3\n")
    assert gd.load_csv(phones, "n").kinds["phone"] == "categorical"


def test_decimal_commas_and_points_in_one_file_stop_with_an_error(tmp_path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("a;b\n3,14;1\n2.5;2\n")
    with pytest.raises(
        ValueError,
        match=r"mixed\.csv: both decimal commas \('3,14', line 2, column 'a'\) and decimal points \('2\.5', line 3, column 'a'\); set --decimal to say which",
    ):
        gd.load_csv(path, "b")
    # In a file separated by commas, a quoted "3,5" beside decimal points is text.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('size,weight\n"3,5",2.5\n"4,5",1.25\n')
    text = gd.load_csv(quoted, None)
    assert text.dialect.decimal == "." and text.values["size"].tolist() == ["3,5", "4,5"]
    np.testing.assert_array_equal(text.values["weight"], [2.5, 1.25])
    table = gd.load_csv(path, "b", decimal=",")
    assert table.kinds["a"] == "categorical"  # '2.5' is not a number with decimal commas
    np.testing.assert_array_equal(gd.load_csv(path, "b", decimal=".").target, [1.0, 2.0])


# -- item 5: missing-value tokens ------------------------------------------------------------


@pytest.mark.parametrize("token", ["NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "?", "", "-", "#N/A"])  # fmt: skip
def test_missing_value_tokens_in_a_numeric_column(tmp_path, token) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"x,c\n1.5,a\n{token},b\n3,{token}\n")
    table = gd.load_csv(path, None)
    assert table.kinds["x"] == "numeric"
    np.testing.assert_array_equal(table.values["x"], [1.5, np.nan, 3.0])
    if token == "-":  # a dash is missing only where a column is otherwise numeric
        assert table.values["c"].tolist() == ["a", "b", "-"]
    else:
        assert table.values["c"].tolist() == ["a", "b", None]


def test_r_write_csv_with_row_names_quotes_and_na(tmp_path) -> None:
    # write.csv(df, "r.csv") in R: quoted header and strings, row names, NA, TRUE/FALSE.
    path = tmp_path / "r.csv"
    path.write_text(
        '"","Sepal.Length","Species","ok"\n'
        '"1",5.1,"setosa",TRUE\n"2",NA,"virginica",FALSE\n"3",4.7,NA,TRUE\n'
    )
    table = gd.load_csv(path, "Species")
    assert table.feature_names == ("index", "Sepal.Length", "ok")
    np.testing.assert_array_equal(table.values["index"], [1, 2, 3])
    np.testing.assert_array_equal(table.values["Sepal.Length"], [5.1, np.nan, 4.7])
    assert table.target.tolist() == ["setosa", "virginica", None]
    assert table.values["ok"].tolist() == ["TRUE", "FALSE", "TRUE"]
    # pandas' to_csv writes its index the same way, unnamed, from 0.
    df = frame()
    df.to_csv(tmp_path / "p.csv")
    assert gd.load_csv(tmp_path / "p.csv", "price").values["index"].tolist() == list(range(30))


def test_a_word_in_a_numeric_column_names_file_line_column_and_the_flag(tmp_path) -> None:
    lines = ["age,city"] + [f"{20 + i},c{i % 3}" for i in range(30)]
    lines[7] = "n/a,c1"  # a missing value, not a word
    lines[18] = "unknown,c1"
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError) as error:
        gd.load_csv(path, None)
    message = str(error.value)
    assert message.startswith(
        f"{path}, line 19, column 'age': 'unknown' is not a number, though 28 of the column's 29 values are"
    )
    assert "--categorical age" in message and "categorical=" not in message
    # A column that must be numeric (as a trained model's is) says so without a parameter name.
    with pytest.raises(ValueError) as error:
        gd.load_csv(path, None, numeric=["age"])
    message = str(error.value)
    assert message.startswith(f"{path}, line 19, column 'age': 'unknown' is not a number")
    assert "numeric=" not in message and "\n" not in message


# -- item 12: files without a header row -----------------------------------------------------


def test_a_file_of_numbers_without_a_header_is_detected(tmp_path) -> None:
    df = frame()
    path = tmp_path / "headless.csv"
    df.to_csv(path, header=False, index=False)
    table = gd.load_csv(path, "column_5")
    assert table.dialect.header is False
    assert table.feature_names == ("column_1", "column_2", "column_3", "column_4")
    renamed = df.set_axis([f"column_{j}" for j in range(1, 6)], axis=1)
    assert_same_table(table, renamed)
    assert read_header(path) == list(renamed.columns)
    named = gd.load_csv(path, "price", names=list(df.columns))
    assert_same_table(named, df)
    # With a header row, and a header row of words above words, it is a header.
    df.to_csv(tmp_path / "with.csv", index=False)
    assert gd.load_csv(tmp_path / "with.csv", "price").dialect.header is True
    (tmp_path / "words.csv").write_text("name,colour\nann,red\nbob,blue\n")
    assert gd.load_csv(tmp_path / "words.csv", None).feature_names == ("name", "colour")


def test_header_false_names_the_columns_and_header_true_keeps_a_numeric_header(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("2019,2020\n1.5,2.5\n3.5,4.5\n")
    assert gd.load_csv(path, None).feature_names == ("column_1", "column_2")  # a guess
    years = gd.load_csv(path, None, header=True)
    assert years.feature_names == ("2019", "2020") and years.dialect.header is True
    headless = gd.load_csv(_words(tmp_path), None, header=False)
    assert headless.feature_names == ("column_1", "column_2") and headless.n_rows == 3


def _words(tmp_path: Path) -> Path:
    path = tmp_path / "w.csv"
    path.write_text("name,colour\nann,red\nbob,blue\n")
    return path


def test_class_labels_with_leading_zeros_stay_text(tmp_path) -> None:
    """Issue 9, item 1: target labels ``01``/``02`` keep their zeros; a feature column
    of such numbers stays numeric unless named categorical."""
    path = tmp_path / "codes.csv"
    path.write_text("zip,size,label\n02139,0.5,01\n10001,0,02\n00501,1.5,01\n")
    table = gd.load_csv(path, "label")
    assert table.target_kind == "categorical" and list(table.target) == ["01", "02", "01"]
    assert table.kinds == {"zip": "numeric", "size": "numeric"}
    assert list(gd.load_csv(path, "label", categorical=["zip"]).values["zip"]) == [
        "02139",
        "10001",
        "00501",
    ]
    assert list(gd.load_csv(path, "label", numeric=["label"]).target) == [1.0, 2.0, 1.0]
