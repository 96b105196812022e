"""Team messages: the local echo with its outbox row, bulk apply of pulled pages, timelines.

Operations take the Store first and run on the DB lane. A message written here and its outbox
row commit in one transaction, so a message is never shown as queued without being queued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from wardlink.core.clock import format_timestamp, parse_timestamp
from wardlink.core.ids import time_ordered_id
from wardlink.core.model import Message, MessageState, Priority
from wardlink.store import audit, outbox
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.migrations import LOCAL_BASE

UNREAD_CAP: Final = 1000  # counts stop here; the UI shows "999+"

_COLUMNS: Final = (
    "pos, id, team_id, author_id, author_name, body, priority, client_ts, server_ts, state, "
    "held_reason, note_ref, acked_by"
)


@dataclass(frozen=True, slots=True)
class RemoteMessage:
    """A message as a pull page delivers it (the `message` event with its seq and team)."""

    seq: int
    id: str
    team_id: str
    author_id: str
    author_name: str
    body: str
    priority: str
    client_ts: str
    server_ts: str
    note_ref: str | None = None


def _row_to_message(row: Sequence[Any]) -> Message:
    pos = int(row[0])
    server_ts = row[8]
    return Message(
        id=str(row[1]),
        team_id=str(row[2]),
        author_id=str(row[3]),
        author_name=str(row[4]),
        body=str(row[5]),
        priority=Priority(row[6]),
        client_ts=parse_timestamp(str(row[7])),
        server_ts=None if server_ts is None else parse_timestamp(str(server_ts)),
        seq=pos if pos < LOCAL_BASE else None,
        state=MessageState(row[9]),
        held_reason=None if row[10] is None else str(row[10]),
        note_ref=None if row[11] is None else str(row[11]),
        acked=row[12] is not None,
    )


def next_local_pos(store: Store, table: str) -> int:
    """A position after everything the server has ordered and every earlier local row."""
    if table not in ("messages", "notes"):
        raise ValueError("unknown table")
    row = store.conn.execute(f"SELECT max(pos) FROM {table}").fetchone()
    highest = row[0]
    return max(LOCAL_BASE, (highest or 0)) + 1


def add_local_message(
    store: Store,
    team_id: str,
    body: str,
    *,
    priority: Priority = Priority.ROUTINE,
    note_ref: str | None = None,
) -> tuple[Message, Changes]:
    """Write a new message and its `message.post` op in one transaction; it shows as queued."""
    now = store.clock.now()
    message_id = time_ordered_id(now)  # carries the same time as client_ts
    client_ts = format_timestamp(now)
    payload: dict[str, object] = {
        "team_id": team_id,
        "message_id": message_id,
        "body": body,
        "priority": str(priority),
        "client_ts": client_ts,
    }
    if note_ref is not None:
        payload["note_ref"] = note_ref
    with store.transaction() as conn:
        pos = next_local_pos(store, "messages")
        conn.execute(
            "INSERT INTO messages(pos, id, team_id, author_id, author_name, body, priority, "
            "client_ts, state, note_ref) VALUES (?, ?, ?, ?, "
            "coalesce((SELECT display_name FROM staff WHERE id = ?), ''), ?, ?, ?, 'queued', ?)",
            (
                pos,
                message_id,
                team_id,
                store.me,
                store.me,
                body,
                str(priority),
                client_ts,
                note_ref,
            ),
        )
        outbox.enqueue(store, "message.post", payload, team_id=team_id, subject_id=message_id)
        row = conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE pos = ?", (pos,)).fetchone()
    changes = Changes(messages=frozenset({team_id}), outbox=True)
    return _row_to_message(row), changes


_UPSERT_COLUMNS: Final = 11
# 11,000 parameters a statement: SQLite allows 32,766 since 3.32 (the SQLCipher pinned is newer;
# a store test checks). A page of 1,000 messages is one statement, one flush of the search index.
_UPSERT_ROWS: Final = 1000


def _upsert(rows: int) -> str:
    return (
        "INSERT INTO messages(pos, id, team_id, author_id, author_name, body, priority, "
        "client_ts, server_ts, state, note_ref) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * rows)
        + " ON CONFLICT(pos) DO NOTHING "
        "ON CONFLICT(id) DO UPDATE SET pos = excluded.pos, server_ts = excluded.server_ts, "
        "state = 'sent', held_reason = NULL, held_code = NULL"
    )


_UPSERT_FULL: Final = _upsert(_UPSERT_ROWS)


def apply_remote_messages_in_tx(store: Store, messages: Iterable[RemoteMessage]) -> frozenset[str]:
    """Insert pulled messages (idempotent); our own echoes settle as sent. Caller holds the tx.

    Many rows per INSERT statement, not one statement per row: the search index's trigger
    writes its pending terms out at the end of every statement, which made a page of 1,000
    messages cost three times as much written row by row (executemany)."""
    me = store.me
    teams: set[str] = set()
    values: list[object] = []
    for m in messages:
        teams.add(m.team_id)
        values += (
            m.seq,
            m.id,
            m.team_id,
            m.author_id,
            m.author_name,
            m.body,
            m.priority,
            m.client_ts,
            m.server_ts,
            "sent" if m.author_id == me else "received",
            m.note_ref,
        )
    step = _UPSERT_ROWS * _UPSERT_COLUMNS
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        sql = _UPSERT_FULL if len(chunk) == step else _upsert(len(chunk) // _UPSERT_COLUMNS)
        store.conn.execute(sql, chunk)
    return frozenset(teams)


def apply_remote_messages(
    store: Store, messages: Iterable[RemoteMessage], *, cursor: int | None = None
) -> Changes:
    """Apply a page of pulled messages in bulk, and the page's cursor with it, atomically."""
    with store.transaction():
        teams = apply_remote_messages_in_tx(store, messages)
        if cursor is not None:
            store.set_state("cursor", str(cursor))
    return Changes(messages=teams, teams=bool(teams))


