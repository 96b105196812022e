"""Shared helpers for store tests: a fresh open Store with a team and a clock."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from wardlink.core.clock import ManualClock
from wardlink.core.model import Role, Staff, Team, TeamKind
from wardlink.store import teams
from wardlink.store.database import Store
from wardlink.store.messages import RemoteMessage

ME = "00000000-0000-4000-8000-00000000000a"
OTHER = "00000000-0000-4000-8000-00000000000b"
WARD = "10000000-0000-4000-8000-000000000001"
COMMUNITY = "10000000-0000-4000-8000-000000000002"
START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def new_store(path: Path, *, dek: bytes | None = None, clock: ManualClock | None = None) -> Store:
    store = Store.open(
        path, dek or secrets.token_bytes(32), me=ME, clock=clock or ManualClock(START)
    )
    teams.save_directory(
        store,
        teams=[
            Team(WARD, "Ward 7 (Surgical)", TeamKind.WARD),
            Team(COMMUNITY, "Community Nursing North", TeamKind.COMMUNITY),
        ],
        staff=[
            Staff(ME, "alice", "Alice Adams", Role.STAFF),
            Staff(OTHER, "bob", "Bob Brown", Role.STAFF),
        ],
    )
    return store


def remote(
    seq: int, body: str, *, team: str = WARD, author: str = OTHER, mid: str | None = None
) -> RemoteMessage:
    return RemoteMessage(
        seq=seq,
        id=mid or f"m-{seq}",
        team_id=team,
        author_id=author,
        author_name="Bob Brown" if author == OTHER else "Alice Adams",
        body=body,
        priority="routine",
        client_ts="2026-11-28T09:00:00.000Z",
        server_ts="2026-11-28T09:00:01.000Z",
    )
