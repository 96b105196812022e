"""Publishing the metrics: Prometheus' text format, served on 127.0.0.1 on a port of its own.

Why a port of its own: the record server's port faces the network (usually behind a reverse
proxy), and the figures are for the operators, not for clients; bound to the loopback address
only, they need no credential (a local Prometheus, or an agent on the host, scrapes them), and
no token that could also read the record has to be stored in a scraper's configuration.

With `--workers N` each server process counts its own requests. Each writes its figures to a
private folder every second (`SnapshotWriter`); the parent process serves their sum
(`SnapshotFolder`), so that one scrape sees the whole server, whichever process answered what.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, func, select

from wardlink_server import __version__, schema
from wardlink_server.metrics import PUSH_RESULTS, Metrics, Snapshot, combined

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
METRICS_HOST: Final = "127.0.0.1"
FLUSH_S: Final = 1.0
FRESH_S: Final = 5.0  # a worker's gauges older than this are left out (the worker has gone)
PROCESS_START: Final = time.time()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    """Counts exactly (a sequence number may need 19 digits); other values as Python prints them."""
    if isinstance(value, int):
        return str(value)
    return str(int(value)) if value.is_integer() else repr(value)


def exposition(snapshot: Snapshot, *, seq_head: int, start_time: float = PROCESS_START) -> str:
    """The figures in Prometheus' text exposition format (version 0.0.4)."""
    out: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        out.extend((f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"))
        out.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

    metric("wardlink_server_info", "gauge", "The record server's version.",
           [(_labels(version=__version__), 1)])  # fmt: skip
    metric(
        "wardlink_http_requests_total", "counter",
        "Requests answered, by method, route template and status.",
        [(_labels(method=m, route=r, status=s), n)
         for (m, r, s), n in sorted(snapshot.requests.items())],
    )  # fmt: skip
    metric(
        "wardlink_push_ops_total", "counter",
        "Ops received in pushes, by result (applied, duplicate, rejected).",
        [(_labels(result=k), snapshot.push_ops.get(k, 0)) for k in PUSH_RESULTS],
    )  # fmt: skip
    metric("wardlink_long_polls_waiting", "gauge", "Pulls waiting for new events now.",
           [("", snapshot.long_polls_waiting)])  # fmt: skip
    metric("wardlink_events_seq_head", "gauge", "The highest event sequence number stored.",
           [("", seq_head)])  # fmt: skip
    metric("wardlink_db_pool_connections_in_use", "gauge",
           "Database connections checked out of the pool now.",
           [("", snapshot.pool_in_use)])  # fmt: skip
    metric("process_start_time_seconds", "gauge",
           "Start time of the server since the Unix epoch, in seconds.",
           [("", round(start_time, 3))])  # fmt: skip
    return "\n".join(out) + "\n"


def seq_head(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(func.max(schema.events.c.seq))).scalar_one_or_none()
    return int(found or 0)


def pool_in_use(engine: Engine) -> int:
    checked_out = getattr(engine.pool, "checkedout", None)
    return int(checked_out()) if callable(checked_out) else 0


def live_figures(metrics: Metrics, engine: Engine) -> Callable[[], str]:
    """The text of one process's figures (one server process)."""
    return lambda: exposition(
        metrics.snapshot(pool_in_use=pool_in_use(engine)), seq_head=seq_head(engine)
    )


class SnapshotFolder:
    """The figures of every worker process, written to `folder` by `SnapshotWriter`s."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self) -> list[Snapshot]:
        found = []
        for path in sorted(self.folder.glob("worker-*.json")):
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                found.append(Snapshot.from_json(path.read_text("utf-8")))
        return found

    def figures(self, engine: Engine) -> Callable[[], str]:
        def render() -> str:
            total = combined(self.read(), now=time.time(), fresh_s=FRESH_S)
            return exposition(total, seq_head=seq_head(engine))

        return render


class SnapshotWriter:
    """A worker's side: its figures written to `<folder>/worker-<pid>.json` every `FLUSH_S`
    while the app runs, and once more as it stops."""

    def __init__(self, metrics: Metrics, engine: Engine, folder: Path) -> None:
        self.metrics = metrics
        self.engine = engine
        self.path = folder / f"worker-{os.getpid()}.json"

    def write(self) -> None:
        snapshot = self.metrics.snapshot(pool_in_use=pool_in_use(self.engine))
        partial = self.path.with_suffix(".tmp")
        partial.write_text(snapshot.to_json(), "utf-8")
        os.replace(partial, self.path)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async def every_second() -> None:
            while True:
                with contextlib.suppress(OSError):
                    self.write()
                await asyncio.sleep(FLUSH_S)

        task = asyncio.create_task(every_second())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(OSError):
                self.write()


class MetricsServer:
    """`GET /metrics` on 127.0.0.1:`port` (0: a free port), in a thread of its own."""

    def __init__(self, port: int, figures: Callable[[], str]) -> None:
        handler = _handler_for(figures)
        self._server = ThreadingHTTPServer((METRICS_HOST, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="wardlink-metrics", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/metrics"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(figures: Callable[[], str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "wardlink-metrics"
        sys_version = ""

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self._answer(404, "Not found: the metrics are at /metrics.\n")
                return
            try:
                text = figures()
            except Exception as exc:  # a database that is down: say so, never its message
                self._answer(503, f"The metrics could not be read ({type(exc).__name__}).\n")
                return
            self._answer(200, text)

        def _answer(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return None  # scrapes are not worth a log line each

    return Handler
