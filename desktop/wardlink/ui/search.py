"""Search across all of the user's teams (Ctrl+K or Ctrl+F): newest first, matches highlighted,
Enter jumps to the message in its team's timeline."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.store.errors import StoreError
from wardlink.ui import view_queries
from wardlink.ui.bridge import Bridge
from wardlink.ui.rich_rows import RichTextRows
from wardlink.ui.search_highlight import highlighted_html, matched_spans
from wardlink.ui.theme import NHS_BLACK, NHS_WARM_YELLOW, colors_for
from wardlink.ui.timeline_grouping import clock_text, day_text, shown_time
from wardlink.ui.view_queries import SearchHit, SearchResults

Index = QModelIndex | QPersistentModelIndex

SEARCH_DELAY_MS: Final = 200
RESULT_LIMIT: Final = 50
HIGHLIGHT: Final = f"background-color: {NHS_WARM_YELLOW}; color: {NHS_BLACK}; font-weight: 600;"
HitRole: Final = Qt.ItemDataRole.UserRole + 1
TermsRole: Final = Qt.ItemDataRole.UserRole + 2


def when_text(hit: SearchHit, today: dt.date) -> str:
    return f"{day_text(shown_time(hit.message).date(), today)} {clock_text(hit.message)}"


class SearchResultsModel(QAbstractListModel):
    """The hits of the latest search, newest first."""

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._found = SearchResults("", ())

    def show(self, found: SearchResults) -> None:
        self.beginResetModel()
        self._found = found
        self.endResetModel()

    def hit_at(self, row: int) -> SearchHit | None:
        hits = self._found.hits
        return hits[row] if 0 <= row < len(hits) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._found.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        hit = self.hit_at(index.row()) if index.isValid() else None
        if hit is None:
            return None
        if role == HitRole:
            return hit
        if role == TermsRole:
            return self._found.terms
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            today = self._clock.now().astimezone().date()
            urgent = "Urgent. " if hit.message.is_urgent else ""
            return (
                f"{urgent}{hit.team_name}, {hit.message.author_name}, "
                f"{when_text(hit, today)}: {hit.message.body}"
            )
        if role == Qt.ItemDataRole.UserRole:
            return when_text(hit, self._clock.now().astimezone().date())
        return None


class SearchResultDelegate(RichTextRows):
    """A hit: its team, author and time, then the text with the matching words highlighted."""

    fallback_width = 400
    indent = 4

    def document(self, option: QStyleOptionViewItem, index: Index, width: int) -> QTextDocument:
        hit = index.data(HitRole)
        terms = index.data(TermsRole) or ()
        colors = colors_for(option.palette)
        message = hit.message
        urgent = (
            f'<span style="color:{colors.urgent}; font-weight:700">URGENT</span> · '
            if message.is_urgent
            else ""
        )
        body = highlighted_html(message.body, matched_spans(message.body, terms), style=HIGHLIGHT)
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(option.fontMetrics.height() * 0.5)
        document.setDefaultStyleSheet(f"body {{ color: {colors.text}; }}")
        document.setHtml(
            f'<div style="color:{colors.muted}; margin-bottom:3px">{urgent}'
            f"<b>{html.escape(hit.team_name)}</b> · {html.escape(message.author_name)} · "
            f"{html.escape(str(index.data(Qt.ItemDataRole.UserRole)))}</div>"
            f'<div style="color:{colors.text}">{body}</div>'
        )
        document.setTextWidth(width)
        return document


class SearchDialog(QDialog):
    """Search as you type.

    Signals:
    - message_chosen(str, int): the team id and timeline position of the chosen result.
    - results_shown(int): results for the current text are on screen (how many).
    """

    message_chosen = Signal(str, int)
    results_shown = Signal(int)

    def __init__(
        self,
        bridge: Bridge,
        *,
        timer: QTimer | None = None,
        clock: Clock = SYSTEM_CLOCK,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Search messages")
        self.setAccessibleName("Search messages")
        self.setModal(False)
        self._bridge = bridge
        self._clock = clock
        self.query = QLineEdit(self)
        self.query.setPlaceholderText("Search messages in all your teams")
        self.query.setAccessibleName("Search for")
        self.query.setClearButtonEnabled(True)
        self.status = QLabel("Type a word to search for.", self)
        self.status.setObjectName("hint")
        self.status.setAccessibleName("Search status")
        self.model = SearchResultsModel(clock, self)
        self.results = QListView(self)
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self.results.setItemDelegate(SearchResultDelegate(self.results))
        self.results.setUniformItemSizes(False)
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.hint = QLabel("↑ ↓ to choose · Enter opens the message in its team · Esc closes", self)
        self.hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.hint)
        width = self.fontMetrics().horizontalAdvance("M") * 56
        self.resize(width, int(width * 0.75))

        self._timer = timer or QTimer(self)
        if timer is None:
            self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.search_now)
        self.query.textChanged.connect(lambda _text: self._timer.start())
        self.query.returnPressed.connect(self.choose_current)
        self.query.installEventFilter(self)
        self.results.activated.connect(lambda _index: self.choose_current())

    def open_search(self) -> None:
        """Show, with the previous text selected so typing replaces it."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.query.setFocus()
        self.query.selectAll()

    def clear(self) -> None:
        """Forget the query and its results (the app is locking)."""
        self._timer.stop()
        self.query.blockSignals(True)
        self.query.setText("")  # unlike clear(), leaves no undo step that brings the words back
        self.query.blockSignals(False)
        self.model.show(SearchResults("", ()))
        self.status.setText("Type a word to search for.")
        self.hide()

    def search_now(self) -> None:
        self._timer.stop()
        text = self.query.text()
        if not text.strip():
            self.model.show(SearchResults(text, ()))
            self.status.setText("Type a word to search for.")
            self.results_shown.emit(0)
            return
        self.status.setText("Searching…")
        self._bridge.run(
            view_queries.search_everywhere,
            text,
            RESULT_LIMIT,
            on_done=self._arrived,
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StoreError):
            raise exc
        self.status.setText(exc.message)

    def _arrived(self, found: SearchResults) -> None:
        if found.text != self.query.text():
            return  # typed on since: a newer search is coming
        self.model.show(found)
        count = len(found.hits)
        if count:
            self.results.setCurrentIndex(self.model.index(0, 0))
            more = " (the newest 50)" if count >= RESULT_LIMIT else ""
            self.status.setText(f"{count} message{'s' if count != 1 else ''} found{more}")
        else:
            self.status.setText("No messages match.")
        self.results_shown.emit(count)

    def current_hit(self) -> SearchHit | None:
        return self.model.hit_at(self.results.currentIndex().row())

    def choose_current(self) -> None:
        if self._timer.isActive():
            self.search_now()
            return
        hit = self.current_hit()
        if hit is None:
            return
        self.message_chosen.emit(hit.message.team_id, hit.position)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up and Down in the search box move through the results."""
        if watched is self.query and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()))
            count = self.model.rowCount()
            if step is not None and count:
                row = max(0, min(count - 1, self.results.currentIndex().row() + step))
                self.results.setCurrentIndex(self.model.index(row, 0))
                return True
        return super().eventFilter(watched, event)
