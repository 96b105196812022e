"""History backfill: newest-first down to the window, resumable, idempotent, older on demand.

The record server stamps events with the real time, so the window is placed relative to those
times with a ManualClock on the client (the server's clock is never moved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.clock import ManualClock, parse_timestamp
from wardlink.core.protocol import MessageAck, NoteAmend, NoteSubmit
from wardlink.store import messages, notes, teams
from wardlink.store.teams import Backfill
from wardlink.sync import apply
from wardlink.sync.backfill import backfill_all, backfill_team, load_older
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import Offline

from .live_server import LiveServer
from .test_apply import Device, Devices, amended_resource, count, new_id, note_resource, post_op

DAYS = 30


@pytest.fixture
def devices(live_server: LiveServer, tmp_path: Path) -> Iterator[Devices]:
    opened = Devices(live_server, tmp_path)
    yield opened
    opened.close()


def _team_with_history(
    live_server: LiveServer, devices: Devices, count_: int
) -> tuple[str, str, Device, list[str], list[int]]:
    """A team whose member bob posted `count_` messages, one push each; returns the team id and
    name, bob's device, the message ids and their seqs, oldest first."""
    team_id, team = live_server.new_team()
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    ops = [post_op(team_id, f"Obs round {n} done") for n in range(count_)]
    seqs = [bob.push(op)[0] or 0 for op in ops]
    return team_id, team, bob, [op.message_id for op in ops], seqs


def _ids(device: Device, team_id: str) -> list[str]:
    return [m.id for m in device.lane.call(messages.latest_messages, team_id, 1000)]


def _times(device: Device, team_id: str) -> dict[int, dt.datetime]:
    """Each history event's seq and server time, as the server reports them."""
    page = device.client.history(team_id, before=None, limit=1000)
    return {e.seq: parse_timestamp(e.at) for e in page.events}


