"""Long-poll wake-ups across server processes on PostgreSQL (`LISTEN`/`NOTIFY`).

Every transaction that appends events queues a `NOTIFY` on `events.CHANNEL` (see `events`);
PostgreSQL delivers it to every listening connection once that transaction has committed. Each
server process keeps one dedicated connection listening and wakes its own long-polls through
`services.notifier`. A woken long-poll only re-reads: a spare wake-up costs a read, never an
event. If the connection drops, the listener reconnects; meanwhile it wakes the long-polls every
`retry_s` (they poll), and once listening again it wakes them all, so that nothing committed in
between waits for a long-poll's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import psycopg

from wardlink_server.database import is_postgresql, postgresql_connect_args
from wardlink_server.events import CHANNEL, EventNotifier
from wardlink_server.services import Services

log = logging.getLogger("wardlink_server.pg_listener")

RETRY_S: Final = 1.0
HEARTBEAT_S: Final = 15.0


class EventListener:
    """One `LISTEN` connection, run as an asyncio task: `start()`, then `await stop()`."""

    def __init__(
        self,
        connect_args: dict[str, Any],
        notifier: EventNotifier,
        *,
        retry_s: float = RETRY_S,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self._connect_args = connect_args
        self._notifier = notifier
        self._retry_s = retry_s
        self._heartbeat_s = heartbeat_s
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.connections = 0  # made so far (reconnects included): for tests and diagnostics

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="wardlink-pg-listener")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        warned = False
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as exc:
                if self.listening.is_set() or not warned:
                    # The class of error only: its text could name the database.
                    log.warning("the event listener has no connection (%s); reconnecting",
                                type(exc).__name__)  # fmt: skip
                    warned = True
                self.listening.clear()
            self._notifier.notify()  # long-polls poll while no notification can reach them
            await asyncio.sleep(self._retry_s)

    async def _listen(self) -> None:
        conn = await psycopg.AsyncConnection.connect(**self._connect_args, autocommit=True)
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.connections += 1
            self.listening.set()
            # Events may have committed while no connection was listening.
            self._notifier.notify()
            while True:
                async for _notification in conn.notifies(timeout=self._heartbeat_s):
                    self._notifier.notify()
                # Quiet for a while: make sure the connection is still there.
                await conn.execute("SELECT 1")


@contextlib.asynccontextmanager
async def listening(services: Services) -> AsyncIterator[EventListener | None]:
    """Run a listener for this process while the app runs (PostgreSQL only; None on SQLite)."""
    if not is_postgresql(services.engine):
        yield None
        return
    listener = EventListener(postgresql_connect_args(services.engine), services.notifier)
    listener.start()
    try:
        yield listener
    finally:
        await listener.stop()
