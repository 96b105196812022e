"""Encryption at rest: no file of a profile holds anything that was written into it."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from wardlink.store import attachments, messages, notes, search
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.notes import NoteDraft
from wardlink.store.profiles import Profiles

from .store_helpers import WARD, new_store, remote

MARKERS = {
    "message": "ZQXMARKERMESSAGEBODY",
    "remote": "ZQXMARKERREMOTEBODY",
    "note": "ZQXMARKERNOTEANSWER",
    "search": "ZQXMARKERSEARCHWORD",
    "photo": "ZQXMARKERPHOTOBYTES",
    "nhs": "9990000018",
}


def _scan(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for name, marker in MARKERS.items():
            for encoded in (
                marker.encode("utf-8"),
                marker.encode("utf-16-le"),
                marker.lower().encode("utf-8"),
            ):
                if encoded in data:
                    found.setdefault(path.name, []).append(name)
    return found


def test_nothing_written_is_readable_in_any_profile_file(tmp_path: Path) -> None:
    profiles = Profiles(
        tmp_path / "data", FileDeviceSecrets(tmp_path / "secrets.json"), kdf=MINIMAL_KDF
    )
    unlocked = profiles.create(
        staff_id="00000000-0000-4000-8000-00000000000a",
        username="alice",
        display_name="Alice Adams",
        password="pw",
    )
    folder = unlocked.db_path.parent
    store = new_store(unlocked.db_path, dek=bytes(unlocked.dek))
    messages.add_local_message(store, WARD, f"local {MARKERS['message']} please")
    messages.apply_remote_messages(store, [remote(1, f"remote {MARKERS['remote']} text")])
    photo = b"\xff\xd8\xff\xe0" + MARKERS["photo"].encode() * 50
    sha = hashlib.sha256(photo).hexdigest()
    attachments.put_attachment(store, sha, "image/jpeg", photo)
    notes.submit_note(
        store,
        NoteDraft(
            team_id=WARD,
            form_url="u",
            form_version="1",
            form_title="Wound assessment",
            patient_system="https://fhir.nhs.uk/Id/nhs-number",
            patient_value=MARKERS["nhs"],
            authored="2026-11-28T09:00:00.000Z",
            resource={"answer": MARKERS["note"], "nhs": MARKERS["nhs"]},
            search_text=f"{MARKERS['note']} {MARKERS['search']}",
            photos=(sha,),
        ),
    )
    assert search.search_messages(store, MARKERS["message"])  # the index holds the word ...
    assert search.search_notes(store, MARKERS["search"])
    assert (folder / "wardlink.db-wal").exists()
    assert _scan(folder) == {}  # ... but no file shows it, with the WAL live
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    unlocked.lock()
    assert _scan(folder) == {}  # nor after checkpoint and close
    names = {p.name for p in folder.iterdir()}
    assert {"wardlink.db", "keyslots.json"} <= names
    plain = sqlite3.connect(folder / "wardlink.db")
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    plain.close()


def test_the_scan_would_see_a_plaintext_marker(tmp_path: Path) -> None:
    """The check above proves something only if the scanner finds markers where they are."""
    conn = sqlite3.connect(tmp_path / "plain.db")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("INSERT INTO t VALUES (?)", (MARKERS["message"],))
    conn.commit()
    conn.close()
    assert _scan(tmp_path) == {"plain.db": ["message"]}
