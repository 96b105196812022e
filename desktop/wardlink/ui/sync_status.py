"""The sync status, always visible in the status bar: what has and has not been sent.

It shows the engine's `SyncStatus` values as plain words (offline / syncing with progress / up to
date / error with its detail / needs sign-in), never anything about a patient.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from wardlink.sync.status import SyncPhase, SyncStatus


def _waiting(count: int) -> str:
    return "1 item waiting to send" if count == 1 else f"{count} items waiting to send"


def status_text(status: SyncStatus) -> str:
    """The status in plain words."""
    phase = status.phase
    if phase is SyncPhase.OFFLINE:
        text = "Offline — new messages are saved here and sent when you reconnect"
        if status.to_send:
            text += f" ({_waiting(status.to_send)})"
        return text
    if phase is SyncPhase.CONNECTING:
        return "Connecting…"
    if phase is SyncPhase.SYNCING:
        parts = []
        if status.to_send:
            parts.append(f"sending {status.to_send}")
        if status.received:
            parts.append(f"{status.received} received")
        return "Syncing…" + (f" ({', '.join(parts)})" if parts else "")
    if phase is SyncPhase.UP_TO_DATE:
        return "Up to date ✓"
    if phase is SyncPhase.NEEDS_SIGN_IN:
        return "Sign in again to send and receive — " + (status.reason or "your session has ended")
    if phase is SyncPhase.ERROR:
        text = f"Sync problem: {status.reason or 'the server could not be reached'}"
        if status.retry_in is not None:
            text += f" — trying again in {max(1, round(status.retry_in))} s"
        if status.to_send:
            text += f" ({_waiting(status.to_send)})"
        return text
    if phase is SyncPhase.WIPED:
        return status.reason or "This device was removed from Wardlink; its data has been deleted"
    return "Sync stopped"


def progress_of(status: SyncStatus) -> tuple[int, int] | None:
    """(done, total) for the progress bar while syncing; (0, 0) is "busy"; None hides it."""
    if status.phase is not SyncPhase.SYNCING:
        return None
    total = status.sent + status.to_send
    return (status.sent, total) if total else (0, 0)


class SyncStatusWidget(QWidget):
    """The status bar's sync indicator.

    Signals:
    - sign_in_requested(): the user chose "Sign in…" after the session ended.
    """

    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.dot = QLabel("●", self)
        self.dot.setObjectName("syncDot")
        self.dot.setAccessibleName("")
        self.text = QLabel(self)
        self.text.setObjectName("syncText")
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Sync progress")
        self.progress.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 10)
        self.progress.hide()
        self.warning = QLabel(self)
        self.warning.setObjectName("syncWarning")
        self.warning.setAccessibleName("Sync warning")
        self.warning.hide()
        self.sign_in = QPushButton("Sign in…", self)
        self.sign_in.setAccessibleName("Sign in again")
        self.sign_in.hide()
        self.sign_in.clicked.connect(self.sign_in_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        layout.addWidget(self.progress)
        layout.addWidget(self.warning)
        layout.addWidget(self.sign_in)
        layout.addStretch(1)
        self.status: SyncStatus | None = None
        self.show_status(SyncStatus(SyncPhase.CONNECTING))

    @Slot(object)
    def show_status(self, status: SyncStatus) -> None:
        self.status = status
        text = status_text(status)
        self.text.setText(text)
        warning = status.warning
        self.warning.setText(f"⚠ {warning}" if warning else "")
        self.warning.setVisible(bool(warning))
        spoken = f"{text}. {warning}" if warning else text
        self.setAccessibleName(f"Sync status: {spoken}")
        self.setProperty("phase", str(status.phase))
        style = self.style()
        for widget in (self, self.dot, self.text):
            style.unpolish(widget)
            style.polish(widget)
        progress = progress_of(status)
        if progress is None:
            self.progress.hide()
        else:
            done, total = progress
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.show()
        self.sign_in.setVisible(status.phase is SyncPhase.NEEDS_SIGN_IN)
