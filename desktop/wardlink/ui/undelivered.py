"""The banner that says, until it is sent, that an urgent message has NOT been delivered.

An urgent message waiting in the outbox (offline) or held by the server has not reached anyone;
a nurse who believes it has is the danger, so it is said plainly, above the composer.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

ONE = "⚠  Your urgent message is NOT delivered yet — phone or bleep if it can't wait."
MANY = "⚠  {n} urgent messages are NOT delivered yet — phone or bleep if it can't wait."


def banner_text(count: int) -> str:
    return "" if count <= 0 else ONE if count == 1 else MANY.format(n=count)


class UndeliveredBanner(QFrame):
    """Shown while any of my urgent messages in the open team is queued or held."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undeliveredBanner")
        self.setAccessibleName("Warning: urgent message not delivered")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label)
        self.hide()

    def show_count(self, count: int) -> None:
        text = banner_text(count)
        self.label.setText(text)
        self.label.setAccessibleName(text)
        self.setVisible(bool(text))
