"""An unfinished note kept in the encrypted store: answers and photos, replaced, discarded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.store import attachments, notes
from wardlink.store.database import Store
from wardlink.store.note_drafts import (
    DRAFT_KEY,
    discard_unfinished_note,
    save_unfinished_note,
    unfinished_note,
)

from .store_helpers import WARD, new_store
from .test_notes import draft

PHOTO = b"\xff\xd8\xff pretend jpeg"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
ANSWERS = {"wound.location": [{"valueString": "Left heel"}], "wound.pain": [{"valueInteger": 3}]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    yield s
    s.close()


def keep(store: Store, answers: dict[str, object] = ANSWERS, photos: bool = True) -> None:
    save_unfinished_note(
        store,
        form="https://wardlink.example/Questionnaire/wound-assessment|1.0.0",
        team_id=WARD,
        answers=answers,  # type: ignore[arg-type]
        photos=[(PHOTO_SHA, "image/jpeg", PHOTO)] if photos else [],
    )


def test_a_kept_note_comes_back_whole(store: Store) -> None:
    assert unfinished_note(store) is None
    keep(store)
    found = unfinished_note(store)
    assert found is not None
    assert found.form.endswith("wound-assessment|1.0.0") and found.team_id == WARD
    assert found.answers == ANSWERS
    assert found.photos == {PHOTO_SHA: ("image/jpeg", PHOTO)}


def test_keeping_again_replaces_it_and_discarding_removes_its_photos(store: Store) -> None:
    keep(store)
    keep(store, {"wound.location": [{"valueString": "Sacrum"}]}, photos=False)
    found = unfinished_note(store)
    assert found is not None and found.photos == {}
    assert found.answers == {"wound.location": [{"valueString": "Sacrum"}]}
    assert attachments.get_attachment(store, PHOTO_SHA) is None  # nothing else held it
    discard_unfinished_note(store)
    assert unfinished_note(store) is None


def test_a_photo_a_queued_note_holds_too_stays_when_the_draft_goes(store: Store) -> None:
    keep(store)
    notes.submit_note(store, draft(photos=(PHOTO_SHA,)))
    discard_unfinished_note(store)
    assert attachments.get_attachment(store, PHOTO_SHA) == ("image/jpeg", PHOTO)


def test_an_unreadable_kept_note_is_no_note(store: Store) -> None:
    with store.transaction():
        store.set_state(DRAFT_KEY, '{"form": "x"}')
    assert unfinished_note(store) is None
