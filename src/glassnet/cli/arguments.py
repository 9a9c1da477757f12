"""The training options as command-line flags, from the one table of
:mod:`glassnet.training.options`."""

from __future__ import annotations

import argparse

from ..training.option_rules import Option
from ..training.options import TRAIN_OPTIONS
from ..training.row_defaults import defaults_for_images, defaults_for_rows


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


SIZED = (frozenset(defaults_for_rows(1_000)) | frozenset(defaults_for_images(1_000))) - {
    "l2_choices"  # its help says when it has one
}
"""The options whose default, for a table or a folder of images, suits its size."""


def _help(option: Option) -> str:
    text = option.help
    if option.choices is not None:
        text += f" ({'|'.join(option.choices)})"
    if option.is_flag:
        shown = "on" if option.default else "off"
    elif option.default not in (None, [], ""):
        listed = isinstance(option.default, list)
        shown = ",".join(map(str, option.default)) if listed else str(option.default)
    else:
        return text + ("; for a table or images: suited to its size" if option.key in SIZED else "")
    if option.key in SIZED:  # the option table's default is the shipped sample's only
        return text + f"; default: suited to the data's size ({shown} for the shipped sample)"
    return text + (
        "; on by default" if shown == "on" else "" if shown == "off" else f"; default {shown}"
    )
