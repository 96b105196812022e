"""One question on screen (its label, hint, control and problem) and the titled sections that
hold them.

A problem appears under its field once the user has moved on from it, or tried to submit; never
while they are still typing the first characters (`FieldInput.live_problem` is the exception).
It is said in plain words, without the field's name (that is right above it), and it is also
given to the control as its accessible description, so a screen reader says it on focus.
"""

from __future__ import annotations

import html
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from wardlink.core.forms import Item
from wardlink.ui.forms.field_input import FieldInput, sentences
from wardlink.ui.forms.number_inputs import range_hint
from wardlink.ui.theme import colors_for

REQUIRED_MARK: Final = "*"


def question_label(item: Item) -> str:
    """The item's text as the core's messages name it (without a trailing colon or '?')."""
    return item.text.rstrip(":?")


def plain_problem(item: Item, message: str) -> str:
    """A core message without the field name it starts with: `Must be from 20 to 300.`"""
    prefix = f"{question_label(item)}: "
    rest = message.removeprefix(prefix)
    return rest[:1].upper() + rest[1:]


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a property it selects on changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FieldRow(QWidget):
    """A question with its control; `touched` once the user moved on from it."""

    def __init__(self, item: Item, field: FieldInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.field = field
        self.touched = False
        self.message: str | None = None
        required = item.required and item.calculated is None
        text = html.escape(item.text)
        if required:
            star = colors_for(self.palette()).urgent
            text += f'&nbsp;<span style="color:{star}">{REQUIRED_MARK}</span>'
        self.label = QLabel(text, self)
        self.label.setObjectName("fieldLabel")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setBuddy(field.focus_widgets()[0])
        hint = range_hint(item) if item.type in ("integer", "decimal", "quantity") else ""
        self.hint = QLabel(hint, self)
        self.hint.setObjectName("fieldHint")
        self.hint.setVisible(bool(hint))
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(f"Problem with {question_label(item)}")
        self.error.hide()
        self._description = sentences("Required" if required else "", hint)
        field.describe(question_label(item), self._description)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        if hint:
            layout.addWidget(self.hint)
        layout.addWidget(field)
        layout.addWidget(self.error)
        field.focus_left.connect(self.touch)

    def touch(self) -> None:
        self.touched = True

    def show_problem(self, message: str | None) -> None:
        if message == self.message:
            return
        self.message = message
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        description = sentences(message or "", self._description)
        for widget in self.field.focus_widgets():
            widget.setAccessibleDescription(description)
            widget.setProperty("invalid", bool(message))
            restyle(widget)


class GroupSection(QFrame):
    """A group of questions under its title; a top-level group is a card, a nested one an
    indented part of its card."""

    def __init__(self, item: Item | None, *, nested: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("formSubsection" if nested else "formSection")
        self.message: str | None = None
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(*((14, 4, 0, 4) if nested else (20, 14, 20, 16)))
        self.body.setSpacing(8)
        self.title: QLabel | None = None
        if item is not None:
            self.title = QLabel(item.text, self)
            self.title.setObjectName("subsectionTitle" if nested else "sectionTitle")
            self.title.setWordWrap(True)
            self.title.setAccessibleName(item.text)
            self.body.addWidget(self.title)
            self.setAccessibleName(item.text)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.body.addWidget(self.error)

    def add(self, widget: QWidget) -> None:
        self.body.addWidget(widget)

    def show_problem(self, message: str | None) -> None:
        self.message = message
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def guidance(item: Item, parent: QWidget) -> QLabel:
    """A display item: text for the reader, not a question."""
    label = QLabel(item.text, parent)
    label.setObjectName("formGuidance")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
