"""Messages: local echo with its outbox row, bulk apply, timelines, unread, receipts, held."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.clock import ManualClock
from wardlink.core.model import MessageState, Priority
from wardlink.store import messages, outbox, teams
from wardlink.store.database import Store
from wardlink.store.migrations import LOCAL_BASE
from wardlink.store.outbox import OpResult

from .store_helpers import COMMUNITY, ME, OTHER, START, WARD, new_store, remote


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    yield s
    s.close()


def test_local_message_and_its_op_are_written_together(store: Store) -> None:
    msg, changes = messages.add_local_message(
        store, WARD, "Bay 3 needs a porter", priority=Priority.URGENT
    )
    assert msg.state is MessageState.QUEUED
    assert msg.seq is None
    assert msg.author_name == "Alice Adams"
    assert changes.messages == {WARD} and changes.outbox
    batch = outbox.next_batch(store)
    assert len(batch) == 1
    op = batch[0].as_op()
    assert op["type"] == "message.post"
    assert op["message_id"] == msg.id
    assert op["body"] == "Bay 3 needs a porter"
    assert op["priority"] == "urgent"
    assert op["client_ts"] == "2026-11-28T09:00:00.000Z"
    assert "note_ref" not in op


def test_a_new_message_and_its_op_have_time_ordered_ids_from_the_store_clock(store: Store) -> None:
    """Ids made in order sit together in every index keyed by them (see `core.ids`)."""
    first, _ = messages.add_local_message(store, WARD, "Bay 3 obs due")
    assert isinstance(store.clock, ManualClock)
    store.clock.advance(dt.timedelta(seconds=1))
    second, _ = messages.add_local_message(store, WARD, "Bay 4 obs due")
    millis = int(START.timestamp() * 1000)
    for made, at in ((first.id, millis), (second.id, millis + 1000)):
        assert uuid.UUID(made).version == 7 and uuid.UUID(made).int >> 80 == at
    ops = [item.as_op()["op_id"] for item in outbox.next_batch(store)]
    assert all(uuid.UUID(str(op)).version == 7 for op in ops)
    assert [first.id, second.id] == sorted([first.id, second.id]) and ops == sorted(ops)


def test_a_failed_write_leaves_neither_message_nor_op(store: Store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"):
        messages.add_local_message(store, "no-such-team", "hello")
    assert outbox.pending_count(store) == 0
    assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_apply_is_idempotent_and_keeps_team_order(store: Store) -> None:
    page = [remote(s, f"msg {s}") for s in (5, 7, 9)]
    messages.apply_remote_messages(store, page, cursor=9)
    messages.apply_remote_messages(store, page, cursor=9)
    latest = messages.latest_messages(store, WARD)
    assert [m.body for m in latest] == ["msg 5", "msg 7", "msg 9"]
    assert [m.seq for m in latest] == [5, 7, 9]
    assert store.get_state("cursor") == "9"


def test_own_echo_settles_the_queued_message_without_a_duplicate(store: Store) -> None:
    msg, _ = messages.add_local_message(store, WARD, "mine")
    messages.apply_remote_messages(store, [remote(12, "mine", author=ME, mid=msg.id)])
    rows = messages.latest_messages(store, WARD)
    assert len(rows) == 1
    assert rows[0].state is MessageState.SENT and rows[0].seq == 12
    # the push result arriving afterwards is harmless
    (item,) = outbox.next_batch(store)
    messages_changes = outbox.record_results(store, [OpResult(item.op_id, "duplicate", seq=12)])
    assert messages_changes.messages == {WARD}
    assert messages.get_message(store, msg.id).seq == 12  # type: ignore[union-attr]
    assert outbox.pending_count(store) == 0


def test_push_result_moves_message_into_server_order(store: Store) -> None:
    messages.apply_remote_messages(store, [remote(3, "before")])
    messages.add_local_message(store, WARD, "queued one")
    messages.apply_remote_messages(store, [remote(8, "after")])
    # while queued, our message sits after everything the server ordered
    assert [m.body for m in messages.latest_messages(store, WARD)] == [
        "before",
        "after",
        "queued one",
    ]
    (item,) = outbox.next_batch(store)
    outbox.record_results(store, [OpResult(item.op_id, "applied", seq=5)])
    assert [m.body for m in messages.latest_messages(store, WARD)] == [
        "before",
        "queued one",
        "after",
    ]


def test_rejected_message_is_held_with_reason_then_edited_and_requeued(store: Store) -> None:
    msg, _ = messages.add_local_message(store, WARD, "Mrs Example in bed 4")
    (item,) = outbox.next_batch(store)
    outbox.record_results(
        store,
        [
            OpResult(
                item.op_id,
                "rejected",
                error_code="patient_identifiers",
                error_message="The message contains a patient name.",
            )
        ],
    )
    held = messages.get_message(store, msg.id)
    assert held is not None and held.state is MessageState.HELD
    assert held.held_reason == "The message contains a patient name."
    assert outbox.pending_count(store) == 0
    messages.edit_held_message(store, msg.id, "Patient in bed 4 needs review")
    again = messages.get_message(store, msg.id)
    assert again is not None and again.state is MessageState.QUEUED and again.held_reason is None
    (item2,) = outbox.next_batch(store)
    assert item2.op_id != item.op_id and item2.payload["body"] == "Patient in bed 4 needs review"


def test_held_message_can_be_discarded(store: Store) -> None:
    msg, _ = messages.add_local_message(store, WARD, "x")
    (item,) = outbox.next_batch(store)
    outbox.record_results(store, [OpResult(item.op_id, "rejected", error_code="invalid")])
    messages.discard_held_message(store, msg.id)
    assert messages.get_message(store, msg.id) is None


def test_pages_before_a_message(store: Store) -> None:
    messages.apply_remote_messages(store, [remote(s, f"m{s}") for s in range(1, 121)])
    messages.apply_remote_messages(store, [remote(500, "other team", team=COMMUNITY)])
    latest = messages.latest_messages(store, WARD, 50)
    assert [m.seq for m in latest] == list(range(71, 121))
    older = messages.messages_before(store, WARD, latest[0].id, 50)
    assert [m.seq for m in older] == list(range(21, 71))
    positions = messages.timeline_positions(store, WARD, before=21, limit=100)
    assert positions == list(range(20, 0, -1))
    found = messages.messages_at(store, [5, 6, 999999])
    assert sorted(found) == [5, 6]


def test_unread_counts_and_read_receipt_coalescing(store: Store) -> None:
    messages.apply_remote_messages(
        store, [remote(s, "x") for s in range(1, 11)] + [remote(11, "mine", author=ME)]
    )
    messages.add_local_message(store, WARD, "queued is never unread")
    assert messages.unread_counts(store) == {WARD: 10, COMMUNITY: 0}
    messages.mark_read(store, WARD, 4)
    messages.mark_read(store, WARD, 8)
    messages.mark_read(store, WARD, 6)  # going backwards changes nothing
    assert messages.unread_counts(store)[WARD] == 2
    receipts = [i for i in outbox.next_batch(store) if i.type == "receipt.read"]
    assert len(receipts) == 1 and receipts[0].payload == {"team_id": WARD, "up_to_seq": 8}


def test_my_messages_reached_by_each_read_position(store: Store) -> None:
    """Under which of my sent messages each read position falls: the newest at or before it,
    in this team, never a queued one, and none below `lowest`."""
    mine, theirs = (3, 6, 7), (1, 2, 4, 5, 8, 9)
    messages.apply_remote_messages(
        store,
        [remote(s, "mine", author=ME) for s in mine]
        + [remote(s, "theirs") for s in theirs]
        + [remote(10, "mine elsewhere", author=ME, team=COMMUNITY)],
    )
    messages.add_local_message(store, WARD, "queued, no seq yet")
    reached = messages.my_messages_reached(store, WARD, [2, 3, 5, 6, 9, 10, 7])
    assert reached == {3: 3, 5: 3, 6: 6, 7: 7, 9: 7, 10: 7}  # 2: nothing of mine yet
    assert messages.my_messages_reached(store, WARD, [9, 5], lowest=4) == {9: 7}
    assert messages.my_messages_reached(store, WARD, []) == {}
    assert messages.my_messages_reached(store, COMMUNITY, [12]) == {12: 10}


def test_unread_count_is_capped(store: Store) -> None:
    messages.apply_remote_messages(store, [remote(s, "x") for s in range(1, 1200)])
    assert messages.unread_counts(store)[WARD] == messages.UNREAD_CAP


def test_retract_sent_message_queues_retract_and_audits(store: Store) -> None:
    messages.apply_remote_messages(store, [remote(3, "oops", author=ME, mid="mine-1")])
    messages.retract_message(store, "mine-1", "posted in the wrong team")
    assert messages.get_message(store, "mine-1") is None
    (item,) = outbox.next_batch(store)
    assert item.type == "message.retract"
    assert item.payload == {"message_id": "mine-1", "reason": "posted in the wrong team"}
    action = store.conn.execute("SELECT action, subject FROM audit").fetchall()
    assert action == [("message.retract", "mine-1")]


def test_retract_of_a_queued_message_just_withdraws_it(store: Store) -> None:
    msg, _ = messages.add_local_message(store, WARD, "never mind")
    messages.retract_message(store, msg.id, "typo")
    assert outbox.pending_count(store) == 0
    assert messages.get_message(store, msg.id) is None


def test_remote_retraction_and_ack(store: Store) -> None:
    urgent = dataclasses.replace(remote(4, "Crash call bay 2"), priority="urgent")
    messages.apply_remote_messages(store, [remote(3, "gone soon"), urgent])
    with store.transaction():
        assert messages.apply_retraction_in_tx(store, "m-3") == {WARD}
    assert messages.get_message(store, "m-3") is None
    messages.acknowledge(store, "m-4")
    assert messages.get_message(store, "m-4").acked  # type: ignore[union-attr]
    (item,) = outbox.next_batch(store)
    assert item.type == "message.ack" and item.payload == {"message_id": "m-4"}


def test_local_positions_sit_above_server_positions(store: Store) -> None:
    m1, _ = messages.add_local_message(store, WARD, "a")
    m2, _ = messages.add_local_message(store, WARD, "b")
    pos = [r[0] for r in store.conn.execute("SELECT pos FROM messages ORDER BY pos")]
    assert pos == [LOCAL_BASE + 1, LOCAL_BASE + 2]
    assert [i.payload["message_id"] for i in outbox.next_batch(store)] == [m1.id, m2.id]


def test_outbox_batches_respect_limits(store: Store) -> None:
    for i in range(30):
        messages.add_local_message(store, WARD, f"{i} " + "y" * 1000)
    assert len(outbox.next_batch(store, limit=10)) == 10
    assert len(outbox.next_batch(store, max_bytes=5000)) == 4
    assert len(outbox.next_batch(store, max_bytes=10)) == 1  # the head op always goes


def test_directory_lists_teams_and_members(store: Store) -> None:
    assert [t.name for t in teams.list_teams(store)] == [
        "Community Nursing North",
        "Ward 7 (Surgical)",
    ]
    with store.transaction():
        teams.add_member_in_tx(store, WARD, ME)
        teams.add_member_in_tx(store, WARD, OTHER)
        teams.add_member_in_tx(store, WARD, OTHER)
    assert [s.username for s in teams.team_members(store, WARD)] == ["alice", "bob"]
    with store.transaction():
        teams.remove_member_in_tx(store, WARD, OTHER)
    assert [s.username for s in teams.team_members(store, WARD)] == ["alice"]
    assert teams.get_staff(store, OTHER).display_name == "Bob Brown"  # type: ignore[union-attr]
