"""The running app: the sign-in window, then a signed-in session (lane, sync engine, main window,
notifications), and back to the sign-in window on switch user, sign out or wipe.

`WardlinkApp` is given everything it is built from (`AppSetup`: policy read once at start-up,
the profiles with their keyring, a clock, timings), so tests build it with a file-backed keyring,
minimal Argon2id and short waits; `run_app` makes the real one around a QApplication.

Threads: the sync engine calls back from its own threads; its statuses reach the GUI thread
through a queued signal and its store changes through `Bridge.post_changes`. Starting and ending
a session (the engine's start, signing out with the server, closing the lane) runs on one
worker, in order, never on the GUI thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from wardlink.core.policy import Policy, merge
from wardlink.store.changes import Changes
from wardlink.sync.engine import SyncEngine
from wardlink.sync.status import SyncPhase, SyncStatus
from wardlink.sync.transport import Timeouts
from wardlink.ui.app_icon import app_icon
from wardlink.ui.app_setup import AppSetup
from wardlink.ui.bridge import Bridge
from wardlink.ui.mainwindow import MainWindow, SignedIn
from wardlink.ui.notifications import Notifier
from wardlink.ui.os_lock import OsLockWatcher
from wardlink.ui.password_prompt import PasswordPrompt
from wardlink.ui.server_address import remember_server, remembered_server
from wardlink.ui.session_close import close_session, server_policy
from wardlink.ui.session_parts import make_engine, tell_key_trusted
from wardlink.ui.settings import SettingsDialog
from wardlink.ui.sign_in_flow import Session, SignInFlow
from wardlink.ui.signin import SignInWindow
from wardlink.ui.theme import Scheme, ThemeFollower
from wardlink.ui.user_settings import ThemeChoice, UserSettings, save_user_settings

SIGN_IN_TIMEOUTS = Timeouts(connect=5.0, read=30.0)
SIGNED_OUT = "You have signed out."
SWITCHED = "Wardlink is ready for the next person."


@dataclass(eq=False)
class Running:
    """One signed-in session's parts."""

    session: Session
    bridge: Bridge
    window: MainWindow
    notifier: Notifier
    engine: SyncEngine | None
    number: int
    prompt: PasswordPrompt | None = None
    last_status: SyncStatus | None = None


