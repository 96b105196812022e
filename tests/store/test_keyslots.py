"""Key slots: wrapping the DEK, telling a wrong key from a damaged file, and the file on disk."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import re
import secrets
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardlink.store import durable_files
from wardlink.store.errors import (
    DatabaseTooNew,
    DeviceSecretMismatch,
    DeviceSecretMissing,
    DiskFull,
    EscrowKeyRejected,
    KeyringChanged,
    KeySlotsDamaged,
    WrongPassword,
)
from wardlink.store.keyslots import (
    MINIMAL_KDF,
    PRODUCTION_KDF,
    KdfParams,
    KeySlot,
    KeySlots,
    SlotKind,
    canonical_uuid,
    check_device_secret,
    device_fingerprint,
    new_dek,
    new_device_secret,
    new_profile_uid,
    open_escrow_slot,
    open_password_slot,
    seal_escrow_slot,
    seal_password_slot,
)
from wardlink.store.keyslots_file import (
    decode_keyslots,
    encode_keyslots,
    read_keyslots,
    write_keyslots,
)

PASSWORD = "correct horse battery staple"
UID = "6f1c1f9e-0000-4000-8000-00000000abcd"
STAFF_ID = "0b7e5a8c-1111-4222-8333-444455556666"


@pytest.fixture
def dek() -> bytearray:
    return new_dek()


@pytest.fixture
def device_secret() -> bytes:
    return new_device_secret()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of its own (tmp_path also holds the test's environment folders)."""
    path = tmp_path / "profile"
    path.mkdir()
    return path


def _keyslots(dek: bytearray, device_secret: bytes, *slots: KeySlot) -> KeySlots:
    return KeySlots(
        profile_uid=UID,
        staff_id=STAFF_ID,
        username="jsmith",
        display_name="Jo Smith (Ward 7)",
        created_at="2026-11-28T09:15:02.123Z",
        keyring_backend="test.backend",
        device_fingerprint=device_fingerprint(device_secret),
        slots=slots or (seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF),),
    )


