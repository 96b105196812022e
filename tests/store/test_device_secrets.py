"""The device-secret store: the keyring allow-list, its errors, and the file-backed test double."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import ClassVar

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from keyring.compat import properties

from tests.keyring_doubles import DictBackend, named_backend
from wardlink.store.device_secrets import (
    SERVICE,
    FileDeviceSecrets,
    KeyringDeviceSecrets,
    UnavailableDeviceSecrets,
    backend_name,
)
from wardlink.store.errors import KeyringUnavailable

ACCOUNT = "3a7d5f0e-9c1b-4d2e-8f3a-0b1c2d3e4f50"


def secret_service() -> DictBackend:
    return named_backend("keyring.backends.SecretService", "Keyring")


class PlaintextKeyring(DictBackend):
    """Named like keyrings.alt's plaintext file backend."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


class FakeChainer(keyring.backends.chainer.ChainerBackend):
    chained: ClassVar[list[keyring.backend.KeyringBackend]] = []

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test double only")

    @properties.classproperty
    def backends(cls) -> list[keyring.backend.KeyringBackend]:
        return cls.chained


def _chainer(*backends: keyring.backend.KeyringBackend) -> FakeChainer:
    FakeChainer.chained = list(backends)
    return FakeChainer()


# -- the allow-list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "qualname"),
    [
        ("keyring.backends.Windows", "WinVaultKeyring"),
        ("keyring.backends.macOS", "Keyring"),
        ("keyring.backends.SecretService", "Keyring"),
        ("keyring.backends.kwallet", "DBusKeyring"),
    ],
)
def test_allowed_backends_are_accepted(module: str, qualname: str) -> None:
    store = KeyringDeviceSecrets(named_backend(module, qualname))
    assert store.backend_id() == f"{module}.{qualname}"


def test_plaintext_backend_is_refused_by_name() -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        KeyringDeviceSecrets(PlaintextKeyring())
    assert "keyrings.alt.file.PlaintextKeyring" in caught.value.message
    assert "not one that protects them" in caught.value.message


@pytest.mark.parametrize(
    "backend_cls", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring]
)
def test_no_keyring_backends_are_refused(backend_cls: type[keyring.backend.KeyringBackend]) -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        KeyringDeviceSecrets(backend_cls())
    assert backend_name(backend_cls()) in caught.value.message
    assert "no secure key store" in caught.value.message


def test_lookalike_in_another_module_is_refused() -> None:
    with pytest.raises(KeyringUnavailable, match=r"somewhere\.else\.Keyring"):
        KeyringDeviceSecrets(named_backend("somewhere.else", "Keyring"))


def test_default_backend_comes_from_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable, match=r"keyring\.backends\.fail\.Keyring"):
        KeyringDeviceSecrets()
    allowed = secret_service()
    monkeypatch.setattr(keyring, "get_keyring", lambda: allowed)
    KeyringDeviceSecrets().set(ACCOUNT, b"x" * 32)
    assert (SERVICE, ACCOUNT) in allowed.entries


def test_chainer_uses_the_first_allowed_backend_only() -> None:
    plaintext, allowed = PlaintextKeyring(), secret_service()
    plaintext.entries[(SERVICE, ACCOUNT)] = base64.b64encode(b"planted" * 4).decode()
    store = KeyringDeviceSecrets(_chainer(plaintext, allowed))
    assert store.backend_id() == "keyring.backends.SecretService.Keyring"
    assert store.get(ACCOUNT) is None  # never read from the plaintext backend
    store.set(ACCOUNT, b"s" * 32)
    assert (SERVICE, ACCOUNT) in allowed.entries
    assert plaintext.entries[(SERVICE, ACCOUNT)] == base64.b64encode(b"planted" * 4).decode()


def test_chainer_with_nothing_allowed_is_refused_naming_what_it_chains() -> None:
    with pytest.raises(KeyringUnavailable) as caught:
        KeyringDeviceSecrets(_chainer(PlaintextKeyring(), keyring.backends.fail.Keyring()))
    assert "keyrings.alt.file.PlaintextKeyring" in caught.value.message
    assert "keyring.backends.fail.Keyring" in caught.value.message
    with pytest.raises(KeyringUnavailable, match="none"):
        KeyringDeviceSecrets(_chainer())


# -- using the keyring ---------------------------------------------------------------------------


