"""A question that takes several answers (a repeating item): one control per answer, "Add
another" below them and "Remove" beside each, up to the form's `maxOccurs`."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from wardlink.ui.forms.field_input import FieldInput


class RepeatingInput(FieldInput):
    """Several answers to one question; there is always at least one (possibly empty) line.
    Signals: FieldInput's."""

    def __init__(
        self,
        make: Callable[[QWidget], FieldInput],
        *,
        max_occurs: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._make = make
        self.max_occurs = max_occurs
        self._name = ""
        self._description = ""
        self.entries: list[FieldInput] = []
        self.removers: list[QPushButton] = []
        self._lines = QVBoxLayout()
        self._lines.setSpacing(6)
        self.add_button = QPushButton("Add another", self)
        self.add_button.setProperty("role", "quiet")
        self.add_button.clicked.connect(self.add_entry)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(self._lines)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)
        self.watch_focus(self.add_button)
        self._add(emit=False)

    def add_entry(self) -> FieldInput | None:
        """A new empty line, focused; None at the form's limit."""
        if self.max_occurs is not None and len(self.entries) >= self.max_occurs:
            return None
        entry = self._add(emit=True)
        entry.focus_widgets()[0].setFocus()
        return entry

    def _add(self, *, emit: bool) -> FieldInput:
        row = QWidget(self)
        entry = self._make(row)
        remove = QPushButton("Remove", row)
        remove.setProperty("role", "quiet")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(entry, 1)
        line.addWidget(remove)
        self._lines.addWidget(row)
        row.show()  # at once: the user goes straight on to type in it
        self.entries.append(entry)
        self.removers.append(remove)
        entry.value_changed.connect(self.value_changed)
        remove.clicked.connect(lambda: self.remove_entry(self.entries.index(entry)))
        self.watch_focus(*entry.focus_widgets(), remove)
        self._relabel()
        if emit:
            self.controls_changed.emit()
            self.value_changed.emit()
        return entry

    def remove_entry(self, index: int) -> None:
        """Take one answer away; the last line is emptied rather than removed."""
        if len(self.entries) == 1:
            self.entries[0].clear()
            return
        entry = self.entries.pop(index)
        self.removers.pop(index)
        row = entry.parentWidget()
        if row is not None:
            row.hide()
            row.deleteLater()
        self._relabel()
        target = self.entries[min(index, len(self.entries) - 1)]
        target.focus_widgets()[0].setFocus()
        self.controls_changed.emit()
        self.value_changed.emit()

    def _relabel(self) -> None:
        full = self.max_occurs is not None and len(self.entries) >= self.max_occurs
        self.add_button.setEnabled(not full and not self.read_only)
        for number, (entry, remove) in enumerate(zip(self.entries, self.removers, strict=True), 1):
            remove.setVisible(len(self.entries) > 1 and not self.read_only)
            remove.setAccessibleName(f"Remove answer {number} of {self._name}")
            entry.describe(f"{self._name}, answer {number}", self._description)
        self.add_button.setAccessibleName(f"Add another answer to {self._name}")

    def value(self) -> object | None:
        values = [entry.value() for entry in self.entries]
        given = [v for v in values if v is not None]
        return given or None

    def set_value(self, value: object | None) -> None:
        values = list(value) if isinstance(value, list | tuple) else []
        values = values or [None]
        while len(self.entries) > len(values):
            entry = self.entries.pop()
            self.removers.pop()
            row = entry.parentWidget()
            if row is not None:
                row.hide()
                row.deleteLater()
        while len(self.entries) < len(values):
            self._add(emit=False)
        for entry, one in zip(self.entries, values, strict=True):
            entry.set_value(one)
        self._relabel()
        self.controls_changed.emit()
        self.value_changed.emit()

    def problem(self) -> str | None:
        return next((p for p in (e.problem() for e in self.entries) if p), None)

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = []
        for entry, remove in zip(self.entries, self.removers, strict=True):
            widgets += [*entry.focus_widgets(), remove]
        return [*widgets, self.add_button]

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for entry in self.entries:
            entry.set_read_only(read_only)
        self._relabel()

    def describe(self, name: str, description: str = "") -> None:
        self._name, self._description = name, description
        self.setAccessibleName(name)
        self._relabel()
