"""The device id a profile signs in with (kept beside its key slots), and removing state keys."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest

from wardlink.store.database import Store
from wardlink.store.device_secrets import FileDeviceSecrets
from wardlink.store.errors import ProfileNotFound
from wardlink.store.keyslots import MINIMAL_KDF
from wardlink.store.profiles import DEVICE_ID_NAME, Profiles

PASSWORD = "Tr0ub4dor&3-ward7"


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    return Profiles(
        tmp_path / "data", FileDeviceSecrets(tmp_path / "secrets.json"), kdf=MINIMAL_KDF
    )


def test_device_id_is_kept_read_without_a_password_and_wiped_with_the_profile(
    profiles: Profiles,
) -> None:
    staff_id, device_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert profiles.device_id(staff_id) is None
    with pytest.raises(ProfileNotFound):
        profiles.set_device_id(staff_id, device_id)

    profiles.create(staff_id=staff_id, username="alice", display_name="Alice", password=PASSWORD)
    assert profiles.device_id(staff_id) is None
    profiles.set_device_id(staff_id, device_id)
    assert profiles.device_id(staff_id) == device_id
    assert [p.staff_id for p in profiles.list()] == [staff_id]

    profiles.delete(staff_id)
    assert profiles.device_id(staff_id) is None
    assert not profiles.folder(staff_id).exists()


@pytest.mark.parametrize("content", [b"", b"not a uuid", b"\xff\xfe", b"../../etc"])
def test_an_unreadable_device_id_is_none(profiles: Profiles, content: bytes) -> None:
    staff_id = str(uuid.uuid4())
    profiles.create(staff_id=staff_id, username="bob", display_name="Bob", password=PASSWORD)
    (profiles.folder(staff_id) / DEVICE_ID_NAME).write_bytes(content)
    assert profiles.device_id(staff_id) is None


def test_set_device_id_refuses_what_is_not_a_uuid(profiles: Profiles) -> None:
    staff_id = str(uuid.uuid4())
    profiles.create(staff_id=staff_id, username="carol", display_name="Carol", password=PASSWORD)
    with pytest.raises(ValueError, match="UUID"):
        profiles.set_device_id(staff_id, "ward-7-pc-3")


def test_delete_state(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", secrets.token_bytes(32), me=str(uuid.uuid4()))
    try:
        store.set_state("escrow.pending", "x")
        store.delete_state("escrow.pending")
        store.delete_state("never.set")
        assert store.get_state("escrow.pending") is None
    finally:
        store.close()
