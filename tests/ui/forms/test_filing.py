"""Filing what the editor hands over, into the real encrypted store through the DB lane: the note,
its photos and its outbox op; amendments as new versions; chat text moved into a note; and not a
byte of a photo left in a plaintext file anywhere."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from wardlink.core.forms import answers_of
from wardlink.core.identifiers import NHS_NUMBER_SYSTEM
from wardlink.core.model import NoteState, NoteStatus
from wardlink.store import attachments, notes, outbox
from wardlink.store.lane import DbLane
from wardlink.ui.forms import FilledNote, NoteEditor, amendment_of
from wardlink.ui.forms.choice_inputs import RadioChoiceInput
from wardlink.ui.forms.filing import file_amendment, file_note
from wardlink.ui.forms.patient_inputs import PatientNumberInput
from wardlink.ui.forms.photo_strip import PhotoStrip
from wardlink.ui.forms.text_inputs import TextBlockInput

from ..conftest import ME, Profile
from .conftest import WARD, MakeEditor
from .driver import PATIENT, TYPED, click, field_of, fill, photo_bytes, type_into
from .test_every_form import submit


@pytest.fixture
def store_lane(lane: DbLane, directory: None) -> DbLane:
    """The real store (with the demo staff, so notes are signed with a name)."""
    return lane


def wound_with_photos(
    qtbot: QtBot, editor: NoteEditor, paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> PhotoStrip:
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, {**TYPED["wound-assessment"], "wound.photosTaken": True})
    fill(qtbot, editor, {"wound.photoConsent": "patient"})
    strip = field_of(editor, "wound.photos", PhotoStrip)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", staticmethod(lambda *_a: ([str(p) for p in paths], ""))
    )
    click(qtbot, strip.add_button)
    qtbot.waitUntil(lambda: len(strip.photos) == len(paths) and strip.importer.pending == 0)
    return strip


def chosen_photos(folder: Path, count: int, seed: int = 100) -> tuple[list[Path], list[bytes]]:
    """Photos as a user's files (outside the app: reading them is the user's choice)."""
    folder.mkdir()
    originals = [photo_bytes(seed=seed + n) for n in range(count)]
    paths = [folder / f"photo {n}.jpg" for n in range(count)]
    for path, data in zip(paths, originals, strict=True):
        path.write_bytes(data)
    return paths, originals


def test_a_filed_note_is_in_the_store_with_its_photos_and_queued(
    qtbot: QtBot,
    make_editor: MakeEditor,
    store_lane: DbLane,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths, _ = chosen_photos(tmp_path / "chosen", 2)
    editor = make_editor("wound-assessment")
    wound_with_photos(qtbot, editor, paths, monkeypatch)
    filled = submit(qtbot, editor)
    assert [p.sha256 for p in filled.photos] == list(filled.draft.photos)

    note_id, changes = store_lane.call(file_note, filled)

    assert changes.notes == {WARD.id} and changes.outbox
    note = store_lane.call(notes.get_note, note_id)
    assert note is not None
    assert note_id == filled.draft.resource["id"]  # the record server files it under this id
    assert (note.version, note.status, note.state) == (1, NoteStatus.COMPLETED, NoteState.QUEUED)
    assert note.photos == tuple(filled.draft.photos)
    assert note.author_id == ME.id and note.author_name == ME.display_name
    author = note.resource["author"]
    assert isinstance(author, dict) and author["identifier"]["value"] == ME.id
    assert (note.patient_system, note.patient_value) == (NHS_NUMBER_SYSTEM, "9434765919")
    for photo in filled.photos:
        held = store_lane.call(attachments.get_attachment, photo.sha256)
        assert held == (photo.content_type, photo.data)
    (op,) = store_lane.call(outbox.next_batch)
    assert op.type == "note.submit" and op.payload["note_id"] == note_id
    assert op.payload["resource"] == dict(note.resource)


def test_if_the_note_cannot_be_queued_its_photos_do_not_stay(
    qtbot: QtBot,
    make_editor: MakeEditor,
    store_lane: DbLane,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths, _ = chosen_photos(tmp_path / "chosen", 1)
    editor = make_editor("wound-assessment")
    wound_with_photos(qtbot, editor, paths, monkeypatch)
    filled = submit(qtbot, editor)

    def refused(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(notes, "submit_note", refused)
    with pytest.raises(OSError, match="disk full"):
        store_lane.call(file_note, filled)
    assert store_lane.call(attachments.get_attachment, filled.photos[0].sha256) is None
    assert store_lane.call(outbox.pending_count) == 0


def test_moved_chat_text_arrives_in_the_patient_fields_and_the_main_text(
    qtbot: QtBot, make_editor: MakeEditor
) -> None:
    editor = make_editor("sbar-handover")
    editor.prefill(
        patient_system=NHS_NUMBER_SYSTEM,
        patient_value="9434765919",
        free_text="Bed 4 short of breath, please review",
    )
    kind = field_of(editor, "patient.identifierSystem", RadioChoiceInput)
    assert kind.value() == "nhs" and kind.buttons[0].isChecked()
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    assert number.edit.text() == "943 476 5919" and number.status.isVisible()
    summary = field_of(editor, "sbar.situation.summary", TextBlockInput)
    assert summary.edit.toPlainText() == "Bed 4 short of breath, please review"
    assert editor.has_unsaved_input()  # the chat no longer holds this
    # The guard's own kinds work too; an unknown system leaves the choice to the user.
    other = make_editor("community-visit")
    other.prefill(patient_system="chi_number", patient_value="1203501236", free_text="")
    assert field_of(other, "patient.identifierSystem", RadioChoiceInput).value() == "chi"
    third = make_editor("community-visit")
    third.prefill(patient_system="urn:example:mrn", patient_value="9434765919", free_text="x")
    assert field_of(third, "patient.identifierSystem", RadioChoiceInput).value() is None
    assert field_of(third, "visit.reason", TextBlockInput).edit.toPlainText() == "x"


def amend(
    qtbot: QtBot, make_editor: MakeEditor, store_lane: DbLane, note_id: str
) -> tuple[NoteEditor, FilledNote]:
    """Open the note's latest version for amending, change the treatment, give a reason."""
    note = store_lane.call(notes.get_note, note_id)
    assert note is not None
    held = {
        sha: found
        for sha in note.photos
        if (found := store_lane.call(attachments.get_attachment, sha)) is not None
    }
    editor = make_editor("wound-assessment")
    editor.load_version(note, held)
    assert not editor.has_unsaved_input()
    number = field_of(editor, "patient.identifier", PatientNumberInput)
    assert number.edit.isReadOnly()  # an amendment cannot change the patient
    assert len(field_of(editor, "wound.photos", PhotoStrip).photos) == len(note.photos)
    treatment = field_of(editor, "wound.treatment", TextBlockInput)
    treatment.edit.selectAll()
    type_into(qtbot, treatment.edit, "Cleansed; silver dressing.")
    assert editor.has_unsaved_input()
    click(qtbot, editor.submit_button)
    dialog = editor.summary
    assert dialog is not None and dialog.reason is not None
    assert dialog.submit_button.text() == "Submit amendment"
    click(qtbot, dialog.confirm_box)
    assert not dialog.submit_button.isEnabled()  # a reason is needed too
    type_into(qtbot, dialog.reason, "Wrong dressing recorded")
    assert dialog.submit_button.isEnabled()
    with qtbot.waitSignal(editor.submitted) as submitted:
        click(qtbot, dialog.submit_button)
    filled = submitted.args[0]
    assert isinstance(filled, FilledNote)
    return editor, filled


