"""Where the per-profile device secret lives: the OS keyring, behind one small interface.

The store is handed a `DeviceSecrets` (never a global) so that the app uses the real keyring and
tests use a file, and so that the profile can record which backend made its secret: a profile
whose backend has changed is reported as such instead of looking like a wrong password.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, NoReturn, Protocol, cast

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.errors

from wardlink.store.durable_files import write_atomically
from wardlink.store.errors import KeyringUnavailable

SERVICE: Final = "Wardlink"

# Backends that keep secrets encrypted under the user's login, by "module.qualname".
ALLOWED_BACKENDS: Final[dict[str, str]] = {
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.SecretService.Keyring": "Secret Service",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.kwallet.DBusKeyringKWallet6": "KWallet",
}
# Backends that exist only to say "there is no keyring".
NO_KEYRING_BACKENDS: Final = frozenset(
    {"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"}
)

_ALLOWED_NAMES: Final = "Windows Credential Manager, macOS Keychain, Secret Service or KWallet"


class DeviceSecrets(Protocol):
    """Secrets kept per account (a profile's uid) in a store that only this OS login can read."""

    def get(self, account: str) -> bytes | None:
        """The secret stored for `account`, or None if there is none."""
        ...

    def set(self, account: str, secret: bytes) -> None:
        """Store `secret` for `account`, replacing any earlier one."""
        ...

    def delete(self, account: str) -> None:
        """Remove the secret of `account`; no error if there is none."""
        ...

    def backend_id(self) -> str:
        """A stable name of the backend, recorded in a profile to report a changed keyring."""
        ...


def backend_name(backend: object) -> str:
    """`module.qualname` of a backend's class: what the allow-list is written in."""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _refuse(name: str) -> NoReturn:
    if name in NO_KEYRING_BACKENDS:
        raise KeyringUnavailable(
            "This computer has no secure key store that Wardlink can use (the keyring backend is "
            f"{name}). Ask IT to set up the {_ALLOWED_NAMES}."
        )
    raise KeyringUnavailable(
        f"Wardlink will not keep its keys in the key store {name}, because it is not one that "
        f"protects them. Ask IT to set up the {_ALLOWED_NAMES}."
    )


def _chained(backend: keyring.backend.KeyringBackend) -> list[keyring.backend.KeyringBackend]:
    return list(cast(Iterable[keyring.backend.KeyringBackend], backend.backends))  # type: ignore[attr-defined]


def checked_backend(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
    """`backend` itself if it is on the allow-list, else KeyringUnavailable naming it.

    A chainer is replaced by the highest-priority allowed backend it chains to, and used in its
    place, so that a secret is never read from (or written to) a backend that is not allowed.
    """
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        with _backend_errors("Wardlink was looking for it"):
            chained = _chained(backend)
        for candidate in chained:
            if backend_name(candidate) in ALLOWED_BACKENDS:
                return candidate
        names = ", ".join(backend_name(candidate) for candidate in chained) or "none"
        raise KeyringUnavailable(
            "Wardlink found no secure key store it can use on this computer (the keyring "
            f"backends found are: {names}). Ask IT to set up the {_ALLOWED_NAMES}."
        )
    name = backend_name(backend)
    if name not in ALLOWED_BACKENDS:
        _refuse(name)
    return backend


@contextlib.contextmanager
def _backend_errors(doing: str) -> Iterator[None]:
    """Any failure inside the keyring backend becomes KeyringUnavailable.

    The backend is third-party code talking to an OS service (D-Bus, the Keychain, the Credential
    Manager), so anything it raises means the key store is not usable right now. Only the type of
    the error is kept: its text could in principle repeat what was being stored.
    """
    try:
        yield
    except Exception as exc:
        raise KeyringUnavailable(
            f"This computer's secure key store did not respond while {doing} "
            f"({type(exc).__name__}). If it is locked, unlock it; otherwise ask IT to check it."
        ) from None


class KeyringDeviceSecrets:
    """The real OS keyring (service "Wardlink"), restricted to the allowed backends."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        if backend is None:
            with _backend_errors("Wardlink was looking for it"):
                backend = keyring.get_keyring()
        self._backend = checked_backend(backend)

    def backend_id(self) -> str:
        return backend_name(self._backend)

    def get(self, account: str) -> bytes | None:
        with _backend_errors("Wardlink was reading its key"):
            stored = self._backend.get_password(SERVICE, account)
        if stored is None:
            return None
        try:
            return base64.b64decode(stored.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise KeyringUnavailable(
                "This computer's secure key store holds a Wardlink key that is not in the form "
                "Wardlink wrote it. Ask IT to check the key store."
            ) from None

    def set(self, account: str, secret: bytes) -> None:
        encoded = base64.b64encode(secret).decode("ascii")
        with _backend_errors("Wardlink was saving its key"):
            self._backend.set_password(SERVICE, account, encoded)

    def delete(self, account: str) -> None:
        with _backend_errors("Wardlink was removing its key"):
            try:
                self._backend.delete_password(SERVICE, account)
            except keyring.errors.PasswordDeleteError:
                # Backends say "not found" this way too; it is a failure only if the entry stayed.
                if self._backend.get_password(SERVICE, account) is not None:
                    raise

    def __repr__(self) -> str:
        return f"KeyringDeviceSecrets({self.backend_id()})"


class FileDeviceSecrets:
    """TEST DOUBLE ONLY: device secrets in a plain JSON file, so a restarted test process finds
    them again. It protects nothing and the app never uses it; the real store is
    `KeyringDeviceSecrets`.
    """

    def __init__(self, path: Path, *, backend_id: str = "wardlink.tests.FileDeviceSecrets") -> None:
        self.path = path
        self._backend_id = backend_id

    def backend_id(self) -> str:
        return self._backend_id

    def _load(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        loaded = json.loads(raw)
        if not isinstance(loaded, dict):
            raise TypeError("the test device-secrets file does not hold a JSON object")
        return {str(key): str(value) for key, value in loaded.items()}

    def _save(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(entries, sort_keys=True, indent=1).encode("utf-8")
        write_atomically(self.path, data)

    def get(self, account: str) -> bytes | None:
        stored = self._load().get(account)
        return None if stored is None else base64.b64decode(stored, validate=True)

    def set(self, account: str, secret: bytes) -> None:
        entries = self._load()
        entries[account] = base64.b64encode(secret).decode("ascii")
        self._save(entries)

    def delete(self, account: str) -> None:
        entries = self._load()
        if entries.pop(account, None) is not None:
            self._save(entries)

    def __repr__(self) -> str:
        return f"FileDeviceSecrets({self._backend_id})"


class UnavailableDeviceSecrets:
    """Stands in when the keyring was refused, so that profiles can still be listed and wiped
    (a revoked device must be wiped even then); anything that needs a secret raises `error`."""

    def __init__(self, error: KeyringUnavailable) -> None:
        self.error = error

    def backend_id(self) -> str:
        return "unavailable"

    def get(self, account: str) -> bytes | None:
        raise KeyringUnavailable(self.error.message)

    def set(self, account: str, secret: bytes) -> None:
        raise KeyringUnavailable(self.error.message)

    def delete(self, account: str) -> None:
        raise KeyringUnavailable(self.error.message)
