"""The outbox: ops waiting for the server, sent FIFO, settled by the server's results.

Every op is written in the same transaction as the domain row it is about (see messages.py,
notes.py). The sync engine takes batches from here and reports each op's result back; an op
leaves the outbox only when the server has answered it (applied, duplicate or rejected).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from wardlink.core.ids import time_ordered_id
from wardlink.store.changes import Changes
from wardlink.store.database import Store

MAX_BATCH_OPS: Final = 500
MAX_BATCH_BYTES: Final = 2 * 1024 * 1024 - 64 * 1024  # the protocol's 2 MiB, less the envelope


@dataclass(frozen=True, slots=True)
class OutboxItem:
    op_id: str
    type: str
    team_id: str | None
    subject_id: str | None
    payload: dict[str, object]
    attempts: int

    def as_op(self) -> dict[str, object]:
        """The op as the push request carries it (DESIGN.md §4)."""
        return {"op_id": self.op_id, "type": self.type, **self.payload}


@dataclass(frozen=True, slots=True)
class OpResult:
    """The server's answer to one op (DESIGN.md §4 push response)."""

    op_id: str
    status: Literal["applied", "duplicate", "rejected"]
    seq: int | None = None
    error_code: str | None = None
    error_message: str | None = None


def enqueue(
    store: Store,
    op_type: str,
    payload: dict[str, object],
    *,
    team_id: str | None = None,
    subject_id: str | None = None,
) -> str:
    """Queue an op (inside the caller's transaction); returns its new op_id."""
    op_id = time_ordered_id(store.clock.now())
    store.conn.execute(
        "INSERT INTO outbox(op_id, type, team_id, subject_id, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?, datetime('now'))",
        (op_id, op_type, team_id, subject_id, json.dumps(payload, separators=(",", ":"))),
    )
    return op_id


def replace_pending(store: Store, op_type: str, payload: dict[str, object], *, team_id: str) -> str:
    """Queue an op that supersedes any unsent one of the same type for the team (receipts)."""
    store.conn.execute("DELETE FROM outbox WHERE type = ? AND team_id = ?", (op_type, team_id))
    return enqueue(store, op_type, payload, team_id=team_id)


def drop_for_subject(store: Store, subject_id: str, op_type: str) -> bool:
    """Withdraw an unsent op about `subject_id`; True if there was one."""
    cursor = store.conn.execute(
        "DELETE FROM outbox WHERE subject_id = ? AND type = ?", (subject_id, op_type)
    )
    return bool(cursor.rowcount)


def next_batch(
    store: Store, *, limit: int = MAX_BATCH_OPS, max_bytes: int = MAX_BATCH_BYTES
) -> list[OutboxItem]:
    """The oldest ops, in the order they were written, within the protocol's batch limits.

    The first op is always returned, however large, so one oversized op cannot block the queue
    silently: the server answers it (413 or rejected) and it is settled like any other.
    """
    items: list[OutboxItem] = []
    size = 0
    for op_id, op_type, team_id, subject_id, payload, attempts in store.conn.execute(
        "SELECT op_id, type, team_id, subject_id, payload, attempts FROM outbox "
        "ORDER BY id LIMIT ?",
        (limit,),
    ):
        size += len(payload) + 64
        if items and size > max_bytes:
            break
        items.append(
            OutboxItem(str(op_id), str(op_type), team_id, subject_id, json.loads(payload), attempts)
        )
    return items


def pending_count(store: Store) -> int:
    """Ops not yet answered by the server: what a lease warning counts as unsent."""
    return int(store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def record_attempt_failure(store: Store, op_ids: Sequence[str], reason: str) -> None:
    """Count a failed delivery attempt (network, 5xx); the ops stay queued, in order."""
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE op_id = ?",
            [(reason, op_id) for op_id in op_ids],
        )


def record_results(store: Store, results: Sequence[OpResult]) -> Changes:
    """Settle answered ops in one transaction: applied and duplicate ones are done (their
    message is sent, their note filed, at the server's seq); rejected ones are held with the
    server's reason, never dropped."""
    teams_messages: set[str] = set()
    teams_notes: set[str] = set()
    with store.transaction() as conn:
        for result in results:
            row = conn.execute(
                "DELETE FROM outbox WHERE op_id = ? RETURNING type, team_id, subject_id",
                (result.op_id,),
            ).fetchone()
            if row is None:
                continue  # settled before (a retried push answered twice)
            op_type, team_id, subject_id = str(row[0]), row[1], row[2]
            table = _SUBJECT_TABLE.get(op_type)
            if table is None or subject_id is None:
                continue
            if result.status == "rejected":
                conn.execute(_HOLD[table], (result.error_code, result.error_message, subject_id))
            else:
                conn.execute(_SETTLE[table], (result.seq, subject_id))
            (teams_messages if table == "messages" else teams_notes).add(str(team_id))
    return Changes(
        messages=frozenset(teams_messages), notes=frozenset(teams_notes), outbox=bool(results)
    )


_SUBJECT_TABLE: Final = {
    "message.post": "messages",
    "note.submit": "notes",
    "note.amend": "notes",
}
_HOLD: Final = {
    table: f"UPDATE {table} SET state = 'held', held_code = ?, held_reason = ? WHERE id = ?"
    for table in ("messages", "notes")
}
_SETTLE: Final = {
    table: f"UPDATE {table} SET state = '{done}', held_code = NULL, held_reason = NULL, "
    "pos = coalesce(?, pos) WHERE id = ?"
    for table, done in (("messages", "sent"), ("notes", "filed"))
}
