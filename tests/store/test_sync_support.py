"""Store functions the sync engine applies pulled events with: receipts, staff updates, note
lineages arriving out of order, backfill progress, purge inside a page, fetched photos."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.model import Role, Staff
from wardlink.store import attachments, messages, notes, retention, teams
from wardlink.store.database import Store
from wardlink.store.notes import RemoteNote
from wardlink.store.teams import Backfill

from .store_helpers import COMMUNITY, ME, OTHER, WARD, new_store, remote

PHOTO = b"\x89PNG pretend png bytes"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    yield s
    s.close()


def test_receipts_only_move_forward_and_ours_moves_our_read_position(store: Store) -> None:
    with store.transaction():
        assert not messages.apply_receipt_in_tx(store, WARD, OTHER, 10)
        assert not messages.apply_receipt_in_tx(store, WARD, OTHER, 4)
        assert messages.apply_receipt_in_tx(store, WARD, ME, 8)
        assert not messages.apply_receipt_in_tx(store, WARD, ME, 6)
    assert messages.read_receipts(store, WARD) == {OTHER: 10, ME: 8}
    messages.apply_remote_messages(store, [remote(s, f"m{s}") for s in (7, 9)])
    assert messages.unread_counts(store)[WARD] == 1


def test_a_staff_update_keeps_what_it_does_not_carry(store: Store) -> None:
    teams.save_directory(store, staff=[Staff(OTHER, "bob", "Bob Brown", Role.ADMIN)])
    new = "20000000-0000-4000-8000-000000000009"
    with store.transaction():
        teams.update_staff_in_tx(store, OTHER, "Robert Brown", False)
        teams.update_staff_in_tx(store, new, "Nina New", True)
    assert teams.get_staff(store, OTHER) == Staff(OTHER, "bob", "Robert Brown", Role.ADMIN, False)
    assert teams.get_staff(store, new) == Staff(new, "", "Nina New", Role.STAFF, True)


def _version(seq: int, version: int, *, lineage: str | None) -> RemoteNote:
    ids = {1: "n-1", 2: "n-2", 3: "n-3"}
    return RemoteNote(
        seq=seq,
        id=ids[version],
        version=version,
        version_of=None if version == 1 else ids[version - 1],
        team_id=WARD,
        author_id=OTHER,
        author_name="Bob Brown",
        form_url="https://example.org/Questionnaire/sbar",
        form_version="1",
        form_title="SBAR",
        patient_system="https://fhir.nhs.uk/Id/nhs-number",
        patient_value="9434765919",
        status="completed" if version == 1 else "amended",
        authored="2026-11-28T09:00:00.000Z",
        resource={"resourceType": "QuestionnaireResponse"},
        lineage_id=lineage,
    )


def test_note_versions_arriving_newest_first_join_their_lineage(store: Store) -> None:
    with store.transaction():
        for seq, version in ((30, 3), (20, 2), (10, 1)):
            notes.apply_remote_notes_in_tx(store, [_version(seq, version, lineage="n-1")])
    assert [(n.id, n.lineage_id) for n in notes.note_versions(store, "n-3")] == [
        ("n-1", "n-1"),
        ("n-2", "n-1"),
        ("n-3", "n-1"),
    ]


def test_without_a_lineage_a_version_follows_the_one_it_amends(store: Store) -> None:
    with store.transaction():
        for seq, version in ((10, 1), (20, 2)):
            notes.apply_remote_notes_in_tx(store, [_version(seq, version, lineage=None)])
    assert [n.lineage_id for n in notes.note_versions(store, "n-2")] == ["n-1", "n-1"]


def test_backfill_progress(store: Store) -> None:
    assert teams.get_backfill(store, WARD) == Backfill(WARD, None, False)
    assert teams.get_backfill(store, "no such team") is None
    assert teams.teams_to_backfill(store) == [COMMUNITY, WARD]  # by name
    with store.transaction():
        teams.set_backfill_in_tx(store, WARD, 0, complete=True)
        teams.set_backfill_in_tx(store, COMMUNITY, 40, complete=True)
    assert teams.teams_to_backfill(store) == []
    assert not teams.get_backfill(store, WARD).has_older  # type: ignore[union-attr]
    assert teams.get_backfill(store, COMMUNITY).has_older  # type: ignore[union-attr]
    assert Backfill(WARD, None, False).has_older and not Backfill(WARD, 1, False).has_older


def test_a_purge_inside_a_page_rolls_back_with_it(store: Store) -> None:
    messages.apply_remote_messages(store, [remote(5, "Obs due")])

    def page_that_fails() -> None:
        with store.transaction():
            assert retention.purge_team_in_tx(store, WARD).purged == {WARD}
            raise RuntimeError("the rest of the page failed")

    with pytest.raises(RuntimeError):
        page_that_fails()
    assert [m.seq for m in messages.latest_messages(store, WARD)] == [5]
    with store.transaction():
        retention.purge_team_in_tx(store, WARD)
    assert messages.latest_messages(store, WARD) == []
    assert WARD not in teams.team_ids(store)


def test_fetched_photos_are_kept_as_uploaded_and_name_their_teams(store: Store) -> None:
    with store.transaction():
        note = dataclasses.replace(_version(10, 1, lineage="n-1"), photos=(PHOTO_SHA,))
        notes.apply_remote_notes_in_tx(store, [note])
    assert attachments.missing_photos(store) == [PHOTO_SHA]
    assert attachments.missing_photos(store, ["f" * 64, PHOTO_SHA]) == ["f" * 64, PHOTO_SHA]
    with pytest.raises(ValueError, match="content address"):
        attachments.store_downloaded(store, PHOTO_SHA, "image/png", b"other bytes")
    assert attachments.store_downloaded(store, PHOTO_SHA, "image/png", PHOTO) == {WARD}
    assert attachments.missing_photos(store) == []
    assert attachments.get_attachment(store, PHOTO_SHA) == ("image/png", PHOTO)
    assert attachments.pending_uploads(store, "n-1") == []  # the server has it


def test_an_early_ack_waits_for_its_message(store: Store) -> None:
    at = "2026-11-28T09:05:00.000Z"
    with store.transaction():
        messages.keep_early_ack_in_tx(store, WARD, "m-7", OTHER, at)
        messages.keep_early_ack_in_tx(store, WARD, "m-8", OTHER, at)
        assert not messages.settle_early_acks_in_tx(store, WARD)
    urgent = dataclasses.replace(remote(7, "Fire door alarm"), priority="urgent")
    with store.transaction():
        messages.apply_remote_messages_in_tx(store, [urgent])
        assert messages.settle_early_acks_in_tx(store, WARD)
    acked = messages.get_message(store, "m-7")
    assert acked is not None and acked.acked
    assert store.get_json_state(messages.EARLY_ACKS_PREFIX + WARD) == {"m-8": [OTHER, at]}
    with store.transaction():
        retention.purge_team_in_tx(store, WARD)
    assert store.get_state(messages.EARLY_ACKS_PREFIX + WARD) is None


def test_early_acks_are_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "MAX_EARLY_ACKS", 3)
    with store.transaction():
        for n in range(5):
            messages.keep_early_ack_in_tx(store, WARD, f"m-{n}", OTHER, "2026-11-28T09:05:00.000Z")
    kept = store.get_json_state(messages.EARLY_ACKS_PREFIX + WARD)
    assert isinstance(kept, dict) and list(kept) == ["m-2", "m-3", "m-4"]  # the oldest went
