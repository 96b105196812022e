"""Clinical notes from the main window: "move to a patient note" carries the identifiers into the
form and leaves none in the chat; a filed note is in the store and shared as a card; the lock
hides the editor and brings it back; a card opens the patient view; amending starts from the
note as filed."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from tests.ui.conftest import settle
from tests.ui.forms.driver import PATIENT, TODAY, TYPED, field_of, fill
from tests.ui.forms.test_every_form import submit
from wardlink.core.forms import load_form
from wardlink.core.guard import scan
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.store import messages, notes
from wardlink.store.lane import DbLane
from wardlink.ui import clinical_notes, demo_history
from wardlink.ui.bridge import Bridge
from wardlink.ui.clinical_notes import split_for_note
from wardlink.ui.forms import NoteEditor
from wardlink.ui.forms.date_inputs import DateInput
from wardlink.ui.forms.filing import file_note
from wardlink.ui.forms.note_editor import main_text_item
from wardlink.ui.forms.patient_inputs import PatientNumberInput
from wardlink.ui.forms.text_inputs import TextBlockInput
from wardlink.ui.mainwindow import MainWindow
from wardlink.ui.note_window import NoteWindow

WOUND = load_form("wound-assessment")
CHAT = "Mrs Patel bed 4, NHS 943 476 5919, DOB 12/03/1950: heel wound looks worse"
IDENTIFYING = ("943 476 5919", "9434765919", "12/03/1950", "Patel")


@pytest.fixture(autouse=True)
def wound_form_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The form picker answers "Wound assessment" (it has tests of its own)."""
    monkeypatch.setattr(clinical_notes, "_choose_form", lambda _parent: WOUND)


def test_the_text_splits_into_patient_fields_note_text_and_clean_chat() -> None:
    moved = split_for_note(CHAT, scan(CHAT))
    assert (moved.patient_system, moved.patient_value) == ("nhs_number", "943 476 5919")
    assert moved.birth_date == dt.date(1950, 3, 12)
    assert "Mrs Patel" in moved.note_text and "heel wound looks worse" in moved.note_text
    assert "5919" not in moved.note_text and "1950" not in moved.note_text
    assert scan(moved.chat_text) == []
    assert "heel wound looks worse" in moved.chat_text
    assert not any(part in moved.chat_text for part in IDENTIFYING)


def move_text_to_a_note(qtbot: QtBot, window: MainWindow, text: str) -> NoteWindow:
    window.composer.set_text(text)
    window.composer.check_now()
    window.commands.move_to_note.trigger()
    note_window = window.notes.editor_window
    assert note_window is not None
    wait_shown(qtbot, note_window)
    return note_window


def test_move_to_a_patient_note_carries_the_identifiers_and_leaves_none_in_the_chat(
    qtbot: QtBot, window: MainWindow
) -> None:
    note_window = move_text_to_a_note(qtbot, window, CHAT)
    editor = note_window.editor
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    assert number.edit.text() == "943 476 5919"
    assert field_of(editor, "patient.birthDate", DateInput).value() == dt.date(1950, 3, 12)
    main = main_text_item(WOUND)
    assert main is not None
    note_text = field_of(editor, main.link_id, TextBlockInput).edit.toPlainText()
    assert "Mrs Patel" in note_text and "heel wound looks worse" in note_text
    chat = window.composer.text
    assert scan(chat) == [] and not any(part in chat for part in IDENTIFYING)
    assert window.composer.send_button.isEnabled()  # what is left may go to the chat
    for title in (note_window.windowTitle(), window.windowTitle()):
        assert not any(part in title for part in IDENTIFYING)
    assert note_window.windowTitle() == "New note: Wound assessment"


