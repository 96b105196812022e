"""A page of pulled messages written many rows per statement: the same rows, states and search
index as one statement per row would leave, across the statements a page is cut into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.model import MessageState
from wardlink.store import messages, search
from wardlink.store.database import Store

from .store_helpers import COMMUNITY, ME, WARD, new_store, remote


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path / "w.db")
    yield s
    s.close()


def _count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def _index_is_sound(store: Store) -> None:
    """FTS5's own check that the index holds exactly the rows' words (raises if not)."""
    store.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_a_page_longer_than_one_statement_is_written_whole_and_searchable(store: Store) -> None:
    mine, _ = messages.add_local_message(store, WARD, "mine quokka")
    messages.apply_remote_messages(store, [remote(5, "held already")])
    page = [
        remote(seq, f"word{seq} obs", team=WARD if seq % 3 else COMMUNITY)
        for seq in range(1, 2101)  # three statements of at most 1,000 rows
        if seq != 200
    ]
    page.append(remote(200, "mine quokka", author=ME, mid=mine.id))  # our echo, mid-page
    page.append(remote(5, "a second copy of seq 5", mid="m-5-again"))  # a seq held: no-op

    with store.transaction():
        teams = messages.apply_remote_messages_in_tx(store, page)

    assert teams == {WARD, COMMUNITY}
    assert _count(store) == 2100
    echo = messages.get_message(store, mine.id)
    assert echo is not None and echo.state is MessageState.SENT and echo.seq == 200
    assert messages.get_message(store, "m-5-again") is None
    assert messages.messages_at(store, [5])[5].body == "held already"
    _index_is_sound(store)
    for seq in (1, 999, 1000, 1001, 2000, 2001, 2100):  # either side of each statement's end
        (found,) = search.search_messages(store, f"word{seq}")
        assert found.seq == seq
    (found,) = search.search_messages(store, "quokka")
    assert found.id == mine.id and found.seq == 200

    with store.transaction():  # applying it again changes nothing
        messages.apply_remote_messages_in_tx(store, page)
    assert _count(store) == 2100
    _index_is_sound(store)
    assert len(search.search_messages(store, "obs", limit=3000)) == 2098
