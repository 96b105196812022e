"""PostgreSQL in production (DESIGN.md §4, §7): event seqs in commit order under concurrent
writers, an audit chain that never forks, long-polls woken across server processes by
LISTEN/NOTIFY, several worker processes, and schema migrations that may race.

The rest of the server suite runs on PostgreSQL as well (see conftest.py); these tests are
about what only several connections or processes can show.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text

from tests.server.conftest import Directory, auth
from tests.server.postgres import Cluster
from tests.server.serving import environment, serve
from tests.server.sync_client import Sync, post, receipt, token_for_a_served_process
from wardlink.core.protocol import PullResponse, PushRequest
from wardlink_server import audit, database, directory, events, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller, authenticate
from wardlink_server.config import ServerConfig
from wardlink_server.database import make_engine, migrate, schema_is_current
from wardlink_server.events import EventNotifier
from wardlink_server.pg_listener import EventListener
from wardlink_server.pull import read_pull
from wardlink_server.push import apply_push
from wardlink_server.services import Services, build_services

ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"])
DEADLINE_S = 20.0


@pytest.fixture
def sync(client: TestClient, board: Directory) -> Sync:
    return Sync(client, board)


def head(services: Services) -> int:
    with services.engine.connect() as conn:
        return events.head(conn)


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling) for something another connection or process does."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def push_request(*ops: dict[str, Any]) -> PushRequest:
    return PushRequest.from_json({"ops": list(ops)})


def visible_seqs(services: Services, caller: Caller, team_id: str) -> list[int]:
    """Every seq the caller may pull, straight from the table."""
    e = schema.events
    query = select(e.c.seq).where(
        (e.c.team_id == team_id)
        | (e.c.staff_id == caller.staff_id)
        | (e.c.team_id.is_(None) & e.c.staff_id.is_(None))
    )
    with services.engine.connect() as conn:
        return sorted(int(seq) for seq in conn.execute(query).scalars())


class Reader:
    """Pulls as a client does, remembering every seq it was given."""

    def __init__(self, services: Services, caller: Caller, since: int) -> None:
        self.services, self.caller, self.since = services, caller, since
        self.seen: list[int] = []

    def pull(self) -> PullResponse:
        page = read_pull(self.services, self.caller, self.since, 50)
        self.seen += [event.seq for event in page.events]
        assert page.next >= self.since
        self.since = page.next
        return page

    def drain(self) -> None:
        while self.pull().more:
            pass


def waiting_for_the_write_lock(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND objid = :key"
                ),
                {"key": database.WRITE_LOCK_KEY},
            ).scalar_one()
        )


def run(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


# -- commit order ---------------------------------------------------------------------------


@ON_POSTGRESQL
def test_a_reader_never_skips_the_event_of_a_writer_that_commits_late(
    sync: Sync, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ward = sync.team("ward")
    alice, bob = sync.caller("alice"), sync.caller("bob")
    reader = Reader(services, bob, head(services))
    gate, appended = threading.Event(), threading.Event()
    slow_op = post(ward, "slow: handover notes for bay 4")
    stall_after_append(monkeypatch, slow_op["op_id"], appended, gate)

    slow = run(lambda: apply_push(services, alice, push_request(slow_op)))
    assert appended.wait(DEADLINE_S)
    fast = [
        run(lambda i=i: apply_push(services, bob, push_request(post(ward, f"fast {i}"))))
        for i in range(3)
    ]
    # The fast writers queue behind the slow one's lock: none can take a seq meanwhile.
    until(lambda: waiting_for_the_write_lock(services) == 3, "the fast writers to queue")
    for _ in range(3):
        assert reader.pull().events == ()
    gate.set()
    for thread in (slow, *fast):
        thread.join()
    reader.drain()
    assert reader.seen == visible_seqs(services, bob, ward)[-4:]
    assert len(reader.seen) == 4
    assert _body_of(services, reader.seen[0]) == "slow: handover notes for bay 4"


@ON_POSTGRESQL
def test_without_the_write_lock_that_reader_would_skip_it(
    sync: Sync, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hazard the lock prevents, shown by taking it away: the test above can fail."""
    monkeypatch.setattr(database, "_take_write_lock", lambda _conn: None)
    ward = sync.team("ward")
    alice, bob = sync.caller("alice"), sync.caller("bob")
    reader = Reader(services, bob, head(services))
    gate, appended = threading.Event(), threading.Event()
    slow_op = post(ward, "slow: handover notes for bay 4")
    stall_after_append(monkeypatch, slow_op["op_id"], appended, gate)

    slow = run(lambda: apply_push(services, alice, push_request(slow_op)))
    assert appended.wait(DEADLINE_S)
    apply_push(services, bob, push_request(post(ward, "fast")))  # commits past the slow one
    reader.drain()
    gate.set()
    slow.join()
    reader.drain()
    everything = visible_seqs(services, bob, ward)[-2:]
    assert reader.seen == everything[1:]  # the late commit's event was skipped


