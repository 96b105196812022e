"""Read operations shaped for one view each, built from the store's own operations.

They run on the DB lane like any operation (first argument the Store) and return plain values,
so that a view gets what it paints in one round trip. No SQL here: only store operations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from wardlink.core.model import Message, Team
from wardlink.store import messages as message_ops
from wardlink.store import note_cards as card_ops
from wardlink.store import search as search_ops
from wardlink.store import teams as team_ops
from wardlink.store.database import Store
from wardlink.store.migrations import LOCAL_BASE
from wardlink.store.note_cards import NoteCard

POSITIONS_STEP: Final = 1000


@dataclass(frozen=True, slots=True)
class TimelineRows:
    """Messages by position, and the note cards of those that share a note (by note id; a
    note not held here is absent)."""

    messages: dict[int, Message]
    cards: dict[str, NoteCard] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """Positions oldest first, the messages fetched with them (and their note cards), and
    whether older (and newer) ones exist beyond them."""

    positions: list[int]
    messages: dict[int, Message]
    has_older: bool
    has_newer: bool = False
    newer: list[int] = field(default_factory=list)  # known positions newer than these
    cards: dict[str, NoteCard] = field(default_factory=dict)


def _newest_first(store: Store, team_id: str, before: int | None, limit: int) -> list[int]:
    return message_ops.timeline_positions(store, team_id, before=before, limit=limit)


def rows_at(store: Store, positions: list[int]) -> TimelineRows:
    """The messages at these positions with their note cards: one query for the messages, one
    for every note they name (never one per row)."""
    found = message_ops.messages_at(store, positions)
    return TimelineRows(found, cards_for(store, found.values()))


def cards_for(store: Store, messages: Iterable[Message]) -> dict[str, NoteCard]:
    refs = [m.note_ref for m in messages if m.note_ref is not None]
    return card_ops.note_cards(store, refs) if refs else {}


def older_page(store: Store, team_id: str, before: int | None, limit: int) -> TimelinePage:
    """The `limit` positions before `before` (None: the newest), with their messages."""
    found = _newest_first(store, team_id, before, limit + 1)
    has_older = len(found) > limit
    positions = sorted(found[:limit])
    rows = rows_at(store, positions)
    return TimelinePage(positions, rows.messages, has_older, cards=rows.cards)


def page_around(store: Store, team_id: str, position: int, limit: int) -> TimelinePage:
    """A window of about `limit` positions around `position` (a search result far back), the
    messages of its middle, and every position newer than the window (ints only: the timeline
    moves its window forward through them as the reader scrolls down)."""
    half = max(1, limit // 2)
    older = _newest_first(store, team_id, position + 1, half + 1)  # the position itself too
    after, _ = positions_from(store, team_id, position + 1)
    window = sorted(older[:half]) + after[:half]
    at = len(older[:half]) - 1
    wanted = window[max(0, at - half // 2) : at + half // 2 + 1]
    rows = rows_at(store, wanted)
    return TimelinePage(
        window,
        rows.messages,
        has_older=len(older) > half,
        has_newer=len(after) > half,
        newer=after[half:],
        cards=rows.cards,
    )


def positions_from(
    store: Store, team_id: str, lowest: int, highest: int | None = None
) -> tuple[list[int], bool]:
    """Every position >= `lowest` (and <= `highest`), oldest first, and whether older ones
    exist (ints only)."""
    collected: list[int] = []
    before: int | None = None if highest is None else highest + 1
    while True:
        step = _newest_first(store, team_id, before, POSITIONS_STEP)
        kept = [p for p in step if p >= lowest]
        collected.extend(kept)
        if len(kept) < len(step):
            return sorted(collected), True
        if len(step) < POSITIONS_STEP:
            return sorted(collected), False
        before = step[-1]


def refreshed_page(
    store: Store,
    team_id: str,
    lowest: int | None,
    fresh: int,
    around: int | None = None,
    highest: int | None = None,
) -> TimelinePage:
    """The positions a timeline already shows (>= `lowest`) as they are now, plus any newer
    (none past `highest`, for a window that does not reach the newest: it stays put).

    The newest `fresh` messages come with them (where changes land: new messages, sends,
    holds), and those around position `around` (a search result being jumped to).
    """
    if lowest is None:
        return older_page(store, team_id, None, fresh)
    positions, has_older = positions_from(store, team_id, lowest, highest)
    wanted = positions[-fresh:]
    if around is not None and around in positions:
        at = positions.index(around)
        wanted = sorted({*wanted, *positions[max(0, at - fresh // 2) : at + fresh // 2]})
    rows = rows_at(store, wanted)
    return TimelinePage(positions, rows.messages, has_older, cards=rows.cards)


@dataclass(frozen=True, slots=True)
class ReadReceipts:
    """How far the team's other members have read, as the timeline shows it: for each of them
    (active, by name), the seq of my newest sent message they have read, where that is at or
    after `lowest` (the oldest row the timeline holds). `complete`: every reader with a read
    position has one here (else an older page may bring theirs)."""

    readers: dict[str, str]  # staff id -> display name
    reached: dict[str, int]  # staff id -> seq of my newest sent message they have read
    lowest: int
    complete: bool


def team_read_receipts(store: Store, team_id: str, lowest: int) -> ReadReceipts:
    """Two tiny reads (members, receipts) and one bounded walk of the team's index."""
    readers = {
        staff.id: staff.display_name
        for staff in team_ops.team_members(store, team_id)
        if staff.id != store.me and staff.active
    }
    read = {
        staff: seq
        for staff, seq in message_ops.read_receipts(store, team_id).items()
        if staff in readers
    }
    mine = message_ops.my_messages_reached(store, team_id, read.values(), lowest=lowest)
    reached = {staff: mine[seq] for staff, seq in read.items() if seq in mine}
    return ReadReceipts(readers, reached, lowest, complete=len(reached) == len(read))


@dataclass(frozen=True, slots=True)
class TeamOverview:
    teams: list[Team]
    unread: dict[str, int]


def team_overview(store: Store) -> TeamOverview:
    """The team list with each team's unread count."""
    return TeamOverview(team_ops.list_teams(store), message_ops.unread_counts(store))


@dataclass(frozen=True, slots=True)
class SearchHit:
    message: Message
    position: int  # where it sits in its team's timeline, to jump there
    team_name: str


@dataclass(frozen=True, slots=True)
class SearchResults:
    text: str
    terms: tuple[str, ...]
    hits: list[SearchHit] = field(default_factory=list)


def search_everywhere(store: Store, text: str, limit: int = 50) -> SearchResults:
    """Messages in all of the user's teams matching `text` as typed so far, newest first."""
    query = search_ops.build_query(text, prefix_last=True)
    found = search_ops.search_messages(store, text, limit=limit, prefix_last=True)
    names = {team.id: team.name for team in team_ops.list_teams(store)}
    hits = []
    for message in found:
        position = position_of(store, message)
        if position is not None:
            hits.append(SearchHit(message, position, names.get(message.team_id, "")))
    return SearchResults(text, query.terms, hits)


def position_of(store: Store, message: Message) -> int | None:
    """Where a message sits in its team's timeline: its seq once sent; unsent messages sit
    above every seq (LOCAL_BASE), among the newest positions of the team."""
    if message.seq is not None:
        return message.seq
    newest = _newest_first(store, message.team_id, None, POSITIONS_STEP)
    local = [p for p in newest if p >= LOCAL_BASE]
    found = message_ops.messages_at(store, local)
    return next((p for p, m in found.items() if m.id == message.id), None)
