"""The ``glassnet`` command. Thin: it parses arguments and calls the public API.

Every error becomes one line on stderr and a non-zero exit status; ``--debug`` shows the
traceback instead. Output piped into a command that stops reading (``| head``) ends the
run quietly, with the status a shell gives a tool that the closed pipe stopped.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .._version import __version__
from ..data import parse_encoding
from ..launcher import launched_rank, running_under_mpi
from . import convert, glassbox, playground, use
from . import train as train_command
from .arguments import add_train_options
from .parser import Parser
from .signals import interrupted

EXIT_ERROR = 1
EXIT_CLOSED_PIPE = 128 + 13  # 128 + SIGPIPE, as a shell reports `yes | head -1`


def build_parser() -> Parser:
    parser = Parser(
        prog="glassnet",
        description="Train neural networks with backpropagation written out, and use them.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, handler: Callable[..., int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        sub.add_argument("--debug", action="store_true", help="show tracebacks on errors")
        sub.add_argument("-q", "--quiet", action="store_true", help="print only results and paths")
        sub.add_argument("-v", "--verbose", action="store_true", help="print more")
        return sub

    train = command(
        "train",
        "train a network on a CSV (or, with no file, the shipped MNIST sample)",
        train_command.run,
    )
    train.add_argument(
        "data",
        nargs="?",
        help="a CSV file (or .npy, .npz, .parquet, .xlsx), or a folder of images with one "
        "subfolder per class (default: the MNIST sample)",
    )
    train.add_argument("--out", help="the run folder (default: runs/<data>-<time>)")
    train.add_argument(
        "--overwrite", action="store_true", help="replace the model of an existing run folder"
    )
    train.add_argument(
        "--config",
        help="a TOML file of options (keys as the flags) and files (data, test-file); "
        "a run folder's config.toml trains that run again",
    )
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue a run from its checkpoint (with --epochs N: on to epoch N)",
    )
    train.add_argument(
        "--allow-changed-data",
        action="store_true",
        help="with --resume: only warn, rather than refuse, when the data file differs from "
        "the one the checkpoint was trained on",
    )
    train.add_argument(
        "--test-file",
        metavar="FILE",
        help="a labelled CSV to score the trained model on, into the summary and report",
    )
    train.add_argument(
        "--no-report", action="store_true", help="write no report.html and no figures"
    )
    train.add_argument(
        "--watch",
        type=int,
        nargs="?",
        const=1,
        default=0,
        metavar="N",
        help="diagnose the layers every N epochs (default 1) and report problems",
    )
    train.add_argument(
        "--distributed",
        action="store_true",
        help="train on every rank of an MPI job, the batch size global (noticed by itself "
        "under mpirun -n K with K > 1; needs glassnet[mpi] and an MPI library)",
    )
    add_train_options(train)

    predict = command("predict", "predict for each row of a CSV, or each image", use.predict)
    predict.add_argument("model", help="a model file (model.glassnet)")
    predict.add_argument(
        "data",
        nargs="+",
        help="a CSV with the columns the model was trained on; for a model of images, a "
        "folder of images or image files",
    )
    predict.add_argument(
        "--proba", action="store_true", help="add one probability column per class"
    )
    predict.add_argument("--out", help="write the CSV here instead of to stdout")
    add_reading_options(predict)

    evaluate = command("evaluate", "print a model's metrics on a labelled CSV", use.evaluate)
    evaluate.add_argument("model", help="a model file (model.glassnet)")
    evaluate.add_argument(
        "data",
        help="a CSV with the model's columns and its target column, or a folder of images "
        "with one subfolder per class",
    )
    add_reading_options(evaluate)

    export = command(
        "export", "export a model to ONNX, or its weights to safetensors for PyTorch", use.export
    )
    export.add_argument("model", help="a model file (model.glassnet)")
    export.add_argument("--onnx", metavar="PATH", help="the ONNX file to write")
    export.add_argument(
        "--safetensors",
        metavar="PATH",
        help="the safetensors file to write: the weights as an nn.Sequential's state dict, "
        "its PyTorch code in the file's metadata",
    )

    report = command("report", "write a run folder's HTML report and figures", use.report)
    report.add_argument("run", help="a run folder written by glassnet train")

    served = command(
        "playground",
        "a page in the browser: build a network, watch it learn, open its glass box",
        playground.playground,
    )
    playground.add_arguments(served)

    glassbox.add_commands(command)
    convert.add_commands(command)
    return parser


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """How predict and evaluate read a CSV that is not written as the training file was."""
    parser.add_argument(
        "--delimiter",
        help="the CSV's field separator (default: detected, else the training file's)",
    )
    parser.add_argument(
        "--encoding",
        type=_encoding,
        help="the CSV's text encoding, e.g. cp1252 (default: UTF-8, or a byte-order mark's)",
    )


def _encoding(text: str) -> str:
    try:
        return parse_encoding(text)
    except ValueError as exc:  # argparse says its own message, not "invalid … value"
        raise argparse.ArgumentTypeError(str(exc)) from None


def _one_line_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
) -> None:
    """What the library warns about (unseen categories, columns it dropped), as one line."""
    text = str(message).splitlines()[0] if str(message) else category.__name__
    print(f"glassnet: warning: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_command_line(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command != "train" and running_under_mpi() and launched_rank() != 0:
        return 0  # only training runs on every rank; the rest is rank 0's, done once

    def say(text: str, level: int = 0, error: bool = False) -> None:
        """Print ``text`` if the verbosity allows: 0 always, 1 unless --quiet, 2 with --verbose."""
        shown = {0: True, 1: not args.quiet, 2: args.verbose and not args.quiet}[min(level, 2)]
        if shown:
            print(text, file=sys.stderr if error else sys.stdout, flush=True)

    handler: Callable[[argparse.Namespace, Any], int] = args.handler
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            status = handler(args, say)
        sys.stdout.flush()  # a closed pipe shows here, where it can still end quietly
        return status
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt as exc:  # SIGINT or SIGTERM, outside training (see .signals)
        print("glassnet: interrupted", file=sys.stderr)
        return interrupted(exc).exit_status
    except (
        ValueError,
        TypeError,
        OSError,
        ImportError,
        NotImplementedError,
        FloatingPointError,
    ) as exc:
        if args.debug:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"glassnet: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug of glassnet's, not bad input: still one line, and a way on
        if args.debug:
            raise
        print(
            f"glassnet: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _closed_pipe() -> int:
    """The reader of our output has gone (``| head``): nothing more to say, and nothing
    left for the interpreter to flush at exit, which would complain on stderr."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (captured, in tests)
        pass
    return EXIT_CLOSED_PIPE
