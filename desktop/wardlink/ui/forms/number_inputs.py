"""Number answers: whole numbers, decimals and amounts with a unit.

Line edits rather than spin boxes: a spin box always holds a number, so "not measured" could not
be told from zero, and its arrows invite a nudge away from the reading. The validator lets only
digits (and one decimal point) in; the range is the form's and is checked with everything else.
"""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from wardlink.core.forms import Item, Quantity
from wardlink.ui.forms.field_input import FieldInput
from wardlink.ui.forms.typed_values import (
    DECIMAL_PATTERN,
    INTEGER_PATTERN,
    format_number,
    parse_decimal,
    parse_integer,
)


def range_hint(item: Item) -> str:
    """`From 20 to 300` (or at least / at most), empty without bounds."""
    low, high = item.min_value, item.max_value
    if low is not None and high is not None:
        return f"From {format_number(low)} to {format_number(high)}"
    if low is not None:
        return f"At least {format_number(low)}"
    if high is not None:
        return f"At most {format_number(high)}"
    return ""


def _number_edit(parent: QWidget, *, whole: bool) -> QLineEdit:
    edit = QLineEdit(parent)
    pattern = QRegularExpression(INTEGER_PATTERN if whole else DECIMAL_PATTERN)
    edit.setValidator(QRegularExpressionValidator(pattern, edit))
    edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("0") * 14)
    return edit


class NumberInput(FieldInput):
    """A whole number (`integer`) or a number with decimals (`decimal`)."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.whole = item.type == "integer"
        self.edit = _number_edit(self, whole=self.whole)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addStretch(1)
        self.edit.textChanged.connect(self.value_changed)
        self.watch_focus(self.edit)

    def value(self) -> object | None:
        text = self.edit.text().strip()
        if not text:
            return None
        number = parse_integer(text) if self.whole else parse_decimal(text)
        return text if number is None else number

    def set_value(self, value: object | None) -> None:
        self.edit.setText("" if value is None else _number_text(value))

    def problem(self) -> str | None:
        if isinstance(self.value(), str):
            return "Write a whole number." if self.whole else "Write a number, e.g. 37.5."
        return None

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.edit.setReadOnly(read_only)


class QuantityInput(FieldInput):
    """An amount with its unit (a `quantity` item): a number, and the unit chosen where the form
    offers more than one."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.edit = _number_edit(self, whole=False)
        self.unit: QComboBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        if len(item.units) > 1:
            self.unit = QComboBox(self)
            for unit in item.units:
                self.unit.addItem(unit.display, unit.code)
            self.unit.setAccessibleName(f"Unit for {item.text}")
            self.unit.currentIndexChanged.connect(self.value_changed)
            layout.addWidget(self.unit)
            self.watch_focus(self.unit)
        elif item.units:
            layout.addWidget(QLabel(item.units[0].display, self))
        layout.addStretch(1)
        self.edit.textChanged.connect(self.value_changed)
        self.watch_focus(self.edit)

    def unit_code(self) -> str:
        if self.unit is not None:
            return str(self.unit.currentData())
        return self.item.units[0].code if self.item.units else ""

    def value(self) -> object | None:
        text = self.edit.text().strip()
        if not text:
            return None
        number = parse_decimal(text)
        return text if number is None else Quantity(number, self.unit_code())

    def set_value(self, value: object | None) -> None:
        if isinstance(value, Quantity):
            self.edit.setText(_number_text(value.value))
            if self.unit is not None:
                self.unit.setCurrentIndex(max(0, self.unit.findData(value.unit)))
        else:
            self.edit.setText("" if value is None else str(value))

    def problem(self) -> str | None:
        return "Write a number, e.g. 72.5." if isinstance(self.value(), str) else None

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit] + ([self.unit] if self.unit is not None else [])

    def describe(self, name: str, description: str = "") -> None:
        super().describe(name, description)
        self.edit.setAccessibleName(name)


def _number_text(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return str(value)
