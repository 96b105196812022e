"""The event sequence: every change a client pulls is one row here, numbered in commit order.

`append` runs inside the caller's write transaction. Write transactions are serial (BEGIN
IMMEDIATE on SQLite, an advisory lock on PostgreSQL: see `database`), so seq order is commit
order and a cursor never skips a late commit. `EventNotifier` wakes long-polls in this process
once a commit has added events, only those whom the events concern; on PostgreSQL, `append`
also queues a `NOTIFY`, which the database delivers to every server process when (and only if)
the transaction commits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Final

from sqlalchemy import Connection, Engine, bindparam, func, insert, select

from wardlink_server import schema
from wardlink_server.database import serialise_writes

CHANNEL: Final = "wardlink_events"
# A connection with this execution option appends without a NOTIFY each: its owner calls
# `wake_on_commit` once, outside any savepoint (a NOTIFY in a rolled-back savepoint is dropped).
WAKE_AT_COMMIT: Final = {"wardlink_wake_at_commit": True}

log = logging.getLogger(__name__)

_e = schema.events
# Built once (a push of 500 messages appends 500 events): see `pull._PULL`.
_APPEND: Final = (
    insert(_e)
    .values(
        type=bindparam("type"),
        team_id=bindparam("team_id"),
        staff_id=bindparam("staff_id"),
        at=bindparam("at"),
        data=bindparam("data"),
    )
    .returning(_e.c.seq)
)
_NOTIFY: Final = select(func.pg_notify(CHANNEL, ""))
_HEAD: Final = select(func.coalesce(func.max(_e.c.seq), 0))


def append(
    conn: Connection,
    event_type: str,
    *,
    at: str,
    data: Mapping[str, object],
    team_id: str | None = None,
    staff_id: str | None = None,
) -> int:
    """Add an event in the caller's transaction; returns its seq."""
    serialise_writes(conn)
    seq = conn.execute(
        _APPEND,
        {
            "type": event_type,
            "team_id": team_id,
            "staff_id": staff_id,
            "at": at,
            "data": json.dumps(data, separators=(",", ":")),
        },
    ).scalar_one()
    if not conn.get_execution_options().get("wardlink_wake_at_commit", False):
        wake_on_commit(conn)
    return int(seq)


