"""One Wardlink per data folder (DESIGN.md §7): a lock file there, and a local socket through
which a second start asks the running one to come to the front.

Two instances over one data folder would open the same encrypted stores twice and sync them
twice; two data folders (tests, or two OS users) run side by side. A lock left by a crashed
process is taken over (`QLockFile` checks whether its process still runs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

from PySide6.QtCore import QLockFile, QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

LOCK_NAME: Final = "wardlink.lock"
ALREADY_RUNNING: Final = "Wardlink is already running for this data folder."
SHOW: Final = b"show\n"


def socket_name(data_dir: Path) -> str:
    """A local socket name for the data folder (short, and the same for every start)."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"wardlink-{digest}"


class InstanceLock(QObject):
    """Held by the one instance running over `data_dir`."""

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self._file = QLockFile(str(data_dir / LOCK_NAME))
        self._file.setStaleLockTime(0)  # stale only when its process is gone
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this is now the instance for the data folder."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return bool(self._file.tryLock(0))

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._file.isLocked():
            self._file.unlock()

    def listen(self, show: Callable[[], None]) -> None:
        """Call `show` when a second start asks this instance to come to the front."""
        name = socket_name(self.data_dir)
        QLocalServer.removeServer(name)  # a socket file left by a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(name):
            return

        def arrived() -> None:
            while server.hasPendingConnections():
                connection = server.nextPendingConnection()
                connection.disconnected.connect(connection.deleteLater)
                connection.readyRead.connect(lambda c=connection: _read(c))

        def _read(connection: QLocalSocket) -> None:
            if bytes(connection.readAll().data()).startswith(SHOW.strip()):
                show()
            connection.disconnectFromServer()

        server.newConnection.connect(arrived)
        self._server = server


def ask_running_instance_to_show(data_dir: Path, timeout_ms: int = 1000) -> bool:
    """Ask the instance holding `data_dir` to bring its window forward; True if it heard."""
    socket = QLocalSocket()
    socket.connectToServer(socket_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(SHOW)
    written = socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return bool(written)
