"""Pull and history: each caller sees exactly their teams', their own and global events; removal
is delivered and then stops the team; paging never skips; long-polls wake on a push."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.server.conftest import Directory
from tests.server.sync_client import NHS, Sync, new_id, note, post, retract, submit
from wardlink.core.protocol import HistoryResponse, PullResponse
from wardlink_server import audit, directory, events, pull, schema
from wardlink_server.audit import CLI
from wardlink_server.services import Services


@pytest.fixture
def sync(client: TestClient, board: Directory) -> Sync:
    return Sync(client, board)


def head(services: Services) -> int:
    with services.engine.connect() as conn:
        return events.head(conn)


def types_and_teams(page: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["type"], e["team_id"]) for e in page]


def note_reads(services: Services) -> list[dict[str, Any]]:
    a = schema.audit
    with services.engine.connect() as conn:
        rows = conn.execute(select(a).where(a.c.action == "note.read").order_by(a.c.seq))
        return [{**r, "detail": json.loads(r["detail"])} for r in rows.mappings()]


# -- who sees what --------------------------------------------------------------------------


def test_each_caller_sees_only_their_teams_their_own_and_global_events(
    sync: Sync, services: Services
) -> None:
    ward, community = sync.team("ward"), sync.team("community")
    sync.push_one("alice", post(ward, "ward news"))
    sync.push_one("carol", post(community, "community news"))
    assert sync.pull_all("dave") == []  # in no team: nothing at all
    with services.writer.begin() as conn:
        directory.disable_staff(conn, services, CLI, "epr")  # a global staff.updated
    alice = sync.pull_all("alice")
    assert types_and_teams(alice) == [
        ("membership.added", ward),  # alice's own
        ("membership.added", ward),  # bob joining her team
        ("message", ward),
        ("staff.updated", None),
    ]
    assert "community news" not in json.dumps(alice)
    carol = sync.pull_all("carol")
    assert types_and_teams(carol) == [
        ("membership.added", community),
        ("message", community),
        ("staff.updated", None),
    ]
    assert "ward news" not in json.dumps(carol)
    assert types_and_teams(sync.pull_all("dave")) == [("staff.updated", None)]
    page = PullResponse.from_json(sync.pull("dave"))
    assert page.next == head(services) and not page.more


def test_history_is_for_members_only(sync: Sync) -> None:
    ward, community = sync.team("ward"), sync.team("community")
    sync.push_one("carol", post(community, "community news"))
    for who, team in (
        ("alice", community),
        ("dave", ward),
        ("dave", community),
        ("epr", ward),
        ("alice", new_id()),
        ("alice", "not-a-uuid"),
    ):
        response = sync.history_raw(who, team)
        assert response.status_code == 403, (who, team)
        assert response.json()["error"]["code"] == "forbidden"
        assert "community news" not in response.text
    assert len(sync.history("carol", community)["events"]) == 1


def test_pull_and_history_need_a_token(client: TestClient, sync: Sync) -> None:
    for path in ("/api/v1/sync/pull?since=0", f"/api/v1/teams/{sync.team('ward')}/history"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_removed_member_gets_the_removal_and_then_nothing_of_that_team(
    sync: Sync, services: Services
) -> None:
    ward = sync.team("ward")
    sync.push_one("bob", post(ward, "before"))
    since = sync.pull("alice")["next"]
    with services.writer.begin() as conn:
        directory.remove_member(conn, services, CLI, "Ward 7 (Surgical)", "alice")
    sync.push_one("bob", post(ward, "after the removal"))
    sync.push_one("bob", post(ward, "and later"))
    page = sync.pull("alice", since)
    assert [(e["type"], e["data"].get("staff_id")) for e in page["events"]] == [
        ("membership.removed", sync.id("alice"))
    ]
    assert page["events"][0]["data"]["team"]["id"] == ward
    assert page["next"] == head(services) and page["more"] is False
    assert sync.pull("alice", page["next"])["events"] == []
    everything = sync.pull_all("alice")
    assert "after the removal" not in json.dumps(everything)
    assert [e["type"] for e in everything] == ["membership.added", "membership.removed"]
    # The removed member can no longer read or write that team.
    assert sync.history_raw("alice", ward).status_code == 403
    assert sync.push_one("alice", post(ward))["error"]["code"] == "forbidden"
    # Bob still sees it all, including alice's removal.
    assert [e["type"] for e in sync.pull("bob", since)["events"]] == [
        "membership.removed",
        "message",
        "message",
    ]


# -- paging ---------------------------------------------------------------------------------


def test_pull_pages_by_limit_and_since_zero_reaches_everything(
    sync: Sync, services: Services
) -> None:
    ward, community = sync.team("ward"), sync.team("community")
    for n in range(7):
        sync.push_one("alice", post(ward, f"ward {n}"))
        sync.push_one("carol", post(community, f"community {n}"))
    everything = sync.pull("bob", 0)["events"]
    assert len(everything) == 2 + 7  # two joinings and the ward's messages
    pages: list[dict[str, Any]] = []
    since = 0
    while True:
        page = sync.pull("bob", since, limit=3)
        PullResponse.from_json(page)
        pages.append(page)
        if page["more"]:
            assert len(page["events"]) == 3
            assert page["next"] == page["events"][-1]["seq"]
        else:
            assert page["next"] == head(services)
            break
        since = page["next"]
    assert [e for p in pages for e in p["events"]] == everything
    assert [len(p["events"]) for p in pages] == [3, 3, 3]
    assert [p["more"] for p in pages] == [True, True, False]
    # The last page's cursor covers the community's later events too: nothing is left.
    assert sync.pull("bob", pages[-1]["next"]) == {
        "events": [],
        "next": head(services),
        "more": False,
    }


def test_a_page_exactly_full_says_no_more(sync: Sync, services: Services) -> None:
    sync.push_one("alice", post(sync.team("ward")))
    page = sync.pull("bob", 0, limit=3)  # two joinings and one message
    assert len(page["events"]) == 3 and page["more"] is False
    assert page["next"] == head(services)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "since=-1",
        "since=abc",
        "since=1.5",
        f"since={2**63}",
        "since=0&limit=0",
        "since=0&limit=1001",
        "since=0&wait=31",
        "since=0&wait=-1",
        "since=0&limit=x",
    ],
)
def test_bad_pull_parameters_are_400_naming_them(
    sync: Sync, client: TestClient, query: str
) -> None:
    response = client.get(
        f"/api/v1/sync/pull?{query}", headers={"Authorization": f"Bearer {sync.token('alice')}"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    named = query.rsplit("&", 1)[-1].split("=")[0] or "since"
    assert error["fields"] == [named]


@pytest.mark.parametrize("query", ["before=0", "before=x", "limit=0", "limit=1001"])
def test_bad_history_parameters_are_400_naming_them(sync: Sync, query: str) -> None:
    response = sync.history_raw("alice", sync.team("ward"), **dict([query.split("=")]))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == [query.split("=")[0]]


# -- history --------------------------------------------------------------------------------


def test_history_is_the_teams_content_newest_first_in_pages(sync: Sync, services: Services) -> None:
    ward = sync.team("ward")
    bodies = [f"message {n}" for n in range(5)]
    for body in bodies:
        sync.push_one("alice", post(ward, body))
    gone = post(ward, "retracted soon")
    sync.push("alice", gone, retract(gone["message_id"]))
    sync.push_one("carol", post(sync.team("community"), "elsewhere"))
    full = sync.history("bob", ward)
    HistoryResponse.from_json(full)
    assert [e["data"]["body"] for e in full["events"]] == bodies[::-1]
    assert full["more"] is False
    seqs = [e["seq"] for e in full["events"]]
    assert seqs == sorted(seqs, reverse=True)
    first = sync.history("bob", ward, limit=2)
    assert [e["data"]["body"] for e in first["events"]] == ["message 4", "message 3"]
    assert first["more"] is True
    second = sync.history("bob", ward, before=first["events"][-1]["seq"], limit=2)
    assert [e["data"]["body"] for e in second["events"]] == ["message 2", "message 1"]
    last = sync.history("bob", ward, before=second["events"][-1]["seq"], limit=2)
    assert [e["data"]["body"] for e in last["events"]] == ["message 0"]
    assert last["more"] is False
    assert sync.history("bob", ward, before=1)["events"] == []


def test_history_carries_acks_receipts_and_notes_but_not_membership(sync: Sync) -> None:
    ward = sync.team("ward")
    urgent = post(ward, "Second nurse to bay 4", priority="urgent")
    seq = sync.push_one("alice", urgent)["seq"]
    resource = note(staff_id=sync.id("alice"), staff_name="Alice")
    sync.push("alice", submit(ward, resource))
    sync.push(
        "bob",
        {"op_id": new_id(), "type": "message.ack", "message_id": urgent["message_id"]},
        {"op_id": new_id(), "type": "receipt.read", "team_id": ward, "up_to_seq": seq},
    )
    types = [e["type"] for e in sync.history("bob", ward)["events"]]
    assert types == ["receipt", "message.acked", "note", "message"]


# -- reading notes is audited ---------------------------------------------------------------


def test_a_page_with_notes_is_audited_once_with_its_patients(
    sync: Sync, services: Services
) -> None:
    ward = sync.team("ward")
    sync.push_one("alice", post(ward))
    assert sync.pull_all("bob") and note_reads(services) == []
    notes = [note(staff_id=sync.id("alice"), staff_name="Alice") for _ in range(2)]
    sync.push("alice", *(submit(ward, n) for n in notes))
    sync.pull("bob", 0)
    [entry] = note_reads(services)
    assert entry["actor_id"] == sync.id("bob") and entry["subject"] == "sync.pull"
    assert entry["detail"]["notes"] == [n["id"] for n in notes]
    assert entry["patient_value"] == NHS
    assert entry["detail"]["patients"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS}
    ]
    sync.history("bob", ward, limit=1)
    assert [e["subject"] for e in note_reads(services)] == ["sync.pull", f"team:{ward}"]
    assert note_reads(services)[1]["detail"]["notes"] == [notes[1]["id"]]
    with services.engine.connect() as conn:
        assert audit.verify(conn) == []


# -- long-poll ------------------------------------------------------------------------------


def test_a_long_poll_returns_as_soon_as_another_request_pushes(
    sync: Sync, services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    since = sync.pull("bob")["next"]
    first_read_done = threading.Event()
    reads: list[int] = []
    read_pull = pull.read_pull

    def counted(*args: Any) -> Any:
        page = read_pull(*args)
        reads.append(len(page.events))
        first_read_done.set()
        return page

    monkeypatch.setattr(pull, "read_pull", counted)
    op = post(sync.team("ward"), "Doctor on the ward now")
    pushed: list[dict[str, Any]] = []

    def push_when_polling() -> None:
        assert first_read_done.wait(10)
        pushed.extend(sync.push("alice", op))

    pusher = threading.Thread(target=push_when_polling)
    pusher.start()
    started = time.monotonic()
    page = sync.pull("bob", since, wait=20)
    elapsed = time.monotonic() - started
    pusher.join()
    assert reads[0] == 0  # the first look found nothing, so the poll waited
    assert [e["data"]["id"] for e in page["events"]] == [op["message_id"]]
    assert page["events"][0]["seq"] == pushed[0]["seq"]
    assert elapsed < 10  # woken by the push, long before its 20 s were up


def test_an_empty_long_poll_returns_after_the_servers_max_wait(
    sync: Sync, services: Services
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=0.05)
    since = sync.pull("bob")["next"]
    sync.push_one("carol", post(sync.team("community")))  # not bob's: no reason to return
    started = time.monotonic()
    page = sync.pull("bob", since, wait=30)
    elapsed = time.monotonic() - started
    assert page == {"events": [], "next": head(services), "more": False}
    assert 0.05 <= elapsed < 5


def test_a_wait_of_zero_does_not_wait(sync: Sync, services: Services) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=30.0)
    since = sync.pull("bob")["next"]
    started = time.monotonic()
    assert sync.pull("bob", since, wait=0)["events"] == []
    assert time.monotonic() - started < 5


def test_a_notification_for_another_team_does_not_end_the_wait(
    sync: Sync, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.config = dataclasses.replace(services.config, max_wait_s=20.0)
    since = sync.pull("bob")["next"]
    reads: list[int] = []
    looked = threading.Condition()
    read_pull = pull.read_pull

    def counted(*args: Any) -> Any:
        page = read_pull(*args)
        with looked:
            reads.append(len(page.events))
            looked.notify_all()
        return page

    monkeypatch.setattr(pull, "read_pull", counted)
    mine = post(sync.team("ward"), "For the ward")

    def push_in_turn() -> None:
        with looked:
            assert looked.wait_for(lambda: len(reads) >= 1, 10)
        sync.push("carol", post(sync.team("community"), "Not for the ward"))
        with looked:
            assert looked.wait_for(lambda: len(reads) >= 2, 10)
        sync.push("alice", mine)

    pusher = threading.Thread(target=push_in_turn)
    pusher.start()
    page = sync.pull("bob", since, wait=20)
    pusher.join()
    assert [e["data"]["id"] for e in page["events"]] == [mine["message_id"]]
    assert reads[:2] == [0, 0] and reads[-1] == 1
