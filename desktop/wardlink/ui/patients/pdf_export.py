"""Exporting one note version as a PDF file the user chose, where machine policy allows it.

The PDF is drawn from memory (`QPdfWriter` on a buffer, `QTextDocument` with the photos added as
image resources): nothing of the note touches the disk but the file the user asked for. Writing
that file and the audit entry (`note.exported`, with the note id) happen together: if the file
cannot be written nothing is audited, and if the audit cannot be kept the file is removed.
The entry never holds the file's name, which the user typed and may name the patient.

`export_note_pdf` is an operation for the DB lane. It draws the PDF off the GUI thread, as Qt
allows for `QTextDocument`, `QImage` and `QPdfWriter`, on a short-lived QThread (see below).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QSizeF, QThread
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter

from wardlink.core.fhir import PatientIdentifier
from wardlink.core.form_definitions import UnknownQuestionnaire
from wardlink.core.form_responses import birth_date_of
from wardlink.store import attachments, audit, teams
from wardlink.store.database import Store
from wardlink.store.patient_notes import lineage_of
from wardlink.ui.patients.note_html import PrintedNote
from wardlink.ui.patients.note_text import date_text, identifier_text, note_content
from wardlink.ui.patients.pdf_pages import NotePages

NOTE_EXPORTED: Final = "note.exported"
RESOLUTION: Final = 300  # dots per inch: sharp text and photos on paper
MARGIN_MM: Final = 15.0


class ExportProblem(Exception):
    """An export that did not happen, for a reason the user can act on; `message` says it."""

    message = "The note could not be exported."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class ExportNotAllowed(ExportProblem):
    message = (
        "Saving notes as PDF files is turned off on this computer. The note stays in the "
        "patient's record; ask IT if your work needs PDF copies."
    )


class ExportNotSaved(ExportProblem):
    message = (
        "The PDF could not be saved there. Choose another folder, or check that there is "
        "space on the disk."
    )


class NoteNotHere(ExportProblem):
    message = "This note is no longer on this computer, so it cannot be exported."


def printed_note(store: Store, note_id: str) -> tuple[PrintedNote, dict[str, bytes]]:
    """What the PDF of `note_id` shows, and its photos' bytes (those held here)."""
    lineage = lineage_of(store, note_id)
    note = None if lineage is None else lineage.version(note_id)
    if lineage is None or note is None:
        raise NoteNotHere()
    me = teams.get_staff(store, store.me)
    patient_line = identifier_text(PatientIdentifier(note.patient_system, note.patient_value))
    try:
        born = birth_date_of(note.resource)
    except (ValueError, UnknownQuestionnaire):
        born = None
    if born is not None:
        patient_line += f" · Date of birth {date_text(born)}"
    content = note_content(note)
    photos: dict[str, bytes] = {}
    for photo in content.photos:
        held = attachments.get_attachment(store, photo.sha256)
        if held is not None:
            photos[photo.sha256] = held[1]
    printed = PrintedNote(
        note=note,
        team_name=lineage.team_name,
        patient_line=patient_line,
        version_count=len(lineage.versions),
        original=lineage.original,
        reason=lineage.reason_for(note_id),
        exported_by=me.display_name if me is not None else "the signed-in user",
        exported_at=store.clock.now(),
        content=content,
    )
    return printed, photos


def render_pdf(printed: PrintedNote, photos: Mapping[str, bytes]) -> bytes:
    """The note as A4 PDF pages, with the confidentiality footer and page number on each."""
    if QGuiApplication.instance() is None:  # Qt would abort the process, not raise
        raise RuntimeError("drawing a PDF needs the Qt application to exist")
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(printed.note.form_title)
    writer.setCreator("Wardlink")
    page = writer.pageLayout().paintRectPixels(RESOLUTION)
    pages = NotePages(printed, photos, writer, QSizeF(page.width(), page.height()))
    painter = QPainter()
    if not painter.begin(writer):
        raise RuntimeError("the PDF writer could not start a page")
    try:
        for index in range(pages.count):
            if index:
                writer.newPage()
            pages.draw(painter, index)
    finally:
        painter.end()
    buffer.close()
    return bytes(buffer.data().data())


class _RenderThread(QThread):
    """Draws the PDF on a thread of Qt's own: text layout starts timers, which need the event
    dispatcher a QThread has and the DB lane's plain thread lacks."""

    def __init__(self, printed: PrintedNote, photos: Mapping[str, bytes]) -> None:
        super().__init__()
        self._printed = printed
        self._photos = photos
        self.pdf: bytes | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.pdf = render_pdf(self._printed, self._photos)
        except BaseException as exc:  # handed back to the caller's thread below
            self.error = exc


def render_pdf_off_thread(printed: PrintedNote, photos: Mapping[str, bytes]) -> bytes:
    """`render_pdf` on a QThread of its own, waited for (from any thread)."""
    thread = _RenderThread(printed, photos)
    thread.start()
    thread.wait()
    if thread.error is not None:
        raise thread.error
    if thread.pdf is None:
        raise RuntimeError("the PDF was not drawn")
    return thread.pdf


def _save_with_audit(store: Store, path: Path, data: bytes, note_id: str, version: int) -> None:
    written = False
    try:
        with store.transaction():
            audit.append(
                store, NOTE_EXPORTED, subject=note_id, detail={"version": version, "as": "pdf"}
            )
            try:
                path.write_bytes(data)
            except OSError:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)  # never leave half a PDF behind
                raise ExportNotSaved() from None
            written = True
    except BaseException:
        if written:  # the audit entry could not be kept: no unaudited copy either
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        raise


def export_note_pdf(store: Store, note_id: str, path: Path, *, allowed: bool) -> None:
    """Write note version `note_id` as a PDF at `path` and audit it (`note.exported`).

    `allowed` is machine policy's `allow_pdf_export`; without it this refuses with
    ExportNotAllowed before reading anything.
    """
    if not allowed:
        raise ExportNotAllowed()
    printed, photos = printed_note(store, note_id)
    pdf = render_pdf_off_thread(printed, photos)
    _save_with_audit(store, path, pdf, note_id, printed.note.version)
