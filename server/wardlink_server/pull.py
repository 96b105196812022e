"""Pull and team history: the event sequence as each caller may see it (DESIGN.md §4, "Pull").

A caller sees the events of their current teams, the events addressed to their own account
(their own `membership.added` and `membership.removed`, so a removal is always delivered and
that team's events stop after it) and global events (no team, no account: `staff.updated`,
`policy.updated`). Membership is read in the same read transaction as the events and the head,
so a page is one consistent snapshot and `next` never passes an event the caller may see.

Reading notes is reading patient data: each page that holds notes is audited (`note.read`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from sqlalchemy import Connection, and_, or_, select
from starlette.concurrency import run_in_threadpool

from wardlink.core import forms
from wardlink.core.protocol import Event, HistoryResponse, PullResponse
from wardlink_server import audit, events, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller
from wardlink_server.database import is_sqlite
from wardlink_server.errors import ApiError
from wardlink_server.events import EventNotifier
from wardlink_server.services import Services

# What a new device backfills from a team's history: its content, and read receipts so that
# backfilled messages show as read where the staff member read them elsewhere. Left out:
# `message.retracted` (the message it names is gone from the sequence), membership events (the
# team list comes with sign-in) and the global events (never a team's).
HISTORY_TYPES: Final = ("message", "message.acked", "receipt", "note", "note.amended")
NOTE_TYPES: Final = frozenset({"note", "note.amended"})


@contextlib.contextmanager
def _snapshot(services: Services) -> Iterator[Connection]:
    """One read transaction in which every query sees the same committed state."""
    with services.engine.connect() as conn:
        if not is_sqlite(services.engine):  # SQLite's WAL read transactions are snapshots
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _event(row: Sequence[Any]) -> Event:
    seq, kind, team_id, at, data = row
    return Event(int(seq), kind, team_id, at, json.loads(data))


def read_pull(services: Services, caller: Caller, since: int, limit: int) -> PullResponse:
    """One page of the caller's events after `since`, oldest first."""
    e, m = schema.events, schema.memberships
    teams = select(m.c.team_id).where(m.c.staff_id == caller.staff_id).scalar_subquery()
    visible = or_(
        e.c.team_id.in_(teams),
        e.c.staff_id == caller.staff_id,
        and_(e.c.team_id.is_(None), e.c.staff_id.is_(None)),
    )
    with _snapshot(services) as conn:
        rows = conn.execute(
            select(e.c.seq, e.c.type, e.c.team_id, e.c.at, e.c.data)
            .where(e.c.seq > since, visible)
            .order_by(e.c.seq)
            .limit(limit + 1)
        ).all()
        head = events.head(conn)
    page = tuple(_event(row) for row in rows[:limit])
    more = len(rows) > limit
    _audit_note_reads(services, caller, page, "sync.pull")
    return PullResponse(page, page[-1].seq if more else head, more)


async def pull(
    services: Services, caller: Caller, *, since: int, limit: int, wait: float
) -> PullResponse:
    """`read_pull`, long-polling up to `wait` seconds (capped by the server) for new events."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, min(wait, services.config.max_wait_s))
    while True:
        remaining = deadline - loop.time()
        wake = await _listen(services.notifier, remaining, caller) if remaining > 0 else None
        try:
            page = await run_in_threadpool(read_pull, services, caller, since, limit)
            if page.events or wake is None:
                return page
            await wake
        finally:
            if wake is not None and not wake.done():
                wake.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await wake


async def _listen(notifier: EventNotifier, timeout: float, caller: Caller) -> asyncio.Task[bool]:
    """A wait on the notifier that is listening before this returns, so that a commit made
    while the caller reads the events still wakes it (if those events concern the caller)."""
    task = asyncio.create_task(notifier.wait(timeout, staff_id=caller.staff_id))
    await asyncio.sleep(0)  # the task runs up to its first await, where it has registered
    return task


def read_history(
    services: Services, caller: Caller, team_id: str, *, before: int | None, limit: int
) -> HistoryResponse:
    """A team's content events older than `before` (default: all), newest first."""
    e, m = schema.events, schema.memberships
    with _snapshot(services) as conn:
        member = conn.execute(
            select(m.c.team_id).where(m.c.team_id == team_id, m.c.staff_id == caller.staff_id)
        ).first()
        if member is None:  # the same answer whether or not the team exists: ids can't be probed
            raise ApiError("forbidden", "You are not a member of that team.")
        query = select(e.c.seq, e.c.type, e.c.team_id, e.c.at, e.c.data).where(
            e.c.team_id == team_id, e.c.type.in_(HISTORY_TYPES)
        )
        if before is not None:
            query = query.where(e.c.seq < before)
        rows = conn.execute(query.order_by(e.c.seq.desc()).limit(limit + 1)).all()
    page = tuple(_event(row) for row in rows[:limit])
    _audit_note_reads(services, caller, page, f"team:{team_id}")
    return HistoryResponse(page, len(rows) > limit)


def _audit_note_reads(
    services: Services, caller: Caller, page: Sequence[Event], subject: str
) -> None:
    """`note.read` entries for a page that holds notes: one per patient, with the ids of that
    patient's notes, so that a patient's audit trail is found by its patient columns."""
    notes = [event for event in page if event.type in NOTE_TYPES]
    if not notes:
        return
    by_patient: dict[tuple[str, str], list[str]] = {}
    for patient, note_id in _patients(notes):
        by_patient.setdefault(patient, []).append(note_id)
    with services.writer.begin() as conn:
        for (system, value), note_ids in sorted(by_patient.items()):
            audit.record(
                conn,
                Actor(caller.staff_id, caller.device_id),
                "note.read",
                subject,
                at=services.now(),
                patient=(system, value),
                detail={"notes": note_ids, "patients": [{"system": system, "value": value}]},
            )


def _patients(notes: Iterable[Event]) -> Iterator[tuple[tuple[str, str], str]]:
    for event in notes:
        resource = event.data.get("resource")
        if isinstance(resource, dict):
            patient = forms.patient_of(resource)
            yield (patient.system, patient.value), str(event.data["id"])