def latest_messages(store: Store, team_id: str, limit: int = 50) -> list[Message]:
    """The newest `limit` messages of a team, oldest first (as a timeline shows them)."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE team_id = ? ORDER BY pos DESC LIMIT ?",
        (team_id, limit),
    ).fetchall()
    return [_row_to_message(r) for r in reversed(rows)]


def messages_before(store: Store, team_id: str, message_id: str, limit: int = 50) -> list[Message]:
    """The `limit` messages just older than `message_id` in its team, oldest first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE team_id = ? "
        "AND pos < (SELECT pos FROM messages WHERE id = ?) ORDER BY pos DESC LIMIT ?",
        (team_id, message_id, limit),
    ).fetchall()
    return [_row_to_message(r) for r in reversed(rows)]


def timeline_positions(
    store: Store, team_id: str, *, before: int | None = None, limit: int = 200
) -> list[int]:
    """Positions (row keys) of a team's messages, newest first: what a lazy list model holds."""
    rows = store.conn.execute(
        "SELECT pos FROM messages WHERE team_id = ? AND pos < ? ORDER BY pos DESC LIMIT ?",
        (team_id, (1 << 63) - 1 if before is None else before, limit),
    ).fetchall()
    return [int(r[0]) for r in rows]


def messages_at(store: Store, positions: Sequence[int]) -> dict[int, Message]:
    """The messages at these positions (missing ones, e.g. retracted, are simply absent)."""
    found: dict[int, Message] = {}
    for start in range(0, len(positions), 500):
        chunk = positions[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE pos IN ({marks})",
            tuple(chunk),
        ):
            found[int(row[0])] = _row_to_message(row)
    return found


def get_message(store: Store, message_id: str) -> Message | None:
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM messages WHERE id = ?",
        (message_id,),
    ).fetchone()
    return None if row is None else _row_to_message(row)


def unread_counts(store: Store) -> dict[str, int]:
    """Unread messages from others per team, counted up to UNREAD_CAP (bounded work per team)."""
    rows = store.conn.execute(
        "SELECT t.id, (SELECT count(*) FROM (SELECT 1 FROM messages m WHERE m.team_id = t.id "
        "AND m.pos > t.read_up_to AND m.pos < ? AND m.author_id != ? LIMIT ?)) FROM teams t",
        (LOCAL_BASE, store.me, UNREAD_CAP),
    ).fetchall()
    return {str(team): int(count) for team, count in rows}


