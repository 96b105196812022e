"""Clinical notes from the main window: a new note, "move to a patient note", the patient view,
amendments, and the note cards in the chat.

Patient information belongs in forms, never in chat (DESIGN.md §6); this is where the two meet.
"Move to a patient note" takes the identifiers the guard found in the composer's text into the
form's patient fields, the rest of the text into the form's main free-text question, and leaves
the composer with the text cleared of every identifier. A filed note can be shared in the team's
chat as a card that names the form and nothing of the patient.

The editor is a window of the main window's: the lock screen hides it with every other dialog and
it comes back, as it was, on unlock. Filing runs on the DB lane through the bridge; a failure is
shown and the editor stays open with everything in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QWidget,
)

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.policy import Policy
from wardlink.ui.bridge import Bridge
from wardlink.ui.note_window import NoteWindow

if TYPE_CHECKING:  # the forms, the guard and photo processing load when first used, not at start
    from wardlink.core.forms import Form
    from wardlink.core.guard import Finding
    from wardlink.core.model import Note
    from wardlink.store.database import Store
    from wardlink.ui.forms import FilledNote
    from wardlink.ui.mainwindow import MainWindow
    from wardlink.ui.patients import PatientDialog
    from wardlink.ui.unfinished_notes import UnfinishedNotes

# The guard's kinds that become the form's patient fields; every other kind stays in the note's
# free text (a form may hold it; chat may not).
_IDENTIFIER_KINDS = ("nhs_number", "chi_number")


@dataclass(frozen=True, slots=True)
class MovedText:
    """A composer text split by "move to a patient note"."""

    patient_system: str | None
    patient_value: str | None
    birth_date: dt.date | None
    note_text: str  # for the form's free text: the text without what went to patient fields
    chat_text: str  # what stays in the composer: the text without any identifier


def split_for_note(text: str, findings: Sequence[Finding]) -> MovedText:
    """Which identifier goes to the patient fields, and what text goes where."""
    from wardlink.core.guard import matched_text, redact
    from wardlink.ui.forms.typed_values import parse_date

    number = next((f for f in findings if f.kind in _IDENTIFIER_KINDS), None)
    born = next((f for f in findings if f.kind == "dob"), None)
    birth_date = parse_date(_date_part(matched_text(text, born))) if born is not None else None
    to_fields = [f for f in (number, born if birth_date is not None else None) if f is not None]
    return MovedText(
        patient_system=number.kind if number is not None else None,
        patient_value=matched_text(text, number) if number is not None else None,
        birth_date=birth_date,
        note_text=redact(text, to_fields),
        chat_text=redact(text, findings),
    )


def _date_part(found: str) -> str:
    """A date of birth as the guard matched it may carry its label ("DOB 12/03/1950")."""
    from wardlink.ui.forms.typed_values import parse_date

    words = found.split()
    for start in range(len(words)):
        candidate = " ".join(words[start:])
        if parse_date(candidate) is not None:
            return candidate
    return found


def note_for_amending(store: Store, note_id: str) -> tuple[Note, dict[str, tuple[str, bytes]]]:
    """A note version and the photos of it held here, to start its amendment from."""
    from wardlink.store import attachments, notes

    note = notes.get_note(store, note_id)
    if note is None:
        raise LookupError("the note is not on this PC")
    photos: dict[str, tuple[str, bytes]] = {}
    for sha256 in note.photos:
        found = attachments.get_attachment(store, sha256)
        if found is not None:
            photos[sha256] = found
    return note, photos


def _choose_form(parent: QWidget) -> Form | None:
    from wardlink.ui.forms import choose_form

    return choose_form(parent)


class ClinicalNotes(QObject):
    """The main window's clinical notes.

    Signals:
    - note_filed(str): a note (or a new version) was queued for the record: its id.
    - editor_opened(object): a NoteWindow is showing.
    """

    note_filed = Signal(str)
    editor_opened = Signal(object)

    def __init__(
        self,
        window: QWidget,
        bridge: Bridge,
        *,
        policy: Policy,
        clock: Clock = SYSTEM_CLOCK,
        current_team: Callable[[], tuple[str, str] | None],
        team_name: Callable[[str], str],
        set_composer_text: Callable[[str], None],
        show_error: Callable[[str], None],
        show_notice: Callable[[str], None],
        choose: Callable[[QWidget], Form | None] | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        self._policy = policy
        self._clock = clock
        self._current_team = current_team
        self._team_name = team_name
        self._set_composer_text = set_composer_text
        self._show_error = show_error
        self._show_notice = show_notice
        self.choose = choose or _choose_form
        self.editor_window: NoteWindow | None = None
        self.unfinished: UnfinishedNotes | None = None  # set by attach_clinical_notes
        self._patients: PatientDialog | None = None
        self._hidden_by_lock = False

    @property
    def parent_window(self) -> QWidget:
        return self._window

    # -- opening the editor --------------------------------------------------------------------

    def new_note(self) -> NoteWindow | None:
        """Choose a form and fill it in for a patient, filed in the open team."""
        if self._raise_open_editor():
            return None
        team = self._team_or_say_why()
        if team is None:
            return None
        form = self.choose(self._window)
        return None if form is None else self.open_editor(form, *team)

    def move_to_note(self, text: str, findings: Sequence[Finding]) -> NoteWindow | None:
        """The composer's text with patient details: into a form, and out of the chat."""
        if self._raise_open_editor():
            return None
        team = self._team_or_say_why()
        if team is None:
            return None
        form = self.choose(self._window)
        if form is None:
            return None
        moved = split_for_note(text, findings)
        window = self.open_editor(form, *team)
        window.editor.prefill(
            patient_system=moved.patient_system,
            patient_value=moved.patient_value,
            free_text=moved.note_text,
            birth_date=moved.birth_date,
        )
        self._set_composer_text(moved.chat_text)
        return window

    def amend(self, note_id: str) -> None:
        """Start a new version of a filed note, from what it says now."""
        if self._raise_open_editor():
            return
        self._bridge.run(note_for_amending, note_id, on_done=self._amend_loaded)

    def _amend_loaded(self, found: tuple[Note, Mapping[str, tuple[str, bytes]]]) -> None:
        from wardlink.core.forms import UnknownQuestionnaire, load_form

        note, photos = found
        try:
            form = load_form(f"{note.form_url}|{note.form_version}")
        except UnknownQuestionnaire:
            self._show_error("This note's form is not one this version of Wardlink has.")
            return
        window = self.open_editor(form, note.team_id, self._team_name(note.team_id), amending=True)
        window.editor.load_version(note, photos)

    def open_editor(
        self, form: Form, team_id: str, team_name: str, *, amending: bool = False
    ) -> NoteWindow:
        from wardlink.core.photos import max_bytes_from_policy
        from wardlink.ui.forms import NoteEditor

        editor = NoteEditor(
            form,
            team_id=team_id,
            team_name=team_name,
            max_photo_bytes=max_bytes_from_policy(self._policy.max_photo_mb),
            today=lambda: self._clock.now().astimezone().date(),
            chi_system=self._policy.chi_system,
        )
        verb = "Amend" if amending else "New"
        window = NoteWindow(
            editor,
            title=f"{verb} note: {form.title}",
            share_in=None if amending else team_name,
            parent=self._window,
        )
        editor.submitted.connect(lambda filled: self._file(window, filled, team_id))
        window.destroyed.connect(lambda _obj=None: self._forget(window))
        self.editor_window = window
        window.show()
        self.editor_opened.emit(window)
        return window

    def _raise_open_editor(self) -> bool:
        """One note at a time: bring back the one being written rather than start another."""
        window = self.editor_window
        if window is None:
            return False
        window.show()
        window.raise_()
        window.activateWindow()
        return True

    def _forget(self, window: NoteWindow) -> None:
        if self.editor_window is window:
            self.editor_window = None

    def _team_or_say_why(self) -> tuple[str, str] | None:
        team = self._current_team()
        if team is None:
            self._show_error("Open a team first: a note is filed in one of your teams.")
        return team

    # -- filing --------------------------------------------------------------------------------

    def _file(self, window: NoteWindow, filled: FilledNote, team_id: str) -> None:
        from wardlink.store.note_cards import post_note_card
        from wardlink.ui.forms import amendment_of
        from wardlink.ui.forms.filing import file_amendment, file_note

        share = window.share.isVisible() and window.share.isChecked()
        title = filled.draft.form_title

        def filed(result: tuple[str, object]) -> None:
            note_id = result[0]
            if share:
                self._bridge.run(post_note_card, team_id, note_id)
            window.close_for_good()
            self._show_notice(
                f"{title} saved. It goes to the record as soon as Wardlink is connected."
            )
            self.note_filed.emit(note_id)

        def failed(exc: BaseException) -> None:
            message = getattr(exc, "message", None)
            self._show_error(
                message
                if isinstance(message, str)
                else "The note could not be saved. "
                "Nothing you entered is lost: try again, or ask IT if it keeps happening."
            )

        amendment = amendment_of(filled)
        if amendment is None:
            self._bridge.run(file_note, filled, on_done=filed, on_error=failed)
        else:
            self._bridge.run(
                file_amendment,
                amendment.version_of,
                filled,
                amendment.reason,
                on_done=filed,
                on_error=failed,
            )

    # -- the patient view ----------------------------------------------------------------------

    @property
    def patients(self) -> PatientDialog:
        if self._patients is None:
            from wardlink.ui.patients import PatientDialog  # loaded when first used

            dialog = PatientDialog(
                self._bridge, policy=self._policy, clock=self._clock, parent=self._window
            )
            dialog.amend_requested.connect(self.amend)
            self._patients = dialog
        return self._patients

    def open_patients(self) -> None:
        self.patients.open_search()

    def open_note(self, note_id: str) -> None:
        """A note card in the chat: the patient view, at that note."""
        self.patients.open_note(note_id)

    # -- locking -------------------------------------------------------------------------------

    def locked(self) -> None:
        """The lock screen hid every window; remember to bring the note back."""
        self._hidden_by_lock = self.editor_window is not None

    def unlocked(self) -> None:
        if self._hidden_by_lock and self.editor_window is not None:
            self.editor_window.show()
        self._hidden_by_lock = False


