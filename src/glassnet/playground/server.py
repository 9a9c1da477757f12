"""The playground's HTTP server: Python's standard library, one session, one token.

The server binds the loopback address unless told otherwise, on a free port the system
picks, and answers only requests that carry its token (the ``X-Glassnet-Token`` header
or a ``token`` query parameter): another local user, or a web page in the same browser,
cannot drive it without the URL the server printed. The page's own files under
``/static/`` are served to anyone: they are the package's, hold nothing and change
nothing. Every request body is bounded and every field checked; an error is a JSON
``{"error": "..."}`` with status 400 (403 without the token, 404 for an unknown path,
413 for a body over the limit).
"""

from __future__ import annotations

import hmac
import json
import math
import re
import secrets
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import export, glass
from .config import LIMITS, Config, ConfigError, options, parse_config
from .session import Session

TOKEN_HEADER = "X-Glassnet-Token"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
"""A static file's path segment: no ``..``, no hidden files, nothing a shell would expand."""
DRAIN_FACTOR = 4
"""A body over the limit but under this many times it is read and dropped, so that the
client sees the 413 rather than a reset connection; a larger one closes the connection."""
PAGE_POLICY = "default-src 'self' 'unsafe-inline' data: blob:; frame-ancestors 'none'"
"""The page may load nothing from elsewhere: everything it needs ships in the package."""


