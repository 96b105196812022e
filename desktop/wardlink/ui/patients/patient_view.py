"""The patient view: find a patient by NHS or CHI number, see their notes from the user's teams
newest first, and read any version of any note.

Looking a patient up is audited by the store (`patient.notes_opened`); refreshing the view when
notes change is not a new look-up and is not audited again. Nothing here puts the number in a
title, a log or an error message: messages name the field, never the value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtCore import QEvent, QModelIndex, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.fhir import PatientIdentifier
from wardlink.core.form_patient import compact_number
from wardlink.core.policy import Policy
from wardlink.store import patient_notes as patient_ops
from wardlink.store.changes import Changes
from wardlink.store.errors import StoreError
from wardlink.store.patient_notes import PatientNotes
from wardlink.ui.bridge import Bridge
from wardlink.ui.patients.note_detail import NoteDetail
from wardlink.ui.patients.note_text import date_text, patient_heading
from wardlink.ui.patients.notes_list import NoteRowDelegate, NotesListModel
from wardlink.ui.patients.number_check import TYPE_A_NUMBER, check_number
from wardlink.ui.patients.pdf_export import ExportProblem, export_note_pdf
from wardlink.ui.patients.view_style import view_style_sheet
from wardlink.ui.patients.while_alive import while_alive
from wardlink.ui.theme import Colors, colors_for

START_HINT: Final = "Find a patient by NHS or CHI number to see their notes from your teams."
NO_NOTES: Final = "No notes for this patient in your teams."
TYPE_ALL_DIGITS: Final = "Type all 10 digits of the NHS or CHI number first."
NOTE_NOT_HERE: Final = "That note is not on this computer (it may belong to a team you left)."
PdfPathChooser = Callable[[QWidget], Path | None]


def ask_pdf_path(parent: QWidget) -> Path | None:
    """Where to save the PDF, asked with the system's save dialog; None if cancelled."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    name, _filter = QFileDialog.getSaveFileName(
        parent, "Export note as PDF", str(Path(folder) / "Wardlink note.pdf"), "PDF files (*.pdf)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_name(f"{path.name}.pdf")


