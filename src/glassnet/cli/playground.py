"""``glassnet playground``: the page in the browser, served by :func:`glassnet.playground.serve`."""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``glassnet playground``."""
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="the port to listen on (default: a free one the system picks)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this computer only)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="print the address without opening a browser",
    )


def playground(args: argparse.Namespace, say: Any) -> int:
    """Serve the playground until Ctrl-C; the first line printed is its address."""
    from ..playground import serve

    serve(
        host=args.host,
        port=args.port,
        open_browser=not args.no_browser,
        say=lambda text: say(text, 0),
    )
    return 0
