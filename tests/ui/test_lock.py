"""Locking: after the policy's idle time (an injected clock), on Ctrl+L, and what a locked
screen shows: the app's name, the staff member's name and the unlock controls, nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from wardlink.core.clock import ManualClock
from wardlink.core.policy import Policy
from wardlink.store.errors import WrongPassword
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.idle import IdleLock
from wardlink.ui.lockscreen import LOCKED_TITLE
from wardlink.ui.mainwindow import MainWindow

from .conftest import ME, PASSWORD, Profile, open_window, settle


def shown_strings(window: MainWindow) -> set[str]:
    """Every string a visible widget of the window puts on screen or gives a screen reader."""
    found = {window.windowTitle()}
    widgets: list[QWidget] = [window, *window.findChildren(QWidget)]
    for widget in widgets:
        if not widget.isVisible():
            continue
        found.update(
            s
            for s in (
                widget.accessibleName(),
                widget.accessibleDescription(),
                widget.toolTip(),
                widget.statusTip(),
            )
            if s
        )
        if isinstance(widget, QLabel | QAbstractButton):
            found.add(widget.text())
        if isinstance(widget, QLineEdit):
            found.update({widget.text(), widget.placeholderText()})
    for top in QApplication.topLevelWidgets():
        if top.isVisible() and top is not window:
            found.add(f"another window: {top.windowTitle()}")
    return {s for s in found if s}


@pytest.fixture
def idle_timer() -> QTimer:
    return QTimer()


@pytest.fixture
def locking_window(
    qtbot: QtBot,
    bridge: Bridge,
    profile: Profile,
    clock: ManualClock,
    history: None,
    idle_timer: QTimer,
) -> MainWindow:
    policy = Policy(idle_lock_minutes=5)
    return open_window(qtbot, bridge, profile, clock, policy=policy, idle_timer=idle_timer)


def test_idle_time_locks_and_input_keeps_it_open(
    qtbot: QtBot, locking_window: MainWindow, clock: ManualClock, idle_timer: QTimer
) -> None:
    window = locking_window
    clock.advance(dt.timedelta(minutes=4))
    idle_timer.timeout.emit()
    assert not window.is_locked
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_A)  # someone is typing
    clock.advance(dt.timedelta(minutes=4, seconds=59))
    idle_timer.timeout.emit()
    assert not window.is_locked
    clock.advance(dt.timedelta(seconds=1))
    with qtbot.waitSignal(window.locked):
        idle_timer.timeout.emit()
    assert window.is_locked
    assert window.windowTitle() == LOCKED_TITLE
    assert not window.idle.running


def test_the_clock_put_back_does_not_lock(qtbot: QtBot) -> None:
    clock = ManualClock(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC))
    idle = IdleLock(dt.timedelta(minutes=5), clock=clock, timer=QTimer())
    idle.start()
    clock.set(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC))
    with qtbot.assertNotEmitted(idle.timed_out):
        idle.check()
    clock.advance(dt.timedelta(minutes=5))
    with qtbot.waitSignal(idle.timed_out):
        idle.check()
    idle.stop()


def test_the_lock_screen_shows_nothing_of_any_team_or_patient(
    qtbot: QtBot, locking_window: MainWindow, bridge: Bridge
) -> None:
    window = locking_window
    window.composer.set_text("Draft about Mrs Patel in bay 3")  # a draft the guard refuses
    window.open_search()
    assert window.search_dialog is not None
    qtbot.keyClicks(window.search_dialog.query, "bay")
    assert window.search_dialog.query.isUndoAvailable()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    settle(qtbot, bridge)
    query = window.search_dialog.query
    assert query.text() == "" and not query.isUndoAvailable()  # Ctrl+Z cannot bring it back

    shown = shown_strings(window)
    assert shown == {
        LOCKED_TITLE,
        "Wardlink is locked",
        "Wardlink",
        "Locked",
        ME.display_name,
        f"Not {ME.display_name}?",
        "&Password",
        "Password",
        "Unlock",
        "Switch user",
        "Sign out",
    }
    forbidden = [team.name for team in demo_history.TEAMS]
    forbidden += [line.body for line in demo_history.HISTORY]
    forbidden += ["Patel", "bay 3", "Ward 7", "Community", "Night", demo_history.HELD_BODY]
    for text in shown:
        for secret in forbidden:
            assert secret not in text
    assert not window.menuBar().isVisible()
    assert not window.statusBar().isVisible()
    assert window.timeline_model.rowCount() == 0 and window.team_model.rowCount() == 0
    assert all(not action.isEnabled() for action in window.commands.all())


def test_a_wrong_password_says_so_and_the_right_one_unlocks(
    qtbot: QtBot, locking_window: MainWindow, bridge: Bridge
) -> None:
    window = locking_window
    window.composer.set_text("Handover at 19:30")
    window.lock()
    screen = window.lock_screen
    qtbot.keyClicks(screen.password, "not my password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(screen.error.isVisible)
    assert screen.error.text() == WrongPassword.message
    assert screen.password.text() == ""
    assert window.is_locked

    qtbot.keyClicks(screen.password, PASSWORD)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.timeline_model.team_id == demo_history.WARD.id)
    settle(qtbot, bridge)
    assert window.windowTitle() == f"Wardlink — {ME.display_name}"
    assert window.menuBar().isVisible()
    assert all(action.isEnabled() for action in window.commands.all())
    assert window.composer.text == "Handover at 19:30"  # the draft came back
    assert window.timeline_model.rowCount() > 0
    assert window.idle.running


def test_switch_user_and_sign_out_are_offered(qtbot: QtBot, locking_window: MainWindow) -> None:
    window = locking_window
    window.lock()
    with qtbot.waitSignal(window.switch_user_requested):
        window.lock_screen.switch_button.click()
    with qtbot.waitSignal(window.sign_out_requested):
        window.lock_screen.sign_out_button.click()
