"""What a timeline row offers its view (roles, spoken text) and which rows to fetch together.

No Qt widgets here: the roles are plain numbers and the rest is plain Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from PySide6.QtCore import Qt

from wardlink.core.model import Message
from wardlink.ui.bubble_layout import ack_text, meta_text, warning_text
from wardlink.ui.timeline_cards import CardText, spoken_card
from wardlink.ui.timeline_grouping import clock_text
from wardlink.ui.timeline_receipts import SeenBy

CHUNK_SIZE: Final = 60

MessageRole: Final = Qt.ItemDataRole.UserRole + 1  # the Message (fetched if missing or stale)
CachedMessageRole: Final = Qt.ItemDataRole.UserRole + 2  # the Message if cached, never fetches
PositionRole: Final = Qt.ItemDataRole.UserRole + 3
DayLabelRole: Final = Qt.ItemDataRole.UserRole + 4  # "Today" above the day's first message
GroupStartRole: Final = Qt.ItemDataRole.UserRole + 5  # shows the author's name
OwnRole: Final = Qt.ItemDataRole.UserRole + 6
SeenRole: Final = Qt.ItemDataRole.UserRole + 7  # SeenBy under my message, or None
CardRole: Final = Qt.ItemDataRole.UserRole + 8  # CardText of a message sharing a note, or None


def spoken_text(
    message: Message, *, own: bool, card: CardText | None = None, seen: SeenBy | None = None
) -> str:
    """What a screen reader says for a message (the list's DisplayRole)."""
    who = "You" if own else message.author_name
    parts = [f"{who} at {clock_text(message)}: {message.body}"]
    if card is not None:
        parts.append(spoken_card(card))
    if message.is_urgent:
        parts.insert(0, "Urgent.")
    if own:
        parts.append(meta_text(message, "", own=True).lstrip(" ·") + ".")
    for extra in (warning_text(message, own=own), ack_text(message, own=own)):
        if extra:
            parts.append(extra.replace("\n", " "))
    if message.is_urgent and not own and not message.acked:
        parts.append("Not acknowledged yet.")
    if seen is not None:
        parts.append(f"{seen.full}.")
    return " ".join(parts)


def chunk_to_fetch(
    wanted: Iterable[int],
    positions: Sequence[int],
    row_of: Mapping[int, int],
    needs: Callable[[int], bool],
    size: int = CHUNK_SIZE,
) -> list[int]:
    """The rows to fetch in one trip: each wanted position and its neighbours that `needs`
    fetching (missing or stale, not already asked for), up to about `size` of them."""
    chunk: list[int] = []
    taken: set[int] = set()
    for pos in sorted(wanted):
        row = row_of.get(pos)
        if row is None:
            continue
        for near in positions[max(0, row - size // 4) : row + size // 4]:
            if near not in taken and needs(near):
                taken.add(near)
                chunk.append(near)
        if len(chunk) >= size:
            break
    return chunk


def ranges(rows: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Consecutive runs in sorted `rows`, as (first, last) pairs."""
    start = prev = rows[0]
    for row in rows[1:]:
        if row != prev + 1:
            yield start, prev
            start = row
        prev = row
    yield start, prev
