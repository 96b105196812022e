"""Filing a filled-in note: operations for the DB lane (run them through `Bridge.run`).

Each puts the note's photos in the encrypted store, then queues the note with its outbox op.
The store's `transaction()` does not nest and `submit_note`/`amend_note` open their own, so the
two steps cannot share one transaction: the photos go in first, in one transaction of their own,
and if queuing the note then fails, the photos it brought (and nothing else refers to) are taken
out again. Either way no note is ever queued without its photos.

The note is signed here: its author is the staff member this store belongs to, and `authored` is
the store clock's now. The editor does not know who is signed in; the store does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from wardlink.core.clock import format_timestamp
from wardlink.core.fhir import Json, staff_reference
from wardlink.core.forms import InvalidAnswers, validate_response
from wardlink.core.identifiers import DEFAULT_CHI_SYSTEM, NHS_NUMBER_SYSTEM
from wardlink.store import attachments, notes, teams
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.notes import NoteDraft
from wardlink.ui.forms.filled_note import FilledNote, amendment_of


def _signed(store: Store, draft: NoteDraft, *, amendment: bool) -> NoteDraft:
    """The draft in the name of the store's staff member, dated now, checked as the server will."""
    me = teams.get_staff(store, store.me)
    authored = format_timestamp(store.clock.now())
    resource: Json = {
        **dict(draft.resource),
        "author": staff_reference(store.me, me.display_name if me is not None else ""),
        "authored": authored,
    }
    # A CHI number is filed under the health board's CHI system (from policy), which the
    # editor used; the record server checks it against its own.
    chi_system = (
        DEFAULT_CHI_SYSTEM if draft.patient_system == NHS_NUMBER_SYSTEM else draft.patient_system
    )
    errors = validate_response(
        resource, amendment=amendment, today=store.clock.now().date(), chi_system=chi_system
    )
    if errors:
        raise InvalidAnswers(errors)
    return dataclasses.replace(draft, resource=resource, authored=authored)


def _with_photos(
    store: Store, filled: FilledNote, queue: Callable[[NoteDraft], tuple[str, Changes]]
) -> tuple[str, Changes]:
    with store.transaction():
        for photo in filled.photos:
            attachments.put_attachment(store, photo.sha256, photo.content_type, photo.data)
    try:
        return queue(filled.draft)
    except BaseException:
        with store.transaction():
            attachments.delete_orphans(store, [photo.sha256 for photo in filled.photos])
        raise


def file_note(store: Store, filled: FilledNote) -> tuple[str, Changes]:
    """Store the photos and queue the note (`note.submit`); the note's id and what changed."""
    draft = _signed(store, filled.draft, amendment=False)
    note_id = str(draft.resource["id"])  # the record server requires the op's id to be this
    return _with_photos(
        store,
        dataclasses.replace(filled, draft=draft),
        lambda d: notes.submit_note(store, d, note_id=note_id),
    )


def file_amendment(
    store: Store, version_of: str, filled: FilledNote, reason: str
) -> tuple[str, Changes]:
    """Store the photos and queue a new version of `version_of` (`note.amend`). The version and
    reason must be the ones the note itself names (`amendment_of`): the record server refuses
    an amendment whose op and resource disagree."""
    named = amendment_of(filled)
    if named is None or (named.version_of, named.reason) != (version_of, reason.strip()):
        raise ValueError("the amendment's version and reason must be the note's own")
    draft = _signed(store, filled.draft, amendment=True)
    return _with_photos(
        store,
        dataclasses.replace(filled, draft=draft),
        lambda d: notes.amend_note(store, version_of, d, reason, note_id=str(d.resource["id"])),
    )