NOTICE_MS = 8000


def attach_clinical_notes(
    window: MainWindow, bridge: Bridge, *, policy: Policy, clock: Clock
) -> ClinicalNotes:
    """Clinical notes for a main window: its Notes menu, the composer's "move to a patient
    note", the chat's note cards, and the editor hidden and brought back by the lock."""

    def current_team() -> tuple[str, str] | None:
        team_id = window.timeline_model.team_id
        return None if team_id is None else (team_id, team_name(team_id))

    def composer_text(text: str) -> None:
        window.composer.set_text(text)
        window.composer.check_now()  # says at once that what is left may go

    def team_name(team_id: str) -> str:
        row = window.team_model.row_of(team_id)
        team = window.team_model.team_at(row) if row is not None else None
        return team.name if team is not None else "your team"

    notes_ = ClinicalNotes(
        window,
        bridge,
        policy=policy,
        clock=clock,
        current_team=current_team,
        team_name=team_name,
        set_composer_text=composer_text,
        show_error=window.show_error,
        show_notice=lambda text: window.statusBar().showMessage(text, NOTICE_MS),
    )
    actions = window.commands
    actions.new_note.triggered.connect(lambda _checked=False: notes_.new_note())
    actions.patient_notes.triggered.connect(lambda _checked=False: notes_.open_patients())
    window.composer.move_to_note_requested.connect(notes_.move_to_note)
    window.timeline.note_card_activated.connect(notes_.open_note)
    window.locked.connect(notes_.locked)
    window.unlocked.connect(notes_.unlocked)
    from wardlink.ui.unfinished_notes import UnfinishedNotes

    notes_.unfinished = UnfinishedNotes(notes_, bridge, team_name)
    notes_.unfinished.look()
    return notes_
