"""The bridge: operations run on the DB lane, results and changes arrive on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from wardlink.core.model import Priority
from wardlink.store import messages, outbox
from wardlink.store.changes import Changes
from wardlink.store.database import Store
from wardlink.store.errors import DiskFull, ProfileLocked
from wardlink.store.lane import DbLane
from wardlink.ui import demo_history
from wardlink.ui.bridge import Bridge, changes_in

from .conftest import GuiThreadGuard

WARD = demo_history.WARD.id


def test_operations_run_on_the_lane_and_answer_on_the_gui_thread(
    qtbot: QtBot, bridge: Bridge, directory: None
) -> None:
    ran_on: list[threading.Thread] = []
    answered_on: list[threading.Thread] = []

    def operation(store: Store, body: str) -> tuple[object, Changes]:
        ran_on.append(threading.current_thread())
        return messages.add_local_message(store, WARD, body, priority=Priority.URGENT)

    with qtbot.waitSignal(bridge.changed) as changed:
        bridge.run(
            operation,
            "Porter needed for bay 3",
            on_done=lambda _result: answered_on.append(threading.current_thread()),
        )
    assert ran_on and ran_on[0] is not threading.main_thread()
    assert answered_on == [threading.main_thread()]
    assert changed.args[0] == Changes(messages=frozenset({WARD}), outbox=True)
    assert bridge.lane.call(outbox.pending_count) == 1


def test_the_gui_thread_cannot_touch_the_database(tmp_path: Path) -> None:
    """The guard every UI test's store sits behind really fails SQL on the GUI thread."""
    import sqlite3

    guarded = GuiThreadGuard(sqlite3.connect(tmp_path / "plain.db"))
    with pytest.raises(AssertionError, match="GUI thread touched the database"):
        guarded.execute("SELECT 1")


def test_store_errors_are_shown_in_plain_words_and_bugs_are_raised(
    qtbot: QtBot, bridge: Bridge
) -> None:
    def full(store: Store) -> None:
        raise DiskFull()

    with qtbot.waitSignal(bridge.failed) as failed:
        bridge.run(full)
    assert failed.args == [DiskFull.message]

    errors: list[BaseException] = []
    with qtbot.waitSignal(bridge.settled):
        bridge.run(full, on_error=errors.append)
    assert isinstance(errors[0], DiskFull)

    def bug(store: Store) -> None:
        raise ZeroDivisionError("a bug")

    with qtbot.captureExceptions() as raised, qtbot.waitSignal(bridge.settled):
        bridge.run(bug)
    assert [type(e[1]) for e in raised] == [ZeroDivisionError]


def test_a_closed_lane_reports_the_profile_locked(qtbot: QtBot, lane: DbLane) -> None:
    bridge = Bridge(lane)
    lane.close()
    errors: list[BaseException] = []
    bridge.run(messages.unread_counts, on_error=errors.append)
    assert len(errors) == 1 and isinstance(errors[0], ProfileLocked)


def test_tasks_run_off_the_gui_thread(qtbot: QtBot, bridge: Bridge) -> None:
    threads: list[threading.Thread] = []
    with qtbot.waitSignal(bridge.settled):
        bridge.run_task(lambda: threads.append(threading.current_thread()))
    assert threads and threads[0] is not threading.main_thread()


def test_changes_are_found_alone_or_in_a_tuple() -> None:
    a = Changes(messages=frozenset({"t"}))
    b = Changes(outbox=True)
    assert changes_in(a) == a
    assert changes_in(("message", a, b)) == a | b
    assert changes_in(["not", "a tuple"]) is None
    assert changes_in(None) is None


def test_changes_from_another_thread_arrive_on_the_gui_thread(qtbot: QtBot, bridge: Bridge) -> None:
    received_on: list[threading.Thread] = []
    bridge.changed.connect(lambda _c: received_on.append(threading.current_thread()))
    pulled = Changes(messages=frozenset({WARD}), teams=True)
    with qtbot.waitSignal(bridge.changed) as changed:
        worker = threading.Thread(target=bridge.post_changes, args=(pulled,))
        worker.start()
        worker.join()
    assert changed.args == [pulled]
    assert received_on == [threading.main_thread()]


def test_a_result_for_a_window_deleted_meanwhile_is_dropped(
    qtbot: QtBot, bridge: Bridge, directory: None
) -> None:
    """The window that asked closed and was deleted while its operation ran on the lane."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    release = threading.Event()

    def slow(store: Store) -> str:
        release.wait(5)
        return "done"

    bridge.run(slow, on_done=label.setText)
    label.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    with qtbot.waitSignal(bridge.settled, timeout=5000):
        release.set()
    assert not bridge.busy  # delivered, dropped, and nothing raised in the event loop
