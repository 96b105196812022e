"""The main window: teams on the left, the open team's timeline and the composer on the right,
the sync status below, and the lock screen in front of it all when locked.

Its title is "Wardlink — <the signed-in staff member>" and never names a team or a patient.
Every change of data goes through the bridge's operations; the window only decides what to ask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.model import Message
from wardlink.core.policy import Policy
from wardlink.store import messages as message_ops
from wardlink.store.errors import StoreError
from wardlink.sync.status import SyncStatus
from wardlink.ui import lazy_guard
from wardlink.ui.bridge import Bridge
from wardlink.ui.clinical_notes import attach_clinical_notes
from wardlink.ui.composer import Composer
from wardlink.ui.idle import IdleLock
from wardlink.ui.lockscreen import LOCKED_TITLE, LockScreen
from wardlink.ui.message_actions import MessageActions
from wardlink.ui.sync_status import SyncStatusWidget
from wardlink.ui.teamlist import TeamList, TeamListModel, kind_text
from wardlink.ui.timeline import TimelineModel
from wardlink.ui.timeline_view import TimelineView
from wardlink.ui.undelivered import UndeliveredBanner
from wardlink.ui.window_actions import ShortcutsDialog, build_actions, connect
from wardlink.ui.workspace import APP_NAME, Workspace

if TYPE_CHECKING:
    from wardlink.core.guard import Rules
    from wardlink.ui.search import SearchDialog


GUARD_PRELOAD_MS = 300


@dataclass(frozen=True)
class SignedIn:
    """Who is using the window: all the window may say about anyone in its title."""

    staff_id: str
    display_name: str


def window_title(me: SignedIn) -> str:
    return f"{APP_NAME} — {me.display_name}"


class MainWindow(QMainWindow):
    """The signed-in staff member's window.

    Signals:
    - locked(): the window locked (idle, Ctrl+L, or asked to).
    - unlocked(): the password was right; the window shows the teams again.
    - switch_user_requested(): from the lock screen or the menu: go to the sign-in window.
    - sign_out_requested(): sign this staff member out.
    - sign_in_requested(): the sync session ended and the user chose to sign in again.
    - move_to_note_requested(str, list): the composer's text and the guard's findings in it.
    - settings_requested(): the user opened the settings.
    - closed(): the user closed the window (not `end`, which the app uses to switch users).
    """

    locked = Signal()
    unlocked = Signal()
    switch_user_requested = Signal()
    sign_out_requested = Signal()
    sign_in_requested = Signal()
    move_to_note_requested = Signal(str, list)
    settings_requested = Signal()
    closed = Signal()

    def __init__(
        self,
        bridge: Bridge,
        me: SignedIn,
        *,
        verify_password: Callable[[str], object],
        policy: Policy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        guard_timer: QTimer | None = None,
        idle_timer: QTimer | None = None,
        search_timer: QTimer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        policy = policy or Policy()
        self._bridge = bridge
        self._me = me
        self._verify_password = verify_password
        self._clock = clock
        self._policy = policy
        self._rules: Rules | None = None  # from policy, when the guard first runs
        self._search_timer = search_timer
        self._search: SearchDialog | None = None
        self._locked = False
        self._drafts: dict[str, str] = {}
        self._read_up_to: dict[str, int] = {}
        self.follow_next_refresh = False
        self._ending = False
        self._guard_preloaded = False
        self.setWindowTitle(window_title(me))
        self.setAccessibleName(APP_NAME)
        self.resize(1180, 760)

        self.team_model = TeamListModel(bridge, self)
        self.team_list = TeamList(self.team_model)
        self.timeline_model = TimelineModel(bridge, me=me.staff_id, clock=clock, parent=self)
        self.timeline = TimelineView(self.timeline_model)
        self.banner = UndeliveredBanner()
        self.composer = Composer(rules=lambda: self.rules, guard_timer=guard_timer)
        self.sync_status = SyncStatusWidget()
        self.lock_screen = LockScreen(me.display_name)
        self.idle = IdleLock(policy.idle_lock, clock=clock, timer=idle_timer, parent=self)

        self.workspace = Workspace(
            me.display_name, self.team_list, self.timeline, self.banner, self.composer
        )
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.workspace)
        self._stack.addWidget(self.lock_screen)
        self.setCentralWidget(self._stack)
        self.statusBar().addWidget(self.sync_status, 1)
        self.statusBar().setSizeGripEnabled(False)

        self.commands = build_actions(self)
        self.message_actions = MessageActions(self, bridge)
        self._wire()
        self.notes = attach_clinical_notes(self, bridge, policy=policy, clock=clock)
        self.team_model.reload()
        self.idle.start()

    @property
    def rules(self) -> Rules:
        """The guard's rules under this window's policy (the guard loads on first use)."""
        if self._rules is None:
            self._rules = lazy_guard.rules_for(self._policy)
        return self._rules

    def _wire(self) -> None:
        a = self.commands
        self._bridge.failed.connect(self.show_error)
        self.team_list.team_selected.connect(self._show_team)
        self.timeline_model.undelivered_urgent_changed.connect(self.banner.show_count)
        self.timeline_model.team_loaded.connect(lambda _team: self._mark_read())
        self.timeline_model.team_loaded.connect(self._preload_guard)
        self.timeline_model.refreshed.connect(self._refreshed)
        self.timeline.verticalScrollBar().valueChanged.connect(lambda _v: self._mark_read())
        self.timeline.action_requested.connect(self.act_on)
        self.composer.send_requested.connect(self.message_actions.send)
        self.composer.edit_requested.connect(self.message_actions.resend_edited)
        self.composer.move_to_note_requested.connect(self.move_to_note_requested)
        self.composer.urgent.toggled.connect(a.urgent.setChecked)
        self.sync_status.sign_in_requested.connect(self.sign_in_requested)
        self.lock_screen.unlock_requested.connect(self._try_unlock)
        self.lock_screen.switch_user_requested.connect(self.switch_user_requested)
        self.lock_screen.sign_out_requested.connect(self.sign_out_requested)
        self.idle.timed_out.connect(self.lock)

        connect(a.search, self.open_search)
        connect(a.lock, self.lock)
        connect(a.switch_user, self.switch_user_requested.emit)
        connect(a.sign_out, self.sign_out_requested.emit)
        connect(a.quit, self.close)
        connect(a.settings, self.settings_requested.emit)
        connect(a.next_team, lambda: self.team_list.step(1))
        connect(a.previous_team, lambda: self.team_list.step(-1))
        for row, action in enumerate(a.go_to_team):
            action.triggered.connect(partial(self._go_to_team, row))
        connect(a.focus_teams, self.team_list.setFocus)
        connect(a.focus_messages, self.timeline.setFocus)
        connect(a.focus_composer, self.composer.edit.setFocus)
        connect(a.next_pane, lambda: self._cycle_focus(1))
        connect(a.previous_pane, lambda: self._cycle_focus(-1))
        connect(a.newest, self.timeline.scroll_to_newest)
        a.urgent.toggled.connect(self.composer.urgent.setChecked)
        connect(a.move_to_note, self.composer.move_to_note)
        connect(a.acknowledge, lambda: self.message_actions.act_on_target("acknowledge"))
        connect(a.edit_held, lambda: self.message_actions.act_on_target("edit"))
        connect(a.retry_held, lambda: self.message_actions.act_on_target("retry"))
        connect(a.discard_held, lambda: self.message_actions.act_on_target("discard"))
        connect(a.retract, lambda: self.message_actions.act_on_target("retract"))
        connect(a.shortcuts, lambda: ShortcutsDialog(self.commands.all(), self).open())
        self.composer.edit.reserve_shortcuts([k for action in a.all() for k in action.shortcuts()])

    # -- teams and reading ---------------------------------------------------------------------

    def _show_team(self, team_id: str) -> None:
        previous = self.timeline_model.team_id
        if previous is not None and previous != team_id:
            if self.composer.editing is not None:
                self.composer.cancel_edit()
            if self.composer.text:
                self._drafts[previous] = self.composer.text
        row = self.team_model.row_of(team_id)
        team = self.team_model.team_at(row) if row is not None else None
        if team is not None:
            self.workspace.show_team(team.name, kind_text(team.kind))
        if previous != team_id:
            self.composer.set_text(self._drafts.pop(team_id, ""))
            self.timeline_model.open_team(team_id)

    def _preload_guard(self, _team: str) -> None:
        """Once the first team is on screen, load the guard in the background for typing."""
        if not self._guard_preloaded:
            self._guard_preloaded = True
            QTimer.singleShot(GUARD_PRELOAD_MS, lazy_guard.preload)

    def _refreshed(self) -> None:
        if self.follow_next_refresh:
            self.follow_next_refresh = False
            self.timeline.scroll_to_newest()
        self._mark_read()

    def _mark_read(self) -> None:
        team = self.timeline_model.team_id
        if self._locked or team is None or not self.timeline.is_at_bottom():
            return
        seq = self.timeline_model.newest_seq()
        if seq is None or seq <= self._read_up_to.get(team, 0):
            return
        self._read_up_to[team] = seq
        self._bridge.run(message_ops.mark_read, team, seq)

    def _go_to_team(self, row: int, _checked: bool = False) -> None:
        self.team_list.select_row(row)

    def _cycle_focus(self, step: int) -> None:
        panes: list[QWidget] = [self.team_list, self.timeline, self.composer.edit]
        focused = QApplication.focusWidget()
        at = next(
            (
                i
                for i, p in enumerate(panes)
                if focused is not None and (p is focused or p.isAncestorOf(focused))
            ),
            -1,
        )
        panes[(at + step) % len(panes)].setFocus()

    # -- writing -------------------------------------------------------------------------------

    def act_on(self, action: str, message: Message) -> None:
        """Do what the reader chose for a message (a bubble's button or the keyboard menu)."""
        self.message_actions.act_on(action, message)

    # -- search --------------------------------------------------------------------------------

    def open_search(self) -> None:
        if self._locked:
            return
        if self._search is None:
            from wardlink.ui.search import SearchDialog  # loaded when first used

            self._search = SearchDialog(
                self._bridge, timer=self._search_timer, clock=self._clock, parent=self
            )
            self._search.message_chosen.connect(self.jump_to)
        self._search.open_search()

    @property
    def search_dialog(self) -> SearchDialog | None:
        return self._search

    def jump_to(self, team_id: str, position: int) -> None:
        """Open `team_id` and show the message at `position`."""
        if self.timeline_model.team_id != team_id:
            self.team_list.select_team(team_id)
        self.timeline_model.jump_to(position)
        self.activateWindow()
        self.timeline.setFocus()

    # -- status --------------------------------------------------------------------------------

    def show_status(self, status: SyncStatus) -> None:
        """The sync engine's latest status."""
        self.sync_status.show_status(status)

    def show_error(self, message: str) -> None:
        """An error the user can act on, in plain words (a store error's message)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, APP_NAME, message, QMessageBox.StandardButton.Ok, self
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- locking -------------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._locked

    def lock(self) -> None:
        """Hide everything behind the lock screen and forget what was shown."""
        if self._locked:
            return
        self._locked = True
        self.idle.stop()
        team = self.timeline_model.team_id
        if team is not None and self.composer.text and self.composer.editing is None:
            self._drafts[team] = self.composer.text
        self.composer.cancel_edit()
        self.composer.set_text("")
        self.team_list.prefer(self.team_list.shown_team)
        self.team_list.forget()
        self.team_model.clear()
        self.timeline_model.clear()
        self.workspace.show_team("", "")
        self._close_dialogs()
        if self._search is not None:
            self._search.clear()
        for action in self.commands.all():
            action.setEnabled(False)
        self.menuBar().hide()
        self.statusBar().hide()
        self.lock_screen.reset()
        self._stack.setCurrentWidget(self.lock_screen)
        self.setWindowTitle(LOCKED_TITLE)
        self.lock_screen.focus_password()
        self.locked.emit()

    def _try_unlock(self, password: str) -> None:
        self._bridge.run_task(
            self._verify_password, password, on_done=self._unlock, on_error=self._unlock_failed
        )

    def _unlock_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StoreError):
            raise exc
        self.lock_screen.show_error(exc.message)

    def _unlock(self, _result: object = None) -> None:
        if not self._locked:
            return
        self._locked = False
        self.lock_screen.reset()
        for action in self.commands.all():
            action.setEnabled(True)
        self.menuBar().show()
        self.statusBar().show()
        self._stack.setCurrentIndex(0)
        self.setWindowTitle(window_title(self._me))
        self._read_up_to.clear()
        self.team_model.reload()
        self.idle.start()
        self.unlocked.emit()

    def end(self) -> None:
        """Close for good without it counting as the user quitting (switch user, sign out)."""
        self._ending = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.notes.unfinished is not None:
            self.notes.unfinished.keep()  # a note being written is kept, encrypted, for later
        self.idle.stop()
        self._close_dialogs()
        super().closeEvent(event)
        if not self._ending:
            self.closed.emit()

    def _close_dialogs(self) -> None:
        """Dialogs are windows of their own: they do not go when this one is hidden."""
        for child in self.findChildren(QDialog):
            child.hide()
        for menu in self.findChildren(QMenu):
            menu.close()
