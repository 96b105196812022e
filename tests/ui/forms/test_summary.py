"""The summary before submitting: the form, the team, the answers in plain words and the photos;
and nothing is submitted until the user confirms the patient by both identifiers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from wardlink.ui.forms import NoteEditor
from wardlink.ui.forms.photo_strip import PhotoStrip
from wardlink.ui.forms.summary_dialog import WINDOW_TITLE, SummaryDialog

from .conftest import WARD, MakeEditor
from .driver import PATIENT, TYPED, click, field_of, fill, photo_bytes


def open_summary(qtbot: QtBot, editor: NoteEditor) -> SummaryDialog:
    click(qtbot, editor.submit_button)
    dialog = editor.summary
    assert isinstance(dialog, SummaryDialog) and dialog.isVisible()
    return dialog


def words(dialog: SummaryDialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel) if label.text()]


def test_the_summary_shows_what_will_be_filed_in_plain_words(
    qtbot: QtBot, make_editor: MakeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = make_editor("wound-assessment")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, {**TYPED["wound-assessment"], "wound.photosTaken": True})
    fill(qtbot, editor, {"wound.photoConsent": "patient"})
    strip = field_of(editor, "wound.photos", PhotoStrip)
    paths = [tmp_path / "one.jpg", tmp_path / "two.jpg"]
    for seed, path in enumerate(paths):
        path.write_bytes(photo_bytes(seed=seed))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *_a: ([str(p) for p in paths], ""))
    )
    click(qtbot, strip.add_button)
    qtbot.waitUntil(lambda: len(strip.photos) == 2)

    dialog = open_summary(qtbot, editor)

    assert dialog.windowTitle() == WINDOW_TITLE
    assert not re.search(r"\d", dialog.windowTitle() + editor.windowTitle())
    shown = words(dialog)
    assert "Wound assessment" in shown
    assert f"Filed in {WARD.name}" in shown
    assert dialog.identifier_label.text() == "NHS number 943 476 5919"
    assert dialog.birth_date_label.text() == "Date of birth 12 Mar 1950"
    for expected in ("Left heel", "Pressure ulcer", "Category 2", "Granulating; Slough", "No",
                     "2.5", "26 Nov 2026 11:45", "Yes", "2 photos, shown below"):  # fmt: skip
        assert expected in shown, expected
    assert "Patient identifier" not in shown  # the patient is the card above, once
    assert len(dialog.thumbnails) == 2
    assert all(not t.pixmap().isNull() for t in dialog.thumbnails)
    assert dialog.confirm_text.text() == (
        "I have checked the NHS number 943 476 5919 and the date of birth 12 Mar 1950 against "
        "the patient's wristband or record."
    )


def test_submit_stays_off_until_the_patient_is_confirmed(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("sbar-handover")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED["sbar-handover"])
    dialog = open_summary(qtbot, editor)
    assert not dialog.submit_button.isEnabled()
    with qtbot.assertNotEmitted(editor.submitted):
        click(qtbot, dialog.submit_button)
        qtbot.keyClick(dialog.confirm_box, Qt.Key.Key_Return)
    assert dialog.isVisible()
    click(qtbot, dialog.confirm_text)  # the words tick the box too
    assert dialog.confirm_box.isChecked() and dialog.submit_button.isEnabled()
    click(qtbot, dialog.confirm_box)  # and it can be unticked
    assert not dialog.submit_button.isEnabled()
    qtbot.keyClick(dialog.confirm_box, Qt.Key.Key_Space)
    with qtbot.waitSignal(editor.submitted):
        click(qtbot, dialog.submit_button)


def test_back_to_the_form_keeps_everything(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("sbar-handover")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED["sbar-handover"])
    before = editor.view.answers()
    qtbot.keyClick(editor.submit_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dialog = editor.summary
    assert dialog is not None and dialog.isVisible()
    with qtbot.assertNotEmitted(editor.submitted):
        click(qtbot, dialog.back_button)
    qtbot.waitUntil(lambda: editor.summary is None)
    assert editor.view.answers() == before
    assert editor.has_unsaved_input()


def test_cancel_is_the_callers_to_decide(qtbot: QtBot, make_editor: MakeEditor) -> None:
    editor = make_editor("sbar-handover")
    assert not editor.has_unsaved_input()
    fill(qtbot, editor, {"sbar.situation.concern": "urgent"})
    assert editor.has_unsaved_input()
    with qtbot.waitSignal(editor.cancelled):
        click(qtbot, editor.cancel_button)