def stall_after_append(
    monkeypatch: pytest.MonkeyPatch, op_id: str, appended: threading.Event, gate: threading.Event
) -> None:
    """The op `op_id` stops in its transaction just after appending its event, until `gate`."""
    original = events.append

    def append(conn: Connection, event_type: str, **fields: Any) -> int:
        seq = original(conn, event_type, **fields)
        if fields["data"].get("op_id") == op_id:
            appended.set()
            assert gate.wait(DEADLINE_S)
        return seq

    monkeypatch.setattr(events, "append", append)


def _body_of(services: Services, seq: int) -> str:
    m = schema.messages
    with services.engine.connect() as conn:
        return str(conn.execute(select(m.c.body).where(m.c.seq == seq)).scalar_one())


@ON_POSTGRESQL
def test_many_writers_slow_and_fast_every_event_is_pulled_exactly_once(
    sync: Sync, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    ward = sync.team("ward")
    callers = {name: sync.caller(name) for name in ("alice", "bob")}
    reader = Reader(services, callers["bob"], 0)
    rng = random.Random(5)
    holds = {}  # op_id -> seconds its transaction stays open after appending
    stall = threading.Event()  # never set: a bounded wait inside the transaction
    original = events.append

    def append(conn: Connection, event_type: str, **fields: Any) -> int:
        seq = original(conn, event_type, **fields)
        hold = holds.get(str(fields["data"].get("op_id")))
        if hold:
            stall.wait(hold)
        return seq

    monkeypatch.setattr(events, "append", append)
    writers_done = threading.Event()

    def writer(name: str, n: int) -> None:
        for i in range(n):
            op = post(ward, f"{name} {i}") if i % 4 else receipt(ward, i)
            if rng.random() < 0.3:
                holds[op["op_id"]] = rng.uniform(0.001, 0.02)
            apply_push(services, callers[name], push_request(op))

    def read_while_writing() -> None:
        while not writers_done.is_set():
            reader.pull()

    reading = run(read_while_writing)
    writers = [run(lambda k=k: writer(("alice", "bob")[k % 2], 25)) for k in range(6)]
    for thread in writers:
        thread.join()
    writers_done.set()
    reading.join()
    reader.drain()
    assert len(reader.seen) == len(set(reader.seen))  # nothing twice
    assert reader.seen == visible_seqs(services, callers["bob"], ward)  # nothing skipped
    assert len(reader.seen) >= 6 * 18  # the messages alone


@ON_POSTGRESQL
def test_concurrent_audit_entries_keep_one_chain(services: Services) -> None:
    barrier = threading.Barrier(8)

    def record(k: int) -> None:
        barrier.wait()
        for i in range(15):
            # Half through the writer (locked as they begin), half through a plain
            # transaction (locked by audit.record itself).
            engine = services.writer if k % 2 else services.engine
            with engine.begin() as conn:
                audit.record(conn, Actor(None), "test.entry", f"{k}.{i}", at=services.now())

    threads = [run(lambda k=k: record(k)) for k in range(8)]
    for thread in threads:
        thread.join()
    a = schema.audit
    with services.engine.connect() as conn:
        assert audit.verify(conn) == []
        prevs = conn.execute(select(a.c.prev_hash).where(a.c.action == "test.entry")).scalars()
        assert len(set(prevs)) == 120  # no entry followed by two


# -- LISTEN/NOTIFY ----------------------------------------------------------------------------


@ON_POSTGRESQL
def test_a_long_poll_on_one_server_process_wakes_for_a_push_through_another(
    services: Services, board: Directory, tmp_path: Path
) -> None:
    ward = board.teams["ward"]
    alice, bob = token_of(services, board, "alice"), token_of(services, board, "bob")
    first = serve(services.config.database_url, tmp_path / "first.log")
    second = serve(services.config.database_url, tmp_path / "second.log")
    try:
        wait_listening(services, 2)
        since = head(services)
        answer: dict[str, Any] = {}

        def long_poll() -> None:
            with httpx.Client(base_url=first.url, timeout=30) as client:
                answer["response"] = client.get(
                    "/api/v1/sync/pull", params={"since": since, "wait": 20}, headers=auth(bob)
                )
                answer["at"] = time.monotonic()

        polling = run(long_poll)
        # Let the long-poll park (if it has not, it finds the message at once: the same answer).
        threading.Event().wait(0.5)
        with httpx.Client(base_url=second.url, timeout=10) as client:
            pushed = client.post(
                "/api/v1/sync/push",
                json={"ops": [post(ward, "Bay 2 needs a porter")]},
                headers=auth(alice),
            )
            pushed_at = time.monotonic()
        assert pushed.json()["results"][0]["status"] == "applied"
        polling.join(timeout=25)
        page = answer["response"].json()
        assert [e["data"]["body"] for e in page["events"]] == ["Bay 2 needs a porter"]
        assert answer["at"] - pushed_at < 1.0
    finally:
        assert first.stop() == 0
        assert second.stop() == 0


def token_of(services: Services, board: Directory, username: str) -> str:
    return token_for_a_served_process(services, board.staff[username])


def listeners(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = :name AND query LIKE 'LISTEN%'"
                ),
                {"name": database.APPLICATION_NAME},
            ).scalar_one()
        )


