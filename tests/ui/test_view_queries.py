"""The read operations shaped for the views (they run on the lane like any operation)."""

from __future__ import annotations

from wardlink.store import messages
from wardlink.store.lane import DbLane
from wardlink.store.migrations import LOCAL_BASE
from wardlink.ui import demo_history, view_queries

WARD = demo_history.WARD.id


def test_pages_and_refreshes(lane: DbLane, history: None) -> None:
    newest = lane.call(view_queries.older_page, WARD, None, 5)
    assert len(newest.positions) == 5 and newest.has_older
    assert newest.positions == sorted(newest.positions)
    assert set(newest.messages) == set(newest.positions)
    assert newest.positions[-1] > LOCAL_BASE  # my held message sits after everything sent
    older = lane.call(view_queries.older_page, WARD, newest.positions[0], 1000)
    assert not older.has_older and max(older.positions) < newest.positions[0]

    everything = older.positions + newest.positions
    again = lane.call(view_queries.refreshed_page, WARD, everything[3], 2, everything[4])
    assert again.positions == everything[3:]
    assert again.has_older
    assert set(again.messages) >= {*everything[-2:], everything[4]}
    assert len(again.messages) < len(again.positions)  # the rest stay positions only


def test_positions_from_walks_past_one_step(lane: DbLane, directory: None) -> None:
    page = [
        messages.RemoteMessage(
            seq=seq,
            id=f"m{seq}",
            team_id=WARD,
            author_id=demo_history.BOB.id,
            author_name="Bob Adeyemi",
            body=f"obs {seq}",
            priority="routine",
            client_ts="2026-11-26T09:00:00.000Z",
            server_ts="2026-11-26T09:00:01.000Z",
        )
        for seq in range(1, 2501)
    ]
    lane.call(messages.apply_remote_messages, page)
    positions, has_older = lane.call(view_queries.positions_from, WARD, 10)
    assert positions == list(range(10, 2501)) and has_older
    positions, has_older = lane.call(view_queries.positions_from, WARD, 1)
    assert len(positions) == 2500 and not has_older


def test_search_hits_know_where_to_jump(lane: DbLane, history: None) -> None:
    found = lane.call(view_queries.search_everywhere, "office")
    assert found.terms == ("office",)
    by_body = {hit.message.body: hit for hit in found.hits}
    held = by_body[demo_history.HELD_BODY]
    assert held.position > LOCAL_BASE and held.message.seq is None
    assert held.team_name == "Ward 7 (Surgical)"
    sent = next(h for h in found.hits if h.message.seq is not None)
    assert sent.position == sent.message.seq
    overview = lane.call(view_queries.team_overview)
    assert [t.name for t in overview.teams] == [
        "Community Nursing North",
        "Hospital at Night",
        "Ward 7 (Surgical)",
    ]
