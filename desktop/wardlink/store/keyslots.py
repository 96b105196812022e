"""The database key (DEK) and the key slots that wrap it.

The DEK never changes for the life of a profile; what changes is how it is wrapped. A password
slot wraps it under a key made from the staff password *and* the device secret in the OS keyring,
so neither a copied profile nor a shared Windows login opens it alone. An escrow slot wraps it
under a random key that only the server keeps, so an admin's password reset does not lose
unsent work.

Every slot carries a key-check value (KCV) so that a wrong key ("wrong password") is told apart
from a damaged file. The file itself (its format, checksum and atomic writes) is keyslots_file.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wardlink.store.errors import (
    DeviceSecretMismatch,
    DeviceSecretMissing,
    EscrowKeyRejected,
    KeyringChanged,
    KeySlotsDamaged,
    WrongPassword,
)

DEK_BYTES: Final = 32
DEVICE_SECRET_BYTES: Final = 32
ESCROW_KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
KCV_BYTES: Final = 16
FINGERPRINT_BYTES: Final = 16

_PASSWORD_INFO: Final = b"wardlink/password-slot/v1"
_KCV_LABEL: Final = b"wardlink/kcv"
_FINGERPRINT_LABEL: Final = b"wardlink/device-fingerprint"
_AAD_LABEL: Final = b"wardlink/keyslot/v1"

# Bounds a slot's Argon2id parameters must keep: a damaged (or tampered) file must not make
# unlocking try to allocate terabytes or run for hours.
_MAX_TIME_COST: Final = 64
_MAX_MEMORY_KIB: Final = 4 * 1024 * 1024
_MAX_PARALLELISM: Final = 64


class SlotKind(StrEnum):
    PASSWORD = "password"  # noqa: S105 (a slot kind, not a password)
    ESCROW = "escrow"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: `memory_cost` in KiB. The salt is per slot, not part of the cost."""

    time_cost: int
    memory_cost: int
    parallelism: int

    def __post_init__(self) -> None:
        if not 1 <= self.parallelism <= _MAX_PARALLELISM:
            raise ValueError("Argon2id parallelism is out of range")
        if not 1 <= self.time_cost <= _MAX_TIME_COST:
            raise ValueError("Argon2id time cost is out of range")
        if not 8 * self.parallelism <= self.memory_cost <= _MAX_MEMORY_KIB:
            raise ValueError("Argon2id memory cost is out of range")


PRODUCTION_KDF: Final = KdfParams(time_cost=3, memory_cost=65536, parallelism=4)
MINIMAL_KDF: Final = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class KeySlot:
    """The DEK wrapped once. `kdf` and `salt` are set for password slots only."""

    kind: SlotKind
    nonce: bytes
    ciphertext: bytes
    kcv: bytes
    kdf: KdfParams | None = None
    salt: bytes | None = None


@dataclass(frozen=True)
class KeySlots:
    """The whole of `keyslots.json`. Names are in the clear so that the sign-in window can list
    profiles before anyone types a password; staff names are not patient data."""

    profile_uid: str
    staff_id: str
    username: str
    display_name: str
    created_at: str
    keyring_backend: str
    device_fingerprint: str
    slots: tuple[KeySlot, ...]
    # Slots of kinds a newer Wardlink added, kept byte for byte so that a downgrade keeps them.
    other_slots: tuple[Mapping[str, object], ...] = ()

    def slot(self, kind: SlotKind) -> KeySlot | None:
        return next((slot for slot in self.slots if slot.kind is kind), None)

    def with_slot(self, slot: KeySlot) -> KeySlots:
        """A copy with `slot` in place of any slot of its kind."""
        kept = tuple(other for other in self.slots if other.kind is not slot.kind)
        return dataclasses.replace(self, slots=(*kept, slot))


def canonical_uuid(text: str) -> str:
    """`text` as a lowercase hyphenated UUID, or ValueError: ids become folder and account names,
    so nothing but this exact shape may reach a path."""
    if len(text) != 36 or text.count("-") != 4:
        raise ValueError("not a UUID in its usual 8-4-4-4-12 form")
    try:
        value = str(uuid.UUID(text))
    except ValueError:
        raise ValueError("not a UUID in its usual 8-4-4-4-12 form") from None
    if value != text.lower():
        raise ValueError("not a UUID in its usual 8-4-4-4-12 form")
    return value


def new_dek() -> bytearray:
    """32 random bytes, in a buffer that can be zeroed when the profile locks."""
    return bytearray(secrets.token_bytes(DEK_BYTES))


def new_device_secret() -> bytes:
    return secrets.token_bytes(DEVICE_SECRET_BYTES)


def new_profile_uid() -> str:
    """A random id for the profile, used as its keyring account so two data dirs never clash."""
    return str(uuid.uuid4())


def device_fingerprint(device_secret: bytes) -> str:
    """Names a device secret without revealing it, to tell "missing" from "another machine's"."""
    return (
        hmac.new(device_secret, _FINGERPRINT_LABEL, hashlib.sha256)
        .digest()[:FINGERPRINT_BYTES]
        .hex()
    )


