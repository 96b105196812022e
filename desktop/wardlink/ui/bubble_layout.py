"""Where everything in one timeline row goes: day separator, bubble, text, buttons.

Measuring and painting share this one layout, so the row's height, what is drawn and where a
click lands always agree. Sizes come from the font's line height, never fixed pixels.

A message that shares a note is laid out as a card inside its bubble (a form glyph, the form's
title, who filed it, the message's own sentence, "Open note"); under the newest of my messages
that someone has read, a small "Seen by" line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QTextLayout, QTextOption

from wardlink.core.model import Message, MessageState
from wardlink.ui.timeline_cards import CardText

ACTION_LABELS: dict[str, str] = {
    "acknowledge": "Acknowledge",
    "edit": "Edit",
    "retry": "Retry",
    "discard": "Discard",
    "retract": "Retract…",
    "open_note": "Open note",
}
UNDELIVERED = "NOT delivered yet — phone or bleep if it can't wait"


def button_actions(message: Message, *, own: bool, openable: bool = False) -> list[str]:
    """The buttons a message shows: held ones can be fixed, others' urgent ones acknowledged,
    a card's note opened (`openable`: the note is on this PC)."""
    actions = ["open_note"] if openable else []
    if own and message.state is MessageState.HELD:
        return [*actions, "edit", "retry", "discard"]
    if not own and message.awaiting_ack:
        return [*actions, "acknowledge"]
    return actions


def menu_actions(message: Message, *, own: bool, openable: bool = False) -> list[str]:
    """Everything the keyboard menu offers for a message (the buttons, plus retracting)."""
    actions = button_actions(message, own=own, openable=openable)
    if own and message.state in (MessageState.SENT, MessageState.QUEUED):
        actions.append("retract")
    return actions


def warning_text(message: Message, *, own: bool) -> str:
    """The red paragraph under one of my messages that has not gone."""
    if not own:
        return ""
    lines = []
    if message.state is MessageState.HELD:
        lines.append(f"Not sent — {message.held_reason or 'the server refused it.'}")
    if message.is_urgent and message.is_own_unsent:
        lines.append(UNDELIVERED)
    return "\n".join(lines)


def meta_text(message: Message, clock: str, *, own: bool) -> str:
    """The small line at the foot of a bubble: its time, and for mine whether it has gone."""
    if not own:
        return clock
    state = {
        MessageState.QUEUED: "Waiting to send",
        MessageState.SENT: "Sent ✓",
        MessageState.HELD: "Not sent",
        MessageState.RECEIVED: "Sent ✓",
    }[message.state]
    return f"{clock} · {state}"


def ack_text(message: Message, *, own: bool) -> str:
    if not message.is_urgent or message.state in (MessageState.QUEUED, MessageState.HELD):
        return ""
    if message.acked:
        return "✓ Acknowledged"
    return "" if not own else "Waiting for someone to acknowledge"


@dataclass(frozen=True)
class Fonts:
    body: QFont
    small: QFont
    bold: QFont
    label: QFont  # the URGENT label and buttons

    @classmethod
    def from_font(cls, font: QFont) -> Fonts:
        small = QFont(font)
        size = font.pointSizeF()
        if size > 0:
            small.setPointSizeF(size * 0.86)
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        label = QFont(small)
        label.setWeight(QFont.Weight.Bold)
        return cls(font, small, bold, label)


def text_layout(text: str, font: QFont, width: float) -> tuple[QTextLayout, float, float]:
    """`text` wrapped to `width` (at word boundaries, or anywhere for long tokens):
    the layout, its height and the widest line's natural width."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    height = 0.0
    widest = 0.0
    leading = QFontMetrics(font).leading()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, height))
        height += line.height() + leading
        widest = max(widest, line.naturalTextWidth())
    layout.endLayout()
    return layout, height, widest


def draw_text(painter: QPainter, text: str, font: QFont, rect: QRect) -> None:
    layout, _, _ = text_layout(text, font, rect.width())
    layout.draw(painter, QPointF(rect.topLeft()))


def draw_line(
    painter: QPainter,
    text: str,
    rect: QRect,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> None:
    """One line in the painter's font, cut short with "…" if it does not fit."""
    elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
    painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter, elided)