def test_a_filed_note_is_queued_and_shared_as_a_card_that_names_no_patient(
    qtbot: QtBot, window: MainWindow, bridge: Bridge, lane: DbLane
) -> None:
    note_window = move_text_to_a_note(qtbot, window, CHAT)
    editor = note_window.editor
    main = main_text_item(WOUND)
    assert main is not None
    typed = {k: v for k, v in TYPED["wound-assessment"].items() if k != main.link_id}
    fill(qtbot, editor, typed)
    assert note_window.share.isChecked()
    with qtbot.waitSignal(window.notes.note_filed, timeout=10_000) as filed:
        submit(qtbot, editor)
    note_id = filed.args[0]
    settle(qtbot, bridge)

    note = lane.call(notes.get_note, note_id)
    assert note is not None and note.state == "queued"
    assert (note.patient_system, note.patient_value) == (NHS_NUMBER_SYSTEM, "9434765919")
    assert window.notes.editor_window is None  # closed once safely in the store
    ward = demo_history.WARD.id
    (card,) = [m for m in lane.call(messages.latest_messages, ward, 20) if m.note_ref == note_id]
    assert card.body == "Shared a note: Wound assessment" and card.state == "queued"
    notice = window.statusBar().currentMessage()
    assert notice.startswith("Wound assessment saved")
    for shown in (card.body, notice):
        assert not any(part in shown for part in IDENTIFYING)

    # The card opens the patient view at the note, and amending starts from the note as filed.
    window.timeline.note_card_activated.emit(note_id)
    patients = window.notes.patients
    qtbot.waitUntil(patients.isVisible)
    assert patients.windowTitle() == "Patient notes"
    patients.amend_requested.emit(note_id)
    qtbot.waitUntil(lambda: window.notes.editor_window is not None)
    amending = window.notes.editor_window
    assert amending is not None and amending.windowTitle() == "Amend note: Wound assessment"
    assert not amending.share.isVisible()  # the card already in the chat stands for it
    number = field_of(amending.editor, "patient.identifier", PatientNumberInput)
    assert number.edit.isReadOnly() and number.edit.text() == "943 476 5919"


def test_the_lock_hides_a_note_being_written_and_unlocking_brings_it_back(
    qtbot: QtBot, window: MainWindow, bridge: Bridge
) -> None:
    window.commands.new_note.trigger()
    note_window = window.notes.editor_window
    assert note_window is not None
    wait_shown(qtbot, note_window)
    fill(qtbot, note_window.editor, {"wound.location": "Left heel"})

    window.lock()
    assert not note_window.isVisible()
    window._unlock()  # as after the right password
    assert note_window.isVisible()
    assert note_window.editor.has_unsaved_input()  # nothing typed was lost
    assert window.notes.editor_window is note_window
    settle(qtbot, bridge)  # the teams and timeline reload after unlocking


def test_one_note_at_a_time_the_open_one_comes_back(qtbot: QtBot, window: MainWindow) -> None:
    window.commands.new_note.trigger()
    first = window.notes.editor_window
    assert first is not None
    window.commands.new_note.trigger()
    assert window.notes.editor_window is first
    assert len(window.findChildren(NoteWindow)) == 1


def test_a_chi_number_is_filed_under_the_health_boards_system(
    qtbot: QtBot, lane: DbLane, directory: None
) -> None:
    """The CHI system comes from policy (it differs between health boards)."""
    board_system = "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.99"
    editor = NoteEditor(
        load_form("sbar-handover"),
        team_id=demo_history.WARD.id,
        team_name=demo_history.WARD.name,
        max_photo_bytes=10 * 2**20,
        today=lambda: TODAY,
        chi_system=board_system,
    )
    qtbot.addWidget(editor)
    editor.show()
    fill(qtbot, editor, {**PATIENT, "patient.identifierSystem": "chi"})
    editor.view.set_answers({"patient.identifier": "1203501005"})
    fill(qtbot, editor, TYPED["sbar-handover"])
    filled = submit(qtbot, editor)
    assert (filled.draft.patient_system, filled.draft.patient_value) == (board_system, "1203501005")
    note_id, _changes = lane.call(file_note, filled)
    note = lane.call(notes.get_note, note_id)
    assert note is not None and note.patient_system == board_system
