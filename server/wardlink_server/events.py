"""The event sequence: every change a client pulls is one row here, numbered in commit order.

`append` runs inside the caller's write transaction. On SQLite, write transactions are serial
(BEGIN IMMEDIATE), so seq order is commit order and a cursor never skips a late commit.
`EventNotifier` wakes long-polls in this process once a commit has added events.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping

from sqlalchemy import Connection, func, insert, select

from wardlink_server import schema


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
    result = conn.execute(
        insert(schema.events)
        .values(
            type=event_type,
            team_id=team_id,
            staff_id=staff_id,
            at=at,
            data=json.dumps(data, separators=(",", ":")),
        )
        .returning(schema.events.c.seq)
    )
    return int(result.scalar_one())


def head(conn: Connection) -> int:
    """The highest seq so far (0 when there are no events)."""
    return int(conn.execute(select(func.coalesce(func.max(schema.events.c.seq), 0))).scalar_one())


class EventNotifier:
    """Wakes waiting long-polls when events were committed. Thread-safe `notify`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed
                continue

    async def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a notification; True if one came."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(entry)
