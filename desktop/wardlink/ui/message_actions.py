"""What the reader does to messages from the main window: send, re-send a corrected held one,
acknowledge, retry, discard, retract. Each runs its store operation through the bridge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wardlink.core.model import Message, Priority
from wardlink.store import messages as message_ops
from wardlink.ui import lazy_guard
from wardlink.ui.bridge import Bridge
from wardlink.ui.message_dialogs import ask_retract_reason, confirm_discard

if TYPE_CHECKING:
    from wardlink.ui.mainwindow import MainWindow


class MessageActions:
    """The main window's actions on messages (it keeps no state of its own)."""

    def __init__(self, window: MainWindow, bridge: Bridge) -> None:
        self._window = window
        self._bridge = bridge

    def send(self, text: str, urgent: bool) -> None:
        w = self._window
        team = w.timeline_model.team_id
        if team is None or w.is_locked:
            return
        w.follow_next_refresh = True
        self._bridge.run(
            message_ops.add_local_message,
            team,
            text,
            priority=Priority.URGENT if urgent else Priority.ROUTINE,
            on_done=lambda _result: w.composer.sent(),
        )

    def resend_edited(self, message_id: str, text: str) -> None:
        w = self._window
        w.follow_next_refresh = True
        self._bridge.run(
            message_ops.edit_held_message, message_id, text, on_done=lambda _c: w.composer.sent()
        )

    def act_on(self, action: str, message: Message) -> None:
        """Do what the reader chose for a message (a bubble's button or the keyboard menu)."""
        w = self._window
        if w.is_locked:
            return
        if action == "acknowledge":
            self._bridge.run(message_ops.acknowledge, message.id)
        elif action == "edit":
            w.composer.begin_edit(message)
        elif action == "retry":
            if lazy_guard.scan(message.body, rules=w.rules):
                w.composer.begin_edit(message)  # the guard says why it cannot go as it is
            else:
                w.follow_next_refresh = True
                self._bridge.run(message_ops.edit_held_message, message.id, message.body)
        elif action == "discard":
            self._confirm_discard(message)
        elif action == "retract":
            self._ask_retract_reason(message)

    def act_on_target(self, action: str) -> None:
        """A menu action: on the selected message if it applies, else the newest it applies to."""
        w = self._window
        current = w.timeline.current_message()
        if current is not None and action in w.timeline.actions_for(current):
            self.act_on(action, current)
            return
        for row in range(w.timeline_model.rowCount() - 1, -1, -1):
            message = w.timeline_model.message_at(row)
            if message is not None and action in w.timeline.actions_for(message):
                self.act_on(action, message)
                return

    def _confirm_discard(self, message: Message) -> None:
        confirm_discard(
            self._window, lambda: self._bridge.run(message_ops.discard_held_message, message.id)
        )

    def _ask_retract_reason(self, message: Message) -> None:
        w = self._window

        def retract(reason: str) -> None:
            if lazy_guard.scan(reason, rules=w.rules):
                w.show_error("Patient details can't go in the reason. Say why without them.")
            else:
                self._bridge.run(message_ops.retract_message, message.id, reason)

        ask_retract_reason(self._window, retract)
