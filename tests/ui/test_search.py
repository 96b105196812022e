"""Search (Ctrl+K or Ctrl+F) across all teams: newest first, highlighted, Enter jumps there."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from wardlink.core.clock import ManualClock
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.search import HitRole, SearchDialog, SearchResultDelegate

from .conftest import Profile, open_window, settle


@pytest.fixture
def search_window(
    qtbot: QtBot, bridge: Bridge, profile: Profile, clock: ManualClock, history: None
) -> tuple[MainWindow, QTimer]:
    timer = QTimer()
    return open_window(qtbot, bridge, profile, clock, search_timer=timer), timer


def open_search(qtbot: QtBot, window: MainWindow, keys: str) -> SearchDialog:
    key, modifier = (
        {"Ctrl+K": Qt.Key.Key_K, "Ctrl+F": Qt.Key.Key_F}[keys],
        Qt.KeyboardModifier.ControlModifier,
    )
    window.composer.edit.setFocus()  # the shortcut works from the text box too
    qtbot.keyClick(window.composer.edit, key, modifier)
    dialog = window.search_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


@pytest.mark.parametrize("keys", ["Ctrl+K", "Ctrl+F"])
def test_search_finds_across_teams_newest_first_and_jumps(
    qtbot: QtBot, search_window: tuple[MainWindow, QTimer], bridge: Bridge, keys: str
) -> None:
    window, timer = search_window
    dialog = open_search(qtbot, window, keys)
    assert dialog.windowTitle() == "Search messages"
    qtbot.keyClicks(dialog.query, "bed 5")
    assert timer.isActive()  # searching waits for a pause in typing
    with qtbot.waitSignal(dialog.results_shown, timeout=10_000) as shown:
        timer.timeout.emit()
    assert shown.args == [3]
    hits = [dialog.model.index(r, 0).data(HitRole) for r in range(3)]
    assert [h.team_name for h in hits] == [
        "Hospital at Night",
        "Ward 7 (Surgical)",
        "Ward 7 (Surgical)",
    ]
    seqs = [h.message.seq for h in hits]
    assert seqs == sorted(seqs, reverse=True)
    assert dialog.status.text() == "3 messages found"
    first = dialog.model.index(0, 0).data()
    assert first.startswith("Hospital at Night, Sam Patterson, Yesterday 23:15: Ward 7 bay 3 bed 5")
    delegate = dialog.results.itemDelegate()
    assert isinstance(delegate, SearchResultDelegate)
    dialog.results.grab()  # paints the highlighted results

    qtbot.keyClick(dialog.query, Qt.Key.Key_Down)  # arrows move through the results
    assert dialog.results.currentIndex().row() == 1
    target = hits[1]
    with qtbot.waitSignal(window.timeline_model.message_located, timeout=10_000):
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    settle(qtbot, bridge)
    assert not dialog.isVisible()
    assert window.timeline_model.team_id == demo_history.WARD.id
    current = window.timeline.current_message()
    assert current is not None and current.id == target.message.id
    assert window.focusWidget() is window.timeline


def test_jumping_to_another_team_opens_it(
    qtbot: QtBot, search_window: tuple[MainWindow, QTimer], bridge: Bridge
) -> None:
    window, timer = search_window
    dialog = open_search(qtbot, window, "Ctrl+K")
    qtbot.keyClicks(dialog.query, "cannula")
    with qtbot.waitSignal(dialog.results_shown, timeout=10_000):
        timer.timeout.emit()
    with qtbot.waitSignal(window.timeline_model.message_located, timeout=10_000):
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
    settle(qtbot, bridge)
    assert window.timeline_model.team_id == demo_history.NIGHT.id
    assert window.team_list.shown_team == demo_history.NIGHT.id
    current = window.timeline.current_message()
    assert current is not None and "cannula" in current.body


def test_nothing_found_and_odd_input(
    qtbot: QtBot, search_window: tuple[MainWindow, QTimer], bridge: Bridge
) -> None:
    window, timer = search_window
    dialog = open_search(qtbot, window, "Ctrl+K")
    for text in ['"unbalanced', "NEAR(a b) OR *", "zebra"]:
        dialog.query.setText(text)
        with qtbot.waitSignal(dialog.results_shown, timeout=10_000) as shown:
            timer.timeout.emit()
        assert shown.args == [0]
        assert dialog.status.text() == "No messages match."
    dialog.query.clear()
    with qtbot.waitSignal(dialog.results_shown) as shown:
        timer.timeout.emit()
    assert shown.args == [0] and dialog.status.text() == "Type a word to search for."
