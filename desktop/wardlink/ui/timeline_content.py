"""`RowContents`: what a timeline's rows show, fetched lazily: their messages, the note cards
of those that share a note, and the "Seen by" line under my messages.

`TimelineModel` decides which positions are rows (its window); this keeps what is drawn for
them. Messages come with the model's pages, or in chunks around the rows a view paints that
are missing or stale; a page or chunk brings the cards of its messages in the same trip (one
query for all their notes). Read receipts are one tiny read per team, made again when they,
the team's messages or its members change; which row carries which reader is worked out from
seqs, never by asking about a row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from wardlink.core.model import Message
from wardlink.store import note_cards as card_ops
from wardlink.store.changes import Changes
from wardlink.store.note_cards import NoteCard
from wardlink.ui import view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline_cards import CardText, card_text
from wardlink.ui.timeline_receipts import SeenBy, seen_lines
from wardlink.ui.timeline_rows import chunk_to_fetch
from wardlink.ui.view_queries import ReadReceipts, TimelineRows

Window = Callable[[], tuple[Sequence[int], Mapping[int, int]]]  # positions, row of position


class RowContents(QObject):
    """The cached content of a timeline's rows.

    Signals:
    - rows_updated(object): what these positions show changed (a list of ints).
    - rows_vanished(): rows asked for are gone (retracted, or moved when sent).
    - undelivered_urgent_changed(int): how many of my urgent messages here are not delivered.
    """

    rows_updated = Signal(object)
    rows_vanished = Signal()
    undelivered_urgent_changed = Signal(int)

    def __init__(self, bridge: Bridge, *, me: str, window: Window, parent: QObject) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._me = me
        self._window = window
        self._team: str | None = None
        self._team_generation = 0  # answers for an earlier team are dropped
        self._fetch_generation = 0  # answers for an earlier window are dropped
        self._messages: dict[int, Message] = {}
        self._cards: dict[str, NoteCard] = {}
        self._stale: set[int] = set()
        self._requested: set[int] = set()
        self._wanted: set[int] = set()
        self._receipts: ReadReceipts | None = None
        self._seen: dict[int, SeenBy] = {}
        self._receipts_loading = False
        self._receipts_again: int | None = None
        self._undelivered = 0
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(0)
        self._fetch_timer.timeout.connect(self._fetch_wanted)

    # -- reading -------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return bool(self._requested) or self._receipts_loading

    @property
    def undelivered_urgent(self) -> int:
        return self._undelivered

    def __len__(self) -> int:
        return len(self._messages)

    def message(self, pos: int) -> Message | None:
        return self._messages.get(pos)

    def is_stale(self, pos: int) -> bool:
        return pos in self._stale

    def position_of(self, message_id: str) -> int | None:
        return next((p for p, m in self._messages.items() if m.id == message_id), None)

    def card(self, message: Message) -> CardText | None:
        if message.note_ref is None:
            return None
        return card_text(message, self._cards.get(message.note_ref))

    def seen(self, message: Message) -> SeenBy | None:
        """The line under one of my sent messages, if any reader's newest reached is it."""
        if message.author_id != self._me or message.seq is None:
            return None
        return self._seen.get(message.seq)

    # -- what the model's pages bring ----------------------------------------------------------

    def reset(self, team_id: str | None) -> None:
        """A new team (or none): everything forgotten; receipts come once rows are here."""
        self._team = team_id
        self._team_generation += 1
        self.new_window()
        self._messages.clear()
        self._cards.clear()
        self._stale.clear()
        self._receipts, self._seen = None, {}
        self._receipts_loading, self._receipts_again = False, None
        self._update_undelivered()

    def new_window(self) -> None:
        """Rows fetched for an earlier window are no longer wanted."""
        self._fetch_generation += 1
        self._requested.clear()
        self._wanted.clear()

    def add(self, messages: Mapping[int, Message], cards: Mapping[str, NoteCard]) -> None:
        """Keep rows the model is inserting (no signal: the rows are new to the view)."""
        self._messages.update(messages)
        self._cards.update(cards)
        self._update_undelivered()

    def replace(self, messages: Mapping[int, Message], cards: Mapping[str, NoteCard]) -> None:
        """Keep only these (a window opened elsewhere)."""
        self._messages, self._cards = dict(messages), dict(cards)
        self._stale.clear()
        self._update_undelivered()

    def forget(self, positions: Iterable[int]) -> None:
        """These rows left the window."""
        for pos in positions:
            self._messages.pop(pos, None)
            self._stale.discard(pos)

    def refreshed(self, rows: TimelineRows, row_of: Mapping[int, int]) -> None:
        """After a change: `rows` are the current messages of some rows; every other row still
        cached is stale (fetched again when painted)."""
        for pos in [p for p in self._messages if p not in row_of]:
            del self._messages[pos]
        self._stale = set(self._messages) - set(rows.messages)
        self._store(rows, rows.messages.keys())

    # -- rows fetched on demand ----------------------------------------------------------------

    def want(self, pos: int) -> None:
        """A view paints `pos`: fetch it if missing or stale (with its neighbours, soon)."""
        if pos in self._requested or pos in self._wanted:
            return
        if pos in self._messages and pos not in self._stale:
            return
        self._wanted.add(pos)
        self._fetch_timer.start()

    def _fetch_wanted(self) -> None:
        if self._team is None:
            self._wanted.clear()
            return
        positions, row_of = self._window()
        chunk = chunk_to_fetch(
            self._wanted,
            positions,
            row_of,
            lambda pos: (
                pos not in self._requested and (pos not in self._messages or pos in self._stale)
            ),
        )
        self._wanted.clear()
        if not chunk:
            return
        self._requested.update(chunk)
        generation = self._fetch_generation
        self._bridge.run(
            view_queries.rows_at,
            sorted(chunk),
            on_done=lambda rows: self._fetched(generation, chunk, rows),
        )

    def _fetched(self, generation: int, chunk: list[int], rows: TimelineRows) -> None:
        if generation != self._fetch_generation:
            return
        self._requested.difference_update(chunk)
        _, row_of = self._window()
        gone = [pos for pos in chunk if pos not in rows.messages and pos in row_of]
        self._store(rows, chunk)
        if gone:
            self.rows_vanished.emit()

    def _store(self, rows: TimelineRows, asked: Iterable[int]) -> None:
        _, row_of = self._window()
        self._cards.update(rows.cards)
        changed: list[int] = []
        for pos in asked:
            self._stale.discard(pos)
            if pos not in row_of or pos not in rows.messages:
                continue
            before = self._messages.get(pos)
            self._messages[pos] = rows.messages[pos]
            if before != rows.messages[pos]:
                changed.append(pos)
        self._update_undelivered()
        if changed:
            self.rows_updated.emit(changed)

    # -- note cards and read receipts, as they change ------------------------------------------

    def on_changes(self, changes: Changes, lowest: int | None) -> None:
        """Notes (any team's: a card may name another team's note) and receipts, members or
        names of this team. The model refreshes the rows themselves."""
        if changes.notes and any(m.note_ref for m in self._messages.values()):
            self._refresh_cards()
        if self._team is not None and (self._team in changes.receipts or changes.staff):
            self.refresh_receipts(lowest)

    def _refresh_cards(self) -> None:
        refs = sorted({m.note_ref for m in self._messages.values() if m.note_ref is not None})
        generation = self._team_generation
        self._bridge.run(
            card_ops.note_cards, refs, on_done=lambda cards: self._cards_arrived(generation, cards)
        )

    def _cards_arrived(self, generation: int, cards: dict[str, NoteCard]) -> None:
        if generation != self._team_generation:
            return
        before = self._cards
        self._cards = cards
        changed = [
            pos
            for pos, m in self._messages.items()
            if m.note_ref is not None and before.get(m.note_ref) != cards.get(m.note_ref)
        ]
        if changed:
            self.rows_updated.emit(changed)

    def older_rows_came(self, lowest: int) -> None:
        """Older rows may hold the message a reader's line belongs under."""
        receipts = self._receipts
        if receipts is not None and not receipts.complete and lowest < receipts.lowest:
            self.refresh_receipts(lowest)

    def refresh_receipts(self, lowest: int | None) -> None:
        """Read the team's receipts again, for rows from `lowest` up (one in flight at a time)."""
        if self._team is None or lowest is None:
            return
        if self._receipts_loading:
            self._receipts_again = lowest
            return
        self._receipts_loading = True
        generation = self._team_generation
        self._bridge.run(
            view_queries.team_read_receipts,
            self._team,
            lowest,
            on_done=lambda receipts: self._receipts_arrived(generation, receipts),
        )

    def _receipts_arrived(self, generation: int, receipts: ReadReceipts) -> None:
        if generation != self._team_generation:
            return
        self._receipts_loading = False
        before, self._seen = self._seen, seen_lines(receipts)
        self._receipts = receipts
        changed = [seq for seq in {*before, *self._seen} if before.get(seq) != self._seen.get(seq)]
        if changed:
            self.rows_updated.emit(changed)  # a sent message's position is its seq
        again, self._receipts_again = self._receipts_again, None
        if again is not None:
            self.refresh_receipts(again)

    def _update_undelivered(self) -> None:
        count = sum(
            1
            for message in self._messages.values()
            if message.is_urgent and message.author_id == self._me and message.is_own_unsent
        )
        if count != self._undelivered:
            self._undelivered = count
            self.undelivered_urgent_changed.emit(count)
