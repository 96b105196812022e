"""Notes (append-only versions), photos in the store, purges by team and by age."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from wardlink.core.clock import ManualClock
from wardlink.core.model import NoteState, NoteStatus
from wardlink.store import attachments, messages, notes, outbox, retention, search
from wardlink.store.database import Store
from wardlink.store.notes import NoteDraft, RemoteNote
from wardlink.store.outbox import OpResult

from .store_helpers import COMMUNITY, ME, OTHER, START, WARD, new_store, remote

PHOTO = b"\xff\xd8\xff\xe0" + b"pretend jpeg bytes" * 10
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
NHS = "https://fhir.nhs.uk/Id/nhs-number"


def draft(
    team: str = WARD, text: str = "wound healing well", photos: tuple[str, ...] = ()
) -> NoteDraft:
    return NoteDraft(
        team_id=team,
        form_url="https://example.org/Questionnaire/wound",
        form_version="1.0.0",
        form_title="Wound assessment",
        patient_system=NHS,
        patient_value="9990000018",
        authored="2026-11-28T09:00:00.000Z",
        resource={"resourceType": "QuestionnaireResponse", "status": "completed", "text": text},
        search_text=text,
        photos=photos,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db", clock=clock)
    yield s
    s.close()


def test_submit_queues_note_with_photos(store: Store) -> None:
    attachments.put_attachment(store, PHOTO_SHA, "image/jpeg", PHOTO)
    note_id, changes = notes.submit_note(store, draft(photos=(PHOTO_SHA,)))
    assert changes.notes == {WARD}
    note = notes.get_note(store, note_id)
    assert note is not None
    assert note.state is NoteState.QUEUED and note.version == 1 and note.lineage_id == note_id
    assert note.photos == (PHOTO_SHA,)
    assert note.author_name == "Alice Adams"
    (item,) = outbox.next_batch(store)
    assert item.type == "note.submit" and item.payload["note_id"] == note_id
    assert attachments.pending_uploads(store, note_id) == [PHOTO_SHA]
    outbox.record_results(store, [OpResult(item.op_id, "applied", seq=40)])
    filed = notes.get_note(store, note_id)
    assert filed is not None and filed.state is NoteState.FILED


def test_note_needs_its_photos_in_the_store_first(store: Store) -> None:
    with pytest.raises(ValueError, match="photo"):
        notes.submit_note(store, draft(photos=("0" * 64,)))
    assert outbox.pending_count(store) == 0


def test_amendment_is_a_new_version_and_the_old_one_stays(store: Store) -> None:
    first, _ = notes.submit_note(store, draft(text="first text"))
    second, _ = notes.amend_note(store, first, draft(text="corrected text"), "wrong wound site")
    versions = notes.note_versions(store, first)
    assert [v.id for v in versions] == [first, second]
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].status is NoteStatus.AMENDED and versions[1].version_of == first
    assert versions[0].resource["text"] == "first text"
    ops = outbox.next_batch(store)
    assert [o.type for o in ops] == ["note.submit", "note.amend"]
    assert ops[1].payload["version_of"] == first and ops[1].payload["reason"] == "wrong wound site"


def test_note_versions_cannot_be_rewritten(store: Store) -> None:
    note_id, _ = notes.submit_note(store, draft())
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE notes SET resource = '{}' WHERE id = ?", (note_id,))


def test_remote_notes_apply_idempotently(store: Store) -> None:
    remote_note = RemoteNote(
        seq=50,
        id="n-1",
        version=1,
        version_of=None,
        team_id=WARD,
        author_id=OTHER,
        author_name="Bob Brown",
        form_url="u",
        form_version="1",
        form_title="SBAR handover",
        patient_system=NHS,
        patient_value="9990000018",
        status="completed",
        authored="2026-11-28T08:00:00.000Z",
        resource={"resourceType": "QuestionnaireResponse"},
        search_text="deteriorating overnight",
    )
    for _ in range(2):
        with store.transaction():
            notes.apply_remote_notes_in_tx(store, [remote_note])
    assert [n.id for n in notes.notes_for_patient(store, NHS, "9990000018")] == ["n-1"]
    assert [n.id for n in search.search_notes(store, "overnight")] == ["n-1"]
    assert notes.team_notes(store, WARD)[0].state is NoteState.FILED


def test_attachment_hash_is_checked_and_bytes_round_trip(store: Store) -> None:
    with pytest.raises(ValueError, match="content address"):
        attachments.put_attachment(store, "0" * 64, "image/jpeg", PHOTO)
    with pytest.raises(ValueError, match="JPEG or PNG"):
        attachments.put_attachment(store, PHOTO_SHA, "image/gif", PHOTO)
    attachments.put_attachment(store, PHOTO_SHA, "image/jpeg", PHOTO)
    attachments.put_attachment(store, PHOTO_SHA, "image/jpeg", PHOTO)
    assert attachments.get_attachment(store, PHOTO_SHA) == ("image/jpeg", PHOTO)
    assert attachments.get_attachment(store, "f" * 64) is None


def test_purge_team_removes_everything_of_that_team_only(store: Store) -> None:
    messages.apply_remote_messages(
        store, [remote(1, "ward msg"), remote(2, "c msg", team=COMMUNITY)]
    )
    messages.add_local_message(store, WARD, "unsent ward msg")
    attachments.put_attachment(store, PHOTO_SHA, "image/jpeg", PHOTO)
    notes.submit_note(store, draft(photos=(PHOTO_SHA,)))
    changes = retention.purge_team(store, WARD)
    assert changes.purged == {WARD}
    assert messages.latest_messages(store, WARD) == []
    assert notes.team_notes(store, WARD) == []
    assert outbox.pending_count(store) == 0
    assert attachments.get_attachment(store, PHOTO_SHA) is None
    assert search.search_messages(store, "ward") == []
    assert [m.body for m in messages.latest_messages(store, COMMUNITY)] == ["c msg"]
    assert WARD not in messages.unread_counts(store)


def test_retention_keeps_unsent_work(store: Store, clock: ManualClock) -> None:
    old = remote(1, "old news")
    messages.apply_remote_messages(store, [old])
    held_note, _ = notes.submit_note(store, draft(text="queued long ago"))
    messages.add_local_message(store, WARD, "queued long ago")
    clock.advance(dt.timedelta(days=45))
    fresh = dataclasses.replace(remote(2, "fresh"), server_ts="2027-01-12T09:00:00.000Z")
    messages.apply_remote_messages(store, [fresh])
    retention.purge_older_than(store, 30)
    remaining = [m.body for m in messages.latest_messages(store, WARD)]
    assert remaining == ["fresh", "queued long ago"]
    assert notes.get_note(store, held_note) is not None
    with pytest.raises(ValueError, match="at least one day"):
        retention.purge_older_than(store, 0)


def test_filed_notes_age_out(store: Store, clock: ManualClock) -> None:
    note_id, _ = notes.submit_note(store, draft())
    (item,) = outbox.next_batch(store)
    outbox.record_results(store, [OpResult(item.op_id, "applied", seq=9)])
    clock.advance(dt.timedelta(days=31))
    retention.purge_older_than(store, 30)
    assert notes.get_note(store, note_id) is None
    assert ME  # the profile owner is unaffected


def test_a_colleagues_version_filed_first_moves_ours_up_and_both_are_kept(store: Store) -> None:
    """Bob's version 2 reaches the record while ours (also amending version 1) waits here."""
    first_remote = RemoteNote(
        seq=60, id="n-1", version=1, version_of=None, team_id=WARD, author_id=OTHER,
        author_name="Bob Brown", form_url="u", form_version="1", form_title="Wound assessment",
        patient_system=NHS, patient_value="9990000018", status="completed",
        authored="2026-11-28T08:00:00.000Z", resource={"resourceType": "QuestionnaireResponse"},
        search_text="first look",
    )  # fmt: skip
    with store.transaction():
        notes.apply_remote_notes_in_tx(store, [first_remote])
    attachments.put_attachment(store, PHOTO_SHA, "image/jpeg", PHOTO)
    ours, _ = notes.amend_note(
        store, "n-1", draft(text="our correction", photos=(PHOTO_SHA,)), "wrong site"
    )
    assert [v.version for v in notes.note_versions(store, "n-1")] == [1, 2]

    bobs = dataclasses.replace(
        first_remote, seq=61, id="n-2", version=2, version_of="n-1", status="amended",
        search_text="bob's correction", lineage_id="n-1",
    )  # fmt: skip
    with store.transaction():
        notes.apply_remote_notes_in_tx(store, [bobs])

    versions = notes.note_versions(store, "n-1")
    assert [(v.id, v.version, v.state) for v in versions] == [
        ("n-1", 1, NoteState.FILED),
        ("n-2", 2, NoteState.FILED),
        (ours, 3, NoteState.QUEUED),
    ]
    assert versions[2].photos == (PHOTO_SHA,) and versions[2].version_of == "n-1"
    (op,) = outbox.next_batch(store)  # our amendment still goes; the record decides
    assert op.type == "note.amend" and op.payload["note_id"] == ours
    assert {n.id for n in search.search_notes(store, "correction")} == {"n-2", ours}
