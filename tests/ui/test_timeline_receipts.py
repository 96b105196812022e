"""Read receipts in the timeline: "Seen by" under the newest of my sent messages each member has
read, kept up to date as receipts arrive through the sync engine's path (apply a pulled page,
post its changes), from one small read per team and never by fetching rows again."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from wardlink.core.clock import FixedClock
from wardlink.core.model import Message, MessageState, Staff
from wardlink.core.protocol import Event, PullResponse
from wardlink.store import messages, teams
from wardlink.store.database import Store
from wardlink.store.lane import DbLane
from wardlink.sync.apply import apply_page
from wardlink.ui import demo_history, timeline_delegate, view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline import TimelineModel
from wardlink.ui.timeline_rows import CachedMessageRole, SeenRole
from wardlink.ui.timeline_view import TimelineView

from .conftest import ME, NOW, settle

WARD = demo_history.WARD.id
BOB, GRACE, TOM = demo_history.BOB, demo_history.GRACE, demo_history.TOM
HANNAH, CAROL, SAM = demo_history.HANNAH, demo_history.CAROL, demo_history.SAM
MINE = (3, 8, 10, 15, 24)  # my sent messages in the demo ward, by seq
AT = "2026-11-26T13:20:00.000Z"


def join(lane: DbLane, *people: Staff) -> None:
    def add(store: Store) -> None:
        with store.transaction():
            for person in (demo_history.ME, *people):
                teams.add_member_in_tx(store, WARD, person.id)

    lane.call(add)


class Receipts:
    """Read receipts pulled from the server, applied as the sync engine applies a page."""

    def __init__(self, lane: DbLane, bridge: Bridge) -> None:
        self._lane, self._bridge, self._seq = lane, bridge, 1000

    def read(self, *readers: tuple[Staff, int]) -> None:
        events = []
        for person, up_to in readers:
            self._seq += 1
            data = {"staff_id": person.id, "up_to_seq": up_to}
            events.append(Event(self._seq, "receipt", WARD, AT, data))
        applied = self._lane.call(apply_page, PullResponse(tuple(events), self._seq, False))
        assert not applied.skipped
        self._bridge.post_changes(applied.changes)


@pytest.fixture
def view(qtbot: QtBot, bridge: Bridge, history: None) -> TimelineView:
    model = TimelineModel(bridge, me=ME.id, clock=FixedClock(NOW))
    view = TimelineView(model)
    qtbot.addWidget(view)
    view.resize(760, 900)
    view.show()
    wait_shown(qtbot, view)
    return view


@pytest.fixture
def receipts(lane: DbLane, bridge: Bridge) -> Receipts:
    return Receipts(lane, bridge)


def model_of(view: TimelineView) -> TimelineModel:
    model = view.model()
    assert isinstance(model, TimelineModel)
    return model


def open_ward(qtbot: QtBot, view: TimelineView, bridge: Bridge) -> None:
    with qtbot.waitSignal(model_of(view).team_loaded, timeout=10_000):
        model_of(view).open_team(WARD)
    settle(qtbot, bridge)


def lines(view: TimelineView) -> dict[int | None, str]:
    """Each "Seen by" line shown, by the seq of the message it is under (None: not sent)."""
    model = model_of(view)
    shown = {}
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        seen, message = index.data(SeenRole), index.data(CachedMessageRole)
        if seen is not None:
            assert isinstance(message, Message)
            shown[message.seq] = seen.short
    return shown


def wait_lines(qtbot: QtBot, view: TimelineView, expected: dict[int | None, str]) -> None:
    qtbot.waitUntil(lambda: lines(view) == expected, timeout=10_000)


def row_of_seq(view: TimelineView, seq: int) -> int:
    model = model_of(view)
    row = model.row_of_position(seq)
    assert row is not None
    return row


def test_each_reader_is_named_under_the_newest_of_my_messages_they_have_read(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, receipts: Receipts
) -> None:
    join(lane, BOB, GRACE, TOM, HANNAH)
    receipts.read((BOB, 9), (GRACE, 12), (TOM, 24), (HANNAH, 33), (ME, 33))
    open_ward(qtbot, view, bridge)
    wait_lines(
        qtbot,
        view,
        {
            8: "Seen by Bob Adeyemi",
            10: "Seen by Grace Okafor",
            24: "Seen by Dr Tom Reid, Hannah Lee",
        },
    )
    # Every name in the tooltip and in what a screen reader says of the row.
    index = model_of(view).index(row_of_seq(view, 24), 0)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Seen by Dr Tom Reid and Hannah Lee"
    assert index.data(Qt.ItemDataRole.AccessibleTextRole).endswith(
        "Seen by Dr Tom Reid and Hannah Lee."
    )
    # Nothing under others' messages, nor under mine nobody has reached since the line above.
    others = model_of(view).index(row_of_seq(view, 9), 0)
    assert others.data(SeenRole) is None and others.data(Qt.ItemDataRole.ToolTipRole) is None
    assert "Seen by" not in others.data(Qt.ItemDataRole.AccessibleTextRole)


def test_the_line_is_painted_under_the_bubble_with_every_name_in_its_tooltip(
    qtbot: QtBot,
    view: TimelineView,
    bridge: Bridge,
    lane: DbLane,
    receipts: Receipts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    join(lane, BOB, GRACE, TOM)
    receipts.read((BOB, 24), (GRACE, 24))
    open_ward(qtbot, view, bridge)
    wait_lines(qtbot, view, {24: "Seen by Bob Adeyemi, Grace Okafor"})
    index = model_of(view).index(row_of_seq(view, 24), 0)
    view.scrollTo(index)
    painted: list[str] = []
    real = timeline_delegate.draw_line
    monkeypatch.setattr(
        timeline_delegate,
        "draw_line",
        lambda painter, text, *args: (painted.append(text), real(painter, text, *args)),
    )
    view.grab()
    assert painted == ["Seen by Bob Adeyemi, Grace Okafor"]

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    seen = view.delegate.seen_rect(option, index)
    assert seen is not None and seen.top() > view.visualRect(index).top()

    def hover(where: QPoint) -> None:
        event = QHelpEvent(QEvent.Type.ToolTip, where, view.viewport().mapToGlobal(where))
        QApplication.sendEvent(view.viewport(), event)

    hover(view.visualRect(index).center())  # over the bubble: no tooltip
    assert not QToolTip.isVisible()
    hover(seen.center())
    assert QToolTip.isVisible() and QToolTip.text() == "Seen by Bob Adeyemi and Grace Okafor"
    QToolTip.hideText()


def test_a_few_names_then_others_then_everyone(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, receipts: Receipts
) -> None:
    join(lane, BOB, GRACE, TOM, HANNAH, CAROL, SAM)
    receipts.read((BOB, 33), (GRACE, 30), (TOM, 24), (HANNAH, 25), (CAROL, 33))
    open_ward(qtbot, view, bridge)
    wait_lines(qtbot, view, {24: "Seen by Bob Adeyemi and 4 others"})
    index = model_of(view).index(row_of_seq(view, 24), 0)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == (
        "Seen by Bob Adeyemi, Carol Nwosu, Dr Tom Reid, Grace Okafor and Hannah Lee"
    )
    receipts.read((SAM, 26))  # the last of the team reads it
    wait_lines(qtbot, view, {24: "Seen by everyone"})
    assert index.data(Qt.ItemDataRole.ToolTipRole) == (
        "Seen by everyone: Bob Adeyemi, Carol Nwosu, Dr Tom Reid, Grace Okafor, Hannah Lee "
        "and Sam Patterson"
    )


def test_lines_move_as_receipts_arrive_without_fetching_rows_again(
    qtbot: QtBot,
    view: TimelineView,
    bridge: Bridge,
    lane: DbLane,
    receipts: Receipts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    join(lane, BOB, GRACE)
    receipts.read((BOB, 9))
    open_ward(qtbot, view, bridge)
    wait_lines(qtbot, view, {8: "Seen by Bob Adeyemi"})

    asked: list[str] = []
    lock = threading.Lock()

    def counting(name: str, real: object) -> object:
        def call(*args: object, **kwargs: object) -> object:
            with lock:
                asked.append(name)
            return real(*args, **kwargs)  # type: ignore[operator]

        return call

    monkeypatch.setattr(messages, "messages_at", counting("rows", messages.messages_at))
    monkeypatch.setattr(
        view_queries,
        "team_read_receipts",
        counting("receipts", view_queries.team_read_receipts),
    )
    receipts.read((BOB, 16), (GRACE, 3))
    wait_lines(qtbot, view, {3: "Seen by Grace Okafor", 15: "Seen by Bob Adeyemi"})
    settle(qtbot, bridge)
    view.grab()
    settle(qtbot, bridge)
    assert asked == ["receipts"]  # one small read; no row fetched again

    # Retracting the message a line hangs under moves it to my message before.
    model = model_of(view)
    message = model.message_at(row_of_seq(view, 15))
    assert message is not None
    bridge.run(messages.retract_message, message.id, "sent to the wrong team")
    wait_lines(qtbot, view, {3: "Seen by Grace Okafor", 10: "Seen by Bob Adeyemi"})


def test_nothing_is_seen_of_what_has_not_gone(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, receipts: Receipts
) -> None:
    join(lane, BOB, GRACE)
    receipts.read((BOB, 33), (GRACE, 33))
    bridge.run(messages.add_local_message, WARD, "Porter for bay 3 please")
    open_ward(qtbot, view, bridge)
    wait_lines(qtbot, view, {24: "Seen by everyone"})
    model = model_of(view)
    unsent = [
        model.index(row, 0)
        for row in range(model.rowCount())
        if (m := model.message_at(row)) is not None and m.is_own_unsent
    ]
    states = {i.data(CachedMessageRole).state for i in unsent}
    assert states == {MessageState.QUEUED, MessageState.HELD}
    assert all(i.data(SeenRole) is None for i in unsent)
    assert all("Seen by" not in i.data(Qt.ItemDataRole.AccessibleTextRole) for i in unsent)


def test_only_current_active_members_count(
    qtbot: QtBot, view: TimelineView, bridge: Bridge, lane: DbLane, receipts: Receipts
) -> None:
    join(lane, BOB, GRACE)
    receipts.read((BOB, 24), (TOM, 24))  # Tom has read it but is no longer in the team
    open_ward(qtbot, view, bridge)
    wait_lines(qtbot, view, {24: "Seen by Bob Adeyemi"})

    # Grace leaves (as the server tells it): Bob is everyone else now.
    left = PullResponse(
        (
            Event(
                2000,
                "membership.removed",
                WARD,
                AT,
                {"team": {"id": WARD, "name": "Ward 7", "kind": "ward"}, "staff_id": GRACE.id},
            ),
        ),
        2000,
        False,
    )
    bridge.post_changes(lane.call(apply_page, left).changes)
    wait_lines(qtbot, view, {24: "Seen by Bob Adeyemi"})  # one other member: named, not "everyone"
    join(lane, CAROL)
    receipts.read((CAROL, 30))
    wait_lines(qtbot, view, {24: "Seen by everyone"})
    assert lines(view) == {24: "Seen by everyone"}
    row = model_of(view).index(row_of_seq(view, 24), 0)
    assert row.data(SeenRole).full == ("Seen by everyone: Bob Adeyemi and Carol Nwosu")
