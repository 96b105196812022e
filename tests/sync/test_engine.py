"""The sync engine against the real record server: sends, listens, recovers, signs in, wipes."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wardlink.core.clock import ManualClock
from wardlink.core.model import MessageState
from wardlink.core.policy import merge
from wardlink.store import messages, outbox
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import sign_in_online
from wardlink.sync.account_state import SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import EngineTimings, SyncEngine, run_once
from wardlink.sync.errors import NeedsSignIn
from wardlink.sync.status import SyncPhase
from wardlink.sync.transport import Timeouts, Transport

from .engine_watch import Watcher
from .live_server import LiveServer, StaffAccount

FAST = EngineTimings(
    long_poll_wait=5.0, backoff_base=0.01, backoff_cap=0.05, housekeeping_every=3600.0
)
WAIT = 15.0  # the most any condition below may take; events end the waits much sooner


class Device:
    """One signed-in profile on its own 'PC', with an engine."""

    def __init__(
        self, tmp: Path, live_server: LiveServer, nurse: StaffAccount, url: str | None = None
    ) -> None:
        self.profiles = Profiles(tmp / "data", FileDeviceSecrets(tmp / "s.json"), kdf=MINIMAL_KDF)
        self.clock = ManualClock(dt.datetime.now(dt.UTC))
        self.url = url or live_server.url
        client = RecordClient(Transport(live_server.url))
        self.result: SignInResult = sign_in_online(
            self.profiles,
            client,
            username=nurse.username,
            password=nurse.password,
            device_name="PC",
            platform="linux",
            clock=self.clock,
        )
        client.close()
        self.lane = self.result.lane
        self.watch = Watcher(timeout=WAIT)
        self.engine = self.make_engine()

    def make_engine(self, timings: EngineTimings = FAST) -> SyncEngine:
        return SyncEngine(
            profiles=self.profiles,
            staff_id=self.result.staff.id,
            lane=self.lane,
            make_client=lambda: RecordClient(Transport(self.url, timeouts=Timeouts(2.0, 5.0))),
            policy=merge(None, dict(self.result.policy), None),
            clock=self.clock,
            on_status=self.watch.status,
            on_changes=self.watch.changed,
            timings=timings,
            rng=random.Random(7),
        )

    def bodies(self, team_id: str) -> list[str]:
        return [m.body for m in self.lane.call(messages.latest_messages, team_id, 100)]

    def close(self) -> None:
        self.engine.stop()
        if not self.lane.closed:
            self.lane.close()


@pytest.fixture
def team(live_server: LiveServer) -> tuple[str, str]:
    return live_server.new_team()


@pytest.fixture
def make_device(live_server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    made: list[Device] = []

    def make(nurse: StaffAccount, url: str | None = None) -> Device:
        device = Device(tmp_path / f"pc{len(made)}", live_server, nurse, url)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


def test_a_queued_message_is_sent_and_reaches_a_colleague(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    alice = make_device(live_server.new_staff("alice", teams=(team[1],)))
    bob = make_device(live_server.new_staff("bob", teams=(team[1],)))
    alice.engine.start()
    bob.engine.start()
    bob.watch.wait_for(bob.watch.reached(SyncPhase.UP_TO_DATE), "bob up to date")
    message, _ = alice.lane.call(messages.add_local_message, team[0], "Porter for bay 3 please")
    alice.engine.poke()
    alice.watch.wait_for(
        lambda: alice.lane.call(messages.get_message, message.id).state is MessageState.SENT,
        "alice's message sent",
    )
    bob.watch.wait_for(lambda: "Porter for bay 3 please" in bob.bodies(team[0]), "bob hears it")
    bob.watch.wait_for(
        lambda: any(team[0] in c.messages for c in bob.watch.changes), "bob told of the change"
    )
    alice.watch.wait_for(lambda: alice.engine.status.to_send == 0, "nothing left to send")


def test_stop_returns_within_a_second_while_a_long_poll_waits(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    nurse = make_device(live_server.new_staff(teams=(team[1],)))
    nurse.engine = nurse.make_engine(EngineTimings(long_poll_wait=25.0))
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.UP_TO_DATE), "up to date")
    started = time.monotonic()
    nurse.engine.stop()
    assert time.monotonic() - started < 1.0
    assert nurse.engine.status.phase is SyncPhase.STOPPED


def test_offline_keeps_work_queued_and_says_so(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    from wardlink_server.serve import bind

    sock = bind("127.0.0.1", 0)
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    nurse = make_device(live_server.new_staff(teams=(team[1],)), url=dead)
    nurse.lane.call(messages.add_local_message, team[0], "Written on the community round")
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.OFFLINE), "offline")
    status = nurse.watch.statuses[-1]
    assert status.to_send == 1 and status.retry_in is not None
    assert "Offline" in status.reason
    assert nurse.lane.call(outbox.pending_count) == 1


def test_a_revoked_device_wipes_its_profile(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    nurse = make_device(live_server.new_staff(teams=(team[1],)))
    folder = nurse.result.profile.db_path.parent
    live_server.admin("revoke_device", nurse.result.lease.device_id)
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.WIPED), "wiped")
    assert "withdrawn" in nurse.watch.statuses[-1].reason
    assert not folder.exists()


def test_a_lost_session_asks_for_the_password_then_carries_on(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    account = live_server.new_staff(teams=(team[1],))
    nurse = make_device(account)
    live_server.admin("reset_password", account.username, account.password)  # ends sessions
    nurse.lane.call(messages.add_local_message, team[0], "Sent after signing in again")
    nurse.engine.start()
    nurse.watch.wait_for(nurse.watch.reached(SyncPhase.NEEDS_SIGN_IN), "needs sign-in")
    nurse.engine.provide_password("wrong password")
    nurse.watch.wait_for(
        lambda: any("not accepted" in s.reason for s in nurse.watch.statuses), "wrong password said"
    )
    # The other thread's request, sent before, finding the session gone only now (a race the
    # real threads win only sometimes): what the user was told stays.
    late = NeedsSignIn(401, "unauthenticated", "Your session has ended. Sign in again.", {})
    nurse.engine._settle(late)
    assert "not accepted" in nurse.watch.last().reason
    assert nurse.watch.last().phase is SyncPhase.NEEDS_SIGN_IN
    nurse.engine.provide_password(account.password)
    nurse.watch.wait_for(lambda: nurse.lane.call(outbox.pending_count) == 0, "sent after sign-in")


def test_run_once_sends_and_catches_up(
    live_server: LiveServer, team: tuple[str, str], make_device: Callable[..., Device]
) -> None:
    alice = make_device(live_server.new_staff(teams=(team[1],)))
    bob = make_device(live_server.new_staff(teams=(team[1],)))
    for n in range(3):
        alice.lane.call(messages.add_local_message, team[0], f"handover note {n}")
    client = RecordClient(Transport(live_server.url))
    assert alice.lane.call(lambda store: store.get_state("session.token")) is not None
    from wardlink.sync.escrow import restore_session

    restore_session(alice.lane, client)
    status = run_once(alice.lane, client, policy=merge(None, None, None), clock=alice.clock)
    assert (status.sent, status.to_send) == (3, 0)
    restore_session(bob.lane, client)
    status = run_once(bob.lane, client, policy=merge(None, None, None), clock=bob.clock)
    assert status.received >= 3
    assert [b for b in bob.bodies(team[0]) if b.startswith("handover")] == [
        "handover note 0",
        "handover note 1",
        "handover note 2",
    ]
    client.close()
