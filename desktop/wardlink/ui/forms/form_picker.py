"""Choosing which form to fill in: the forms by title, with a line on what each is for.

Keyboard first: type to narrow the list, arrows to move, Enter to choose, Escape to cancel.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.forms import Form, all_forms
from wardlink.ui.forms.form_style import apply_form_style


def _description(form: Form) -> str:
    text = form.resource.get("description")
    return text if isinstance(text, str) else ""


class FormPicker(QDialog):
    """The list of forms.

    Signals:
    - form_chosen(Form): the user chose a form (the dialog then closes).
    """

    form_chosen = Signal(object)

    def __init__(self, forms: Sequence[Form] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formPicker")
        self.setWindowTitle("New patient note")
        self.forms = list(forms if forms is not None else all_forms())
        self.chosen: Form | None = None
        heading = QLabel("Which form?", self)
        heading.setObjectName("formTitle")
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Type to find a form")
        self.filter.setAccessibleName("Find a form")
        self.list = QListWidget(self)
        self.list.setObjectName("formList")
        self.list.setAccessibleName("Forms")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for form in self.forms:
            entry = QListWidgetItem(form.title)
            entry.setData(Qt.ItemDataRole.UserRole, form.id)
            entry.setData(Qt.ItemDataRole.AccessibleTextRole, form.title)
            entry.setData(Qt.ItemDataRole.AccessibleDescriptionRole, _description(form))
            self.list.addItem(entry)
        self.description = QLabel(self)
        self.description.setObjectName("formDescription")
        self.description.setWordWrap(True)
        self.description.setMinimumHeight(self.description.fontMetrics().lineSpacing() * 3)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.list.currentRowChanged.connect(self._describe)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setText("Fill in this form")
        self.open_button.setProperty("role", "primary")
        buttons.accepted.connect(self.choose)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _entry: self.choose())
        self.filter.textChanged.connect(self._narrow)
        self.filter.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.description)
        layout.addWidget(buttons)
        apply_form_style(self)
        self.resize(560, 460)
        self.filter.setFocus()

    def _narrow(self, text: str) -> None:
        words = text.casefold().split()
        first_shown = -1
        for row, form in enumerate(self.forms):
            haystack = f"{form.title} {_description(form)}".casefold()
            hidden = not all(word in haystack for word in words)
            self.list.item(row).setHidden(hidden)
            if not hidden and first_shown < 0:
                first_shown = row
        self.list.setCurrentRow(first_shown)
        self.open_button.setEnabled(first_shown >= 0)

    def _describe(self, row: int) -> None:
        form = self.forms[row] if 0 <= row < len(self.forms) else None
        self.description.setText(_description(form) if form is not None else "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up and down in the search box move through the list, as in a launcher."""
        if (
            watched is self.filter
            and isinstance(event, QKeyEvent)
            and (
                event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
            )
        ):
            self.list.setFocus()
            self.list.keyPressEvent(event)
            self.filter.setFocus()
            return True
        return super().eventFilter(watched, event)

    def current_form(self) -> Form | None:
        entry = self.list.currentItem()
        if entry is None or entry.isHidden():
            return None
        wanted = entry.data(Qt.ItemDataRole.UserRole)
        return next((f for f in self.forms if f.id == wanted), None)

    def choose(self) -> None:
        form = self.current_form()
        if form is None:
            return
        self.chosen = form
        self.form_chosen.emit(form)
        self.accept()


def choose_form(parent: QWidget | None) -> Form | None:
    """Ask which form to fill in (modal); None if the user cancelled."""
    picker = FormPicker(parent=parent)
    picker.exec()
    chosen = picker.chosen
    picker.deleteLater()
    return chosen
