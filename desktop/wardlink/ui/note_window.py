"""A note editor in a window of its own, as the main window opens it (`ClinicalNotes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QMessageBox, QVBoxLayout, QWidget

from wardlink.ui.visible_controls import TickBox

if TYPE_CHECKING:
    from wardlink.ui.forms import NoteEditor


class NoteWindow(QDialog):
    """A note editor in a window of its own, with the choice to share a card in the chat.

    The title names the form, never the patient. Closing it with something typed asks first.
    """

    def __init__(self, editor: NoteEditor, *, title: str, share_in: str | None, parent: QWidget):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setModal(False)
        self.editor = editor
        self.share = TickBox(
            f"When filed, share a card in {share_in}'s chat (it names the form, never the patient)"
        )
        self.share.setAccessibleName("Share a card in the team's chat")
        self.share.setChecked(True)
        self.share.setVisible(share_in is not None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 12)
        layout.addWidget(editor, 1)
        row = QHBoxLayout()
        row.setContentsMargins(20, 0, 20, 0)
        row.addWidget(self.share)
        row.addStretch(1)
        layout.addLayout(row)
        editor.cancelled.connect(self.close)
        self.resize(1000, 860)
        self._closing_for_good = False

    def close_for_good(self) -> None:
        self._closing_for_good = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing_for_good and self.editor.has_unsaved_input():
            answer = QMessageBox.question(
                self,
                "Discard this note?",
                "This note has not been filed. Discard what you have entered?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        super().closeEvent(event)
        self.deleteLater()
