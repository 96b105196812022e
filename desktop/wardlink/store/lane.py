"""The DB lane: one worker thread that owns the SQLCipher connection.

Every read and write runs on it, one at a time, so writes never overlap and the GUI thread never
touches SQL or crypto. Callers submit *operations* (plain functions whose first argument is the
Store) and get a Future; the UI wraps those futures in signals. No Qt here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from wardlink.store.database import Store
from wardlink.store.errors import ProfileLocked

P = ParamSpec("P")
T = TypeVar("T")


class DbLane:
    """A single-worker executor that opens the store on its own thread and runs operations there."""

    def __init__(self, opener: Callable[[], Store], *, name: str = "wardlink-db") -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._store: Store | None = None
        self._closed = False
        self._lock = threading.Lock()
        # Opening runs on the lane too: the connection must live on the thread that uses it.
        self._opened: Future[None] = self._executor.submit(self._open, opener)

    def _open(self, opener: Callable[[], Store]) -> None:
        self._store = opener()

    def wait_open(self, timeout: float | None = None) -> None:
        """Block until the store is open; re-raises what opening raised (wrong key, damaged...)."""
        self._opened.result(timeout)

    def submit(
        self, operation: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """Queue `operation(store, *args, **kwargs)` on the lane."""
        with self._lock:
            if self._closed:
                raise ProfileLocked()

            def bound(store: Store) -> T:
                return operation(store, *args, **kwargs)

            return self._executor.submit(self._run, bound)

    def call(
        self, operation: Callable[Concatenate[Store, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run an operation on the lane and wait for its result (for scripts and tests)."""
        return self.submit(operation, *args, **kwargs).result()

    def _run(self, bound: Callable[[Store], T]) -> T:
        if self._store is None:
            self._opened.result()  # re-raise the opening failure for this caller
            raise ProfileLocked()
        return bound(self._store)

    def close(self) -> None:
        """Finish queued operations, close the connection on its own thread, stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._executor.submit(self._close_store)
        self._executor.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def closed(self) -> bool:
        return self._closed
