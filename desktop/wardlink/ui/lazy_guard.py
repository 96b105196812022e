"""The patient-data guard, imported on first use.

Its phone-number tables take tens of milliseconds to import, which the main window's first
paint does not need: the guard first runs a moment after the first keystroke. `preload` imports
it on a worker thread once the window is up, so that first check does not wait either.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wardlink.core.guard import Finding, Rules
    from wardlink.core.policy import Policy


def scan(text: str, *, rules: Rules | None = None) -> list[Finding]:
    from wardlink.core import guard

    return guard.scan(text, rules=rules or guard.DEFAULT_RULES)


def redact(text: str, findings: Sequence[Finding]) -> str:
    from wardlink.core import guard

    return guard.redact(text, findings)


def default_rules() -> Rules:
    from wardlink.core import guard

    return guard.DEFAULT_RULES


def rules_for(policy: Policy) -> Rules:
    from wardlink.core import guard

    return guard.rules_for(policy)


def _load() -> None:
    from wardlink.core import guard  # noqa: F401 - imported for its side effect


def preload() -> None:
    """Import the guard on a worker thread (a later import finds it loaded)."""
    threading.Thread(target=_load, name="wardlink-guard-preload", daemon=True).start()
