"""Paints a note card inside a timeline bubble: a panel with a form glyph, the form's title,
its state and the message's own sentence. Where each goes is `bubble_layout`'s business.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from wardlink.ui.bubble_layout import CardGeometry, Fonts, draw_line, draw_text, rounded
from wardlink.ui.theme import Colors
from wardlink.ui.timeline_cards import CardText


def paint_card(
    painter: QPainter,
    geometry: CardGeometry,
    card: CardText,
    detail: str,
    fonts: Fonts,
    colors: Colors,
) -> None:
    """A panel inside the bubble: a form glyph, the form's title, its state, the sentence."""
    radius = max(4.0, fonts.body.pointSizeF() * 0.6)
    painter.setPen(QPen(QColor(colors.border), 1.0))
    painter.setBrush(QColor(colors.surface))
    painter.drawRoundedRect(rounded(geometry.panel, 0.5), radius, radius)
    paint_form_glyph(painter, geometry.glyph, colors, available=card.openable)
    painter.setPen(QColor(colors.text if card.openable else colors.muted))
    draw_text(painter, card.title, fonts.bold, geometry.title)
    if geometry.status is not None:
        painter.setFont(fonts.small)
        painter.setPen(QColor(colors.urgent if card.held else colors.muted))
        draw_line(painter, card.status, geometry.status)
    if geometry.detail is not None and detail:
        painter.setPen(QColor(colors.text))
        draw_text(painter, detail, fonts.body, geometry.detail)


def paint_form_glyph(painter: QPainter, rect: QRect, colors: Colors, *, available: bool) -> None:
    """A clipboard with lines: "a form", drawn rather than taken from a font."""
    color = QColor(colors.primary if available else colors.muted)
    unit = rect.width()
    board = rect.adjusted(round(unit * 0.16), round(unit * 0.1), -round(unit * 0.16), 0)
    painter.setPen(QPen(color, max(1.5, unit / 14)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rounded(board, 0.5), unit * 0.08, unit * 0.08)
    clip = QRect(0, 0, round(board.width() * 0.5), round(unit * 0.18))
    clip.moveCenter(board.center())
    clip.moveTop(rect.top())
    painter.setBrush(color)
    painter.drawRoundedRect(rounded(clip), unit * 0.05, unit * 0.05)
    left, right = board.left() + round(unit * 0.14), board.right() - round(unit * 0.14)
    for step in (0.38, 0.56, 0.74):
        y = board.top() + round(board.height() * step)
        painter.drawLine(left, y, right if step < 0.7 else (left + right) // 2, y)
