"""The composer: where a message is written, with the patient-data guard watching as you type.

The guard (`core.guard.scan`, with the rules from policy) runs a moment after each keystroke and
underlines what it finds; while anything is found the Send button stays off, a line says why in
plain words, and "Move to a patient note" appears. Sending always scans again first, so a fast
Enter never beats the guard. Enter sends, Shift+Enter starts a new line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.model import Message
from wardlink.ui import lazy_guard
from wardlink.ui.guard_text import refusal
from wardlink.ui.text_positions import Utf16Offsets
from wardlink.ui.theme import NHS_RED
from wardlink.ui.visible_controls import TickBox

if TYPE_CHECKING:
    from wardlink.core.guard import Finding, Rules

RulesSource = Callable[[], "Rules"]

GUARD_DELAY_MS: Final = 250
MIN_LINES: Final = 2
MAX_LINES: Final = 8
PLACEHOLDER: Final = "Write a message. Patient details go in a patient note, not in chat."
HINT: Final = "Enter to send · Shift+Enter for a new line"


class ComposerEdit(QPlainTextEdit):
    """The text box: Enter submits, Shift+Enter is a new line, copying never carries an
    identifier the guard can see (it copies the text without it).

    Signals:
    - submitted(): Enter (or Ctrl+Enter) was pressed.
    """

    submitted = Signal()

    def __init__(self, rules: RulesSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rules = rules
        self._reserved: set[str] = set()
        self.setTabChangesFocus(True)
        self.setPlaceholderText(PLACEHOLDER)
        self.setAccessibleName("Message")
        self.setAccessibleDescription(HINT)
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def reserve_shortcuts(self, keys: Sequence[QKeySequence]) -> None:
        """Let these window shortcuts through even where a text box has its own use for the
        keys (Ctrl+K deletes to the end of the line on some systems)."""
        self._reserved = {k.toString() for k in keys if not k.isEmpty()}

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination()).toString()
            if pressed in self._reserved:
                event.ignore()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")
            else:
                self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def createMimeDataFromSelection(self) -> QMimeData:
        """What copy, cut and drag carry: the selection with any identifier taken out, so that
        patient details never reach the clipboard (or its history)."""
        text = self.textCursor().selection().toPlainText()
        # Qt's own object, emptied and refilled: one made in Python here would be freed by
        # Python while the clipboard still holds it.
        mime = super().createMimeDataFromSelection()
        mime.text()  # let it fill its formats from the selection first, then drop them all
        for fmt in mime.formats():
            mime.removeFormat(fmt)
        mime.setText(lazy_guard.redact(text, lazy_guard.scan(text, rules=self._rules())))
        return mime

    def _fit_height(self) -> None:
        lines = max(MIN_LINES, min(MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = 2 * self.frameWidth() + margins.top() + margins.bottom()
        doc_margin = 2 * self.document().documentMargin()
        self.setFixedHeight(int(lines * self.fontMetrics().lineSpacing() + frame + doc_margin + 8))


class Composer(QFrame):
    """The message box with its guard, urgent toggle and Send button.

    Signals:
    - send_requested(str, bool): the text (nothing found in it) and whether it is urgent.
    - edit_requested(str, str): a held message's id and its corrected text.
    - edit_cancelled(): editing a held message was given up.
    - move_to_note_requested(str, list): the text and the guard's findings in it.
    - guard_checked(list): the guard has looked at the current text (its findings).
    """

    send_requested = Signal(str, bool)
    edit_requested = Signal(str, str)
    edit_cancelled = Signal()
    move_to_note_requested = Signal(str, list)
    guard_checked = Signal(list)

    def __init__(
        self,
        *,
        rules: Rules | RulesSource | None = None,
        guard_timer: QTimer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAccessibleName("Write a message")
        # The rules (and the guard with them) are worked out when first needed.
        self._rules_source: RulesSource = (
            rules if callable(rules) else (lambda: rules or lazy_guard.default_rules())
        )
        self._rules: Rules | None = None
        self._findings: list[Finding] = []
        self._checked_text: str | None = None
        self._editing: Message | None = None

        self.edit = ComposerEdit(lambda: self.rules, self)
        self.urgent = TickBox("&Urgent", self)  # its box must show on the dark scheme too
        self.urgent.setObjectName("urgentToggle")
        self.urgent.setAccessibleName("Urgent")
        self.urgent.setToolTip("Urgent: the team is alerted and asked to acknowledge (Alt+U)")
        self.send_button = QPushButton("Send", self)
        self.send_button.setProperty("role", "primary")
        self.send_button.setAccessibleName("Send")
        self.send_button.setEnabled(False)
        self.refusal_label = QLabel(self)
        self.refusal_label.setObjectName("refusal")
        self.refusal_label.setWordWrap(True)
        self.refusal_label.setAccessibleName("Why this can't be sent")
        self.refusal_label.hide()
        self.move_button = QPushButton("Move to a patient note", self)
        self.move_button.setAccessibleName("Move to a patient note")
        self.move_button.hide()
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("hint")

        self.edit_banner = QFrame(self)
        self.edit_banner.setObjectName("editBanner")
        self.edit_banner_label = QLabel("Editing a message that was not sent", self.edit_banner)
        self.cancel_edit_button = QPushButton("Cancel editing", self.edit_banner)
        self.cancel_edit_button.setProperty("role", "quiet")
        self.cancel_edit_button.setAccessibleName("Cancel editing")
        banner_row = QHBoxLayout(self.edit_banner)
        banner_row.setContentsMargins(6, 2, 2, 2)
        banner_row.addWidget(self.edit_banner_label, 1)
        banner_row.addWidget(self.cancel_edit_button)
        self.edit_banner.hide()

        refusal_row = QHBoxLayout()
        refusal_row.addWidget(self.refusal_label, 1)
        refusal_row.addWidget(self.move_button, 0, Qt.AlignmentFlag.AlignTop)
        controls = QHBoxLayout()
        controls.addWidget(self.urgent)
        controls.addSpacing(12)
        controls.addWidget(self.hint, 1)
        controls.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.edit_banner)
        layout.addWidget(self.edit)
        layout.addLayout(refusal_row)
        layout.addLayout(controls)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self._timer = guard_timer or QTimer(self)
        if guard_timer is None:
            self._timer.setInterval(GUARD_DELAY_MS)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.check_now)
        self.edit.textChanged.connect(self._text_changed)
        self.edit.submitted.connect(self.submit)
        self.send_button.clicked.connect(self.submit)
        self.urgent.toggled.connect(self._urgent_toggled)
        self.move_button.clicked.connect(self.move_to_note)
        self.cancel_edit_button.clicked.connect(self.cancel_edit)

    # -- what others read ----------------------------------------------------------------------

    @property
    def rules(self) -> Rules:
        if self._rules is None:
            self._rules = self._rules_source()
        return self._rules

    @property
    def findings(self) -> list[Finding]:
        return list(self._findings)

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    @property
    def editing(self) -> Message | None:
        return self._editing

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(QTextCursor.MoveOperation.End)

    # -- the guard -----------------------------------------------------------------------------

    def _text_changed(self) -> None:
        self._checked_text = None
        self._sync_send_button()
        self._timer.start()

    def check_now(self) -> list[Finding]:
        """Run the guard over the text now: underline, explain, and enable Send or not."""
        self._timer.stop()
        text = self.text
        self._findings = lazy_guard.scan(text, rules=self.rules)
        self._checked_text = text
        self._underline(text, self._findings)
        message = refusal(self._findings)
        self.refusal_label.setText(message)
        self.refusal_label.setVisible(bool(message))
        self.move_button.setVisible(bool(self._findings))
        self.edit.setProperty("refused", bool(self._findings))
        _restyle(self.edit)
        self._sync_send_button()
        self.guard_checked.emit(list(self._findings))
        return self._findings

    def _underline(self, text: str, findings: Sequence[Finding]) -> None:
        offsets = Utf16Offsets(text)
        selections = []
        for finding in findings:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.edit.document())
            cursor.setPosition(offsets.to_utf16(finding.start))
            cursor.setPosition(offsets.to_utf16(finding.end), QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(NHS_RED))
            fmt.setBackground(QColor(213, 40, 27, 70))
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.edit.setExtraSelections(selections)

    def _sync_send_button(self) -> None:
        clean = self._checked_text == self.text and not self._findings
        # While a check is pending, Send stays as the last check left it; submit re-checks.
        pending_ok = self._checked_text is None and not self._findings
        self.send_button.setEnabled(bool(self.text.strip()) and (clean or pending_ok))

    # -- sending -------------------------------------------------------------------------------

    def submit(self) -> None:
        """Send (or re-send an edited held message) if the guard finds nothing right now."""
        text = self.text
        if not text.strip():
            return
        if self.check_now():
            self.edit.setFocus()
            return
        if self._editing is not None:
            self.edit_requested.emit(self._editing.id, text)
        else:
            self.send_requested.emit(text, self.urgent.isChecked())

    def sent(self) -> None:
        """The message is safely queued: start afresh."""
        self._editing = None
        self.edit_banner.hide()
        self.urgent.setEnabled(True)
        self.urgent.setChecked(False)
        self.edit.clear()
        self.check_now()

    def _urgent_toggled(self, urgent: bool) -> None:
        self.send_button.setText("Send urgent" if urgent else "Send")
        self.send_button.setAccessibleName("Send urgent" if urgent else "Send")
        self.edit.setProperty("urgent", urgent)
        _restyle(self.edit)

    def move_to_note(self) -> None:
        findings = self.check_now()
        if findings:
            self.move_to_note_requested.emit(self.text, findings)

    # -- editing a held message ----------------------------------------------------------------

    def begin_edit(self, message: Message) -> None:
        """Put a held message's text here to correct it; Send re-queues it."""
        self._editing = message
        self.edit_banner.show()
        self.urgent.setChecked(message.is_urgent)
        self.urgent.setEnabled(False)
        self.set_text(message.body)
        self.check_now()
        self.edit.setFocus()

    def cancel_edit(self) -> None:
        if self._editing is None:
            return
        self._editing = None
        self.edit_banner.hide()
        self.urgent.setEnabled(True)
        self.urgent.setChecked(False)
        self.edit.clear()
        self.check_now()
        self.edit_cancelled.emit()


def _restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a property it selects on changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
