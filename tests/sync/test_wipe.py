"""Wiping: a revoked device or a disabled account hears "wipe" at its next contact with the real
record server, and nothing of the profile is left afterwards."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from wardlink.core.clock import ManualClock
from wardlink.store import messages
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.errors import ProfileLocked
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import Profiles
from wardlink.sync.account import sign_in_online
from wardlink.sync.account_state import SignInResult
from wardlink.sync.client import RecordClient
from wardlink.sync.errors import MustWipe
from wardlink.sync.lease import renew_lease
from wardlink.sync.transport import Transport
from wardlink.sync.wipe import REASONS, ProfileWiped, WipeReason, reason_for, wipe_profile

from .live_server import LiveServer, StaffAccount


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    return tmp_path / "secrets.json"


@pytest.fixture
def profiles(tmp_path: Path, secrets_file: Path) -> Profiles:
    return Profiles(tmp_path / "data", FileDeviceSecrets(secrets_file), kdf=MINIMAL_KDF)


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


def sign_in(profiles: Profiles, client: RecordClient, nurse: StaffAccount) -> SignInResult:
    return sign_in_online(
        profiles,
        client,
        username=nurse.username,
        password=nurse.password,
        device_name="Ward 7 PC 3",
        platform="linux",
        clock=ManualClock(dt.datetime.now(dt.UTC)),
    )


def assert_nothing_left(profiles: Profiles, staff_id: str, secrets_file: Path) -> None:
    assert profiles.list() == []
    assert not profiles.folder(staff_id).exists()
    assert [p for p in profiles.data_dir.rglob("*") if p.is_file()] == []
    assert json.loads(secrets_file.read_text()) == {}  # the keyring entry is gone


@pytest.mark.parametrize(
    ("action", "reason"),
    [("revoke_device", WipeReason.DEVICE_REVOKED), ("disable_staff", WipeReason.ACCOUNT_DISABLED)],
)
def test_the_next_contact_after_a_revoke_or_disable_wipes_everything(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    nurse: StaffAccount,
    team: tuple[str, str],
    secrets_file: Path,
    action: str,
    reason: WipeReason,
) -> None:
    result = sign_in(profiles, client, nurse)
    result.lane.call(messages.add_local_message, team[0], "Unsent, and lost with the device")
    assert result.lease is not None
    assert json.loads(secrets_file.read_text()) != {}

    target = result.lease.device_id if action == "revoke_device" else nurse.username
    live_server.admin(action, target)
    with pytest.raises(MustWipe) as refused:
        renew_lease(result.lane, client)
    assert reason_for(refused.value) is reason

    message = wipe_profile(
        profiles, nurse.id, result.lane, reason=reason_for(refused.value), profile=result.profile
    )
    assert message == REASONS[reason]
    assert result.lane.closed
    with pytest.raises(ProfileLocked):
        _ = result.profile.dek
    assert_nothing_left(profiles, nurse.id, secrets_file)
    # wiping again is harmless
    assert wipe_profile(profiles, nurse.id, reason=reason) == REASONS[reason]


def test_the_device_revoked_message_is_plain() -> None:
    assert REASONS[WipeReason.DEVICE_REVOKED] == (
        "This device's access was withdrawn; its Wardlink data has been removed."
    )


@pytest.mark.parametrize(
    ("action", "reason"),
    [("revoke_device", WipeReason.DEVICE_REVOKED), ("disable_staff", WipeReason.ACCOUNT_DISABLED)],
)
def test_a_sign_in_that_hears_wipe_wipes_the_local_profile(
    live_server: LiveServer,
    profiles: Profiles,
    client: RecordClient,
    nurse: StaffAccount,
    secrets_file: Path,
    action: str,
    reason: WipeReason,
) -> None:
    result = sign_in(profiles, client, nurse)
    assert result.lease is not None
    device_id = result.lease.device_id
    result.close()

    live_server.admin(action, device_id if action == "revoke_device" else nurse.username)
    with pytest.raises(ProfileWiped) as wiped:
        sign_in(profiles, client, nurse)
    assert wiped.value.reason is reason and wiped.value.message == REASONS[reason]
    assert client.token is None
    assert_nothing_left(profiles, nurse.id, secrets_file)
