"""Machine policy from the Windows registry: `HKLM\\SOFTWARE\\Policies\\Wardlink`.

Group Policy (the ADMX templates) and the MSI write one value per policy key, named exactly as the
key (`server_url`, `idle_lock_minutes`, ...; see `machine_keys()`). Registry value names are not
case-sensitive on Windows, so neither are they here. Each value's registry type must fit the key:

- text keys (the server address, the key, paths): REG_SZ, or REG_EXPAND_SZ whose `%VARIABLES%`
  are expanded (e.g. `%ProgramData%\\Wardlink\\ca.pem`);
- whole-number keys: REG_DWORD;
- true/false keys: REG_DWORD 1 (true) or 0 (false).

Any other type is refused naming the key, as a wrong value is. A missing key is an empty policy; a
key that exists but cannot be read is an error, never silently an empty policy. The registry is
reached through a `RegistryReader`, so that the mapping is tested on every platform with a fake;
`winreg` is imported only when the real reader runs, on Windows.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from wardlink.core.policy_schema import KEYS_BY_NAME, PolicyKey
from wardlink.core.policy_values import PolicyError

HIVE: Final = "HKLM"
KEY_PATH: Final = r"SOFTWARE\Policies\Wardlink"

# Registry value types (winreg's constants, written out so that no platform needs winreg).
REG_SZ: Final = 1
REG_EXPAND_SZ: Final = 2
REG_BINARY: Final = 3
REG_DWORD: Final = 4
REG_MULTI_SZ: Final = 7
REG_QWORD: Final = 11

_TYPE_NAMES: Final = {
    REG_SZ: "REG_SZ",
    REG_EXPAND_SZ: "REG_EXPAND_SZ",
    REG_BINARY: "REG_BINARY",
    REG_DWORD: "REG_DWORD",
    REG_MULTI_SZ: "REG_MULTI_SZ",
    REG_QWORD: "REG_QWORD",
}

RegistryValues = dict[str, tuple[int, object]]


class RegistryReader(Protocol):
    """Reads the values of one key under HKEY_LOCAL_MACHINE."""

    def values(self, key_path: str) -> RegistryValues:
        """Value name → (registry type, value) for every value of the key; empty if the key does
        not exist. OSError if it exists but cannot be read."""
        ...


class WinregReader:
    """The real registry, through `winreg` (Windows only), in its 64-bit view: a 32-bit build
    must read the same key that Group Policy wrote."""

    def values(self, key_path: str) -> RegistryValues:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg

        access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
        try:
            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key_path, 0, access)
        except FileNotFoundError:
            return {}
        found: RegistryValues = {}
        with key:
            count = winreg.QueryInfoKey(key)[1]
            for index in range(count):
                name, value, kind = winreg.EnumValue(key, index)
                found[name] = (kind, value)
        return found


def expand_variables(text: str, environ: Mapping[str, str]) -> str:
    """`%NAME%` replaced by the variable's value, as Windows expands REG_EXPAND_SZ: names are not
    case-sensitive, and an unknown `%NAME%` stays as it is."""
    folded = {name.upper(): value for name, value in environ.items()}

    def replace(found: re.Match[str]) -> str:
        return folded.get(found.group(1).upper(), found.group(0))

    return re.sub(r"%([^%]+)%", replace, text)


def _type_name(kind: int) -> str:
    return _TYPE_NAMES.get(kind, f"registry type {kind}")


def _wanted(spec: PolicyKey) -> str:
    """The kind of registry value a key takes: "flag", "number" or "text" (from its default)."""
    if isinstance(spec.default, bool):
        return "flag"
    if isinstance(spec.default, int):
        return "number"
    return "text"


@dataclass(frozen=True)
class RegistryPolicy:
    """Machine policy from the Windows registry; `reader` and `environ` are replaceable for
    tests (the real reader works only on Windows)."""

    reader: RegistryReader | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    key_path: str = KEY_PATH

    def describe(self) -> str:
        return f"the Windows registry, {HIVE}\\{self.key_path}"

    def read(self) -> dict[str, object]:
        reader = self.reader or WinregReader()
        try:
            raw = reader.values(self.key_path)
        except PermissionError:
            raise PolicyError(
                f"{HIVE}\\{self.key_path}", "cannot be read (access denied)", source="machine"
            ) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise PolicyError(
                f"{HIVE}\\{self.key_path}", f"cannot be read ({reason})", source="machine"
            ) from None
        policy: dict[str, object] = {}
        for name, (kind, value) in raw.items():
            if name == "":
                continue  # the key's unnamed "(Default)" value: no policy key has an empty name
            key = name.lower() if name.lower() in KEYS_BY_NAME else name
            if key in policy:
                raise PolicyError(
                    key, "is set twice (names that differ only in case)", source="machine"
                )
            policy[key] = self._convert(key, kind, value)
        return policy

    def _convert(self, key: str, kind: int, value: object) -> object:
        spec = KEYS_BY_NAME.get(key)
        if spec is None:
            return _plain(kind, value, self.environ)  # the policy check names the unknown key
        wanted = _wanted(spec)
        if wanted == "text":
            if kind not in (REG_SZ, REG_EXPAND_SZ) or not isinstance(value, str):
                raise _wrong_type(key, kind, "a text value (REG_SZ or REG_EXPAND_SZ)")
            return expand_variables(value, self.environ) if kind == REG_EXPAND_SZ else value
        if kind != REG_DWORD or not isinstance(value, int) or isinstance(value, bool):
            what = "REG_DWORD 1 (on) or 0 (off)" if wanted == "flag" else "a REG_DWORD number"
            raise _wrong_type(key, kind, what)
        if wanted == "flag":
            if value not in (0, 1):
                raise PolicyError(key, "must be REG_DWORD 1 (on) or 0 (off)", source="machine")
            return value == 1
        return value


def _wrong_type(key: str, kind: int, wanted: str) -> PolicyError:
    return PolicyError(key, f"must be {wanted}, not {_type_name(kind)}", source="machine")


def _plain(kind: int, value: object, environ: Mapping[str, str]) -> object:
    if kind == REG_EXPAND_SZ and isinstance(value, str):
        return expand_variables(value, environ)
    return value
