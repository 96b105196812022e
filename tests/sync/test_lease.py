"""The offline lease on the client: judged against a high-water mark, verified against the trusted
key, renewed on contact; lock, warn and wipe against a record server whose clock tests move."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardlink.core.clock import ManualClock, format_timestamp
from wardlink.core.lease import public_key_b64, sign_lease
from wardlink.core.policy import Policy
from wardlink.core.protocol import Lease
from wardlink.store import messages
from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync import lease as lease_ops
from wardlink.sync.account import sign_in_online, unlock_offline
from wardlink.sync.account_state import OnlineSignInRequired, SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.lease import (
    WARN_BEFORE_WIPE,
    LeaseNotTrusted,
    LeaseState,
    accept_lease,
    check_lease,
    judge_lease,
    load_lease,
    renew_lease,
)
from wardlink.sync.transport import Transport
from wardlink.sync.wipe import ProfileWiped

from .live_server import LiveServer, StaffAccount

START = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# The lease server's policy: OK for 7 days, WARN from day 7 (3 days before the wipe), LOCKED from
# day 8, WIPE from day 10, so that every state can be seen.
LOCK_AFTER = 8 * DAY
WIPE_AFTER = 10 * DAY

# -- the pure judgement -------------------------------------------------------------------------

KEY = Ed25519PrivateKey.generate()
STAFF = "00000000-0000-4000-8000-00000000000a"
DEVICE = "20000000-0000-4000-8000-000000000001"


def signed(issued: dt.datetime, *, staff: str = STAFF, key: Ed25519PrivateKey = KEY) -> Lease:
    lease = Lease(
        device_id=DEVICE,
        staff_id=staff,
        issued_at=format_timestamp(issued),
        lock_after=format_timestamp(issued + LOCK_AFTER),
        wipe_after=format_timestamp(issued + WIPE_AFTER),
    )
    return sign_lease(lease, key)


@pytest.mark.parametrize(
    ("elapsed", "state"),
    [
        (dt.timedelta(0), LeaseState.OK),
        (WIPE_AFTER - WARN_BEFORE_WIPE - HOUR, LeaseState.OK),
        (WIPE_AFTER - WARN_BEFORE_WIPE, LeaseState.WARN),
        (LOCK_AFTER - HOUR, LeaseState.WARN),
        (LOCK_AFTER, LeaseState.LOCKED),
        (WIPE_AFTER - HOUR, LeaseState.LOCKED),
        (WIPE_AFTER, LeaseState.WIPE),
        (400 * DAY, LeaseState.WIPE),
    ],
)
def test_judge_lease_states(elapsed: dt.timedelta, state: LeaseState) -> None:
    assert judge_lease(signed(START), START + elapsed).state is state


def test_no_lease_or_an_untrusted_one_is_locked() -> None:
    assert judge_lease(None, START).state is LeaseState.LOCKED
    assert judge_lease(signed(START), START, trusted=False).state is LeaseState.LOCKED


def test_the_warning_counts_unsent_items_and_days_left() -> None:
    status = judge_lease(signed(START), START + 7 * DAY + HOUR, unsent=12)
    assert status.state is LeaseState.WARN and status.wipe_soon
    assert "in 3 days" in status.message and "12 unsent items are waiting" in status.message
    locked = judge_lease(signed(START), START + WIPE_AFTER - 2 * HOUR, unsent=1)
    assert locked.state is LeaseState.LOCKED and locked.wipe_soon
    assert "online sign-in" in locked.message and "within a day" in locked.message
    assert "1 unsent item is waiting" in locked.message
    assert judge_lease(signed(START), START).message == ""


# -- accepting leases (store operations) --------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "lease.db", bytes(32), me=STAFF, clock=ManualClock(START))
    store.set_state(lease_ops.SERVER_KEY_KEY, public_key_b64(KEY))
    yield store
    store.close()


def test_accept_lease_keeps_only_verified_leases_for_this_profile(store: Store) -> None:
    first = signed(START)
    assert accept_lease(store, first)
    stretched = dataclasses.replace(first, wipe_after=format_timestamp(START + 400 * DAY))
    assert not accept_lease(store, stretched)
    assert not accept_lease(store, signed(START + DAY, key=Ed25519PrivateKey.generate()))
    assert not accept_lease(
        store, signed(START + DAY, staff="00000000-0000-4000-8000-00000000000b")
    )
    other_device = sign_lease(dataclasses.replace(signed(START + DAY), device_id=STAFF), KEY)
    assert not accept_lease(store, other_device)
    assert load_lease(store) == first  # the previous one stays

    newer = signed(START + DAY)
    assert accept_lease(store, newer)
    assert not accept_lease(store, first)  # a replayed older lease does not replace it
    assert load_lease(store) == newer


def test_a_lease_edited_in_the_store_counts_as_none(store: Store) -> None:
    assert accept_lease(store, signed(START))
    assert check_lease(store).state is LeaseState.OK
    stretched = dataclasses.replace(signed(START), lock_after=format_timestamp(START + 300 * DAY))
    store.set_json_state(lease_ops.LEASE_KEY, stretched.to_json())
    assert check_lease(store).state is LeaseState.LOCKED
    # A pinned key is checked too, whatever key the store holds.
    store.set_json_state(lease_ops.LEASE_KEY, signed(START).to_json())
    other = public_key_b64(Ed25519PrivateKey.generate())
    assert check_lease(store, pinned_key=other).state is LeaseState.LOCKED
    assert check_lease(store, pinned_key=public_key_b64(KEY)).state is LeaseState.OK


def test_the_high_water_mark_only_rises(store: Store) -> None:
    assert accept_lease(store, signed(START))
    clock = store.clock
    assert isinstance(clock, ManualClock)
    clock.set(START + 9 * DAY)
    assert check_lease(store).state is LeaseState.LOCKED
    clock.set(START)  # the PC's clock turned back
    status = check_lease(store)
    assert status.state is LeaseState.LOCKED and status.now == START + 9 * DAY
    # A lease's own issue time counts as time seen as well: the server's clock is a witness.
    store.set_state(lease_ops.HIGH_WATER_KEY, format_timestamp(START))
    assert accept_lease(store, signed(START + 2 * DAY))
    assert lease_ops.high_water(store) == START + 2 * DAY


# -- against a record server whose clock tests move ---------------------------------------------


class Elapse:
    """Real time passing: the server's clock and the PC's move together."""

    def __init__(self, server_clock: ManualClock, pc_clock: ManualClock) -> None:
        self.server_clock = server_clock
        self.pc_clock = pc_clock

    def __call__(self, delta: dt.timedelta) -> None:
        self.server_clock.advance(delta)
        self.pc_clock.set(self.server_clock.now())


@pytest.fixture(scope="module")
def server_clock() -> ManualClock:
    return ManualClock(dt.datetime.now(dt.UTC))


@pytest.fixture(scope="module")
def lease_server(
    tmp_path_factory: pytest.TempPathFactory, server_clock: ManualClock
) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("lease-server") / "server.db", clock=server_clock)
    server.services.policy = Policy(
        lock_after_hours=int(LOCK_AFTER / HOUR), wipe_after_days=WIPE_AFTER.days
    )
    yield server
    server.stop()


@pytest.fixture
def pc_clock(server_clock: ManualClock) -> ManualClock:
    return ManualClock(server_clock.now())


@pytest.fixture
def elapse(server_clock: ManualClock, pc_clock: ManualClock) -> Elapse:
    return Elapse(server_clock, pc_clock)


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    return Profiles(
        tmp_path / "data", FileDeviceSecrets(tmp_path / "secrets.json"), kdf=MINIMAL_KDF
    )


@pytest.fixture
def client(lease_server: LiveServer) -> Iterator[RecordClient]:
    client = RecordClient(Transport(lease_server.url))
    yield client
    client.close()


@pytest.fixture
def team(lease_server: LiveServer) -> tuple[str, str]:
    return lease_server.new_team()


@pytest.fixture
def nurse(lease_server: LiveServer, team: tuple[str, str]) -> StaffAccount:
    return lease_server.new_staff(teams=(team[1],))


def sign_in(
    profiles: Profiles, client: RecordClient, nurse: StaffAccount, clock: ManualClock
) -> SignInResult:
    return sign_in_online(
        profiles,
        client,
        username=nurse.username,
        password=nurse.password,
        device_name="Community laptop 12",
        platform="windows",
        clock=clock,
    )


def test_after_lock_after_only_an_online_sign_in_opens_it(
    profiles: Profiles,
    client: RecordClient,
    pc_clock: ManualClock,
    elapse: Elapse,
    nurse: StaffAccount,
) -> None:
    sign_in(profiles, client, nurse, pc_clock).close()
    elapse(LOCK_AFTER + HOUR)
    with pytest.raises(OnlineSignInRequired) as locked:
        unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    assert locked.value.status.state is LeaseState.LOCKED
    assert profiles.list()[0].staff_id == nurse.id  # locked, not wiped

    online = sign_in(profiles, client, nurse, pc_clock)
    assert online.lease_status.state is LeaseState.OK and not online.created
    online.close()
    offline = unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    offline.close()


def test_the_warning_before_the_wipe_counts_unsent_items(
    profiles: Profiles,
    client: RecordClient,
    pc_clock: ManualClock,
    elapse: Elapse,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    result = sign_in(profiles, client, nurse, pc_clock)
    for body in ("Dressing supplies low", "Van 2 back at base"):
        result.lane.call(messages.add_local_message, team[0], body)
    result.close()

    elapse(WIPE_AFTER - WARN_BEFORE_WIPE + HOUR)
    warned = unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    try:
        status = warned.lease_status
        assert status.state is LeaseState.WARN and status.unsent == 2
        assert "2 unsent items are waiting to be sent" in status.message
        # the engine's periodic check says the same while the app stays open
        assert warned.lane.call(check_lease).state is LeaseState.WARN
    finally:
        warned.close()

    elapse(LOCK_AFTER - (WIPE_AFTER - WARN_BEFORE_WIPE))  # past lock_after, not yet the wipe
    with pytest.raises(OnlineSignInRequired) as locked:
        unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    assert locked.value.status.wipe_soon and locked.value.status.unsent == 2
    assert "2 unsent items" in locked.value.message


def test_after_wipe_after_the_profile_is_deleted(
    tmp_path: Path,
    profiles: Profiles,
    client: RecordClient,
    pc_clock: ManualClock,
    elapse: Elapse,
    nurse: StaffAccount,
) -> None:
    sign_in(profiles, client, nurse, pc_clock).close()
    elapse(WIPE_AFTER)
    with pytest.raises(ProfileWiped) as wiped:
        unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    assert "had not reached the record server for too long" in wiped.value.message
    assert profiles.list() == []
    assert not profiles.folder(nurse.id).exists()
    assert (tmp_path / "secrets.json").read_text().strip() in ("{}", "")


def test_a_clock_turned_back_does_not_extend_the_lease(
    profiles: Profiles,
    client: RecordClient,
    pc_clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    start = pc_clock.now()
    result = sign_in(profiles, client, nurse, pc_clock)
    try:
        pc_clock.advance(LOCK_AFTER + HOUR)
        assert result.lane.call(check_lease).state is LeaseState.LOCKED
        pc_clock.set(start + HOUR)  # someone sets the PC's clock back
        status = result.lane.call(check_lease)
        assert status.state is LeaseState.LOCKED and status.now >= start + LOCK_AFTER
    finally:
        result.close()
    with pytest.raises(OnlineSignInRequired):
        unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)
    pc_clock.set(start - 30 * DAY)  # further back still: nothing changes
    with pytest.raises(OnlineSignInRequired):
        unlock_offline(profiles, nurse.id, nurse.password, clock=pc_clock)


class StretchingClient(RecordClient):
    """Answers lease renewals with a stretched copy, as someone in the middle might."""

    def renew_lease(self) -> Lease:
        lease = super().renew_lease()
        return dataclasses.replace(lease, wipe_after=format_timestamp(START + 900 * DAY))


def test_renewal_extends_the_lease_and_a_tampered_one_is_ignored(
    lease_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    pc_clock: ManualClock,
    elapse: Elapse,
    nurse: StaffAccount,
) -> None:
    result = sign_in(profiles, client, nurse, pc_clock)
    try:
        first = result.lease
        assert first is not None
        elapse(10 * HOUR)  # within the session's life (12 hours on this server)
        status = renew_lease(result.lane, client)
        renewed = result.lane.call(load_lease)
        assert renewed is not None and renewed.lock_after > first.lock_after
        assert status.state is LeaseState.OK

        stretching = StretchingClient(Transport(lease_server.url))
        stretching.token = client.token
        elapse(HOUR)
        with pytest.raises(LeaseNotTrusted):
            renew_lease(result.lane, stretching)
        assert result.lane.call(load_lease) == renewed  # the previous one is kept
        stretching.close()
    finally:
        result.close()
