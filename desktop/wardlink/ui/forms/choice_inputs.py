"""Answers chosen from a list: yes or no, one of a few (radio buttons), one of many (a list that
drops down), and all that apply (tick boxes, for a repeating choice).

None of them starts with an answer picked: a form pre-filled with "No" would file "No" for a
question nobody asked the patient.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPaintEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.forms import Item
from wardlink.ui.forms.field_input import FieldInput, sentences
from wardlink.ui.visible_controls import TickBox, outline_indicator

MOST_RADIOS: Final = 5  # more options than this drop down from a list instead
SHORT_LABEL: Final = 16  # options this short and few sit side by side
MOST_SIDE_BY_SIDE: Final = 4
TWO_COLUMNS_FROM: Final = 7  # tick boxes go in two columns from this many
CHOOSE: Final = "Choose…"
CLEAR: Final = "Clear answer"


class RadioButton(QRadioButton):
    """A radio button whose circle can be seen in both schemes; Delete or Backspace on it asks
    for its question's answer to be cleared.

    Signals: `clear_requested()`."""

    clear_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        outline_indicator(self)


def _side_by_side(labels: list[str]) -> bool:
    return len(labels) <= MOST_SIDE_BY_SIDE and all(len(t) <= SHORT_LABEL for t in labels)


class _Radios(FieldInput):
    """Radio buttons for one answer out of `options` ((code, label) pairs), none chosen at
    first; choosing one is moving on, so it also reports `focus_left`. Once one is chosen a
    "Clear answer" button (or Delete on a button) takes the answer back: a question answered by
    mistake must not have to be filed with that answer."""

    def __init__(self, options: list[tuple[object, str]], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.codes = [code for code, _ in options]
        self.group = QButtonGroup(self)
        labels = [label for _, label in options]
        horizontal = _side_by_side(labels)
        layout: QBoxLayout = QHBoxLayout(self) if horizontal else QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(18 if horizontal else 4)
        self.buttons: list[RadioButton] = []
        for index, label in enumerate(labels):
            button = RadioButton(label, self)
            button.setAccessibleName(label)
            self.group.addButton(button, index)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            button.clear_requested.connect(self.clear)
            self.buttons.append(button)
        self.clear_button = QToolButton(self)  # styled as the form's small buttons ("Calendar")
        self.clear_button.setText(CLEAR)
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.clear_button.setToolTip("Take this answer back (Delete)")
        self.clear_button.setAccessibleName(CLEAR)
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.hide()
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignLeft)
        if horizontal:
            layout.addStretch(1)
        self.group.idToggled.connect(self._toggled)
        self.watch_focus(*self.buttons, self.clear_button)

    def _toggled(self, _index: int, checked: bool) -> None:
        self.clear_button.setVisible(self.group.checkedId() >= 0)
        if checked:
            self.value_changed.emit()
            self.focus_left.emit()

    def clear(self) -> None:
        """No answer, as before one was chosen; focus stays on this question."""
        had_focus = self.clear_button.hasFocus() or any(b.hasFocus() for b in self.buttons)
        self.set_value(None)
        if had_focus:
            self.buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def value(self) -> object | None:
        index = self.group.checkedId()
        return None if index < 0 else self.codes[index]

    def set_value(self, value: object | None) -> None:
        if value in self.codes:
            self.buttons[self.codes.index(value)].setChecked(True)
            return
        if self.group.checkedId() < 0:
            return
        self.group.setExclusive(False)  # an exclusive group cannot go back to "no answer"
        for button in self.buttons:
            button.setChecked(False)
        self.group.setExclusive(True)
        self.value_changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        return [*self.buttons, self.clear_button]

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, description)
        for button in self.buttons:  # each says its own option, and which question it answers
            button.setAccessibleDescription(sentences(name, description))
        self.clear_button.setAccessibleDescription(sentences(name))


class BooleanInput(_Radios):
    """Yes or No, side by side, and unanswered until one is picked."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__([(True, "Yes"), (False, "No")], parent)

    def value(self) -> object | None:
        index = self.group.checkedId()
        return None if index < 0 else index == 0

    def set_value(self, value: object | None) -> None:
        super().set_value(value if isinstance(value, bool) else None)


class RadioChoiceInput(_Radios):
    """One of a few options."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__([(o.code, o.display) for o in item.options], parent)


class _NoWheelUnlessFocused(QObject):
    """Scrolling the form past a drop-down list must not change the answer in it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()
            return True
        return super().eventFilter(watched, event)


class ListChoiceInput(FieldInput):
    """One of many options, from a list that drops down; it starts at "Choose…"."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.addItem(CHOOSE, None)
        for option in item.options:
            self.combo.addItem(option.display, option.code)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._wheel_guard = _NoWheelUnlessFocused(self)
        self.combo.installEventFilter(self._wheel_guard)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self.value_changed)
        self.combo.activated.connect(self.focus_left)
        self.watch_focus(self.combo)

    def value(self) -> object | None:
        data = self.combo.currentData()
        return None if data is None else str(data)

    def set_value(self, value: object | None) -> None:
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(0, index))

    def focus_widgets(self) -> list[QWidget]:
        return [self.combo]


class MultiChoiceInput(FieldInput):
    """All that apply (a repeating choice): one tick box per option, in the form's order."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.codes = [o.code for o in item.options]
        self.boxes: list[TickBox] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(4)
        columns = 2 if len(self.codes) >= TWO_COLUMNS_FROM else 1
        rows = -(-len(self.codes) // columns)
        for index, option in enumerate(item.options):
            box = TickBox(option.display, self)
            box.setAccessibleName(option.display)
            box.toggled.connect(self.value_changed)
            grid.addWidget(box, index % rows, index // rows, Qt.AlignmentFlag.AlignLeft)
            self.boxes.append(box)
        grid.setColumnStretch(columns, 1)
        self.watch_focus(*self.boxes)

    def value(self) -> object | None:
        chosen = [code for code, box in zip(self.codes, self.boxes, strict=True) if box.isChecked()]
        return chosen or None

    def set_value(self, value: object | None) -> None:
        wanted = set(value) if isinstance(value, list | tuple) else set()
        for code, box in zip(self.codes, self.boxes, strict=True):
            box.blockSignals(True)
            box.setChecked(code in wanted)
            box.blockSignals(False)
        self.value_changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        return list(self.boxes)

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, description)
        for box in self.boxes:
            box.setAccessibleDescription(sentences(name, description))