def _resealed(document: dict[str, object]) -> bytes:
    """`document` written back with a correct checksum, as a newer or buggy writer would."""
    body = {key: value for key, value in document.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return json.dumps(body).encode()


# -- parameters ---------------------------------------------------------------------------------


def test_production_and_minimal_kdf_costs() -> None:
    assert (PRODUCTION_KDF.memory_cost, PRODUCTION_KDF.time_cost) == (65536, 3)
    assert PRODUCTION_KDF.parallelism == 4
    assert (MINIMAL_KDF.memory_cost, MINIMAL_KDF.time_cost, MINIMAL_KDF.parallelism) == (8, 1, 1)


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "parallelism"),
    [(0, 8, 1), (1, 7, 1), (1, 8, 2), (1, 8, 0), (65, 8, 1), (1, 5 * 1024 * 1024, 1)],
)
def test_kdf_params_out_of_range_are_refused(
    time_cost: int, memory_cost: int, parallelism: int
) -> None:
    with pytest.raises(ValueError, match="out of range"):
        KdfParams(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def test_dek_is_32_fresh_random_bytes() -> None:
    first, second = new_dek(), new_dek()
    assert isinstance(first, bytearray)
    assert len(first) == 32
    assert first != second


# -- password slot ------------------------------------------------------------------------------


def test_password_slot_round_trip(dek: bytearray, device_secret: bytes) -> None:
    slot = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    assert slot.kind is SlotKind.PASSWORD
    assert slot.kdf == MINIMAL_KDF
    assert slot.salt is not None
    assert len(slot.salt) == 16
    assert len(slot.nonce) == 12
    assert bytes(dek) not in slot.ciphertext
    assert open_password_slot(slot, PASSWORD, device_secret, UID) == dek


def test_each_seal_uses_a_fresh_salt_and_nonce(dek: bytearray, device_secret: bytes) -> None:
    one = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    two = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    assert one.salt != two.salt
    assert one.nonce != two.nonce
    assert one.ciphertext != two.ciphertext


def test_password_is_unicode_normalised(dek: bytearray, device_secret: bytes) -> None:
    composed, decomposed = "caf\u00e9-Ward7", "cafe\u0301-Ward7"
    slot = seal_password_slot(dek, composed, device_secret, UID, MINIMAL_KDF)
    assert open_password_slot(slot, decomposed, device_secret, UID) == dek


@pytest.mark.parametrize(
    "wrong", ["correct horse battery stapler", "", "Correct horse battery staple"]
)
def test_wrong_password_is_wrong_password(dek: bytearray, device_secret: bytes, wrong: str) -> None:
    slot = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    with pytest.raises(WrongPassword):
        open_password_slot(slot, wrong, device_secret, UID)


def test_slot_needs_the_device_secret_and_its_own_profile(
    dek: bytearray, device_secret: bytes
) -> None:
    slot = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    with pytest.raises(WrongPassword):
        open_password_slot(slot, PASSWORD, new_device_secret(), UID)
    with pytest.raises(WrongPassword):
        open_password_slot(slot, PASSWORD, device_secret, new_profile_uid())


def test_empty_password_cannot_make_a_slot(dek: bytearray, device_secret: bytes) -> None:
    with pytest.raises(ValueError, match="empty"):
        seal_password_slot(dek, "", device_secret, UID, MINIMAL_KDF)


def test_right_key_but_damaged_ciphertext_is_damage_not_a_wrong_password(
    dek: bytearray, device_secret: bytes
) -> None:
    slot = seal_password_slot(dek, PASSWORD, device_secret, UID, MINIMAL_KDF)
    flipped = bytearray(slot.ciphertext)
    flipped[5] ^= 0x01
    for damaged in (
        dataclasses.replace(slot, ciphertext=bytes(flipped)),
        dataclasses.replace(slot, nonce=bytes(12)),
    ):
        with pytest.raises(KeySlotsDamaged):
            open_password_slot(damaged, PASSWORD, device_secret, UID)


def test_slot_is_bound_to_its_profile(dek: bytearray) -> None:
    """The escrow key alone does not tie a slot to a profile; the AAD does."""
    escrow_key = secrets.token_bytes(32)
    slot = seal_escrow_slot(dek, escrow_key, UID)
    with pytest.raises(KeySlotsDamaged):
        open_escrow_slot(slot, escrow_key, new_profile_uid())


# -- escrow slot --------------------------------------------------------------------------------


def test_escrow_slot_round_trip_and_wrong_key(dek: bytearray) -> None:
    escrow_key = secrets.token_bytes(32)
    slot = seal_escrow_slot(dek, escrow_key, UID)
    assert slot.kind is SlotKind.ESCROW
    assert slot.kdf is None
    assert open_escrow_slot(slot, escrow_key, UID) == dek
    with pytest.raises(EscrowKeyRejected):
        open_escrow_slot(slot, secrets.token_bytes(32), UID)
    with pytest.raises(ValueError, match="32 bytes"):
        seal_escrow_slot(dek, b"short", UID)


# -- device secret checks ---------------------------------------------------------------------


def test_device_secret_checks(dek: bytearray, device_secret: bytes) -> None:
    keyslots = _keyslots(dek, device_secret)
    assert check_device_secret(keyslots, device_secret, "test.backend") == device_secret
    with pytest.raises(DeviceSecretMissing):
        check_device_secret(keyslots, None, "test.backend")
    with pytest.raises(KeyringChanged):
        check_device_secret(keyslots, None, "other.backend")
    with pytest.raises(DeviceSecretMismatch):
        check_device_secret(keyslots, new_device_secret(), "test.backend")
    with pytest.raises(KeyringChanged):
        check_device_secret(keyslots, new_device_secret(), "other.backend")
    # The same secret reached through a renamed backend still opens.
    assert check_device_secret(keyslots, device_secret, "other.backend") == device_secret


def test_fingerprint_does_not_reveal_the_secret(device_secret: bytes) -> None:
    fingerprint = device_fingerprint(device_secret)
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
    assert device_secret.hex()[:8] not in fingerprint
    assert fingerprint == device_fingerprint(device_secret)
    assert fingerprint != device_fingerprint(new_device_secret())


# -- the file -------------------------------------------------------------------------------------


def test_file_round_trip_and_format(dek: bytearray, device_secret: bytes) -> None:
    escrow = seal_escrow_slot(dek, secrets.token_bytes(32), UID)
    keyslots = _keyslots(dek, device_secret).with_slot(escrow)
    data = encode_keyslots(keyslots)
    assert decode_keyslots(data) == keyslots
    document = json.loads(data)
    assert document["format"] == 1
    assert document["staff_id"] == STAFF_ID
    assert document["display_name"] == "Jo Smith (Ward 7)"
    assert [slot["kind"] for slot in document["slots"]] == ["password", "escrow"]
    password_slot = document["slots"][0]
    assert password_slot["kdf"]["algorithm"] == "argon2id"
    assert password_slot["kdf"]["memory_cost"] == 8
    assert bytes(dek).hex() not in data.decode()
    assert device_secret.hex() not in data.decode()


def test_with_slot_replaces_a_slot_of_the_same_kind(dek: bytearray, device_secret: bytes) -> None:
    keyslots = _keyslots(dek, device_secret)
    new_slot = seal_password_slot(dek, "another one", device_secret, UID, MINIMAL_KDF)
    replaced = keyslots.with_slot(new_slot)
    assert replaced.slots == (new_slot,)


def test_slots_of_unknown_kinds_survive_a_rewrite(dek: bytearray, device_secret: bytes) -> None:
    document = json.loads(encode_keyslots(_keyslots(dek, device_secret)))
    future_slot = {"kind": "pin", "cipher": "something-new", "blob": "AAAA"}
    document["slots"].append(future_slot)
    keyslots = decode_keyslots(_resealed(document))
    assert keyslots.other_slots == (future_slot,)
    assert json.loads(encode_keyslots(keyslots))["slots"][-1] == future_slot


def test_newer_format_is_too_new_not_damaged(dek: bytearray, device_secret: bytes) -> None:
    document = json.loads(encode_keyslots(_keyslots(dek, device_secret)))
    document["format"] = 2
    with pytest.raises(DatabaseTooNew):
        decode_keyslots(_resealed(document))


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b'{"format": 1}', b"\xff\xfe", b"[" * 100_000],
    ids=["empty", "not-json", "list", "no-checksum", "not-utf8", "deep"],
)
def test_unreadable_file_is_damaged(data: bytes) -> None:
    with pytest.raises(KeySlotsDamaged):
        decode_keyslots(data)


