"""The pinned Qt bindings must not leak references to None or True.

PySide6 6.12.0 dropped a reference to None on every void call and to True on every signal
emit; on Python 3.11 that aborts the app after a few thousand calls ("deallocating None"). We
pin a release without the bug; this test stops a future pin from bringing it back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    fired = Signal(bool)


def test_void_calls_and_emits_keep_reference_counts(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("x")
        emitter.fired.emit(True)
    # a little slack for unrelated allocations; the bug loses 2,000 of each
    assert none_before - sys.getrefcount(None) < 100
    assert true_before - sys.getrefcount(True) < 100
