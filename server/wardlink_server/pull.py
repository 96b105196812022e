"""Pull and team history: the event sequence as each caller may see it (DESIGN.md §4, "Pull").

A caller sees the events of their current teams, the events addressed to their own account
(their own `membership.added` and `membership.removed`, so a removal is always delivered and
that team's events stop after it) and global events (no team, no account: `staff.updated`,
`policy.updated`). A page's membership, events and head are read by one statement, which sees
one committed state on either database, so a page is one consistent snapshot and `next` never
passes an event the caller may see.

Reading notes is reading patient data: each page that holds notes is audited (`note.read`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

import anyio
import anyio.to_thread
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    and_,
    bindparam,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
)
from starlette.concurrency import run_in_threadpool

from wardlink.core import forms
from wardlink.core.protocol import Event, HistoryResponse, PullResponse
from wardlink_server import audit, schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller, one_statement_reads
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
# How far behind the scanned head a cursor may be for its read to count as small (`_read`).
NEAR_HEAD: Final = 100
# Pull reads at once in the threadpool, per event loop (`_readers`): well under the PostgreSQL
# pool's connections (`database.PG_POOL_SIZE`), leaving some for pushes and sign-ins. Measured
# on 2 cores (bench/server_bench.py on PostgreSQL): 2 to 4 serve alike, 10 overflow the pool.
READERS: Final = 3

_e, _m = schema.events, schema.memberships
# Built once: building a statement and its cache key costs more than running it on SQLite.
_PAGE = (
    select(
        _e.c.seq,
        _e.c.type,
        _e.c.team_id,
        _e.c.at,
        _e.c.data,
        cast(null(), BigInteger).label("head"),
    )
    .where(
        _e.c.seq > bindparam("since"),
        or_(
            _e.c.team_id.in_(
                select(_m.c.team_id).where(_m.c.staff_id == bindparam("staff_id")).scalar_subquery()
            ),
            _e.c.staff_id == bindparam("staff_id"),
            and_(_e.c.team_id.is_(None), _e.c.staff_id.is_(None)),
        ),
    )
    .order_by(_e.c.seq)
    .limit(bindparam("limit"))
    .subquery("page")
)
_HEAD = select(
    null().label("seq"), null().label("type"), null().label("team_id"), null().label("at"),
    null().label("data"),
    select(func.coalesce(func.max(_e.c.seq), 0)).scalar_subquery().label("head"),
)  # fmt: skip
# One row for the head (its seq NULL), then the page's events: one statement, so one snapshot.
_PULL: Final = union_all(_HEAD, select(_PAGE))


@contextlib.contextmanager
def _snapshot(services: Services) -> Iterator[Connection]:
    """One read transaction in which every query sees the same committed state."""
    with services.engine.connect() as conn:
        if not is_sqlite(services.engine):  # SQLite's WAL read transactions are snapshots
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _events(rows: Sequence[Sequence[Any]]) -> tuple[Event, ...]:
    """Events from rows of (seq, type, team_id, at, data as JSON text, …). The data of a page
    is decoded as one JSON array: one call instead of one per event, half the time."""
    if not rows:
        return ()
    datas = json.loads("[" + ",".join(row[4] for row in rows) + "]")
    return tuple(
        Event(int(row[0]), row[1], row[2], row[3], data)
        for row, data in zip(rows, datas, strict=True)
    )


def _seq_of(row: Sequence[Any]) -> int:
    return int(row[0])


def read_pull(
    services: Services, caller: Caller, since: int, limit: int, audit: bool = True
) -> PullResponse:
    """One page of the caller's events after `since`, oldest first. The notes it holds are
    audited here unless `audit` is False (the caller audits them then: `audit_pull`)."""
    with one_statement_reads(services.engine) as conn:
        found = conn.execute(
            _PULL, {"since": since, "staff_id": caller.staff_id, "limit": limit + 1}
        ).all()
    head = next(int(row.head) for row in found if row.seq is None)
    rows = sorted((row for row in found if row.seq is not None), key=_seq_of)
    page = _events(rows[:limit])
    more = len(rows) > limit
    if audit:
        audit_pull(services, caller, page)
    return PullResponse(page, page[-1].seq if more else head, more)


def audit_pull(services: Services, caller: Caller, page: Sequence[Event]) -> None:
    _audit_note_reads(services, caller, page, "sync.pull")


async def pull(
    services: Services, caller: Caller, *, since: int, limit: int, wait: float
) -> PullResponse:
    """`read_pull`, long-polling up to `wait` seconds (capped by the server) for new events.

    A long-poll whose cursor is where this process's wake-ups have scanned to starts waiting
    without a first read: that read would find nothing, and any event committed since will
    wake it (`EventNotifier.scanned_to`). Events that no commit here notified (another process
    on SQLite) are read when the wait ends, as for a long-poll that was waiting already."""
    loop = asyncio.get_running_loop()
    notifier = services.notifier
    deadline = loop.time() + max(0.0, min(wait, services.config.max_wait_s))
    while True:
        remaining = deadline - loop.time()
        wake = await _listen(notifier, remaining, caller) if remaining > 0 else None
        try:
            if wake is None or notifier.scanned_to() != since:
                page = await _read(services, caller, since, limit)
                if page.events or wake is None:
                    return page
            await wake
        finally:
            if wake is not None and not wake.done():
                wake.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await wake


async def _read(services: Services, caller: Caller, since: int, limit: int) -> PullResponse:
    """`read_pull`, on this thread when it is a small read of SQLite, else in the threadpool.

    A cursor near what the wake-ups have scanned to (a long-poll just woken, a client keeping
    up) reads a few recent events: SQLite serves that from its page cache in well under a
    millisecond and, in WAL mode (`_in_wal_mode`), never waits for a writer. Handing it to a
    thread costs more, and under load far more: each of the driver's calls gives up the GIL and
    waits to get it back from the busy event loop. Auditing the notes it read is a write, which
    waits for the write lock: that stays in the threadpool. Anything else (PostgreSQL, SQLite
    without WAL, a client catching up) reads in the threadpool."""
    scanned = services.notifier.scanned_to()
    if scanned is not None and since >= scanned - NEAR_HEAD and _in_wal_mode(services.engine):
        page = read_pull(services, caller, since, limit, False)  # audited below, off the loop
        if any(event.type in NOTE_TYPES for event in page.events):
            await run_in_threadpool(audit_pull, services, caller, page.events)
        return page
    return await anyio.to_thread.run_sync(
        functools.partial(read_pull, services, caller, since, limit), limiter=_readers()
    )


_WAL: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def _in_wal_mode(engine: Engine) -> bool:
    """Whether `engine` is SQLite in WAL mode (asked once), where readers never wait for a
    writer: a file system without WAL support leaves SQLite in rollback-journal mode."""
    found = _WAL.get(engine)
    if found is None:
        found = False
        if is_sqlite(engine):
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            found = str(mode).lower() == "wal"
        _WAL[engine] = found
    return found


_READERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _readers() -> anyio.CapacityLimiter:
    """At most `READERS` pull reads of this event loop at once in the threadpool: a push wakes
    every member of a team together, and more reads at once than the database pool holds
    connections make and drop a connection each (on PostgreSQL, a new server process each),
    while the threads only take turns at the GIL."""
    loop = asyncio.get_running_loop()
    found = _READERS.get(loop)
    if found is None:
        found = _READERS[loop] = anyio.CapacityLimiter(READERS)
    return found


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
    page = _events(rows[:limit])
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