class WardlinkApp(QObject):
    """The app between sign-ins.

    Signals:
    - session_opened(MainWindow): a staff member is signed in and their window is showing.
    - session_closed(): the session ended (switch user, sign out, wipe, quit).
    - finished(): the user closed the app; the engine has stopped and the key is zeroed.
    - notified(Alert): a notification was shown.
    """

    session_opened = Signal(object)
    session_closed = Signal()
    finished = Signal()
    notified = Signal(object)
    _status = Signal(object)
    _policy = Signal(int)

    def __init__(
        self,
        setup: AppSetup,
        *,
        theme: ThemeFollower | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setup = setup
        self._theme = theme
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wardlink-session")
        self._count = 0
        self.running: Running | None = None
        self._tray: QSystemTrayIcon | None = None
        self.os_lock = OsLockWatcher(self)
        self.os_lock.session_locked.connect(self.lock)
        policy = setup.policy
        self.flow = SignInFlow(
            setup.profiles,
            make_client=lambda url: setup.make_client(url, SIGN_IN_TIMEOUTS),
            machine_policy=setup.machine_policy,
            clock=setup.clock,
            device_name=setup.device_name,
            platform=setup.platform,
        )
        self._server_fixed = policy.server_url is not None
        self.sign_in_window = SignInWindow(
            self.flow,
            server_url=policy.server_url or remembered_server(setup.profiles.data_dir),
            server_fixed=self._server_fixed,
            notice=setup.keyring_problem,
            executor=self._worker,
        )
        self.sign_in_window.setWindowIcon(app_icon())
        self.sign_in_window.signed_in.connect(self._open)
        self._status.connect(self._status_arrived)
        self._policy.connect(self._policy_changed)
        if setup.tray and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = self._make_tray()

    # -- the sign-in window --------------------------------------------------------------------

    def start(self) -> None:
        self.sign_in_window.show()
        self.sign_in_window.raise_()
        self.sign_in_window.activateWindow()

    def _make_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setToolTip("Wardlink")
        menu = QMenu()
        menu.addAction("Show Wardlink", self.show_window)
        menu.addAction("Lock", self.lock)
        tray.setContextMenu(menu)
        tray.activated.connect(lambda _reason: self.show_window())
        tray.messageClicked.connect(self.show_window)
        self._tray_menu = menu
        tray.show()
        return tray

    def show_window(self) -> None:
        window = self.running.window if self.running else self.sign_in_window
        window.showNormal()
        window.raise_()
        window.activateWindow()

    # -- opening a session ---------------------------------------------------------------------

    @Slot(object)
    def _open(self, session: Session) -> None:
        setup = self.setup
        if session.server_url and not self._server_fixed:
            remember_server(setup.profiles.data_dir, session.server_url)
        self._count += 1
        number = self._count
        policy = session.policy(setup.machine_policy)
        bridge = Bridge(session.result.lane)
        staff = session.result.staff
        profiles, staff_id = setup.profiles, staff.id

        def verify_password(password: str) -> None:
            profiles.unlock(staff_id, password).lock()

        window = MainWindow(
            bridge,
            SignedIn(staff.id, staff.display_name),
            verify_password=verify_password,
            policy=policy,
            clock=setup.clock,
            idle_timer=setup.idle_timer(),
        )
        window.setWindowIcon(app_icon())
        notifier = Notifier(
            bridge,
            tray=self._tray,
            repeat_timer=setup.repeat_timer(),
            is_watching=lambda team: (
                window.isActiveWindow()
                and not window.is_locked
                and window.timeline_model.team_id == team
            ),
            parent=window,
        )
        engine = self._make_engine(session, bridge, policy, number)
        running = Running(session, bridge, window, notifier, engine, number)
        self.running = running
        notifier.shown.connect(self.notified)
        window.locked.connect(lambda: notifier.set_locked(True))
        window.unlocked.connect(lambda: notifier.set_locked(False))
        window.switch_user_requested.connect(self.switch_user)
        window.sign_out_requested.connect(self.sign_out)
        window.sign_in_requested.connect(self.ask_password)
        window.settings_requested.connect(self.open_settings)
        window.closed.connect(self.quit)
        bridge.changed_here.connect(self._queued)
        self._apply_theme(session.settings)
        if engine is None:
            window.show_status(
                SyncStatus(SyncPhase.OFFLINE, reason="no record server address is known here")
            )
        else:
            self._in_background(engine.start)
        notifier.start()
        window.show()
        self.os_lock.watch_window(window)
        self.sign_in_window.hide()
        if session.result.key_trusted_on_first_use:
            tell_key_trusted(window, session.result.key_trusted_on_first_use)
        self.session_opened.emit(window)

    def _make_engine(
        self, session: Session, bridge: Bridge, policy: Policy, number: int
    ) -> SyncEngine | None:
        return make_engine(
            self.setup,
            session,
            bridge,
            policy,
            on_status=lambda status: self._status.emit((number, status)),
            on_policy=lambda: self._policy.emit(number),
        )

    def _in_background(self, work: Callable[[], object]) -> Future[Any]:
        return self._worker.submit(work)

    # -- while signed in -----------------------------------------------------------------------

    def _queued(self, changes: Changes) -> None:
        """The user queued something (a message, an acknowledgement, a receipt): send it now."""
        running = self.running
        if running is not None and running.engine is not None and changes.outbox:
            running.engine.poke()

    @Slot(object)
    def _status_arrived(self, item: tuple[int, SyncStatus]) -> None:
        number, status = item
        running = self.running
        if running is None or running.number != number:
            return  # from a session that has ended
        running.last_status = status
        if status.phase is SyncPhase.WIPED:
            self._end(notice=status.reason, wiped=True)
            return
        running.window.show_status(status)
        if status.phase is not SyncPhase.NEEDS_SIGN_IN and running.prompt is not None:
            running.prompt.close()

    def ask_password(self) -> None:
        """The session with the server ended: ask for the password (what was typed stays)."""
        running = self.running
        if running is None or running.engine is None or running.window.is_locked:
            return
        if running.prompt is None:
            reason = running.last_status.reason if running.last_status else ""
            prompt = PasswordPrompt(reason, running.window)
            engine = running.engine
            prompt.password_given.connect(engine.provide_password)
            running.prompt = prompt
        running.prompt.open()
        running.prompt.password.setFocus()

    @Slot(int)
    def _policy_changed(self, number: int) -> None:
        running = self.running
        if running is None or running.number != number:
            return
        running.bridge.run(server_policy, on_done=self._new_server_policy, on_error=lambda _e: None)

    def _new_server_policy(self, server: dict[str, object]) -> None:
        running = self.running
        if running is None:
            return
        running.session.result.policy = server
        self._apply_policy(running)

    def _apply_policy(self, running: Running) -> Policy:
        policy = running.session.policy(self.setup.machine_policy)
        running.window.idle.set_idle_time(policy.idle_lock)
        if running.engine is not None:
            running.engine.policy = policy
        return policy

    def open_settings(self) -> None:
        running = self.running
        if running is None:
            return
        limit = merge(self.setup.machine_policy, dict(running.session.result.policy), None)
        dialog = SettingsDialog(
            running.session.settings, idle_max=limit.idle_lock_minutes, parent=running.window
        )
        dialog.saved.connect(self.save_settings)
        dialog.open()

    def save_settings(self, settings: UserSettings) -> None:
        running = self.running
        if running is None:
            return
        running.bridge.run(save_user_settings, settings, on_done=self._settings_saved)

    def _settings_saved(self, settings: UserSettings) -> None:
        running = self.running
        if running is None:
            return
        running.session.settings = settings
        self._apply_policy(running)
        self._apply_theme(settings)

    def _apply_theme(self, settings: UserSettings) -> None:
        if self._theme is not None:
            choice = {ThemeChoice.LIGHT: Scheme.LIGHT, ThemeChoice.DARK: Scheme.DARK}
            self._theme.set_choice(choice.get(settings.theme))

    def lock(self) -> None:
        if self.running is not None:
            self.running.window.lock()

    # -- ending a session ----------------------------------------------------------------------

    def switch_user(self) -> None:
        """Close this staff member's session (their key zeroed) and show the sign-in window."""
        self._end(notice=SWITCHED)

    def sign_out(self) -> None:
        """As switching user, and end the session with the record server too."""
        self._end(notice=SIGNED_OUT, sign_out=True)

    def quit(self) -> None:
        """The user closed the window: stop the engine (within a second) and close for good."""
        running, self.running = self.running, None
        if running is not None:
            self._dismantle(running)
            # On the session worker, after the engine's start if that is still under way.
            self._in_background(lambda: self._close_profile(running, sign_out=False)).result()
        self.sign_in_window.close()
        self.finished.emit()

    def _end(self, *, notice: str, sign_out: bool = False, wiped: bool = False) -> None:
        running, self.running = self.running, None
        if running is None:
            return
        self.sign_in_window.reopen(notice)
        self.sign_in_window.show()  # first: the last window closing would end the app
        self._dismantle(running)
        if self._theme is not None:
            self._theme.set_choice(None)
        self._in_background(lambda: self._close_profile(running, sign_out=sign_out))
        self.session_closed.emit()

    def _dismantle(self, running: Running) -> None:
        """The GUI side of ending a session: nothing of it stays on screen."""
        running.notifier.stop()
        running.window.end()
        running.window.deleteLater()
        running.bridge.shutdown()
        running.bridge.deleteLater()

    def _close_profile(self, running: Running, *, sign_out: bool) -> None:
        make_client = self.setup.make_client if sign_out else None
        close_session(running.session, running.engine, sign_out_with=make_client)

    def shutdown(self) -> None:
        """The app is exiting: end whatever session is open, wait for the worker."""
        running, self.running = self.running, None
        if running is not None:
            self._dismantle(running)
            self._in_background(lambda: self._close_profile(running, sign_out=False)).result()
        self.os_lock.stop()
        self._worker.shutdown(wait=True)
        if self._tray is not None:
            self._tray.hide()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until the session worker has done what was queued (tests)."""
        self._worker.submit(lambda: None).result(timeout)


def run_app(setup: AppSetup, *, on_start: Callable[[WardlinkApp], None] = lambda _app: None) -> int:
    """Show the sign-in window and run the event loop until the user quits."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("Wardlink")
    app.setApplicationDisplayName("Wardlink")
    app.setDesktopFileName("wardlink")
    app.setWindowIcon(app_icon())
    theme = ThemeFollower(app)
    wardlink = WardlinkApp(setup, theme=theme)
    wardlink.finished.connect(app.quit)
    # Closing the sign-in window with nobody signed in quits too.
    app.setQuitOnLastWindowClosed(True)
    wardlink.start()
    on_start(wardlink)
    try:
        return app.exec()
    finally:
        wardlink.shutdown()
