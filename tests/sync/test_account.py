"""Signing in against the real record server: first sign-in, offline unlock, later sign-ins,
an admin password reset that keeps unsent work, re-authentication, the lease key, the token."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wardlink.core.clock import ManualClock, format_timestamp
from wardlink.core.lease import public_key_b64, verify_lease
from wardlink.core.model import MessageState
from wardlink.core.protocol import DeviceInfo, SessionResponse
from wardlink.store import messages, outbox, teams
from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.errors import WrongPassword
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import DEVICE_ID_NAME, Profiles
from wardlink.sync import account_state as account
from wardlink.sync.account import reauthenticate, sign_in_online, unlock_offline
from wardlink.sync.account_state import EscrowUnavailable, OnlineSignInRequired, SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import BadCredentials, NeedsSignIn, Offline
from wardlink.sync.escrow import restore_session, send_pending_escrow
from wardlink.sync.lease import SERVER_KEY_KEY, LeaseNotTrusted, LeaseState, ServerKeyChanged
from wardlink.sync.transport import Transport
from wardlink_server import directory

from .live_server import LiveServer, StaffAccount

NEW_PASSWORD = "reset by IT 2026"


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    return Profiles(
        tmp_path / "data", FileDeviceSecrets(tmp_path / "secrets.json"), kdf=MINIMAL_KDF
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime.now(dt.UTC))


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[RecordClient]:
    client = RecordClient(Transport(live_server.url))
    yield client
    client.close()


@pytest.fixture
def team(live_server: LiveServer) -> tuple[str, str]:
    return live_server.new_team()


@pytest.fixture
def nurse(live_server: LiveServer, team: tuple[str, str]) -> StaffAccount:
    return live_server.new_staff(teams=(team[1],))


def sign_in(
    profiles: Profiles,
    client: RecordClient,
    nurse: StaffAccount,
    clock: ManualClock,
    password: str | None = None,
    **options: str,
) -> SignInResult:
    return sign_in_online(
        profiles,
        client,
        username=nurse.username,
        password=password or nurse.password,
        device_name="Ward 7 PC 3",
        platform="linux",
        clock=clock,
        **options,
    )


def server_devices(live_server: LiveServer, nurse: StaffAccount) -> list[str]:
    with live_server.services.engine.connect() as conn:
        return [str(d["id"]) for d in directory.list_devices(conn, nurse.username)]


def state(result: SignInResult, key: str) -> str | None:
    def read(store: Store) -> str | None:
        return store.get_state(key)

    return result.lane.call(read)


def queue_messages(result: SignInResult, team_id: str, count: int) -> None:
    for n in range(count):
        result.lane.call(messages.add_local_message, team_id, f"Bay {n} needs a porter")


def test_first_sign_in_makes_the_profile_and_keeps_what_the_server_sent(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    result = sign_in(profiles, client, nurse, clock)
    try:
        assert result.created and result.online and not result.recovered
        assert result.staff.id == nurse.id and result.staff.username == nurse.username
        assert [t.id for t in result.teams] == [team[0]]
        assert [s.id for s in result.lane.call(teams.team_members, team[0])] == [nurse.id]
        assert [p.staff_id for p in profiles.list()] == [nurse.id]

        # token in memory and in the store; cursor, lease, policy, the trusted key
        assert client.token is not None and state(result, account.TOKEN_KEY) == client.token
        assert state(result, account.CURSOR_KEY) == str(result.cursor)
        server_key = live_server.services.public_key_b64
        assert result.key_trusted_on_first_use == server_key
        assert state(result, SERVER_KEY_KEY) == server_key
        assert result.lease is not None and verify_lease(result.lease, server_key)
        assert result.lease.staff_id == nurse.id
        assert result.lease_status.state is LeaseState.OK
        assert result.policy["lock_after_hours"] == 72

        # one device on the server, whose id the lease carries; the client id is kept twice
        assert server_devices(live_server, nurse) == [result.lease.device_id]
        snapshot = result.lane.call(account.load_snapshot)
        assert profiles.device_id(nurse.id) == snapshot.device.id

        # the escrow key reached the server: fetched in the window, it opens this profile
        assert result.escrow_registered
        assert state(result, account.ESCROW_PENDING_KEY) is None
        with profiles.unlock_with_escrow(nurse.id, client.get_escrow()) as reopened:
            assert reopened.info.staff_id == nurse.id
    finally:
        result.close()
    assert result.profile.locked and result.lane.closed


def test_offline_unlock_needs_no_server(
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = sign_in(profiles, client, nurse, clock)
    token = client.token
    queue_messages(first, team[0], 2)
    first.close()

    def no_network(*args: object, **kwargs: object) -> object:
        raise AssertionError("an offline unlock must not touch the network")

    monkeypatch.setattr(requests.Session, "request", no_network)
    clock.advance(dt.timedelta(hours=20))
    result = unlock_offline(profiles, nurse.id, nurse.password, clock=clock)
    try:
        assert not result.online and not result.created
        assert result.staff.id == nurse.id and [t.id for t in result.teams] == [team[0]]
        assert result.lease_status.state is LeaseState.OK
        assert result.lease_status.unsent == 2
        offline_client = RecordClient(Transport("http://127.0.0.1:9"))
        assert restore_session(result.lane, offline_client)
        assert offline_client.token == token
        offline_client.close()
        with pytest.raises(WrongPassword):
            unlock_offline(profiles, nurse.id, "not it", clock=clock)
    finally:
        result.close()


def test_a_later_sign_in_keeps_the_cursor_and_the_device(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    first = sign_in(profiles, client, nurse, clock)
    first_token = client.token

    def pulled_further(store: Store) -> None:
        store.set_state(account.CURSOR_KEY, str(first.cursor + 7))

    first.lane.call(pulled_further)
    first.close()
    live_server.new_team()  # the event head moves on: a new cursor would differ

    again = sign_in(profiles, client, nurse, clock)
    try:
        assert not again.created and not again.recovered and again.online
        assert again.cursor == first.cursor + 7
        assert client.token != first_token and state(again, account.TOKEN_KEY) == client.token
        assert again.key_trusted_on_first_use is None
        assert len(server_devices(live_server, nurse)) == 1
        assert again.lease is not None and first.lease is not None
        assert again.lease.device_id == first.lease.device_id
        assert again.escrow_registered
    finally:
        again.close()


def test_admin_reset_keeps_the_profile_and_its_unsent_work(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    first = sign_in(profiles, client, nurse, clock)
    queue_messages(first, team[0], 3)
    device_id = first.lane.call(account.load_snapshot).device.id
    first.close()

    live_server.admin("reset_password", nurse.username, NEW_PASSWORD)
    with pytest.raises(WrongPassword):  # the local password is still the old one
        profiles.unlock(nurse.id, NEW_PASSWORD)

    result = sign_in(profiles, client, nurse, clock, NEW_PASSWORD)
    try:
        assert result.recovered and not result.created
        assert result.lane.call(outbox.pending_count) == 3
        queued = result.lane.call(messages.latest_messages, team[0])
        assert [m.state for m in queued] == [MessageState.QUEUED] * 3
        assert result.lane.call(account.load_snapshot).device.id == device_id
        assert len(server_devices(live_server, nurse)) == 1
    finally:
        result.close()

    # the profile now opens with the new password only, and the work is still there
    with pytest.raises(WrongPassword):
        unlock_offline(profiles, nurse.id, nurse.password, clock=clock)
    offline = unlock_offline(profiles, nurse.id, NEW_PASSWORD, clock=clock)
    try:
        assert offline.lease_status.unsent == 3
    finally:
        offline.close()


def test_a_wrong_password_makes_nothing(
    profiles: Profiles, client: RecordClient, clock: ManualClock, nurse: StaffAccount
) -> None:
    with pytest.raises(BadCredentials):
        sign_in(profiles, client, nurse, clock, "not the password")
    assert profiles.list() == []
    assert client.token is None


def test_reauthenticate_after_the_session_ended(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    result = sign_in(profiles, client, nurse, clock)
    try:
        assert result.lease is not None
        ended = client.token
        client.sign_out()
        client.token = ended
        with pytest.raises(NeedsSignIn):
            client.renew_lease()
        cursor = state(result, account.CURSOR_KEY)

        refresh = reauthenticate(result.lane, client, nurse.password)
        assert client.token not in (None, ended)
        assert state(result, account.TOKEN_KEY) == client.token
        assert state(result, account.CURSOR_KEY) == cursor
        assert refresh.lease_status.state is LeaseState.OK and not refresh.password_updated
        assert server_devices(live_server, nurse) == [result.lease.device_id]
        client.renew_lease()  # the new token works

        # an admin reset ends the session too: the new password becomes the local one
        live_server.admin("reset_password", nurse.username, NEW_PASSWORD)
        with pytest.raises(NeedsSignIn):
            client.renew_lease()
        refresh = reauthenticate(
            result.lane, client, NEW_PASSWORD, profiles=profiles, unlocked=result.profile
        )
        assert refresh.password_updated and refresh.escrow_registered
        assert server_devices(live_server, nurse) == [result.lease.device_id]
    finally:
        result.close()
    profiles.unlock(nurse.id, NEW_PASSWORD).lock()


def test_the_token_is_never_on_disk_in_the_clear(
    tmp_path: Path,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    result = sign_in(profiles, client, nurse, clock)
    tokens = [client.token]
    try:
        queue_messages(result, team[0], 2)
        reauthenticate(result.lane, client, nurse.password)
        tokens.append(client.token)
        # Looked at while the database is open (its WAL holds the latest writes) and after.
        scan_for_tokens(tmp_path, tokens)
    finally:
        result.close()
    scan_for_tokens(tmp_path, tokens)


def scan_for_tokens(root: Path, tokens: list[str | None]) -> None:
    needles = []
    for token in tokens:
        assert token
        raw = token.encode("ascii")
        needles += [raw, base64.b64encode(raw), token.encode("utf-16-le")]
    files = [path for path in root.rglob("*") if path.is_file()]
    assert any(path.name == "wardlink.db" for path in files)
    for path in files:
        content = path.read_bytes()
        assert not any(needle in content for needle in needles), path.name


class TamperingClient(RecordClient):
    """Stretches the lease the server sends at sign-in, as someone in the middle might."""

    def sign_in(self, username: str, password: str, device: DeviceInfo) -> SessionResponse:
        session = super().sign_in(username, password, device)
        later = format_timestamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
        lease = dataclasses.replace(session.lease, wipe_after=later, lock_after=later)
        return dataclasses.replace(session, lease=lease)


def test_a_tampered_lease_at_sign_in_is_refused(
    live_server: LiveServer, profiles: Profiles, clock: ManualClock, nurse: StaffAccount
) -> None:
    client = TamperingClient(Transport(live_server.url))
    with pytest.raises(LeaseNotTrusted):
        sign_in(profiles, client, nurse, clock)
    assert profiles.list() == []
    assert client.token is None  # and the session was ended on the server
    client.close()


def test_a_pinned_key_is_used_and_a_wrong_pin_refused(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    other_key = public_key_b64(Ed25519PrivateKey.generate())
    with pytest.raises(ServerKeyChanged):
        sign_in(profiles, client, nurse, clock, pinned_key=other_key)
    assert profiles.list() == [] and client.token is None

    result = sign_in(profiles, client, nurse, clock, pinned_key=live_server.services.public_key_b64)
    try:
        assert result.created and result.key_trusted_on_first_use is None
    finally:
        result.close()


def test_a_changed_server_key_is_refused_and_local_data_kept(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    server_key = live_server.services.public_key_b64
    first = sign_in(profiles, client, nurse, clock)
    queue_messages(first, team[0], 1)
    other_key = public_key_b64(Ed25519PrivateKey.generate())

    def trust_another_key(store: Store) -> None:
        store.set_state(SERVER_KEY_KEY, other_key)

    first.lane.call(trust_another_key)
    first.close()

    with pytest.raises(ServerKeyChanged) as refused:
        sign_in(profiles, client, nurse, clock)
    assert "machine policy" in refused.value.message
    assert client.token is None
    # Nothing local changed. Its lease does not verify against the key now trusted, so the
    # password alone does not open it; with the right key pinned by IT it opens as it was.
    with pytest.raises(OnlineSignInRequired):
        unlock_offline(profiles, nurse.id, nurse.password, clock=clock)
    offline = unlock_offline(profiles, nurse.id, nurse.password, clock=clock, pinned_key=server_key)
    try:
        assert offline.lease_status.unsent == 1
        assert state(offline, SERVER_KEY_KEY) == other_key
    finally:
        offline.close()


class OfflineForEscrow(RecordClient):
    def put_escrow(self, key: bytes) -> None:
        raise Offline()


def test_an_escrow_key_that_could_not_be_sent_waits_and_goes_later(
    live_server: LiveServer,
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    flaky = OfflineForEscrow(Transport(live_server.url))
    result = sign_in(profiles, flaky, nurse, clock)
    client = RecordClient(Transport(live_server.url))
    try:
        assert result.created and not result.escrow_registered
        assert state(result, account.ESCROW_PENDING_KEY) is not None
        assert not send_pending_escrow(result.lane, flaky)  # still offline: still pending

        client.token = flaky.token
        assert send_pending_escrow(result.lane, client)
        assert state(result, account.ESCROW_PENDING_KEY) is None
        assert result.lane.call(account.escrow_registered)
        with profiles.unlock_with_escrow(nurse.id, client.get_escrow()):
            pass
    finally:
        result.close()
        flaky.close()
        client.close()


def test_without_a_registered_escrow_key_a_reset_cannot_reopen_but_changes_nothing(
    live_server: LiveServer,
    profiles: Profiles,
    clock: ManualClock,
    nurse: StaffAccount,
    team: tuple[str, str],
) -> None:
    flaky = OfflineForEscrow(Transport(live_server.url))
    first = sign_in(profiles, flaky, nurse, clock)
    queue_messages(first, team[0], 1)
    first.close()
    flaky.close()

    live_server.admin("reset_password", nurse.username, NEW_PASSWORD)
    client = RecordClient(Transport(live_server.url))
    with pytest.raises(EscrowUnavailable):
        sign_in(profiles, client, nurse, clock, NEW_PASSWORD)
    assert client.token is None
    client.close()
    offline = unlock_offline(profiles, nurse.id, nurse.password, clock=clock)
    try:
        assert offline.lease_status.unsent == 1 and not offline.escrow_registered
    finally:
        offline.close()


def test_a_lost_device_id_file_is_mended_from_the_store(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    clock: ManualClock,
    nurse: StaffAccount,
) -> None:
    first = sign_in(profiles, client, nurse, clock)
    first.close()
    assert first.lease is not None
    device_id = profiles.device_id(nurse.id)
    (profiles.folder(nurse.id) / DEVICE_ID_NAME).unlink()

    again = sign_in(profiles, client, nurse, clock)
    try:
        assert again.lease is not None and again.lease.device_id == first.lease.device_id
        assert profiles.device_id(nurse.id) == device_id
        client.renew_lease()  # the session kept is the registered device's
    finally:
        again.close()
