"""A note being written when the session ends (switch user, sign out, quit) is kept in the
encrypted store and offered back, whole, at the next sign-in; nothing of it is lost."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QMessageBox
from pytestqt.qtbot import QtBot

from tests.qt_wait import wait_shown
from tests.ui.conftest import Profile, open_window, settle
from tests.ui.forms.driver import PATIENT, field_of, fill, photo_bytes
from wardlink.core.clock import ManualClock
from wardlink.core.forms import load_form
from wardlink.store.lane import DbLane
from wardlink.store.note_drafts import unfinished_note
from wardlink.ui import clinical_notes
from wardlink.ui.bridge import Bridge
from wardlink.ui.forms.photo_strip import PhotoStrip
from wardlink.ui.forms.text_inputs import LineInput
from wardlink.ui.mainwindow import MainWindow

WOUND = load_form("wound-assessment")


@pytest.fixture(autouse=True)
def wound_form_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinical_notes, "_choose_form", lambda _parent: WOUND)


def start_a_note(qtbot: QtBot, window: MainWindow) -> PhotoStrip:
    window.commands.new_note.trigger()
    note_window = window.notes.editor_window
    assert note_window is not None
    wait_shown(qtbot, note_window)
    editor = note_window.editor
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, {"wound.location": "Left heel", "wound.photosTaken": True})
    fill(qtbot, editor, {"wound.photoConsent": "patient"})
    strip = field_of(editor, "wound.photos", PhotoStrip)
    strip.take([photo_bytes(seed=7)])
    qtbot.waitUntil(lambda: len(strip.photos) == 1 and strip.importer.pending == 0)
    return strip


def button(box: QMessageBox, text: str) -> QAbstractButton:
    (found,) = [b for b in box.buttons() if b.text() == text]
    return found


def test_a_note_being_written_is_kept_when_the_session_ends_and_offered_back(
    qtbot: QtBot,
    window: MainWindow,
    bridge: Bridge,
    lane: DbLane,
    profile: Profile,
    clock: ManualClock,
) -> None:
    strip = start_a_note(qtbot, window)
    photo = strip.processed_photos()[0]
    window.lock()  # the nurse is called away; a colleague switches user
    with qtbot.waitSignal(window.notes.unfinished.kept):  # type: ignore[union-attr]
        window.end()
    kept = lane.call(unfinished_note)
    assert kept is not None and kept.form == WOUND.canonical
    assert kept.answers["wound.location"] == [{"valueString": "Left heel"}]
    assert kept.photos == {photo.sha256: (photo.content_type, photo.data)}

    again = open_window(qtbot, bridge, profile, clock)  # the same nurse signs in again
    unfinished = again.notes.unfinished
    assert unfinished is not None
    qtbot.waitUntil(lambda: unfinished.prompt is not None and unfinished.prompt.isVisible())
    prompt = unfinished.prompt
    assert prompt is not None
    assert "Wound assessment" in prompt.text() and "9434765919" not in prompt.text()
    button(prompt, "Open it").click()
    note_window = again.notes.editor_window
    assert note_window is not None
    editor = note_window.editor
    assert field_of(editor, "wound.location", LineInput).value() == "Left heel"
    assert [p.sha256 for p in field_of(editor, "wound.photos", PhotoStrip).processed_photos()] == [
        photo.sha256
    ]
    settle(qtbot, bridge)
    assert lane.call(unfinished_note) is None  # it lives in the editor again


def test_a_kept_note_can_be_discarded(
    qtbot: QtBot,
    window: MainWindow,
    bridge: Bridge,
    lane: DbLane,
    profile: Profile,
    clock: ManualClock,
) -> None:
    start_a_note(qtbot, window)
    window.end()
    again = open_window(qtbot, bridge, profile, clock)
    unfinished = again.notes.unfinished
    assert unfinished is not None
    qtbot.waitUntil(lambda: unfinished.prompt is not None and unfinished.prompt.isVisible())
    assert unfinished.prompt is not None
    button(unfinished.prompt, "Discard it").click()
    settle(qtbot, bridge)
    assert lane.call(unfinished_note) is None
    assert again.notes.editor_window is None


def test_nothing_is_kept_when_nothing_was_written(
    qtbot: QtBot, window: MainWindow, lane: DbLane
) -> None:
    window.commands.new_note.trigger()
    window.end()
    assert lane.call(unfinished_note) is None
