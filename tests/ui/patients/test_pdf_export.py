"""Exporting a note as a PDF: only where policy allows it, written from memory to the chosen
file, audited with the note id (and never the file's name or the patient's number)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from wardlink.core.policy import Policy
from wardlink.store.lane import DbLane
from wardlink.ui.patients import PatientDialog
from wardlink.ui.patients.pdf_export import (
    NOTE_EXPORTED,
    ExportNotAllowed,
    ExportNotSaved,
    NoteNotHere,
    export_note_pdf,
)

from .conftest import PathChooser
from .patient_data import AMEND_REASON, NHS, WOUND_ID, WOUND_V2_ID, Scene
from .pdf_text import pdf_text

MakeDialog = Callable[..., PatientDialog]
FOOTER = "Exported from Wardlink by Alice Morgan at 26 Nov 2026"


def audit_rows(lane: DbLane) -> list[tuple[Any, ...]]:
    return lane.call(
        lambda store: store.conn.execute(
            "SELECT action, subject, detail FROM audit ORDER BY seq"
        ).fetchall()
    )


def pages(pdf: bytes) -> int:
    found = re.search(rb"/Type /Pages\s*/Kids\s*\[[^\]]*\]\s*/Count (\d+)", pdf)
    assert found is not None
    return int(found.group(1))


def test_export_writes_the_note_as_a_pdf_and_audits_it(
    tmp_path: Path, scene: Scene, lane: DbLane
) -> None:
    target = tmp_path / "Left heel for the clinic.pdf"
    lane.call(export_note_pdf, WOUND_V2_ID, target, allowed=True)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pages(pdf) == 3  # the answers run onto a second page; photos have a page of their own
    text = " ".join(pdf_text(pdf).split())
    assert text.startswith("Wound assessment Patient: NHS number 943 476 5919 · Date of birth")
    assert "Team: Ward 7 (Surgical)" in text
    assert "Written by: Bob Adeyemi, 23 Nov 2026" in text
    assert (
        f"Version 2 of 2: amended by Sam Patterson, 25 Nov 2026 14:40. Reason: {AMEND_REASON}"
        in text
    )
    assert "Wound location (e.g. left heel, sacrum) Right heel" in text
    assert "Photo 1: Left heel, day 1" in text
    assert text.count("confidential patient information") == 3  # the footer on every page
    assert text.count("5919 · Date of birth 12 Mar 1948 · Wound assessment · Page") == 3
    assert f"{FOOTER} 13:20 — confidential patient information" in text
    assert "Page 3 of 3" in text
    assert b"/Subtype /Image" in pdf  # the photo itself is in the file

    (entry,) = [r for r in audit_rows(lane) if r[0] == NOTE_EXPORTED]
    assert entry[1] == WOUND_V2_ID
    assert json.loads(entry[2]) == {"as": "pdf", "version": 2}
    assert "Left heel" not in str(entry) and NHS not in str(entry)


def test_the_original_version_exports_as_it_was(tmp_path: Path, scene: Scene, lane: DbLane) -> None:
    target = tmp_path / "original.pdf"
    lane.call(export_note_pdf, WOUND_ID, target, allowed=True)
    text = " ".join(pdf_text(target.read_bytes()).split())
    assert "Version 1 of 2: original (amended since: 1 later version)" in text
    assert "Wound location (e.g. left heel, sacrum) Left heel" in text
    assert "Right heel" not in text


def test_export_refuses_without_policy_and_writes_nothing(
    tmp_path: Path, scene: Scene, lane: DbLane
) -> None:
    target = tmp_path / "note.pdf"
    with pytest.raises(ExportNotAllowed) as refused:
        lane.call(export_note_pdf, WOUND_V2_ID, target, allowed=False)
    assert "turned off on this computer" in refused.value.message
    assert not target.exists()
    assert [r[0] for r in audit_rows(lane)] == []


def test_a_file_that_cannot_be_written_is_not_audited(
    tmp_path: Path, scene: Scene, lane: DbLane
) -> None:
    target = tmp_path / "no such folder" / "note.pdf"
    with pytest.raises(ExportNotSaved) as failed:
        lane.call(export_note_pdf, WOUND_V2_ID, target, allowed=True)
    assert "no such folder" not in failed.value.message
    assert not target.exists()
    assert audit_rows(lane) == []
    with pytest.raises(NoteNotHere):
        lane.call(export_note_pdf, "no-such-note", tmp_path / "x.pdf", allowed=True)


def test_export_from_the_dialog(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane, tmp_path: Path
) -> None:
    chooser = PathChooser(tmp_path / "wound.pdf")
    dialog = make_dialog(policy=Policy(allow_pdf_export=True), choose=chooser)
    view = dialog.view
    view.query.setText(NHS)
    with qtbot.waitSignal(view.notes_shown, timeout=10_000):
        view.search()
    row = view.model.row_of(WOUND_ID)
    assert row is not None
    with qtbot.waitSignal(view.detail.photos_shown, timeout=10_000):
        view.notes.setCurrentIndex(view.model.index(row, 0))
    export = view.detail.export
    assert export is not None
    with qtbot.waitSignal(view.note_exported, timeout=20_000) as exported:
        qtbot.mouseClick(export, Qt.MouseButton.LeftButton)
    assert exported.args == [WOUND_V2_ID] and chooser.asked == 1
    assert (tmp_path / "wound.pdf").read_bytes().startswith(b"%PDF")
    assert view.detail.action_status.text().startswith("The PDF was saved.")
    assert str(tmp_path) not in view.detail.action_status.text()
    assert [r[0] for r in audit_rows(lane)][-1] == NOTE_EXPORTED

    chooser.path = None  # cancelled: nothing happens
    qtbot.mouseClick(export, Qt.MouseButton.LeftButton)
    assert chooser.asked == 2 and [r[0] for r in audit_rows(lane)].count(NOTE_EXPORTED) == 1


def test_a_failed_export_is_said_in_plain_words(
    qtbot: QtBot, make_dialog: MakeDialog, scene: Scene, lane: DbLane, tmp_path: Path
) -> None:
    chooser = PathChooser(tmp_path / "missing" / "wound.pdf")
    dialog = make_dialog(policy=Policy(allow_pdf_export=True), choose=chooser)
    view = dialog.view
    view.query.setText(NHS)
    with qtbot.waitSignal(view.notes_shown, timeout=10_000):
        view.search()
    export = view.detail.export
    assert export is not None
    qtbot.mouseClick(export, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.detail.action_status.objectName() == "refusal", timeout=20_000)
    assert view.detail.action_status.text() == ExportNotSaved.message
