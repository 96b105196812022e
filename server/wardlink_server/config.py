"""The record server's settings: read once at start-up and passed down (never a global)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from wardlink.core.clock import Clock, SystemClock

DATABASE_ENV = "WARDLINK_DATABASE_URL"


def default_database_url() -> str:
    """`WARDLINK_DATABASE_URL`, else a SQLite file in the user data folder."""
    from_env = os.environ.get(DATABASE_ENV)
    if from_env:
        return from_env
    folder = Path(platformdirs.user_data_dir("wardlink-server", appauthor=False))
    return f"sqlite:///{folder / 'wardlink-server.db'}"


@dataclass(frozen=True)
class PasswordHashing:
    """Argon2id cost for staff passwords (production ~64 MiB, t=3; tests: minimal)."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4


MINIMAL_HASHING = PasswordHashing(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class ServerConfig:
    database_url: str
    docs_enabled: bool = False
    token_ttl_hours: int = 12
    escrow_window_minutes: int = 5
    max_request_bytes: int = 12 * 1024 * 1024
    # Throttling of sign-in failures: per account, and per client address, which is higher
    # because a whole hospital may reach the server through one address (NAT or a proxy).
    max_failures: int = 5
    max_address_failures: int = 50
    failure_window_minutes: int = 15
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    # Long-poll: the most a pull may wait, and the poll interval used where no wake-up signal
    # reaches this process (tests shorten both).
    max_wait_s: float = 30.0
    # Server policy (DESIGN.md §7) sent to clients at sign-in; keys as in wardlink.core.policy.
    policy: Mapping[str, object] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
