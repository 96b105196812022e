"""Tick boxes can be seen in both schemes: the edge of the box stands out from what is around it
by at least 3:1 (the contrast WCAG asks of a control's boundary), where the style's own edge
all but vanished on the dark scheme (the composer's "Urgent" box)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionButton, QWidget
from pytestqt.qtbot import QtBot

from wardlink.ui.theme import Scheme, apply_theme
from wardlink.ui.visible_controls import TickBox


def _luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red())
        + 0.7152 * channel(color.green())
        + 0.0722 * channel(color.blue())
    )


def _contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(params=[Scheme.LIGHT, Scheme.DARK], ids=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> Iterator[Scheme]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, request.param)
    yield request.param
    apply_theme(app, Scheme.LIGHT)


def test_a_tick_boxs_edge_stands_out_in_either_scheme(qtbot: QtBot, scheme: Scheme) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    box = TickBox("Urgent", holder)
    box.adjustSize()
    holder.resize(box.size())
    holder.show()
    image: QImage = box.grab().toImage()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    background = image.pixelColor(rect.right() + 2, image.height() - 1)
    edge = max(
        (image.pixelColor(x, y) for x in range(rect.left(), rect.right() + 1)
         for y in range(rect.top(), rect.bottom() + 1)),
        key=lambda c: _contrast(c, background),
    )  # fmt: skip
    assert _contrast(edge, background) >= 3.0, (scheme, edge.name(), background.name())