class RequestError(Exception):
    """An answer other than 200: the status and one sentence."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def static_root() -> Traversable:
    return resources.files("glassnet.playground").joinpath("static")


class Playground:
    """The server and its session; :meth:`serve_forever` answers until :meth:`close`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str | None = None,
        config: Config | None = None,
        play_seconds: float = LIMITS["play_seconds"],
        body_bytes: int = LIMITS["body_bytes"],
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, got {port!r}")
        self.token = token if token is not None else secrets.token_urlsafe(24)
        self.body_bytes = body_bytes
        self.session = Session(config or Config(), play_seconds=play_seconds)
        try:
            self.httpd = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:  # "[Errno 98] Address already in use" named no address
            hint = "; leave out --port (or give port 0) for a free one" if port else ""
            error = OSError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}")
            error.errno = exc.errno
            raise error from exc
        self.httpd.daemon_threads = True
        self.httpd.playground = self  # type: ignore[attr-defined]
        self._serving: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT/``"""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def url(self) -> str:
        """The page's address, with the token that every request needs."""
        return f"{self.base}?token={self.token}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        """Answer requests in a background thread (for tests and embedding)."""
        self._serving = threading.Thread(
            target=self.serve_forever, name="glassnet-playground-server", daemon=True
        )
        self._serving.start()

    def close(self) -> None:
        """Stop training (joining its thread), stop answering, and free the port."""
        self.session.pause()
        if self._serving is not None:
            self.httpd.shutdown()
            self._serving.join()
            self._serving = None
        self.httpd.server_close()

    def authorized(self, header: str | None, query: dict[str, list[str]]) -> bool:
        """Whether the request carries the token, compared in constant time."""
        given = header if header is not None else (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))


class Handler(BaseHTTPRequestHandler):
    """One request: the token, the route, the answer."""

    server_version = "glassnet-playground"
    protocol_version = "HTTP/1.1"

    @property
    def playground(self) -> Playground:
        return self.server.playground  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the URLs carry the token, and the terminal shows only the address."""

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        try:
            self._route(method)
            return
        except (BrokenPipeError, ConnectionResetError):  # the page went away mid-answer
            self.close_connection = True
            return
        except RequestError as exc:
            error, status = str(exc), exc.status
        except (ConfigError, ValueError) as exc:  # a setting, a data file, a size
            error, status = str(exc), HTTPStatus.BAD_REQUEST
        except Exception as exc:  # a bug of glassnet's: say so, keep serving
            print(f"playground: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            error = f"internal error: {type(exc).__name__}: {exc}"
            status = HTTPStatus.INTERNAL_SERVER_ERROR
        # A failed request may leave part of its body unread: start afresh on a new connection.
        self.close_connection = True
        self._json({"error": error}, status)

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        if method == "GET" and path.startswith("/static/"):
            self._static(path.removeprefix("/static/"))
            return
        if not self.playground.authorized(self.headers.get(TOKEN_HEADER), query):
            self._drain()
            raise RequestError(
                HTTPStatus.FORBIDDEN,
                "this request lacks the playground's token: open the address the "
                "playground printed (it ends in ?token=…)",
            )
        if method == "GET" and path in ("/", "/index.html"):
            self._static("index.html")
            return
        routes: dict[tuple[str, str], Callable[[dict[str, list[str]]], None]] = {
            ("GET", "/api/options"): lambda q: self._json(options()),
            ("GET", "/api/state"): lambda q: self._state(),
            ("POST", "/api/reset"): self._reset,
            ("POST", "/api/play"): lambda q: self._control(self.playground.session.play),
            ("POST", "/api/pause"): lambda q: self._control(self.playground.session.pause),
            ("POST", "/api/step"): lambda q: self._control(self.playground.session.step_once),
            ("GET", "/api/boundary"): self._boundary,
            ("GET", "/api/trace"): self._trace,
            ("GET", "/api/export"): self._export,
        }
        handler = routes.get((method, path))
        if handler is None:
            self._drain()
            if any(route_path == path for _, route_path in routes):
                raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} {path} is not served")
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such address: {path}")
        handler(query)

    # -- the API ------------------------------------------------------------------------

    def _state(self) -> None:
        session = self.playground.session
        state = session.state()
        state["findings"] = glass.findings(session)
        self._json(state)

    def _reset(self, query: dict[str, list[str]]) -> None:
        self.playground.session.reset(parse_config(self._body()))
        self._state()

    def _control(self, action: Callable[[], None]) -> None:
        body = self._body()
        if body not in (None, {}):
            raise RequestError(HTTPStatus.BAD_REQUEST, "this request takes no body (or {})")
        try:
            action()
        except RuntimeError as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, str(exc)) from None
        self._state()

    def _boundary(self, query: dict[str, list[str]]) -> None:
        layer = _integer(query, "layer", 0, 0, LIMITS["layers"] + 1)
        unit = _integer(query, "unit", 1, 1, LIMITS["units"])
        n = _integer(query, "n", 40, 2, LIMITS["boundary_n"])
        self._json(glass.boundary(self.playground.session, layer, unit, n))

    def _trace(self, query: dict[str, list[str]]) -> None:
        layer = _integer(query, "layer", 1, 1, LIMITS["layers"] + 1)
        self._json(glass.trace_view(self.playground.session, layer))

    def _export(self, query: dict[str, list[str]]) -> None:
        kind = (query.get("kind") or ["model"])[0]
        session = self.playground.session
        if kind == "model":
            self._send(
                export.model_bytes(session),
                "application/octet-stream",
                {"Content-Disposition": 'attachment; filename="model.glassnet"'},
            )
        elif kind == "spec":
            self._json(export.trace_spec(session), download="playground-spec.json")
        elif kind == "python":
            code = export.python_code(session).encode("utf-8")
            disposition = {"Content-Disposition": 'attachment; filename="playground.py"'}
            self._send(code, "text/x-python; charset=utf-8", disposition)
        elif kind == "url":
            self._json({"url": export.state_url(session, self.playground.url)})
        else:
            raise RequestError(
                HTTPStatus.BAD_REQUEST,
                f"kind must be one of model, spec, python, url, got {kind!r}",
            )

    # -- reading and writing ------------------------------------------------------------

    def _length(self) -> int:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise RequestError(
                HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked"
            )
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise RequestError(HTTPStatus.BAD_REQUEST, f"Content-Length {raw!r} is not a size")
        return length

    def _drain(self) -> None:
        """Read and drop a body the request will not use (keeps the connection usable)."""
        try:
            length = self._length()
        except RequestError:
            return
        if length > DRAIN_FACTOR * self.playground.body_bytes:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _body(self) -> Any:
        """The request's JSON body (``None`` when empty), at most the size limit."""
        length = self._length()
        limit = self.playground.body_bytes
        if length > limit:
            self._drain()
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {length:,} bytes, more than the {limit:,} a request may send",
            )
        if length == 0:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {exc}") from None
        except RecursionError:
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body is nested too deeply") from None

    def _json(
        self, data: Any, status: HTTPStatus = HTTPStatus.OK, download: str | None = None
    ) -> None:
        try:
            text = json.dumps(data, allow_nan=False, separators=(",", ":"))
        except ValueError:  # NaN or inf in a diverged network's numbers: JSON has null
            text = json.dumps(_finite(data), separators=(",", ":"))
        headers = {"Content-Disposition": f'attachment; filename="{download}"'} if download else {}
        self._send(text.encode("utf-8"), "application/json", headers, status)

    def _send(
        self,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        status: HTTPStatus = HTTPStatus.OK,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the page's URL holds the token
        self.send_header("X-Frame-Options", "DENY")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", PAGE_POLICY)
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _static(self, name: str) -> None:
        segments = name.split("/")
        if not name or not all(SAFE_SEGMENT.fullmatch(segment) for segment in segments):
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such file: {name!r}")
        item = static_root()
        for segment in segments:
            item = item.joinpath(segment)
        if not item.is_file():
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such file: {name!r}")
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        self._send(item.read_bytes(), CONTENT_TYPES.get(suffix, "application/octet-stream"))


def _integer(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    if name not in query:
        return default
    raw = query[name][0]
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high or not raw.strip().lstrip("-").isdigit():
        raise RequestError(
            HTTPStatus.BAD_REQUEST,
            f"{name} must be a whole number from {low} to {high}, got {raw!r}",
        )
    return value


def _finite(data: Any) -> Any:
    """``data`` with every NaN and infinity as ``None``."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(value) for value in data]
    return data
