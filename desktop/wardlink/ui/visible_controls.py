"""Tick boxes (and radio buttons' circles) that can be seen in both schemes.

The style's own indicator edge is too faint to see: under 3:1 against white, and all but
invisible on the dark scheme's surface, where the composer's "Urgent" box disappeared. Here the
edge is drawn again in the theme's muted colour. Kept apart from the forms so that the main
window can use it without loading them.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QCheckBox, QRadioButton, QStyle, QStyleOptionButton

from wardlink.ui.theme import colors_for


def outline_indicator(button: QCheckBox | QRadioButton) -> None:
    """Draw the indicator's edge (a circle for a radio button, a box for a tick box) in the
    muted colour; call it after the style has painted the button."""
    option = QStyleOptionButton()
    button.initStyleOption(option)
    element = (
        QStyle.SubElement.SE_RadioButtonIndicator
        if isinstance(button, QRadioButton)
        else QStyle.SubElement.SE_CheckBoxIndicator
    )
    rect = QRectF(button.style().subElementRect(element, option, button)).adjusted(1, 1, -1, -1)
    painter = QPainter(button)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(colors_for(button.palette()).muted), 1.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if element == QStyle.SubElement.SE_RadioButtonIndicator:
        painter.drawEllipse(rect)
    else:
        painter.drawRoundedRect(rect, 2, 2)
    painter.end()


class TickBox(QCheckBox):
    """A tick box whose box can be seen in both schemes."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        outline_indicator(self)
