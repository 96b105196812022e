"""Machine policy from macOS managed preferences, the preference domain `uk.nhs.wardlink`.

An MDM profile (or `profiles`/Workgroup Manager) for that domain lands as a property list in
`/Library/Managed Preferences/uk.nhs.wardlink.plist` (for the computer) and, when a profile is
scoped to a user, `/Library/Managed Preferences/<user>/uk.nhs.wardlink.plist`. Both are read; the
computer's file comes first: where both set a key, the computer's value counts and the user's is
only a fallback for keys the computer's leaves unset. Keys are the policy keys exactly
(`server_url`, `idle_lock_minutes`, ...; see `machine_keys()`), with plist types that fit them:
<string>, <integer>, <true/>/<false/>.

A missing file is no policy; a file that exists but cannot be read, or is not a property list
holding a dictionary, is an error naming the file, never silently an empty policy.
"""

from __future__ import annotations

import getpass
import plistlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wardlink.core.policy_values import PolicyFileError

DOMAIN: Final = "uk.nhs.wardlink"
MANAGED_PREFERENCES: Final = Path("/Library/Managed Preferences")


def _current_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@dataclass(frozen=True)
class ManagedPreferences:
    """The computer's and the user's managed preferences for `DOMAIN` (folder replaceable)."""

    root: Path = MANAGED_PREFERENCES
    user: str | None = None  # None: the user running the app

    @property
    def paths(self) -> tuple[Path, ...]:
        """The files read, the computer's first."""
        computer = self.root / f"{DOMAIN}.plist"
        user = self.user if self.user is not None else _current_user()
        if not user or "/" in user or user in (".", ".."):
            return (computer,)
        return (computer, self.root / user / f"{DOMAIN}.plist")

    def describe(self) -> str:
        return f"macOS managed preferences ({DOMAIN}) in {self.root}"

    def read(self) -> dict[str, object]:
        policy: dict[str, object] = {}
        for path in reversed(self.paths):  # the user's first, so that the computer's overwrite
            policy.update(_read_plist(path))
        return policy


def _read_plist(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise PolicyFileError(path, "is a folder, not a preferences file") from None
    except PermissionError:
        raise PolicyFileError(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise PolicyFileError(path, f"cannot be read ({exc.strerror})") from None
    try:
        table = plistlib.loads(data)
    except Exception:  # plistlib fails on junk in many ways (ExpatError, even AttributeError)
        raise PolicyFileError(path, "is not a valid property list") from None
    if not isinstance(table, dict):
        raise PolicyFileError(path, "must hold a dictionary of policy keys")
    return {str(key): value for key, value in table.items()}