@dataclass
class RowGeometry:
    """A row's parts, relative to the row's top-left corner."""

    height: int
    day: QRect | None = None
    bubble: QRect = field(default_factory=QRect)
    header: QRect | None = None
    body: QRect = field(default_factory=QRect)
    warning: QRect | None = None
    buttons: list[tuple[str, QRect]] = field(default_factory=list)
    meta: QRect = field(default_factory=QRect)
    ack: QRect | None = None
    card: CardGeometry | None = None
    seen: QRect | None = None  # the "Seen by" line, under the bubble


@dataclass
class CardGeometry:
    """A note card's parts, inside the bubble (where a text bubble has its body)."""

    panel: QRect
    glyph: QRect
    title: QRect
    status: QRect | None
    detail: QRect | None  # the message's own sentence


@dataclass(frozen=True)
class RowContent:
    message: Message
    own: bool
    day: str | None
    show_author: bool
    clock: str
    card: CardText | None = None
    seen: str | None = None  # the "Seen by" line's short text


def layout_row(content: RowContent, width: int, fonts: Fonts) -> RowGeometry:
    """Lay out one row `width` pixels wide."""
    message, own, card = content.message, content.own, content.card
    unit = QFontMetrics(fonts.body).height()
    small = QFontMetrics(fonts.small)
    label = QFontMetrics(fonts.label)
    pad_x, pad_y = round(unit * 0.75), round(unit * 0.45)
    side = round(unit * 1.0)
    gap = round(unit * 0.3)
    y = round(unit * (0.55 if content.show_author or content.day else 0.2))

    geometry = RowGeometry(height=0)
    if content.day is not None:
        day_height = round(unit * 1.9)
        geometry.day = QRect(side, y, max(0, width - 2 * side), day_height)
        y += day_height + round(unit * 0.3)

    max_bubble = max(unit * 8, min(int(width * 0.74), unit * 40))
    inner_max = max(unit * 4, max_bubble - 2 * pad_x)

    header_height = 0
    header_width = 0
    show_header = message.is_urgent or (content.show_author and not own)
    if show_header:
        header_height = max(QFontMetrics(fonts.bold).height(), label.height() + 4)
        if message.is_urgent:
            header_width += label.horizontalAdvance("URGENT") + round(unit * 0.8)
        if not own:
            header_width += QFontMetrics(fonts.bold).horizontalAdvance(message.author_name)

    body_height = body_width = 0.0
    card_size = (0, 0)
    if card is None:
        _, body_height, body_width = text_layout(message.body or " ", fonts.body, inner_max)
    else:
        card_size = _card_size(card, message.body, fonts, inner_max)
    warning = warning_text(message, own=own)
    warning_height = warning_width = 0.0
    if warning:
        _, warning_height, warning_width = text_layout(warning, fonts.bold, inner_max)

    actions = button_actions(message, own=own, openable=card is not None and card.openable)
    button_height = label.height() + round(unit * 0.7)
    button_widths = [label.horizontalAdvance(ACTION_LABELS[a]) + round(unit * 1.6) for a in actions]
    buttons_width = sum(button_widths) + gap * max(0, len(actions) - 1)

    meta = meta_text(message, content.clock, own=own)
    ack = ack_text(message, own=own)
    meta_width = small.horizontalAdvance(meta)
    ack_width = small.horizontalAdvance(ack) + (round(unit * 0.8) if ack else 0)

    inner = int(
        max(
            header_width,
            body_width,
            card_size[0],
            warning_width,
            buttons_width,
            meta_width + ack_width,
        )
        + 1
    )
    inner = min(max(inner, unit * 3), inner_max)
    bubble_width = inner + 2 * pad_x
    left = width - side - bubble_width if own else side

    top = y
    y += pad_y
    if show_header:
        geometry.header = QRect(left + pad_x, y, inner, header_height)
        y += header_height + round(unit * 0.15)
    if card is None:
        geometry.body = QRect(left + pad_x, y, inner, int(body_height + 0.99))
        y += geometry.body.height()
    else:
        geometry.card = _place_card(
            card, message.body, fonts, QRect(left + pad_x, y, inner, card_size[1])
        )
        y += card_size[1]
    if warning:
        y += round(unit * 0.3)
        geometry.warning = QRect(left + pad_x, y, inner, int(warning_height + 0.99))
        y += geometry.warning.height()
    if actions:
        y += round(unit * 0.4)
        x = left + pad_x
        for action, button_width in zip(actions, button_widths, strict=True):
            geometry.buttons.append((action, QRect(x, y, button_width, button_height)))
            x += button_width + gap
        y += button_height
    y += round(unit * 0.2)
    geometry.meta = QRect(left + pad_x, y, inner, small.height())
    if ack:
        geometry.ack = QRect(left + pad_x, y, ack_width, small.height())
    y += small.height() + pad_y
    geometry.bubble = QRect(left, top, bubble_width, y - top)
    if content.seen:
        y += round(unit * 0.2)
        seen_width = min(small.horizontalAdvance(content.seen) + 2, max(0, width - 2 * side))
        seen_left = width - side - seen_width if own else side
        geometry.seen = QRect(seen_left, y, seen_width, small.height())
        y += small.height()
    geometry.height = y + round(unit * 0.15)
    return geometry


