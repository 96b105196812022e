"""`TimelineModel`: one team's messages as a lazy list of positions.

The model holds positions (ints, the store's row keys), oldest at the top, newest at the bottom,
and a cache of the Message rows it has fetched. It starts with the newest page; older pages come
through `canFetchMore`/`fetchMore` once the reader scrolls to the top; rows missing from the
cache (after a jump, or made stale by a change) are fetched in small chunks when the view paints
them. A team of a million messages opens as fast as one of ten.

The rows are a window of at most `max_rows` of the team's messages: a list view lays out every
row it holds whenever rows come or go, so a window keeps that work the same at the 100,000th
message as at the first. Reading back in time, rows leave at the bottom (their positions are
kept, ints only, in `newer`); scrolling down again brings them back page by page. A search
result far back opens a window around it.

Qt's views call `fetchMore` by themselves whenever the *last* row is visible, which in a
newest-at-the-bottom timeline is always; so the model only offers older rows while the view says
the reader is at the top (`set_older_wanted`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.model import Message
from wardlink.store import messages as message_ops
from wardlink.store.changes import Changes
from wardlink.ui import view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline_grouping import day_label, starts_group
from wardlink.ui.timeline_rows import (
    CachedMessageRole,
    DayLabelRole,
    GroupStartRole,
    MessageRole,
    OwnRole,
    PositionRole,
    chunk_to_fetch,
    ranges,
    spoken_text,
)
from wardlink.ui.view_queries import TimelinePage

Index = QModelIndex | QPersistentModelIndex

PAGE_SIZE: Final = 100
MAX_ROWS: Final = 600


class TimelineModel(QAbstractListModel):
    """One team's timeline. Rows are positions; messages are fetched through the bridge.

    Signals:
    - team_loaded(str): the newest page of the team arrived (the view shows the newest row).
    - older_loaded(int): this many older rows were inserted at the top.
    - newer_loaded(int): this many rows came back at the bottom of a window scrolled back.
    - refreshed(): the rows were brought up to date after a change.
    - heights_changed(): cached messages changed in ways that can change their size.
    - message_located(int): the row of a message `jump_to` was asked for.
    - undelivered_urgent_changed(int): how many of my urgent messages here are not delivered.
    """

    team_loaded = Signal(str)
    older_loaded = Signal(int)
    newer_loaded = Signal(int)
    refreshed = Signal()
    heights_changed = Signal()
    message_located = Signal(int)
    undelivered_urgent_changed = Signal(int)

    def __init__(
        self,
        bridge: Bridge,
        *,
        me: str,
        clock: Clock = SYSTEM_CLOCK,
        page_size: int = PAGE_SIZE,
        max_rows: int = MAX_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._me = me
        self._clock = clock
        self._page_size = page_size
        self._max_rows = max(max_rows, 2 * page_size)
        self._newer: list[int] = []  # positions newer than the window, oldest first
        self._loading_newer = False
        self._team: str | None = None
        self._generation = 0
        self._positions: list[int] = []
        self._row_of: dict[int, int] = {}
        self._cache: dict[int, Message] = {}
        self._stale: set[int] = set()
        self._requested: set[int] = set()
        self._wanted: set[int] = set()
        self._has_older = False
        self._loading_older = False
        self._older_wanted = False
        self._refreshing = False
        self._refresh_again = False
        self._pending_jump: int | None = None
        self._undelivered = 0
        self._fetch_timer = QTimer(self)
        self._fetch_timer.setSingleShot(True)
        self._fetch_timer.setInterval(0)
        self._fetch_timer.timeout.connect(self._fetch_wanted)
        bridge.changed.connect(self.on_changes)

    # -- what the view and the window ask ------------------------------------------------------

    @property
    def team_id(self) -> str | None:
        return self._team

    @property
    def has_older(self) -> bool:
        return self._has_older

    @property
    def has_newer(self) -> bool:
        """The window does not reach the team's newest message (the reader scrolled back)."""
        return bool(self._newer)

    @property
    def loading(self) -> bool:
        return (
            self._loading_older or self._loading_newer or self._refreshing or bool(self._requested)
        )

    @property
    def undelivered_urgent(self) -> int:
        return self._undelivered

    def cached_count(self) -> int:
        return len(self._cache)

    def position_at(self, row: int) -> int:
        return self._positions[row]

    def row_of_position(self, position: int) -> int | None:
        return self._row_of.get(position)

    def row_of_message(self, message_id: str) -> int | None:
        for pos, message in self._cache.items():
            if message.id == message_id:
                return self._row_of.get(pos)
        return None

    def message_at(self, row: int) -> Message | None:
        """The cached message of `row` (None while it is being fetched)."""
        if not 0 <= row < len(self._positions):
            return None
        return self._cache.get(self._positions[row])

    def newest_seq(self) -> int | None:
        """The highest server sequence number loaded: what "read up to" means."""
        for pos in reversed(self._positions):
            message = self._cache.get(pos)
            if message is not None and message.seq is not None:
                return message.seq
        return None

    def is_own(self, message: Message) -> bool:
        return message.author_id == self._me

    # -- opening, refreshing, jumping ----------------------------------------------------------

    def open_team(self, team_id: str | None) -> None:
        """Show `team_id` (None: nothing). Loads the newest page; older ones load on demand."""
        self._generation += 1
        self.beginResetModel()
        self._team = team_id
        self._positions, self._row_of = [], {}
        self._cache.clear()
        self._stale.clear()
        self._requested.clear()
        self._wanted.clear()
        self._has_older = self._loading_older = self._older_wanted = False
        self._newer, self._loading_newer = [], False
        self._refreshing = self._refresh_again = False
        self._pending_jump = None
        self.endResetModel()
        self._update_undelivered()
        if team_id is None:
            return
        generation = self._generation
        self._refreshing = True
        self._bridge.run(
            view_queries.older_page,
            team_id,
            None,
            self._page_size,
            on_done=lambda page: self._first_page(generation, page),
        )

    def clear(self) -> None:
        self.open_team(None)

    def on_changes(self, changes: Changes) -> None:
        """Refresh when a change concerns this team."""
        if self._team is None:
            return
        if self._team in changes.purged:
            self.open_team(None)
        elif self._team in changes.messages:
            self.refresh()

    def refresh(self) -> None:
        """Bring the loaded rows up to date (coalesced: one refresh in flight at a time)."""
        if self._team is None:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        lowest = self._positions[0] if self._positions else None
        if self._pending_jump is not None and lowest is not None:
            lowest = min(lowest, self._pending_jump)
        # A window scrolled back stays where it is; what is newer waits in `_newer`.
        highest = self._positions[-1] if self._newer and self._positions else None
        self._refreshing = True
        generation = self._generation
        self._bridge.run(
            view_queries.refreshed_page,
            self._team,
            lowest,
            self._page_size,
            self._pending_jump,
            highest,
            on_done=lambda page: self._refreshed(generation, page),
        )

    def jump_to(self, position: int) -> None:
        """Show `position`: `message_located` gives its row. Just above the window the rows
        are loaded down to it; further away a window opens around it."""
        row = self._row_of.get(position)
        if row is not None:
            self.message_located.emit(row)
            return
        oldest = self._positions[0] if self._positions else None
        near = (
            oldest is not None
            and not self._newer
            and (position > oldest or oldest - position <= self._page_size)
            and len(self._positions) + self._page_size <= self._max_rows
        )
        if near:
            self._pending_jump = position
            self.refresh()
        else:
            self._open_around(position)

    def _open_around(self, position: int) -> None:
        if self._team is None:
            return
        self._generation += 1
        generation = self._generation
        self._requested.clear()
        self._wanted.clear()
        self._loading_older = self._loading_newer = False
        self._refresh_again = False
        self._pending_jump = None
        self._refreshing = True
        self._bridge.run(
            view_queries.page_around,
            self._team,
            position,
            2 * self._page_size,
            on_done=lambda page: self._around(generation, position, page),
        )

    def _around(self, generation: int, position: int, page: TimelinePage) -> None:
        if generation != self._generation:
            return
        self._refreshing = False
        self.beginResetModel()
        self._set_positions(page.positions)
        self._cache = dict(page.messages)
        self._stale.clear()
        self._has_older = page.has_older
        self._newer = list(page.newer)
        self.endResetModel()
        self._update_undelivered()
        row = self._row_of.get(position)
        if row is not None:
            self.message_located.emit(row)

    def show_newest(self) -> bool:
        """Bring the window back to the newest messages; False if it is there already."""
        if not self._newer or self._team is None:
            return False
        self.open_team(self._team)
        return True

    def fetch_newer(self) -> None:
        """The reader reached the bottom of a window scrolled back: the next page comes."""
        if not self._newer or self._loading_newer or self._refreshing or self._team is None:
            return
        chunk = self._newer[: self._page_size]
        self._loading_newer = True
        generation = self._generation
        self._bridge.run(
            message_ops.messages_at,
            chunk,
            on_done=lambda found: self._newer_arrived(generation, chunk, found),
        )

    # -- Qt's lazy-loading protocol ------------------------------------------------------------

    def set_older_wanted(self, wanted: bool) -> None:
        """The view says whether the reader is at the top, where older messages are wanted."""
        self._older_wanted = wanted

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and self._team is not None
            and self._has_older
            and self._older_wanted
            and not self._loading_older
            and not self._refreshing
            and bool(self._positions)
        )

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading_older = True
        generation = self._generation
        assert self._team is not None
        self._bridge.run(
            view_queries.older_page,
            self._team,
            self._positions[0],
            self._page_size,
            on_done=lambda page: self._older_page(generation, page),
        )

    # -- QAbstractListModel --------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._positions)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._positions):
            return None
        row = index.row()
        pos = self._positions[row]
        message = self._cache.get(pos)
        if role == MessageRole:
            if message is None or pos in self._stale:
                self._want(pos)
            return message
        if role == CachedMessageRole:
            return message
        if role == PositionRole:
            return pos
        if role == OwnRole:
            return None if message is None else self.is_own(message)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if message is None:
                return "Loading message"
            return spoken_text(message, own=self.is_own(message))
        if message is None:
            return None
        previous = self._cache.get(self._positions[row - 1]) if row > 0 else None
        if role == DayLabelRole:
            return day_label(previous, message, self._clock.now().astimezone().date())
        if role == GroupStartRole:
            return starts_group(previous, message)
        return None

    # -- results arriving ----------------------------------------------------------------------

    def _first_page(self, generation: int, page: TimelinePage) -> None:
        if generation != self._generation:
            return
        self._refreshing = False
        self._has_older = page.has_older
        if page.positions:
            self.beginInsertRows(QModelIndex(), 0, len(page.positions) - 1)
            self._set_positions(page.positions)
            self._cache.update(page.messages)
            self.endInsertRows()
        self._update_undelivered()
        assert self._team is not None
        self.team_loaded.emit(self._team)
        self._after_refresh()

    def _older_page(self, generation: int, page: TimelinePage) -> None:
        if generation != self._generation:
            return
        self._loading_older = False
        top = self._positions[0] if self._positions else None
        older = [p for p in page.positions if top is None or p < top]
        self._has_older = page.has_older
        if older:
            self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
            self._set_positions(older + self._positions)
            self._cache.update({p: m for p, m in page.messages.items() if p in self._row_of})
            self.endInsertRows()
            # The row that was at the top may now continue the day or run above it.
            first = self.index(len(older), 0)
            self.dataChanged.emit(first, first)
            self._trim(bottom=True)
        self.older_loaded.emit(len(older))

    def _newer_arrived(self, generation: int, chunk: list[int], found: dict[int, Message]) -> None:
        if generation != self._generation:
            return
        self._loading_newer = False
        if self._newer[: len(chunk)] != chunk:
            return  # the window changed meanwhile
        del self._newer[: len(chunk)]
        rows = [pos for pos in chunk if pos in found]  # a retracted one is simply gone
        if rows:
            end = len(self._positions)
            self.beginInsertRows(QModelIndex(), end, end + len(rows) - 1)
            self._set_positions(self._positions + rows)
            self._cache.update({pos: found[pos] for pos in rows})
            self.endInsertRows()
            self._trim(bottom=False)
        self.newer_loaded.emit(len(rows))
        if not self._newer:
            self.refresh()  # at the newest again: whatever arrived meanwhile comes in

    def _trim(self, *, bottom: bool) -> None:
        """Keep the window at `max_rows`: drop rows at the bottom (kept as positions in
        `_newer`) or at the top (older ones load again on demand)."""
        extra = len(self._positions) - self._max_rows
        if extra <= 0:
            return
        if bottom:
            first, last = len(self._positions) - extra, len(self._positions) - 1
            dropped = self._positions[first:]
            kept = self._positions[:first]
        else:
            first, last = 0, extra - 1
            dropped = self._positions[:extra]
            kept = self._positions[extra:]
        self.beginRemoveRows(QModelIndex(), first, last)
        self._set_positions(kept)
        for pos in dropped:
            self._cache.pop(pos, None)
            self._stale.discard(pos)
        if bottom:
            self._newer[:0] = dropped
        else:
            self._has_older = True
        self.endRemoveRows()
        if not bottom and self._positions:
            top = self.index(0, 0)
            self.dataChanged.emit(top, top)  # the new top row: its day and author show now

    def _refreshed(self, generation: int, page: TimelinePage) -> None:
        if generation != self._generation:
            return
        self._refreshing = False
        old = self._positions
        new = page.positions
        if new == old:
            pass
        elif new[: len(old)] == old:
            self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
            self._set_positions(new)
            self.endInsertRows()
        else:
            self.beginResetModel()
            self._set_positions(new)
            self.endResetModel()
        self._has_older = page.has_older
        for pos in list(self._cache):
            if pos not in self._row_of:
                del self._cache[pos]
        self._stale = set(self._cache) - set(page.messages)
        self._store_rows(page.messages, page.messages.keys())
        self._update_undelivered()
        self.refreshed.emit()
        self._after_refresh()

    def _after_refresh(self) -> None:
        if self._pending_jump is not None:
            row = self._row_of.get(self._pending_jump)
            if row is not None:
                self._pending_jump = None
                self.message_located.emit(row)
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _set_positions(self, positions: list[int]) -> None:
        self._positions = positions
        self._row_of = {pos: row for row, pos in enumerate(positions)}

    # -- rows fetched on demand ----------------------------------------------------------------

    def _want(self, pos: int) -> None:
        if pos in self._requested or pos in self._wanted:
            return
        self._wanted.add(pos)
        self._fetch_timer.start()

    def _fetch_wanted(self) -> None:
        if self._team is None:
            self._wanted.clear()
            return
        chunk = chunk_to_fetch(
            self._wanted,
            self._positions,
            self._row_of,
            lambda pos: (
                pos not in self._requested and (pos not in self._cache or pos in self._stale)
            ),
        )
        self._wanted.clear()
        if not chunk:
            return
        self._requested.update(chunk)
        generation = self._generation
        self._bridge.run(
            message_ops.messages_at,
            sorted(chunk),
            on_done=lambda found: self._rows_fetched(generation, chunk, found),
        )

    def _rows_fetched(self, generation: int, chunk: list[int], found: dict[int, Message]) -> None:
        if generation != self._generation:
            return
        self._requested.difference_update(chunk)
        gone = [pos for pos in chunk if pos not in found and pos in self._row_of]
        self._store_rows(found, chunk)
        self._update_undelivered()
        if gone:
            self.refresh()  # retracted, or moved when it was sent: positions changed

    def _store_rows(self, found: dict[int, Message], asked: Iterable[int]) -> None:
        changed_rows: list[int] = []
        for pos in asked:
            row = self._row_of.get(pos)
            self._stale.discard(pos)
            if row is None or pos not in found:
                continue
            before = self._cache.get(pos)
            self._cache[pos] = found[pos]
            if before != found[pos]:
                changed_rows.append(row)
                if row + 1 < len(self._positions):
                    changed_rows.append(row + 1)  # its day separator or author line may change
        if not changed_rows:
            return
        for first, last in ranges(sorted(set(changed_rows))):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0))
        self.heights_changed.emit()

    def _update_undelivered(self) -> None:
        count = sum(
            1
            for message in self._cache.values()
            if message.is_urgent and self.is_own(message) and message.is_own_unsent
        )
        if count != self._undelivered:
            self._undelivered = count
            self.undelivered_urgent_changed.emit(count)
