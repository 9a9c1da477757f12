"""``glassnet trace``, ``gradcheck`` and ``diagnose``: the glass box from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..inspect import gradient_check, list_examples, load_example, load_spec, render
from ..inspect.spec import TraceSpec
from ..io import atomic_write_text
from ..tabular import Model

DELIMITER_HELP = "the CSV's field separator (default: the one the model was trained on)"


def _spec(args: argparse.Namespace) -> TraceSpec:
    if args.example is not None:
        return load_example(args.example)
    if args.spec is None:
        raise ValueError(
            "give a SPEC file or --example NAME (glassnet trace --list shows the examples)"
        )
    return load_spec(args.spec)


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
    spec = _spec(args)
    steps = args.steps if args.steps is not None else spec.steps
    if steps < 1:
        raise ValueError(f"--steps must be ≥ 1, got {steps}")
    record = spec.run(steps)
    if args.format == "json":
        text = json.dumps(record.to_dict(), indent=1) + "\n"
    else:
        text = render(record, args.format, digits=args.digits)
    _emit(text, args.out, say)
    return 0


def gradcheck_command(args: argparse.Namespace, say: Any) -> int:
    if args.spec is not None and args.spec.endswith(".glassnet"):
        if args.data is None:
            raise ValueError(
                "checking a model file needs --data, a CSV with its columns and target"
            )
        model = Model.load(args.spec)
        X, y = model.examples(args.data, rows=args.rows, delimiter=args.delimiter)
        network, what = model.network, f"{args.spec} on {len(y)} rows of {args.data}"
    else:
        spec = _spec(args)
        network, X, y, what = spec.network, spec.X, spec.Y, spec.name or args.spec
    result = gradient_check(
        network, X, y, epsilon=args.epsilon, threshold=args.threshold, max_entries=args.max_entries
    )
    say(f"gradient check of {what}: backpropagation against central differences (float64)", 0)
    say(str(result), 0)
    return 0 if result.passed else 1


def diagnose_command(args: argparse.Namespace, say: Any) -> int:
    from ..inspect.diagnose import diagnose

    model = Model.load(args.model)
    X, y = model.examples(args.data, rows=args.rows, delimiter=args.delimiter)
    result = diagnose(model.network, X, y, learning_rate=args.lr)
    say(str(result), 0)
    if args.histograms is not None:
        from ..inspect.pictures import draw_histograms

        say(f"histograms: {draw_histograms(model.network, X, y, path=args.histograms)}", 0)
    return 0


def add_commands(command: Any) -> None:
    """The glass-box subcommands, added with the CLI's ``command`` helper."""
    traced = command(
        "trace", "show every number of forward and backward propagation", trace_command
    )
    traced.add_argument(
        "spec", nargs="?", help="a JSON or TOML spec: layers with W and b, loss, X, Y, …"
    )
    traced.add_argument("--example", metavar="NAME", help="trace a spec shipped with glassnet")
    traced.add_argument("--list", action="store_true", help="list the shipped examples")
    traced.add_argument(
        "--steps", type=int, help="training steps to trace (default: the spec's, or 1)"
    )
    traced.add_argument("--format", default="text", choices=("text", "markdown", "latex", "json"))
    traced.add_argument("--digits", type=int, default=6, help="significant digits (not for json)")
    traced.add_argument("--out", help="write to this file instead of stdout")

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
    checked.add_argument("--epsilon", type=float, default=1e-6, help="the finite-difference step")
    checked.add_argument(
        "--threshold", type=float, default=1e-7, help="the largest passing relative error"
    )
    checked.add_argument(
        "--max-entries",
        type=int,
        default=None,
        help="check at most this many entries per array (random, seeded)",
    )

    diagnosed = command(
        "diagnose", "per-layer health: gradients, dead and saturated units", diagnose_command
    )
    diagnosed.add_argument("model", help="a model file (model.glassnet)")
    diagnosed.add_argument("data", help="a CSV with the model's columns and target")
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
