"""`wardlink-server serve`: the app under uvicorn, on a socket bound here.

The socket is bound and listening before uvicorn starts, so the port can be printed (and
connected to) at once, even when `--port 0` let the system pick it. Plain HTTP is only for
loopback addresses (DESIGN.md §4). uvicorn's access log is off: the app logs each request's
path without its query string, which may carry identifiers.

With `--workers N` (PostgreSQL only) uvicorn runs N processes accepting on that one socket.
Each builds its own services with `worker_app`, from what the parent puts in the environment;
their long-polls wake through `LISTEN`/`NOTIFY` (see `pg_listener`), which every served app
runs for its lifetime.

With `--metrics-port N` the figures (`metrics`) are served on 127.0.0.1:N by this process; with
several workers, each writes its own to a private folder that this process sums (`metrics_export`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Final, TextIO

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from wardlink_server import logs
from wardlink_server.app import create_app
from wardlink_server.config import DATABASE_ENV, ServerConfig
from wardlink_server.database import is_postgresql
from wardlink_server.metrics import Metrics
from wardlink_server.metrics_export import (
    MetricsServer,
    SnapshotFolder,
    SnapshotWriter,
    live_figures,
)
from wardlink_server.services import Services, build_services

# Long-polls last up to 30 s; on shutdown they are not waited for longer than this.
GRACEFUL_SHUTDOWN_S = 3
# What a worker process reads its configuration from (set by the parent before it starts them).
DOCS_ENV: Final = "WARDLINK_SERVER_DOCS"
METRICS_DIR_ENV: Final = "WARDLINK_SERVER_METRICS_DIR"
WORKER_APP: Final = f"{__name__}:worker_app"


class WorkersFailed(Exception):
    """The server processes could not start (their own messages say why)."""


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


def served_app(
    services: Services, metrics: Metrics | None = None, snapshots: Path | None = None
) -> ASGIApp:
    """The app as served: on PostgreSQL it listens for other processes' events while it runs;
    nothing that escapes a request reaches the log with its message (see `logs`). `metrics`
    counts its requests; `snapshots` (a worker's) is where it writes them for the parent."""
    app = create_app(services, metrics=metrics)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with (
            inner(running) as state,
            _event_listener(services),
            _snapshot_writer(services, metrics, snapshots),
        ):
            yield state

    app.router.lifespan_context = lifespan
    return logs.guard_errors(app)


@contextlib.asynccontextmanager
async def _event_listener(services: Services) -> AsyncIterator[None]:
    if not is_postgresql(services.engine):
        yield
        return
    from wardlink_server.pg_listener import listening  # psycopg is only needed here

    async with listening(services):
        yield


@contextlib.asynccontextmanager
async def _snapshot_writer(
    services: Services, metrics: Metrics | None, folder: Path | None
) -> AsyncIterator[None]:
    if metrics is None or folder is None:
        yield
        return
    async with SnapshotWriter(metrics, services.engine, folder).running():
        yield


def worker_app() -> ASGIApp:
    """uvicorn's app factory in each worker process: the configuration comes from the parent
    through the environment; the schema is current already (the parent migrated it)."""
    config = ServerConfig(
        database_url=os.environ[DATABASE_ENV], docs_enabled=os.environ.get(DOCS_ENV) == "1"
    )
    folder = os.environ.get(METRICS_DIR_ENV)
    if not folder:
        return served_app(build_services(config))
    return served_app(build_services(config), Metrics(), Path(folder))


@contextlib.contextmanager
def _metrics_served(
    figures: Callable[[], str] | None, port: int | None, out: TextIO
) -> Iterator[None]:
    if figures is None or port is None:
        yield
        return
    server = MetricsServer(port, figures)
    try:
        server.start()
        print(f"wardlink-server metrics on {server.url}", file=out)
        out.flush()
        yield
    finally:
        server.stop()


def run(
    services: Services,
    *,
    host: str,
    port: int,
    tls: tuple[str | None, str | None],
    out: TextIO,
    workers: int = 1,
    metrics_port: int | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly (returning normally). With
    `metrics_port`, the metrics are served on 127.0.0.1 on that port meanwhile."""
    cert, key = tls
    sock = bind(host, port)
    try:
        print(f"wardlink-server listening on {url_of(sock, tls=cert is not None)}", file=out)
        out.flush()
        options: dict[str, Any] = {
            "log_config": logs.log_config(),
            "access_log": False,
            "server_header": False,
            "ssl_certfile": cert,
            "ssl_keyfile": key,
            "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        }
        # uvicorn shuts down on these signals, then raises them again with the handlers it
        # found: handlers that do nothing let the command end with status 0.
        previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if workers == 1:
                metrics = Metrics() if metrics_port is not None else None
                app = served_app(services, metrics)
                figures = live_figures(metrics, services.engine) if metrics else None
                with _metrics_served(figures, metrics_port, out):
                    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])
            else:
                _run_workers(services, sock, workers, options, metrics_port, out)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        sock.close()


def _run_workers(services: Services, sock: socket.socket, workers: int, options: dict[str, Any],
                 metrics_port: int | None, out: TextIO) -> None:  # fmt: skip
    if not is_postgresql(services.engine):
        raise ValueError("several server processes need PostgreSQL")
    os.environ[DATABASE_ENV] = services.config.database_url
    os.environ[DOCS_ENV] = "1" if services.config.docs_enabled else "0"
    services.engine.dispose()  # each worker connects on its own
    folder, figures = None, None
    if metrics_port is not None:
        folder = Path(tempfile.mkdtemp(prefix="wardlink-metrics-"))
        os.environ[METRICS_DIR_ENV] = str(folder)
        figures = SnapshotFolder(folder).figures(services.engine)
    try:
        with _metrics_served(figures, metrics_port, out):
            config = uvicorn.Config(WORKER_APP, factory=True, workers=workers, **options)
            supervisor = Multiprocess(config, sockets=[sock])
            supervisor.run()
    finally:
        os.environ.pop(METRICS_DIR_ENV, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise WorkersFailed("the server processes could not start")


def _ignore(_signum: int, _frame: object) -> None:
    return None
