"""`wardlink-server serve`: the app under uvicorn, on a socket bound here.

The socket is bound and listening before uvicorn starts, so the port can be printed (and
connected to) at once, even when `--port 0` let the system pick it. Plain HTTP is only for
loopback addresses (DESIGN.md §4). uvicorn's access log is off: the app logs each request's
path without its query string, which may carry identifiers.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import socket
import sys
from typing import TextIO

import uvicorn

from wardlink_server.app import create_app
from wardlink_server.services import Services

# Long-polls last up to 30 s; on shutdown they are not waited for longer than this.
GRACEFUL_SHUTDOWN_S = 3


def host_problem(host: str, *, tls: bool) -> str | None:
    """Why `host` may not be served as given, or None."""
    if tls or _is_loopback(host):
        return None
    return (
        f"plain http is only served on a loopback address such as 127.0.0.1; to listen on "
        f"{host}, give --tls-cert and --tls-key"
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]).is_loopback for info in found
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: one the system picks)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, *, tls: bool) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("wardlink_server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def run(
    services: Services,
    *,
    host: str,
    port: int,
    tls: tuple[str | None, str | None],
    out: TextIO,
) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly (returning normally)."""
    cert, key = tls
    sock = bind(host, port)
    try:
        print(f"wardlink-server listening on {url_of(sock, tls=cert is not None)}", file=out)
        out.flush()
        _log_to_stderr()
        config = uvicorn.Config(
            create_app(services),
            access_log=False,
            server_header=False,
            ssl_certfile=cert,
            ssl_keyfile=key,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            log_level="info",
        )
        server = uvicorn.Server(config)
        # uvicorn shuts down on these signals, then raises them again with the handlers it
        # found: handlers that do nothing let the command end with status 0.
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            server.run(sockets=[sock])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        sock.close()


def _ignore(_signum: int, _frame: object) -> None:
    return None
