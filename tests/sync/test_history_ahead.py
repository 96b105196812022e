"""History pages fetched ahead while the lane applies earlier ones, and applied together.

What must not change: pages are applied one after another in the order fetched, each with its
progress, a page only where the progress is the `before` it was fetched with, and nothing pulled
comes between a page's fetch and its application (a retraction made after a page was fetched
still removes the message). Waits are on events (with a generous bound), never sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wardlink.core.clock import ManualClock
from wardlink.core.model import Team, TeamKind
from wardlink.core.protocol import Event, HistoryResponse, MessageRetract
from wardlink.core.protocol.event_pages import HistoryPage, read_history_page
from wardlink.store import messages, teams
from wardlink.store.database import Store
from wardlink.store.errors import DiskFull
from wardlink.store.lane import DbLane
from wardlink.store.teams import Backfill
from wardlink.sync import backfill, history_ahead
from wardlink.sync.backfill import apply_history_pages, backfill_team
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import Offline
from wardlink.sync.history_ahead import FetchedPage, HistoryAhead

from .engine_watch import WAIT
from .live_server import LiveServer
from .test_apply import Devices, new_id, post_op

DAYS = 30
TEAM = "10000000-0000-4000-8000-000000000001"
ME = "00000000-0000-4000-8000-00000000000a"
OTHER = "00000000-0000-4000-8000-00000000000b"
AT = "2026-11-28T09:00:00.000Z"
Answered = Callable[[int, HistoryResponse], None]


@pytest.fixture
def devices(live_server: LiveServer, tmp_path: Path) -> Iterator[Devices]:
    opened = Devices(live_server, tmp_path)
    yield opened
    opened.close()


class Recording(RecordClient):
    """Notes the `before` of each history request; `answered(n, page)` runs once the n-th
    answer (1-based) is in, on the thread that fetched it."""

    def __init__(self, inner: RecordClient, answered: Answered | None = None) -> None:
        super().__init__(inner.transport)
        self.befores: list[int | None] = []
        self.answered = answered

    def history_bytes(self, team_id: str, *, before: int | None, limit: int = 200) -> bytes:
        raw = super().history_bytes(team_id, before=before, limit=limit)
        self.befores.append(before)
        if self.answered is not None:
            self.answered(len(self.befores), read_history_page(raw).response)
        return raw


def hold_first_apply(monkeypatch: pytest.MonkeyPatch, until: threading.Event) -> list[int]:
    """Hold the lane's first `apply_history_pages` until `until` is set (failing if it is not
    within WAIT); returns the number of pages of each call, in order."""
    real = backfill.apply_history_pages
    sizes: list[int] = []

    def held(store: Store, team_id: str, pages: list[FetchedPage], **options: object) -> object:
        sizes.append(len(pages))
        if len(sizes) == 1:
            assert until.wait(WAIT), "the next page was not fetched while this one was applied"
        return real(store, team_id, pages, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(backfill, "apply_history_pages", held)
    return sizes


def _team_of_six(live_server: LiveServer, devices: Devices) -> tuple[str, str, list[str]]:
    team_id, team = live_server.new_team()
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    ops = [post_op(team_id, f"Obs round {n} done") for n in range(6)]
    for op in ops:
        bob.push(op)
    return team_id, team, [op.message_id for op in ops]


def _ids(lane: DbLane, team_id: str) -> list[str]:
    return [m.id for m in lane.call(messages.latest_messages, team_id, 1000)]


# -- against the record server ------------------------------------------------------------------


def test_the_next_page_is_fetched_while_the_lane_applies_one(
    live_server: LiveServer, devices: Devices, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id, team, ids = _team_of_six(live_server, devices)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)
    second = threading.Event()
    client = Recording(alice.client, lambda n, _page: second.set() if n == 2 else None)
    sizes = hold_first_apply(monkeypatch, second)
    progress: list[int] = []

    done = backfill_team(
        alice.lane,
        client,
        team_id,
        history_days=DAYS,
        clock=clock,
        page_size=2,
        on_applied=progress.append,
    )

    assert done.complete and not done.has_older and done.applied == len(ids)
    assert _ids(alice.lane, team_id) == ids
    assert sizes[0] == 1 and sum(sizes) == done.pages == 3  # the first page alone, at once
    assert sum(progress) == done.applied and len(progress) == len(sizes)
    # Each page was fetched from where the one before it left the progress: no page twice.
    befores = [b for b in client.befores if b is not None]
    assert befores == sorted(set(befores), reverse=True) and len(befores) == done.pages
    assert alice.lane.call(teams.get_backfill, team_id) == Backfill(team_id, 0, True)


class TeamsAsked(RecordClient):
    """Notes the team of each history request, in order; `asked` is set at each."""

    def __init__(self, inner: RecordClient) -> None:
        super().__init__(inner.transport)
        self.teams: list[str] = []
        self.asked = threading.Event()

    def history_bytes(self, team_id: str, *, before: int | None, limit: int = 200) -> bytes:
        self.teams.append(team_id)
        self.asked.set()
        return super().history_bytes(team_id, before=before, limit=limit)


def test_the_next_teams_pages_are_fetched_while_this_teams_last_are_written(
    live_server: LiveServer, devices: Devices, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_id, first, first_ids = _team_of_six(live_server, devices)
    second_id, second, second_ids = _team_of_six(live_server, devices)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(first, second)), clock=clock)
    client = TeamsAsked(alice.client)
    real = backfill.apply_history_pages
    held_last: list[str] = []

    def held(store: Store, team_id: str, pages: list[FetchedPage], **options: object) -> object:
        last = any(f.page is not None and not f.page.more for f in pages)
        if last and not held_last:  # the first team's last pages: the other's are on the way
            held_last.append(team_id)
            client.asked.clear()
            assert client.asked.wait(WAIT), "the next team was not fetched meanwhile"
            assert client.teams[-1] != team_id
        return real(store, team_id, pages, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(backfill, "apply_history_pages", held)
    done = backfill.backfill_all(alice.lane, client, history_days=DAYS, clock=clock, page_size=2)

    assert [d.complete for d in done] == [True, True] and held_last
    assert _ids(alice.lane, first_id) == first_ids and _ids(alice.lane, second_id) == second_ids
    # Each team's pages were asked for in one run, the second's after the first's.
    firsts = [n for n, t in enumerate(client.teams) if t == held_last[0]]
    assert firsts == list(range(len(firsts)))


def test_a_retraction_made_after_a_page_was_fetched_ahead_still_removes_the_message(
    live_server: LiveServer, devices: Devices, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id, team = live_server.new_team()
    bob = devices.open(live_server.new_staff("bob", teams=(team,)))
    for n in range(6):
        bob.push(post_op(team_id, f"Obs round {n} done"))
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)
    retracted = threading.Event()
    gone: list[str] = []

    def retract_after_second_page(n: int, page: HistoryResponse) -> None:
        if n != 2:
            return
        # The server made this page with the message in it; now its author retracts it, while
        # the page waits to be applied behind the first one.
        gone.append(next(str(e.data["id"]) for e in page.events if e.type == "message"))
        bob.push(MessageRetract(new_id(), gone[0], "wrong bay"))
        retracted.set()

    hold_first_apply(monkeypatch, retracted)
    backfill_team(
        alice.lane,
        Recording(alice.client, retract_after_second_page),
        team_id,
        history_days=DAYS,
        clock=clock,
        page_size=2,
    )
    assert gone[0] in _ids(alice.lane, team_id)  # the page from before the retraction, applied

    alice.pull_all()  # the retraction comes after it, and wins
    assert gone[0] not in _ids(alice.lane, team_id)


def test_a_failed_fetch_ahead_is_raised_after_the_pages_before_it(
    live_server: LiveServer, devices: Devices
) -> None:
    team_id, team, ids = _team_of_six(live_server, devices)
    clock = ManualClock(dt.datetime.now(dt.UTC))
    alice = devices.open(live_server.new_staff("alice", teams=(team,)), clock=clock)

    def drop_the_third(n: int, _page: HistoryResponse) -> None:
        if n == 3:
            raise Offline()

    with pytest.raises(Offline):
        backfill_team(
            alice.lane,
            Recording(alice.client, drop_the_third),
            team_id,
            history_days=DAYS,
            clock=clock,
            page_size=2,
        )
    state = alice.lane.call(teams.get_backfill, team_id)
    assert state is not None and not state.complete
    assert _ids(alice.lane, team_id) == ids[2:]  # the two pages before it, newest first, kept
    done = backfill_team(alice.lane, alice.client, team_id, history_days=DAYS, clock=clock)
    assert done.complete and _ids(alice.lane, team_id) == ids


# -- applying what is ready ---------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "w.db", secrets.token_bytes(32), me=ME)
    teams.save_directory(s, teams=[Team(TEAM, "Ward 7", TeamKind.WARD)])
    with s.transaction():
        teams.set_backfill_in_tx(s, TEAM, 100, complete=False)
    yield s
    s.close()


def _page(seqs: range, *, more: bool = True) -> HistoryResponse:
    """Messages with these seqs, newest first."""
    return HistoryResponse(
        tuple(
            Event(
                seq,
                "message",
                TEAM,
                AT,
                {
                    "id": str(uuid.UUID(int=seq)),
                    "op_id": new_id(),
                    "author": {"id": OTHER, "display_name": "Bob Brown"},
                    "body": f"Obs round {seq} done",
                    "priority": "routine",
                    "client_ts": AT,
                    "server_ts": AT,
                },
            )
            for seq in sorted(seqs, reverse=True)
        ),
        more=more,
    )


def _seqs(store: Store) -> list[int]:
    return [m.seq or 0 for m in messages.latest_messages(store, TEAM, 1000)]


def test_pages_are_applied_in_turn_each_only_where_the_progress_is_its_before(
    store: Store,
) -> None:
    ready = [
        FetchedPage(100, _page(range(90, 100))),
        FetchedPage(90, _page(range(80, 90))),
        FetchedPage(75, _page(range(65, 75))),  # guessed wrong: the progress is at 80
        FetchedPage(65, _page(range(55, 65))),
    ]
    result = apply_history_pages(store, TEAM, ready, window_start=None)
    assert result.pages == 2 and not result.ended and result.applied.applied == 20
    assert result.backfill == Backfill(TEAM, 80, False)
    assert _seqs(store) == list(range(80, 100))
    assert teams.get_backfill(store, TEAM) == Backfill(TEAM, 80, False)

    none = apply_history_pages(store, TEAM, ready[2:], window_start=None)
    assert none.pages == 0 and none.applied.applied == 0 and _seqs(store) == list(range(80, 100))


def test_applying_stops_after_the_page_that_ends_the_backfill(store: Store) -> None:
    window_start = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    old = _page(range(80, 90))
    older = HistoryResponse(
        tuple(
            Event(e.seq, e.type, e.team_id, "2026-10-01T09:00:00.000Z", e.data) for e in old.events
        ),
        more=True,
    )
    ready = [FetchedPage(100, _page(range(90, 100))), FetchedPage(90, older)]
    ready.append(FetchedPage(80, _page(range(70, 80))))
    result = apply_history_pages(store, TEAM, ready, window_start=window_start)
    assert result.pages == 2 and result.ended  # the second page is past the window
    assert _seqs(store) == list(range(90, 100))
    assert teams.get_backfill(store, TEAM) == Backfill(TEAM, 90, True)


def test_pages_applied_together_commit_together(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = messages.apply_remote_messages_in_tx
    calls: list[int] = []

    def full_on_the_second(store: Store, rows: object) -> frozenset[str]:
        calls.append(1)
        if len(calls) == 2:
            raise DiskFull()
        return real(store, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(messages, "apply_remote_messages_in_tx", full_on_the_second)
    ready = [FetchedPage(100, _page(range(90, 100))), FetchedPage(90, _page(range(80, 90)))]
    with pytest.raises(DiskFull):
        apply_history_pages(store, TEAM, ready, window_start=None)
    assert _seqs(store) == [] and teams.get_backfill(store, TEAM) == Backfill(TEAM, 100, False)


# -- the worker ---------------------------------------------------------------------------------


class Pages(RecordClient):
    """A server of one team's history, seqs `top`-1 down to 1, `size` a page; it can hold an
    answer until released, and fail at a given request."""

    def __init__(self, top: int, size: int, *, fail_at: int | None = None) -> None:
        super().__init__(transport=None)  # type: ignore[arg-type]
        self.top, self.size, self.fail_at = top, size, fail_at
        self.befores: list[int | None] = []
        self.release = threading.Event()
        self.release.set()
        self.asked = threading.Condition()

    def history_bytes(self, team_id: str, *, before: int | None, limit: int = 200) -> bytes:
        with self.asked:
            self.befores.append(before)
            self.asked.notify_all()
        assert self.release.wait(WAIT)
        if len(self.befores) == self.fail_at:
            raise Offline()
        start = self.top if before is None else before
        page = _page(range(max(1, start - self.size), start), more=start - self.size > 1)
        return json.dumps(page.to_json()).encode()

    def wait_for_requests(self, count: int) -> None:
        with self.asked:
            assert self.asked.wait_for(lambda: len(self.befores) >= count, WAIT)


def test_the_next_page_is_asked_for_before_this_one_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = Pages(top=100, size=10)
    read = history_ahead.read_history_page
    reads: list[bytes] = []

    def reading(raw: bytes) -> HistoryPage:
        reads.append(raw)
        if len(reads) < 3:  # the last one is not followed by another: the limit is 3
            server.wait_for_requests(len(reads) + 1)  # the server has the next request already
        return read(raw)

    monkeypatch.setattr(history_ahead, "read_history_page", reading)
    with HistoryAhead(server, TEAM, 100, page_size=10, window_start=None, limit=3) as ahead:
        taken = ahead.take()
        while more := ahead.take():
            taken += more
    assert [f.before for f in taken] == [100, 90, 80]
    assert server.befores == [100, 90, 80]  # and not one more: the limit counts what is asked


def test_after_the_first_page_the_lane_is_given_pages_a_batch_at_a_time() -> None:
    server = Pages(top=200, size=10)
    with HistoryAhead(
        server, TEAM, 200, page_size=10, window_start=None, limit=11, ahead=6, batch=3
    ) as ahead:
        takes = [ahead.take()]
        while takes[-1]:
            takes.append(ahead.take())
    sizes = [len(t) for t in takes[:-1]]
    assert sum(sizes) == 11 and max(sizes) <= 6
    assert all(size >= 3 for size in sizes[1:-1])  # one commit for each batch, not each page
    assert [f.before for t in takes for f in t] == list(range(200, 90, -10))


def test_the_worker_fetches_ahead_by_guess_within_its_bounds() -> None:
    server = Pages(top=100, size=10)
    with HistoryAhead(server, TEAM, 100, page_size=10, window_start=None, limit=6, ahead=2) as a:
        server.wait_for_requests(2)
        takes = [a.take()]
        while takes[-1]:
            takes.append(a.take())
    assert all(len(t) <= 2 for t in takes)  # never more than `ahead` waiting
    taken = [page for t in takes for page in t]
    assert [f.before for f in taken] == [100, 90, 80, 70, 60, 50]  # each guessed from the last
    assert all(f.messages and len(f.messages) == 10 for f in taken)  # read ahead, off the lane
    assert server.befores == [100, 90, 80, 70, 60, 50]  # stopped at its limit


def test_the_worker_stops_after_the_last_page_and_raises_what_stopped_it_in_turn() -> None:
    server = Pages(top=30, size=10)
    with HistoryAhead(server, TEAM, 30, page_size=10, window_start=None, limit=None) as ahead:
        pages = ahead.take()
        while more := ahead.take():
            pages += more
    assert [f.before for f in pages] == [30, 20, 10] and server.befores == [30, 20, 10]

    failing = Pages(top=100, size=10, fail_at=2)
    with HistoryAhead(failing, TEAM, 100, page_size=10, window_start=None, limit=None) as ahead:
        failing.wait_for_requests(2)
        assert [f.before for f in ahead.take()] == [100]
        with pytest.raises(Offline):
            ahead.take()


def test_closing_the_worker_drops_a_page_in_flight() -> None:
    server = Pages(top=100, size=10)
    server.release.clear()
    ahead = HistoryAhead(server, TEAM, 100, page_size=10, window_start=None, limit=None)
    server.wait_for_requests(1)
    closing = threading.Thread(target=ahead.close)
    closing.start()
    server.release.set()  # the answer comes in after close() was asked for
    closing.join(WAIT)
    assert not closing.is_alive()
    assert server.befores == [100]  # nothing more was asked for
