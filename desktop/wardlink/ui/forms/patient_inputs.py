"""The patient's number, checked as it is typed against the identifier type chosen above it.

A full ten digits that fail the check digit are flagged at once, before the user moves on: a
mistyped number is the commonest way a note reaches the wrong patient's record. Messages name the
kind of number, never the digits, so nothing of the patient can reach a log from here.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from wardlink.core.form_patient import compact_number
from wardlink.core.forms import CHI, IDENTIFIER_TYPE, NHS, Item
from wardlink.core.identifiers import (
    DEFAULT_CHI_SYSTEM,
    NHS_NUMBER_SYSTEM,
    format_chi_number,
    format_nhs_number,
    is_valid_chi_number,
    is_valid_nhs_number,
)
from wardlink.ui.forms.field_input import FieldInput

DIGITS: Final = 10
_NAMES: Final = {NHS: "NHS number", CHI: "CHI number"}
_KINDS: Final = {
    NHS: NHS,
    "nhs_number": NHS,
    NHS_NUMBER_SYSTEM: NHS,
    CHI: CHI,
    "chi_number": CHI,
    DEFAULT_CHI_SYSTEM: CHI,
}


def identifier_kind(system: str | None) -> str | None:
    """The patient block's identifier type for an identifier system (a FHIR system URI, the
    form's code `nhs`/`chi`, or the guard's kind `nhs_number`/`chi_number`); None if unknown."""
    return _KINDS.get(system or "")


def _valid(kind: str, digits: str) -> bool:
    return is_valid_nhs_number(digits) if kind == NHS else is_valid_chi_number(digits)


class PatientNumberInput(FieldInput):
    """The NHS or CHI number (the patient block's `patient.identifier`)."""

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind: str | None = None
        self.edit = QLineEdit(self)
        self.edit.setMaxLength(item.max_length or 12)
        self.edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"[0-9 \-]*"), self.edit)
        )
        self.edit.setMaximumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 18)
        self.status = QLabel(self)
        self.status.setObjectName("numberChecked")
        self.status.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.edit)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.edit.textChanged.connect(self._text_changed)
        self.watch_focus(self.edit)

    def _text_changed(self) -> None:
        self._show_status()
        self.value_changed.emit()

    def _show_status(self) -> None:
        digits = compact_number(self.edit.text())
        ok = self.kind is not None and len(digits) == DIGITS and _valid(self.kind, digits)
        self.status.setText(f"✓ Valid {_NAMES[self.kind]}" if ok and self.kind else "")
        self.status.setVisible(ok)

    def context_changed(self, answers: dict[str, object]) -> None:
        kind = answers.get(IDENTIFIER_TYPE)
        kind = kind if kind in _NAMES else None
        if kind != self.kind:
            self.kind = kind
            self._show_status()
            if not self.edit.hasFocus():
                self.finish()

    def value(self) -> object | None:
        text = self.edit.text()
        return text if text.strip() else None

    def set_value(self, value: object | None) -> None:
        self.edit.setText("" if value is None else str(value))
        self.finish()

    def live_problem(self) -> str | None:
        """A complete number that is wrong: said as soon as the last digit is typed."""
        digits = compact_number(self.edit.text())
        if len(digits) < DIGITS:
            return None
        return self.problem()

    def problem(self) -> str | None:
        digits = compact_number(self.edit.text())
        if not digits:
            return None
        if self.kind is None:
            return "Choose NHS number or CHI number above, then check the number."
        name = _NAMES[self.kind]
        if len(digits) != DIGITS:
            return f"An {name} has 10 digits." if self.kind == NHS else f"A {name} has 10 digits."
        if not _valid(self.kind, digits):
            return f"Not a valid {name} — check the digits."
        return None

    def finish(self) -> None:
        """Show a valid number grouped as staff read it aloud (943 476 5919)."""
        digits = compact_number(self.edit.text())
        if self.kind is None or len(digits) != DIGITS or not _valid(self.kind, digits):
            return
        grouped = format_nhs_number(digits) if self.kind == NHS else format_chi_number(digits)
        if grouped != self.edit.text():
            self.edit.setText(grouped)

    def focus_widgets(self) -> list[QWidget]:
        return [self.edit]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.edit.setReadOnly(read_only)
