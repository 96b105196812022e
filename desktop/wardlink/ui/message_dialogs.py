"""The two questions asked about a message before changing it for good: discard, retract.

Both are non-modal (`open`, not `exec`), so that locking the app can close them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QInputDialog, QMessageBox, QWidget


def confirm_discard(parent: QWidget, discard: Callable[[], None]) -> QMessageBox:
    """Ask before an unsent message is thrown away; `discard` runs only on "Discard"."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Discard message",
        "Discard this unsent message? It will not be sent to anyone.",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def chosen(button: QAbstractButton) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Discard:
            discard()

    box.buttonClicked.connect(chosen)
    box.open()
    return box


def ask_retract_reason(parent: QWidget, retract: Callable[[str], None]) -> QInputDialog:
    """Ask why a message is being retracted; `retract` gets the reason (never empty)."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle("Retract message")
    dialog.setLabelText(
        "Retracting removes this message for everyone. Why? (kept in the audit log; "
        "no patient details)"
    )
    dialog.setOkButtonText("Retract")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def chosen(reason: str) -> None:
        if reason.strip():
            retract(reason.strip())

    dialog.textValueSelected.connect(chosen)
    dialog.open()
    return dialog
