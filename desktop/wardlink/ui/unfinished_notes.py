"""An unfinished note's content, taken from the editor and put back into one.

What the editor holds becomes FHIR answers (JSON the store keeps encrypted) and photo bytes, and
back: `core.form_answers.to_fhir` / `from_fhir` do the converting, so a resumed note is exactly
what was typed. A half-typed value the editor cannot read yet (a date missing its year) was
never an answer, and is not kept. Amendments are not kept: they start again from the record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox

from wardlink.core.form_answers import AnswerProblem, from_fhir, to_fhir
from wardlink.core.forms import Form, UnknownQuestionnaire, load_form
from wardlink.store.errors import StoreError
from wardlink.store.note_drafts import (
    UnfinishedNote,
    discard_unfinished_note,
    save_unfinished_note,
    unfinished_note,
)
from wardlink.ui.bridge import Bridge
from wardlink.ui.forms import NoteEditor

if TYPE_CHECKING:
    from wardlink.ui.clinical_notes import ClinicalNotes

FhirAnswers = dict[str, list[Mapping[str, object]]]


def taken_from(editor: NoteEditor) -> tuple[FhirAnswers, list[tuple[str, str, bytes]]]:
    """The editor's answers as FHIR answers, and its photos as (sha256, type, bytes)."""
    answers: FhirAnswers = {}
    for link_id, value in editor.view.answers().items():
        item = editor.form.by_link_id[link_id]
        kept: list[Mapping[str, object]] = []
        for one in value if isinstance(value, list) else [value]:
            try:
                answer = to_fhir(item, one)
            except (AnswerProblem, TypeError, ValueError):
                continue
            if answer is not None:
                kept.append(dict(answer))
        if kept:
            answers[link_id] = kept
    photos = [
        (p.sha256, p.content_type, p.data)
        for strip in editor.strips.values()
        for p in strip.processed_photos()
    ]
    return answers, photos


def put_back(editor: NoteEditor, note: UnfinishedNote) -> None:
    """Fill `editor` (a new one, for the same form) with what was kept."""
    values: dict[str, object] = {}
    for link_id, answers in note.answers.items():
        item = editor.form.by_link_id.get(link_id)
        if item is None:
            continue
        read = [from_fhir(item, answer) for answer in answers]
        values[link_id] = read if item.repeats else read[0]
    for strip in editor.strips.values():
        strip.known = dict(note.photos)
    # Twice: an answer can reveal a question (enableWhen) whose answer the first pass skipped.
    for _ in range(2):
        editor.view.set_answers(_ordered(editor, values))


def _ordered(editor: NoteEditor, values: Mapping[str, object]) -> dict[str, object]:
    order: Sequence[str] = [item.link_id for item in editor.form.walk()]
    return {k: values[k] for k in order if k in values}


class UnfinishedNotes(QObject):
    """Keeps a note being written when the session ends, and offers it at the next sign-in.

    Signals:
    - kept(): an unfinished note was put in the store as the window closed.
    - offered(object): the QMessageBox asking whether to open the kept note.
    """

    kept = Signal()
    offered = Signal(object)

    def __init__(self, notes: ClinicalNotes, bridge: Bridge, team_name: Callable[[str], str]):
        super().__init__(notes)
        self._notes = notes
        self._bridge = bridge
        self._team_name = team_name
        self.prompt: QMessageBox | None = None

    def keep(self) -> None:
        """The window is closing (switch user, sign out, quit): keep what is being written.
        Runs on the GUI thread while the profile is still open, and waits for the store."""
        window = self._notes.editor_window
        if window is None or window.editor.is_amendment or not window.editor.has_unsaved_input():
            return
        editor = window.editor
        answers, photos = taken_from(editor)
        with contextlib.suppress(StoreError):
            self._bridge.lane.call(
                save_unfinished_note,
                form=editor.form.canonical,
                team_id=editor.team_id,
                answers=answers,
                photos=photos,
            )
            self.kept.emit()
        window.close_for_good()

    def look(self) -> None:
        """At sign-in: is there a note this person did not finish?"""
        self._bridge.run(unfinished_note, on_done=self._offer)

    def _offer(self, found: UnfinishedNote | None) -> None:
        if found is None:
            return
        try:
            form = load_form(found.form)
        except UnknownQuestionnaire:
            self._bridge.run(discard_unfinished_note)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unfinished note",
            f"You did not finish a {form.title} before Wardlink closed. Open it to carry on?",
            QMessageBox.StandardButton.NoButton,
            self._notes.parent_window,
        )
        box.setObjectName("unfinishedNote")
        open_it = box.addButton("Open it", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard it", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(open_it)
        box.buttonClicked.connect(
            lambda button: self._resume(form, found) if button is open_it else self._discard()
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.prompt = box
        box.open()
        self.offered.emit(box)

    def _resume(self, form: Form, found: UnfinishedNote) -> None:
        window = self._notes.open_editor(form, found.team_id, self._team_name(found.team_id))
        put_back(window.editor, found)
        self._discard()  # it is in the editor now; closing the window keeps it again

    def _discard(self) -> None:
        self._bridge.run(discard_unfinished_note)