def wait_listening(services: Services, count: int) -> None:
    until(lambda: listeners(services) == count, f"{count} event listeners")


@ON_POSTGRESQL
def test_serve_with_two_workers_answers_and_wakes_long_polls(
    services: Services, board: Directory, tmp_path: Path
) -> None:
    ward = board.teams["ward"]
    alice, bob = token_of(services, board, "alice"), token_of(services, board, "bob")
    server = serve(services.config.database_url, tmp_path / "workers.log", "--workers", "2")
    try:
        wait_listening(services, 2)  # one listener per worker process
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for i in range(6):
                pushed = client.post(
                    "/api/v1/sync/push",
                    json={"ops": [post(ward, f"note {i}")]},
                    headers=auth(alice),
                )
                assert pushed.json()["results"][0]["status"] == "applied"
            page = client.get("/api/v1/sync/pull", params={"since": 0}, headers=auth(bob)).json()
            bodies = [e["data"]["body"] for e in page["events"] if e["type"] == "message"]
            assert bodies == [f"note {i}" for i in range(6)]
    finally:
        assert server.stop() == 0
    assert "Started parent process" in server.log()


@ON_POSTGRESQL
def test_the_admin_commands_run_on_postgresql(services: Services) -> None:
    url = services.config.database_url

    def command(*args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "wardlink_server", *args, "--database", url],
            input=stdin, capture_output=True, text=True, env=environment(), timeout=60,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    command("admin", "create-team", "--name", "Ward 9")
    command("admin", "create-staff", "--username", "erin", "--display-name", "Erin",
            "--password-stdin", stdin="a long enough password\n")  # fmt: skip
    command("admin", "add-member", "--team", "Ward 9", "--username", "erin")
    token = command("admin", "issue-token", "--username", "erin", "--device-id", "bench-1")
    assert "intact" in command("admin", "audit", "--verify")
    with services.engine.connect() as conn:
        caller = authenticate(conn, services, token.strip())
        assert directory.team_ids_of(conn, caller.staff_id) != []


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wardlink_server", "serve", "--database",
         f"sqlite:///{tmp_path / 'one.db'}", "--port", "0", "--workers", "2"],
        capture_output=True, text=True, env=environment(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--workers above 1 needs a PostgreSQL database" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "one.db").exists()  # refused before anything was opened
    none = subprocess.run(
        [sys.executable, "-m", "wardlink_server", "serve", "--workers", "0"],
        capture_output=True, text=True, env=environment(), timeout=60, check=False,
    )  # fmt: skip
    assert none.returncode == 2
    assert "--workers: must be a whole number from 1 to 64" in none.stderr


@ON_POSTGRESQL
def test_the_listener_reconnects_and_wakes_long_polls_again(services: Services) -> None:
    notifier = EventNotifier()

    async def scenario() -> None:
        listener = EventListener(
            database.postgresql_connect_args(services.engine), notifier, retry_s=0.02
        )
        listener.start()
        try:
            await asyncio.wait_for(listener.listening.wait(), DEADLINE_S)
            await asyncio.to_thread(_terminate_listeners, services)
            while listener.connections < 2 or not listener.listening.is_set():
                await asyncio.sleep(0.01)
            woken = asyncio.create_task(notifier.wait(DEADLINE_S))
            await asyncio.sleep(0)
            await asyncio.to_thread(_append_an_event, services)
            assert await woken
        finally:
            await listener.stop()

    asyncio.run(scenario())


def _terminate_listeners(services: Services) -> None:
    with services.engine.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        ).all()
    assert len(ended) == 1