def test_a_new_device_backfills_newest_first_down_to_the_window(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, bob, ids, seqs = _team_with_history(live_server, devices, 8)
    at = _times(bob, team_id)
    # The window starts at a message whose time differs from the one before it.
    cut = next(i for i in range(len(seqs) // 2, len(seqs)) if at[seqs[i]] > at[seqs[i - 1]])
    clock = ManualClock(at[seqs[cut]] + dt.timedelta(days=DAYS))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)
    cursor = alice.lane.call(apply.read_cursor)

    done = backfill_team(
        alice.lane, alice.client, team_id, history_days=DAYS, clock=clock, page_size=2
    )

    assert _ids(alice, team_id) == ids[cut:]
    assert done.complete and done.has_older and done.applied == len(ids) - cut
    assert done.pages == (len(ids) - cut) // 2 + 1
    assert alice.lane.call(teams.get_backfill, team_id) == Backfill(team_id, seqs[cut], True)
    assert alice.lane.call(teams.teams_to_backfill) == []
    assert alice.lane.call(apply.read_cursor) == cursor  # history never moves the cursor
    positions = [m.seq for m in alice.lane.call(messages.latest_messages, team_id)]
    assert positions == seqs[cut:]

    # Scrolling past the local start loads older pages, whatever the window.
    older = load_older(alice.lane, alice.client, team_id, limit=2)
    assert older.applied == 2 and older.has_older
    assert _ids(alice, team_id) == ids[cut - 2 :]
    while older.has_older:
        older = load_older(alice.lane, alice.client, team_id, limit=2)
    assert _ids(alice, team_id) == ids
    assert alice.lane.call(teams.get_backfill, team_id) == Backfill(team_id, 0, True)
    assert load_older(alice.lane, alice.client, team_id).applied == 0


def test_a_window_covering_everything_fetches_all_and_says_nothing_is_older(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, _, ids, _ = _team_with_history(live_server, devices, 3)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)
    (done,) = backfill_all(alice.lane, alice.client, history_days=DAYS, clock=clock)
    assert done.team_id == team_id and done.complete and not done.has_older
    assert _ids(alice, team_id) == ids
    assert alice.lane.call(teams.get_backfill, team_id) == Backfill(team_id, 0, True)


class FailingOnce(RecordClient):
    """The network drops on the `fail_at`-th history request (1-based), once."""

    def __init__(self, inner: RecordClient, fail_at: int) -> None:
        super().__init__(inner.transport)
        self.calls = 0
        self.fail_at = fail_at

    def history_bytes(self, team_id: str, *, before: int | None, limit: int = 200) -> bytes:
        self.calls += 1
        if self.calls == self.fail_at:
            raise Offline()
        return super().history_bytes(team_id, before=before, limit=limit)


def test_an_interrupted_backfill_resumes_where_it_stopped_without_duplicates(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, bob, ids, seqs = _team_with_history(live_server, devices, 7)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)
    bob.push(post_op(team_id, "After alice signed in"))
    alice.pull_all()

    flaky = FailingOnce(alice.client, fail_at=3)
    with pytest.raises(Offline):
        backfill_team(alice.lane, flaky, team_id, history_days=DAYS, clock=clock, page_size=2)
    # Two pages were applied, each with its progress. The first overlapped the pulled message
    # (the backfill starts below the current cursor), which is still there once.
    assert _ids(alice, team_id)[:-1] == ids[4:]
    assert alice.lane.call(teams.get_backfill, team_id) == Backfill(team_id, seqs[4], False)

    # A bounded step (the engine pulls between pages), then the rest.
    step = backfill_team(
        alice.lane, alice.client, team_id, history_days=DAYS, clock=clock, page_size=2, max_pages=1
    )
    assert step.pages == 1 and not step.complete
    backfill_team(alice.lane, alice.client, team_id, history_days=DAYS, clock=clock, page_size=2)
    assert _ids(alice, team_id)[:-1] == ids
    assert count(alice.lane, "SELECT count(*) FROM messages WHERE team_id = ?", team_id) == 8
    # Running it again fetches nothing: it is complete.
    again = backfill_all(alice.lane, alice.client, history_days=DAYS, clock=clock)
    assert again == []
    older = load_older(alice.lane, alice.client, team_id)
    assert older.applied == 0 and not older.has_older


def test_a_team_joined_later_is_backfilled_from_its_join(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, bob, ids, _ = _team_with_history(live_server, devices, 3)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice_account = live_server.new_staff("alice")
    alice = devices.open(alice_account, clock=clock)
    live_server.admin("add_member", team, alice_account.username)
    after = post_op(team_id, "Welcome to the team")
    bob.push(after)
    (page,) = alice.pull_all()
    assert page.joined == {team_id}

    (done,) = backfill_all(alice.lane, alice.client, history_days=DAYS, clock=clock)
    assert done.team_id == team_id and done.complete
    assert _ids(alice, team_id) == [*ids, after.message_id]
    assert count(alice.lane, "SELECT count(*) FROM messages WHERE team_id = ?", team_id) == 4


def test_acks_and_amendments_newer_than_what_they_refer_to_are_applied(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team = live_server.new_team()
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    carol = devices.open(live_server.new_staff("carol", teams=(team,)))
    urgent = post_op(team_id, "Fire door alarm on bay 2", priority="urgent")
    bob.push(urgent)
    first = note_resource(bob)
    bob.push(NoteSubmit(new_id(), team_id, first["id"], first))
    second = amended_resource(bob, first)
    bob.push(NoteAmend(new_id(), second["id"], first["id"], "Allergy recorded wrongly", second))
    third = amended_resource(bob, second, reason="Allergy confirmed with the GP")
    bob.push(NoteAmend(new_id(), third["id"], second["id"], "Allergy confirmed with the GP", third))
    carol.push(MessageAck(new_id(), urgent.message_id))
    for _ in range(3):  # the ack ends up on another page than its message
        bob.push(post_op(team_id, "Later chatter"))
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)

    # One event per page, newest first: every amendment and the ack come before what they name.
    backfill_team(alice.lane, alice.client, team_id, history_days=DAYS, clock=clock, page_size=1)

    message = alice.lane.call(messages.get_message, urgent.message_id)
    assert message is not None and message.acked
    versions = alice.lane.call(notes.note_versions, third["id"])
    assert [(n.id, n.version, n.lineage_id) for n in versions] == [
        (first["id"], 1, first["id"]),
        (second["id"], 2, first["id"]),
        (third["id"], 3, first["id"]),
    ]
    assert alice.lane.call(lambda s: s.get_state(messages.EARLY_ACKS_PREFIX + team_id)) is None


def test_a_team_left_meanwhile_stops_its_backfill(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, _, _, _ = _team_with_history(live_server, devices, 2)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice_account = live_server.new_staff("alice", teams=(team,))
    alice = devices.open(alice_account, clock=clock)
    live_server.admin("remove_member", team, alice_account.username)
    done = backfill_team(alice.lane, alice.client, team_id, history_days=DAYS, clock=clock)
    assert done.left_team and not done.complete and done.applied == 0
    (page,) = alice.pull_all()
    assert page.purged == {team_id}
    assert backfill_all(alice.lane, alice.client, history_days=DAYS, clock=clock) == []