def wake_on_commit(conn: Connection) -> None:
    """On PostgreSQL, queue the notification that wakes long-polls in every server process
    once this transaction commits (equal notifications in one transaction fold into one)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY)


def head(conn: Connection) -> int:
    """The highest seq so far (0 when there are no events)."""
    return int(conn.execute(_HEAD).scalar_one())


Scan = Callable[[int | None], tuple[int, frozenset[str] | None]]
SCAN_LIMIT: Final = 2000


def scanner(engine: Engine) -> Scan:
    """What `EventNotifier` reads after notifications: who the events after a seq concern.

    `scan(after)` answers (the newest seq it saw, the staff ids those events concern), or None
    for the ids where everyone may be concerned: a global event, too many events to look at, or
    no `after` yet. A team's events concern its members; an event addressed to an account (a
    membership change) concerns that account.
    """

    def scan(after: int | None) -> tuple[int, frozenset[str] | None]:
        e, m = schema.events, schema.memberships
        with engine.connect() as conn:
            if conn.dialect.name != "sqlite":  # SQLite's WAL read transactions are snapshots
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if after is None:
                    return head(conn), None
                rows = conn.execute(
                    select(e.c.seq, e.c.team_id, e.c.staff_id)
                    .where(e.c.seq > after)
                    .order_by(e.c.seq)
                    .limit(SCAN_LIMIT + 1)
                ).all()
                if not rows:
                    return after, frozenset()
                if len(rows) > SCAN_LIMIT:
                    return head(conn), None
                newest = int(rows[-1].seq)
                if any(r.team_id is None and r.staff_id is None for r in rows):
                    return newest, None
                staff = {str(r.staff_id) for r in rows if r.staff_id is not None}
                teams = {str(r.team_id) for r in rows if r.team_id is not None}
                if teams:
                    members = select(m.c.staff_id).where(m.c.team_id.in_(sorted(teams)))
                    staff.update(str(s) for s in conn.execute(members).scalars())
                return newest, frozenset(staff)

    return scan


class EventNotifier:
    """Wakes waiting long-polls when events were committed. Thread-safe `notify`.

    A long-poll waits on behalf of a staff member (`wait(timeout, staff_id=…)`) and is woken
    only by events that staff member may see: after each burst of notifications, one `scan`
    per event loop finds whom the new events concern, so a message to one team does not send
    every other team's long-polls to the database to find nothing. Without a `scan`, or for a
    wait without a staff id, every notification wakes the wait.
    """

    def __init__(self, scan: Scan | None = None) -> None:
        self._scan = scan
        self._lock = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, _LoopWaits] = {}

    def notify(self) -> None:
        with self._lock:
            for loop in [loop for loop in self._loops if loop.is_closed()]:
                del self._loops[loop]
            loops = list(self._loops.values())
        for waits in loops:
            try:
                waits.loop.call_soon_threadsafe(waits.kick)
            except RuntimeError:  # that loop has closed
                continue

    async def dispatched(self) -> None:
        """Return once the wake-ups for this loop's notifications so far have gone out."""
        await asyncio.sleep(0)  # a notify made on this thread has its kick run first
        with self._lock:
            waits = self._loops.get(asyncio.get_running_loop())
        if waits is not None:
            await waits.idle()

    def scanned_to(self) -> int | None:
        """The newest seq this loop's dispatcher has scanned (None when unknown).

        Every event after it that a commit has notified so far, or will notify, is still to be
        scanned on this loop, and its scan wakes the waits registered by then that it concerns.
        So a wait registered before this is read, for a caller whose cursor is this seq, needs
        no read before it waits: nothing is there for it that will not wake it. Call it on the
        loop's thread."""
        with self._lock:
            waits = self._loops.get(asyncio.get_running_loop())
        return None if waits is None else waits.scanned_to

    async def wait(self, timeout: float, *, staff_id: str | None = None) -> bool:
        """Wait up to `timeout` seconds for a notification that concerns `staff_id` (any, when
        None); True if one came. The wait is registered before the first await."""
        loop = asyncio.get_running_loop()
        with self._lock:
            waits = self._loops.get(loop)
            if waits is None:
                waits = self._loops[loop] = _LoopWaits(loop, self._scan)
        event = asyncio.Event()
        waits.add(staff_id, event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waits.discard(staff_id, event)


class _LoopWaits:
    """The waits of one event loop, and its dispatcher; used only on that loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, scan: Scan | None) -> None:
        self.loop = loop
        self._scan = scan
        self._anyone: set[asyncio.Event] = set()
        self._by_staff: dict[str, set[asyncio.Event]] = {}
        self._last: int | None = None  # the newest seq the last scan saw
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    @property
    def scanned_to(self) -> int | None:
        return self._last

    def add(self, staff_id: str | None, event: asyncio.Event) -> None:
        if staff_id is None:
            self._anyone.add(event)
        else:
            self._by_staff.setdefault(staff_id, set()).add(event)

    def discard(self, staff_id: str | None, event: asyncio.Event) -> None:
        if staff_id is None:
            self._anyone.discard(event)
            return
        found = self._by_staff.get(staff_id)
        if found is not None:
            found.discard(event)
            if not found:
                del self._by_staff[staff_id]

    async def idle(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def kick(self) -> None:
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._dispatch())

    async def _dispatch(self) -> None:
        while self._dirty:
            self._dirty = False
            for event in self._anyone:
                event.set()
            if not self._by_staff:
                self._last = None  # unknown again: the next scan wakes everyone
                continue
            concerned: frozenset[str] | None = None
            if self._scan is not None:
                try:
                    self._last, concerned = await asyncio.to_thread(self._scan, self._last)
                except Exception as exc:  # the database: wake them all, they will read
                    log.warning("could not read whom new events concern (%s)", type(exc).__name__)
                    self._last = None
            for staff_id, events in list(self._by_staff.items()):
                if concerned is None or staff_id in concerned:
                    for event in events:
                        event.set()
