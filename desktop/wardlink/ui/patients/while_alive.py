"""Results that come back after their widget is gone are dropped.

An operation runs on the DB lane while the window that asked for it may be closed and deleted
(the app quits, the user switches); its result then has nowhere to go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QObject

T = TypeVar("T")


def while_alive(widget: QObject, callback: Callable[[T], None]) -> Callable[[T], None]:
    """`callback`, unless `widget`'s Qt object was deleted before the result arrived."""

    def call(value: T) -> None:
        if shiboken6.isValid(widget):
            callback(value)

    return call
