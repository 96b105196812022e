"""What the engine tells the UI: one `SyncStatus` value each time its state changes.

Plain values, delivered through a callback from the engine's thread; the UI hands them to the
GUI thread through a signal. They carry counts and plain-language reasons, never patient data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SyncPhase(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    UP_TO_DATE = "up_to_date"
    NEEDS_SIGN_IN = "needs_sign_in"
    ERROR = "error"
    WIPED = "wiped"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    phase: SyncPhase
    reason: str = ""  # plain language, for offline / error / needs sign-in / wiped
    to_send: int = 0  # ops still in the outbox
    sent: int = 0  # ops settled in this round
    received: int = 0  # events applied in this round
    retry_in: float | None = None  # seconds until the next attempt, when waiting to retry
    warning: str = ""  # e.g. the lease runs out soon: connect to send the unsent items
