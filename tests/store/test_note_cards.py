"""Note cards: what a shared note shows in chat (form, author, state, never the patient), and
sharing a note with a team as a queued message that names it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.model import MessageState, NoteState
from wardlink.store import messages, note_cards, notes, outbox
from wardlink.store.database import Store
from wardlink.store.note_cards import NoteCard, NoteNotHere
from wardlink.store.outbox import OpResult

from .store_helpers import WARD, new_store
from .test_notes import draft

NHS_NUMBER = "9990000018"  # the patient of `draft()`


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    yield s
    s.close()


def test_cards_name_the_form_and_never_the_patient(store: Store) -> None:
    first, _ = notes.submit_note(store, draft())
    second, _ = notes.amend_note(store, first, draft(text="healing"), "dressing changed")
    missing = "20000000-0000-4000-8000-000000000009"
    cards = note_cards.note_cards(store, [first, second, missing, first])
    assert set(cards) == {first, second}  # one each; a note not here is simply absent
    assert cards[first] == NoteCard(
        first, "Wound assessment", "Alice Adams", NoteState.QUEUED, amended=False
    )
    assert cards[second].amended
    assert all(NHS_NUMBER not in repr(card) for card in cards.values())
    assert note_cards.note_cards(store, []) == {}


def test_a_card_follows_its_note_to_the_record(store: Store) -> None:
    note_id, _ = notes.submit_note(store, draft())
    (item,) = outbox.next_batch(store)
    outbox.record_results(store, [OpResult(item.op_id, "applied", seq=40)])
    assert note_cards.note_cards(store, [note_id])[note_id].state is NoteState.FILED


def test_sharing_a_note_queues_a_message_that_names_it(store: Store) -> None:
    note_id, _ = notes.submit_note(store, draft())
    changes = note_cards.post_note_card(store, WARD, note_id)
    assert changes.messages == {WARD} and changes.outbox
    (message,) = messages.latest_messages(store, WARD)
    assert message.note_ref == note_id and message.state is MessageState.QUEUED
    assert message.body == "Shared a note: Wound assessment"
    post = next(i for i in outbox.next_batch(store) if i.type == "message.post").as_op()
    assert post["note_ref"] == note_id and post["body"] == message.body
    assert NHS_NUMBER not in str(post)


def test_a_note_that_is_not_here_cannot_be_shared(store: Store) -> None:
    with pytest.raises(NoteNotHere):
        note_cards.post_note_card(store, WARD, "20000000-0000-4000-8000-000000000009")
    assert messages.latest_messages(store, WARD) == []
    assert outbox.pending_count(store) == 0
