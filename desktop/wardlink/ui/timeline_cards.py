"""What a note card in the timeline says: the form, who filed it, whether it has gone.

A card names the form and never the patient: its words come from `NoteCard`, which holds no
patient data, and from the message's own sentence ("Filed a Wound assessment"). No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from wardlink.core.model import Message, NoteState
from wardlink.store.note_cards import NoteCard

NOT_HERE: Final = "Clinical note (not available on this PC)"
QUEUED: Final = "Queued — not yet sent"
HELD: Final = "Not filed — open the note to see why"


@dataclass(frozen=True, slots=True)
class CardText:
    note_id: str
    title: str  # the form's title, or NOT_HERE
    status: str  # "Filed by …", QUEUED or HELD; empty when the note is not here
    openable: bool  # the note is on this PC: "Open note" offered
    held: bool = False  # the record server refused it: the status stands out


def card_text(message: Message, card: NoteCard | None) -> CardText | None:
    """The card of a message that shares a note (None for any other message)."""
    if message.note_ref is None:
        return None
    if card is None:
        return CardText(message.note_ref, NOT_HERE, "", openable=False)
    if card.state is NoteState.QUEUED:
        status = QUEUED
    elif card.state is NoteState.HELD:
        status = HELD
    else:
        status = f"{'Amended' if card.amended else 'Filed'} by {card.author_name}"
    return CardText(
        message.note_ref,
        card.form_title,
        status,
        openable=True,
        held=card.state is NoteState.HELD,
    )


def spoken_card(card: CardText) -> str:
    """What a screen reader says of a card."""
    parts = [f"Note card: {card.title}."]
    if card.status:
        parts.append(f"{card.status}.")
    if card.openable:
        parts.append("Press Enter to open the note.")
    return " ".join(parts)
