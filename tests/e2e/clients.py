"""Real clients for the end-to-end tests: a signed-in profile on its own 'PC' with a sync engine,
a watcher that waits on its statuses without sleeping, and what the server's database holds."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from tests.sync.engine_watch import Watcher
from tests.sync.live_server import LiveServer, StaffAccount
from wardlink.core.clock import ManualClock
from wardlink.core.model import Message
from wardlink.core.policy import Policy, merge
from wardlink.store import messages, outbox
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import sign_in_online
from wardlink.sync.account_state import SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import EngineTimings, SyncEngine
from wardlink.sync.transport import Timeouts, Transport
from wardlink_server import schema

# Every wait is short: back-off in tens of milliseconds, long-polls cut at a second by the server.
FAST = EngineTimings(
    long_poll_wait=5.0, backoff_base=0.01, backoff_cap=0.05, housekeeping_every=3600.0
)
TIMEOUTS = Timeouts(connect=2.0, read=5.0)


class Device:
    """One signed-in profile on its own 'PC', with a sync engine talking to `url` (the server
    itself, or a fault proxy in front of it)."""

    def __init__(
        self,
        tmp: Path,
        server: LiveServer,
        account: StaffAccount,
        *,
        url: str | None = None,
        timings: EngineTimings = FAST,
        timeouts: Timeouts = TIMEOUTS,
        clock: ManualClock | None = None,
    ) -> None:
        self.account = account
        self.secrets = FileDeviceSecrets(tmp / "device-secrets.json")
        self.profiles = Profiles(tmp / "data", self.secrets, kdf=MINIMAL_KDF)
        self.clock = clock or ManualClock(dt.datetime.now(dt.UTC))
        self.url = url or server.url
        self.timeouts = timeouts
        client = RecordClient(Transport(server.url))
        try:
            self.result: SignInResult = sign_in_online(
                self.profiles,
                client,
                username=account.username,
                password=account.password,
                device_name="Ward PC",
                platform="linux",
                clock=self.clock,
            )
        finally:
            client.close()
        self.lane = self.result.lane
        self.staff_id = self.result.staff.id
        self.watch = Watcher()
        self.engine = self.make_engine(timings)

    @property
    def policy(self) -> Policy:
        return merge(None, dict(self.result.policy), None)

    def client(self) -> RecordClient:
        return RecordClient(Transport(self.url, timeouts=self.timeouts))

    def make_engine(self, timings: EngineTimings = FAST, seed: int = 7) -> SyncEngine:
        return SyncEngine(
            profiles=self.profiles,
            staff_id=self.staff_id,
            lane=self.lane,
            make_client=self.client,
            policy=self.policy,
            clock=self.clock,
            on_status=self.watch.status,
            on_changes=self.watch.changed,
            timings=timings,
            rng=random.Random(seed),
            unlocked=self.result.profile,
        )

    # -- the local store -----------------------------------------------------------------------

    def write(self, team_id: str, *bodies: str) -> list[str]:
        """Messages written as the composer does (one local transaction each); their ids."""
        return [self.lane.call(messages.add_local_message, team_id, b)[0].id for b in bodies]

    def timeline(self, team_id: str) -> list[Message]:
        return self.lane.call(messages.latest_messages, team_id, 100_000)

    def ids(self, team_id: str) -> list[str]:
        return [m.id for m in self.timeline(team_id)]

    def pending(self) -> int:
        return self.lane.call(outbox.pending_count)

    def close(self) -> None:
        self.engine.stop()
        if not self.lane.closed:
            self.lane.close()
        self.result.profile.lock()


# -- what the server holds ----------------------------------------------------------------------


def server_message_ids(server: LiveServer, team_id: str) -> list[str]:
    """The team's messages as the server keeps them, in its (per-team) order."""
    query = (
        select(schema.messages.c.id)
        .where(schema.messages.c.team_id == team_id)
        .order_by(schema.messages.c.seq)
    )
    with server.services.engine.connect() as conn:
        return [str(row[0]) for row in conn.execute(query)]


def server_message_events(server: LiveServer, team_id: str) -> Counter[str]:
    """How many `message` events the server holds for each message id of the team (what every
    pull delivers): each must be exactly one."""
    query = select(schema.events.c.data).where(
        schema.events.c.team_id == team_id, schema.events.c.type == "message"
    )
    with server.services.engine.connect() as conn:
        return Counter(str(json.loads(row[0])["id"]) for row in conn.execute(query))


def assert_exactly_once(server: LiveServer, team_id: str, expected: set[str]) -> list[str]:
    """The server holds each of `expected` (and nothing else in the team) exactly once, as a
    row and as an event; returns the server's order."""
    ids = server_message_ids(server, team_id)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected, (len(ids), len(expected))
    events = server_message_events(server, team_id)
    assert set(events) == expected
    assert set(events.values()) <= {1}, "a message was recorded twice"
    return ids