class PatientView(QWidget):
    """Search box, patient header, the notes list and the chosen note.

    Signals:
    - notes_shown(int): a look-up or refresh is on screen (how many notes).
    - note_opened(str): a note version is on screen (its note id).
    - amend_requested(str): the user asked to amend this note version (the latest, filed).
    - note_exported(str): a version was saved as a PDF (its note id).
    - search_refused(str): the typed number is not valid; the text says why (no digits).
    """

    notes_shown = Signal(int)
    note_opened = Signal(str)
    amend_requested = Signal(str)
    note_exported = Signal(str)
    search_refused = Signal(str)

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
        self.setObjectName("patientView")
        self._bridge = bridge
        self._policy = policy or Policy()
        self._clock = clock
        self._choose_pdf_path = choose_pdf_path
        self._patients: tuple[PatientIdentifier, ...] = ()
        self._shown: PatientNotes | None = None
        self._request = 0
        self._colors: Colors | None = None
        self._pending_version: str | None = None

        self.query = QLineEdit(self)
        self.query.setPlaceholderText("NHS or CHI number")
        self.query.setAccessibleName("NHS or CHI number")
        self.query.setClearButtonEnabled(True)
        for button in self.query.findChildren(QToolButton):
            button.setAccessibleName("Clear the number")
        self.query.setMaxLength(40)
        self.find_button = QPushButton("&Find", self)
        self.find_button.setAccessibleName("Find this patient's notes")
        self.find_button.setAutoDefault(False)
        self.status = QLabel(TYPE_A_NUMBER, self)
        self.status.setObjectName("hint")
        self.status.setAccessibleName("Number check")
        self.status.setWordWrap(True)
        self.header = QFrame(self)
        self.header.setObjectName("patientHeader")
        self.identifier = QLabel(self.header)
        self.identifier.setObjectName("patientIdentifier")
        self.identifier.setAccessibleName("Patient identifier")
        self.identifier.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.birth_date = QLabel(self.header)
        self.birth_date.setAccessibleName("Date of birth")
        self.count = QLabel(self.header)
        self.count.setObjectName("hint")
        self.count.setAccessibleName("Notes found")
        self.header.setVisible(False)

        self.model = NotesListModel(clock, self)
        self.notes = QListView(self)
        self.notes.setObjectName("patientNotes")
        self.notes.setAccessibleName("Notes for this patient, newest first")
        self.notes.setModel(self.model)
        self.notes.setItemDelegate(NoteRowDelegate(self.notes))
        self.notes.setUniformItemSizes(False)
        self.notes.setResizeMode(QListView.ResizeMode.Adjust)
        self.notes.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.notes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.detail = NoteDetail(
            bridge, clock=clock, allow_export=self._policy.allow_pdf_export, parent=self
        )
        self.empty = QLabel(START_HINT, self)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("Notes")
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.notes)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.body = QStackedWidget(self)
        self.body.addWidget(self.empty)
        self.body.addWidget(self.splitter)

        search_row = QHBoxLayout()
        search_row.addWidget(self.query, 1)
        search_row.addWidget(self.find_button)
        header_row = QHBoxLayout(self.header)
        header_row.setContentsMargins(14, 10, 14, 10)
        header_row.addWidget(self.identifier)
        header_row.addSpacing(24)
        header_row.addWidget(self.birth_date)
        header_row.addStretch(1)
        header_row.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(search_row)
        layout.addWidget(self.status)
        layout.addWidget(self.header)
        layout.addWidget(self.body, 1)
        self.setTabOrder(self.query, self.find_button)
        self.setTabOrder(self.find_button, self.notes)
        self.setTabOrder(self.notes, self.detail.versions)
        self.setTabOrder(self.detail.versions, self.detail.answers)
        self.setTabOrder(self.detail.answers, self.detail.amend)
        if self.detail.export is not None:
            self.setTabOrder(self.detail.amend, self.detail.export)

        self.query.textChanged.connect(self._check_as_typed)
        self.query.returnPressed.connect(self.search)
        self.find_button.clicked.connect(self.search)
        self.notes.selectionModel().currentChanged.connect(self._row_changed)
        self.notes.activated.connect(lambda _index: self.detail.answers.setFocus())
        self.detail.version_shown.connect(self.note_opened)
        self.detail.amend_requested.connect(self.amend_requested)
        self.detail.export_requested.connect(self._export)
        bridge.changed.connect(self._changed)
        self._restyle()

    # -- looking up ----------------------------------------------------------------------------

    @property
    def patients(self) -> tuple[PatientIdentifier, ...]:
        """The identifiers on screen (empty when no patient is shown)."""
        return self._patients

    @property
    def shown(self) -> PatientNotes | None:
        return self._shown

    def _check_as_typed(self, text: str) -> None:
        check = check_number(text, chi_system=self._policy.chi_system)
        self._set_status(check.message, problem=check.problem)
        if self._patients and compact_number(text) != self._patients[0].value:
            self._forget_patient()  # never show one patient's notes under another's number

    def _set_status(self, text: str, *, problem: bool) -> None:
        self.status.setObjectName("refusal" if problem else "hint")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)

    def search(self) -> None:
        """Look up the typed number, if it is a valid NHS or CHI number (Enter does this)."""
        check = check_number(self.query.text(), chi_system=self._policy.chi_system)
        if not check.valid:
            message = check.message if check.problem else TYPE_ALL_DIGITS
            self._set_status(message, problem=True)
            self.search_refused.emit(message)
            return
        self._set_status("Looking up the notes…", problem=False)
        self._look_up(check.patients, audited=True)

    def open_patient(self, system: str, value: str) -> None:
        """Show one patient's notes (from a note card in chat): an audited look-up."""
        self.query.setText("")  # unlike clear(), leaves no undo step holding the number
        self._set_status("Looking up the notes…", problem=False)
        self._look_up((PatientIdentifier(system, value),), audited=True)

    def open_note(self, note_id: str) -> None:
        """Show the patient a note is about, with that note open (from a note card in chat,
        which knows the note but not the patient): an audited look-up."""
        self.query.setText("")  # unlike clear(), leaves no undo step holding the number
        self._forget_patient()
        self._set_status("Looking up the notes…", problem=False)
        request = self._request
        self._bridge.run(
            patient_ops.open_note_patient,
            note_id,
            on_done=while_alive(self, lambda found: self._note_arrived(request, note_id, found)),
            on_error=while_alive(self, self._failed),
        )

    def _note_arrived(self, request: int, note_id: str, found: PatientNotes | None) -> None:
        if request != self._request:
            return
        if found is None:
            self._set_status(NOTE_NOT_HERE, problem=True)
            self.notes_shown.emit(0)
            return
        self._patients = found.patients
        self._arrived(request, found, open_note=note_id)

    def _look_up(self, patients: tuple[PatientIdentifier, ...], *, audited: bool) -> None:
        if patients != self._patients:
            self.detail.clear()
        self._patients = patients
        self._request += 1
        request = self._request
        operation = patient_ops.search_patient_notes if audited else patient_ops.patient_notes
        self._bridge.run(
            operation,
            list(patients),
            on_done=while_alive(self, lambda found: self._arrived(request, found)),
            on_error=while_alive(self, self._failed),
        )

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StoreError):
            raise exc
        self._set_status(exc.message, problem=True)

    def _arrived(self, request: int, found: PatientNotes, *, open_note: str | None = None) -> None:
        if request != self._request:
            return  # a newer look-up (or clear) came after this one
        keep_lineage = self.detail.lineage.lineage_id if self.detail.lineage else None
        note = self.detail.note
        was_latest = self.detail.lineage is not None and note is self.detail.lineage.latest
        keep_version = None if was_latest or note is None else note.id
        if open_note is not None:
            asked = next((n for n in found.lineages if n.version(open_note)), None)
            keep_lineage = asked.lineage_id if asked else None
            keep_version = open_note
        self._shown = found
        self.model.show(found.lineages)
        count = len(found.lineages)
        self.identifier.setText(patient_heading(found.patients, found.found))
        self.birth_date.setText(
            f"Date of birth {date_text(found.birth_date)}" if found.birth_date else ""
        )
        more = " (the newest)" if found.truncated else ""
        self.count.setText(f"{count} note{'s' if count != 1 else ''} in your teams{more}")
        self.header.setVisible(True)
        if count:
            self._set_status("Notes from your teams, newest first.", problem=False)
            self.body.setCurrentWidget(self.splitter)
            row = self.model.row_of(keep_lineage) if keep_lineage else None
            self._select_row(row if row is not None else 0, keep_version)
        else:
            self._set_status(NO_NOTES, problem=False)
            self.empty.setText(NO_NOTES)
            self.body.setCurrentWidget(self.empty)
            self.detail.clear()
        self.notes_shown.emit(count)

    def _select_row(self, row: int, version_id: str | None) -> None:
        """Make `row` current and show it, at `version_id` if that version is still there."""
        self._pending_version = version_id
        index = self.model.index(row, 0)
        if self.notes.currentIndex() == index:
            self._row_changed(index, index)  # the same row after a refresh: show it again
        else:
            self.notes.setCurrentIndex(index)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        version, self._pending_version = self._pending_version, None
        lineage = self.model.lineage_at(current.row()) if current.isValid() else None
        if lineage is not None:
            self.detail.show_lineage(lineage, version)

    def _changed(self, changes: Changes) -> None:
        """Notes changed somewhere (sent, filed, amended, pulled): refresh, unaudited."""
        if self._patients and self.isVisible() and (changes.notes or changes.purged):
            self._look_up(self._patients, audited=False)

    def clear(self) -> None:
        """Forget the patient, the number typed and every note shown."""
        self._forget_patient()
        self.query.setText("")  # unlike clear(), leaves no undo step holding the number
        self._set_status(TYPE_A_NUMBER, problem=False)

    def _forget_patient(self) -> None:
        self._request += 1
        self._patients = ()
        self._shown = None
        self.model.show(())
        self.detail.clear()
        self.header.setVisible(False)
        self.identifier.clear()
        self.birth_date.clear()
        self.count.clear()
        self.empty.setText(START_HINT)
        self.body.setCurrentWidget(self.empty)

    # -- export --------------------------------------------------------------------------------

    def _export(self, note_id: str) -> None:
        if not self._policy.allow_pdf_export:
            return  # the button is not there; this is belt and braces
        path = self._choose_pdf_path(self)
        if path is None:
            return
        self.detail.show_action_message("Saving the PDF…")
        self._bridge.run(
            export_note_pdf,
            note_id,
            path,
            allowed=self._policy.allow_pdf_export,
            on_done=while_alive(self, lambda _none: self._exported(note_id)),
            on_error=while_alive(self, self._export_failed),
        )

    def _exported(self, note_id: str) -> None:
        self.detail.show_action_message("The PDF was saved. Keep it as safe as the record.")
        self.note_exported.emit(note_id)

    def _export_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ExportProblem | StoreError):
            raise exc
        self.detail.show_action_message(exc.message, problem=True)

    # -- look ----------------------------------------------------------------------------------

    def _restyle(self) -> None:
        colors = colors_for(self.palette())
        if colors is not self._colors:
            self._colors = colors
            self.setStyleSheet(view_style_sheet(colors))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)
