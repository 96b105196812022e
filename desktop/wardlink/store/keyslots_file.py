"""`keyslots.json` on disk: format 1, parsed strictly, written atomically.

Anything unreadable is KeySlotsDamaged, never a crash and never "wrong password". The file
carries a plain checksum (not a MAC: it guards against accidents, not attackers, whom the key
slots themselves stop), so a flipped bit anywhere, in a salt say, is reported as damage.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from argon2.low_level import ARGON2_VERSION

from wardlink.core.clock import parse_timestamp
from wardlink.store.durable_files import write_atomically
from wardlink.store.errors import DatabaseTooNew, KeySlotsDamaged
from wardlink.store.keyslots import (
    DEK_BYTES,
    FINGERPRINT_BYTES,
    KCV_BYTES,
    NONCE_BYTES,
    SALT_BYTES,
    KdfParams,
    KeySlot,
    KeySlots,
    SlotKind,
    canonical_uuid,
)

FORMAT: Final = 1
FILE_NAME: Final = "keyslots.json"

_CIPHER: Final = "aes-256-gcm"
_KDF_ALGORITHM: Final = "argon2id"
_GCM_TAG_BYTES: Final = 16
_KNOWN_KINDS: Final = frozenset(kind.value for kind in SlotKind)


class _Malformed(Exception):
    """Internal: the file's structure is not what format 1 says."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _slot_to_json(slot: KeySlot) -> dict[str, object]:
    entry: dict[str, object] = {"kind": slot.kind.value, "cipher": _CIPHER}
    if slot.kdf is not None and slot.salt is not None:
        entry["kdf"] = {
            "algorithm": _KDF_ALGORITHM,
            "version": ARGON2_VERSION,
            "time_cost": slot.kdf.time_cost,
            "memory_cost": slot.kdf.memory_cost,
            "parallelism": slot.kdf.parallelism,
            "salt": _b64(slot.salt),
        }
    entry.update(nonce=_b64(slot.nonce), ciphertext=_b64(slot.ciphertext), kcv=slot.kcv.hex())
    return entry


def _checksum(document: Mapping[str, object]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def encode_keyslots(keyslots: KeySlots) -> bytes:
    document: dict[str, object] = {
        "format": FORMAT,
        "profile_uid": keyslots.profile_uid,
        "staff_id": keyslots.staff_id,
        "username": keyslots.username,
        "display_name": keyslots.display_name,
        "created_at": keyslots.created_at,
        "keyring_backend": keyslots.keyring_backend,
        "device_fingerprint": keyslots.device_fingerprint,
        "slots": [*map(_slot_to_json, keyslots.slots), *map(dict, keyslots.other_slots)],
    }
    document["checksum"] = _checksum(document)
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def _field(obj: Mapping[str, object], key: str, kind: type[object]) -> object:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Malformed(key)
    return value


def _text(obj: Mapping[str, object], key: str) -> str:
    value = _field(obj, key, str)
    assert isinstance(value, str)
    return value


def _int(obj: Mapping[str, object], key: str) -> int:
    value = _field(obj, key, int)
    assert isinstance(value, int)
    return value


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _Malformed(what)
    return value


def _bytes_b64(obj: Mapping[str, object], key: str, length: int | None = None) -> bytes:
    try:
        value = base64.b64decode(_text(obj, key).encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise _Malformed(key) from None
    if length is not None and len(value) != length:
        raise _Malformed(key)
    return value


def _bytes_hex(obj: Mapping[str, object], key: str, length: int) -> bytes:
    try:
        value = bytes.fromhex(_text(obj, key))
    except ValueError:
        raise _Malformed(key) from None
    if len(value) != length:
        raise _Malformed(key)
    return value


def _slot_from_json(entry: Mapping[str, object]) -> KeySlot:
    kind = SlotKind(_text(entry, "kind"))
    if _text(entry, "cipher") != _CIPHER:
        raise _Malformed("cipher")
    kdf: KdfParams | None = None
    salt: bytes | None = None
    if kind is SlotKind.PASSWORD:
        params = _mapping(entry.get("kdf"), "kdf")
        if (
            _text(params, "algorithm") != _KDF_ALGORITHM
            or _int(params, "version") != ARGON2_VERSION
        ):
            raise _Malformed("kdf")
        kdf = KdfParams(
            time_cost=_int(params, "time_cost"),
            memory_cost=_int(params, "memory_cost"),
            parallelism=_int(params, "parallelism"),
        )
        salt = _bytes_b64(params, "salt", SALT_BYTES)
    return KeySlot(
        kind=kind,
        nonce=_bytes_b64(entry, "nonce", NONCE_BYTES),
        ciphertext=_bytes_b64(entry, "ciphertext", DEK_BYTES + _GCM_TAG_BYTES),
        kcv=_bytes_hex(entry, "kcv", KCV_BYTES),
        kdf=kdf,
        salt=salt,
    )


def decode_keyslots(data: bytes) -> KeySlots:
    """Parse `keyslots.json`: KeySlotsDamaged for anything unreadable, DatabaseTooNew for a file
    a newer Wardlink wrote."""
    try:
        document = _mapping(json.loads(data.decode("utf-8")), "document")
        # The checksum rule is the same in every format, so it is checked first: a flipped bit
        # in the format number is damage, not a file from the future.
        body = {key: value for key, value in document.items() if key != "checksum"}
        if _text(document, "checksum") != _checksum(body):
            raise _Malformed("checksum")
        version = _int(document, "format")
        if version > FORMAT:
            raise DatabaseTooNew()
        if version != FORMAT:
            raise _Malformed("format")
        slots: list[KeySlot] = []
        other_slots: list[Mapping[str, object]] = []
        entries = _field(document, "slots", list)
        assert isinstance(entries, list)
        for raw in entries:
            entry = _mapping(raw, "slot")
            if _text(entry, "kind") in _KNOWN_KINDS:
                slots.append(_slot_from_json(entry))
            else:
                other_slots.append(entry)
        if len({slot.kind for slot in slots}) != len(slots):
            raise _Malformed("slots")
        parse_timestamp(_text(document, "created_at"))
        fingerprint = _bytes_hex(document, "device_fingerprint", FINGERPRINT_BYTES).hex()
        return KeySlots(
            profile_uid=canonical_uuid(_text(document, "profile_uid")),
            staff_id=canonical_uuid(_text(document, "staff_id")),
            username=_text(document, "username"),
            display_name=_text(document, "display_name"),
            created_at=_text(document, "created_at"),
            keyring_backend=_text(document, "keyring_backend"),
            device_fingerprint=fingerprint,
            slots=tuple(slots),
            other_slots=tuple(other_slots),
        )
    except (_Malformed, ValueError, RecursionError):
        # UnicodeDecodeError and json.JSONDecodeError are ValueErrors too.
        raise KeySlotsDamaged() from None


def read_keyslots(path: Path) -> KeySlots:
    """FileNotFoundError if there is no file; KeySlotsDamaged if it cannot be read as one."""
    return decode_keyslots(path.read_bytes())


def write_keyslots(path: Path, keyslots: KeySlots) -> None:
    """Atomically replace `path`; DiskFull leaves the previous file intact."""
    write_atomically(path, encode_keyslots(keyslots))
