"""Waiting on a sync engine without sleeping: collect its statuses and changes, and wait for a
condition, re-checked at each report (and every 50 ms, for conditions on the store)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from wardlink.store.changes import Changes
from wardlink.sync.status import SyncPhase, SyncStatus

WAIT = 20.0  # the most any condition may take; events end the waits much sooner


class Watcher:
    """Collects statuses and changes from the engine's threads; waits for a condition."""

    def __init__(self, timeout: float = WAIT) -> None:
        self.timeout = timeout
        self.statuses: list[SyncStatus] = []
        self.changes: list[Changes] = []
        self._event = threading.Condition()

    def status(self, status: SyncStatus) -> None:
        with self._event:
            self.statuses.append(status)
            self._event.notify_all()

    def changed(self, changes: Changes) -> None:
        with self._event:
            self.changes.append(changes)
            self._event.notify_all()

    def wait_for(
        self, predicate: Callable[[], bool], what: str, timeout: float | None = None
    ) -> None:
        """Wait until `predicate` holds, re-checking at each status or change and at least
        every 50 ms (for conditions on the store, which the engine changes between reports)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._event:
            while not predicate():
                assert time.monotonic() < deadline, f"timed out waiting for {what}"
                self._event.wait(0.05)

    def last(self) -> SyncStatus:
        with self._event:
            return self.statuses[-1]

    def reached(self, phase: SyncPhase) -> Callable[[], bool]:
        return lambda: bool(self.statuses) and self.statuses[-1].phase is phase
