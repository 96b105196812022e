"""Keyring backends for tests: passwords kept in a dict, under whatever name a test needs
(the store's allow-list judges a backend by its module and class name)."""

from __future__ import annotations

import keyring.backend
import keyring.errors
from keyring.compat import properties


class DictBackend(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict. Never viable, so that keyring's own
    discovery can never pick it up in this process."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test double only")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


def named_backend(module: str, qualname: str, base: type[DictBackend] = DictBackend) -> DictBackend:
    """An instance of a `base` subclass that claims to live at `module.qualname`."""
    cls = type(qualname, (base,), {"__module__": module, "__qualname__": qualname})
    backend: DictBackend = cls()
    return backend
