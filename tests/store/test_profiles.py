"""Profiles: make, list, unlock, lock, change password, escrow, wipe, and every way it refuses."""

from __future__ import annotations

import errno
import hashlib
import inspect
import json
import os
import secrets
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from wardlink.store import durable_files, profiles
from wardlink.store.connection import open_database
from wardlink.store.device_secrets import FileDeviceSecrets, UnavailableDeviceSecrets
from wardlink.store.errors import (
    DeviceSecretMismatch,
    DeviceSecretMissing,
    DiskFull,
    EscrowKeyRejected,
    KeyringChanged,
    KeyringUnavailable,
    KeySlotsDamaged,
    ProfileExists,
    ProfileLocked,
    ProfileNotFound,
    StoreError,
    WrongPassword,
)
from wardlink.store.keyslots import MINIMAL_KDF, PRODUCTION_KDF, SlotKind
from wardlink.store.profiles import DB_NAME, ProfileInfo, Profiles, UnlockedProfile

PASSWORD = "Tr0ub4dor&3-ward7"
NEW_PASSWORD = "night shift 2026!"


@pytest.fixture
def device_secrets(tmp_path: Path) -> FileDeviceSecrets:
    return FileDeviceSecrets(tmp_path / "keyring" / "device-secrets.json")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, device_secrets: FileDeviceSecrets) -> Profiles:
    return Profiles(data_dir, device_secrets, kdf=MINIMAL_KDF)


@pytest.fixture
def staff_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def made(store: Profiles, staff_id: str) -> UnlockedProfile:
    return store.create(
        staff_id=staff_id, username="jsmith", display_name="Jo Smith", password=PASSWORD
    )


def _keyslots_path(store: Profiles, staff_id: str) -> Path:
    return store.folder(staff_id) / "keyslots.json"


def _document(store: Profiles, staff_id: str) -> dict[str, object]:
    loaded = json.loads(_keyslots_path(store, staff_id).read_bytes())
    assert isinstance(loaded, dict)
    return loaded


def _uid(store: Profiles, staff_id: str) -> str:
    return str(_document(store, staff_id)["profile_uid"])


def _digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


# -- making, listing, opening -------------------------------------------------------------------


def test_create_lays_out_the_profile(
    store: Profiles, made: UnlockedProfile, staff_id: str, device_secrets: FileDeviceSecrets
) -> None:
    folder = store.profiles_dir / staff_id
    assert made.db_path == folder / DB_NAME
    assert made.db_path.is_file()
    assert made.info == ProfileInfo(staff_id, "jsmith", "Jo Smith")
    assert made.opened_with is SlotKind.PASSWORD
    assert len(made.dek) == 32
    document = _document(store, staff_id)
    assert document["staff_id"] == staff_id
    assert document["keyring_backend"] == device_secrets.backend_id()
    assert document["profile_uid"] != staff_id
    assert device_secrets.get(str(document["profile_uid"])) is not None
    if os.name == "posix":  # other users of a shared PC cannot even list whose profiles exist
        for private in (folder, store.profiles_dir, store.data_dir):
            assert private.stat().st_mode & 0o777 == 0o700, private
    # The database really is encrypted under the DEK.
    conn = open_database(made.db_path, made.dek)
    conn.close()
    assert not made.db_path.read_bytes().startswith(b"SQLite format 3")


