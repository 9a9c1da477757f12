"""``glassnet trace``, ``gradcheck`` and ``diagnose``: the glass box from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..backend import Array
from ..inspect import gradient_check, list_examples, load_example, load_spec, render
from ..inspect.gradcheck import DEFAULT_MAX_ENTRIES, check_settings, sampling
from ..inspect.render import MAX_DIGITS, check_digits
from ..inspect.spec import TraceSpec
from ..inspect.trace import MAX_STEPS, check_steps, trace
from ..io import atomic_write_text
from ..network import Network
from ..tabular import Model
from ..validation import check_integer, check_positive_number, printable

DELIMITER_HELP = "the CSV's field separator (default: the one the model was trained on)"
PROGRESS_FROM = 5_000
"""Entries to check from which gradcheck shows a progress bar (on a terminal, with tqdm)."""
SAMPLE_SEED = 0
"""The seed of gradcheck's random choice of entries: the same entries on every run."""


def _spec(args: argparse.Namespace) -> TraceSpec:
    if args.example is not None:
        return load_example(args.example)
    if args.spec is None:
        raise ValueError(
            "give a SPEC file or --example NAME (glassnet trace --list shows the examples)"
        )
    if args.spec.endswith(".safetensors"):
        raise ValueError(
            f"{args.spec} holds weights alone: glassnet import {args.spec} --out model.glassnet "
            "makes a model file of them, then give that with --data"
        )
    return load_spec(args.spec)


def _is_model(path: str | None) -> bool:
    """Whether ``path`` is a model file (a zip archive, ``.glassnet`` or renamed), not a spec."""
    return path is not None and (path.lower().endswith(".glassnet") or zipfile.is_zipfile(path))


def _model_examples(args: argparse.Namespace, rows: int) -> tuple[Network, Array, Array, str]:
    """A model file's network and the first ``rows`` labelled rows of ``--data``, as the
    network takes them; and what they are, in words."""
    if args.data is None:
        raise ValueError("a model file needs --data, a CSV with its columns and target")
    model = Model.load(args.spec)
    X, y = model.examples(args.data, rows=rows, delimiter=args.delimiter)
    return model.network, X, y, f"{args.spec} on {len(y)} rows of {args.data}"


def _emit(text: str, out: str | None, say: Any) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(out, text)
        say(f"wrote {out}", 1)


def trace_command(args: argparse.Namespace, say: Any) -> int:
    if args.list:
        for name, description in list_examples().items():
            say(f"{name}\n    {description}", 0)
        return 0
    steps = None if args.steps is None else check_steps("--steps", args.steps)
    digits = check_digits("--digits", args.digits)
    if _is_model(args.spec):
        # The model's network, trained a few steps of plain gradient descent on its rows.
        network, X, y, what = _model_examples(args, check_integer("--rows", args.rows, low=1))
        lr = check_positive_number("--lr", args.lr)
        record = trace(network, X, y, steps=steps or 1, learning_rate=lr)
        record.name = what
    else:
        record = _spec(args).run(steps)
    if args.format == "json":
        text = json.dumps(record.to_dict(), indent=1) + "\n"
    else:
        text = render(record, args.format, digits=digits)
    _emit(text, args.out, say)
    return 0


