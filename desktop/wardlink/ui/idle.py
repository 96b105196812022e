"""The idle lock: after the policy's idle minutes without keyboard or mouse input, lock.

Input is seen through an event filter on the whole application; time comes from an injectable
clock and the check from an injectable timer, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from wardlink.core.clock import SYSTEM_CLOCK, Clock

CHECK_INTERVAL_MS: Final = 10_000

INPUT_EVENTS: Final = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.InputMethod,
    }
)


class IdleLock(QObject):
    """Watches for input while running; says when the idle time has passed.

    Signals:
    - timed_out(): no input for the idle time; the watcher has stopped (start it on unlock).
    """

    timed_out = Signal()

    def __init__(
        self,
        idle: dt.timedelta,
        *,
        clock: Clock = SYSTEM_CLOCK,
        timer: QTimer | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._idle = idle
        self._clock = clock
        self._last = clock.now()
        self._running = False
        self._timer = timer or QTimer(self)
        if timer is None:
            self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def idle_time(self) -> dt.timedelta:
        return self._idle

    def set_idle_time(self, idle: dt.timedelta) -> None:
        """A new idle time (policy or the user's setting changed); counts from the last input."""
        self._idle = idle

    def start(self) -> None:
        """Start watching (again): the idle time counts from now."""
        self._last = self._clock.now()
        if not self._running:
            app = QCoreApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            self._running = True
        self._timer.start()

    def stop(self) -> None:
        if self._running:
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self._running = False
        self._timer.stop()

    def touch(self) -> None:
        """Count as activity now."""
        self._last = self._clock.now()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._last = self._clock.now()
        return False

    def check(self) -> None:
        """Lock if the idle time has passed (the timer calls this; tests may too)."""
        if not self._running:
            return
        now = self._clock.now()
        if now < self._last:  # the PC's clock was put back: count from now
            self._last = now
            return
        if now - self._last >= self._idle:
            self.stop()
            self.timed_out.emit()
