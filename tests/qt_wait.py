"""Waiting for a window to be on screen (pytest-qt's `waitExposed` is a context manager around
the call that shows the window: called on its own it waits for nothing)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot


def wait_shown(qtbot: QtBot, widget: QWidget, timeout: int = 5000) -> None:
    """Until `widget` is visible and its window is exposed."""

    def exposed() -> bool:
        handle = widget.window().windowHandle()
        return widget.isVisible() and handle is not None and handle.isExposed()

    qtbot.waitUntil(exposed, timeout=timeout)