def gradcheck_command(args: argparse.Namespace, say: Any) -> int:
    epsilon, threshold, max_entries = check_settings(
        args.epsilon,
        args.threshold,
        args.max_entries,
        ("--epsilon", "--threshold", "--max-entries"),
    )
    rows = check_integer("--rows", args.rows)
    if _is_model(args.spec):
        network, X, y, what = _model_examples(args, rows)
    else:
        spec = _spec(args)
        network, X, y, what = spec.network, spec.X, spec.Y, spec.name or args.spec
    plan = sampling(network, max_entries)
    for name, checked, size in plan:
        if checked < size:
            say(
                f"checking {checked:,} of {size:,} entries of {name}, chosen at random "
                f"(seed {SAMPLE_SEED}); --max-entries N to change",
                1,
            )
    with _progress(sum(checked for _, checked, _ in plan), args.quiet) as progress:
        result = gradient_check(
            network,
            X,
            y,
            epsilon=epsilon,
            threshold=threshold,
            max_entries=max_entries,
            seed=SAMPLE_SEED,
            progress=progress,
        )
    say(
        f"gradient check of {printable(what)}: backpropagation against central differences "
        "(float64)",
        0,
    )
    say(str(result), 0)
    return 0 if result.passed else 1


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A tqdm bar's ``update`` when there are many entries to check and the optional tqdm is
    installed (on a terminal only: tqdm's ``disable=None``); else None."""
    if total < PROGRESS_FROM or quiet:
        yield None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield None
        return
    with tqdm(total=total, desc="entries", unit="", disable=None, leave=False) as bar:
        yield bar.update


def diagnose_command(args: argparse.Namespace, say: Any) -> int:
    from ..inspect.diagnose import diagnose

    rows = check_integer("--rows", args.rows)
    lr = None if args.lr is None else check_positive_number("--lr", args.lr)
    if _is_model(args.model):
        if args.data is None:
            raise ValueError(f"{args.model} needs DATA: a CSV with the model's columns and target")
        model = Model.load(args.model)
        network = model.network
        X, y = model.examples(args.data, rows=rows, delimiter=args.delimiter)
    else:  # a spec, as trace and gradcheck take it: its network, its X and Y, its α
        if args.data is not None:
            raise ValueError(f"{args.model} is a spec, which holds its own X and Y: leave out DATA")
        spec = load_spec(args.model)
        network, X, y = spec.network, spec.X, spec.Y
        lr = spec.optimizer.learning_rate if lr is None else lr
    result = diagnose(network, X, y, learning_rate=lr)
    say(str(result), 0)
    if args.histograms is not None:
        from ..inspect.pictures import draw_histograms

        say(f"histograms: {draw_histograms(network, X, y, path=args.histograms)}", 0)
    return 0


def add_commands(command: Any) -> None:
    """The glass-box subcommands, added with the CLI's ``command`` helper."""
    traced = command(
        "trace", "show every number of forward and backward propagation", trace_command
    )
    traced.add_argument(
        "spec",
        nargs="?",
        help="a JSON or TOML spec (layers with W and b, loss, X, Y, …), or a model file "
        "(.glassnet) with --data",
    )
    traced.add_argument("--example", metavar="NAME", help="trace a spec shipped with glassnet")
    traced.add_argument("--list", action="store_true", help="list the shipped examples")
    traced.add_argument(
        "--steps",
        type=int,
        help=f"training steps to trace, 1 to {MAX_STEPS:,} (default: the spec's, or 1)",
    )
    traced.add_argument("--format", default="text", choices=("text", "markdown", "latex", "json"))
    traced.add_argument(
        "--digits",
        type=int,
        default=6,
        help=f"significant digits, 1 to {MAX_DIGITS} (default 6; not for json)",
    )
    traced.add_argument("--out", help="write to this file instead of stdout")
    traced.add_argument("--data", help="with a model file: a CSV with its columns and target")
    traced.add_argument("--rows", type=int, default=4, help="rows of --data to trace (default 4)")
    traced.add_argument("--delimiter", help=DELIMITER_HELP)
    traced.add_argument(
        "--lr",
        type=float,
        default=0.1,
        help="with a model file: the learning rate of its traced steps of gradient descent "
        "(default 0.1)",
    )

    checked = command(
        "gradcheck", "check backpropagation against finite differences", gradcheck_command
    )
    checked.add_argument(
        "spec", nargs="?", help="a spec file, or a model file (.glassnet) with --data"
    )
    checked.add_argument("--example", metavar="NAME", help="check a spec shipped with glassnet")
    checked.add_argument("--data", help="with a model file: a CSV with its columns and target")
    checked.add_argument("--rows", type=int, default=32, help="rows of --data to use (default 32)")
    checked.add_argument("--delimiter", help=DELIMITER_HELP)
    checked.add_argument(
        "--epsilon", type=float, default=1e-6, help="the finite-difference step, in (0, 1)"
    )
    checked.add_argument(
        "--threshold",
        type=float,
        default=1e-7,
        help="the largest passing relative error, in (0, 1)",
    )
    checked.add_argument(
        "--max-entries",
        type=int,
        default=DEFAULT_MAX_ENTRIES,
        metavar="N",
        help=f"check at most N ≥ 1 entries per array, chosen at random (seed 0); default "
        f"{DEFAULT_MAX_ENTRIES:,}",
    )

    diagnosed = command(
        "diagnose", "per-layer health: gradients, dead and saturated units", diagnose_command
    )
    diagnosed.add_argument(
        "model", help="a model file (model.glassnet), or a spec as glassnet trace takes it"
    )
    diagnosed.add_argument(
        "data", nargs="?", help="with a model file: a CSV with the model's columns and target"
    )
    diagnosed.add_argument(
        "--rows", type=int, default=512, help="rows to diagnose on (default 512)"
    )
    diagnosed.add_argument("--delimiter", help=DELIMITER_HELP)
    diagnosed.add_argument(
        "--lr", type=float, default=None, help="learning rate, to judge update sizes"
    )
    diagnosed.add_argument(
        "--histograms", metavar="PNG", help="also draw activation and gradient histograms"
    )
