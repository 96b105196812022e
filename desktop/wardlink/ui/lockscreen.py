"""The lock screen: the app's name, who is signed in, and a password box. Nothing else.

A locked shared PC must show nothing of any team or patient, so this screen is built from the
staff member's display name and fixed words only, and the window it sits in is titled
"Wardlink — Locked".
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

LOCKED_TITLE: Final = "Wardlink — Locked"


class LockScreen(QWidget):
    """Unlock with the password, or switch user, or sign out.

    Signals:
    - unlock_requested(str): the password typed (checked by whoever owns the profile).
    - switch_user_requested(): go to the sign-in window, leaving this profile locked.
    - sign_out_requested(): sign this staff member out.
    """

    unlock_requested = Signal(str)
    switch_user_requested = Signal()
    sign_out_requested = Signal()

    def __init__(self, display_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAccessibleName("Wardlink is locked")
        card = QFrame(self)
        card.setObjectName("lockCard")
        self.title = QLabel("Wardlink", card)
        self.title.setObjectName("lockTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.locked_label = QLabel("Locked", card)
        self.locked_label.setObjectName("hint")
        self.locked_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.name = QLabel(display_name, card)
        self.name.setObjectName("lockName")
        self.name.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.password_label = QLabel("&Password", card)
        self.password = QLineEdit(card)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password_label.setBuddy(self.password)
        self.error = QLabel(card)
        self.error.setObjectName("lockError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Unlock problem")
        self.error.hide()
        self.unlock_button = QPushButton("Unlock", card)
        self.unlock_button.setProperty("role", "primary")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        self.switch_button = QPushButton("Switch user", card)
        self.switch_button.setAccessibleName("Switch user")
        self.sign_out_button = QPushButton("Sign out", card)
        self.sign_out_button.setAccessibleName("Sign out")

        self.not_you = QLabel(f"Not {display_name}?", card)
        self.not_you.setObjectName("hint")
        self.not_you.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        others = QHBoxLayout()
        others.addWidget(self.switch_button)
        others.addWidget(self.sign_out_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(self.locked_label)
        inner.addSpacing(8)
        inner.addWidget(self.name)
        inner.addSpacing(8)
        inner.addWidget(self.password_label)
        inner.addWidget(self.password)
        inner.addWidget(self.error)
        inner.addWidget(self.unlock_button)
        inner.addSpacing(10)
        inner.addWidget(self.not_you)
        inner.addLayout(others)
        card.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 24)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.password.returnPressed.connect(self._unlock)
        self.unlock_button.clicked.connect(self._unlock)
        self.switch_button.clicked.connect(self.switch_user_requested)
        self.sign_out_button.clicked.connect(self.sign_out_requested)

    def _unlock(self) -> None:
        password = self.password.text()
        if not password:
            self.show_error("Type your password to unlock.")
            return
        self.set_busy(True)
        self.unlock_requested.emit(password)

    def set_busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)
        self.password.setEnabled(not busy)
        self.unlock_button.setText("Unlocking…" if busy else "Unlock")

    def show_error(self, message: str) -> None:
        """Say why unlocking failed (a store error's plain-language message)."""
        self.set_busy(False)
        self.password.clear()
        self.error.setText(message)
        self.error.show()
        self.password.setFocus()

    def reset(self) -> None:
        """Ready for the next unlock: empty password, no error."""
        self.set_busy(False)
        self.password.clear()
        self.error.clear()
        self.error.hide()

    def focus_password(self) -> None:
        self.password.setFocus()
