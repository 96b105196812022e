"""`TimelineView`: the list that shows a `TimelineModel`, newest at the bottom.

It keeps the reader's place: at the bottom it follows new messages; scrolled up, it holds the
message at the top of the screen still while older pages arrive above it or heights change.
Reaching the top asks the model for older messages. Every action on a message is reachable from
the keyboard: Enter (or the menu key) on a message opens its actions; on a note card, Enter (or
a double-click, or "Open note" in its menu) opens the note.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QStyleOptionViewItem,
    QWidget,
)

from wardlink.core.model import Message
from wardlink.ui.bubble_layout import ACTION_LABELS, menu_actions
from wardlink.ui.timeline import TimelineModel
from wardlink.ui.timeline_cards import CardText
from wardlink.ui.timeline_delegate import BubbleDelegate
from wardlink.ui.timeline_rows import CachedMessageRole, CardRole, PositionRole


@dataclass(frozen=True)
class _Anchor:
    at_bottom: bool
    position: int | None = None
    message_id: str | None = None
    offset: int = 0
    current_id: str | None = None


class TimelineView(QListView):
    """Shows one team's messages.

    Signals:
    - action_requested(str, object): the reader chose an action on a message ("acknowledge",
      "edit", "retry", "discard", "retract") and the Message.
    - menu_opened(QMenu): a message's action menu opened (not modal: it closes on a choice).
    - note_card_activated(str): the reader opened a note card: the note's id.
    """

    action_requested = Signal(str, object)
    menu_opened = Signal(object)
    note_card_activated = Signal(str)

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setAccessibleName("Messages")
        self.setAccessibleDescription(
            "The team's messages, newest at the bottom. Press Enter on a message for its "
            "actions, or on a note card to open the note."
        )
        self._model = model
        self.setModel(model)
        self._delegate = BubbleDelegate(self)
        self.setItemDelegate(self._delegate)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setUniformItemSizes(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.verticalScrollBar().setSingleStep(max(8, self.fontMetrics().height()))

        self._anchor: _Anchor | None = None
        self._restoring = False
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(0)
        self._relayout_timer.timeout.connect(self._relayout)

        self._delegate.action_triggered.connect(self._act)
        model.team_loaded.connect(self._team_loaded)
        model.heights_changed.connect(self._relayout_timer.start)
        model.message_located.connect(self._show_row)
        model.rowsAboutToBeInserted.connect(self._capture_anchor)
        model.rowsRemoved.connect(self._restore_anchor)
        model.modelAboutToBeReset.connect(self._capture_anchor)
        model.modelReset.connect(self._after_reset)
        model.dataChanged.connect(self._rows_changed)

    @property
    def delegate(self) -> BubbleDelegate:
        return self._delegate

    # -- keeping the reader's place ------------------------------------------------------------

    def is_at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2

    def _anchor_now(self) -> _Anchor:
        current = (
            self.currentIndex().data(CachedMessageRole) if self.currentIndex().isValid() else None
        )
        current_id = current.id if isinstance(current, Message) else None
        if self.is_at_bottom() and not self._model.has_newer:
            return _Anchor(at_bottom=True, current_id=current_id)
        top = self.indexAt(QPoint(self.viewport().width() // 2, 0))
        if not top.isValid():
            return _Anchor(at_bottom=True, current_id=current_id)
        message = top.data(CachedMessageRole)
        return _Anchor(
            at_bottom=False,
            position=top.data(PositionRole),
            message_id=message.id if isinstance(message, Message) else None,
            offset=self.visualRect(top).top(),
            current_id=current_id,
        )

    def _capture_anchor(self, *_args: object) -> None:
        if self._anchor is None:
            self._anchor = self._anchor_now()

    def _restore_anchor(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        # While the rows are laid out again the scroll bar passes through values (clamped to
        # a new maximum) the reader never chose: they must not ask for more rows.
        self._restoring = True
        self._model.set_older_wanted(False)
        try:
            self._put_back(anchor)
        finally:
            self._restoring = False
        self._update_older_wanted()

    def _put_back(self, anchor: _Anchor) -> None:
        self.doItemsLayout()
        if anchor.current_id is not None and not self.currentIndex().isValid():
            row = self._model.row_of_message(anchor.current_id)
            if row is not None:
                self.selectionModel().setCurrentIndex(
                    self._model.index(row, 0), self.selectionModel().SelectionFlag.NoUpdate
                )
        if anchor.at_bottom:
            self.scrollToBottom()
        else:
            row = None
            if anchor.position is not None:
                row = self._model.row_of_position(anchor.position)
            if row is None and anchor.message_id is not None:
                row = self._model.row_of_message(anchor.message_id)
            if row is not None:
                rect = self.visualRect(self._model.index(row, 0))
                bar = self.verticalScrollBar()
                bar.setValue(bar.value() + rect.top() - anchor.offset)

    def rowsInserted(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        super().rowsInserted(parent, start, end)
        self._restore_anchor()

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        self._capture_anchor()  # before the list lets go of the rows' geometry
        self._delegate.forget(
            self._model.position_at(row)
            for row in range(start, end + 1)
            if 0 <= row < self._model.rowCount()
        )
        super().rowsAboutToBeRemoved(parent, start, end)

    def _after_reset(self) -> None:
        self._delegate.forget_all()
        self._restore_anchor()

    def _rows_changed(self, first: QModelIndex, last: QModelIndex, *_roles: object) -> None:
        """Rows whose message (or day, or author line) changed are measured again, and laid
        out at once around the reader's place (the list would otherwise lay itself out before
        the place is taken, and lose the bottom it was following)."""
        model = self._model
        self._delegate.forget(
            model.position_at(row)
            for row in range(first.row(), last.row() + 1)
            if 0 <= row < model.rowCount()
        )
        self._relayout()

    def _relayout(self) -> None:
        self._capture_anchor()
        self._restore_anchor()

    def _team_loaded(self, _team: str) -> None:
        self.doItemsLayout()
        rows = self._model.rowCount()
        if rows:
            self.selectionModel().setCurrentIndex(
                self._model.index(rows - 1, 0), self.selectionModel().SelectionFlag.NoUpdate
            )
        self.scrollToBottom()
        self._update_older_wanted()

    def _show_row(self, row: int) -> None:
        self.doItemsLayout()
        index = self._model.index(row, 0)
        self.selectionModel().setCurrentIndex(index, self.selectionModel().SelectionFlag.NoUpdate)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def scroll_to_newest(self) -> None:
        if self._model.show_newest():
            return  # the newest page loads, and `team_loaded` scrolls to it
        rows = self._model.rowCount()
        if rows:
            self.selectionModel().setCurrentIndex(
                self._model.index(rows - 1, 0), self.selectionModel().SelectionFlag.NoUpdate
            )
        self.scrollToBottom()

    # -- older messages when the reader reaches the top ----------------------------------------

    def verticalScrollbarValueChanged(self, value: int) -> None:
        # Before Qt's own handler, which fetches more whenever the bar is at its maximum.
        if not self._restoring:
            self._update_older_wanted()
        super().verticalScrollbarValueChanged(value)

    def _update_older_wanted(self) -> None:
        bar, margin = self.verticalScrollBar(), self.viewport().height() // 2
        at_top = bar.value() <= margin
        self._model.set_older_wanted(at_top)
        if at_top and self._model.canFetchMore(QModelIndex()):
            self._model.fetchMore(QModelIndex())
        if self._model.has_newer and bar.value() >= bar.maximum() - margin:
            self._model.fetch_newer()  # a window scrolled back: the next page down comes

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._delegate.forget_all()  # every row's height depends on the font
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        at_bottom = self.is_at_bottom()
        super().resizeEvent(event)
        if at_bottom:
            self.doItemsLayout()
            self.scrollToBottom()

    # -- the keyboard and the context menu -----------------------------------------------------

    def keyboardSearch(self, search: str) -> None:
        """Typing letters does not jump between messages (and would fetch every row)."""

    def focusInEvent(self, event: QFocusEvent) -> None:
        if not self.currentIndex().isValid() and self._model.rowCount():
            self.selectionModel().setCurrentIndex(
                self._model.index(self._model.rowCount() - 1, 0),
                self.selectionModel().SelectionFlag.NoUpdate,
            )
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Menu):
            index = self.currentIndex()
            opens = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if index.isValid() and not (opens and self._open_card(index)):
                self._open_menu(index, self.visualRect(index).center())
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and index.isValid():
            self.selectionModel().setCurrentIndex(
                index, self.selectionModel().SelectionFlag.NoUpdate
            )
            if self._open_card(index):
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def _open_card(self, index: QModelIndex) -> bool:
        """Open the note of the card at `index`; False if it is no card, or its note is not here."""
        card = index.data(CardRole)
        if not isinstance(card, CardText) or not card.openable:
            return False
        self.note_card_activated.emit(card.note_id)
        return True

    def _act(self, action: str, message: Message) -> None:
        """A button or menu choice: a card's note opens here; the rest go to the window."""
        if action == "open_note":
            card = self._model.card_of(message)
            if card is not None and card.openable:
                self.note_card_activated.emit(card.note_id)
            return
        self.action_requested.emit(action, message)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
        if index.isValid():
            self._open_menu(index, self.visualRect(index).center())

    def button_rect(self, row: int, action: str) -> QRect | None:
        """Where a message's button is, in viewport coordinates (None if it has none)."""
        index = self._model.index(row, 0)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return self._delegate.button_rect(option, index, action)

    def current_message(self) -> Message | None:
        index = self.currentIndex()
        message = index.data(CachedMessageRole) if index.isValid() else None
        return message if isinstance(message, Message) else None

    def actions_for(self, message: Message) -> list[str]:
        card = self._model.card_of(message)
        openable = card is not None and card.openable
        return menu_actions(message, own=self._model.is_own(message), openable=openable)

    def _open_menu(self, index: QModelIndex, where: QPoint) -> None:
        message = index.data(CachedMessageRole)
        if not isinstance(message, Message):
            return
        actions = self.actions_for(message)
        if not actions:
            return
        menu = QMenu(self)
        menu.setAccessibleName("Message actions")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in actions:
            item = menu.addAction(ACTION_LABELS[action])
            item.setData(action)
        menu.triggered.connect(lambda item: self._act(str(item.data()), message))
        self.menu_opened.emit(menu)
        menu.popup(self.viewport().mapToGlobal(where))
