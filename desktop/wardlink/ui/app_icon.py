"""The app's icon, drawn rather than shipped: an NHS-blue tile with a white speech mark."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPixmap

from wardlink.ui.theme import NHS_BLUE, NHS_WHITE

SIZES = (16, 24, 32, 48, 64, 128, 256)


def _tile(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(NHS_BLUE))
    painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.2, size * 0.2)
    bubble = QPainterPath()
    bubble.addRoundedRect(
        QRectF(size * 0.2, size * 0.22, size * 0.6, size * 0.42), size * 0.1, size * 0.1
    )
    tail = QPainterPath()
    tail.moveTo(size * 0.32, size * 0.6)
    tail.lineTo(size * 0.3, size * 0.8)
    tail.lineTo(size * 0.5, size * 0.62)
    tail.closeSubpath()
    painter.setBrush(QColor(NHS_WHITE))
    painter.drawPath(bubble.united(tail))
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_tile(size))
    return icon
