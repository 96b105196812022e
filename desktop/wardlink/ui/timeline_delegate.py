"""Paints the timeline's rows as chat bubbles and turns clicks on their buttons into actions.

Mine on the right with whether they have gone ("Waiting to send", "Sent ✓", "Not sent — why"
with Edit / Retry / Discard); others' on the left with the author's name; urgent ones in red
with an URGENT label and, for others' urgent ones, an Acknowledge button. A message that shares
a note is drawn as a card (a form glyph, the form's title, who filed it, "Open note"); under
the newest of my messages someone has read, a quiet "Seen by" line, every name in its tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from wardlink.core.model import Message, MessageState
from wardlink.ui.bubble_layout import (
    ACTION_LABELS,
    Fonts,
    RowContent,
    RowGeometry,
    ack_text,
    button_at,
    draw_line,
    draw_text,
    layout_row,
    meta_text,
    rounded,
    warning_text,
)
from wardlink.ui.theme import Colors, colors_for
from wardlink.ui.timeline_card_paint import paint_card
from wardlink.ui.timeline_cards import CardText
from wardlink.ui.timeline_grouping import clock_text
from wardlink.ui.timeline_receipts import SeenBy
from wardlink.ui.timeline_rows import (
    CachedMessageRole,
    CardRole,
    DayLabelRole,
    GroupStartRole,
    MessageRole,
    OwnRole,
    PositionRole,
    SeenRole,
)

Index = QModelIndex | QPersistentModelIndex

PLACEHOLDER_LINES: Final = 2.6  # rows not fetched yet: about one short message high
SIZE_CACHE_LIMIT: Final = 5_000  # a few windows' worth of rows (see TimelineModel)


class BubbleDelegate(QStyledItemDelegate):
    """Paints one message a row.

    Signals:
    - action_triggered(str, object): a bubble's button was clicked: the action ("acknowledge",
      "edit", "retry", "discard", "open_note") and the Message.
    """

    action_triggered = QtSignal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sizes: dict[tuple[object, ...], RowGeometry] = {}
        # Row heights by position, with the width they were measured at: the list view asks
        # for every row's size whenever rows come or go, so the answer must be a lookup. The
        # view says which rows changed or left.
        self._heights: dict[int, tuple[int, int]] = {}

    def forget(self, positions: Iterable[int]) -> None:
        """Measure these rows again (their message, day line or author line changed), or
        forget them (they left the timeline's window)."""
        for pos in positions:
            self._heights.pop(pos, None)

    def forget_all(self) -> None:
        self._heights.clear()

    # -- measuring -----------------------------------------------------------------------------

    def _content(self, index: Index, role: int) -> RowContent | None:
        message = index.data(role)
        if not isinstance(message, Message):
            return None
        card = index.data(CardRole)
        seen = index.data(SeenRole)
        return RowContent(
            message=message,
            own=bool(index.data(OwnRole)),
            day=index.data(DayLabelRole),
            show_author=bool(index.data(GroupStartRole)),
            clock=clock_text(message),
            card=card if isinstance(card, CardText) else None,
            seen=seen.short if isinstance(seen, SeenBy) else None,
        )

    def geometry(self, content: RowContent, width: int, fonts: Fonts) -> RowGeometry:
        key = (content, width, fonts.body.key())
        found = self._sizes.get(key)
        if found is None:
            if len(self._sizes) > SIZE_CACHE_LIMIT:
                self._sizes.clear()
            found = self._sizes[key] = layout_row(content, width, fonts)
        return found

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        width = _row_width(option)
        pos = index.data(PositionRole)
        known = self._heights.get(pos)
        if known is not None and known[0] == width:
            return QSize(width, known[1])
        content = self._content(index, CachedMessageRole)
        if content is None:
            return QSize(width, round(option.fontMetrics.height() * PLACEHOLDER_LINES))
        height = self.geometry(content, width, Fonts.from_font(option.font)).height
        if len(self._heights) > SIZE_CACHE_LIMIT:
            self._heights.clear()
        self._heights[pos] = (width, height)
        return QSize(width, height)

    # -- painting ------------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        content = self._content(index, MessageRole)
        colors = colors_for(option.palette)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(option.rect.topLeft())
        if content is None:
            self._paint_placeholder(painter, option, colors)
        else:
            fonts = Fonts.from_font(option.font)
            geometry = self.geometry(content, option.rect.width(), fonts)
            focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
            self._paint_row(painter, content, geometry, fonts, colors, focused=focused)
        painter.restore()

    def _paint_placeholder(
        self, painter: QPainter, option: QStyleOptionViewItem, colors: Colors
    ) -> None:
        unit = option.fontMetrics.height()
        rect = QRect(unit, round(unit * 0.4), unit * 12, round(unit * 1.8))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colors.border))
        painter.drawRoundedRect(rounded(rect), unit * 0.5, unit * 0.5)

    def _paint_row(
        self,
        painter: QPainter,
        content: RowContent,
        geometry: RowGeometry,
        fonts: Fonts,
        colors: Colors,
        *,
        focused: bool,
    ) -> None:
        message, own = content.message, content.own
        unit = fonts.body.pointSizeF()
        radius = max(6.0, unit * 0.9)
        if geometry.day is not None and content.day is not None:
            self._paint_day(painter, geometry.day, content.day, fonts, colors)

        urgent = message.is_urgent
        held = own and message.state is MessageState.HELD
        fill = (
            colors.urgent_bubble if urgent else (colors.own_bubble if own else colors.other_bubble)
        )
        border = colors.urgent if (urgent or held) else colors.border
        path = QPainterPath()
        path.addRoundedRect(rounded(geometry.bubble, 0.5), radius, radius)
        painter.setPen(QPen(QColor(border), 2.0 if (urgent or held) else 1.0))
        painter.setBrush(QColor(fill))
        painter.drawPath(path)
        if urgent:
            stripe = QRect(geometry.bubble)
            stripe.setWidth(max(4, round(unit * 0.45)))
            clip = QPainterPath()
            clip.addRect(rounded(stripe))
            painter.fillPath(path.intersected(clip), QColor(colors.urgent))
        if focused:
            painter.setPen(QPen(QColor(colors.focus), 3.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rounded(geometry.bubble, -2.5), radius + 2, radius + 2)

        if geometry.header is not None:
            self._paint_header(painter, geometry.header, message, own, fonts, colors)

        if geometry.card is not None and content.card is not None:
            paint_card(painter, geometry.card, content.card, message.body, fonts, colors)
        else:
            painter.setPen(QColor(colors.text))
            draw_text(painter, message.body, fonts.body, geometry.body)

        if geometry.warning is not None:
            painter.setPen(QColor(colors.urgent))
            draw_text(painter, warning_text(message, own=own), fonts.bold, geometry.warning)

        for action, rect in geometry.buttons:
            self._paint_button(painter, rect, action, fonts, colors)

        ack = ack_text(message, own=own)
        if geometry.ack is not None and ack:
            painter.setFont(fonts.small)
            painter.setPen(QColor(colors.sent if message.acked else colors.muted))
            painter.drawText(geometry.ack, Qt.AlignmentFlag.AlignLeft, ack)
        painter.setFont(fonts.small)
        meta_color = colors.muted
        if own and message.state is MessageState.SENT:
            meta_color = colors.sent
        elif held:
            meta_color = colors.urgent
        painter.setPen(QColor(meta_color))
        painter.drawText(
            geometry.meta,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            meta_text(message, content.clock, own=own),
        )
        if geometry.seen is not None and content.seen:
            painter.setFont(fonts.small)
            painter.setPen(QColor(colors.muted))
            draw_line(painter, content.seen, geometry.seen, Qt.AlignmentFlag.AlignRight)

    def _paint_day(
        self, painter: QPainter, rect: QRect, text: str, fonts: Fonts, colors: Colors
    ) -> None:
        painter.setFont(fonts.label)
        metrics = painter.fontMetrics()
        text_width = metrics.horizontalAdvance(text) + metrics.height() * 2
        pill = QRect(0, 0, text_width, round(metrics.height() * 1.6))
        pill.moveCenter(rect.center())
        mid = rect.center().y()
        painter.setPen(QPen(QColor(colors.border), 1.0))
        painter.drawLine(rect.left(), mid, pill.left() - 6, mid)
        painter.drawLine(pill.right() + 6, mid, rect.right(), mid)
        painter.setBrush(QColor(colors.surface))
        painter.drawRoundedRect(rounded(pill), pill.height() / 2, pill.height() / 2)
        painter.setPen(QColor(colors.muted))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_header(
        self,
        painter: QPainter,
        rect: QRect,
        message: Message,
        own: bool,
        fonts: Fonts,
        colors: Colors,
    ) -> None:
        x = rect.left()
        if message.is_urgent:
            painter.setFont(fonts.label)
            metrics = painter.fontMetrics()
            width = metrics.horizontalAdvance("URGENT") + metrics.height()
            pill = QRect(x, rect.top() + 1, width, rect.height() - 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.urgent_fill))
            painter.drawRoundedRect(rounded(pill), 3, 3)
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, "URGENT")
            x = pill.right() + round(metrics.height() * 0.5)
        if not own:
            painter.setFont(fonts.bold)
            painter.setPen(QColor(colors.text))
            name_rect = QRect(x, rect.top(), rect.right() - x, rect.height())
            elided = painter.fontMetrics().elidedText(
                message.author_name, Qt.TextElideMode.ElideRight, name_rect.width()
            )
            painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter, elided)

    def _paint_button(
        self, painter: QPainter, rect: QRect, action: str, fonts: Fonts, colors: Colors
    ) -> None:
        painter.setFont(fonts.label)
        if action in ("acknowledge", "edit", "open_note"):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colors.primary))
            text_color = colors.primary_text
        else:
            painter.setPen(QPen(QColor(colors.urgent if action == "discard" else colors.link), 1.5))
            painter.setBrush(QColor(colors.surface))
            text_color = colors.urgent if action == "discard" else colors.link
        painter.drawRoundedRect(rounded(rect, 0.75), 4, 4)
        painter.setPen(QColor(text_color))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, ACTION_LABELS[action])

    # -- clicks --------------------------------------------------------------------------------

    def editorEvent(
        self, event: QEvent, model: object, option: QStyleOptionViewItem, index: Index
    ) -> bool:
        if event.type() != QEvent.Type.MouseButtonRelease or not isinstance(event, QMouseEvent):
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        content = self._content(index, CachedMessageRole)
        if content is None:
            return False
        geometry = self.geometry(content, option.rect.width(), Fonts.from_font(option.font))
        point = event.position().toPoint() - option.rect.topLeft()
        action = button_at(geometry, point.x(), point.y())
        if action is None:
            return False
        self.action_triggered.emit(action, content.message)
        return True

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        """The tooltip names everyone who has seen a message, over its "Seen by" line only."""
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        content = self._content(index, CachedMessageRole)
        full = index.data(Qt.ItemDataRole.ToolTipRole)
        if content is not None and full:
            geometry = self.geometry(content, option.rect.width(), Fonts.from_font(option.font))
            point = event.pos() - option.rect.topLeft()
            if geometry.seen is not None and geometry.seen.contains(point):
                QToolTip.showText(event.globalPos(), str(full), view)
                return True
        QToolTip.hideText()
        return True

    def seen_rect(self, option: QStyleOptionViewItem, index: Index) -> QRect | None:
        """Where a row's "Seen by" line is, in view coordinates (tests hover it)."""
        content = self._content(index, CachedMessageRole)
        if content is None:
            return None
        geometry = self.geometry(content, option.rect.width(), Fonts.from_font(option.font))
        return None if geometry.seen is None else geometry.seen.translated(option.rect.topLeft())

    def button_rect(self, option: QStyleOptionViewItem, index: Index, action: str) -> QRect | None:
        """Where a row's button is, in view coordinates (tests click it)."""
        content = self._content(index, CachedMessageRole)
        if content is None:
            return None
        geometry = self.geometry(content, option.rect.width(), Fonts.from_font(option.font))
        for name, rect in geometry.buttons:
            if name == action:
                return rect.translated(option.rect.topLeft())
        return None


def _row_width(option: QStyleOptionViewItem) -> int:
    widget: QWidget | None = option.widget
    if widget is not None and hasattr(widget, "viewport"):
        return int(widget.viewport().width())
    return option.rect.width()
