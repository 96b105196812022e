"""Note cards: a team message that points at a clinical note, and what the timeline shows of it.

A card names the form, who filed it and whether it has reached the record, and nothing of the
patient: the identifiers and answers stay in the note, opened from the card in the patient view.
So the card's facts are read from their own columns, never from the note's patient columns or
its resource, and a card can be shown anywhere a chat message can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from wardlink.core.model import NoteState, NoteStatus
from wardlink.store import messages
from wardlink.store.changes import Changes
from wardlink.store.database import Store

SHARED_PREFIX: Final = "Shared a note: "


@dataclass(frozen=True, slots=True)
class NoteCard:
    """What a card shows of one note version: no patient data."""

    note_id: str
    form_title: str
    author_name: str
    state: NoteState
    amended: bool


class NoteNotHere(LookupError):
    """The note to share is not in this PC's store (a bug in the caller: it just showed it)."""


def note_cards(store: Store, note_ids: Sequence[str]) -> dict[str, NoteCard]:
    """The cards of the notes held here, by id, in one query per 500 ids; a note that is not
    here (another team's, or not synced yet) is simply absent."""
    found: dict[str, NoteCard] = {}
    wanted = list(dict.fromkeys(note_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for note_id, title, author, state, status in store.conn.execute(
            f"SELECT id, form_title, author_name, state, status FROM notes WHERE id IN ({marks})",
            tuple(chunk),
        ):
            found[str(note_id)] = NoteCard(
                note_id=str(note_id),
                form_title=str(title),
                author_name=str(author),
                state=NoteState(state),
                amended=NoteStatus(status) is NoteStatus.AMENDED,
            )
    return found


def post_note_card(store: Store, team_id: str, note_id: str) -> Changes:
    """Share a note with a team: a `message.post` whose `note_ref` names it and whose text says
    only which form it is ("Shared a note: Wound assessment"). Queued like any message."""
    card = note_cards(store, [note_id]).get(note_id)
    if card is None:
        raise NoteNotHere("the note to share is not in the store")
    _message, changes = messages.add_local_message(
        store, team_id, SHARED_PREFIX + card.form_title, note_ref=note_id
    )
    return changes
