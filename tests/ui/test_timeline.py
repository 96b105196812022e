"""The timeline: a lazy model of positions. A 100,000-message team opens and scrolls without
loading all its rows; changes arrive as appended, updated or removed rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.core.model import Message, MessageState, Priority
from wardlink.store import messages
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.store.messages import RemoteMessage
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline import MAX_ROWS, PAGE_SIZE, TimelineModel
from wardlink.ui.timeline_rows import (
    CachedMessageRole,
    DayLabelRole,
    GroupStartRole,
    PositionRole,
    chunk_to_fetch,
)
from wardlink.ui.timeline_view import TimelineView

from .conftest import ME, NOW, settle

WARD = demo_history.WARD.id
BIG = 100_000


@dataclass
class Fetches:
    """What the UI asked the store for: message rows, and position lists."""

    rows: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> Fetches:
    seen = Fetches()
    rows_at, positions_of = messages.messages_at, messages.timeline_positions

    def counting_rows(store: Store, positions: list[int]) -> dict[int, Message]:
        with seen.lock:
            seen.rows.extend(positions)
        return rows_at(store, positions)

    def counting_positions(store: Store, team_id: str, **kwargs: int | None) -> list[int]:
        found = positions_of(store, team_id, **kwargs)  # type: ignore[arg-type]
        with seen.lock:
            seen.positions.extend(found)
        return found

    monkeypatch.setattr(messages, "messages_at", counting_rows)
    monkeypatch.setattr(messages, "timeline_positions", counting_positions)
    return seen


def big_team(store: Store) -> None:
    def pulled() -> Iterator[RemoteMessage]:
        for seq in range(1, BIG + 1):
            minute = seq // 60
            yield RemoteMessage(
                seq=seq,
                id=f"big-{seq}",
                team_id=WARD,
                author_id=demo_history.BOB.id if seq % 3 else ME.id,
                author_name="Bob Adeyemi" if seq % 3 else ME.display_name,
                body=f"Obs round {seq}: bay {seq % 6 + 1} all settled" + " and fine" * (seq % 4),
                priority="urgent" if seq % 97 == 0 else "routine",
                client_ts=f"2026-11-{10 + minute // 1440:02d}T{minute // 60 % 24:02d}:"
                f"{minute % 60:02d}:00.000Z",
                server_ts=f"2026-11-{10 + minute // 1440:02d}T{minute // 60 % 24:02d}:"
                f"{minute % 60:02d}:01.000Z",
            )

    messages.apply_remote_messages(store, pulled(), cursor=BIG)


@pytest.fixture
def view(qtbot: QtBot, bridge: Bridge) -> TimelineView:
    from wardlink.core.clock import FixedClock

    model = TimelineModel(bridge, me=ME.id, clock=FixedClock(NOW))
    view = TimelineView(model)
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    wait_shown(qtbot, view)
    return view


def model_of(view: TimelineView) -> TimelineModel:
    model = view.model()
    assert isinstance(model, TimelineModel)
    return model


def open_team(qtbot: QtBot, view: TimelineView, bridge: Bridge, team: str = WARD) -> None:
    with qtbot.waitSignal(model_of(view).team_loaded, timeout=10_000):
        model_of(view).open_team(team)
    settle(qtbot, bridge)


def test_a_100000_message_team_opens_and_scrolls_without_loading_all_rows(
    qtbot: QtBot,
    view: TimelineView,
    bridge: Bridge,
    lane: DbLane,
    directory: None,
    fetches: Fetches,
) -> None:
    lane.call(big_team)
    fetches.rows.clear()
    fetches.positions.clear()
    model = model_of(view)
    open_team(qtbot, view, bridge)
    assert model.rowCount() == PAGE_SIZE
    assert view.is_at_bottom()
    newest = model.message_at(model.rowCount() - 1)
    assert newest is not None and newest.seq == BIG
    opened_with = len(fetches.rows)
    assert opened_with <= PAGE_SIZE + 60  # the newest page, and perhaps one chunk on paint

    bar = view.verticalScrollBar()
    for page in range(1, 6):
        oldest_loaded = model.position_at(0)
        with qtbot.waitSignal(model.older_loaded, timeout=10_000) as loaded:
            bar.setValue(0)  # the reader reaches the top: older messages come
        assert loaded.args == [PAGE_SIZE]
        settle(qtbot, bridge)
        assert model.rowCount() == PAGE_SIZE * (page + 1)
        # The reader stays where they were: the message that was at the top still is.
        still = view.indexAt(QPoint(view.viewport().width() // 2, 0))
        assert still.data(PositionRole) == oldest_loaded
        assert bar.value() > 0
    view.scrollToBottom()
    view.grab()  # paints the newest rows
    settle(qtbot, bridge)

    fetched = set(fetches.rows)
    assert len(fetched) <= 6 * PAGE_SIZE + 120
    assert len(fetches.rows) < 2_000  # nowhere near the team's 100,000
    assert len(fetches.positions) < 2_000
    assert model.cached_count() == model.rowCount() < BIG
    assert model.has_older


def test_jumping_far_back_loads_positions_but_only_the_rows_it_shows(
    qtbot: QtBot,
    view: TimelineView,
    bridge: Bridge,
    lane: DbLane,
    directory: None,
    fetches: Fetches,
) -> None:
    lane.call(big_team)
    model = model_of(view)
    open_team(qtbot, view, bridge)
    fetches.rows.clear()
    with qtbot.waitSignal(model.message_located, timeout=20_000) as located:
        model.jump_to(50)
    row = located.args[0]
    assert model.position_at(row) == 50
    settle(qtbot, bridge)
    view.grab()
    settle(qtbot, bridge)
    assert view.current_message() is not None
    assert view.current_message().seq == 50  # type: ignore[union-attr]
    assert len(set(fetches.rows)) < 400  # around the target and on screen, not 1,000 rows


def test_a_sent_message_appears_at_the_bottom(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, history: None
) -> None:
    model = model_of(view)
    open_team(qtbot, view, bridge)
    rows = model.rowCount()
    with qtbot.waitSignal(model.refreshed, timeout=10_000):
        bridge.run(
            messages.add_local_message, WARD, "Porter for bay 3 please", priority=Priority.URGENT
        )
    settle(qtbot, bridge)
    assert model.rowCount() == rows + 1
    mine = model.message_at(rows)
    assert mine is not None and mine.state is MessageState.QUEUED and mine.is_urgent
    assert model.undelivered_urgent == 1
    assert view.is_at_bottom()


def test_changes_update_rows_and_remove_retracted_ones(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, history: None
) -> None:
    model = model_of(view)
    open_team(qtbot, view, bridge)
    urgent_row = next(
        r
        for r in range(model.rowCount())
        if (m := model.message_at(r)) is not None and m.awaiting_ack
    )
    urgent = model.message_at(urgent_row)
    assert urgent is not None
    bridge.run(messages.acknowledge, urgent.id)
    view.grab()  # visible rows made stale by the change are fetched again when painted
    qtbot.waitUntil(lambda: model.message_at(model.row_of_message(urgent.id) or 0).acked)  # type: ignore[union-attr]
    settle(qtbot, bridge)

    mine = next(
        m
        for r in range(model.rowCount())
        if (m := model.message_at(r)) is not None
        and m.author_id == ME.id
        and m.state is MessageState.SENT
    )
    rows = model.rowCount()
    with qtbot.waitSignal(model.refreshed, timeout=10_000):
        bridge.run(messages.retract_message, mine.id, "sent to the wrong team")
    settle(qtbot, bridge)
    assert model.rowCount() == rows - 1
    assert model.row_of_message(mine.id) is None


def test_days_and_authors_are_grouped(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, history: None
) -> None:
    model = model_of(view)
    open_team(qtbot, view, bridge)
    labels = [model.index(r, 0).data(DayLabelRole) for r in range(model.rowCount())]
    shown = [label for label in labels if label]
    assert shown == ["Tuesday 24 November", "Yesterday", "Today"]
    starts = [model.index(r, 0).data(GroupStartRole) for r in range(model.rowCount())]
    assert starts[0] is True
    spoken = model.index(model.rowCount() - 1, 0).data()
    assert spoken.startswith("You at 13:20: Old notes") and "Not sent" in spoken


def test_switching_teams_drops_late_answers(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, history: None
) -> None:
    model = model_of(view)
    model.open_team(WARD)
    with qtbot.waitSignal(model.team_loaded, timeout=10_000) as loaded:
        model.open_team(demo_history.COMMUNITY.id)
    settle(qtbot, bridge)
    assert loaded.args == [demo_history.COMMUNITY.id]
    teams = {model.index(r, 0).data(CachedMessageRole).team_id for r in range(model.rowCount())}
    assert teams == {demo_history.COMMUNITY.id}


def test_rows_are_fetched_in_chunks_around_what_is_wanted() -> None:
    positions = list(range(100, 200))
    row_of = {pos: row for row, pos in enumerate(positions)}
    cached = set(range(100, 150))
    chunk = chunk_to_fetch([160], positions, row_of, lambda p: p not in cached, size=20)
    assert chunk == list(range(155, 165))
    assert chunk_to_fetch([120], positions, row_of, lambda p: p not in cached, size=20) == []
    assert chunk_to_fetch([999], positions, row_of, lambda p: True) == []


def test_reading_far_back_keeps_a_window_of_rows_and_scrolling_down_brings_them_back(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, directory: None
) -> None:
    lane.call(big_team)
    model = model_of(view)
    open_team(qtbot, view, bridge)
    bar = view.verticalScrollBar()
    for _ in range(MAX_ROWS // PAGE_SIZE + 2):  # three pages past what the window holds
        top = model.position_at(0)
        with qtbot.waitSignal(model.older_loaded, timeout=10_000):
            bar.setValue(0)
        settle(qtbot, bridge)
        still = view.indexAt(QPoint(view.viewport().width() // 2, 0))
        assert still.data(PositionRole) == top  # the reader's place is kept throughout
    assert model.rowCount() == MAX_ROWS  # never more rows than the window
    assert model.has_newer
    assert model.position_at(MAX_ROWS - 1) == BIG - 3 * PAGE_SIZE  # the newest rows left
    assert model.cached_count() <= MAX_ROWS

    # A message arriving meanwhile does not move the window the reader is in.
    oldest = model.position_at(0)
    with qtbot.waitSignal(model.refreshed, timeout=10_000):
        bridge.run(messages.add_local_message, WARD, "Handover at 19:30")
    settle(qtbot, bridge)
    assert model.position_at(0) == oldest and model.rowCount() == MAX_ROWS

    # Scrolling down brings the newer rows back, page by page, and the window moves with it.
    with qtbot.waitSignal(model.newer_loaded, timeout=10_000) as came:
        bar.setValue(bar.maximum())
    assert came.args == [PAGE_SIZE]
    settle(qtbot, bridge)
    assert model.rowCount() == MAX_ROWS
    assert model.position_at(MAX_ROWS - 1) == BIG - 2 * PAGE_SIZE
    assert model.position_at(0) == oldest + PAGE_SIZE

    # "Newest" (or sending) brings the window back to the end, with what arrived meanwhile.
    with qtbot.waitSignal(model.team_loaded, timeout=10_000):
        view.scroll_to_newest()
    settle(qtbot, bridge)
    assert not model.has_newer
    newest = model.message_at(model.rowCount() - 1)
    assert newest is not None and newest.body == "Handover at 19:30"
    assert view.is_at_bottom()


def test_row_heights_are_looked_up_not_measured_again(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, directory: None
) -> None:
    """Laying out the window again measures nothing it measured before (a lookup per row)."""
    lane.call(big_team)
    model = model_of(view)
    open_team(qtbot, view, bridge)
    measured: list[object] = []
    real = view.delegate.geometry

    def counting(*args: object) -> object:
        measured.append(args)
        return real(*args)  # type: ignore[arg-type]

    view.delegate.geometry = counting  # type: ignore[method-assign]
    view.doItemsLayout()
    assert len(measured) == 0
    assert model.rowCount() == PAGE_SIZE
