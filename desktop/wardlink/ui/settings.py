"""The settings dialog: only what policy leaves to the user, and only in the stricter direction.

The idle lock can be made shorter than policy's, never longer (the spin box stops at policy's
value, and `core.policy.merge` checks again); the look can follow the OS or be light or dark.
The settings are kept in the staff member's encrypted profile (`user_settings`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wardlink.ui.user_settings import ThemeChoice, UserSettings

THEME_NAMES = {
    ThemeChoice.SYSTEM: "Follow the computer's setting",
    ThemeChoice.LIGHT: "Light",
    ThemeChoice.DARK: "Dark",
}


class SettingsDialog(QDialog):
    """The user's settings. `idle_max` is policy's idle lock without the user's own choice.

    Signals:
    - saved(UserSettings): the user chose these settings.
    """

    saved = Signal(object)

    def __init__(
        self, settings: UserSettings, *, idle_max: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.idle = QSpinBox(self)
        self.idle.setRange(1, idle_max)
        self.idle.setSuffix(" min")
        self.idle.setAccessibleName("Lock after this many idle minutes")
        self.idle.setValue(min(settings.idle_lock_minutes or idle_max, idle_max))
        self.idle_note = QLabel(
            f"Your organisation locks Wardlink after {idle_max} min without use. "
            "You can choose a shorter time, not a longer one.",
            self,
        )
        self.idle_note.setObjectName("hint")
        self.idle_note.setWordWrap(True)
        self.theme = QComboBox(self)
        self.theme.setAccessibleName("Colours")
        for choice, name in THEME_NAMES.items():
            self.theme.addItem(name, choice.value)
        self.theme.setCurrentIndex(list(THEME_NAMES).index(settings.theme))
        self._idle_max = idle_max

        form = QFormLayout()
        form.addRow("&Lock after", self.idle)
        form.addRow("", self.idle_note)
        form.addRow("&Colours", self.theme)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(buttons)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 32, self.sizeHint().height())

    def chosen(self) -> UserSettings:
        minutes = self.idle.value()
        return UserSettings(
            idle_lock_minutes=None if minutes >= self._idle_max else minutes,
            theme=ThemeChoice(str(self.theme.currentData())),
        )

    def accept(self) -> None:
        self.saved.emit(self.chosen())
        super().accept()
