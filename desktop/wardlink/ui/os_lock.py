"""Lock Wardlink when the operating system's session locks, where that can be told.

What is detected:
- Linux and other freedesktop desktops: the screen saver's `ActiveChanged(true)` on the session
  bus (`org.freedesktop.ScreenSaver`, used by KDE, Xfce and others; `org.gnome.ScreenSaver`), and
  logind's `Lock` signal for this login session on the system bus (`loginctl lock-session`).
- Windows: the session-change message `WTS_SESSION_LOCK` (Win+L, or the PC locking itself),
  after registering the window with `WTSRegisterSessionNotification`.
- Every platform: Qt saying the app was suspended (`ApplicationSuspended`).
- macOS: not detected (it needs the Cocoa notification centre); the idle lock still applies, and
  the OS's own lock screen hides the window.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from typing import Final

from PySide6.QtCore import (
    SLOT,
    QAbstractNativeEventFilter,
    QByteArray,
    QCoreApplication,
    QObject,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

SCREEN_SAVERS: Final = (
    ("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)
LOGIND_SESSION: Final = "org.freedesktop.login1.Session"
WM_WTSSESSION_CHANGE: Final = 0x02B1
WTS_SESSION_LOCK: Final = 0x7
NOTIFY_FOR_THIS_SESSION: Final = 0


def logind_session_path(session_id: str) -> str:
    """logind's object path for a session id (bus-label escaping, as systemd does it)."""
    escaped = []
    for i, ch in enumerate(session_id):
        if ch.isascii() and (ch.isalpha() or (ch.isdigit() and i > 0)):
            escaped.append(ch)
        else:
            escaped.append(f"_{ord(ch):02x}")
    return "/org/freedesktop/login1/session/" + ("".join(escaped) or "_")


class _WindowsSessionFilter(QAbstractNativeEventFilter):
    """Hears WM_WTSSESSION_CHANGE / WTS_SESSION_LOCK among the window's native messages."""

    def __init__(self, watcher: OsLockWatcher) -> None:
        super().__init__()
        self._watcher = watcher

    def nativeEventFilter(
        self, event_type: QByteArray | bytes | bytearray | memoryview, message: int
    ) -> object:
        name = event_type.data() if isinstance(event_type, QByteArray) else bytes(event_type)
        if name != b"windows_generic_MSG":
            return False
        msg = ctypes.cast(int(message), ctypes.POINTER(_Msg)).contents
        if msg.message == WM_WTSSESSION_CHANGE and msg.wParam == WTS_SESSION_LOCK:
            self._watcher.os_session_locked()
        return False


class _Msg(ctypes.Structure):
    _fields_ = (
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_ulong),
        ("x", ctypes.c_long),
        ("y", ctypes.c_long),
    )


class OsLockWatcher(QObject):
    """Signals:
    - session_locked(): the OS session locked (or the app was suspended): lock Wardlink.
    """

    session_locked = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.detects: list[str] = []
        self._native: _WindowsSessionFilter | None = None
        app = QCoreApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._state_changed)
            self.detects.append("app suspended")
        if sys.platform.startswith("linux") or "bsd" in sys.platform:
            self._listen_on_dbus()

    # -- freedesktop (D-Bus) -------------------------------------------------------------------

    def _listen_on_dbus(self) -> None:
        if QGuiApplication.platformName() in ("offscreen", "minimal"):
            return  # no desktop session to hear from
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return
        session = QDBusConnection.sessionBus()
        if session.isConnected():
            for path, interface in SCREEN_SAVERS:
                # PySide6 takes the SLOT() string here, whatever its stubs say.
                slot = SLOT("screen_saver_changed(bool)")
                if session.connect("", path, interface, "ActiveChanged", self, slot):  # type: ignore[call-overload]
                    self.detects.append(f"{interface} at {path}")
        session_id = os.environ.get("XDG_SESSION_ID")
        system = QDBusConnection.systemBus()
        if session_id and system.isConnected():
            path = logind_session_path(session_id)
            slot = SLOT("os_session_locked()")
            service = "org.freedesktop.login1"
            if system.connect(service, path, LOGIND_SESSION, "Lock", self, slot):  # type: ignore[call-overload]
                self.detects.append("logind Lock")

    @Slot(bool)
    def screen_saver_changed(self, active: bool) -> None:
        if active:
            self.session_locked.emit()

    @Slot()
    def os_session_locked(self) -> None:
        self.session_locked.emit()

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended:
            self.session_locked.emit()

    # -- Windows -------------------------------------------------------------------------------

    def watch_window(self, window: QWidget) -> None:
        """On Windows, ask to be told when the session locks (needs a window handle)."""
        if sys.platform != "win32" or self._native is not None:
            return
        with contextlib.suppress(OSError, AttributeError):
            wtsapi = ctypes.WinDLL("wtsapi32")  # type: ignore[attr-defined,unused-ignore]
            if wtsapi.WTSRegisterSessionNotification(
                ctypes.c_void_p(int(window.winId())), NOTIFY_FOR_THIS_SESSION
            ):
                self._native = _WindowsSessionFilter(self)
                app = QCoreApplication.instance()
                if app is not None:
                    app.installNativeEventFilter(self._native)
                self.detects.append("Windows session lock")

    def stop(self) -> None:
        app = QCoreApplication.instance()
        if self._native is not None and app is not None:
            app.removeNativeEventFilter(self._native)
            self._native = None
