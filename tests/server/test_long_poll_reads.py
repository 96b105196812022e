"""How a long-poll reads: no first read when its cursor is where the wake-ups have scanned to,
and the same answers (notes audited included) whichever way the read is made."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.server.conftest import Directory
from tests.server.sync_client import Sync, note, post, submit
from wardlink_server import pull, schema
from wardlink_server.services import Services


@pytest.fixture
def sync(client: TestClient, board: Directory) -> Sync:
    return Sync(client, board)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(since, events found) for each read the server makes."""
    found: list[tuple[int, int]] = []
    read_pull = pull.read_pull

    def counted(*args: Any) -> Any:
        page = read_pull(*args)
        found.append((args[2], len(page.events)))
        return page

    monkeypatch.setattr(pull, "read_pull", counted)
    return found


def _poll_then(sync: Sync, since: int, act: Callable[[], None], waiting: Callable[[], bool]) -> Any:
    """bob's long-poll from `since`, with `act` done by another thread once `waiting()`."""
    done: list[Any] = []

    def poll() -> None:
        done.append(sync.pull("bob", since, wait=20))

    poller = threading.Thread(target=poll)
    poller.start()
    for _ in range(1000):
        if waiting():
            break
        threading.Event().wait(0.01)
    act()
    poller.join(20)
    assert done, "the long-poll did not return"
    return done[0]


def _waits(services: Services) -> int:
    """How many long-polls are waiting on the test client's event loop."""
    loops = list(services.notifier._loops.values())  # the one loop the test client runs
    return sum(len(w) for loop in loops for w in loop._by_staff.values())


def test_a_long_poll_at_the_scanned_head_waits_without_reading_and_is_woken(
    sync: Sync, services: Services, reads: list[tuple[int, int]]
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    ward = sync.team("ward")
    since = sync.pull("bob")["next"]
    first = post(ward, "First round done")
    page = _poll_then(sync, since, lambda: sync.push("alice", first), lambda: _waits(services))
    assert [e["data"]["id"] for e in page["events"]] == [first["message_id"]]
    reads.clear()

    # bob comes back at the head the wake-up scanned to: he waits without reading first.
    second = post(ward, "Second round done")
    page = _poll_then(
        sync, page["next"], lambda: sync.push("alice", second), lambda: _waits(services)
    )
    assert [e["data"]["id"] for e in page["events"]] == [second["message_id"]]
    assert reads == [(page["events"][0]["seq"] - 1, 1)]  # one read, after the wake-up


def test_a_long_poll_behind_the_scanned_head_reads_at_once(
    sync: Sync, services: Services, reads: list[tuple[int, int]]
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    ward = sync.team("ward")
    since = sync.pull("bob")["next"]
    first = post(ward, "First round done")
    page = _poll_then(sync, since, lambda: sync.push("alice", first), lambda: _waits(services))
    reads.clear()
    # Behind the head (since the start): the first read finds the message without waiting.
    again = sync.pull("bob", since, wait=20)
    assert [e["data"]["id"] for e in again["events"]] == [first["message_id"]]
    assert again["next"] == page["next"] and reads == [(since, 1)]


def test_notes_read_by_a_woken_long_poll_are_audited(
    sync: Sync, services: Services, reads: list[tuple[int, int]]
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    ward = sync.team("ward")
    since = sync.pull("bob")["next"]
    page = _poll_then(sync, since, lambda: sync.push("alice", post(ward)), lambda: _waits(services))
    resource = note(staff_id=sync.id("alice"), staff_name="Alice")
    page = _poll_then(
        sync, page["next"], lambda: sync.push("alice", submit(ward, resource)),
        lambda: _waits(services),
    )  # fmt: skip
    assert [e["type"] for e in page["events"]] == ["note"]
    a = schema.audit
    with services.engine.connect() as conn:
        rows = conn.execute(select(a).where(a.c.action == "note.read")).mappings().all()
    assert [(r["actor_id"], r["subject"]) for r in rows] == [(sync.id("bob"), "sync.pull")]
    assert json.loads(rows[0]["detail"])["notes"] == [resource["id"]]


def test_only_sqlite_in_wal_mode_is_read_on_the_event_loop(
    sync: Sync, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A woken long-poll's small read runs on the event loop's thread only where readers never
    wait for a writer (SQLite in WAL mode); anywhere else it goes to the threadpool."""
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    ward = sync.team("ward")
    threads: list[str] = []
    read_pull = pull.read_pull

    def noted(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return read_pull(*args)

    monkeypatch.setattr(pull, "read_pull", noted)
    on_loop: list[bool] = []
    for as_found in (True, False):
        if not as_found:  # as if the file system had left SQLite in rollback-journal mode
            monkeypatch.setitem(pull._WAL, services.engine, False)
        since = sync.pull("bob")["next"]
        woken = _poll_then(
            sync, since, lambda: sync.push("alice", post(ward)), lambda: _waits(services)
        )
        threads.clear()
        page = _poll_then(
            sync, woken["next"], lambda: sync.push("alice", post(ward)), lambda: _waits(services)
        )
        assert len(page["events"]) == 1 and len(threads) == 1
        on_loop.append(not threads[0].startswith("AnyIO worker"))
    assert on_loop == [services.engine.dialect.name == "sqlite", False]