def _card_metrics(fonts: Fonts) -> tuple[int, int, int]:
    """A card's padding, gap between lines and glyph size."""
    unit = QFontMetrics(fonts.body).height()
    return round(unit * 0.55), round(unit * 0.2), round(unit * 2.0)


def _card_text_width(fonts: Fonts, panel_width: int) -> int:
    pad, _, glyph = _card_metrics(fonts)
    return max(1, panel_width - 3 * pad - glyph)


def _card_size(card: CardText, detail: str, fonts: Fonts, inner_max: int) -> tuple[int, int]:
    """The width a card would like (at most `inner_max`) and its height."""
    pad, gap, glyph = _card_metrics(fonts)
    text_max = _card_text_width(fonts, inner_max)
    _, title_height, title_width = text_layout(card.title, fonts.bold, text_max)
    widest, height = title_width, title_height
    if card.status:
        widest = max(widest, QFontMetrics(fonts.small).horizontalAdvance(card.status))
        height += gap + QFontMetrics(fonts.small).height()
    if detail:
        _, detail_height, detail_width = text_layout(detail, fonts.body, text_max)
        widest, height = max(widest, detail_width), height + gap + detail_height
    unit = QFontMetrics(fonts.body).height()
    width = max(int(widest + 1) + 3 * pad + glyph, unit * 14)
    return min(width, inner_max), int(max(glyph, height) + 0.99) + 2 * pad


def _place_card(card: CardText, detail: str, fonts: Fonts, panel: QRect) -> CardGeometry:
    pad, gap, glyph_size = _card_metrics(fonts)
    glyph = QRect(panel.left() + pad, panel.top() + pad, glyph_size, glyph_size)
    x = glyph.right() + 1 + pad
    text_width = _card_text_width(fonts, panel.width())
    _, title_height, _ = text_layout(card.title, fonts.bold, text_width)
    title = QRect(x, panel.top() + pad, text_width, int(title_height + 0.99))
    y = title.bottom() + 1
    status = None
    if card.status:
        status = QRect(x, y + gap, text_width, QFontMetrics(fonts.small).height())
        y = status.bottom() + 1
    detail_rect = None
    if detail:
        _, detail_height, _ = text_layout(detail, fonts.body, text_width)
        detail_rect = QRect(x, y + gap, text_width, int(detail_height + 0.99))
    return CardGeometry(panel, glyph, title, status, detail_rect)


def button_at(geometry: RowGeometry, x: int, y: int) -> str | None:
    for action, rect in geometry.buttons:
        if rect.contains(x, y):
            return action
    return None


def rounded(rect: QRect, inset: float = 0.0) -> QRectF:
    return QRectF(rect).adjusted(inset, inset, -inset, -inset)
