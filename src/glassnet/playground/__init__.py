"""The playground: a page in the browser to build a network, watch it learn on a plane of
points, and step through its backpropagation, run by glassnet's own engine.

``glassnet playground`` calls :func:`serve`; :class:`Playground` is the server, usable from
Python and in tests (``Playground(port=0).start()``).
"""

from __future__ import annotations

import ipaddress
import webbrowser
from collections.abc import Callable

from .config import LIMITS, Config, ConfigError, parse_config
from .server import Playground

__all__ = ["LIMITS", "Config", "ConfigError", "Playground", "parse_config", "serve"]


def _print(text: str) -> None:
    print(text, flush=True)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    *,
    token: str | None = None,
    say: Callable[[str], None] = _print,
    play_seconds: float = LIMITS["play_seconds"],
) -> Playground:
    """Serve the playground until Ctrl-C, then stop training and free the port.

    The first line said is ``playground: http://127.0.0.1:PORT/?token=TOKEN``, the address
    to open (``port`` 0: one the system picks; ``token`` ``None``: a random one). Returns
    the stopped :class:`Playground`.
    """
    playground = Playground(host, port, token=token, play_seconds=play_seconds)
    say(f"playground: {playground.url}")
    if not _loopback(host):
        say(
            f"playground: warning: listening on {host}, not only this computer: anyone who "
            "can reach it and knows the address above can drive it"
        )
    say("playground: press Ctrl-C to stop")
    if open_browser:
        try:
            webbrowser.open(playground.url)
        except Exception:  # no browser here: the printed address is enough
            say("playground: could not open a browser; open the address above")
    try:
        playground.serve_forever()
    except KeyboardInterrupt:
        say("playground: stopped")
    finally:
        playground.close()
    return playground


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
