"""A list row drawn from rich text: the search results and a patient's notes share the look.

A subclass says what a row reads (`document`); this draws it the same way everywhere: the
selected row tinted with a bar of the primary colour at its edge, a hairline between rows.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPen, QTextDocument
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from wardlink.ui.theme import colors_for

Index = QModelIndex | QPersistentModelIndex


class RichTextRows(QStyledItemDelegate):
    """Rows of rich text; `fallback_width` before the view is laid out, `indent` past the bar."""

    fallback_width = 400
    indent = 4

    def document(self, option: QStyleOptionViewItem, index: Index, width: int) -> QTextDocument:
        raise NotImplementedError

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        widget = option.widget
        width = widget.viewport().width() if isinstance(widget, QListView) else self.fallback_width
        return QSize(width, int(self.document(option, index, width).size().height()) + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        colors = colors_for(option.palette)
        rect = option.rect
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(colors.own_bubble))
            painter.fillRect(rect.adjusted(0, 0, -(rect.width() - 4), 0), QColor(colors.primary))
        painter.setPen(QPen(QColor(colors.border), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        document = self.document(option, index, rect.width() - self.indent)
        painter.translate(rect.left() + self.indent, rect.top())
        document.drawContents(painter, QRectF(0, 0, rect.width(), rect.height()))
        painter.restore()