def test_an_amendment_is_version_2_with_its_reason_and_the_photos_kept(
    qtbot: QtBot,
    make_editor: MakeEditor,
    store_lane: DbLane,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths, _ = chosen_photos(tmp_path / "chosen", 1)
    editor = make_editor("wound-assessment")
    wound_with_photos(qtbot, editor, paths, monkeypatch)
    first_id, _ = store_lane.call(file_note, submit(qtbot, editor))

    _, filled = amend(qtbot, make_editor, store_lane, first_id)
    amendment = amendment_of(filled)
    assert amendment is not None
    assert (amendment.version_of, amendment.reason) == (first_id, "Wrong dressing recorded")
    second_id, _ = store_lane.call(file_amendment, amendment.version_of, filled, amendment.reason)

    first, second = store_lane.call(notes.note_versions, second_id)
    assert (first.id, first.status, first.version) == (first_id, NoteStatus.COMPLETED, 1)
    assert (second.version, second.status, second.version_of) == (2, NoteStatus.AMENDED, first_id)
    assert second.lineage_id == first_id and second.photos == first.photos
    answers = answers_of(second.resource)
    assert answers["wound.treatment"] == "Cleansed; silver dressing."
    assert answers["wound.location"] == "Left heel"  # the rest carried over
    assert (
        answers_of(first.resource)["wound.treatment"]
        == TYPED["wound-assessment"]["wound.treatment"]
    )
    ops = store_lane.call(outbox.next_batch)
    assert [op.type for op in ops] == ["note.submit", "note.amend"]
    assert ops[1].payload["reason"] == "Wrong dressing recorded"
    assert amendment_of(FilledNote(first_as_draft(first), ())) is None


def first_as_draft(note: object) -> notes.NoteDraft:
    assert hasattr(note, "resource")
    return notes.NoteDraft(
        team_id=WARD.id, form_url="", form_version="", form_title="", patient_system="",
        patient_value="", authored="", resource=note.resource,
    )  # fmt: skip


def test_an_amendment_is_stored_under_its_resource_id(
    qtbot: QtBot, make_editor: MakeEditor, store_lane: DbLane
) -> None:
    editor = make_editor("sbar-handover")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED["sbar-handover"])
    first_id, _ = store_lane.call(file_note, submit(qtbot, editor))
    note = store_lane.call(notes.get_note, first_id)
    assert note is not None
    again = make_editor("sbar-handover")
    again.load_version(note, {})
    enter_yes = field_of(again, "sbar.situation.concern", RadioChoiceInput)
    click(qtbot, enter_yes.buttons[2])
    click(qtbot, again.submit_button)
    dialog = again.summary
    assert dialog is not None and dialog.reason is not None
    click(qtbot, dialog.confirm_box)
    type_into(qtbot, dialog.reason, "More worried now")
    with qtbot.waitSignal(again.submitted) as submitted:
        click(qtbot, dialog.submit_button)
    filled = submitted.args[0]
    second_id, _ = store_lane.call(file_amendment, first_id, filled, "More worried now")
    assert second_id == filled.draft.resource["id"]


