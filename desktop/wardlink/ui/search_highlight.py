"""Which words of a message a search matched, for highlighting them. No Qt here.

The index folds case and diacritics (FTS5 unicode61, remove_diacritics 2) and splits text into
runs of letters and numbers; this does the same, so what is highlighted is what matched.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence


def _is_word_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LN" or category == "Co"


def fold(word: str) -> str:
    """A word as the index compares it: case and diacritics folded."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def word_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) code-point spans of the words in `text`."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, ch in enumerate(text):
        if _is_word_char(ch):
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def matched_spans(
    text: str, terms: Sequence[str], *, prefix_last: bool = True
) -> list[tuple[int, int]]:
    """The spans of `text`'s words that match a search term (the last one as a prefix)."""
    if not terms:
        return []
    exact = {fold(t) for t in terms}
    prefix = fold(terms[-1]) if prefix_last else None
    found = []
    for start, end in word_spans(text):
        word = fold(text[start:end])
        if word in exact or (prefix and word.startswith(prefix)):
            found.append((start, end))
    return found


def highlighted_html(
    text: str, spans: Sequence[tuple[int, int]], *, style: str, max_chars: int = 280
) -> str:
    """`text` as escaped HTML with `spans` wrapped in <span style=...>, shortened around the
    first match when it is long."""
    begin = 0
    if len(text) > max_chars and spans and spans[0][0] > max_chars // 2:
        begin = max(0, spans[0][0] - max_chars // 4)
    end = min(len(text), begin + max_chars)
    parts = ["…" if begin else ""]
    at = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        parts.append(html.escape(text[at:start]))
        parts.append(f'<span style="{style}">{html.escape(text[start:stop])}</span>')
        at = stop
    parts.append(html.escape(text[at:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).replace("\n", "<br>")
