"""Clinical photo bytes, held inside the encrypted database and addressed by their SHA-256.

Photos are never written to a file: they go in and come out as bytes (DESIGN.md §6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from wardlink.core.clock import format_timestamp
from wardlink.store.database import Store


def put_attachment(store: Store, sha256: str, content_type: str, data: bytes) -> None:
    """Store photo bytes under their content address (idempotent). The hash is checked."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("photo bytes do not match their content address")
    if content_type not in ("image/jpeg", "image/png"):
        raise ValueError("photos are stored as JPEG or PNG only")
    owns_tx = not store.conn.in_transaction
    if owns_tx:
        store.conn.execute("BEGIN IMMEDIATE")
    try:
        store.conn.execute(
            "INSERT INTO attachments(sha256, content_type, size, data, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET data = excluded.data "
            "WHERE attachments.data IS NULL",
            (sha256, content_type, len(data), data, format_timestamp(store.clock.now())),
        )
        if owns_tx:
            store.conn.execute("COMMIT")
    except BaseException:
        if owns_tx and store.conn.in_transaction:
            store.conn.execute("ROLLBACK")
        raise


def get_attachment(store: Store, sha256: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a stored photo, or None if it is not here (yet)."""
    row = store.conn.execute(
        "SELECT content_type, data FROM attachments WHERE sha256 = ? AND data IS NOT NULL",
        (sha256,),
    ).fetchone()
    return None if row is None else (str(row[0]), bytes(row[1]))


def pending_uploads(store: Store, note_id: str) -> list[str]:
    """Photos of a note that the server does not have yet, in the note's order."""
    rows = store.conn.execute(
        "SELECT a.sha256 FROM note_photos p JOIN attachments a ON a.sha256 = p.sha256 "
        "WHERE p.note_id = ? AND a.uploaded = 0 AND a.data IS NOT NULL ORDER BY p.position",
        (note_id,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def mark_uploaded(store: Store, sha256: str) -> None:
    store.conn.execute("UPDATE attachments SET uploaded = 1 WHERE sha256 = ?", (sha256,))


def delete_orphans(store: Store, candidates: Iterable[str]) -> int:
    """Remove those of `candidates` that no local note refers to any more (inside the caller's
    transaction). Only candidates: a photo being attached to a draft is not an orphan."""
    cursor = store.conn.executemany(
        "DELETE FROM attachments WHERE sha256 = ? AND NOT EXISTS "
        "(SELECT 1 FROM note_photos p WHERE p.sha256 = attachments.sha256)",
        [(sha,) for sha in set(candidates)],
    )
    return int(cursor.rowcount)


def missing_photos(
    store: Store, candidates: Iterable[str] | None = None, *, limit: int = 1000
) -> list[str]:
    """Photos that local notes reference but whose bytes are not here yet (pulled notes bring
    only the hashes). With `candidates`, which of those are missing, in their order."""
    if candidates is None:
        rows = store.conn.execute(
            "SELECT DISTINCT p.sha256 FROM note_photos p WHERE NOT EXISTS (SELECT 1 FROM "
            "attachments a WHERE a.sha256 = p.sha256 AND a.data IS NOT NULL) LIMIT ?",
            (limit,),
        ).fetchall()
        return [str(r[0]) for r in rows]
    missing: list[str] = []
    for sha in dict.fromkeys(candidates):
        held = store.conn.execute(
            "SELECT 1 FROM attachments WHERE sha256 = ? AND data IS NOT NULL", (sha,)
        ).fetchone()
        if held is None:
            missing.append(sha)
    return missing


def store_downloaded(store: Store, sha256: str, content_type: str, data: bytes) -> frozenset[str]:
    """Keep a photo fetched from the record server (so it is uploaded already); returns the
    teams whose notes show it. The hash is checked."""
    with store.transaction():
        put_attachment(store, sha256, content_type, data)
        mark_uploaded(store, sha256)
        rows = store.conn.execute(
            "SELECT DISTINCT n.team_id FROM note_photos p JOIN notes n ON n.id = p.note_id "
            "WHERE p.sha256 = ?",
            (sha256,),
        ).fetchall()
    return frozenset(str(r[0]) for r in rows)
