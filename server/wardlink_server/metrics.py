"""What the record server counts for its operators: requests, push ops, waiting long-polls.

`Metrics` holds one process's counters; `MetricsMiddleware` feeds them from every request. Labels
are bounded and free of patient data: a route's template (`/api/v1/teams/{team_id}/history`,
never the path or its query string; "unmatched" where no route matched), a known HTTP method,
and the status code. Push results are counted from the push answer itself (applied, duplicate,
rejected), so no route needs to know about metrics.

They are published in Prometheus' text format on a port of their own, on 127.0.0.1 only
(`wardlink-server serve --metrics-port N`; see `metrics_export`), never on the public port.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUSH_ROUTE: Final = "/api/v1/sync/push"
PULL_PATH: Final = "/api/v1/sync/pull"
UNMATCHED: Final = "unmatched"
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
PUSH_RESULTS: Final = ("applied", "duplicate", "rejected")
# A push answer larger than this is not parsed for counting (500 ops answer in far less).
_MAX_COUNTED_BODY: Final = 1024 * 1024

RequestKey = tuple[str, str, str]  # method, route template, status


@dataclass
class Snapshot:
    """One process's figures at one moment, as plain data (it crosses processes as JSON)."""

    requests: dict[RequestKey, int] = field(default_factory=dict)
    push_ops: dict[str, int] = field(default_factory=dict)
    long_polls_waiting: int = 0
    pool_in_use: int = 0
    written_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "requests": [[*key, count] for key, count in sorted(self.requests.items())],
                "push_ops": self.push_ops,
                "long_polls_waiting": self.long_polls_waiting,
                "pool_in_use": self.pool_in_use,
                "written_at": self.written_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        data = json.loads(text)
        return cls(
            requests={(str(m), str(r), str(s)): int(n) for m, r, s, n in data.get("requests", [])},
            push_ops={str(k): int(v) for k, v in data.get("push_ops", {}).items()},
            long_polls_waiting=int(data.get("long_polls_waiting", 0)),
            pool_in_use=int(data.get("pool_in_use", 0)),
            written_at=float(data.get("written_at", 0.0)),
        )


def combined(snapshots: list[Snapshot], *, now: float, fresh_s: float) -> Snapshot:
    """The sum of several processes' figures: counters from every snapshot (a process that has
    ended still counted what it served), gauges only from those written in the last `fresh_s`."""
    total = Snapshot(written_at=now)
    requests: Counter[RequestKey] = Counter()
    push_ops: Counter[str] = Counter()
    for snap in snapshots:
        requests.update(snap.requests)
        push_ops.update(snap.push_ops)
        if now - snap.written_at <= fresh_s:
            total.long_polls_waiting += snap.long_polls_waiting
            total.pool_in_use += snap.pool_in_use
    total.requests, total.push_ops = dict(requests), dict(push_ops)
    return total


class Metrics:
    """One process's counters. Updated on the event loop, read from the exporter's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[RequestKey] = Counter()
        self._push_ops: Counter[str] = Counter(dict.fromkeys(PUSH_RESULTS, 0))
        self._long_polls = 0

    def count_request(self, method: str, route: str, status: int) -> None:
        key = (method if method in METHODS else "other", route, str(status))
        with self._lock:
            self._requests[key] += 1

    def count_push(self, results: Counter[str]) -> None:
        with self._lock:
            self._push_ops.update({k: v for k, v in results.items() if k in PUSH_RESULTS})

    def long_poll_started(self) -> None:
        with self._lock:
            self._long_polls += 1

    def long_poll_ended(self) -> None:
        with self._lock:
            self._long_polls -= 1

    def snapshot(self, *, pool_in_use: int = 0) -> Snapshot:
        with self._lock:
            return Snapshot(
                requests=dict(self._requests),
                push_ops=dict(self._push_ops),
                long_polls_waiting=self._long_polls,
                pool_in_use=pool_in_use,
                written_at=time.time(),
            )


def _route_template(scope: Scope) -> str:
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) else UNMATCHED


def _is_long_poll(scope: Scope) -> bool:
    if scope.get("path") != PULL_PATH or scope.get("method") != "GET":
        return False
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    wait = query.get("wait", ["0"])[-1]
    return wait.isdigit() and int(wait) > 0


def _push_results(body: bytes) -> Counter[str]:
    try:
        results = json.loads(body)["results"]
        return Counter(str(r["status"]) for r in results)
    except (ValueError, KeyError, TypeError):
        return Counter()


class MetricsMiddleware:
    """Counts each request by method, route template and status; long-polls while they wait;
    the results of each successful push."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless the app starts a response
        body = bytearray()
        counting_body = scope.get("method") == "POST" and scope.get("path") == PUSH_ROUTE

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif (
                counting_body
                and message["type"] == "http.response.body"
                and len(body) <= _MAX_COUNTED_BODY
            ):
                body.extend(message.get("body", b""))
            await send(message)

        long_poll = _is_long_poll(scope)
        if long_poll:
            self.metrics.long_poll_started()
        answered = False  # a request cancelled (the server stopping) is not counted
        try:
            await self.app(scope, receive, send_and_note)
            answered = True
        except Exception:
            answered = True  # answered 500 by the error handling around the app
            raise
        finally:
            if long_poll:
                self.metrics.long_poll_ended()
            if answered:
                self._count(scope, status, counting_body, bytes(body))

    def _count(self, scope: Scope, status: int, counting_body: bool, body: bytes) -> None:
        route = _route_template(scope)
        self.metrics.count_request(str(scope.get("method", "")), route, status)
        if counting_body and route == PUSH_ROUTE and status == 200:
            self.metrics.count_push(_push_results(body))
