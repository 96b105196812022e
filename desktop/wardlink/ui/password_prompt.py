"""Asking for the password again when the record server ended the session.

Opened from the sync status ("Sign in…"), never by itself: a dialog that jumped up while a nurse
was typing would take the next keystrokes, and a message could end up typed into a password box.
It is non-modal and a child of the main window, so locking hides it, and the composer keeps what
was typed in it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from wardlink.ui.workspace import APP_NAME

TITLE = f"{APP_NAME} — Sign in again"


class PasswordPrompt(QDialog):
    """Signals:
    - password_given(str): the password typed.
    """

    password_given = Signal(str)

    def __init__(self, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setAccessibleName("Sign in again")
        self.reason = QLabel(reason or "Your session with the record server has ended.", self)
        self.reason.setWordWrap(True)
        self.explain = QLabel(
            "Type your password to carry on sending and receiving. Nothing you wrote is lost.",
            self,
        )
        self.explain.setObjectName("hint")
        self.explain.setWordWrap(True)
        label = QLabel("&Password", self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        label.setBuddy(self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        ok.setProperty("role", "primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        for widget in (self.reason, self.explain, label, self.password, buttons):
            column.addWidget(widget)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 30, self.sizeHint().height())

    def accept(self) -> None:
        password = self.password.text()
        if not password:
            self.password.setFocus()
            return
        self.password.clear()
        self.password_given.emit(password)
        super().accept()
