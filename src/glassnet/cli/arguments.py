"""The training options as command-line flags, from the one table of
:mod:`glassnet.training.options`."""

from __future__ import annotations

import argparse

from ..training.option_rules import Option
from ..training.options import TRAIN_OPTIONS


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Add every training option as a flag; defaults stay unset so a config file can fill
    them. An on-or-off option is a plain flag with a ``--no-`` form (``--batch-norm``,
    ``--no-batch-norm``), so that the command line can turn off what a config turns on."""
    for option in TRAIN_OPTIONS:
        if option.is_flag:
            parser.add_argument(
                f"--{option.flag}",
                dest=option.key,
                default=None,
                action=argparse.BooleanOptionalAction,
                help=_help(option),
            )
            continue
        parser.add_argument(
            f"--{option.flag}",
            dest=option.key,
            default=None,
            metavar=option.metavar or option.key.upper(),
            help=_help(option),
        )


def _help(option: Option) -> str:
    text = option.help
    if option.choices is not None:
        text += f" ({'|'.join(option.choices)})"
    if option.is_flag:
        return text + ("; on by default" if option.default else "")
    if option.default not in (None, [], ""):
        shown = (
            ",".join(map(str, option.default))
            if isinstance(option.default, list)
            else option.default
        )
        text += f"; default {shown}"
    return text
