"""The DB lane: one thread owns the connection; operations run there, in order."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest

from wardlink.store import messages
from wardlink.store.database import Store
from wardlink.store.errors import DatabaseDamaged, ProfileLocked
from wardlink.store.lane import DbLane

from .store_helpers import WARD, new_store


def test_operations_run_on_one_thread_in_order(tmp_path: Path) -> None:
    lane = DbLane(lambda: new_store(tmp_path / "w.db"))
    threads: set[int] = set()
    order: list[int] = []

    def op(store: Store, i: int) -> int:
        threads.add(threading.get_ident())
        order.append(i)
        return i * 2

    futures = [lane.submit(op, i) for i in range(50)]
    assert [f.result() for f in futures] == [i * 2 for i in range(50)]
    assert order == list(range(50))
    assert len(threads) == 1 and threading.get_ident() not in threads
    msg, _ = lane.call(messages.add_local_message, WARD, "via the lane")
    assert lane.call(messages.get_message, msg.id).body == "via the lane"  # type: ignore[union-attr]
    lane.close()
    assert lane.closed
    with pytest.raises(ProfileLocked):
        lane.submit(op, 1)


def test_opening_failure_reaches_every_caller(tmp_path: Path) -> None:
    (tmp_path / "w.db").write_bytes(secrets.token_bytes(4096))
    lane = DbLane(lambda: Store.open(tmp_path / "w.db", secrets.token_bytes(32), me="x"))
    with pytest.raises(DatabaseDamaged):
        lane.wait_open()
    with pytest.raises(DatabaseDamaged):
        lane.call(messages.unread_counts)
    lane.close()


def test_an_operation_error_does_not_stop_the_lane(tmp_path: Path) -> None:
    lane = DbLane(lambda: new_store(tmp_path / "w.db"))

    def boom(store: Store) -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        lane.call(boom)
    assert lane.call(messages.unread_counts) == {WARD: 0, "10000000-0000-4000-8000-000000000002": 0}
    lane.close()
    lane.close()  # closing twice is harmless
