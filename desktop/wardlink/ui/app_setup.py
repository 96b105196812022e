"""`AppSetup`: what the app is built from, read once at start-up and passed down (STYLE rule 9).

The real app gets the OS keyring, production Argon2id and the system clock; tests get a
file-backed keyring, minimal Argon2id, a clock they move and timers they fire.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wardlink.core.clock import SYSTEM_CLOCK, Clock
from wardlink.core.policy import Policy, merge
from wardlink.store.profiles import Profiles
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import EngineTimings
from wardlink.sync.transport import Timeouts, Transport

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer


def _no_timer() -> QTimer | None:
    return None


@dataclass
class AppSetup:
    """What the app is built from."""

    profiles: Profiles
    machine_policy: Mapping[str, object] = field(default_factory=dict)
    keyring_problem: str = ""  # the keyring's plain refusal, shown at sign-in
    clock: Clock = SYSTEM_CLOCK
    timings: EngineTimings | None = None
    device_name: str = field(default_factory=lambda: platform.node() or "Wardlink PC")
    platform: str = sys.platform
    tray: bool = True
    idle_timer: Callable[[], QTimer | None] = _no_timer  # tests drive the idle lock
    repeat_timer: Callable[[], QTimer | None] = _no_timer  # and the urgent reminders

    @property
    def policy(self) -> Policy:
        """Machine policy alone (server policy joins it at sign-in)."""
        return merge(self.machine_policy, None, None)

    def make_client(self, url: str, timeouts: Timeouts | None = None) -> RecordClient:
        return RecordClient(Transport(url, ca_bundle=self.policy.ca_bundle, timeouts=timeouts))
