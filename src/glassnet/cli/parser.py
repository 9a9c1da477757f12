"""The argument parser of ``glassnet``: argparse's, with the house's errors.

argparse prints its usage and then the error, two lines and more, and a typo in an option
(``--exmaple``) is reported by the top-level parser, with the top-level usage. Here every
error is one line, said by the command it is about, with a guess at the word meant::

    glassnet: error: unrecognized arguments: --exmaple (did you mean --example?); glassnet
    trace --help lists what it takes
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from typing import NoReturn

from ..validation import closest

EXIT_USAGE = 2
"""argparse's status for a command line it cannot read."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (its subcommands' parsers are too)."""

    def error(self, message: str) -> NoReturn:
        guess = _guess(message, self._words())
        command = self.prog.split()[0]  # "glassnet", as every other error of the command
        self.exit(
            EXIT_USAGE,
            f"{command}: error: {message}{guess}; {self.prog} --help lists what it takes\n",
        )

    def parse_command_line(self, argv: Sequence[str] | None) -> argparse.Namespace:
        """:meth:`parse_args`, but an unknown option is refused by the subcommand it was
        given to, which knows the options it meant."""
        words = sys.argv[1:] if argv is None else list(argv)
        self._refuse_options_before_the_command(words)
        args, extras = self.parse_known_args(words)
        if extras:
            command = getattr(args, "command", None) or ""
            said_to = self._subcommands().get(command, self)
            if (
                command in words
                and extras[0] in words
                and words.index(extras[0]) < words.index(command)
            ):
                said_to = self  # given before the command: the top level's
            said_to.error(f"unrecognized arguments: {' '.join(extras)}")
        return args

    def _refuse_options_before_the_command(self, words: list[str]) -> None:
        """``glassnet --epochs 3 train``: argparse reads ``3`` as the command."""
        commands = self._subcommands()
        first = next((i for i, word in enumerate(words) if word in commands), None)
        if not first:
            return
        own = {option for action in self._actions for option in action.option_strings}
        before = [word for word in words[:first] if word not in own]
        flag = before[0].split("=")[0] if before else ""
        theirs = commands[words[first]]._words()  # an option of that command, or its prefix
        if flag.startswith("-") and any(option.startswith(flag) for option in theirs):
            given = " ".join(before)
            self.error(f"{given} goes after the command: glassnet {words[first]} {given} …")

    def _subcommands(self) -> dict[str, Parser]:
        return {
            name: parser
            for action in self._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, parser in action.choices.items()
        }

    def _words(self) -> list[str]:
        """The option strings and subcommand names this parser knows."""
        options = [option for action in self._actions for option in action.option_strings]
        return [*options, *self._subcommands()]


def _guess(message: str, words: Iterable[str]) -> str:
    """`` (did you mean …?)`` for the closest known word to the unknown one in ``message``."""
    unknown = re.findall(r"invalid choice: '([^']*)'", message)
    choices = re.findall(r"'([^']*)'", message.partition("choose from")[2])
    if message.startswith("unrecognized arguments: "):  # of its options, or commands
        unknown, choices = re.findall(r"(?<!\S)(--?[A-Za-z][\w-]*)", message), list(words)
    meant = [close for word in unknown if (close := closest(word, choices))]
    return f" (did you mean {', '.join(meant)}?)" if meant else ""