def mark_read(store: Store, team_id: str, up_to_seq: int) -> Changes:
    """Record reading up to `up_to_seq` and queue one read receipt (replacing an unsent one)."""
    with store.transaction() as conn:
        row = conn.execute("SELECT read_up_to FROM teams WHERE id = ?", (team_id,)).fetchone()
        if row is None or int(row[0]) >= up_to_seq:
            return Changes()
        conn.execute("UPDATE teams SET read_up_to = ? WHERE id = ?", (up_to_seq, team_id))
        outbox.replace_pending(
            store, "receipt.read", {"team_id": team_id, "up_to_seq": up_to_seq}, team_id=team_id
        )
    return Changes(teams=True, outbox=True)


def apply_receipt_in_tx(store: Store, team_id: str, staff_id: str, up_to_seq: int) -> bool:
    """Apply a pulled `receipt`: a member's read position, which only moves forward. Our own
    (read on another device) also moves this team's `read_up_to`. True if ours moved."""
    store.conn.execute(
        "INSERT INTO receipts(team_id, staff_id, up_to_seq) VALUES (?, ?, ?) "
        "ON CONFLICT(team_id, staff_id) DO UPDATE SET "
        "up_to_seq = max(receipts.up_to_seq, excluded.up_to_seq)",
        (team_id, staff_id, up_to_seq),
    )
    if staff_id != store.me:
        return False
    moved = store.conn.execute(
        "UPDATE teams SET read_up_to = ? WHERE id = ? AND read_up_to < ?",
        (up_to_seq, team_id, up_to_seq),
    )
    return bool(moved.rowcount)


def read_receipts(store: Store, team_id: str) -> dict[str, int]:
    """Each member's read position in a team (staff id -> seq read up to)."""
    rows = store.conn.execute(
        "SELECT staff_id, up_to_seq FROM receipts WHERE team_id = ?", (team_id,)
    ).fetchall()
    return {str(staff): int(seq) for staff, seq in rows}


def my_messages_reached(
    store: Store, team_id: str, read_up_to: Iterable[int], *, lowest: int = 0
) -> dict[int, int]:
    """For each read position, the seq of my newest sent message at or before it, looking no
    further back than `lowest` (absent: none there). What a "Seen by" line hangs under.

    One backward walk of the team's index per distinct position, each starting below where the
    previous one stopped, so the whole costs at most the rows between `lowest` and the furthest
    position, however many readers there are.
    """
    found: dict[int, int] = {}
    nearest: int | None = None
    for seq in sorted({s for s in read_up_to if s >= lowest}, reverse=True):
        if nearest is not None and nearest <= seq:
            found[seq] = nearest  # nothing of mine between it and the previous position
            continue
        row = store.conn.execute(
            "SELECT pos FROM messages WHERE team_id = ? AND author_id = ? AND pos <= ? "
            "AND pos >= ? ORDER BY pos DESC LIMIT 1",
            (team_id, store.me, min(seq, LOCAL_BASE - 1), lowest),
        ).fetchone()
        if row is None:
            break  # nothing of mine down to `lowest`: nor for any lower position
        nearest = found[seq] = int(row[0])
    return found


def retract_message(store: Store, message_id: str, reason: str) -> Changes:
    """Remove a message here at once; queue `message.retract` if the server already has it.

    A message still queued is simply withdrawn: its post op is dropped and nothing is sent.
    """
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT team_id, pos FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            return Changes()
        team_id, pos = str(row[0]), int(row[1])
        conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        unsent = outbox.drop_for_subject(store, message_id, "message.post")
        if pos < LOCAL_BASE or not unsent:
            outbox.enqueue(
                store,
                "message.retract",
                {"message_id": message_id, "reason": reason},
                team_id=team_id,
                subject_id=message_id,
            )
        audit.append(store, "message.retract", subject=message_id, detail={"team_id": team_id})
    return Changes(messages=frozenset({team_id}), outbox=True)