def check_device_secret(keyslots: KeySlots, secret: bytes | None, backend_id: str) -> bytes:
    """The device secret if it is the one this profile was made with, else why not."""
    if secret is None:
        if backend_id != keyslots.keyring_backend:
            raise KeyringChanged()
        raise DeviceSecretMissing()
    if not hmac.compare_digest(device_fingerprint(secret), keyslots.device_fingerprint):
        if backend_id != keyslots.keyring_backend:
            raise KeyringChanged()
        raise DeviceSecretMismatch()
    return secret


# -- sealing and opening slots ------------------------------------------------------------------


def _aad(profile_uid: str, kind: SlotKind) -> bytes:
    return b"\x00".join((_AAD_LABEL, profile_uid.encode("ascii"), kind.value.encode("ascii")))


def _kcv(kek: bytes) -> bytes:
    return hmac.new(kek, _KCV_LABEL, hashlib.sha256).digest()[:KCV_BYTES]


def _password_kek(
    password: str, device_secret: bytes, profile_uid: str, kdf: KdfParams, salt: bytes
) -> bytes:
    if not password:
        raise ValueError("the password must not be empty")
    if len(device_secret) != DEVICE_SECRET_BYTES:
        raise ValueError("the device secret must be 32 bytes")
    # NFC so that the same password typed on another keyboard layout or OS gives the same bytes.
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    try:
        stretched = hash_secret_raw(
            secret,
            salt,
            time_cost=kdf.time_cost,
            memory_cost=kdf.memory_cost,
            parallelism=kdf.parallelism,
            hash_len=32,
            type=Type.ID,
            version=ARGON2_VERSION,
        )
    except HashingError:
        raise KeySlotsDamaged() from None
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=_PASSWORD_INFO + b"\x00" + profile_uid.encode("ascii"),
    )
    return hkdf.derive(stretched + device_secret)


def _seal(dek: bytes | bytearray, kek: bytes, profile_uid: str, kind: SlotKind) -> KeySlot:
    if len(dek) != DEK_BYTES:
        raise ValueError("the database key must be 32 bytes")
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(kek).encrypt(nonce, bytes(dek), _aad(profile_uid, kind))
    return KeySlot(kind=kind, nonce=nonce, ciphertext=ciphertext, kcv=_kcv(kek))


def _open(slot: KeySlot, kek: bytes, profile_uid: str) -> bytearray | None:
    """The DEK, None if `kek` is not this slot's key, KeySlotsDamaged if it is but the slot
    does not decrypt."""
    if not hmac.compare_digest(_kcv(kek), slot.kcv):
        return None
    try:
        dek = bytearray(
            AESGCM(kek).decrypt(slot.nonce, slot.ciphertext, _aad(profile_uid, slot.kind))
        )
    except InvalidTag:
        raise KeySlotsDamaged() from None
    if len(dek) != DEK_BYTES:
        raise KeySlotsDamaged()
    return dek


def seal_password_slot(
    dek: bytes | bytearray, password: str, device_secret: bytes, profile_uid: str, kdf: KdfParams
) -> KeySlot:
    """A new password slot for `dek`, with a fresh salt and nonce."""
    salt = secrets.token_bytes(SALT_BYTES)
    kek = _password_kek(password, device_secret, profile_uid, kdf, salt)
    sealed = _seal(dek, kek, profile_uid, SlotKind.PASSWORD)
    return dataclasses.replace(sealed, kdf=kdf, salt=salt)


def open_password_slot(
    slot: KeySlot, password: str, device_secret: bytes, profile_uid: str
) -> bytearray:
    """The DEK; WrongPassword if the password (given the right device secret) does not fit."""
    if slot.kind is not SlotKind.PASSWORD or slot.kdf is None or slot.salt is None:
        raise KeySlotsDamaged()
    if not password:
        raise WrongPassword()  # no slot is ever made for an empty password
    kek = _password_kek(password, device_secret, profile_uid, slot.kdf, slot.salt)
    dek = _open(slot, kek, profile_uid)
    if dek is None:
        raise WrongPassword()
    return dek


def _check_escrow_key(escrow_key: bytes) -> bytes:
    if len(escrow_key) != ESCROW_KEY_BYTES:
        raise ValueError("the escrow key must be 32 bytes")
    return bytes(escrow_key)


def seal_escrow_slot(dek: bytes | bytearray, escrow_key: bytes, profile_uid: str) -> KeySlot:
    """An escrow slot: `dek` under the server-held escrow key (random, so no KDF)."""
    return _seal(dek, _check_escrow_key(escrow_key), profile_uid, SlotKind.ESCROW)


def open_escrow_slot(slot: KeySlot, escrow_key: bytes, profile_uid: str) -> bytearray:
    if slot.kind is not SlotKind.ESCROW:
        raise KeySlotsDamaged()
    dek = _open(slot, _check_escrow_key(escrow_key), profile_uid)
    if dek is None:
        raise EscrowKeyRejected()
    return dek
