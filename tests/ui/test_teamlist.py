"""The team list: unread counts from the store, keyboard navigation, reading clears the count."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from wardlink.store import messages
from wardlink.store.lane import DbLane
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.teamlist import TeamList, TeamListModel, UnreadRole, unread_text

from .conftest import settle


def counts(model: TeamListModel) -> dict[str, int]:
    return {
        model.index(r, 0).data(): model.index(r, 0).data(UnreadRole)
        for r in range(model.rowCount())
    }


def test_teams_show_unread_counts_and_move_with_the_keyboard(
    qtbot: QtBot, bridge: Bridge, history: None
) -> None:
    model = TeamListModel(bridge)
    view = TeamList(model)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.team_selected) as first:
        model.reload()
    settle(qtbot, bridge)
    assert counts(model) == {
        "Community Nursing North, 3 unread": 3,
        "Hospital at Night, 2 unread": 2,
        "Ward 7 (Surgical), 3 unread": 3,
    }
    assert first.args == [demo_history.COMMUNITY.id]  # the first team opens at once
    view.setFocus()
    with qtbot.waitSignal(view.team_selected) as moved:
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert moved.args == [demo_history.NIGHT.id]
    with qtbot.waitSignal(view.team_selected) as wrapped:
        view.step(-2)
    assert wrapped.args == [demo_history.WARD.id]


def test_reading_a_team_clears_its_count(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    settle(qtbot, bridge)
    qtbot.waitUntil(lambda: window.team_model.unread(demo_history.WARD.id) == 0)
    assert window.team_model.unread(demo_history.NIGHT.id) == 2
    assert lane.call(messages.unread_counts)[demo_history.WARD.id] == 0
    with qtbot.waitSignal(window.team_list.team_selected):
        qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, bridge)
    assert window.timeline_model.team_id == demo_history.COMMUNITY.id
    qtbot.waitUntil(lambda: window.team_model.unread(demo_history.COMMUNITY.id) == 0)


def test_big_counts_are_capped() -> None:
    assert unread_text(0) == ""
    assert unread_text(7) == "7"
    assert unread_text(messages.UNREAD_CAP) == "999+"