def apply_retraction_in_tx(store: Store, message_id: str) -> frozenset[str]:
    row = store.conn.execute("SELECT team_id FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        return frozenset()
    store.conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
    return frozenset({str(row[0])})


def acknowledge(store: Store, message_id: str) -> Changes:
    """Acknowledge an urgent message (locally at once, and queued for the team)."""
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT team_id FROM messages WHERE id = ? AND priority = 'urgent'", (message_id,)
        ).fetchone()
        if row is None:
            return Changes()
        team_id = str(row[0])
        conn.execute(
            "UPDATE messages SET acked_by = ?, acked_at = ? WHERE id = ? AND acked_by IS NULL",
            (store.me, format_timestamp(store.clock.now()), message_id),
        )
        outbox.enqueue(
            store, "message.ack", {"message_id": message_id}, team_id=team_id, subject_id=message_id
        )
    return Changes(messages=frozenset({team_id}), outbox=True)


def apply_ack_in_tx(store: Store, message_id: str, by: str, at: str) -> frozenset[str]:
    row = store.conn.execute(
        "UPDATE messages SET acked_by = ?, acked_at = ? WHERE id = ? AND acked_by IS NULL "
        "RETURNING team_id",
        (by, at, message_id),
    ).fetchone()
    return frozenset() if row is None else frozenset({str(row[0])})


# -- acks that arrive before their message ------------------------------------------------------
# A backfill pages newest first, and a team joined later sends its new events before its history
# is fetched: an ack can come before the message it names. It waits here (per team, in
# sync_state, at most MAX_EARLY_ACKS) until the message arrives or the team's history is all here.

EARLY_ACKS_PREFIX: Final = "early_acks:"  # + team id
MAX_EARLY_ACKS: Final = 1000


def _early_acks(store: Store, team_id: str) -> dict[str, list[str]]:
    stored = store.get_json_state(EARLY_ACKS_PREFIX + team_id)
    return dict(stored) if isinstance(stored, dict) else {}


def keep_early_ack_in_tx(store: Store, team_id: str, message_id: str, by: str, at: str) -> None:
    early = _early_acks(store, team_id)
    early[message_id] = [by, at]
    while len(early) > MAX_EARLY_ACKS:
        del early[next(iter(early))]  # the oldest give way
    store.set_json_state(EARLY_ACKS_PREFIX + team_id, early)


def settle_early_acks_in_tx(store: Store, team_id: str) -> bool:
    """Apply the team's early acks whose message is here now; True if any was."""
    early = _early_acks(store, team_id)
    settled = [m for m in early if get_message(store, m) is not None]
    for message_id in settled:
        by, at = early.pop(message_id)
        apply_ack_in_tx(store, message_id, by, at)
    if early:
        store.set_json_state(EARLY_ACKS_PREFIX + team_id, early)
    elif settled:
        drop_early_acks_in_tx(store, team_id)
    return bool(settled)


def drop_early_acks_in_tx(store: Store, team_id: str) -> None:
    """The team's whole history is here (or the team is gone): no message will come for them."""
    store.delete_state(EARLY_ACKS_PREFIX + team_id)


def edit_held_message(store: Store, message_id: str, body: str) -> Changes:
    """Re-queue a held message with new text: it moves to the end of the timeline as queued."""
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT team_id, priority, note_ref FROM messages WHERE id = ? AND state = 'held'",
            (message_id,),
        ).fetchone()
        if row is None:
            return Changes()
        team_id, priority, note_ref = str(row[0]), str(row[1]), row[2]
        client_ts = format_timestamp(store.clock.now())
        conn.execute(
            "UPDATE messages SET pos = ?, body = ?, state = 'queued', held_code = NULL, "
            "held_reason = NULL, client_ts = ? WHERE id = ?",
            (next_local_pos(store, "messages"), body, client_ts, message_id),
        )
        payload: dict[str, object] = {
            "team_id": team_id,
            "message_id": message_id,
            "body": body,
            "priority": priority,
            "client_ts": client_ts,
        }
        if note_ref is not None:
            payload["note_ref"] = str(note_ref)
        outbox.enqueue(store, "message.post", payload, team_id=team_id, subject_id=message_id)
    return Changes(messages=frozenset({team_id}), outbox=True)


def discard_held_message(store: Store, message_id: str) -> Changes:
    with store.transaction() as conn:
        row = conn.execute(
            "DELETE FROM messages WHERE id = ? AND state = 'held' RETURNING team_id", (message_id,)
        ).fetchone()
    return Changes() if row is None else Changes(messages=frozenset({str(row[0])}))
