"""The main window: titles that name no team or patient, sending, the sync status, and
keyboard access with accessible names everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from wardlink.core.model import MessageState
from wardlink.store import messages, outbox
from wardlink.store.lane import DbLane
from wardlink.sync.status import SyncPhase, SyncStatus
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.window_actions import ShortcutsDialog

from .conftest import ME, settle

TITLE = f"Wardlink — {ME.display_name}"


def all_titles() -> list[str]:
    return [w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible()]


def test_titles_never_name_a_team_or_a_patient(
    qtbot: QtBot, window: MainWindow, bridge: Bridge
) -> None:
    assert window.windowTitle() == TITLE
    for team in (demo_history.NIGHT, demo_history.COMMUNITY, demo_history.WARD):
        with qtbot.waitSignal(window.timeline_model.team_loaded, timeout=10_000):
            window.team_list.select_team(team.id)
        settle(qtbot, bridge)
        assert window.workspace.team_title.text() == team.name  # shown in the window, not its title
        window.composer.set_text("Mrs Patel's son rang, NHS 943 476 5919")
        window.composer.check_now()
        window.open_search()
        for title in all_titles():
            assert title in (TITLE, "Search messages")
            assert team.name not in title and "Patel" not in title


def test_sending_writes_the_message_and_its_op_and_shows_it_at_once(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    before = lane.call(outbox.pending_count)
    window.composer.edit.setFocus()
    qtbot.keyClicks(window.composer.edit, "Porter booked for bay 1 bed 2 at 14:30")
    with qtbot.waitSignal(window.timeline_model.refreshed, timeout=10_000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    settle(qtbot, bridge)
    assert window.composer.text == ""
    model = window.timeline_model
    mine = model.message_at(model.rowCount() - 1)
    assert mine is not None and mine.body == "Porter booked for bay 1 bed 2 at 14:30"
    assert mine.state is MessageState.QUEUED and mine.author_id == ME.id
    assert lane.call(outbox.pending_count) == before + 1
    assert window.timeline.is_at_bottom()
    assert "Waiting to send" in model.index(model.rowCount() - 1, 0).data()


def test_drafts_stay_with_their_team(qtbot: QtBot, window: MainWindow, bridge: Bridge) -> None:
    window.composer.set_text("Half-written note for the ward")
    with qtbot.waitSignal(window.timeline_model.team_loaded, timeout=10_000):
        window.team_list.select_team(demo_history.NIGHT.id)
    assert window.composer.text == ""
    with qtbot.waitSignal(window.timeline_model.team_loaded, timeout=10_000):
        window.team_list.select_team(demo_history.WARD.id)
    assert window.composer.text == "Half-written note for the ward"


def test_the_status_bar_shows_the_sync_status(qtbot: QtBot, window: MainWindow) -> None:
    window.show_status(SyncStatus(SyncPhase.OFFLINE, to_send=2))
    assert window.sync_status.isVisible()
    assert window.sync_status.text.text().startswith("Offline")
    window.show_status(SyncStatus(SyncPhase.NEEDS_SIGN_IN))
    with qtbot.waitSignal(window.sign_in_requested):
        window.sync_status.sign_in.click()


def test_store_errors_are_shown_in_plain_words(
    qtbot: QtBot, window: MainWindow, bridge: Bridge
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from wardlink.store.errors import DiskFull

    def full(store: object) -> None:
        raise DiskFull()

    with qtbot.waitSignal(bridge.settled):
        bridge.run(full)
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert [b.text() for b in boxes] == [DiskFull.message]


def test_every_control_has_an_accessible_name_and_a_keyboard_path(
    qtbot: QtBot, window: MainWindow
) -> None:
    controls = [
        w
        for w in window.findChildren(QWidget)
        if w.isVisible()
        and isinstance(w, QAbstractButton | QAbstractItemView | QLineEdit | QPlainTextEdit)
    ]
    assert len(controls) >= 5
    for control in controls:
        assert control.accessibleName(), f"{type(control).__name__} has no accessible name"
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, f"{control.accessibleName()}"
    # Every menu action has a name; the ones a nurse needs quickly have keys too.
    for action in window.commands.all():
        assert action.text()
    keyed = {a.text().replace("&", "") for a in window.commands.all() if a.shortcuts()}
    assert {"Search messages…", "Lock", "Next team", "Write a message"} <= keyed


def test_panes_are_reachable_from_the_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    window.team_list.setFocus()
    qtbot.keyClick(window.team_list, Qt.Key.Key_F6)
    assert window.focusWidget() is window.timeline
    qtbot.keyClick(window.timeline, Qt.Key.Key_F6)
    assert window.focusWidget() is window.composer.edit
    qtbot.keyClick(
        window.composer.edit,
        Qt.Key.Key_T,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.focusWidget() is window.team_list
    qtbot.keyClick(window.team_list, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is window.composer.edit


def test_the_shortcuts_list_names_every_keyed_action(qtbot: QtBot, window: MainWindow) -> None:
    dialog = ShortcutsDialog(window.commands.all(), window)
    qtbot.addWidget(dialog)
    from PySide6.QtWidgets import QTableWidget

    table = dialog.findChild(QTableWidget)
    assert table is not None
    names = {table.item(r, 0).text() for r in range(table.rowCount())}
    assert {"Lock", "Search messages…", "Send the message", "New line in the message"} <= names
    assert dialog.windowTitle() == "Keyboard shortcuts"


def test_mark_read_runs_for_the_open_team(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    settle(qtbot, bridge)
    assert lane.call(messages.unread_counts)[demo_history.WARD.id] == 0
    receipts = [i for i in lane.call(outbox.next_batch) if i.type == "receipt.read"]
    assert [r.team_id for r in receipts] == [demo_history.WARD.id]
