"""System notifications that say where to look, never what was said.

A notification names the team at most ("New message in Ward 7 (Surgical)"), never a message body
or anything about a patient: notifications stay on screen, in the OS's history and on a locked
PC's lock screen. While Wardlink is locked even the team's name is too much on a shared PC, so it
says only "New message in Wardlink". An urgent message repeats its notification every two
minutes until someone acknowledges it.

What is new is worked out from the store (unread counts, the newest message from others, urgent
messages awaiting acknowledgement) through a store operation on the DB lane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from wardlink.store import messages as message_ops
from wardlink.store import teams as team_ops
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.ui.bridge import Bridge
from wardlink.ui.workspace import APP_NAME

REPEAT_MS: Final = 2 * 60 * 1000
RECENT: Final = 50  # the newest messages of a team looked at for what is new
TITLE: Final = APP_NAME


def new_message_text(team: str | None) -> str:
    return f"New message in {team or APP_NAME}"


def urgent_message_text(team: str | None) -> str:
    return f"Urgent message in {team or APP_NAME}"


@dataclass(frozen=True, slots=True)
class TeamAlerts:
    """One team's state as notifications see it."""

    name: str
    unread: int
    newest_from_others: int  # the newest sequence number of a message from someone else
    urgent_waiting: frozenset[str]  # others' urgent messages nobody has acknowledged yet


@dataclass(frozen=True, slots=True)
class AlertState:
    teams: dict[str, TeamAlerts] = field(default_factory=dict)


def alert_state(store: Store) -> AlertState:
    """A store operation: what notifications compare, for every team (bounded work each)."""
    unread = message_ops.unread_counts(store)
    found: dict[str, TeamAlerts] = {}
    for team in team_ops.list_teams(store):
        recent = [
            m
            for m in message_ops.latest_messages(store, team.id, RECENT)
            if m.author_id != store.me and m.seq is not None
        ]
        found[team.id] = TeamAlerts(
            name=team.name,
            unread=unread.get(team.id, 0),
            newest_from_others=max((m.seq or 0 for m in recent), default=0),
            urgent_waiting=frozenset(m.id for m in recent if m.awaiting_ack),
        )
    return AlertState(found)


@dataclass(frozen=True, slots=True)
class Alert:
    title: str
    text: str
    urgent: bool


class Notifier(QObject):
    """Shows a notification when messages from others arrive.

    Signals:
    - shown(Alert): a notification was shown (with the exact strings; tests read them).
    """

    shown = Signal(object)

    def __init__(
        self,
        bridge: Bridge,
        *,
        tray: QSystemTrayIcon | None = None,
        repeat_timer: QTimer | None = None,
        is_watching: Callable[[str], bool] = lambda _team: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._tray = tray
        self._is_watching = is_watching
        self._locked = False
        self._stopped = False
        self._known: AlertState | None = None
        self._asking = False
        self._ask_again = False
        self._repeating: dict[str, frozenset[str]] = {}  # team -> urgent ids notified, unacked
        self._timer = repeat_timer or QTimer(self)
        if repeat_timer is None:
            self._timer.setInterval(REPEAT_MS)
        self._timer.timeout.connect(self.repeat)
        bridge.changed.connect(self.on_changes)

    @property
    def repeating(self) -> bool:
        return bool(self._repeating)

    def set_locked(self, locked: bool) -> None:
        self._locked = locked

    def start(self) -> None:
        """Take the store's present state as what has been seen (nothing to notify yet)."""
        self._ask()

    def on_changes(self, changes: Changes) -> None:
        if changes.messages or changes.teams or changes.purged:
            self._ask()

    def _ask(self) -> None:
        if self._stopped:
            return
        if self._asking:
            self._ask_again = True
            return
        self._asking = True
        self._bridge.run(alert_state, on_done=self._compare, on_error=self._failed)

    def _failed(self, _exc: BaseException) -> None:
        self._asking = False  # the profile closed: nothing more to notify

    def _compare(self, state: AlertState) -> None:
        self._asking = False
        if self._stopped:
            return
        before, self._known = self._known, state
        if before is not None:
            for team_id, now in state.teams.items():
                was = before.teams.get(team_id)
                if was is None:
                    continue
                fresh_urgent = now.urgent_waiting - was.urgent_waiting
                if fresh_urgent:
                    self._repeating[team_id] = self._repeating.get(team_id, frozenset()) | (
                        fresh_urgent
                    )
                    self._show(urgent_message_text(self._team_name(now)), urgent=True)
                elif (
                    now.newest_from_others > was.newest_from_others
                    and now.unread > 0
                    and not self._is_watching(team_id)
                ):
                    self._show(new_message_text(self._team_name(now)), urgent=False)
        for team_id in list(self._repeating):
            now_team = state.teams.get(team_id)
            waiting = self._repeating[team_id] & (now_team.urgent_waiting if now_team else set())
            if waiting:
                self._repeating[team_id] = waiting
            else:
                del self._repeating[team_id]  # acknowledged (or gone): stop repeating
        if self._repeating and not self._timer.isActive():
            self._timer.start()
        elif not self._repeating:
            self._timer.stop()
        if self._ask_again:
            self._ask_again = False
            self._ask()

    def repeat(self) -> None:
        """Remind of each team's urgent messages that nobody has acknowledged yet."""
        if self._known is None:
            return
        for team_id in self._repeating:
            team = self._known.teams.get(team_id)
            if team is not None:
                self._show(urgent_message_text(self._team_name(team)), urgent=True)

    def _team_name(self, team: TeamAlerts) -> str | None:
        return None if self._locked else team.name

    def _show(self, text: str, *, urgent: bool) -> None:
        alert = Alert(TITLE, text, urgent)
        if self._tray is not None and self._tray.isVisible():
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if urgent
                else QSystemTrayIcon.MessageIcon.Information
            )
            self._tray.showMessage(alert.title, alert.text, icon, 10_000)
        self.shown.emit(alert)

    def stop(self) -> None:
        """No more notifications from this session."""
        self._stopped = True
        self._timer.stop()
        self._repeating.clear()
        self._known = None
