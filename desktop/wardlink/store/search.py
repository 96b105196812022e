"""Full-text search over messages and notes, inside the encrypted database (FTS5).

User input is never passed as FTS syntax: it is split into words the way the index's tokenizer
splits text, and each word is quoted, so quotes, NEAR, AND, *, - and brackets are just text.
A phrase in double quotes stays a phrase. Results come newest first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from wardlink.core.model import Message, Note
from wardlink.store import messages as message_ops
from wardlink.store import notes as note_ops
from wardlink.store.database import Store

MAX_TERMS: Final = 16  # a pasted page of text searches by its first words, not all of them
MAX_TERM_CHARS: Final = 64

_PHRASE = re.compile(r'"([^"]*)"')


def _is_token_char(ch: str) -> bool:
    # unicode61 keeps letters, numbers and private-use characters; everything else separates.
    return unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co"


def words(text: str) -> list[str]:
    """`text` split into index words, as the FTS5 unicode61 tokenizer splits it."""
    found: list[str] = []
    current: list[str] = []
    for ch in text:
        if _is_token_char(ch):
            current.append(ch)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


@dataclass(frozen=True, slots=True)
class Query:
    """A safe FTS5 MATCH expression and the words it looks for (for highlighting)."""

    match: str
    terms: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.match)


def build_query(text: str, *, prefix_last: bool = False) -> Query:
    """Turn anything a user typed into a MATCH expression that means "all these words".

    Text in double quotes is a phrase; an unbalanced quote is ignored. With `prefix_last`, the
    last word also matches longer words (search as you type).
    """
    parts: list[list[str]] = []
    pos = 0
    for m in _PHRASE.finditer(text):
        parts.extend([w] for w in words(text[pos : m.start()]))
        phrase = words(m.group(1))
        if phrase:
            parts.append(phrase)
        pos = m.end()
    parts.extend([w] for w in words(text[pos:]))
    parts = [[w[:MAX_TERM_CHARS] for w in part] for part in parts[:MAX_TERMS]]
    if not parts:
        return Query("", ())
    clauses = ['"' + " ".join(part) + '"' for part in parts]
    if prefix_last and len(parts[-1]) == 1:
        clauses[-1] += " *"
    return Query(" ".join(clauses), tuple(w for part in parts for w in part))


def search_messages(
    store: Store,
    text: str,
    *,
    limit: int = 50,
    team_id: str | None = None,
    prefix_last: bool = False,
) -> list[Message]:
    """Messages matching every word of `text`, newest first."""
    query = build_query(text, prefix_last=prefix_last)
    if not query:
        return []
    if team_id is None:
        rows = store.conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (query.match, limit),
        ).fetchall()
    else:
        rows = store.conn.execute(
            "SELECT f.rowid FROM messages_fts f JOIN messages m ON m.pos = f.rowid "
            "WHERE messages_fts MATCH ? AND m.team_id = ? ORDER BY f.rowid DESC LIMIT ?",
            (query.match, team_id, limit),
        ).fetchall()
    positions = [int(r[0]) for r in rows]
    found = message_ops.messages_at(store, positions)
    return [found[p] for p in positions if p in found]


def search_notes(store: Store, text: str, *, limit: int = 50) -> list[Note]:
    """Note versions whose text matches every word of `text`, newest first."""
    query = build_query(text)
    if not query:
        return []
    rows = store.conn.execute(
        "SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
        (query.match, limit),
    ).fetchall()
    positions = [int(r[0]) for r in rows]
    found = note_ops.notes_at(store, positions)
    return [found[p] for p in positions if p in found]


def rebuild_index(store: Store) -> None:
    """Rebuild both indexes from the rows (after damage, or a tokenizer change)."""
    with store.transaction() as conn:
        conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
        conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")
