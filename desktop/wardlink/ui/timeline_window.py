"""`TimelineWindow`: the rows of a timeline, as a window of positions kept in step with the store.

It holds positions (ints, the store's row keys), oldest at the top, newest at the bottom, and
asks the DB lane for pages of them: the newest page when a team opens, older pages through
`canFetchMore`/`fetchMore` once the reader scrolls to the top, the rows as they are now after a
change. What each row shows is `RowContents`' business; `TimelineModel` (the subclass) says it.

The rows are a window of at most `max_rows` of the team's messages: a list view lays out every
row it holds whenever rows come or go, so a window keeps that work the same at the 100,000th
message as at the first. Reading back in time, rows leave at the bottom (their positions are
kept, ints only, in `newer`); scrolling down again brings them back page by page. A search
result far back opens a window around it.

Qt's views call `fetchMore` by themselves whenever the *last* row is visible, which in a
newest-at-the-bottom timeline is always; so the window only offers older rows while the view
says the reader is at the top (`set_older_wanted`).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Signal

from wardlink.ui import view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline_content import RowContents
from wardlink.ui.view_queries import TimelinePage, TimelineRows

Index = QModelIndex | QPersistentModelIndex

PAGE_SIZE: Final = 100
MAX_ROWS: Final = 600


class TimelineWindow(QAbstractListModel):
    """A team's rows: positions paged in and out through the bridge.

    Signals:
    - team_loaded(str): the newest page of the team arrived (the view shows the newest row).
    - older_loaded(int): this many older rows were inserted at the top.
    - newer_loaded(int): this many rows came back at the bottom of a window scrolled back.
    - refreshed(): the rows were brought up to date after a change.
    - message_located(int): the row of a message `jump_to` was asked for.
    """

    team_loaded = Signal(str)
    older_loaded = Signal(int)
    newer_loaded = Signal(int)
    refreshed = Signal()
    message_located = Signal(int)

    def __init__(
        self,
        bridge: Bridge,
        *,
        me: str,
        page_size: int = PAGE_SIZE,
        max_rows: int = MAX_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._page_size = page_size
        self._max_rows = max(max_rows, 2 * page_size)
        self._newer: list[int] = []  # positions newer than the window, oldest first
        self._loading_newer = False
        self._team: str | None = None
        self._generation = 0
        self._positions: list[int] = []
        self._row_of: dict[int, int] = {}
        self._contents = RowContents(
            bridge, me=me, window=lambda: (self._positions, self._row_of), parent=self
        )
        self._has_older = False
        self._loading_older = False
        self._older_wanted = False
        self._refreshing = False
        self._refresh_again = False
        self._pending_jump: int | None = None
        self._contents.rows_vanished.connect(self.refresh)

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
            self._loading_older or self._loading_newer or self._refreshing or self._contents.loading
        )

    def position_at(self, row: int) -> int:
        return self._positions[row]

    def row_of_position(self, position: int) -> int | None:
        return self._row_of.get(position)

    # -- opening, refreshing, jumping ----------------------------------------------------------

    def open_team(self, team_id: str | None) -> None:
        """Show `team_id` (None: nothing). Loads the newest page; older ones load on demand."""
        self._generation += 1
        self.beginResetModel()
        self._team = team_id
        self._positions, self._row_of = [], {}
        self._contents.reset(team_id)
        self._has_older = self._loading_older = self._older_wanted = False
        self._newer, self._loading_newer = [], False
        self._refreshing = self._refresh_again = False
        self._pending_jump = None
        self.endResetModel()
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
        self._contents.new_window()
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
        self._contents.replace(page.messages, page.cards)
        self._has_older = page.has_older
        self._newer = list(page.newer)
        self.endResetModel()
        self._contents.refresh_receipts(self._lowest())
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
            view_queries.rows_at,
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

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._positions)

    # -- pages arriving ------------------------------------------------------------------------

    def _first_page(self, generation: int, page: TimelinePage) -> None:
        if generation != self._generation:
            return
        self._refreshing = False
        self._has_older = page.has_older
        if page.positions:
            self.beginInsertRows(QModelIndex(), 0, len(page.positions) - 1)
            self._set_positions(page.positions)
            self._contents.add(page.messages, page.cards)
            self.endInsertRows()
        self._contents.refresh_receipts(self._lowest())
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
            self._contents.add(
                {p: m for p, m in page.messages.items() if p in self._row_of}, page.cards
            )
            self.endInsertRows()
            # The row that was at the top may now continue the day or run above it.
            first = self.index(len(older), 0)
            self.dataChanged.emit(first, first)
            self._trim(bottom=True)
            self._contents.older_rows_came(self._positions[0])
        self.older_loaded.emit(len(older))

    def _newer_arrived(self, generation: int, chunk: list[int], found: TimelineRows) -> None:
        if generation != self._generation:
            return
        self._loading_newer = False
        if self._newer[: len(chunk)] != chunk:
            return  # the window changed meanwhile
        del self._newer[: len(chunk)]
        rows = [pos for pos in chunk if pos in found.messages]  # a retracted one is simply gone
        if rows:
            end = len(self._positions)
            self.beginInsertRows(QModelIndex(), end, end + len(rows) - 1)
            self._set_positions(self._positions + rows)
            self._contents.add(found.messages, found.cards)
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
        self._contents.forget(dropped)
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
        self._contents.refreshed(TimelineRows(page.messages, page.cards), self._row_of)
        self._contents.refresh_receipts(self._lowest())
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

    def _lowest(self) -> int | None:
        return self._positions[0] if self._positions else None
