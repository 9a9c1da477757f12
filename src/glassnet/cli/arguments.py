"""The training options as command-line flags, from the one table of
:mod:`glassnet.training.options`."""

from __future__ import annotations

import argparse

from ..training.options import TRAIN_OPTIONS, Option


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Add every training option as a flag; defaults stay unset so a config file can fill them."""
    for option in TRAIN_OPTIONS:
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
    if option.default not in (None, [], ""):
        shown = (
            ",".join(map(str, option.default))
            if isinstance(option.default, list)
            else option.default
        )
        text += f"; default {shown}"
    return text
