"""The local audit trail: append-only and hash-chained, so tampering is detected.

Each entry's hash covers its own fields and the previous entry's hash; the newest entry's seq and
hash are also kept in sync_state as the chain's head, so removing entries from the end shows too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.clock import format_timestamp
from wardlink.store.database import Store

GENESIS: Final = "0" * 64
_HEAD_KEY: Final = "audit_head"


def _entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, detail: str
) -> str:
    canonical = json.dumps(
        [prev_hash, seq, at, actor, action, subject, detail], separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(
    store: Store,
    action: str,
    *,
    subject: str = "",
    detail: dict[str, object] | None = None,
    actor: str | None = None,
) -> int:
    """Add an entry (inside the caller's transaction if there is one); returns its seq."""
    if not store.conn.in_transaction:
        with store.transaction():
            return append(store, action, subject=subject, detail=detail, actor=actor)
    row = store.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS) if row is None else (int(row[0]) + 1, str(row[1]))
    at = format_timestamp(store.clock.now())
    who = actor if actor is not None else store.me
    detail_json = json.dumps(detail or {}, separators=(",", ":"), sort_keys=True)
    digest = _entry_hash(prev, seq, at, who, action, subject, detail_json)
    store.conn.execute(
        "INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, who, action, subject, detail_json, prev, digest),
    )
    store.set_state(_HEAD_KEY, f"{seq}:{digest}")
    return seq


@dataclass(frozen=True, slots=True)
class AuditReport:
    entries: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store) -> AuditReport:
    """Walk the chain; report every entry that was changed, removed, inserted or reordered."""
    problems: list[str] = []
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last_seq, last_hash = 0, GENESIS
    for seq, at, actor, action, subject, detail, stored_prev, stored_hash in store.conn.execute(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq"
    ):
        count += 1
        if seq != expected_seq:
            problems.append(f"entry {seq}: expected entry {expected_seq} (entries missing)")
        if stored_prev != prev_hash:
            problems.append(f"entry {seq}: does not follow the entry before it")
        if _entry_hash(stored_prev, seq, at, actor, action, subject, detail) != stored_hash:
            problems.append(f"entry {seq}: contents changed")
        prev_hash, expected_seq = stored_hash, seq + 1
        last_seq, last_hash = seq, stored_hash
    head = store.get_state(_HEAD_KEY)
    if head is None and count:
        problems.append("the chain's head record is missing")
    elif head is not None and head != f"{last_seq}:{last_hash}":
        problems.append("the newest entries were removed or replaced")
    return AuditReport(count, problems)
