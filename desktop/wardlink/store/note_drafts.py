"""An unfinished clinical note, kept in the encrypted store when its session ends.

On a shared PC a nurse may be called away mid-note; the screen locks, and a colleague switches
user. The editor's content must not be lost, nor left anywhere but the encrypted profile: the
answers (as FHIR answers, in JSON) and the photos' bytes (as attachments) stay here until the same
person signs in again and opens or discards the note. One unfinished note per profile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.clock import format_timestamp
from wardlink.store import attachments
from wardlink.store.database import Store

DRAFT_KEY: Final = "note_draft"


@dataclass(frozen=True, slots=True)
class UnfinishedNote:
    """`form` is the form's `url|version`; `answers` maps linkId to its FHIR answers."""

    form: str
    team_id: str
    saved_at: str
    answers: Mapping[str, Sequence[Mapping[str, object]]] = field(repr=False)
    photos: Mapping[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)


def save_unfinished_note(
    store: Store,
    *,
    form: str,
    team_id: str,
    answers: Mapping[str, Sequence[Mapping[str, object]]],
    photos: Sequence[tuple[str, str, bytes]],
) -> None:
    """Keep the note (replacing any kept before) and its photos, in one transaction."""
    with store.transaction():
        _drop(store)
        for sha256, content_type, data in photos:
            attachments.put_attachment(store, sha256, content_type, data)
        document = {
            "form": form,
            "team_id": team_id,
            "saved_at": format_timestamp(store.clock.now()),
            "answers": answers,
            "photos": [sha256 for sha256, _, _ in photos],
        }
        store.set_state(DRAFT_KEY, json.dumps(document, separators=(",", ":")))


def unfinished_note(store: Store) -> UnfinishedNote | None:
    """The note kept here, with its photos' bytes; None if there is none (or it is unreadable)."""
    document = store.get_json_state(DRAFT_KEY)
    if not isinstance(document, dict):
        return None
    try:
        photos: dict[str, tuple[str, bytes]] = {}
        for sha256 in document.get("photos", []):
            found = attachments.get_attachment(store, str(sha256))
            if found is not None:
                photos[str(sha256)] = found
        return UnfinishedNote(
            form=str(document["form"]),
            team_id=str(document["team_id"]),
            saved_at=str(document["saved_at"]),
            answers=dict(document["answers"]),
            photos=photos,
        )
    except (KeyError, TypeError, ValueError):
        return None


def discard_unfinished_note(store: Store) -> None:
    """Forget the kept note, and its photos unless a filed or queued note holds them too."""
    with store.transaction():
        _drop(store)


def _drop(store: Store) -> None:
    document = store.get_json_state(DRAFT_KEY)
    if isinstance(document, dict):
        attachments.delete_orphans(store, [str(s) for s in document.get("photos", [])])
    store.delete_state(DRAFT_KEY)