def test_list_shows_names_without_a_password(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    other = str(uuid.uuid4())
    store.create(staff_id=other, username="aa", display_name="Ann Able", password="x" * 12)
    (store.profiles_dir / "not-a-profile").mkdir()
    (store.profiles_dir / str(uuid.uuid4())).mkdir()  # an empty leftover folder
    assert store.list() == [
        ProfileInfo(other, "aa", "Ann Able"),
        ProfileInfo(staff_id, "jsmith", "Jo Smith"),
    ]


def test_list_of_an_empty_data_dir(store: Profiles) -> None:
    assert store.list() == []


def test_unlock_gives_the_same_key_and_survives_a_restart(
    data_dir: Path, device_secrets: FileDeviceSecrets, made: UnlockedProfile, staff_id: str
) -> None:
    expected = bytes(made.dek)
    restarted = Profiles(data_dir, FileDeviceSecrets(device_secrets.path), kdf=MINIMAL_KDF)
    with restarted.unlock(staff_id, PASSWORD) as unlocked:
        assert bytes(unlocked.dek) == expected
        assert unlocked.info == made.info
        assert unlocked.db_path == made.db_path


def test_lock_zeroes_the_key(store: Profiles, made: UnlockedProfile, staff_id: str) -> None:
    unlocked = store.unlock(staff_id, PASSWORD)
    buffer = unlocked.dek
    assert any(buffer)
    unlocked.lock()
    assert buffer == bytearray(32)
    assert unlocked.locked
    with pytest.raises(ProfileLocked):
        _ = unlocked.dek
    unlocked.lock()  # twice is fine
    with pytest.raises(ProfileLocked):
        store.change_password(unlocked, NEW_PASSWORD)
    with pytest.raises(ProfileLocked):
        store.set_escrow_key(unlocked, secrets.token_bytes(32))


def test_context_manager_locks_on_the_way_out(store: Profiles, made: UnlockedProfile) -> None:
    buffer = made.dek

    def use_then_fail() -> None:
        with made:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        use_then_fail()
    assert made.locked
    assert buffer == bytearray(32)


def test_repr_shows_no_key(made: UnlockedProfile, staff_id: str) -> None:
    key_hex = bytes(made.dek).hex()
    for text in (repr(made), str(made)):
        assert staff_id in text
        assert key_hex not in text
        assert "unlocked" in text


def test_existing_profile_is_never_made_again(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    before = _digest(store.folder(staff_id))
    with pytest.raises(ProfileExists):
        store.create(staff_id=staff_id, username="j", display_name="J", password="another one")
    assert _digest(store.folder(staff_id)) == before
    # Keys gone but the data still there: still refused, a new key never goes over old data.
    _keyslots_path(store, staff_id).unlink()
    with pytest.raises(ProfileExists):
        store.create(staff_id=staff_id, username="j", display_name="J", password="another one")


@pytest.mark.parametrize(
    "bad_id", ["../escape", "..", "", "a/b", "C:\\x", "00000000-0000-0000-0000-00000000000/"]
)
def test_staff_id_can_never_name_a_path(store: Profiles, tmp_path: Path, bad_id: str) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match="UUID"):
        store.create(staff_id=bad_id, username="x", display_name="X", password="pw-pw-pw")
    for call in (
        lambda: store.unlock(bad_id, "pw-pw-pw"),
        lambda: store.delete(bad_id),
        lambda: store.unlock_with_escrow(bad_id, bytes(32)),
    ):
        with pytest.raises(ValueError, match="UUID"):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_uppercase_staff_id_is_the_same_profile(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    with store.unlock(staff_id.upper(), PASSWORD) as unlocked:
        assert unlocked.info.staff_id == staff_id


def test_defaults_record_the_production_argon2id_cost(
    data_dir: Path, device_secrets: FileDeviceSecrets, staff_id: str
) -> None:
    assert inspect.signature(Profiles).parameters["kdf"].default is PRODUCTION_KDF
    default_store = Profiles(data_dir, device_secrets)
    default_store.create(staff_id=staff_id, username="p", display_name="P", password=PASSWORD)
    slots = _document(default_store, staff_id)["slots"]
    assert isinstance(slots, list)
    kdf = slots[0]["kdf"]
    assert (kdf["algorithm"], kdf["memory_cost"], kdf["time_cost"]) == ("argon2id", 65536, 3)
    assert kdf["parallelism"] == 4


def test_unknown_profile(store: Profiles) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(ProfileNotFound):
        store.unlock(missing, PASSWORD)
    with pytest.raises(ProfileNotFound):
        store.unlock_with_escrow(missing, bytes(32))
    with pytest.raises(ProfileNotFound):
        store.delete(missing)


# -- refusals -----------------------------------------------------------------------------------


def test_wrong_password_opens_nothing_and_changes_nothing(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    before = _digest(store.folder(staff_id))
    for wrong in ("Tr0ub4dor&3-ward8", "", PASSWORD.upper(), PASSWORD + " "):
        with pytest.raises(WrongPassword):
            store.unlock(staff_id, wrong)
    assert _digest(store.folder(staff_id)) == before


def test_copied_profile_cannot_be_opened_on_another_machine(
    store: Profiles, made: UnlockedProfile, staff_id: str, tmp_path: Path
) -> None:
    other_data = tmp_path / "other-pc" / "data"
    shutil.copytree(store.profiles_dir, other_data / "profiles")
    other_keyring = FileDeviceSecrets(tmp_path / "other-pc" / "device-secrets.json")
    other_store = Profiles(other_data, other_keyring, kdf=MINIMAL_KDF)
    # The other machine has no entry for this profile at all...
    with pytest.raises(DeviceSecretMissing):
        other_store.unlock(staff_id, PASSWORD)
    # ...or a different secret under the same account (e.g. a copy of a copy).
    other_keyring.set(_uid(store, staff_id), secrets.token_bytes(32))
    with pytest.raises(DeviceSecretMismatch):
        other_store.unlock(staff_id, PASSWORD)
    with pytest.raises(DeviceSecretMismatch):
        other_store.unlock(staff_id, "not the password")


def test_missing_device_secret_leaves_the_database_untouched(
    store: Profiles, made: UnlockedProfile, staff_id: str, device_secrets: FileDeviceSecrets
) -> None:
    before = _digest(store.folder(staff_id))
    device_secrets.delete(_uid(store, staff_id))
    with pytest.raises(DeviceSecretMissing):
        store.unlock(staff_id, PASSWORD)
    with pytest.raises(DeviceSecretMissing):
        store.change_password(made, NEW_PASSWORD)
    assert _digest(store.folder(staff_id)) == before
    assert store.list() == [made.info]


def test_changed_keyring_backend_is_reported(
    data_dir: Path, made: UnlockedProfile, staff_id: str, tmp_path: Path
) -> None:
    other_backend = FileDeviceSecrets(tmp_path / "new-keyring.json", backend_id="another.Backend")
    with pytest.raises(KeyringChanged):
        Profiles(data_dir, other_backend, kdf=MINIMAL_KDF).unlock(staff_id, PASSWORD)


def test_unavailable_keyring_is_reported(
    data_dir: Path, made: UnlockedProfile, staff_id: str
) -> None:
    unavailable = UnavailableDeviceSecrets(KeyringUnavailable())
    with pytest.raises(KeyringUnavailable):
        Profiles(data_dir, unavailable, kdf=MINIMAL_KDF).unlock(staff_id, PASSWORD)


def _truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip_ciphertext(data: bytes) -> bytes:
    document = json.loads(data)
    ciphertext = bytearray(document["slots"][0]["ciphertext"].encode())
    ciphertext[10] = ord("A") if ciphertext[10] != ord("A") else ord("B")
    document["slots"][0]["ciphertext"] = ciphertext.decode()
    return json.dumps(document).encode()


def _flip_bit(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x04
    return bytes(flipped)


@pytest.mark.parametrize(
    "damage",
    [_truncate, _flip_ciphertext, _flip_bit, lambda _: b"this is not JSON", lambda _: b""],
    ids=["truncated", "flipped-ciphertext", "flipped-bit", "not-json", "empty"],
)
def test_damaged_key_file_is_damage_not_a_wrong_password(
    store: Profiles,
    made: UnlockedProfile,
    staff_id: str,
    damage: Callable[[bytes], bytes],
) -> None:
    path = _keyslots_path(store, staff_id)
    path.write_bytes(damage(path.read_bytes()))
    for password in (PASSWORD, "wrong password"):
        with pytest.raises(KeySlotsDamaged):
            store.unlock(staff_id, password)
    [listed] = store.list()
    assert listed.staff_id == staff_id
    assert listed.problem is KeySlotsDamaged


def test_lost_key_file_with_data_left_is_damage(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    _keyslots_path(store, staff_id).unlink()
    with pytest.raises(KeySlotsDamaged):
        store.unlock(staff_id, PASSWORD)
    assert store.list() == [ProfileInfo(staff_id, "", "", KeySlotsDamaged)]


def test_key_file_moved_to_another_staff_folder_is_damage(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    other = store.profiles_dir / str(uuid.uuid4())
    shutil.copytree(store.folder(staff_id), other)
    with pytest.raises(KeySlotsDamaged):
        store.unlock(other.name, PASSWORD)


# -- changing the password and escrow -----------------------------------------------------------


def test_change_password_keeps_every_row(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    rows = [(i, f"handover item {i}") for i in range(50)]
    conn = open_database(made.db_path, made.dek)
    conn.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    conn.executemany("INSERT INTO scratch VALUES (?, ?)", rows)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    db_before = hashlib.sha256(made.db_path.read_bytes()).hexdigest()

    store.change_password(made, NEW_PASSWORD)
    made.lock()

    assert hashlib.sha256(made.db_path.read_bytes()).hexdigest() == db_before  # not re-encrypted
    with pytest.raises(WrongPassword):
        store.unlock(staff_id, PASSWORD)
    with store.unlock(staff_id, NEW_PASSWORD) as unlocked:
        conn = open_database(unlocked.db_path, unlocked.dek)
        try:
            assert conn.execute("SELECT id, body FROM scratch ORDER BY id").fetchall() == rows
        finally:
            conn.close()


def test_change_password_of_a_replaced_profile_is_refused(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    store.delete(staff_id)
    store.create(staff_id=staff_id, username="j", display_name="J", password="brand new one")
    with pytest.raises(ProfileNotFound):
        store.change_password(made, NEW_PASSWORD)
    with pytest.raises(WrongPassword):
        store.unlock(staff_id, NEW_PASSWORD)


def test_escrow_reset_path(store: Profiles, made: UnlockedProfile, staff_id: str) -> None:
    escrow_key = secrets.token_bytes(32)
    store.set_escrow_key(made, escrow_key)
    expected = bytes(made.dek)
    made.lock()

    # The password is forgotten (an admin reset it on the server); the escrow key opens.
    recovered = store.unlock_with_escrow(staff_id, escrow_key)
    assert recovered.opened_with is SlotKind.ESCROW
    assert bytes(recovered.dek) == expected
    store.change_password(recovered, NEW_PASSWORD)
    recovered.lock()

    with pytest.raises(WrongPassword):
        store.unlock(staff_id, PASSWORD)
    with store.unlock(staff_id, NEW_PASSWORD) as unlocked:
        assert bytes(unlocked.dek) == expected
    # The escrow slot outlives the password change.
    with store.unlock_with_escrow(staff_id, escrow_key) as again:
        assert bytes(again.dek) == expected


def test_wrong_or_missing_escrow_key_is_refused(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    with pytest.raises(EscrowKeyRejected):
        store.unlock_with_escrow(staff_id, secrets.token_bytes(32))  # no escrow slot yet
    store.set_escrow_key(made, secrets.token_bytes(32))
    with pytest.raises(EscrowKeyRejected):
        store.unlock_with_escrow(staff_id, secrets.token_bytes(32))


def test_set_escrow_key_replaces_the_old_one(
    store: Profiles, made: UnlockedProfile, staff_id: str
) -> None:
    old_key, new_key = secrets.token_bytes(32), secrets.token_bytes(32)
    store.set_escrow_key(made, old_key)
    store.set_escrow_key(made, new_key)
    slots = _document(store, staff_id)["slots"]
    assert isinstance(slots, list)
    assert sorted(slot["kind"] for slot in slots) == ["escrow", "password"]
    with pytest.raises(EscrowKeyRejected):
        store.unlock_with_escrow(staff_id, old_key)
    store.unlock_with_escrow(staff_id, new_key).lock()


def test_escrow_opens_even_without_the_device_secret(
    store: Profiles, made: UnlockedProfile, staff_id: str, device_secrets: FileDeviceSecrets
) -> None:
    escrow_key = secrets.token_bytes(32)
    store.set_escrow_key(made, escrow_key)
    device_secrets.delete(_uid(store, staff_id))
    with store.unlock_with_escrow(staff_id, escrow_key) as unlocked:
        assert bytes(unlocked.dek) == bytes(made.dek)
        with pytest.raises(DeviceSecretMissing):
            store.change_password(unlocked, NEW_PASSWORD)


@pytest.mark.parametrize("failing", ["replace", "write"])
def test_disk_full_while_changing_password_keeps_the_old_file(
    store: Profiles,
    made: UnlockedProfile,
    staff_id: str,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    folder = store.folder(staff_id)
    before = _digest(folder)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable_files.os, failing, disk_full)
    with pytest.raises(DiskFull):
        store.change_password(made, NEW_PASSWORD)
    with pytest.raises(DiskFull):
        store.set_escrow_key(made, secrets.token_bytes(32))
    monkeypatch.undo()

    assert _digest(folder) == before  # no temp file left either
    store.unlock(staff_id, PASSWORD).lock()
    with pytest.raises(WrongPassword):
        store.unlock(staff_id, NEW_PASSWORD)


# -- wiping ---------------------------------------------------------------------------------------


def test_delete_wipes_everything(
    store: Profiles,
    made: UnlockedProfile,
    staff_id: str,
    device_secrets: FileDeviceSecrets,
    tmp_path: Path,
) -> None:
    uid = _uid(store, staff_id)
    key_file = _keyslots_path(store, staff_id)
    original = key_file.read_bytes()
    # A second name for the same file shows what happened to its bytes after removal.
    witness = tmp_path / "witness"
    os.link(key_file, witness)

    store.delete(staff_id)

    assert not store.folder(staff_id).exists()
    assert list(store.profiles_dir.iterdir()) == []
    assert device_secrets.get(uid) is None
    assert store.list() == []
    overwritten = witness.read_bytes()
    assert len(overwritten) == len(original)
    assert overwritten != original
    assert b"profile_uid" not in overwritten
    with pytest.raises(ProfileNotFound):
        store.unlock(staff_id, PASSWORD)


def test_delete_with_the_keyring_unavailable_still_destroys_the_key_slots(
    data_dir: Path, made: UnlockedProfile, staff_id: str, device_secrets: FileDeviceSecrets
) -> None:
    uid_holder = Profiles(data_dir, device_secrets, kdf=MINIMAL_KDF)
    uid = _uid(uid_holder, staff_id)
    locked_out = Profiles(data_dir, UnavailableDeviceSecrets(KeyringUnavailable()))
    locked_out.delete(staff_id)
    assert not (data_dir / "profiles" / staff_id).exists()
    assert device_secrets.get(uid) is not None  # could not be reached: left behind, harmless


def test_delete_of_a_damaged_profile(store: Profiles, made: UnlockedProfile, staff_id: str) -> None:
    _keyslots_path(store, staff_id).write_bytes(b"\x00garbage")
    store.delete(staff_id)
    assert not store.folder(staff_id).exists()


def test_failed_create_leaves_nothing_behind(
    store: Profiles,
    staff_id: str,
    device_secrets: FileDeviceSecrets,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_database(path: Path, dek: bytes | bytearray) -> None:
        raise DiskFull()

    monkeypatch.setattr(profiles, "open_database", no_database)
    with pytest.raises(DiskFull):
        store.create(staff_id=staff_id, username="j", display_name="J", password=PASSWORD)
    assert not store.folder(staff_id).exists()
    assert json.loads(device_secrets.path.read_bytes()) == {}


def test_create_without_a_keyring_leaves_nothing_behind(data_dir: Path, staff_id: str) -> None:
    store = Profiles(data_dir, UnavailableDeviceSecrets(KeyringUnavailable()), kdf=MINIMAL_KDF)
    with pytest.raises(KeyringUnavailable):
        store.create(staff_id=staff_id, username="j", display_name="J", password=PASSWORD)
    assert not (data_dir / "profiles" / staff_id).exists()


# -- nothing secret in any message ----------------------------------------------------------------


def test_no_error_carries_a_secret(
    store: Profiles,
    made: UnlockedProfile,
    staff_id: str,
    device_secrets: FileDeviceSecrets,
    tmp_path: Path,
) -> None:
    escrow_key = secrets.token_bytes(32)
    store.set_escrow_key(made, escrow_key)
    uid = _uid(store, staff_id)
    device_secret = device_secrets.get(uid)
    assert device_secret is not None
    forbidden = [
        PASSWORD,
        NEW_PASSWORD,
        bytes(made.dek).hex(),
        made.dek.hex().upper(),
        device_secret.hex(),
        escrow_key.hex(),
    ]
    raised: list[StoreError] = []

    def catch(call: Callable[[], object]) -> None:
        with pytest.raises(StoreError) as caught:
            call()
        raised.append(caught.value)

    catch(lambda: store.unlock(staff_id, NEW_PASSWORD))
    catch(lambda: store.unlock_with_escrow(staff_id, bytes(32)))
    catch(
        lambda: store.create(staff_id=staff_id, username="j", display_name="J", password=PASSWORD)
    )
    device_secrets.set(uid, secrets.token_bytes(32))
    catch(lambda: store.unlock(staff_id, PASSWORD))
    device_secrets.delete(uid)
    catch(lambda: store.unlock(staff_id, PASSWORD))
    catch(lambda: store.change_password(made, NEW_PASSWORD))
    _keyslots_path(store, staff_id).write_bytes(b"{")
    catch(lambda: store.unlock(staff_id, PASSWORD))
    made.lock()
    catch(lambda: store.change_password(made, NEW_PASSWORD))

    assert len(raised) == 8
    for error in raised:
        chain: list[BaseException] = [error]
        while chain[-1].__cause__ or chain[-1].__context__:
            chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
        texts = [error.message] + [f"{e!s} {e!r}" for e in chain]
        for text in texts:
            for secret in forbidden:
                assert secret not in text, type(error).__name__
