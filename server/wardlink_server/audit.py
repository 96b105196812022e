"""The server's audit trail: every admin action and every read of patient data, hash-chained.

Entries are appended inside the transaction of what they record, so an action and its audit
entry commit together. Each entry reads the last hash and then inserts: write transactions are
serial (see `database.serialise_writes`), so two entries never follow the same one. `verify`
walks the chain and names every entry that was changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, insert, select

from wardlink_server import schema
from wardlink_server.database import serialise_writes

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff member (with the device) or the command line (`staff_id` None)."""

    staff_id: str | None
    device_id: str | None = None


CLI = Actor(None, None)


def _digest(prev: str, fields: Mapping[str, object]) -> str:
    canonical = json.dumps([prev, fields], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fields(row: RowMapping) -> dict[str, object]:
    keys = (
        "at",
        "actor_id",
        "device_id",
        "action",
        "subject",
        "patient_system",
        "patient_value",
        "detail",
    )
    return {k: row[k] for k in keys}


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    subject: str,
    *,
    at: str,
    patient: tuple[str, str] | None = None,
    detail: Mapping[str, object] | None = None,
) -> int:
    """Append an entry in the caller's transaction; returns its seq."""
    serialise_writes(conn)
    last = conn.execute(
        select(schema.audit.c.hash).order_by(schema.audit.c.seq.desc()).limit(1)
    ).scalar_one_or_none()
    fields: dict[str, object] = {
        "at": at,
        "actor_id": actor.staff_id,
        "device_id": actor.device_id,
        "action": action,
        "subject": subject,
        "patient_system": patient[0] if patient else None,
        "patient_value": patient[1] if patient else None,
        "detail": json.dumps(detail or {}, sort_keys=True, separators=(",", ":")),
    }
    prev = last or GENESIS
    result = conn.execute(
        insert(schema.audit)
        .values(**fields, prev_hash=prev, hash=_digest(prev, fields))
        .returning(schema.audit.c.seq)
    )
    return int(result.scalar_one())


def verify(conn: Connection) -> list[str]:
    """Problems found in the chain (empty when intact)."""
    problems: list[str] = []
    prev = GENESIS
    for row in conn.execute(select(schema.audit).order_by(schema.audit.c.seq)).mappings():
        if row["prev_hash"] != prev:
            problems.append(f"entry {row['seq']}: does not follow the entry before it")
        if _digest(row["prev_hash"], _fields(row)) != row["hash"]:
            problems.append(f"entry {row['seq']}: contents changed")
        prev = row["hash"]
    return problems


def entries(conn: Connection, *, limit: int, before: int | None = None) -> list[dict[str, object]]:
    """Audit entries, newest first, with seq below `before`; each names its actor's username."""
    a, st = schema.audit, schema.staff
    query = (
        select(a, st.c.username)
        .select_from(a.outerjoin(st, st.c.id == a.c.actor_id))
        .order_by(a.c.seq.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(a.c.seq < before)
    return [
        {
            "seq": row["seq"],
            "at": row["at"],
            "actor": None
            if row["actor_id"] is None
            else {"id": row["actor_id"], "username": row["username"]},
            "device_id": row["device_id"],
            "action": row["action"],
            "subject": row["subject"],
            "patient": None
            if row["patient_system"] is None
            else {"system": row["patient_system"], "value": row["patient_value"]},
            "detail": json.loads(row["detail"]),
        }
        for row in conn.execute(query).mappings()
    ]
