"""The whole app against the real record server on 127.0.0.1: two PCs exchanging messages, the
lock, switch user and sign out (key zeroed, server session ended), a wipe, a session that needs
the password again (the draft kept), settings within policy, and quitting within a second."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.sync.live_server import LiveServer, StaffAccount
from wardlink.core.clock import ManualClock
from wardlink.core.model import Message, MessageState
from wardlink.sync.account_state import load_token
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import NeedsSignIn
from wardlink.sync.status import SyncPhase
from wardlink.sync.transport import Transport
from wardlink.sync.wipe import REASONS, WipeReason
from wardlink.ui.application import SIGNED_OUT, SWITCHED, WardlinkApp
from wardlink.ui.lockscreen import LOCKED_TITLE
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.notifications import Alert
from wardlink.ui.settings import SettingsDialog
from wardlink.ui.user_settings import ThemeChoice, UserSettings

from .conftest import CLOSED_PORT_URL, sign_in, wait_phase

MakeApp = Callable[..., WardlinkApp]


@pytest.fixture
def team(live_server: LiveServer) -> tuple[str, str]:
    return live_server.new_team()


@pytest.fixture
def nurse(live_server: LiveServer, team: tuple[str, str]) -> StaffAccount:
    return live_server.new_staff(teams=(team[1],))


def send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.composer.edit.setFocus()
    window.composer.set_text(text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.composer.text == "", timeout=10_000)


def shown_bodies(window: MainWindow) -> list[str]:
    model = window.timeline_model
    return [m.body for row in range(model.rowCount()) if (m := model.message_at(row)) is not None]


def newest(window: MainWindow) -> Message:
    message = window.timeline_model.message_at(window.timeline_model.rowCount() - 1)
    assert message is not None
    return message


def test_two_pcs_exchange_messages_through_the_server(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, team: tuple[str, str]
) -> None:
    ana = live_server.new_staff("ana", teams=(team[1],))
    ben = live_server.new_staff("ben", teams=(team[1],))
    pc_a, pc_b = make_app(live_server.url, "pc-a"), make_app(live_server.url, "pc-b")
    window_a = sign_in(qtbot, pc_a, ana.username, ana.password)
    window_b = sign_in(qtbot, pc_b, ben.username, ben.password)
    wait_phase(qtbot, window_a, SyncPhase.UP_TO_DATE)
    wait_phase(qtbot, window_b, SyncPhase.UP_TO_DATE)
    assert window_a.windowTitle() == f"Wardlink — {ana.username.title()}"
    # No key pinned by policy: the server's signing key is trusted on first use, and shown.
    told = window_a.findChild(QMessageBox, "keyTrusted")
    assert told is not None
    assert told.text().endswith("If IT has given you a key to check, it should be this one.")
    assert pc_a.running is not None
    assert pc_a.running.session.result.key_trusted_on_first_use in told.text()
    alerts: list[Alert] = []
    pc_b.notified.connect(alerts.append)
    window_b.lock()  # Ben has walked away: his PC is locked

    send(qtbot, window_a, "Porter needed for bay 3 at 14:00")
    qtbot.waitUntil(lambda: bool(alerts), timeout=20_000)
    assert [(a.title, a.text) for a in alerts] == [("Wardlink", "New message in Wardlink")]
    qtbot.waitUntil(lambda: newest(window_a).state is MessageState.SENT, timeout=20_000)

    window_b.lock_screen.password.setText(ben.password)
    with qtbot.waitSignal(window_b.unlocked, timeout=10_000):
        window_b.lock_screen.unlock_button.click()
    qtbot.waitUntil(
        lambda: "Porter needed for bay 3 at 14:00" in shown_bodies(window_b), timeout=20_000
    )

    send(qtbot, window_b, "On my way")
    qtbot.waitUntil(lambda: "On my way" in shown_bodies(window_a), timeout=20_000)
    assert shown_bodies(window_a)[-2:] == ["Porter needed for bay 3 at 14:00", "On my way"]


def test_switch_user_closes_the_profile_and_shows_the_sign_in_window(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    running = app.running
    assert running is not None
    window.composer.set_text("a draft")
    with qtbot.waitSignal(app.session_closed):
        window.lock_screen.switch_user_requested.emit()
    app.wait_idle()
    assert app.running is None
    assert running.session.result.profile.locked  # the key is zeroed
    assert running.session.result.lane.closed
    assert running.engine is not None and running.engine.status.phase is SyncPhase.STOPPED
    screen = app.sign_in_window
    assert screen.isVisible() and screen.notice.text() == SWITCHED
    assert screen.pages.currentIndex() == 0  # the list of people, with this nurse on it
    assert screen.people.item(0).text() == nurse.username.title()


def test_sign_out_ends_the_server_session_too(
    qtbot: QtBot,
    live_server: LiveServer,
    make_app: MakeApp,
    nurse: StaffAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcome: list[str] = []
    real_sign_out = RecordClient.sign_out

    def sign_out(client: RecordClient) -> None:
        try:
            real_sign_out(client)
        except Exception as exc:
            outcome.append(f"{type(exc).__name__}: {exc}")
            raise
        outcome.append("ended")

    monkeypatch.setattr(RecordClient, "sign_out", sign_out)
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    running = app.running
    assert running is not None
    wait_phase(qtbot, window, SyncPhase.UP_TO_DATE)
    running.engine.stop()  # type: ignore[union-attr]  # read the token with nothing else running
    token = running.session.result.lane.call(load_token)
    assert token is not None
    with qtbot.waitSignal(app.session_closed):
        window.sign_out_requested.emit()
    app.wait_idle()
    assert outcome == ["ended"]
    assert app.sign_in_window.notice.text() == SIGNED_OUT
    assert running.session.result.profile.locked
    client = RecordClient(Transport(live_server.url))
    client.token = token
    with pytest.raises(NeedsSignIn):
        client.renew_lease()  # the token no longer works anywhere
    client.close()


def test_a_revoked_device_is_wiped_and_the_sign_in_window_says_why(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    wait_phase(qtbot, window, SyncPhase.UP_TO_DATE)
    running = app.running
    assert running is not None
    lease = running.session.result.lease
    assert lease is not None
    device_id = lease.device_id  # the server's id for this PC
    with qtbot.waitSignal(app.session_closed, timeout=20_000):
        live_server.admin("revoke_device", device_id)
        running.engine.poke()  # type: ignore[union-attr]
    app.wait_idle()
    assert app.sign_in_window.notice.text() == REASONS[WipeReason.DEVICE_REVOKED]
    assert app.setup.profiles.list() == []
    assert running.session.result.profile.locked


def test_a_password_reset_asks_for_the_password_and_keeps_the_draft(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    wait_phase(qtbot, window, SyncPhase.UP_TO_DATE)
    window.composer.set_text("Half-written handover note for bay 2")
    live_server.admin("reset_password", nurse.username, "a new password")
    app.running.engine.poke()  # type: ignore[union-attr]
    wait_phase(qtbot, window, SyncPhase.NEEDS_SIGN_IN)
    assert window.sync_status.sign_in.isVisible()
    assert window.composer.text == "Half-written handover note for bay 2"

    window.sync_status.sign_in.click()
    running = app.running
    assert running is not None and running.prompt is not None and running.prompt.isVisible()
    running.prompt.password.setText("a new password")
    running.prompt.accept()
    wait_phase(qtbot, window, SyncPhase.UP_TO_DATE)
    assert window.composer.text == "Half-written handover note for bay 2"
    assert not running.prompt.isVisible()
    # The new password is the local one too now: the lock screen takes it.
    window.lock()
    window.lock_screen.password.setText("a new password")
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        window.lock_screen.unlock_button.click()


def test_closing_the_window_stops_the_engine_within_a_second(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    wait_phase(qtbot, window, SyncPhase.UP_TO_DATE)  # the listener is inside a long-poll
    running = app.running
    assert running is not None and running.engine is not None
    engine = running.engine
    started = time.monotonic()
    with qtbot.waitSignal(app.finished):
        window.close()
    assert time.monotonic() - started < 1.0
    assert engine.status.phase is SyncPhase.STOPPED
    assert running.session.result.profile.locked and running.session.result.lane.closed


def test_the_app_locks_when_idle_and_on_the_os_lock(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    clock = ManualClock(dt.datetime.now(dt.UTC))
    idle = QTimer()
    app = make_app(live_server.url, clock=clock, idle_timer=lambda: idle)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    clock.advance(dt.timedelta(minutes=4, seconds=59))
    idle.timeout.emit()
    assert not window.is_locked
    clock.advance(dt.timedelta(seconds=1))
    idle.timeout.emit()
    assert window.is_locked and window.windowTitle() == LOCKED_TITLE

    window.lock_screen.password.setText(nurse.password)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        window.lock_screen.unlock_button.click()
    app.os_lock.session_locked.emit()  # the OS session locked (Win+L, the screen saver...)
    assert window.is_locked


def test_settings_make_the_idle_lock_shorter_never_longer(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    app = make_app(live_server.url)
    window = sign_in(qtbot, app, nurse.username, nurse.password)
    assert window.idle.idle_time == dt.timedelta(minutes=5)
    window.commands.settings.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.idle.maximum() == 5  # policy's value: the most a user may choose
    dialog.idle.setValue(2)
    dialog.theme.setCurrentIndex(2)
    dialog.accept()
    qtbot.waitUntil(lambda: window.idle.idle_time == dt.timedelta(minutes=2), timeout=10_000)
    running = app.running
    assert running is not None
    assert running.session.settings == UserSettings(2, ThemeChoice.DARK)
    # A longer time than policy allows is ignored, whatever was stored.
    app.save_settings(UserSettings(60, ThemeChoice.SYSTEM))
    qtbot.waitUntil(lambda: running.session.settings.idle_lock_minutes == 60, timeout=10_000)
    assert window.idle.idle_time == dt.timedelta(minutes=5)

    # Kept in the encrypted profile: the next sign-in starts with them.
    app.save_settings(UserSettings(3, ThemeChoice.LIGHT))
    qtbot.waitUntil(lambda: window.idle.idle_time == dt.timedelta(minutes=3), timeout=10_000)
    app.switch_user()
    app.wait_idle()
    screen = app.sign_in_window
    screen.choose(nurse.id)
    screen.password.setText(nurse.password)
    with qtbot.waitSignal(app.session_opened, timeout=20_000) as opened:
        screen.submit()
    assert opened.args[0].idle.idle_time == dt.timedelta(minutes=3)


def test_the_server_address_typed_once_is_remembered_for_this_data_folder(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount, tmp_path: Path
) -> None:
    app = make_app(None, "pc-ask")
    screen = app.sign_in_window
    assert screen.server.isVisible() and screen.server.text() == ""
    screen.server.setText(live_server.url)
    sign_in(qtbot, app, nurse.username, nurse.password)
    app.switch_user()
    app.wait_idle()
    again = make_app(None, "pc-ask")
    assert again.sign_in_window.server.text() == live_server.url
    saved = (tmp_path / "pc-ask" / "data" / "server.json").read_text("utf-8")
    assert nurse.username not in saved and "Ward" not in saved  # the address and nothing else


def test_offline_after_sign_in_says_so_and_keeps_messages_queued(
    qtbot: QtBot, live_server: LiveServer, make_app: MakeApp, nurse: StaffAccount
) -> None:
    first = make_app(live_server.url, "pc-off")
    sign_in(qtbot, first, nurse.username, nurse.password)
    first.switch_user()
    first.wait_idle()
    app = make_app(CLOSED_PORT_URL, "pc-off")
    screen = app.sign_in_window
    screen.choose(nurse.id)
    screen.password.setText(nurse.password)
    with qtbot.waitSignal(app.session_opened, timeout=20_000) as opened:
        screen.submit()
    window = opened.args[0]
    wait_phase(qtbot, window, SyncPhase.OFFLINE)
    send(qtbot, window, "Obs done for bay 4")
    qtbot.waitUntil(lambda: (window.sync_status.status.to_send or 0) >= 1, timeout=10_000)  # type: ignore[union-attr]
    assert window.sync_status.text.text().startswith("Offline — new messages are saved here")
    qtbot.waitUntil(lambda: newest(window).body == "Obs done for bay 4", timeout=10_000)
    assert newest(window).state is MessageState.QUEUED