# -- nothing of a photo on disk -------------------------------------------------------------------


def files_under(folder: Path, since: float) -> Iterator[Path]:
    """Files under `folder` written since `since` (others' older files are none of ours)."""
    for root, _dirs, names in os.walk(folder, onerror=lambda _e: None):
        for name in names:
            path = Path(root, name)
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                    yield path
            except OSError:
                continue


def fragments(data: bytes) -> list[bytes]:
    """Pieces of a photo's pixel data, which no other file would hold (its headers would be
    the same as any other photo's), from a third, half and near the end of the way through."""
    size = 256
    return [data[i : i + size] for i in (len(data) // 3, len(data) // 2, len(data) - 2 * size)]


def test_importing_and_filing_a_photo_leaves_none_of_it_in_a_file(
    qtbot: QtBot,
    make_editor: MakeEditor,
    store_lane: DbLane,
    profile: Profile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = time.time() - 1
    chosen = tmp_path / "chosen"
    paths, originals = chosen_photos(chosen, 2, seed=900)  # bytes no other test writes
    editor = make_editor("wound-assessment")
    strip = wound_with_photos(qtbot, editor, paths, monkeypatch)
    click(qtbot, strip.view_button)  # seen full size, too
    filled = submit(qtbot, editor)
    store_lane.call(file_note, filled)
    store_lane.call(lambda store: store.conn.execute("PRAGMA wal_checkpoint(FULL)"))

    needles = [f for data in originals for f in fragments(data)]
    needles += [f for photo in filled.photos for f in fragments(photo.data)]
    folders = {
        tmp_path,  # this test's data, config, cache and temp folders, and the profile
        profile.db_path.parent,
        Path(tempfile.gettempdir()),
        Path(os.environ["TMPDIR"]),
    }
    scanned = 0
    for folder in folders:
        for path in files_under(folder, started):
            if path.is_relative_to(chosen):
                continue  # the user's own files, only ever read
            try:
                content = path.read_bytes()
            except OSError:
                continue
            scanned += 1
            assert not any(n in content for n in needles), f"photo bytes found in {path}"
    assert scanned >= 2  # the database and its key slots, at least, were looked at
    assert profile.db_path.exists()


def test_an_amendment_must_be_filed_with_its_own_version_and_reason(
    qtbot: QtBot, make_editor: MakeEditor, store_lane: DbLane
) -> None:
    editor = make_editor("wound-assessment")
    fill(qtbot, editor, PATIENT)
    fill(qtbot, editor, TYPED["wound-assessment"])
    first = submit(qtbot, editor)
    with pytest.raises(ValueError, match="version and reason"):
        store_lane.call(file_amendment, "some-other-note", first, "No reason")
    first_id, _ = store_lane.call(file_note, first)
    _, filled = amend(qtbot, make_editor, store_lane, first_id)
    with pytest.raises(ValueError, match="version and reason"):
        store_lane.call(file_amendment, first_id, filled, "A different reason")
    assert len(store_lane.call(notes.note_versions, first_id)) == 1
