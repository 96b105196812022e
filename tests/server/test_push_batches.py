"""A push is one transaction with a savepoint per op: each op's outcome is its own, whatever
its neighbours do in the same push (a duplicate, a constraint the database refuses, a
rejection), and the push commits once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select

from tests.server.conftest import Directory
from tests.server.sync_client import Sync, ack, new_id, post
from wardlink_server import schema
from wardlink_server.services import Services


@pytest.fixture
def sync(client: TestClient, board: Directory) -> Sync:
    return Sync(client, board)


def count(services: Services, table: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_ops_after_one_the_database_refuses_still_apply(sync: Sync, services: Services) -> None:
    """A message id that is taken fails on its unique key: on PostgreSQL that aborts the
    savepoint, and the push goes on with the next op."""
    ward = sync.team("ward")
    taken = post(ward, "First")
    sync.push_one("alice", taken)
    clash = taken | {"op_id": new_id(), "body": "Same id, another op"}
    before, after = post(ward, "Before"), post(ward, "After")
    results = sync.push("bob", before, clash, after)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["error"]["code"] == "conflict"
    assert results[0]["seq"] < results[2]["seq"]
    assert count(services, schema.messages) == 3 and count(services, schema.ops) == 3
    bodies = [e["data"]["body"] for e in sync.pull_all("alice") if e["type"] == "message"]
    assert bodies == ["First", "Before", "After"]


def test_a_resent_push_answers_each_op_as_it_was(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    urgent = post(ward, "Second nurse to bay 4", priority="urgent")
    ops = [
        post(ward, "One"),
        urgent,
        post(sync.team("community"), "Not mine"),
        ack(urgent["message_id"]),
    ]
    first = sync.push("alice", *ops)
    assert [r["status"] for r in first] == ["applied", "applied", "rejected", "applied"]
    again = sync.push("alice", *ops, post(ward, "New"))
    assert [r["status"] for r in again] == [
        "duplicate", "duplicate", "rejected", "duplicate", "applied"
    ]  # fmt: skip
    assert [r.get("seq") for r in again[:2]] == [r["seq"] for r in first[:2]]
    assert again[3]["seq"] == first[3]["seq"]
    assert count(services, schema.messages) == 3


def test_a_push_commits_once(sync: Sync, services: Services) -> None:
    commits: list[int] = []

    def note(_conn: Connection) -> None:
        commits.append(1)

    ward = sync.team("ward")
    event.listen(services.engine, "commit", note)
    try:
        results = sync.push("alice", *(post(ward, f"Message {n}") for n in range(20)))
    finally:
        event.remove(services.engine, "commit", note)
    assert [r["status"] for r in results] == ["applied"] * 20
    # The push's own transaction (a sign-in check may add its own, never one per op).
    assert 1 <= len(commits) <= 2
