"""The ``glassnet`` command. Thin: it parses arguments and calls the public API."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import __version__
from .datasets import load_mnist_small
from .network import Network


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Train neural networks with backpropagation written out.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = commands.add_parser(
        "train", help="train on the MNIST sample shipped with glassnet (a demo, no download)"
    )
    train.add_argument(
        "--layers", default="128", help="hidden layer sizes, e.g. 256,128 (default 128)"
    )
    train.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    train.add_argument("--epochs", type=int, default=5, help="passes over the data (default 5)")
    train.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    train.add_argument("--lr", type=float, default=0.1, help="learning rate α (default 0.1)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def _parse_layers(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--layers must be comma-separated integers such as 256,128, got {text!r}"
        ) from None
    return sizes


def train(args: argparse.Namespace) -> None:
    data = load_mnist_small()
    sizes = [data.X_train.shape[1], *_parse_layers(args.layers), 10]
    net = Network.build(sizes, activation=args.activation, seed=args.seed)
    print(f"data: {data.description}")
    print(
        f"network: {'-'.join(map(str, sizes))}, {args.activation} hidden, softmax output, "
        f"categorical cross-entropy, {net.n_parameters():,} parameters"
    )
    print(
        f"training: SGD α={args.lr}, batch {args.batch_size}, {args.epochs} epochs, "
        f"seed {args.seed}"
    )
    started = time.perf_counter()
    net.fit(
        data.X_train,
        data.y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        validation_data=(data.X_test, data.y_test),
        seed=args.seed,
        verbose=True,
    )
    scores = net.evaluate(data.X_test, data.y_test)
    print(
        f"test accuracy {scores['accuracy']:.4f}, test loss {scores['loss']:.4f} "
        f"({time.perf_counter() - started:.1f}s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        train(args)
    except (ValueError, TypeError, FloatingPointError, OSError) as exc:
        if args.debug:
            raise
        print(f"glassnet: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("glassnet: interrupted", file=sys.stderr)
        return 130
    return 0