def test_keyring_round_trip_stores_base64_under_the_wardlink_service() -> None:
    backend = secret_service()
    store = KeyringDeviceSecrets(backend)
    secret = secrets.token_bytes(32)
    assert store.get(ACCOUNT) is None
    store.set(ACCOUNT, secret)
    assert backend.entries == {(SERVICE, ACCOUNT): base64.b64encode(secret).decode()}
    assert SERVICE == "Wardlink"
    assert store.get(ACCOUNT) == secret
    store.delete(ACCOUNT)
    assert store.get(ACCOUNT) is None
    store.delete(ACCOUNT)  # deleting what is not there is not an error


class BrokenBackend(DictBackend):
    """Fails every call the way real backends do: locked keyring, D-Bus gone."""

    error: ClassVar[Exception] = keyring.errors.KeyringLocked("locked")

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise type(self.error)(f"could not store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class DBusError(Exception):
    """Stands in for the D-Bus libraries' own exception types."""


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.KeyringLocked("locked"),
        keyring.errors.InitError("no session bus"),
        DBusError("org.freedesktop.DBus.Error.ServiceUnknown"),
    ],
)
def test_backend_failures_become_keyring_unavailable(error: Exception) -> None:
    BrokenBackend.error = error
    store = KeyringDeviceSecrets(
        named_backend("keyring.backends.SecretService", "Keyring", BrokenBackend)
    )
    secret = secrets.token_bytes(32)
    for call in (
        lambda: store.get(ACCOUNT),
        lambda: store.set(ACCOUNT, secret),
        lambda: store.delete(ACCOUNT),
    ):
        with pytest.raises(KeyringUnavailable) as caught:
            call()
        text = str(caught.value)
        assert type(error).__name__ in text
        assert base64.b64encode(secret).decode() not in text
        assert secret.hex() not in text
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__


def test_unreadable_entry_is_reported_not_returned() -> None:
    backend = secret_service()
    backend.entries[(SERVICE, ACCOUNT)] = "not base64 at all!"
    with pytest.raises(KeyringUnavailable, match="not in the form"):
        KeyringDeviceSecrets(backend).get(ACCOUNT)


def test_repr_names_the_backend_only() -> None:
    store = KeyringDeviceSecrets(secret_service())
    store.set(ACCOUNT, b"\x01" * 32)
    assert repr(store) == "KeyringDeviceSecrets(keyring.backends.SecretService.Keyring)"


def test_unavailable_stand_in_raises_its_error() -> None:
    store = UnavailableDeviceSecrets(KeyringUnavailable("no keyring here"))
    assert store.backend_id() == "unavailable"
    for call in (
        lambda: store.get(ACCOUNT),
        lambda: store.set(ACCOUNT, b"x"),
        lambda: store.delete(ACCOUNT),
    ):
        with pytest.raises(KeyringUnavailable, match="no keyring here"):
            call()


# -- the file-backed test double ------------------------------------------------------------------


@pytest.fixture
def file_secrets(tmp_path: Path) -> FileDeviceSecrets:
    return FileDeviceSecrets(tmp_path / "device-secrets.json")


def test_file_double_survives_a_restart(file_secrets: FileDeviceSecrets) -> None:
    secret = secrets.token_bytes(32)
    file_secrets.set(ACCOUNT, secret)
    file_secrets.set("other", b"\x00" * 32)
    again = FileDeviceSecrets(file_secrets.path)
    assert again.get(ACCOUNT) == secret
    again.delete(ACCOUNT)
    assert FileDeviceSecrets(file_secrets.path).get(ACCOUNT) is None
    assert FileDeviceSecrets(file_secrets.path).get("other") == b"\x00" * 32
    again.delete(ACCOUNT)


def test_file_double_is_private_and_leaves_no_temp_files(file_secrets: FileDeviceSecrets) -> None:
    file_secrets.set(ACCOUNT, secrets.token_bytes(32))
    if os.name == "posix":
        assert file_secrets.path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in file_secrets.path.parent.iterdir() if p.is_file()] == [
        "device-secrets.json"
    ]


def test_file_double_is_marked_as_a_test_double(file_secrets: FileDeviceSecrets) -> None:
    assert "TEST DOUBLE" in (FileDeviceSecrets.__doc__ or "")
    assert file_secrets.get(ACCOUNT) is None
    assert FileDeviceSecrets(file_secrets.path, backend_id="other").backend_id() == "other"
