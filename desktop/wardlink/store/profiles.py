"""Profiles: one encrypted store per staff member per PC, under `<data dir>/profiles/<staff-id>/`.

This is where key slots, the device secret and the database files meet: making a profile,
unlocking it (by password, or by the server's escrow key after an admin reset), changing its
password without re-encrypting anything, and wiping it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from wardlink.core.clock import format_timestamp, utc_now_ms
from wardlink.store.connection import open_database
from wardlink.store.device_secrets import DeviceSecrets
from wardlink.store.durable_files import destroy_file, write_atomically
from wardlink.store.errors import (
    DatabaseTooNew,
    EscrowKeyRejected,
    KeyringUnavailable,
    KeySlotsDamaged,
    ProfileExists,
    ProfileLocked,
    ProfileNotFound,
    StoreError,
)
from wardlink.store.keyslots import (
    PRODUCTION_KDF,
    KdfParams,
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
from wardlink.store.keyslots_file import FILE_NAME, read_keyslots, write_keyslots

DB_NAME: Final = "wardlink.db"
DB_FILES: Final = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")
DEVICE_ID_NAME: Final = "device_id"


@dataclass(frozen=True)
class ProfileInfo:
    """What the sign-in window shows, readable without a password.

    `problem` is set for a profile that cannot be opened as it is (e.g. KeySlotsDamaged); its
    `message` says why. The names of such a profile are best effort and may be empty.
    """

    staff_id: str
    username: str
    display_name: str
    problem: type[StoreError] | None = None


class UnlockedProfile:
    """An open profile's key. `lock()` zeroes the DEK; afterwards `dek` raises ProfileLocked.

    Use it as a context manager to lock on the way out. `opened_with` says which slot opened it:
    after SlotKind.ESCROW (an admin password reset) the app asks for a new password.
    """

    def __init__(
        self,
        info: ProfileInfo,
        db_path: Path,
        dek: bytearray,
        *,
        profile_uid: str,
        opened_with: SlotKind,
    ) -> None:
        self.info = info
        self.db_path = db_path
        self.profile_uid = profile_uid
        self.opened_with = opened_with
        self._dek = dek
        self._locked = False

    @property
    def dek(self) -> bytearray:
        """The live key buffer (not a copy, so nothing un-zeroable is made here): do not keep it
        or change it. Raises ProfileLocked once the profile is locked."""
        if self._locked:
            raise ProfileLocked()
        return self._dek

    @property
    def locked(self) -> bool:
        return self._locked

    def lock(self) -> None:
        """Zero the DEK in place. Safe to call more than once."""
        _zero(self._dek)
        self._locked = True

    def __enter__(self) -> UnlockedProfile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.lock()

    def __del__(self) -> None:
        if hasattr(self, "_dek"):
            self.lock()

    def __repr__(self) -> str:
        state = "locked" if self._locked else "unlocked"
        return f"<UnlockedProfile {self.info.staff_id} {state}>"

    __str__ = __repr__


def _zero(buffer: bytearray) -> None:
    for index in range(len(buffer)):
        buffer[index] = 0


def _loose_fields(path: Path) -> dict[str, str]:
    """The string fields of a key file that fails its checks, best effort (names, uid)."""
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict):
        return {}
    return {key: value for key, value in document.items() if isinstance(value, str)}


class Profiles:
    """All the profiles in one data dir. `secrets` is the device-secret store (the OS keyring in
    the app); `kdf` is the Argon2id cost of new password slots (minimal in tests)."""

    def __init__(
        self, data_dir: Path, secrets: DeviceSecrets, *, kdf: KdfParams = PRODUCTION_KDF
    ) -> None:
        self.data_dir = data_dir
        self.secrets = secrets
        self.kdf = kdf

    @property
    def profiles_dir(self) -> Path:
        return self.data_dir / "profiles"

    def folder(self, staff_id: str) -> Path:
        """The profile folder of `staff_id`; ValueError unless it is a UUID, so that no id can
        name a path outside the profiles folder."""
        return self.profiles_dir / canonical_uuid(staff_id)

    # -- reading ---------------------------------------------------------------------------------

    def list(self) -> list[ProfileInfo]:
        """Every profile here, by display name. Damaged ones are listed with their `problem`."""
        if not self.profiles_dir.is_dir():
            return []
        found: list[ProfileInfo] = []
        for child in self.profiles_dir.iterdir():
            try:
                staff_id = canonical_uuid(child.name)
            except ValueError:
                continue
            if child.is_dir():
                info = self._info(child, staff_id)
                if info is not None:
                    found.append(info)
        return sorted(found, key=lambda info: (info.display_name.casefold(), info.staff_id))

    def _info(self, folder: Path, staff_id: str) -> ProfileInfo | None:
        path = folder / FILE_NAME
        problem: type[StoreError]
        try:
            keyslots = self._read(folder, staff_id)
        except ProfileNotFound:
            return None
        except (KeySlotsDamaged, DatabaseTooNew) as exc:
            problem = type(exc)
        except OSError:
            problem = KeySlotsDamaged
        else:
            return ProfileInfo(staff_id, keyslots.username, keyslots.display_name)
        loose = _loose_fields(path)
        return ProfileInfo(
            staff_id, loose.get("username", ""), loose.get("display_name", ""), problem
        )

    def _read(self, folder: Path, staff_id: str) -> KeySlots:
        try:
            keyslots = read_keyslots(folder / FILE_NAME)
        except FileNotFoundError:
            if any((folder / name).exists() for name in DB_FILES):
                raise KeySlotsDamaged() from None  # the data is there, its keys are not
            raise ProfileNotFound() from None
        if keyslots.staff_id != staff_id:
            raise KeySlotsDamaged()
        return keyslots

    def _load(self, staff_id: str) -> tuple[Path, KeySlots]:
        folder = self.folder(staff_id)
        if not folder.is_dir():
            raise ProfileNotFound()
        return folder, self._read(folder, folder.name)

    def _current(self, unlocked: UnlockedProfile) -> tuple[Path, KeySlots]:
        """The key file of an unlocked profile, refusing if it was wiped or replaced since."""
        if unlocked.locked:
            raise ProfileLocked()
        folder, keyslots = self._load(unlocked.info.staff_id)
        if keyslots.profile_uid != unlocked.profile_uid:
            raise ProfileNotFound()
        return folder, keyslots

    def _unlocked(
        self, folder: Path, keyslots: KeySlots, dek: bytearray, opened_with: SlotKind
    ) -> UnlockedProfile:
        info = ProfileInfo(keyslots.staff_id, keyslots.username, keyslots.display_name)
        return UnlockedProfile(
            info,
            folder / DB_NAME,
            dek,
            profile_uid=keyslots.profile_uid,
            opened_with=opened_with,
        )

    # -- making and opening ----------------------------------------------------------------------

    def create(
        self, *, staff_id: str, username: str, display_name: str, password: str
    ) -> UnlockedProfile:
        """A new profile: new DEK, new device secret in the keyring, a password slot, and an
        empty database. ProfileExists if there is one already; a new key is never made over
        existing data."""
        folder = self.folder(staff_id)
        if (folder / FILE_NAME).exists() or any((folder / name).exists() for name in DB_FILES):
            raise ProfileExists()
        uid = new_profile_uid()
        device_secret = new_device_secret()
        dek = new_dek()
        try:
            keyslots = KeySlots(
                profile_uid=uid,
                staff_id=folder.name,
                username=username,
                display_name=display_name,
                created_at=format_timestamp(utc_now_ms()),
                keyring_backend=self.secrets.backend_id(),
                device_fingerprint=device_fingerprint(device_secret),
                slots=(seal_password_slot(dek, password, device_secret, uid, self.kdf),),
            )
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.profiles_dir.mkdir(exist_ok=True, mode=0o700)
            folder.mkdir(exist_ok=True, mode=0o700)
            try:
                self.secrets.set(uid, device_secret)
                write_keyslots(folder / FILE_NAME, keyslots)
                open_database(folder / DB_NAME, dek).close()
            except BaseException:
                self._wipe(folder, uid)
                raise
        except BaseException:
            _zero(dek)
            raise
        return self._unlocked(folder, keyslots, dek, SlotKind.PASSWORD)

    def unlock(self, staff_id: str, password: str) -> UnlockedProfile:
        """Open with the staff password. Raises WrongPassword, DeviceSecretMissing,
        DeviceSecretMismatch, KeyringChanged, KeyringUnavailable, KeySlotsDamaged or
        ProfileNotFound; nothing on disk is changed either way."""
        folder, keyslots = self._load(staff_id)
        slot = keyslots.slot(SlotKind.PASSWORD)
        if slot is None:
            raise KeySlotsDamaged()
        secret = check_device_secret(
            keyslots, self.secrets.get(keyslots.profile_uid), self.secrets.backend_id()
        )
        dek = open_password_slot(slot, password, secret, keyslots.profile_uid)
        return self._unlocked(folder, keyslots, dek, SlotKind.PASSWORD)

    def unlock_with_escrow(self, staff_id: str, escrow_key: bytes) -> UnlockedProfile:
        """Open with the escrow key the server releases after a fresh online sign-in (e.g.
        after an admin reset the password). EscrowKeyRejected if it does not fit or this
        profile has no escrow slot. The device secret is not needed: the escrow key is the
        server's proof, and it lets unsent work be saved even if the keyring lost its entry."""
        folder, keyslots = self._load(staff_id)
        slot = keyslots.slot(SlotKind.ESCROW)
        if slot is None:
            raise EscrowKeyRejected()
        dek = open_escrow_slot(slot, escrow_key, keyslots.profile_uid)
        return self._unlocked(folder, keyslots, dek, SlotKind.ESCROW)

    # -- changing slots --------------------------------------------------------------------------

    def set_escrow_key(self, unlocked: UnlockedProfile, escrow_key: bytes) -> None:
        """Add (or replace) the escrow slot: the DEK wrapped under `escrow_key`."""
        folder, keyslots = self._current(unlocked)
        slot = seal_escrow_slot(unlocked.dek, escrow_key, keyslots.profile_uid)
        write_keyslots(folder / FILE_NAME, keyslots.with_slot(slot))

    def change_password(self, unlocked: UnlockedProfile, new_password: str) -> None:
        """Rewrap the DEK under a new password slot (the old password stops working at once);
        the database is not touched. Also the reset path after `unlock_with_escrow`. Needs this
        computer's device secret for the profile (the errors are those of `unlock`)."""
        folder, keyslots = self._current(unlocked)
        secret = check_device_secret(
            keyslots, self.secrets.get(keyslots.profile_uid), self.secrets.backend_id()
        )
        slot = seal_password_slot(
            unlocked.dek, new_password, secret, keyslots.profile_uid, self.kdf
        )
        updated = dataclasses.replace(
            keyslots.with_slot(slot), keyring_backend=self.secrets.backend_id()
        )
        write_keyslots(folder / FILE_NAME, updated)

    # -- the device id this profile signs in with -----------------------------------------------

    def device_id(self, staff_id: str) -> str | None:
        """The client-made device id this profile signs in with, or None if it has none (or the
        file is unreadable). Kept in the clear beside the key slots: it is an identifier, not a
        secret, and a sign-in must name the same server device *before* the profile can be
        opened, which is what fetching the escrow key after an admin password reset needs."""
        try:
            text = (self.folder(staff_id) / DEVICE_ID_NAME).read_text("ascii").strip()
            return canonical_uuid(text)
        except (OSError, ValueError):
            return None

    def set_device_id(self, staff_id: str, device_id: str) -> None:
        """Record the device id of an existing profile (ProfileNotFound if there is none); it
        goes with the profile when the profile is deleted."""
        folder, _ = self._load(staff_id)
        write_atomically(folder / DEVICE_ID_NAME, canonical_uuid(device_id).encode("ascii"))

    # -- wiping ----------------------------------------------------------------------------------

    def delete(self, staff_id: str) -> None:
        """Wipe the profile: key slots overwritten and removed first (so the data is unreadable
        whatever happens next), then the database files, the keyring entry and the folder.

        Works with a damaged key file or an unavailable keyring; everything after the key slots
        is best effort. ProfileNotFound if there is no such folder.
        """
        folder = self.folder(staff_id)
        if not folder.is_dir():
            raise ProfileNotFound()
        uid = _loose_fields(folder / FILE_NAME).get("profile_uid")
        try:
            uid = None if uid is None else canonical_uuid(uid)
        except ValueError:
            uid = None
        self._wipe(folder, uid)

    def _wipe(self, folder: Path, uid: str | None) -> None:
        for path in [folder / FILE_NAME, *folder.glob(f".{FILE_NAME}.*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                destroy_file(path)
        for name in DB_FILES:
            with contextlib.suppress(OSError):
                (folder / name).unlink()
        if uid is not None:
            with contextlib.suppress(KeyringUnavailable):
                self.secrets.delete(uid)
        shutil.rmtree(folder, ignore_errors=True)
