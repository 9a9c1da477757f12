"""A command line glassnet cannot read gets one line, from the command it was given to,
with a guess at the word meant, and argparse's usage status 2 (glassnet.cli.parser)."""

from __future__ import annotations

import pytest

from glassnet.cli import main


def said(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and err.endswith("\n") and err.count("\n") == 1, err  # one line
    return err.strip()


def test_an_unknown_option_is_refused_by_its_command_with_the_closest_option(capsys) -> None:
    assert said(capsys, "trace", "--exmaple", "xor-2-2-1") == (
        "glassnet: error: unrecognized arguments: --exmaple (did you mean --example?); "
        "glassnet trace --help lists what it takes"
    )
    assert said(capsys, "train", "--epochs", "3", "--layrs", "4") == (
        "glassnet: error: unrecognized arguments: --layrs (did you mean --layers?); "
        "glassnet train --help lists what it takes"
    )


def test_an_unknown_command_or_choice_names_the_choices_and_the_closest(capsys) -> None:
    typo = said(capsys, "trcae", "--example", "xor-2-2-1")
    assert typo.startswith("glassnet: error: argument COMMAND: invalid choice: 'trcae' (choose")
    assert typo.endswith("'import') (did you mean trace?); glassnet --help lists what it takes")
    assert said(capsys, "trace", "--example", "xor-2-2-1", "--format", "html") == (
        "glassnet: error: argument --format: invalid choice: 'html' (choose from 'text', "
        "'markdown', 'latex', 'json'); glassnet trace --help lists what it takes"
    )  # nothing close to html: no guess


def test_missing_arguments_and_far_typos_are_one_line_without_a_guess(capsys) -> None:
    assert said(capsys, "predict") == (
        "glassnet: error: the following arguments are required: model, data; "
        "glassnet predict --help lists what it takes"
    )
    assert said(capsys, "train", "--zzzzzz") == (
        "glassnet: error: unrecognized arguments: --zzzzzz; glassnet train --help lists what "
        "it takes"
    )


def test_a_bad_value_is_said_in_the_option_s_own_words_without_a_guess(capsys) -> None:
    assert said(capsys, "predict", "m.glassnet", "d.csv", "--encoding", "nope") == (
        "glassnet: error: argument --encoding: must be a text encoding Python knows, e.g. "
        "utf-8, cp1252 (Excel on Windows) or latin-1; got 'nope'; glassnet predict --help "
        "lists what it takes"
    )


def test_an_unknown_word_before_the_command_or_after_a_separator_is_said_as_it_is(capsys) -> None:
    assert said(capsys, "--bogus", "train", "d.csv") == (
        "glassnet: error: unrecognized arguments: --bogus; glassnet --help lists what it takes"
    )  # the top level's, with no guess among train's options
    assert said(capsys, "train", "d.csv", "--", "-5") == (
        "glassnet: error: unrecognized arguments: -5; glassnet train --help lists what it takes"
    )  # a value after --, not a misspelt option


def test_a_command_s_option_given_before_the_command_is_told_where_it_goes(capsys) -> None:
    assert said(capsys, "--epochs", "3", "train", "wine.csv") == (
        "glassnet: error: --epochs 3 goes after the command: glassnet train --epochs 3 …; "
        "glassnet --help lists what it takes"
    )  # argparse alone: "invalid choice: '3'"
    assert said(capsys, "-q", "predict", "m.glassnet", "d.csv").startswith(
        "glassnet: error: -q goes after the command: glassnet predict -q …"
    )


def test_a_choice_typed_wrong_gets_the_closest_whatever_its_case() -> None:
    from glassnet.training.options import TRAIN_OPTIONS

    optimizer = next(option for option in TRAIN_OPTIONS if option.flag == "optimizer")
    with pytest.raises(ValueError) as refused:
        optimizer.parse("adma", "option")
    assert str(refused.value).endswith("got 'adma' (did you mean 'adam'?)")
    activation = next(option for option in TRAIN_OPTIONS if option.flag == "activation")
    with pytest.raises(ValueError, match=r"got 'Relu' \(did you mean 'relu'\?\)$"):
        activation.parse("Relu", "option")
    with pytest.raises(ValueError, match=r"must be one of 'elu', .*got 'swish'$"):
        activation.parse("swish", "option")  # nothing close: no guess


def test_an_option_s_reader_naming_it_again_is_said_once() -> None:
    from glassnet.training.options import TRAIN_OPTIONS

    delimiter = next(option for option in TRAIN_OPTIONS if option.flag == "delimiter")
    with pytest.raises(ValueError) as refused:
        delimiter.parse("::", "option")
    assert str(refused.value) == (
        "option --delimiter must be one character, or one of comma, semicolon, tab, pipe; got '::'"
    )  # the reader's own words begin "the delimiter must be"
