"""Search: any user input is safe, and the right messages come back newest first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardlink.store import messages, search
from wardlink.store.database import Store

from .store_helpers import COMMUNITY, new_store, remote

BODIES = [
    "Porter needed for bay 3",
    "Bloods for bay 3 are back, K+ 5.9",
    "Is the pharmacy open late tonight?",
    "Café in the atrium is closed",
    'Who took the "spare" obs machine?',
    "NEAR the nurses' station: a wheelchair",
    "Handover at 19:30 in the office",
    "Porter asked for twice already",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = new_store(tmp_path_factory.mktemp("search") / "w.db")
    messages.apply_remote_messages(s, [remote(i + 1, b) for i, b in enumerate(BODIES)])
    messages.apply_remote_messages(
        s, [remote(100, "Porter for the community team", team=COMMUNITY)]
    )
    yield s
    s.close()


def bodies(found: list) -> list[str]:  # type: ignore[type-arg]
    return [m.body for m in found]


def test_words_match_newest_first(store: Store) -> None:
    assert bodies(search.search_messages(store, "porter")) == [
        "Porter for the community team",
        "Porter asked for twice already",
        "Porter needed for bay 3",
    ]


def test_all_words_must_match(store: Store) -> None:
    assert bodies(search.search_messages(store, "bay 3 bloods")) == [BODIES[1]]


def test_phrase_in_quotes(store: Store) -> None:
    assert bodies(search.search_messages(store, '"porter needed"')) == [BODIES[0]]
    assert search.search_messages(store, '"needed porter"') == []


def test_diacritics_and_case_fold(store: Store) -> None:
    assert bodies(search.search_messages(store, "CAFE")) == [BODIES[3]]


def test_fts_syntax_is_only_text(store: Store) -> None:
    assert bodies(search.search_messages(store, "NEAR")) == [BODIES[5]]
    assert bodies(search.search_messages(store, "spare*")) == [BODIES[4]]
    assert search.search_messages(store, "bay AND NOT porter") == []  # every word, literally
    assert bodies(search.search_messages(store, "-bloods")) == [BODIES[1]]


def test_team_filter_and_prefix(store: Store) -> None:
    assert bodies(search.search_messages(store, "porter", team_id=COMMUNITY)) == [
        "Porter for the community team"
    ]
    assert bodies(search.search_messages(store, "pharm", prefix_last=True)) == [BODIES[2]]
    assert search.search_messages(store, "pharm") == []


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "(",
        "bay (3",
        ")))",
        "NEAR(",
        "AND",
        "OR NOT",
        "*",
        "-",
        "^",
        ":",
        "{x}",
        "col:umn",
        "💊💉",
        "",
        "   ",
        "a" * 10_000,
        "🚑 porter " * 1000,
        "\x00",
        "'; DROP TABLE x;--",
    ],
)
def test_awkward_input_never_raises(store: Store, text: str) -> None:
    search.search_messages(store, text)
    search.search_notes(store, text)


@given(st.text(max_size=200))
@settings(
    max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_is_safe(store: Store, text: str) -> None:
    found = search.search_messages(store, text)
    query = search.build_query(text)
    for message in found:
        folded = message.body.lower()
        assert all(term.lower()[:3] in folded or not term.isascii() for term in query.terms)


def test_emoji_only_finds_nothing_rather_than_everything(store: Store) -> None:
    assert search.search_messages(store, "💊") == []


def test_index_rebuild_restores_results(store: Store) -> None:
    store.conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('delete-all')")
    assert search.search_messages(store, "porter") == []
    search.rebuild_index(store)
    assert len(search.search_messages(store, "porter")) == 3


def test_retracted_messages_leave_the_index(tmp_path: Path) -> None:
    s = new_store(tmp_path / "w.db")
    messages.apply_remote_messages(s, [remote(1, "secret plan"), remote(2, "other")])
    with s.transaction():
        messages.apply_retraction_in_tx(s, "m-1")
    assert search.search_messages(s, "secret") == []
    assert (
        s.conn.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'secret'"
        ).fetchone()[0]
        == 0
    )
    s.close()


def test_words_follow_the_tokenizer() -> None:
    assert search.words("K+ 5.9, bay-3 café") == ["K", "5", "9", "bay", "3", "café"]
    assert search.build_query('a "b c" d').match == '"a" "b c" "d"'
    assert search.build_query("x" * 100).terms == ("x" * 64,)
    assert len(search.build_query(" ".join(f"w{i}" for i in range(40))).terms) == search.MAX_TERMS
