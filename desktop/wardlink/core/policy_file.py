"""Where machine policy comes from on each platform, and the TOML reader for Linux.

Machine policy is what IT sets for the PC: on Linux a TOML file (`/etc/wardlink/policy.toml`),
on Windows the registry (`HKLM\\SOFTWARE\\Policies\\Wardlink`), on macOS the managed
preferences. Each is a `MachinePolicySource` that returns the raw key → value table; checking
the values is the job of `wardlink.core.policy`. `machine_policy_source` picks the one for this
platform (`policy_registry`, `policy_macos`, or the TOML file read here).

The TOML file holds the keys at the top level, or under a `[wardlink]` table, or both; a key set in
both places is an error (two values, and IT would not know which one counts). A missing file means
an empty policy; a file that exists but cannot be read is an error, never silently an empty policy.
`WARDLINK_POLICY_FILE` names another file, on every platform (tests set it per test).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wardlink.core.policy_macos import ManagedPreferences
from wardlink.core.policy_registry import RegistryPolicy, RegistryReader
from wardlink.core.policy_values import PolicyError, PolicyFileError

DEFAULT_POLICY_FILE = Path("/etc/wardlink/policy.toml")
POLICY_FILE_ENV = "WARDLINK_POLICY_FILE"
TOML_TABLE = "wardlink"

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class MachinePolicySource(Protocol):
    """One platform's store of machine policy."""

    def describe(self) -> str:
        """Where the policy is read from, for error messages and the self-test."""
        ...

    def read(self) -> dict[str, object]:
        """The raw key → value table (empty where IT set nothing); PolicyError if unreadable."""
        ...


@dataclass(frozen=True, slots=True)
class TomlPolicyFile:
    """Machine policy as a TOML file."""

    path: Path

    def describe(self) -> str:
        return str(self.path)

    def read(self) -> dict[str, object]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except IsADirectoryError:
            raise PolicyFileError(self.path, "is a folder, not a policy file") from None
        except PermissionError:
            raise PolicyFileError(self.path, "cannot be read (permission denied)") from None
        except OSError as exc:
            raise PolicyFileError(self.path, f"cannot be read ({exc.strerror})") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyFileError(self.path, "is not UTF-8 text") from None
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # Python 3.11's error has no line attribute; its message ends "(at line N, column M)".
            found = _TOML_LINE.search(str(exc))
            line = int(found.group(1)) if found else None
            reason = _TOML_LINE.sub("", str(exc)).strip()
            raise PolicyFileError(self.path, f"is not valid TOML: {reason}", line) from None
        return _flatten(table)


def _flatten(table: Mapping[str, object]) -> dict[str, object]:
    """Keys from the top level and from the `[wardlink]` table, as one table."""
    flat = {k: v for k, v in table.items() if k != TOML_TABLE}
    nested = table.get(TOML_TABLE, {})
    if not isinstance(nested, dict):
        raise PolicyError(
            TOML_TABLE, "must be a table ([wardlink]) holding the policy keys", source="machine"
        )
    for key, value in nested.items():
        if key in flat:
            raise PolicyError(
                key, "is set both at the top level and under [wardlink]; keep one", source="machine"
            )
        flat[key] = value
    return flat


def machine_policy_source(
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    *,
    registry: RegistryReader | None = None,
) -> MachinePolicySource:
    """This platform's machine policy, or the file `WARDLINK_POLICY_FILE` names (on every
    platform). `registry` replaces the Windows registry reader (tests)."""
    override = environ.get(POLICY_FILE_ENV, "")
    if override:
        return TomlPolicyFile(Path(override))
    if platform == "win32":
        return RegistryPolicy(registry, environ)
    if platform == "darwin":
        return ManagedPreferences()
    return TomlPolicyFile(DEFAULT_POLICY_FILE)


def read_machine_policy(path: Path | None = None) -> dict[str, object]:
    """The raw machine policy: from `path` if given, else from this platform's source."""
    source = TomlPolicyFile(path) if path is not None else machine_policy_source()
    return source.read()
