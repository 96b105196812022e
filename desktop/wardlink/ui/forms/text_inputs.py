"""Text answers: one line, several lines (held to the form's length limit), and read-only values
the form works out itself."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from wardlink.core.form_definitions import DEFAULT_MAX_LENGTH
from wardlink.core.forms import Item
from wardlink.ui.forms.field_input import FieldInput

MIN_LINES: Final = 3
MAX_LINES: Final = 10
# The count of characters left appears once this share of the limit is used.
COUNT_FROM: Final = 0.8


def _bare(layout: QVBoxLayout) -> QVBoxLayout:
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    return layout


class LineInput(FieldInput):
    """A one-line answer (a `string` item)."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setMaxLength(item.max_length or DEFAULT_MAX_LENGTH)
        _bare(QVBoxLayout(self)).addWidget(self.edit)
        self.edit.textChanged.connect(self.value_changed)
        self.watch_focus(self.edit)

    def value(self) -> object | None:
        text = self.edit.text()
        return text if text.strip() else None

    def set_value(self, value: object | None) -> None:
        self.edit.setText("" if value is None else str(value))

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.edit.setReadOnly(read_only)


class LimitedTextEdit(QPlainTextEdit):
    """A text box that takes no more than `limit` characters, typed, pasted or dropped (a paste
    that would overflow goes in cut to fit)."""

    def __init__(self, limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = limit

    def room(self) -> int:
        selected = len(self.textCursor().selectedText())
        return self.limit - len(self.toPlainText()) + selected

    def insertFromMimeData(self, source: QMimeData) -> None:
        text = source.text() if source.hasText() else ""
        if len(text) > self.room():
            self.textCursor().insertText(text[: max(0, self.room())])
            self.ensureCursorVisible()
            return
        super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text()
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        adds = bool(typed) and (typed.isprintable() or typed in "\r\n") and not control
        if adds and self.room() < len(typed):
            event.accept()  # full: the keystroke is dropped, and the count below says so
            return
        super().keyPressEvent(event)


class TextBlockInput(FieldInput):
    """Free text over several lines (a `text` item): grows with its content, never takes more
    than the form's `maxLength`, and says how much room is left near the end."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_length = item.max_length or DEFAULT_MAX_LENGTH
        self.edit = LimitedTextEdit(self.max_length, self)
        self.edit.setTabChangesFocus(True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.count = QLabel(self)
        self.count.setObjectName("fieldHint")
        self.count.hide()
        layout = _bare(QVBoxLayout(self))
        layout.addWidget(self.edit)
        layout.addWidget(self.count)
        self.edit.textChanged.connect(self._text_changed)
        self.watch_focus(self.edit)
        self._fit_height()

    def value(self) -> object | None:
        text = self.edit.toPlainText()
        return text if text.strip() else None

    def set_value(self, value: object | None) -> None:
        self.edit.setPlainText("" if value is None else str(value)[: self.max_length])

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.edit.setReadOnly(read_only)

    def _text_changed(self) -> None:
        used = len(self.edit.toPlainText())
        left = self.max_length - used
        self.count.setVisible(used >= self.max_length * COUNT_FROM)
        self.count.setText(
            "No room left: this answer is at its limit."
            if left <= 0
            else f"{left:,} character{'s' if left != 1 else ''} left"
        )
        self._fit_height()
        self.value_changed.emit()

    def _fit_height(self) -> None:
        lines = max(MIN_LINES, min(MAX_LINES, int(self.edit.document().size().height())))
        margins = self.edit.contentsMargins()
        frame = 2 * self.edit.frameWidth() + margins.top() + margins.bottom()
        doc_margin = 2 * self.edit.document().documentMargin()
        height = lines * self.edit.fontMetrics().lineSpacing() + frame + doc_margin + 8
        self.edit.setFixedHeight(int(height))


class CalculatedInput(FieldInput):
    """A value the form works out (the NEWS2 total): shown, never typed, never answered here."""

    PENDING: Final = "Worked out when the answers it needs are in"

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self.PENDING, self)
        self.label.setObjectName("calculatedValue")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.label.setProperty("pending", True)
        _bare(QVBoxLayout(self)).addWidget(self.label)
        self._read_only = True

    def value(self) -> object | None:
        return None  # the core works calculated answers out afresh when filing

    def set_value(self, value: object | None) -> None:
        """`value` is the words to show (None while it cannot be worked out)."""
        self.label.setText(self.PENDING if value is None else str(value))
        self.label.setProperty("pending", value is None)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)

    def shown(self) -> str:
        return self.label.text()

    def focus_widgets(self) -> list[QWidget]:
        return [self.label]

    def set_read_only(self, read_only: bool) -> None:
        """Always read-only."""