def _append_an_event(services: Services) -> None:
    with services.writer.begin() as conn:
        events.append(conn, "policy.updated", at=services.now(), data={"policy": {}})


# -- migrations ---------------------------------------------------------------------------------


@ON_POSTGRESQL
def test_server_processes_starting_together_migrate_one_at_a_time(
    backend: str, postgres_cluster: Cluster
) -> None:
    url = postgres_cluster.database(empty=True)
    engines = [make_engine(url) for _ in range(4)]
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def start(engine: Any) -> None:
        barrier.wait()
        try:
            migrate(engine)
        except BaseException as exc:  # reported below
            failures.append(exc)

    try:
        threads = [run(lambda e=e: start(e)) for e in engines]
        for thread in threads:
            thread.join()
        assert failures == []
        assert schema_is_current(engines[0])
        built = [build_services(ServerConfig(database_url=url), engine=e) for e in engines[:2]]
        assert built[0].public_key_b64 == built[1].public_key_b64
    finally:
        for engine in engines:
            engine.dispose()
        postgres_cluster.drop(url)


def test_database_urls_name_the_driver_we_ship() -> None:
    assert database.backend_of("postgresql://u@db.example/wardlink") == "postgresql"
    assert database.backend_of("postgresql+psycopg://u@db.example/wardlink") == "postgresql"
    assert database.backend_of("sqlite:///x.db") == "sqlite"
    for refused in ("postgresql+asyncpg://u@h/d", "mysql://u@h/d", "not a url"):
        with pytest.raises(database.DatabaseError):
            database.backend_of(refused)
    engine = make_engine("postgresql://u@db.example/wardlink")
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.hide_parameters
    finally:
        engine.dispose()
