"""Where everything in one timeline row goes: day separator, bubble, text, buttons.

Measuring and painting share this one layout, so the row's height, what is drawn and where a
click lands always agree. Sizes come from the font's line height, never fixed pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRect, QRectF
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QTextLayout, QTextOption

from wardlink.core.model import Message, MessageState

ACTION_LABELS: dict[str, str] = {
    "acknowledge": "Acknowledge",
    "edit": "Edit",
    "retry": "Retry",
    "discard": "Discard",
    "retract": "Retract…",
}
UNDELIVERED = "NOT delivered yet — phone or bleep if it can't wait"


def button_actions(message: Message, *, own: bool) -> list[str]:
    """The buttons a message shows: held ones can be fixed, others' urgent ones acknowledged."""
    if own and message.state is MessageState.HELD:
        return ["edit", "retry", "discard"]
    if not own and message.awaiting_ack:
        return ["acknowledge"]
    return []


def menu_actions(message: Message, *, own: bool) -> list[str]:
    """Everything the keyboard menu offers for a message (the buttons, plus retracting)."""
    actions = button_actions(message, own=own)
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


@dataclass(frozen=True)
class RowContent:
    message: Message
    own: bool
    day: str | None
    show_author: bool
    clock: str


def layout_row(content: RowContent, width: int, fonts: Fonts) -> RowGeometry:
    """Lay out one row `width` pixels wide."""
    message, own = content.message, content.own
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

    _, body_height, body_width = text_layout(message.body or " ", fonts.body, inner_max)
    warning = warning_text(message, own=own)
    warning_height = warning_width = 0.0
    if warning:
        _, warning_height, warning_width = text_layout(warning, fonts.bold, inner_max)

    actions = button_actions(message, own=own)
    button_height = label.height() + round(unit * 0.7)
    button_widths = [label.horizontalAdvance(ACTION_LABELS[a]) + round(unit * 1.6) for a in actions]
    buttons_width = sum(button_widths) + gap * max(0, len(actions) - 1)

    meta = meta_text(message, content.clock, own=own)
    ack = ack_text(message, own=own)
    meta_width = small.horizontalAdvance(meta)
    ack_width = small.horizontalAdvance(ack) + (round(unit * 0.8) if ack else 0)

    inner = int(
        max(header_width, body_width, warning_width, buttons_width, meta_width + ack_width) + 1
    )
    inner = min(max(inner, unit * 3), inner_max)
    bubble_width = inner + 2 * pad_x
    left = width - side - bubble_width if own else side

    top = y
    y += pad_y
    if show_header:
        geometry.header = QRect(left + pad_x, y, inner, header_height)
        y += header_height + round(unit * 0.15)
    geometry.body = QRect(left + pad_x, y, inner, int(body_height + 0.99))
    y += geometry.body.height()
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
    geometry.height = y + round(unit * 0.15)
    return geometry


def button_at(geometry: RowGeometry, x: int, y: int) -> str | None:
    for action, rect in geometry.buttons:
        if rect.contains(x, y):
            return action
    return None


def rounded(rect: QRect, inset: float = 0.0) -> QRectF:
    return QRectF(rect).adjusted(inset, inset, -inset, -inset)
