"""`TimelineModel`: one team's messages as a lazy list, and what each row offers its view.

The rows are positions in a window that pages in and out (`TimelineWindow`); what a row shows,
its message, the note card it is drawn as and who has read it, is fetched lazily by
`RowContents`, in small chunks when the view paints rows it does not have. A team of a million
messages opens as fast as one of ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.model import Message
from wardlink.store.changes import Changes
from wardlink.ui.bridge import Bridge
from wardlink.ui.timeline_cards import CardText
from wardlink.ui.timeline_grouping import day_label, starts_group
from wardlink.ui.timeline_rows import (
    CachedMessageRole,
    CardRole,
    DayLabelRole,
    GroupStartRole,
    MessageRole,
    OwnRole,
    PositionRole,
    SeenRole,
    ranges,
    spoken_text,
)
from wardlink.ui.timeline_window import MAX_ROWS, PAGE_SIZE, TimelineWindow

Index = QModelIndex | QPersistentModelIndex

__all__ = ["MAX_ROWS", "PAGE_SIZE", "TimelineModel"]


class TimelineModel(TimelineWindow):
    """One team's timeline. Rows are positions; messages are fetched through the bridge.

    Signals (and those of `TimelineWindow`: team_loaded, older_loaded, newer_loaded, refreshed,
    message_located):
    - heights_changed(): rows changed in ways that can change their size (their message, note
      card or "Seen by" line).
    - undelivered_urgent_changed(int): how many of my urgent messages here are not delivered.
    """

    heights_changed = Signal()
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
        super().__init__(bridge, me=me, page_size=page_size, max_rows=max_rows, parent=parent)
        self._me = me
        self._clock = clock
        self._contents.rows_updated.connect(self._rows_updated)
        self._contents.undelivered_urgent_changed.connect(self.undelivered_urgent_changed)
        bridge.changed.connect(self.on_changes)

    # -- what the view and the window ask ------------------------------------------------------

    @property
    def undelivered_urgent(self) -> int:
        return self._contents.undelivered_urgent

    def cached_count(self) -> int:
        return len(self._contents)

    def row_of_message(self, message_id: str) -> int | None:
        pos = self._contents.position_of(message_id)
        return None if pos is None else self._row_of.get(pos)

    def message_at(self, row: int) -> Message | None:
        """The cached message of `row` (None while it is being fetched)."""
        if not 0 <= row < len(self._positions):
            return None
        return self._contents.message(self._positions[row])

    def newest_seq(self) -> int | None:
        """The highest server sequence number loaded: what "read up to" means."""
        for pos in reversed(self._positions):
            message = self._contents.message(pos)
            if message is not None and message.seq is not None:
                return message.seq
        return None

    def is_own(self, message: Message) -> bool:
        return message.author_id == self._me

    def card_of(self, message: Message) -> CardText | None:
        """The note card a message is drawn as (None: an ordinary message)."""
        return self._contents.card(message)

    def on_changes(self, changes: Changes) -> None:
        """Refresh when a change concerns this team (its receipts come again with its rows)."""
        if self._team is None:
            return
        if self._team in changes.purged:
            self.open_team(None)
            return
        if self._team in changes.messages:
            self.refresh()
        self._contents.on_changes(changes, self._lowest())

    # -- QAbstractListModel --------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._positions):
            return None
        row = index.row()
        pos = self._positions[row]
        message = self._contents.message(pos)
        if role == MessageRole:
            self._contents.want(pos)
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
            return spoken_text(
                message,
                own=self.is_own(message),
                card=self._contents.card(message),
                seen=self._contents.seen(message),
            )
        if message is None:
            return None
        if role == CardRole:
            return self._contents.card(message)
        if role == SeenRole:
            return self._contents.seen(message)
        if role == Qt.ItemDataRole.ToolTipRole:
            seen = self._contents.seen(message)
            return None if seen is None else seen.full
        previous = self._contents.message(self._positions[row - 1]) if row > 0 else None
        if role == DayLabelRole:
            return day_label(previous, message, self._clock.now().astimezone().date())
        if role == GroupStartRole:
            return starts_group(previous, message)
        return None

    def _rows_updated(self, positions: Sequence[int]) -> None:
        """What some rows show changed: they (and the rows under them, whose day separator or
        author line may change with them) are measured and painted again."""
        changed: set[int] = set()
        for pos in positions:
            row = self._row_of.get(pos)
            if row is not None:
                changed.add(row)
                if row + 1 < len(self._positions):
                    changed.add(row + 1)
        if not changed:
            return
        for first, last in ranges(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0))
        self.heights_changed.emit()
