"""The main window's menus and keyboard shortcuts: every action has both.

Menu entries name actions, never teams or patients, so a menu shows nothing that a locked
screen must hide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Key = QKeySequence.StandardKey | str


@dataclass
class WindowActions:
    """The actions, by name, so the window (and tests) can reach each one."""

    search: QAction
    lock: QAction
    switch_user: QAction
    sign_out: QAction
    quit: QAction
    settings: QAction
    next_team: QAction
    previous_team: QAction
    go_to_team: list[QAction]
    focus_teams: QAction
    focus_messages: QAction
    focus_composer: QAction
    next_pane: QAction
    previous_pane: QAction
    newest: QAction
    urgent: QAction
    move_to_note: QAction
    new_note: QAction
    patient_notes: QAction
    acknowledge: QAction
    edit_held: QAction
    retry_held: QAction
    discard_held: QAction
    retract: QAction
    shortcuts: QAction
    menus: list[QMenu] = field(default_factory=list)

    def all(self) -> list[QAction]:
        found = [
            value
            for name, value in vars(self).items()
            if isinstance(value, QAction) and name != "menus"
        ]
        return found + self.go_to_team


def _action(window: QMainWindow, text: str, keys: Sequence[Key] = (), tip: str = "") -> QAction:
    action = QAction(text, window)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    window.addAction(action)  # shortcuts work even with the menu bar hidden
    return action


def build_actions(window: QMainWindow) -> WindowActions:
    a = WindowActions(
        search=_action(window, "&Search messages…", ["Ctrl+K", "Ctrl+F"]),
        lock=_action(window, "&Lock", ["Ctrl+L"], "Lock Wardlink now"),
        switch_user=_action(window, "S&witch user…"),
        sign_out=_action(window, "Sign &out"),
        quit=_action(window, "&Quit", ["Ctrl+Q"]),
        settings=_action(window, "S&ettings…", ["Ctrl+,"]),
        next_team=_action(window, "&Next team", ["Ctrl+PgDown"]),
        previous_team=_action(window, "&Previous team", ["Ctrl+PgUp"]),
        go_to_team=[_action(window, f"Team {n}", [f"Ctrl+{n}"]) for n in range(1, 10)],
        focus_teams=_action(window, "Go to the &team list", ["Ctrl+Shift+T"]),
        focus_messages=_action(window, "Go to the &messages", ["Ctrl+Shift+M"]),
        focus_composer=_action(window, "&Write a message", ["Ctrl+N"]),
        next_pane=_action(window, "Next pane", ["F6"]),
        previous_pane=_action(window, "Previous pane", ["Shift+F6"]),
        newest=_action(window, "Show the n&ewest messages", ["Ctrl+End"]),
        urgent=_action(window, "Mark as &urgent", ["Ctrl+Shift+U"]),
        move_to_note=_action(window, "&Move to a patient note", ["Ctrl+Shift+N"]),
        new_note=_action(window, "&New patient note…", ["Ctrl+Shift+O"], "Fill in a clinical form"),
        patient_notes=_action(
            window,
            "&Patient notes…",
            ["Ctrl+Shift+P"],
            "Find a patient's notes by NHS or CHI number",
        ),
        acknowledge=_action(window, "&Acknowledge urgent message", ["Ctrl+Shift+A"]),
        edit_held=_action(window, "&Edit unsent message", ["Ctrl+E"]),
        retry_held=_action(window, "&Retry unsent message", ["Ctrl+R"]),
        discard_held=_action(window, "&Discard unsent message…", ["Ctrl+Shift+D"]),
        retract=_action(window, "Re&tract my message…"),
        shortcuts=_action(window, "&Keyboard shortcuts", ["F1"]),
    )
    a.urgent.setCheckable(True)
    bar = window.menuBar()
    app_menu = bar.addMenu("&Wardlink")
    app_menu.addActions([a.search])
    app_menu.addSeparator()
    app_menu.addActions([a.lock, a.switch_user, a.sign_out])
    app_menu.addSeparator()
    app_menu.addAction(a.settings)
    app_menu.addSeparator()
    app_menu.addAction(a.quit)
    team_menu = bar.addMenu("&Team")
    team_menu.addActions([a.next_team, a.previous_team])
    go_menu = team_menu.addMenu("&Go to team")
    go_menu.addActions(a.go_to_team)
    team_menu.addSeparator()
    team_menu.addActions([a.focus_teams, a.focus_messages, a.focus_composer, a.newest])
    message_menu = bar.addMenu("&Message")
    message_menu.addActions([a.urgent, a.move_to_note])
    message_menu.addSeparator()
    message_menu.addActions([a.acknowledge, a.edit_held, a.retry_held, a.discard_held])
    message_menu.addSeparator()
    message_menu.addAction(a.retract)
    notes_menu = bar.addMenu("&Notes")
    notes_menu.addActions([a.new_note, a.patient_notes])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.shortcuts)
    a.menus = [app_menu, team_menu, go_menu, message_menu, notes_menu, help_menu]
    return a


def connect(action: QAction, slot: Callable[[], object]) -> None:
    action.triggered.connect(lambda _checked=False: slot())


class ShortcutsDialog(QDialog):
    """Every action and its keys, so that nothing needs the mouse."""

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [
            (
                a.text().replace("&", ""),
                ", ".join(
                    k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()
                ),
            )
            for a in actions
            if a.shortcuts()
        ]
        rows += [
            ("Send the message", "Enter"),
            ("New line in the message", "Shift+Enter"),
            ("Actions for the selected message", "Enter or the Menu key"),
        ]
        table = QTableWidget(len(rows), 2, self)
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (name, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        self.resize(
            self.fontMetrics().horizontalAdvance("M") * 36, self.fontMetrics().height() * 30
        )