def test_truncated_file_is_damaged(dek: bytearray, device_secret: bytes) -> None:
    data = encode_keyslots(_keyslots(dek, device_secret))
    for length in (1, len(data) // 2, len(data) - 3):
        with pytest.raises(KeySlotsDamaged):
            decode_keyslots(data[:length])


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("slots", 0, "kdf", "memory_cost"), 1 << 40),
        (("slots", 0, "kdf", "time_cost"), 0),
        (("slots", 0, "kdf", "algorithm"), "scrypt"),
        (("slots", 0, "kdf", "salt"), "%%%"),
        (("slots", 0, "nonce"), "AAAA"),
        (("slots", 0, "kcv"), "zz"),
        (("slots", 0, "cipher"), "aes-128-cbc"),
        (("slots", 0, "kind"), 7),
        (("staff_id",), "../../elsewhere"),
        (("profile_uid",), True),
        (("created_at",), "yesterday"),
        (("format",), 0),
    ],
)
def test_well_formed_json_with_bad_fields_is_damaged(
    dek: bytearray, device_secret: bytes, path: tuple[str | int, ...], value: object
) -> None:
    document = json.loads(encode_keyslots(_keyslots(dek, device_secret)))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(KeySlotsDamaged):
        decode_keyslots(_resealed(document))


@settings(derandomize=True, max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_damage_or_harmless(position: int, bit: int) -> None:
    """A flipped bit anywhere never yields a different key file, nor a "wrong password"."""
    dek, device_secret = bytearray(range(32)), bytes(range(32, 64))
    slot = KeySlot(
        kind=SlotKind.PASSWORD,
        nonce=bytes(12),
        ciphertext=bytes(48),
        kcv=bytes(16),
        kdf=MINIMAL_KDF,
        salt=bytes(16),
    )
    original = _keyslots(dek, device_secret, slot)
    data = bytearray(encode_keyslots(original))
    data[position % len(data)] ^= 1 << bit
    try:
        decoded = decode_keyslots(bytes(data))
    except KeySlotsDamaged:
        return
    assert decoded == original


def test_write_then_read(folder: Path, dek: bytearray, device_secret: bytes) -> None:
    path = folder / "keyslots.json"
    keyslots = _keyslots(dek, device_secret)
    write_keyslots(path, keyslots)
    assert read_keyslots(path) == keyslots
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["keyslots.json"]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
@pytest.mark.parametrize("failing", ["replace", "write"])
def test_disk_full_leaves_the_old_file_intact(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    dek: bytearray,
    device_secret: bytes,
    code: int,
    failing: str,
) -> None:
    path = folder / "keyslots.json"
    write_keyslots(path, _keyslots(dek, device_secret))
    before = path.read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(durable_files.os, failing, fail)
    with pytest.raises(DiskFull):
        write_keyslots(path, _keyslots(dek, new_device_secret()))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["keyslots.json"]


def test_other_write_errors_are_not_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dek: bytearray, device_secret: bytes
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(durable_files.os, "replace", fail)
    with pytest.raises(PermissionError):
        write_keyslots(tmp_path / "keyslots.json", _keyslots(dek, device_secret))


# -- ids ------------------------------------------------------------------------------------------


def test_canonical_uuid() -> None:
    assert canonical_uuid(STAFF_ID) == STAFF_ID
    assert canonical_uuid(STAFF_ID.upper()) == STAFF_ID
    for bad in [
        "",
        "..",
        "../" + STAFF_ID,
        STAFF_ID + "/..",
        "{" + STAFF_ID + "}",
        "urn:uuid:" + STAFF_ID,
        STAFF_ID.replace("-", ""),
        STAFF_ID[:-1] + "/",
        STAFF_ID[:8] + "\\" + STAFF_ID[9:],
    ]:
        with pytest.raises(ValueError, match="UUID"):
            canonical_uuid(bad)


@settings(derandomize=True, max_examples=200)
@given(st.text(max_size=40))
def test_canonical_uuid_never_lets_a_path_through(text: str) -> None:
    try:
        value = canonical_uuid(text)
    except ValueError:
        return
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value)
