"""Numbered schema migrations, tracked by `PRAGMA user_version`.

Each migration runs in one transaction together with its version bump, so a crash leaves the
database at the old version or the new one, never between. A database written by a newer
Wardlink is refused, never wiped.

Timeline positions (`pos`): a message's or note's position is the server's event sequence number
once the server has it; rows still waiting to be sent sit above LOCAL_BASE, after everything the
server has ordered. FTS uses `pos` as its rowid, so "newest first" is a plain descending rowid scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlcipher3

from wardlink.store.errors import DatabaseTooNew

LOCAL_BASE: Final = 1 << 62

V1: Final = """
CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    username TEXT,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'staff',
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ward', 'community')),
    read_up_to INTEGER NOT NULL DEFAULT 0,
    backfilled_to INTEGER,
    history_complete INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE members (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    staff_id TEXT NOT NULL,
    PRIMARY KEY (team_id, staff_id)
) WITHOUT ROWID;

CREATE TABLE receipts (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    staff_id TEXT NOT NULL,
    up_to_seq INTEGER NOT NULL,
    PRIMARY KEY (team_id, staff_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    pos INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'urgent')),
    client_ts TEXT NOT NULL,
    server_ts TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'held', 'received')),
    held_code TEXT,
    held_reason TEXT,
    note_ref TEXT,
    acked_by TEXT,
    acked_at TEXT
);
CREATE INDEX messages_by_team ON messages(team_id);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content='messages', content_rowid='pos', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.pos, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.pos, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF pos, body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.pos, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.pos, new.body);
END;

CREATE TABLE notes (
    pos INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    lineage_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    version_of TEXT,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    form_url TEXT NOT NULL,
    form_version TEXT NOT NULL,
    form_title TEXT NOT NULL,
    patient_system TEXT,
    patient_value TEXT,
    status TEXT NOT NULL CHECK (status IN ('completed', 'amended')),
    authored TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'filed', 'held')),
    held_code TEXT,
    held_reason TEXT,
    amend_reason TEXT,
    resource TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    UNIQUE (lineage_id, version)
);
CREATE INDEX notes_by_team ON notes(team_id);
CREATE INDEX notes_by_patient ON notes(patient_system, patient_value);
CREATE TRIGGER notes_append_only BEFORE UPDATE OF
    id, lineage_id, version, version_of, team_id, author_id, form_url, form_version,
    patient_system, patient_value, status, authored, resource, search_text ON notes
BEGIN
    SELECT RAISE(ABORT, 'note versions are append-only');
END;

CREATE VIRTUAL TABLE notes_fts USING fts5(
    search_text, content='notes', content_rowid='pos', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts(rowid, search_text) VALUES (new.pos, new.search_text);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, search_text)
        VALUES ('delete', old.pos, old.search_text);
END;
CREATE TRIGGER notes_fts_move AFTER UPDATE OF pos ON notes BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, search_text)
        VALUES ('delete', old.pos, old.search_text);
    INSERT INTO notes_fts(rowid, search_text) VALUES (new.pos, new.search_text);
END;

CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB,
    uploaded INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE note_photos (
    note_id TEXT NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (note_id, sha256)
) WITHOUT ROWID;
CREATE INDEX note_photos_by_sha ON note_photos(sha256);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    team_id TEXT,
    subject_id TEXT,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_by_subject ON outbox(subject_id);

CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""

MIGRATIONS: Final[tuple[tuple[int, str], ...]] = ((1, V1),)


def latest_version(migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> int:
    return migrations[-1][0] if migrations else 0


def user_version(conn: sqlcipher3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlcipher3.Connection, migrations: Sequence[tuple[int, str]] = MIGRATIONS) -> int:
    """Apply every migration newer than the database; return the number applied."""
    numbers = [n for n, _ in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError("migrations must be numbered 1, 2, 3, ... without gaps")
    current = user_version(conn)
    if current > latest_version(migrations):
        raise DatabaseTooNew()
    applied = 0
    for number, script in migrations:
        if number <= current:
            continue
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied += 1
    return applied
