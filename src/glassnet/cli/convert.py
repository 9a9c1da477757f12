"""``glassnet import``: a PyTorch MLP's weights (a safetensors file of an ``nn.Sequential``)
as a glassnet model file, which ``glassnet trace``, ``gradcheck`` and ``diagnose`` read
with ``--data`` (a CSV of the network's input columns and a target column)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..inspect.trace import describe_network, layer_infos
from ..io import SavedModel, load_safetensors, save_model
from ..tabular.saved_checks import check_saved, index_classes

DEFAULT_TARGET = "y"


def import_command(args: argparse.Namespace, say: Any) -> int:
    architecture: dict[str, Any] | None = None
    if args.activation is not None or args.loss is not None:
        if args.activation is None or args.loss is None:
            raise ValueError(
                "--activation and --loss go together: a state dict names neither (without "
                "them, the file's glassnet metadata must)"
            )
        names = [name.strip() for name in args.activation.split(",")]
        architecture = {"activation": names if len(names) > 1 else names[0], "loss": args.loss}
        if args.output_activation is not None:
            architecture["output_activation"] = args.output_activation
    elif args.output_activation is not None:
        raise ValueError("--output-activation goes with --activation and --loss")
    network = load_safetensors(args.weights, architecture, dtype=args.dtype)
    out = Path(args.out) if args.out is not None else Path(args.weights).with_suffix(".glassnet")
    saved = SavedModel(
        network,
        classes=index_classes(network),
        metadata={
            "task": network.loss.task,
            "target": args.target,
            "target_scale": None,
            "imported_from": {"file": str(args.weights), "format": "safetensors"},
        },
    )
    try:  # what glassnet trace, gradcheck and diagnose will check when they load it
        check_saved(saved)
    except ValueError as exc:
        raise ValueError(
            f"{args.weights}: glassnet import writes models of one target column: {exc}"
        ) from None
    save_model(out, network, classes=saved.classes, metadata=saved.metadata)
    described = describe_network(layer_infos(network), network.loss.description)
    say(f"wrote {out}: {described}, {network.dtype.name}", 0)
    say(
        f"look inside it on a CSV of {network.n_features} input columns and the target "
        f"column {args.target!r}: glassnet trace {out} --data FILE.csv",
        1,
    )
    return 0


def add_commands(command: Any) -> None:
    """The ``import`` subcommand, added with the CLI's ``command`` helper."""
    imported = command(
        "import",
        "turn a PyTorch MLP's safetensors weights into a model file for trace, gradcheck, diagnose",
        import_command,
    )
    imported.add_argument(
        "weights", help="a safetensors file of an nn.Sequential of Linear, BatchNorm1d, …"
    )
    imported.add_argument("--out", help="the model file to write (default: WEIGHTS.glassnet)")
    imported.add_argument(
        "--activation",
        metavar="NAME[,NAME…]",
        help="the hidden layers' activation, or one per hidden layer (needed, with --loss, "
        "where the file has no glassnet metadata; given, they win over it)",
    )
    imported.add_argument(
        "--loss",
        help="mse, bce or cce; a PyTorch model of logits with nn.CrossEntropyLoss is cce, "
        "with nn.BCEWithLogitsLoss bce",
    )
    imported.add_argument(
        "--output-activation",
        metavar="NAME",
        help="the output layer's activation (default: the loss's own, on the logits: "
        "softmax for cce, sigmoid for bce, identity for mse)",
    )
    imported.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        metavar="COLUMN",
        help=f"the CSV column trace, gradcheck and diagnose read as the target (default "
        f"{DEFAULT_TARGET}; classes are 0 … K−1)",
    )
    imported.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="the network's dtype (default: the file's; float64 for exact gradients)",
    )
