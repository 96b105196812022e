"""The bridge from the DB lane to the GUI thread.

Widgets never run SQL (DESIGN.md §2): they hand an operation to `Bridge.run`, which queues it on
the DB lane and calls back on the GUI thread with its result. Whatever an operation changed
(a `Changes` value, alone or inside a returned tuple) is fanned out through `changed`, and each
view decides whether it cares; changes made elsewhere (the sync engine) join them through
`post_changes`. Work that is neither SQL nor GUI (the password KDF on unlock) goes through
`run_task`, on a worker of its own, so it never queues behind the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from wardlink.store.changes import Changes
from wardlink.store.errors import StoreError
from wardlink.store.lane import DbLane

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


def changes_in(result: object) -> Changes | None:
    """The `Changes` an operation returned, alone or as an element of a tuple."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple):
        found = [item for item in result if isinstance(item, Changes)]
        if found:
            merged = found[0]
            for more in found[1:]:
                merged = merged | more
            return merged
    return None


class Bridge(QObject):
    """Runs store operations on the DB lane and delivers their results on the GUI thread.

    Signals:
    - changed(Changes): an operation changed something; views refresh what concerns them.
    - failed(str): an operation without its own error handler failed with an error the user can
      act on; the text is the error's plain-language message (never patient data).
    - settled(): nothing is in flight any more (tests and the screenshot tool wait on it).
    - changed_here(Changes): the part of `changed` made by this bridge's own operations (what
      the user did), not posted from elsewhere: e.g. something was queued to send.
    """

    changed = Signal(object)
    changed_here = Signal(object)
    failed = Signal(str)
    settled = Signal()
    _finished = Signal(object)
    _posted = Signal(object)

    def __init__(self, lane: DbLane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lane = lane
        self._tasks: ThreadPoolExecutor | None = None
        self._in_flight = 0
        self._finished.connect(self._deliver)
        self._posted.connect(self._announce)

    @property
    def lane(self) -> DbLane:
        return self._lane

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    def run(
        self,
        operation: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
        **kwargs: Any,
    ) -> None:
        """Queue `operation(store, *args, **kwargs)` on the DB lane; call back on this thread."""
        try:
            future = self._lane.submit(operation, *args, **kwargs)
        except StoreError as exc:  # the lane is closed (profile locked or signed out)
            self._report(exc, on_error)
            return
        self._watch(future, on_done, on_error)

    def run_task(
        self,
        task: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> None:
        """Run `task(*args)` (no store) off the GUI thread, e.g. checking a password."""
        if self._tasks is None:
            self._tasks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wardlink-task")
        self._watch(self._tasks.submit(task, *args), on_done, on_error)

    def post_changes(self, changes: Changes) -> None:
        """Announce changes made elsewhere (the sync engine's pulls); safe from any thread."""
        if changes:
            self._posted.emit(changes)

    @Slot(object)
    def _announce(self, changes: Changes) -> None:
        self.changed.emit(changes)

    def shutdown(self) -> None:
        """Stop the task worker (the lane belongs to whoever opened it)."""
        if self._tasks is not None:
            self._tasks.shutdown(wait=True)
            self._tasks = None

    def _watch(self, future: Future[Any], on_done: Done | None, on_error: Failed | None) -> None:
        self._in_flight += 1
        finished = self._finished

        def landed(f: Future[Any]) -> None:
            # Runs on the worker thread: the signal queues delivery onto the GUI thread.
            with contextlib.suppress(RuntimeError):  # the bridge was deleted meanwhile
                finished.emit((f, on_done, on_error))

        future.add_done_callback(landed)

    @Slot(object)
    def _deliver(self, item: tuple[Future[Any], Done | None, Failed | None]) -> None:
        future, on_done, on_error = item
        try:
            exc = future.exception()
            if exc is not None:
                self._report(exc, on_error)
                return
            result = future.result()
            changes = changes_in(result)
            if on_done is not None:
                _to_the_living(on_done, result)
            if changes:
                self.changed.emit(changes)
                self.changed_here.emit(changes)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.settled.emit()

    def _report(self, exc: BaseException, on_error: Failed | None) -> None:
        if on_error is not None:
            _to_the_living(on_error, exc)
        elif isinstance(exc, StoreError):
            self.failed.emit(exc.message)
        else:
            raise exc  # a bug: loud in development (pytest-qt fails the test)


def _to_the_living(callback: Callable[[Any], object], value: object) -> None:
    """Call back, unless the Qt object it would update has been deleted meanwhile (a window
    closed while its operation ran on the lane): the result then has nowhere to go."""
    try:
        callback(value)
    except RuntimeError as exc:
        if "already deleted" not in str(exc):
            raise
