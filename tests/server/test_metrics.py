"""Metrics for the record server's operators: the figures move with the traffic, the labels hold
route templates and never a path, query or identifier, and they are served on 127.0.0.1 on a
port of their own, never on the public one; with several server processes, their sum."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.server.conftest import Directory, auth
from tests.server.serving import ServerProcess, serve
from tests.server.sync_client import NHS, Sync, new_id, post, token_for_a_served_process
from wardlink_server import __version__
from wardlink_server.app import create_app
from wardlink_server.metrics import Metrics, MetricsMiddleware, Snapshot, combined
from wardlink_server.metrics_export import (
    CONTENT_TYPE,
    MetricsServer,
    SnapshotFolder,
    SnapshotWriter,
    exposition,
    live_figures,
)
from wardlink_server.services import Services

PUSH = ("POST", "/api/v1/sync/push", "200")
SAMPLE = re.compile(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Prometheus text format → {(name, labels): value}; every line must be a comment or a
    sample, and every sample's metric must have its HELP and TYPE."""
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        assert name in typed, f"{name} has no TYPE line"
        found[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    assert text.endswith("\n")
    return found


def value(figures: dict[Any, float], name: str, **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


def requests(figures: dict[Any, float], method: str, route: str, status: str) -> float:
    return value(figures, "wardlink_http_requests_total", method=method, route=route, status=status)


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def metered(services: Services, metrics: Metrics) -> Iterator[TestClient]:
    """The app as `serve --metrics-port` runs it: counting every request."""
    with TestClient(create_app(services, metrics=metrics), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def sync(metered: TestClient, board: Directory) -> Sync:
    return Sync(metered, board)


def scrape(metrics: Metrics, services: Services) -> dict[Any, float]:
    return parse(live_figures(metrics, services.engine)())


# --- the figures move -----------------------------------------------------------------------------


def test_the_numbers_move_after_a_push(sync: Sync, metrics: Metrics, services: Services) -> None:
    before = scrape(metrics, services)
    assert value(before, "wardlink_push_ops_total", result="applied") == 0
    head = value(before, "wardlink_events_seq_head")  # the board's own events
    ward = sync.team("ward")
    op = post(ward, "Bay 3 obs done")
    [first] = sync.push("alice", op)
    results = sync.push(
        "alice", op, post(ward, "Mrs Patel in bed 4 is asking for you"), post(ward, "Thanks")
    )
    assert [r["status"] for r in results] == ["duplicate", "rejected", "applied"]
    after = scrape(metrics, services)
    assert requests(after, *PUSH) == 2
    assert value(after, "wardlink_push_ops_total", result="applied") == 2
    assert value(after, "wardlink_push_ops_total", result="duplicate") == 1
    assert value(after, "wardlink_push_ops_total", result="rejected") == 1
    assert value(after, "wardlink_events_seq_head") == results[2]["seq"] > first["seq"] > head
    assert value(after, "wardlink_db_pool_connections_in_use") == 0
    assert value(after, "wardlink_server_info", version=__version__) == 1
    assert abs(value(after, "process_start_time_seconds") - time.time()) < 24 * 3600


def test_a_refused_push_counts_its_status_but_no_ops(
    sync: Sync, metrics: Metrics, services: Services
) -> None:
    unauthenticated = sync.client.post("/api/v1/sync/push", json={"ops": [post(new_id())]})
    assert unauthenticated.status_code == 401
    malformed = sync.push_raw("alice", [{"op_id": new_id(), "type": "nonsense"}])
    assert malformed.status_code == 400
    figures = scrape(metrics, services)
    assert requests(figures, "POST", "/api/v1/sync/push", "401") == 1
    assert requests(figures, "POST", "/api/v1/sync/push", "400") == 1
    assert sum(value(figures, "wardlink_push_ops_total", result=r)
               for r in ("applied", "duplicate", "rejected")) == 0  # fmt: skip


def test_labels_hold_route_templates_never_paths_queries_or_identifiers(
    sync: Sync, metrics: Metrics, services: Services
) -> None:
    ward = sync.team("ward")
    token = sync.token("alice")
    assert sync.history_raw("alice", ward).status_code == 200
    sync.client.get(
        "/fhir/Patient", params={"identifier": f"https://fhir.nhs.uk/Id/nhs-number|{NHS}"},
        headers=auth(token),
    )  # fmt: skip
    sync.client.get(f"/api/v1/patients/{NHS}", headers=auth(token))  # no such route
    sync.client.request("BREW", "/healthz")
    text = live_figures(metrics, services.engine)()
    figures = parse(text)
    assert requests(figures, "GET", "/api/v1/teams/{team_id}/history", "200") == 1
    assert requests(figures, "GET", "unmatched", "404") == 1
    assert requests(figures, "other", "/healthz", "405") == 1
    for secret in (ward, NHS, token, "identifier", "nhs-number", "BREW"):
        assert secret not in text
    routes = {dict(labels).get("route") for (name, labels) in figures if "route" in dict(labels)}
    assert all(r == "unmatched" or (r or "").startswith("/") for r in routes)


def test_long_polls_are_counted_while_they_wait() -> None:
    metrics = Metrics()
    release = asyncio.Event()
    seen: list[int] = []

    async def waiting_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(metrics.snapshot().long_polls_waiting)
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def sent(_message: Any) -> None:
        return None

    def request(query: bytes) -> dict[str, Any]:
        return {"type": "http", "method": "GET", "path": "/api/v1/sync/pull",
                "query_string": query}  # fmt: skip

    async def main() -> None:
        middleware = MetricsMiddleware(waiting_app, metrics)
        calls = [
            asyncio.create_task(middleware(request(q), None, sent))  # type: ignore[arg-type]
            for q in (b"since=0&wait=30", b"since=4&wait=5", b"since=0", b"since=0&wait=x")
        ]
        while len(seen) < 4:
            await asyncio.sleep(0)
        assert metrics.snapshot().long_polls_waiting == 2
        release.set()
        await asyncio.gather(*calls)

    asyncio.run(main())
    assert metrics.snapshot().long_polls_waiting == 0


# --- where they are served ------------------------------------------------------------------------


def test_metrics_are_not_served_on_the_main_port(metered: TestClient) -> None:
    assert metered.get("/metrics").status_code == 404
    assert metered.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


def test_the_metrics_port_serves_the_text_format_on_loopback_only(
    metrics: Metrics, services: Services
) -> None:
    server = MetricsServer(0, live_figures(metrics, services.engine))
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(timeout=5) as client:
            answer = client.get(server.url)
            assert answer.status_code == 200
            assert answer.headers["content-type"] == CONTENT_TYPE
            assert ("wardlink_long_polls_waiting", frozenset()) in parse(answer.text)
            assert client.get(server.url.replace("/metrics", "/")).status_code == 404
            assert client.post(server.url).status_code == 501
    finally:
        server.stop()


def test_a_database_that_cannot_answer_is_a_503_without_its_message() -> None:
    def broken() -> str:
        raise RuntimeError("password=hunter2 host=db")

    server = MetricsServer(0, broken)
    server.start()
    try:
        answer = httpx.get(server.url, timeout=5)
        assert answer.status_code == 503
        assert "hunter2" not in answer.text
    finally:
        server.stop()


# --- several server processes ---------------------------------------------------------------------


def test_the_sum_of_several_processes_keeps_counters_and_only_fresh_gauges() -> None:
    now = 1_000_000.0
    live = Snapshot({PUSH: 3}, {"applied": 5}, long_polls_waiting=2, pool_in_use=1, written_at=now)
    gone = Snapshot({PUSH: 4}, {"applied": 1, "rejected": 2}, long_polls_waiting=7,
                    pool_in_use=3, written_at=now - 60)  # fmt: skip
    total = combined([live, gone], now=now, fresh_s=5)
    assert total.requests == {PUSH: 7}
    assert total.push_ops == {"applied": 6, "rejected": 2}
    assert (total.long_polls_waiting, total.pool_in_use) == (2, 1)
    assert Snapshot.from_json(gone.to_json()) == gone


def test_a_workers_figures_reach_the_parent_through_the_folder(
    services: Services, metrics: Metrics, tmp_path: Path
) -> None:
    metrics.count_request("GET", "/healthz", 200)
    metrics.count_push(Counter(applied=2))
    SnapshotWriter(metrics, services.engine, tmp_path).write()
    other = Metrics()
    other.count_request("GET", "/healthz", 200)
    (tmp_path / "worker-1.json").write_text(other.snapshot().to_json())
    (tmp_path / "worker-2.json").write_text("{damaged")  # ignored, not fatal
    figures = parse(SnapshotFolder(tmp_path).figures(services.engine)())
    assert requests(figures, "GET", "/healthz", "200") == 2
    assert value(figures, "wardlink_push_ops_total", result="applied") == 2


def test_big_numbers_are_written_exactly() -> None:
    text = exposition(Snapshot({PUSH: 12_345_678}), seq_head=2**62)
    assert "wardlink_events_seq_head 4611686018427387904\n" in text
    assert 'status="200"} 12345678\n' in text


def test_a_cancelled_request_is_not_counted() -> None:
    metrics = Metrics()

    async def cancelled(scope: Any, receive: Any, send: Any) -> None:
        raise asyncio.CancelledError

    async def main() -> None:
        scope = {"type": "http", "method": "GET", "path": "/api/v1/sync/pull",
                 "query_string": b"since=0&wait=30"}  # fmt: skip
        with pytest.raises(asyncio.CancelledError):
            await MetricsMiddleware(cancelled, metrics)(scope, None, None)  # type: ignore[arg-type]

    asyncio.run(main())
    snapshot = metrics.snapshot()
    assert snapshot.requests == {} and snapshot.long_polls_waiting == 0


def test_label_values_are_escaped() -> None:
    snapshot = Snapshot({("GET", 'a"b\\c\nd', "200"): 1})
    text = exposition(snapshot, seq_head=0)
    [line] = [row for row in text.splitlines() if row.startswith("wardlink_http")]
    assert 'route="a\\"b\\\\c\\nd"' in line


# --- `wardlink-server serve --metrics-port` -------------------------------------------------------


def metrics_url(server: ServerProcess) -> str:
    assert server.process.stdout is not None
    line = server.process.stdout.readline()
    assert line.startswith("wardlink-server metrics on http://127.0.0.1:"), line
    return line.split()[-1]


def scrape_until(url: str, check: Any) -> dict[Any, float]:
    deadline = time.monotonic() + 10
    while True:
        figures = parse(httpx.get(url, timeout=5).text)
        if check(figures) or time.monotonic() > deadline:
            return figures
        time.sleep(0.1)


def test_serve_with_a_metrics_port(services: Services, board: Directory, tmp_path: Path) -> None:
    """One process on SQLite; two worker processes on PostgreSQL, whose figures add up."""
    workers = ["--workers", "2"] if services.config.database_url.startswith("postgresql") else []
    token = token_for_a_served_process(services, board.staff["alice"])
    server = serve(services.config.database_url, tmp_path / "serve.log", "--metrics-port", "0",
                   *workers)  # fmt: skip
    try:
        url = metrics_url(server)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert client.get("/metrics").status_code == 404  # not on the main port
            for i in range(4):
                pushed = client.post(
                    "/api/v1/sync/push", json={"ops": [post(board.teams["ward"], f"n {i}")]},
                    headers=auth(token),
                )  # fmt: skip
                assert pushed.status_code == 200
        figures = scrape_until(
            url, lambda f: value(f, "wardlink_push_ops_total", result="applied") == 4
        )
        assert value(figures, "wardlink_push_ops_total", result="applied") == 4
        assert requests(figures, *PUSH) == 4
        assert value(figures, "wardlink_events_seq_head") >= 4
    finally:
        assert server.stop() == 0
