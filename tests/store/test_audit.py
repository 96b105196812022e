"""The audit chain: any change to any entry is found by verify()."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.store import audit
from wardlink.store.database import Store

from .store_helpers import new_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    for i in range(6):
        audit.append(s, "note.open", subject=f"note-{i}", detail={"team": "w7", "n": i})
    yield s
    s.close()


def test_untouched_chain_verifies(store: Store) -> None:
    report = audit.verify(store)
    assert report.ok and report.entries == 6


@pytest.mark.parametrize("column", ["at", "actor", "action", "subject", "detail"])
@pytest.mark.parametrize("seq", [1, 3, 6])
def test_changing_any_field_of_any_row_is_detected(store: Store, column: str, seq: int) -> None:
    store.conn.execute(f"UPDATE audit SET {column} = {column} || 'x' WHERE seq = ?", (seq,))
    report = audit.verify(store)
    assert not report.ok
    assert any(f"entry {seq}" in p for p in report.problems)


def test_recomputed_hash_still_breaks_the_next_link(store: Store) -> None:
    row = store.conn.execute("SELECT * FROM audit WHERE seq = 3").fetchone()
    forged = audit._entry_hash(row[6], 3, row[1], "mallory", row[3], row[4], row[5])
    store.conn.execute("UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 3", (forged,))
    assert any("entry 4" in p for p in audit.verify(store).problems)


def test_deleting_a_middle_row_is_detected(store: Store) -> None:
    store.conn.execute("DELETE FROM audit WHERE seq = 2")
    assert not audit.verify(store).ok


def test_deleting_the_newest_rows_is_detected(store: Store) -> None:
    store.conn.execute("DELETE FROM audit WHERE seq >= 5")
    report = audit.verify(store)
    assert report.problems == ["the newest entries were removed or replaced"]


def test_swapping_rows_is_detected(store: Store) -> None:
    store.conn.execute("UPDATE audit SET seq = 100 WHERE seq = 2")
    store.conn.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
    store.conn.execute("UPDATE audit SET seq = 3 WHERE seq = 100")
    assert not audit.verify(store).ok


def test_appends_continue_the_chain(store: Store) -> None:
    assert audit.append(store, "profile.unlock") == 7
    assert audit.verify(store).ok
