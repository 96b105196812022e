"""The patient notes dialog: the patient view in a window of its own.

Its title is always "Patient notes", never the number. Closing it (Esc, Close, or the main
window locking and hiding its dialogs) forgets the patient, the typed number and the notes.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.policy import Policy
from wardlink.ui.bridge import Bridge
from wardlink.ui.patients.patient_view import PatientView, PdfPathChooser, ask_pdf_path

WINDOW_TITLE: Final = "Patient notes"


class PatientDialog(QDialog):
    """A non-modal window around `PatientView` (the `view` attribute).

    Signals:
    - amend_requested(str): amend this note version (the latest, filed); the caller opens the
      form editor on it.
    - note_opened(str): a note version is on screen (its note id).
    """

    amend_requested = Signal(str)
    note_opened = Signal(str)

    def __init__(
        self,
        bridge: Bridge,
        *,
        policy: Policy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        choose_pdf_path: PdfPathChooser = ask_pdf_path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(WINDOW_TITLE)
        self.setAccessibleName(WINDOW_TITLE)
        self.setModal(False)
        self.view = PatientView(
            bridge, policy=policy, clock=clock, choose_pdf_path=choose_pdf_path, parent=self
        )
        self.hint = QLabel(
            "Enter finds the number · ↑ ↓ choose a note · Tab moves on · Esc closes", self
        )
        self.hint.setObjectName("hint")
        self.close_button = QPushButton("Close", self)
        self.close_button.setAccessibleName("Close patient notes")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(self.hint, 1)
        footer.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(footer)
        self.view.amend_requested.connect(self.amend_requested)
        self.view.note_opened.connect(self.note_opened)
        width = self.fontMetrics().horizontalAdvance("M") * 80
        self.resize(width, int(width * 0.68))

    def open_search(self) -> None:
        """Show, ready to type a number."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.query.setFocus()

    def open_patient(self, system: str, value: str) -> None:
        """Show one patient's notes (e.g. from a note card in the chat)."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.open_patient(system, value)
        self.view.notes.setFocus()

    def open_note(self, note_id: str) -> None:
        """Show the patient a note is about, with that note open (from a note card in the chat,
        which names the note but never the patient)."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.open_note(note_id)
        self.view.notes.setFocus()

    def hideEvent(self, event: QHideEvent) -> None:
        self.view.clear()
        super().hideEvent(event)
